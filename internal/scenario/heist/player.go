package heist

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/scenario/contracts"
)

// Scenario parameters shared by the plans and documented in docs/demo.md.
const (
	MixerDenominationETH = 10      // the mixer's fixed denomination
	PoolLiquidityETH     = 100_000 // ether and stETHx in the pool at the start
	ExchangeFloatETH     = 200_000 // the exchange hot wallet's float
	USDxPerETH           = 2_500   // the stablecoin's price, for adding up value
)

// Scenarios are the built-in scenario names.
var Scenarios = []string{"bybit", "peel-chain", "benign"}

// Config chooses a scenario.
type Config struct {
	Scenario string // bybit, peel-chain or benign
	Seed     int64
	// NoBenign plays the theft alone, without the ordinary users'
	// traffic that runs beside it by default.
	NoBenign bool
}

// BlockReport is what one Step sealed.
type BlockReport struct {
	Index     int // in the plan, from 0
	Blocks    int // in the plan
	Number    uint64
	Hash      common.Hash
	Note      string
	Txs       int
	Movements []Movement  // the thief's transfers in this block (fan-out, exits...)
	Exits     []ExitEvent // stolen value reaching a service in this block
	Swept     []string    // deposit addresses swept in this block
}

// Player plays a scenario on its own in-process node, one block per Step,
// and keeps the ground truth as it goes. A caller that wants the chain to
// grow block by block (a watcher) calls Step; Run plays everything.
type Player struct {
	n     *scenario.Node
	w     *World
	plan  *Plan
	next  int
	truth Truth
	done  bool

	tainted  map[common.Address]string // thief addresses whose balances are stolen value -> role
	pendingD map[common.Address][]int  // deposit address -> exits waiting for the sweep
	notes    map[common.Hash]int       // mixer note -> exit index
	fees     *big.Int
	swapOut  map[string]*big.Int
	swapIn   map[string]*big.Int
	stolen   map[string]*big.Int
	benign   *big.Int
}

// New starts a node, deploys the scenario's world and returns a player
// positioned before the plan's first block. Close it when done.
func New(ctx context.Context, cfg Config) (*Player, error) {
	build, ok := builders[cfg.Scenario]
	if !ok {
		return nil, fmt.Errorf("heist: unknown scenario %q (want %s)", cfg.Scenario, strings.Join(Scenarios, ", "))
	}
	n, err := scenario.NewNode(scenario.NodeConfig{Accounts: numKeys, Alloc: alloc(numKeys)})
	if err != nil {
		return nil, err
	}
	plan, customers := build(cfg)
	w, err := setup(ctx, n, customers)
	if err != nil {
		n.Close()
		return nil, err
	}
	p := &Player{n: n, w: w, plan: plan, tainted: map[common.Address]string{}, pendingD: map[common.Address][]int{},
		notes: map[common.Hash]int{}, fees: new(big.Int), swapOut: map[string]*big.Int{}, swapIn: map[string]*big.Int{},
		stolen: map[string]*big.Int{}, benign: new(big.Int)}
	p.truth = Truth{Scenario: cfg.Scenario, Seed: cfg.Seed, ChainID: w.chainID, CAIP2: fmt.Sprintf("eip155:%d", w.chainID),
		SetupBlock: n.Head().Number.Uint64(), Seeds: []string{}, Movements: []Movement{}, Exits: []ExitEvent{}, DepositAccounts: []DepositAccount{}}
	p.truth.Assets = []Asset{
		{Symbol: "ETH", CAIP19: "native", Decimals: 18, WeiPerUnit: NewAmount(ether)},
		{Symbol: "stETHx", Contract: lower(w.names["stETHx"]), CAIP19: p.caip19("stETHx"), Decimals: 18, WeiPerUnit: NewAmount(ether)},
		{Symbol: "USDx", Contract: lower(w.names["USDx"]), CAIP19: p.caip19("USDx"), Decimals: 6,
			WeiPerUnit: NewAmount(new(big.Int).Quo(ether, big.NewInt(USDxPerETH))), FreezableBy: "USDx issuer"},
	}
	if plan.Name != "benign" {
		p.truth.Thieves = append(p.truth.Thieves, Thief{Address: lower(n.Address(keyAttacker)), Role: "attacker"})
	}
	return p, nil
}

