// Package thorchain reads THORChain transaction memos: the instruction a
// user attaches to a deposit into a THORChain vault (an OP_RETURN on
// Bitcoin, the memo argument of the router's deposit on EVM chains) and the
// memo THORChain's vaults attach to their payouts (OUT:<inbound hash>,
// REFUND:<inbound hash>). The grammar follows THORChain's developer
// documentation, "Transaction Memos" and "Memo Length Reduction"
// (docs/concepts/memos.md and memo-length-reduction.md in the thornode
// repository); docs/bridge.md lists what is handled.
package thorchain

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Action is what a memo asks THORChain to do.
type Action string

// Actions, named after THORChain's own transaction types.
const (
	Swap             Action = "swap"          // SWAP, s, =
	LimitSwap        Action = "limit-swap"    // =<
	ModifyLimitSwap  Action = "modify-limit"  // m=<
	AddLiquidity     Action = "add"           // ADD, a, +
	WithdrawLiquid   Action = "withdraw"      // WITHDRAW, wd, -
	Donate           Action = "donate"        // DONATE, d
	Reserve          Action = "reserve"       // RESERVE
	Bond             Action = "bond"          // BOND
	Unbond           Action = "unbond"        // UNBOND
	Rebond           Action = "rebond"        // REBOND
	Leave            Action = "leave"         // LEAVE
	Operator         Action = "operator"      // OPERATOR
	Outbound         Action = "out"           // OUT:<inbound hash>, written by vaults
	Refund           Action = "refund"        // REFUND:<inbound hash>, written by vaults
	Migrate          Action = "migrate"       // MIGRATE:<height>, between vaults
	Ragnarok         Action = "ragnarok"      // RAGNAROK:<height>
	Consolidate      Action = "consolidate"   // CONSOLIDATE
	NoOp             Action = "noop"          // NOOP[:NOVAULT]
	THORName         Action = "thorname"      // NAME, n, ~
	LoanOpen         Action = "loan-open"     // LOAN+, $+ (lending, retired)
	LoanRepay        Action = "loan-repay"    // LOAN-, $- (lending, retired)
	TradeDeposit     Action = "trade-deposit" // TRADE+
	TradeWithdraw    Action = "trade-withdraw"
	SecureDeposit    Action = "secure-deposit" // SECURE+
	SecureWithdraw   Action = "secure-withdraw"
	RunePoolDeposit  Action = "runepool-deposit" // POOL+
	RunePoolWithdraw Action = "runepool-withdraw"
	TCYClaim         Action = "tcy-claim" // TCY
	TCYStake         Action = "tcy-stake" // TCY+
	TCYUnstake       Action = "tcy-unstake"
	Exec             Action = "exec"             // X, EXEC
	Switch           Action = "switch"           // SWITCH
	ReferenceWrite   Action = "reference"        // REFERENCE:ASSET:MEMO
	ReferenceRead    Action = "reference-use"    // R:<number>
	Maint            Action = "maint"            // MAINT
	YggdrasilFund    Action = "yggdrasil-fund"   // YGGDRASIL+ (retired)
	YggdrasilReturn  Action = "yggdrasil-return" // YGGDRASIL- (retired)
)

// verbs maps a memo's first field, lower-cased, to its action: THORChain's
// stringToTxTypeMap and the documented abbreviations.
var verbs = map[string]Action{
	"swap": Swap, "s": Swap, "=": Swap, "=<": LimitSwap, "=>": LimitSwap, "m=<": ModifyLimitSwap,
	"limito": LimitSwap, "lo": LimitSwap,
	"add": AddLiquidity, "a": AddLiquidity, "+": AddLiquidity,
	"withdraw": WithdrawLiquid, "wd": WithdrawLiquid, "-": WithdrawLiquid,
	"donate": Donate, "d": Donate, "reserve": Reserve,
	"bond": Bond, "unbond": Unbond, "rebond": Rebond, "leave": Leave, "operator": Operator,
	"out": Outbound, "refund": Refund, "migrate": Migrate, "ragnarok": Ragnarok,
	"consolidate": Consolidate, "noop": NoOp,
	"name": THORName, "n": THORName, "~": THORName,
	"loan+": LoanOpen, "$+": LoanOpen, "loan-": LoanRepay, "$-": LoanRepay,
	"trade+": TradeDeposit, "trade-": TradeWithdraw,
	"secure+": SecureDeposit, "secure-": SecureWithdraw,
	"pool+": RunePoolDeposit, "pool-": RunePoolWithdraw,
	"tcy": TCYClaim, "tcy+": TCYStake, "tcy-": TCYUnstake,
	"x": Exec, "exec": Exec, "switch": Switch,
	"reference": ReferenceWrite, "r": ReferenceRead, "maint": Maint,
	"yggdrasil+": YggdrasilFund, "yggdrasil-": YggdrasilReturn,
}