func (p *Player) caip19(symbol string) string {
	return fmt.Sprintf("eip155:%d/erc20:%s", p.w.chainID, lower(p.w.names[symbol]))
}

func lower(a common.Address) string { return strings.ToLower(a.Hex()) }

// Node is the scenario's node; its JSON-RPC URL is Node().URL().
func (p *Player) Node() *scenario.Node { return p.n }

// World is the scenario's actors and contracts.
func (p *Player) World() *World { return p.w }

// Plan is the scenario as data.
func (p *Player) Plan() *Plan { return p.plan }

// Done reports whether every block of the plan is sealed.
func (p *Player) Done() bool { return p.next >= len(p.plan.Blocks) }

// NextBlock is the number the next Step seals.
func (p *Player) NextBlock() uint64 { return p.n.Head().Number.Uint64() + 1 }

// Close stops the node.
func (p *Player) Close() error { return p.n.Close() }

// Run plays the remaining blocks, calling each (if not nil) after every one.
func (p *Player) Run(ctx context.Context, each func(BlockReport)) error {
	for !p.Done() {
		r, err := p.Step(ctx)
		if err != nil {
			return err
		}
		if each != nil {
			each(r)
		}
	}
	return nil
}

// Truth returns the ground truth so far; once Done, with the final
// locations of the stolen value.
func (p *Player) Truth() *Truth {
	t := p.truth
	return &t
}

type sent struct {
	a     *Action
	hash  common.Hash
	value *big.Int // ether or token amount moved, as known before the block
	to    common.Address
	swept []common.Address
}

// Step seals the plan's next block.
func (p *Player) Step(ctx context.Context) (BlockReport, error) {
	if p.Done() {
		return BlockReport{}, fmt.Errorf("heist: %s: plan already played", p.plan.Name)
	}
	b := &p.plan.Blocks[p.next]
	var txs []sent
	for i := range b.Actions {
		s, err := p.send(ctx, &b.Actions[i])
		if err != nil {
			p.n.Rollback()
			return BlockReport{}, fmt.Errorf("heist: %s block %d (%s) action %d %s %s->%s: %w", p.plan.Name, p.next, b.Note, i, b.Actions[i].Kind, b.Actions[i].From, b.Actions[i].To, err)
		}
		if s != nil {
			txs = append(txs, *s)
		}
	}
	hash, err := p.n.Commit()
	if err != nil {
		return BlockReport{}, err
	}
	if p.n.Pending() > 0 {
		return BlockReport{}, fmt.Errorf("heist: %s block %d: %d transactions did not fit one block", p.plan.Name, p.next, p.n.Pending())
	}
	num := p.n.Head().Number.Uint64()
	rep := BlockReport{Index: p.next, Blocks: len(p.plan.Blocks), Number: num, Hash: hash, Note: b.Note, Txs: len(txs)}
	nm, ne := len(p.truth.Movements), len(p.truth.Exits)
	for i := range txs {
		if err := p.record(ctx, b, &txs[i], num, &rep); err != nil {
			return BlockReport{}, fmt.Errorf("heist: %s block %d (%s): %w", p.plan.Name, num, b.Note, err)
		}
	}
	rep.Movements = append([]Movement{}, p.truth.Movements[nm:]...)
	rep.Exits = append([]ExitEvent{}, p.truth.Exits[ne:]...)
	p.truth.LastBlock = num
	p.next++
	if p.Done() {
		if err := p.finish(ctx); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// send queues one action's transaction; nil when the action has nothing
// to do (a rule leaves nothing to move, no deposit address to sweep).
func (p *Player) send(ctx context.Context, a *Action) (*sent, error) {
	from, ok := p.w.key(a.From)
	if !ok {
		return nil, fmt.Errorf("%q cannot sign", a.From)
	}
	s := &sent{a: a, value: a.Amount}
	if a.To != "" {
		var err error
		if s.to, err = p.w.Address(a.To); err != nil {
			return nil, err
		}
	}
	if a.Rule != nil {
		bal, err := p.n.Balance(ctx, p.n.Address(from))
		if err != nil {
			return nil, err
		}
		// The node wants gas·fee cap up front: leave it out, at the most
		// gas any action is given.
		bal.Sub(bal, new(big.Int).Mul(big.NewInt(300_000), big.NewInt(scenario.GasFeeCap)))
		if s.value = a.Rule.amount(bal); s.value.Sign() == 0 {
			return nil, nil // nothing left to move
		}
	}
	if s.value == nil {
		s.value = new(big.Int)
	}
	tx, err := p.transaction(ctx, s)
	if err != nil || tx == nil {
		return nil, err
	}
	if s.hash, err = p.n.Send(ctx, from, &tx.to, tx.value, tx.data, tx.gas); err != nil {
		return nil, err
	}
	return s, nil
}

// txSpec is a transaction to send: target, ether, calldata, gas limit.
type txSpec struct {
	to    common.Address
	value *big.Int
	data  []byte
	gas   uint64
}

// transaction builds the transaction of s's action. Where the amount moved
// is only known now (a denomination, the Safe's balance), it sets s.value.
func (p *Player) transaction(ctx context.Context, s *sent) (*txSpec, error) {
	w, a, to, amount := p.w, s.a, s.to, s.value
	erc20 := contracts.Must(contracts.StableToken) // the ERC-20 functions of every token
	pool := contracts.Must(contracts.Pool)
	switch a.Kind {
	case Send:
		return &txSpec{to: to, value: amount, gas: 100_000}, nil
	case TokenTransfer:
		return &txSpec{to: w.names[a.Asset], data: erc20.MustCall("transfer", to, amount), gas: 100_000}, nil
	case Approve:
		return &txSpec{to: w.names[a.Asset], data: erc20.MustCall("approve", to, maxUint()), gas: 100_000}, nil
	case Stake:
		return &txSpec{to: w.names["stETHx"], value: amount, data: contracts.Must(contracts.StakedEther).MustCall("submit"), gas: 300_000}, nil
	case SwapTokens:
		return &txSpec{to: w.names["pool"], data: pool.MustCall("swapTokensForETH", amount, big.NewInt(0)), gas: 300_000}, nil
	case SwapETH:
		return &txSpec{to: w.names["pool"], value: amount, data: pool.MustCall("swapETHForTokens", big.NewInt(0)), gas: 300_000}, nil
	case MixerDeposit:
		s.value = eth(MixerDenominationETH)
		return &txSpec{to: w.names["mixer"], value: s.value, gas: 300_000,
			data: contracts.Must(contracts.Mixer).MustCall("deposit", crypto.Keccak256Hash(a.Secret[:]))}, nil
	case MixerWithdraw:
		s.value = eth(MixerDenominationETH)
		return &txSpec{to: w.names["mixer"], data: contracts.Must(contracts.Mixer).MustCall("withdraw", a.Secret, to), gas: 300_000}, nil
	case RouterDeposit:
		return &txSpec{to: w.names["router"], value: amount, gas: 300_000,
			data: contracts.Must(contracts.Router).MustCall("depositWithExpiry", w.names["vault"], common.Address{}, amount, a.Memo, big.NewInt(1<<40))}, nil
	case OTCOrder:
		return &txSpec{to: w.names["otc"], value: amount, data: contracts.Must(contracts.OTCDesk).MustCall("order", crypto.Keccak256Hash([]byte(a.Memo))), gas: 300_000}, nil
	case ExchangeWithdraw:
		var token common.Address
		if a.Asset != "" && a.Asset != "ETH" {
			token = w.names[a.Asset]
		}
		return &txSpec{to: w.names["exchange"], data: contracts.Must(contracts.Exchange).MustCall("withdraw", to, token, amount), gas: 300_000}, nil
	case ExchangeSweep:
		return p.sweepTx(ctx, s)
	case SafeExec:
		target, data, err := p.safeExec(ctx)
		return &txSpec{to: target, data: data, gas: 500_000}, err
	case SweepETH:
		bal, err := p.n.Balance(ctx, w.names["safe"])
		s.value = bal
		return &txSpec{to: w.names["safe"], data: contracts.Must(contracts.Backdoor).MustCall("sweepETH", to), gas: 300_000}, err
	case SweepERC20:
		bal, err := p.tokenBalance(ctx, a.Asset, w.names["safe"])
		s.value = bal
		return &txSpec{to: w.names["safe"], data: contracts.Must(contracts.Backdoor).MustCall("sweepERC20", w.names[a.Asset], to), gas: 300_000}, err
	}
	return nil, fmt.Errorf("unknown action kind %q", a.Kind)
}

// sweepTx sweeps every deposit address holding ether at the head, in
// customer order; nil when none does.
func (p *Player) sweepTx(ctx context.Context, s *sent) (*txSpec, error) {
	for _, c := range sortedNames(p.w.deposits) {
		d := p.w.deposits[c]
		bal, err := p.n.Balance(ctx, d)
		if err != nil {
			return nil, err
		}
		if bal.Sign() > 0 {
			s.swept = append(s.swept, d)
		}
	}
	if len(s.swept) == 0 {
		return nil, nil
	}
	return &txSpec{to: p.w.names["exchange"], gas: uint64(60_000 + 40_000*len(s.swept)),
		data: contracts.Must(contracts.Exchange).MustCall("sweep", s.swept, common.Address{})}, nil
}

func (p *Player) tokenBalance(ctx context.Context, symbol string, who common.Address) (*big.Int, error) {
	token := p.w.names[symbol]
	out, err := p.n.Client().CallContract(ctx, ethereum.CallMsg{To: &token, Data: contracts.Must(contracts.StableToken).MustCall("balanceOf", who)}, nil)
	if err != nil {
		return nil, fmt.Errorf("%s balance of %s: %w", symbol, who, err)
	}
	return new(big.Int).SetBytes(out), nil
}

// MaliciousSafeTx is the Safe transaction the bybit signers are about to
// approve, as their wallets show it, at the current head: a DELEGATECALL to
// the trojan's transfer(backdoor, 0), which writes the backdoor into the
// Safe proxy's slot 0. A pre-sign check (chainhound guard) looks at it
// before the block that executes it. Block and Tx are empty until then.
func (p *Player) MaliciousSafeTx(ctx context.Context) (*SafeTx, error) {
	w := p.w
	if _, ok := w.names["safe"]; !ok {
		return nil, fmt.Errorf("heist: %s has no Safe", p.plan.Name)
	}
	safe := contracts.Must(contracts.Safe)
	sa := w.names["safe"]
	call := func(data []byte) ([]byte, error) {
		return p.n.Client().CallContract(ctx, ethereum.CallMsg{To: &sa, Data: data}, nil)
	}
	out, err := call(safe.MustCall("nonce"))
	if err != nil {
		return nil, fmt.Errorf("heist: Safe nonce: %w", err)
	}
	nonce := new(big.Int).SetBytes(out)
	data := contracts.Must(contracts.Trojan).MustCall("transfer", w.names["backdoor"], big.NewInt(0))
	tx := &SafeTx{Safe: lower(sa), To: lower(w.names["trojan"]), Data: "0x" + common.Bytes2Hex(data), Operation: 1, Nonce: nonce.Uint64(),
		Singleton: lower(w.names["safe-singleton"]), Backdoor: lower(w.names["backdoor"])}
	z := new(big.Int)
	out, err = call(safe.MustCall("getTransactionHash", w.names["trojan"], z, data, uint8(1), z, z, z, common.Address{}, common.Address{}, nonce))
	if err != nil {
		return nil, fmt.Errorf("heist: Safe getTransactionHash: %w", err)
	}
	tx.SafeTxHash = common.BytesToHash(out).Hex()
	return tx, nil
}

// safeExec builds the signers' execTransaction of the malicious Safe
// transaction, signed by the threshold of owners.
func (p *Player) safeExec(ctx context.Context) (common.Address, []byte, error) {
	tx, err := p.MaliciousSafeTx(ctx)
	if err != nil {
		return common.Address{}, nil, err
	}
	h := common.HexToHash(tx.SafeTxHash)
	type sig struct {
		owner common.Address
		b     []byte
	}
	var sigs []sig
	for i := range safeThreshold {
		k := keySigner0 + i
		s, err := crypto.Sign(h[:], p.n.Keys()[k])
		if err != nil {
			return common.Address{}, nil, err
		}
		s[64] += 27
		sigs = append(sigs, sig{p.n.Address(k), s})
	}
	sort.Slice(sigs, func(a, b int) bool { return sigs[a].owner.Cmp(sigs[b].owner) < 0 })
	var all []byte
	for _, s := range sigs {
		all = append(all, s.b...)
	}
	p.truth.SafeTx = tx
	z, w := new(big.Int), p.w
	return w.names["safe"], contracts.Must(contracts.Safe).MustCall("execTransaction", w.names["trojan"], z, common.FromHex(tx.Data), uint8(1), z, z, z, common.Address{}, common.Address{}, all), nil
}

// NextActions are the actions of the block the next Step seals (nil when
// Done), for a caller that wants to act before a given one, such as a
// pre-sign check before SafeExec.
func (p *Player) NextActions() []Action {
	if p.Done() {
		return nil
	}
	return p.plan.Blocks[p.next].Actions
}

// exitOf says which service an action pays, if any.
func (p *Player) exitOf(a *Action, to common.Address) (service, category string, addr common.Address, via common.Address, freeze, ok bool) {
	w := p.w
	switch {
	case a.Kind == MixerDeposit:
		return "Mixer (10 ETH pool)", "mixing_service", w.names["mixer"], common.Address{}, false, true
	case a.Kind == RouterDeposit:
		return "THORChain-like router", "defi_bridge", w.names["router"], common.Address{}, false, true
	case a.Kind == OTCOrder:
		return "OTC desk", "exchange", w.names["otc"], common.Address{}, true, true
	case a.Kind == Send && strings.HasPrefix(a.To, "deposit/"):
		return "Exchange hot wallet", "exchange", w.names["exchange"], to, true, true
	}
	return "", "", common.Address{}, common.Address{}, false, false
}

// record checks a sealed transaction and writes its part of the truth.
func (p *Player) record(ctx context.Context, b *Block, s *sent, num uint64, rep *BlockReport) error {
	r, err := p.n.Receipt(ctx, s.hash)
	if err != nil {
		return err
	}
	a := s.a
	if r.Status != types.ReceiptStatusSuccessful {
		return fmt.Errorf("%s %s->%s: transaction %s reverted", a.Kind, a.From, a.To, s.hash)
	}
	switch a.Kind {
	case ExchangeSweep:
		for _, d := range s.swept {
			rep.Swept = append(rep.Swept, lower(d))
			for _, i := range p.pendingD[d] {
				p.truth.Exits[i].SweptBlock = num
			}
			delete(p.pendingD, d)
		}
	case SafeExec:
		if err := p.checkTakeover(ctx, s, num); err != nil {
			return err
		}
	case MixerWithdraw:
		if i, ok := p.notes[a.Secret]; ok { // the thief's note
			p.truth.Exits[i].Beyond = lower(s.to)
			p.truth.Thieves = append(p.truth.Thieves, Thief{Address: lower(s.to), Role: "mixer-out"})
			return nil
		}
	}
	if !a.Illicit() {
		if !b.Opening {
			p.benign.Add(p.benign, p.value(a, s.value))
		}
		return nil
	}
	return p.recordIllicit(s, r, num)
}

// checkTakeover checks that the Safe runs the backdoor after the
// malicious transaction, and records where it was executed.
func (p *Player) checkTakeover(ctx context.Context, s *sent, num uint64) error {
	slot, err := p.n.Client().StorageAt(ctx, p.w.names["safe"], common.Hash{}, nil)
	if err != nil {
		return err
	}
	if common.BytesToAddress(slot) != p.w.names["backdoor"] {
		return fmt.Errorf("the Safe's slot 0 holds %x after the malicious transaction, not the backdoor", slot)
	}
	p.truth.SafeTx.Block, p.truth.SafeTx.Tx = num, s.hash.Hex()
	return nil
}

// recordIllicit writes a thief's transaction into the truth: the gas it
// paid from stolen funds, the movement, the theft, a swap's two legs, an
// arrival at a service, a newly tainted address.
func (p *Player) recordIllicit(s *sent, r *types.Receipt, num uint64) error {
	a, w := s.a, p.w
	fromAddr := p.n.Address(mustKey(w, a.From))
	if _, ok := p.tainted[fromAddr]; ok {
		p.fees.Add(p.fees, new(big.Int).Mul(new(big.Int).SetUint64(r.GasUsed), r.EffectiveGasPrice))
	}
	asset := "ETH"
	switch a.Kind {
	case TokenTransfer, SweepERC20:
		asset = a.Asset
	case SwapTokens:
		asset = "stETHx"
	}
	m := Movement{Step: a.Step, Block: num, Tx: s.hash.Hex(), From: lower(fromAddr), To: lower(s.to), Asset: asset, Amount: NewAmount(s.value)}
	switch {
	case a.Kind == Approve || a.Kind == SafeExec || a.Kind == MixerWithdraw:
		return nil
	case a.Kind == SweepETH || a.Kind == SweepERC20 || a.Kind == Send && a.Step == "theft":
		// The drain, or (peel-chain) the victim's stolen key paying the thief.
		if a.Kind != Send {
			m.From = lower(w.names["safe"])
		}
		add(p.stolen, asset, s.value)
		p.truth.Seeds = appendOnce(p.truth.Seeds, s.hash.Hex())
		p.taint(s.to, "theft")
	case a.Kind == SwapTokens:
		out, err := swapOut(r)
		if err != nil {
			return err
		}
		add(p.swapOut, "stETHx", s.value)
		add(p.swapIn, "ETH", out)
		m.To = lower(w.names["pool"])
		p.truth.Movements = append(p.truth.Movements, m,
			Movement{Step: a.Step, Block: num, Tx: s.hash.Hex(), From: m.To, To: m.From, Asset: "ETH", Amount: NewAmount(out)})
		return nil
	}
	if service, category, addr, via, freeze, isExit := p.exitOf(a, s.to); isExit {
		if a.Kind != Send {
			m.To = lower(addr)
		}
		e := ExitEvent{Block: num, Tx: s.hash.Hex(), From: lower(fromAddr), Service: service, Category: category, Address: lower(addr),
			Asset: asset, Amount: NewAmount(s.value), Memo: a.Memo, CanFreeze: freeze}
		if via != (common.Address{}) {
			e.Via = lower(via)
			p.pendingD[via] = append(p.pendingD[via], len(p.truth.Exits))
			p.depositAccount(e.Via, strings.TrimPrefix(a.To, "deposit/"), e.From)
		}
		if a.Kind == MixerDeposit {
			p.notes[a.Secret] = len(p.truth.Exits)
		}
		p.truth.Exits = append(p.truth.Exits, e)
	} else if s.to != (common.Address{}) {
		p.taint(s.to, roleOf(a.To))
	}
	p.truth.Movements = append(p.truth.Movements, m)
	return nil
}

// depositAccount records that the thief's address from paid the deposit
// address dep of the exchange's customer.
func (p *Player) depositAccount(dep, customer, from string) {
	t := &p.truth
	for i := range t.DepositAccounts {
		if d := &t.DepositAccounts[i]; d.Deposit == dep {
			if !slices.Contains(d.Payers, from) {
				d.Payers = append(d.Payers, from)
			}
			return
		}
	}
	t.DepositAccounts = append(t.DepositAccounts, DepositAccount{Deposit: dep, Customer: customer, Payers: []string{from}})
}

func roleOf(name string) string {
	if strings.HasPrefix(name, "wallet/") {
		return "wallet"
	}
	return name
}

func (p *Player) taint(a common.Address, role string) {
	if _, ok := p.tainted[a]; ok {
		return
	}
	p.tainted[a] = role
	p.truth.Thieves = append(p.truth.Thieves, Thief{Address: lower(a), Role: role, Tainted: true})
}

func mustKey(w *World, name string) int {
	k, _ := w.key(name)
	return k
}

// value prices an action's amount in wei.
func (p *Player) value(a *Action, v *big.Int) *big.Int {
	switch a.Kind {
	case TokenTransfer, SwapTokens:
		sym := a.Asset
		if a.Kind == SwapTokens {
			sym = "stETHx"
		}
		return p.truth.Value(sym, v)
	case Approve, ExchangeSweep, SafeExec:
		return new(big.Int)
	}
	if a.Kind == ExchangeWithdraw && a.Asset != "" && a.Asset != "ETH" {
		return p.truth.Value(a.Asset, v)
	}
	return new(big.Int).Set(v)
}

// swapOut reads the ether a pool swap paid from its Swap event.
func swapOut(r *types.Receipt) (*big.Int, error) {
	topic := contracts.Must(contracts.Pool).ABI.Events["Swap"].ID
	for _, l := range r.Logs {
		if len(l.Topics) == 2 && l.Topics[0] == topic && len(l.Data) == 128 {
			return new(big.Int).SetBytes(l.Data[64:96]), nil
		}
	}
	return nil, fmt.Errorf("swap %s: no Swap event", r.TxHash)
}

func add(m map[string]*big.Int, k string, v *big.Int) {
	if m[k] == nil {
		m[k] = new(big.Int)
	}
	m[k].Add(m[k], v)
}

func appendOnce(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func amounts(m map[string]*big.Int) []AssetAmount {
	out := []AssetAmount{}
	for _, k := range sortedNames(m) {
		out = append(out, AssetAmount{Asset: k, Amount: NewAmount(m[k])})
	}
	return out
}

// finish writes where the stolen value rests: exits per service and
// asset, the thief's holdings read from the node, and gas.
func (p *Player) finish(ctx context.Context) error {
	t := &p.truth
	t.Stolen, t.SwappedOut, t.SwappedIn = amounts(p.stolen), amounts(p.swapOut), amounts(p.swapIn)
	t.BenignValue = NewAmount(p.benign)
	illicit := new(big.Int)
	for _, s := range t.Stolen {
		illicit.Add(illicit, t.Value(s.Asset, &s.Amount.Int))
	}
	t.IllicitValue = NewAmount(illicit)
	type key struct{ addr, asset string }
	agg := map[key]*Location{}
	var order []key
	for _, e := range t.Exits {
		k := key{e.Address, e.Asset}
		l := agg[k]
		if l == nil {
			as, _ := t.Asset(e.Asset)
			l = &Location{Kind: "exit", Address: e.Address, Service: e.Service, Category: e.Category, Asset: e.Asset,
				Freezable: e.CanFreeze || as.FreezableBy != ""}
			agg[k] = l
			order = append(order, k)
		}
		l.Amount.Add(&l.Amount.Int, &e.Amount.Int)
	}
	t.Locations = []Location{}
	for _, k := range order {
		t.Locations = append(t.Locations, *agg[k])
	}
	for _, th := range t.Thieves {
		if !th.Tainted {
			continue
		}
		a := common.HexToAddress(th.Address)
		for _, as := range t.Assets {
			var bal *big.Int
			var err error
			if as.Symbol == "ETH" {
				bal, err = p.n.Balance(ctx, a)
			} else {
				bal, err = p.tokenBalance(ctx, as.Symbol, a)
			}
			if err != nil {
				return err
			}
			if bal.Sign() > 0 {
				t.Locations = append(t.Locations, Location{Kind: "holding", Address: th.Address, Asset: as.Symbol, Amount: NewAmount(bal), Freezable: as.FreezableBy != ""})
			}
		}
	}
	if p.fees.Sign() > 0 {
		t.Locations = append(t.Locations, Location{Kind: "fees", Asset: "ETH", Amount: NewAmount(p.fees)})
	}
	return nil
}