// MaxLen is THORChain's memo size limit: longer inbound memos are ignored.
const MaxLen = 250

// Errors a memo can fail with; the returned errors wrap one of them and say
// which field of which memo.
var (
	ErrEmpty       = errors.New("empty memo")
	ErrTooLong     = errors.New("memo longer than THORChain's 250-byte limit")
	ErrVerb        = errors.New("unknown memo function")
	ErrField       = errors.New("missing or malformed field")
	ErrAsset       = errors.New("malformed asset")
	ErrAmount      = errors.New("malformed amount")
	ErrDestination = errors.New("destination is neither an address of the asset's chain nor a THORName")
)

// AssetKind says where an asset lives (THORChain "asset notation").
type AssetKind uint8

// Asset kinds, by the separator between chain and symbol.
const (
	Layer1  AssetKind = iota + 1 // CHAIN.SYMBOL[-TICKER]: the asset on its own chain
	Synth                        // CHAIN/SYMBOL: a synthetic on THORChain
	Trade                        // CHAIN~SYMBOL: a trade-account asset on THORChain
	Secured                      // CHAIN-SYMBOL: a secured asset on THORChain
)

// Asset is a THORChain asset as a memo names it.
type Asset struct {
	Chain  string // upper case: BTC, ETH, THOR…
	Symbol string // upper case, ticker included: USDT-0XDAC17F…
	Kind   AssetKind
}

// String writes the asset in THORChain notation.
func (a Asset) String() string {
	if a.Chain == "" {
		return ""
	}
	sep := map[AssetKind]string{Layer1: ".", Synth: "/", Trade: "~", Secured: "-"}[a.Kind]
	return a.Chain + sep + a.Symbol
}

// PayoutChain is the chain a swap into a pays out on: the asset's own chain
// for a layer-1 asset; THORChain itself for synths, trade and secured
// assets and derived (THOR.*) assets.
func (a Asset) PayoutChain() string {
	if a.Kind != Layer1 {
		return "THOR"
	}
	return a.Chain
}

// shortAssets are the documented shortened asset names ("Memo Length
// Reduction"), plus n for BNB.BNB from the Binance Chain era.
var shortAssets = map[string]Asset{
	"r": {"THOR", "RUNE", Layer1}, "rune": {"THOR", "RUNE", Layer1},
	"a": {"AVAX", "AVAX", Layer1}, "b": {"BTC", "BTC", Layer1}, "c": {"BCH", "BCH", Layer1},
	"e": {"ETH", "ETH", Layer1}, "g": {"GAIA", "ATOM", Layer1}, "s": {"BSC", "BNB", Layer1},
	"d": {"DOGE", "DOGE", Layer1}, "l": {"LTC", "LTC", Layer1}, "f": {"BASE", "ETH", Layer1},
	"x": {"XRP", "XRP", Layer1}, "tr": {"TRON", "TRX", Layer1}, "n": {"BNB", "BNB", Layer1},
}

// ParseAsset reads an asset in full notation or as a shortened name.
func ParseAsset(s string) (Asset, error) {
	if a, ok := shortAssets[strings.ToLower(s)]; ok {
		return a, nil
	}
	i := strings.IndexAny(s, "./~-")
	if i <= 0 || i == len(s)-1 {
		return Asset{}, fmt.Errorf("asset %q: want CHAIN.SYMBOL (or /, ~, - for synth, trade and secured assets) or a short name like b or e: %w", s, ErrAsset)
	}
	a := Asset{Chain: strings.ToUpper(s[:i]), Symbol: strings.ToUpper(s[i+1:])}
	a.Kind = map[byte]AssetKind{'.': Layer1, '/': Synth, '~': Trade, '-': Secured}[s[i]]
	for _, c := range a.Chain {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return Asset{}, fmt.Errorf("asset %q: chain %q: %w", s, a.Chain, ErrAsset)
		}
	}
	for _, c := range a.Symbol {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return Asset{}, fmt.Errorf("asset %q: symbol %q: %w", s, a.Symbol, ErrAsset)
		}
	}
	return a, nil
}

// DestKind says what a destination field holds.
type DestKind uint8

// Destination kinds.
const (
	NoDest      DestKind = iota // empty: THORChain pays the sender's own address where it can
	AddressDest                 // an address of the payout chain
	NameDest                    // a THORName, resolved only by THORChain's state
)

// Memo is a parsed THORChain memo. Fields not used by the action stay zero.
type Memo struct {
	Raw    string
	Verb   string // the first field as written
	Action Action

	Asset Asset // swap target, pool, or the asset of trade/secure/reference memos

	// Destination of a swap (or the paired address of an add, the address
	// of trade-, secure-, bond and THORName memos), canonical when Checked.
	Dest     string
	DestKind DestKind
	Checked  bool   // Dest was validated for its chain (see Options.Check)
	Refund   string // swap refund address (DESTADDR/REFUNDADDR)

	// Limit is a swap's trade limit (the least output accepted, in
	// THORChain's 1e8 units; nil when absent or 0), Interval and Quantity
	// its streaming parameters.
	Limit              *big.Int
	Interval, Quantity uint64
	Streaming          bool // LIM/INTERVAL/QUANTITY form used

	Affiliates   []string // THORNames or thor addresses
	AffiliateBps []uint64 // one for all, or one per affiliate
	// Aggregator holds the DEX aggregator fields that may follow a swap's
	// fee: aggregator address, final asset address, minimum amount out.
	Aggregator []string

	BasisPoints uint64   // withdraw, POOL-, TCY- share (0–10000)
	TxID        string   // OUT/REFUND: the inbound hash, upper-case hex
	Height      uint64   // MIGRATE, RAGNAROK
	Amount      *big.Int // UNBOND, REBOND, m=< amount
	Params      []string // every field after the verb, as written
}

// Options adjust parsing.
type Options struct {
	// Check validates an address of THORChain chain thorChain (BTC, ETH,
	// …) and returns its canonical form; ok false means the chain cannot
	// be checked (then the address is kept as written). Nil uses
	// MainnetCheck.
	Check func(thorChain, addr string) (canonical string, ok bool, err error)
}

// Parse reads a memo with mainnet address checks.
func Parse(memo string) (Memo, error) { return ParseWith(memo, Options{}) }

// ParseWith reads a memo.
func ParseWith(memo string, o Options) (Memo, error) {
	if o.Check == nil {
		o.Check = MainnetCheck
	}
	m := Memo{Raw: memo}
	if strings.TrimSpace(memo) == "" {
		return m, ErrEmpty
	}
	if len(memo) > MaxLen {
		return m, fmt.Errorf("memo of %d bytes: %w", len(memo), ErrTooLong)
	}
	f := strings.Split(memo, ":")
	m.Verb, m.Params = f[0], f[1:]
	act, ok := verbs[strings.ToLower(strings.TrimSpace(f[0]))]
	if !ok {
		return m, fmt.Errorf("memo %q: function %q: %w", short(memo), f[0], ErrVerb)
	}
	m.Action = act
	p := &parser{m: &m, f: f, o: o}
	if err := p.parse(); err != nil {
		return m, fmt.Errorf("memo %q: %w", short(memo), err)
	}
	return m, nil
}

type parser struct {
	m *Memo
	f []string
	o Options
}

// field returns field i, "" when absent.
func (p *parser) field(i int) string {
	if i < len(p.f) {
		return p.f[i]
	}
	return ""
}

func (p *parser) parse() error {
	m := p.m
	switch m.Action {
	case Swap, LimitSwap:
		return p.swap()
	case AddLiquidity:
		return p.add()
	case WithdrawLiquid:
		if err := p.asset(1, true); err != nil {
			return err
		}
		if err := p.bps(2, false); err != nil {
			return err
		}
		if s := p.field(3); s != "" {
			if _, err := ParseAsset(s); err != nil {
				return fmt.Errorf("field 3 (withdraw-to asset): %w", err)
			}
		}
	case Donate, Reserve:
		if m.Action == Donate {
			return p.asset(1, true)
		}
	case Outbound, Refund:
		return p.txid(1)
	case Migrate, Ragnarok:
		h, err := strconv.ParseUint(p.field(1), 10, 64)
		if err != nil {
			return fmt.Errorf("field 1 (block height) %q: %w", p.field(1), ErrField)
		}
		m.Height = h
	case TradeDeposit, TradeWithdraw, SecureDeposit, SecureWithdraw, TCYClaim, Bond, Unbond, Rebond, Leave, Operator:
		return p.address(1)
	case THORName:
		// ~:NAME:CHAIN:ADDRESS[:OWNER:PREFERREDASSET:EXPIRY]
		if p.field(1) == "" {
			return fmt.Errorf("field 1 (THORName): %w", ErrField)
		}
		if c := p.field(2); c != "" {
			m.Asset = Asset{Chain: strings.ToUpper(c)}
			return p.dest(3, strings.ToUpper(c))
		}
	case RunePoolWithdraw, TCYUnstake:
		return p.bps(1, true)
	case ModifyLimitSwap:
		if len(p.f) < 4 {
			return fmt.Errorf("want m=<:SOURCE:TARGET:AMOUNT: %w", ErrField)
		}
		a, err := parseAmount(p.field(3))
		if err != nil {
			return fmt.Errorf("field 3 (modified target amount): %w", err)
		}
		m.Amount = a
	case ReferenceWrite:
		return p.asset(1, true)
	case ReferenceRead:
		if _, err := strconv.ParseUint(p.field(1), 10, 64); err != nil {
			return fmt.Errorf("field 1 (reference number) %q: %w", p.field(1), ErrField)
		}
	case LoanOpen:
		// LOAN+:ASSET:DESTADDR:MINOUT:AFFILIATE:FEE
		if err := p.asset(1, true); err != nil {
			return err
		}
		return p.dest(2, m.Asset.PayoutChain())
	case LoanRepay:
		if err := p.asset(1, true); err != nil {
			return err
		}
		m.Dest, m.DestKind = p.field(2), kindOf(p.field(2))
	}
	return nil
}

// swap reads [SWAP]:ASSET:DESTADDR[/REFUNDADDR]:LIM[/INTERVAL/QUANTITY]:AFFILIATE:FEE[:AGG...].
func (p *parser) swap() error {
	m := p.m
	if err := p.asset(1, true); err != nil {
		return err
	}
	dest, refund, _ := strings.Cut(p.field(2), "/")
	m.Refund = refund
	p.f = append(append([]string(nil), p.f...), "", "", "", "", "")[:max(len(p.f), 3)]
	p.f[2] = dest
	if err := p.dest(2, m.Asset.PayoutChain()); err != nil {
		return err
	}
	if err := p.limit(p.field(3)); err != nil {
		return fmt.Errorf("field 3 (limit): %w", err)
	}
	if err := p.affiliates(4, 5); err != nil {
		return err
	}
	if len(p.m.Params) > 5 {
		m.Aggregator = append([]string(nil), p.m.Params[5:]...)
	}
	return nil
}

// add reads ADD:POOL[:PAIREDADDR[:AFFILIATE:FEE]].
func (p *parser) add() error {
	if err := p.asset(1, true); err != nil {
		return err
	}
	if s := p.field(2); s != "" {
		p.m.Dest, p.m.DestKind = s, kindOf(s)
	}
	return p.affiliates(3, 4)
}

func (p *parser) asset(i int, required bool) error {
	s := p.field(i)
	if s == "" {
		if required {
			return fmt.Errorf("field %d (asset): %w", i, ErrField)
		}
		return nil
	}
	a, err := ParseAsset(s)
	if err != nil {
		return fmt.Errorf("field %d: %w", i, err)
	}
	p.m.Asset = a
	return nil
}

// dest reads field i as a destination on THORChain chain c.
func (p *parser) dest(i int, c string) error {
	s := p.field(i)
	m := p.m
	if s == "" {
		return nil
	}
	canon, ok, err := p.o.Check(c, s)
	switch {
	case err == nil && ok:
		m.Dest, m.DestKind, m.Checked = canon, AddressDest, true
	case err == nil:
		m.Dest, m.DestKind = s, kindOf(s)
	case isTHORName(s):
		m.Dest, m.DestKind = s, NameDest
	default:
		return fmt.Errorf("field %d %q for chain %s: %w (%v)", i, short(s), c, ErrDestination, err)
	}
	return nil
}

// address reads field i as an address whose chain the memo does not say.
func (p *parser) address(i int) error {
	s := p.field(i)
	if s == "" {
		return fmt.Errorf("field %d (address): %w", i, ErrField)
	}
	p.m.Dest, p.m.DestKind = s, kindOf(s)
	return nil
}

func kindOf(s string) DestKind {
	switch {
	case s == "":
		return NoDest
	case isTHORName(s):
		return NameDest
	}
	return AddressDest
}

// isTHORName reports whether s can be a THORName: 1 to 30 characters of
// letters, digits and -_+ (THORChain's THORName rules). Addresses are
// longer, so the two do not overlap.
func isTHORName(s string) bool {
	if len(s) == 0 || len(s) > 30 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '+') {
			return false
		}
	}
	return true
}

// limit reads LIM[/INTERVAL/QUANTITY].
func (p *parser) limit(s string) error {
	m := p.m
	if s == "" {
		return nil
	}
	parts := strings.Split(s, "/")
	if len(parts) > 3 {
		return fmt.Errorf("%q: want LIM/INTERVAL/QUANTITY: %w", s, ErrField)
	}
	if parts[0] != "" {
		l, err := parseAmount(parts[0])
		if err != nil {
			return err
		}
		if l.Sign() > 0 {
			m.Limit = l
		}
	}
	if len(parts) > 1 {
		m.Streaming = true
		for j, dst := range []*uint64{&m.Interval, &m.Quantity} {
			if j+1 >= len(parts) || parts[j+1] == "" {
				continue
			}
			v, err := strconv.ParseUint(parts[j+1], 10, 64)
			if err != nil {
				return fmt.Errorf("%q: streaming parameter %q: %w", s, parts[j+1], ErrAmount)
			}
			*dst = v
		}
	}
	return nil
}

// parseAmount reads an amount in 1e8 units: digits, a decimal, or
// scientific notation, as THORChain reads it (161e6 is 161000000; a
// fraction is truncated).
func parseAmount(s string) (*big.Int, error) {
	if s == "" || len(s) > 40 {
		return nil, fmt.Errorf("amount %q: %w", s, ErrAmount)
	}
	if v, ok := new(big.Int).SetString(s, 10); ok && v.Sign() >= 0 {
		return v, nil
	}
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	if !hasExp {
		exp = "0" // a plain decimal: THORChain truncates the fraction
	}
	e, err := strconv.ParseUint(exp, 10, 8)
	if err != nil || e > 40 || mant == "" || strings.Trim(mant, "0123456789.") != "" || strings.Count(mant, ".") > 1 {
		return nil, fmt.Errorf("amount %q: want digits or scientific notation like 15e7: %w", s, ErrAmount)
	}
	whole, frac, _ := strings.Cut(mant, ".")
	if uint64(len(frac)) > e {
		frac = frac[:e]
	}
	digits := whole + frac + strings.Repeat("0", int(e)-len(frac))
	v, ok := new(big.Int).SetString(digits, 10)
	if !ok || v.Sign() < 0 || strings.ContainsAny(digits, "+-") {
		return nil, fmt.Errorf("amount %q: %w", s, ErrAmount)
	}
	return v, nil
}

// affiliates reads AFFILIATE[/AFFILIATE…] at field i and FEE[/FEE…] at j.
func (p *parser) affiliates(i, j int) error {
	m := p.m
	if s := p.field(i); s != "" {
		m.Affiliates = strings.Split(s, "/")
	}
	if s := p.field(j); s != "" {
		for _, f := range strings.Split(s, "/") {
			v, err := strconv.ParseUint(f, 10, 64)
			if err != nil || v > 10000 {
				return fmt.Errorf("field %d (affiliate fee) %q: want basis points: %w", j, s, ErrAmount)
			}
			m.AffiliateBps = append(m.AffiliateBps, v)
		}
		if n := len(m.AffiliateBps); n > 1 && n != len(m.Affiliates) {
			return fmt.Errorf("field %d: %d fees for %d affiliates: %w", j, n, len(m.Affiliates), ErrField)
		}
	}
	return nil
}

func (p *parser) bps(i int, required bool) error {
	s := p.field(i)
	if s == "" && !required {
		return nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > 10000 {
		return fmt.Errorf("field %d (basis points) %q: want 0-10000: %w", i, s, ErrAmount)
	}
	p.m.BasisPoints = v
	return nil
}

// txid reads field i as a transaction hash, as THORChain writes it: 64 hex
// digits, upper case; 0x and lower case are accepted.
func (p *parser) txid(i int) error {
	s := strings.TrimPrefix(strings.TrimPrefix(p.field(i), "0x"), "0X")
	if len(s) != 64 {
		return fmt.Errorf("field %d (transaction hash) %q: want 64 hex digits: %w", i, short(p.field(i)), ErrField)
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return fmt.Errorf("field %d (transaction hash) %q: %w", i, short(p.field(i)), ErrField)
		}
	}
	p.m.TxID = strings.ToUpper(s)
	return nil
}

// short cuts long text for error messages.
func short(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}
