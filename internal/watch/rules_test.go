package watch

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

const (
	ethCAIP2 = "eip155:1"
	btcCAIP2 = "bip122:000000000019d6689c085ae165831e93"
)

// world is a store fed with synthetic blocks, each handed to a watcher as
// the ingester's hook would.
type world struct {
	t      *testing.T
	st     *store.DB
	db     *DB
	w      *Watcher
	ix     *intel.Index
	height map[chain.Chain]uint64
	parent map[chain.Chain]chain.Hash
	salt   byte // varies block and transaction hashes, for a reorganisation
	// down, when set, stores blocks without running the hook: the
	// watcher is not running.
	down bool
}

func newWorld(t *testing.T, yaml string) *world {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "chain"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Bind(chain.Ethereum, chain.Network{CAIP2: ethCAIP2, Genesis: "test"}); err != nil {
		t.Fatal(err)
	}
	db, err := Open(filepath.Join(dir, "watch"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(); st.Close() })
	cfg, err := Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	ix := intel.NewIndex()
	return &world{t: t, st: st, db: db, ix: ix, w: New(st, ix, cfg, db, Options{}), height: map[chain.Chain]uint64{}, parent: map[chain.Chain]chain.Hash{}}
}

func eaddr(n int) chain.Address {
	var b [20]byte
	b[0], b[18], b[19] = 0xcd, byte(n>>8), byte(n)
	return chain.EVMAddress(b)
}

func (w *world) tag(c chain.Chain, a chain.Address, category string) {
	caip2 := ethCAIP2
	if c == chain.Bitcoin {
		caip2 = btcCAIP2
	}
	w.ix.Add(&intel.Tag{Subject: intel.Account(caip2, a.String()), Label: category + " " + a.String()[:8], Category: category, Source: "test"})
}

type xfer struct {
	from, to int // 0: minted
	amount   uint64
}

// eth stores one Ethereum block, each transfer its own transaction, and
// returns the alerts raised in it.
func (w *world) eth(xs ...xfer) []Alert {
	w.t.Helper()
	b := w.next(chain.Ethereum)
	for i, x := range xs {
		h := txHash(b.Height, i)
		h[5] = w.salt
		b.Txs = append(b.Txs, chain.Tx{Hash: h, Index: uint32(i), Success: true})
		tr := chain.Transfer{Block: b.Height, TxIndex: uint32(i), TxHash: h, Kind: chain.KindNative, To: eaddr(x.to), Asset: chain.NativeAsset, Amount: *uint256.NewInt(x.amount)}
		if x.from != 0 {
			tr.From = eaddr(x.from)
		}
		b.Transfers = append(b.Transfers, tr)
	}
	return w.apply(b)
}

func txHash(h uint64, i int) chain.Hash {
	var x chain.Hash
	x[0], x[1], x[2], x[3] = byte(h), byte(h>>8), byte(i), 0x77
	return x
}

func (w *world) next(c chain.Chain) *chain.Block {
	w.height[c]++
	h := w.height[c]
	b := &chain.Block{Chain: c, Height: h, Parent: w.parent[c], Time: 1700000000 + int64(h)*12}
	b.Hash[0], b.Hash[1], b.Hash[2], b.Hash[3], b.Hash[31] = byte(h), byte(h>>8), byte(c), w.salt, 1
	return b
}

func (w *world) apply(b *chain.Block) []Alert {
	w.t.Helper()
	if err := w.st.ApplyBlock(b); err != nil {
		w.t.Fatalf("%s block %d: %v", b.Chain, b.Height, err)
	}
	w.parent[b.Chain] = b.Hash
	if w.down {
		return nil
	}
	if err := w.w.OnBlock(b); err != nil {
		w.t.Fatalf("%s block %d: watch: %v", b.Chain, b.Height, err)
	}
	all, err := w.db.Alerts(Filter{})
	if err != nil {
		w.t.Fatal(err)
	}
	caip2 := ethCAIP2
	if b.Chain == chain.Bitcoin {
		caip2 = btcCAIP2
	}
	var out []Alert
	for _, a := range all {
		if a.Block == b.Height && a.Chain == caip2 {
			out = append(out, a)
		}
	}
	return out
}

func rules(as []Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Rule)
	}
	slices.Sort(out)
	return out
}

const quiet = `rules:
  large_transfer: {enabled: false}
  chunking: {enabled: false}
  fan_out: {enabled: false}
`

func TestRuleSanctioned(t *testing.T) {
	w := newWorld(t, quiet+"sanctioned: [\"eth:"+eaddr(60).String()+"\"]\n")
	w.tag(chain.Ethereum, eaddr(50), "sanction")
	w.eth(xfer{0, 1, 100}, xfer{0, 2, 100})
	if as := w.eth(xfer{1, 2, 10}); len(as) != 0 {
		t.Errorf("a clean payment raised %v", rules(as))
	}
	as := w.eth(xfer{1, 50, 10}, xfer{60, 2, 5})
	if fmt.Sprint(rules(as)) != "[sanctioned sanctioned]" {
		t.Fatalf("alerts %v, want two sanctioned", rules(as))
	}
	for _, a := range as {
		if !strings.Contains(a.Explanation, "sanctioned address") || a.Severity != "high" {
			t.Errorf("%+v", a)
		}
	}
}

func TestRuleLargeTransfer(t *testing.T) {
	w := newWorld(t, `rules:
  chunking: {enabled: false}
  large_transfer:
    thresholds: [{chain: eth, asset: native, amount: 1000}]
`)
	w.eth(xfer{0, 1, 5000})
	if as := w.eth(xfer{1, 2, 999}); len(as) != 0 {
		t.Errorf("999 raised %v", rules(as))
	}
	as := w.eth(xfer{1, 3, 1000})
	if len(as) != 1 || as[0].Rule != RuleLargeTransfer || as[0].Amounts[0].Amount != "1000" {
		t.Errorf("1000 raised %+v", as)
	}
}

// TestRuleFanOut: near-equal payments to fresh addresses over two blocks
// raise the fan-out when the count reaches min_recipients, not before;
// payments to known addresses and far-off amounts do not count; the
// fan-out growing in the next block is the same alert, counted again.
func TestRuleFanOut(t *testing.T) {
	w := newWorld(t, `rules:
  large_transfer: {enabled: false}
  chunking: {enabled: false}
  fan_out: {min_recipients: 8, window: 1h, tolerance_bps: 200}
`)
	w.eth(xfer{0, 1, 1_000_000}, xfer{0, 500, 1}, xfer{0, 501, 1})
	var xs []xfer
	for i := range 5 {
		xs = append(xs, xfer{1, 100 + i, 10_000 + uint64(i)*10})
	}
	xs = append(xs, xfer{1, 500, 10_000}, xfer{1, 501, 10_000}) // known addresses
	xs = append(xs, xfer{1, 300, 30_000})                       // far from the median
	if as := w.eth(xs...); len(as) != 0 {
		t.Fatalf("5 fresh recipients raised %v", rules(as))
	}
	as := w.eth(xfer{1, 105, 9_950}, xfer{1, 106, 10_000}, xfer{1, 107, 10_100})
	if len(as) != 1 || as[0].Rule != RuleFanOut || len(as[0].Addresses) != 9 || as[0].Amounts[0].Amount != "80150" {
		t.Fatalf("8 fresh recipients raised %+v", as)
	}
	id := as[0].ID
	w.eth(xfer{1, 108, 10_000})
	a, ok, err := w.db.Alert(id)
	if err != nil || !ok || a.Count != 2 || len(a.Addresses) != 10 {
		t.Errorf("after a ninth recipient: %+v %v", a, err)
	}
	all, _ := w.db.Alerts(Filter{Rule: RuleFanOut})
	if len(all) != 1 {
		t.Errorf("%d fan-out alerts, want one", len(all))
	}
}

// TestRuleChunking: three transfers within 10% under the threshold raise
// it on the third; at the threshold or below the band they do not count.
func TestRuleChunking(t *testing.T) {
	w := newWorld(t, `rules:
  large_transfer: {enabled: false}
  fan_out: {enabled: false}
  chunking:
    thresholds: [{chain: eth, asset: native, amount: 1000}]
`)
	w.eth(xfer{0, 1, 100_000})
	if as := w.eth(xfer{1, 2, 950}, xfer{1, 3, 1000}, xfer{1, 4, 899}); len(as) != 0 {
		t.Fatalf("one chunk raised %v", rules(as))
	}
	if as := w.eth(xfer{1, 5, 990}); len(as) != 0 {
		t.Fatalf("two chunks raised %v", rules(as))
	}
	as := w.eth(xfer{1, 6, 901})
	if len(as) != 1 || as[0].Rule != RuleChunking || as[0].Amounts[0].Amount != "2841" {
		t.Fatalf("three chunks raised %+v", as)
	}
}

// TestCaseRules: a case seeded at the thief follows its taint to A and
// on to an exchange and a mixer: each move is a taint_movement, each
// heistCase is a watch file's case seeded at the thief eaddr(1) from
// block 2, which most rule tests follow.
var heistCase = "cases:\n  - name: heist\n    seeds: [\"eth:" + eaddr(1).String() + "\"]\n    start: {eth: 2}\n"

// arrival an exit; a clean user paying the same exchange raises nothing.
func TestCaseRules(t *testing.T) {
	w := newWorld(t, quiet+heistCase)
	w.tag(chain.Ethereum, eaddr(90), "exchange")
	w.tag(chain.Ethereum, eaddr(91), "mixing_service")
	w.eth(xfer{0, 7, 1000}, xfer{0, 8, 1000})
	w.eth(xfer{7, 1, 500}) // the theft
	if as := w.eth(xfer{1, 2, 400}); fmt.Sprint(rules(as)) != "[taint_movement]" {
		t.Fatalf("the split raised %v", rules(as))
	}
	as := w.eth(xfer{2, 90, 100}, xfer{2, 91, 100}, xfer{8, 90, 300})
	if fmt.Sprint(rules(as)) != "[exit exit taint_movement taint_movement]" {
		t.Fatalf("the deposits raised %v", rules(as))
	}
	cats := map[string]string{}
	for _, a := range as {
		if a.Rule == RuleExit {
			cats[a.Category] = a.Amounts[0].Amount
			if a.Case != "heist" || (a.Category == "exchange") != (a.Severity == "critical") {
				t.Errorf("exit %+v", a)
			}
		}
	}
	if cats["exchange"] != "100" || cats["mixing_service"] != "100" {
		t.Errorf("exits %v", cats)
	}
}

func btcAddr(t *testing.T, n int) chain.Address {
	h := make([]byte, 20)
	h[0], h[19] = 0x42, byte(n)
	a, err := address.NewAddressWitnessPubKeyHash(h, &chaincfg.MainNetParams)
	if err != nil {
		t.Fatal(err)
	}
	return chain.Address{Chain: chain.Bitcoin, Raw: a.EncodeAddress()}
}

// btc stores one Bitcoin block of txs (inputs resolved, transfers derived).
func (w *world) btc(txs ...chain.Tx) []Alert {
	w.t.Helper()
	b := w.next(chain.Bitcoin)
	for i := range txs {
		txs[i].Index, txs[i].Success = uint32(i), true
		txs[i].Hash = txHash(b.Height, i)
		txs[i].Hash[4] = 0xb
	}
	b.Txs = txs
	if err := w.st.ResolveInputs(b); err != nil {
		w.t.Fatal(err)
	}
	if err := chain.UTXOTransfers(b); err != nil {
		w.t.Fatal(err)
	}
	return w.apply(b)
}

// TestCrossChainJoin: a tainted router deposit on Ethereum whose memo
// names a Bitcoin address raises router_memo, and that address joins the
// case on Bitcoin: when it later pays an exchange there, the exit is the
// case's.
func TestCrossChainJoin(t *testing.T) {
	w := newWorld(t, quiet+heistCase)
	if err := w.st.Bind(chain.Bitcoin, chain.Network{CAIP2: btcCAIP2, Genesis: "test"}); err != nil {
		t.Fatal(err)
	}
	dest, exch, other := btcAddr(t, 1), btcAddr(t, 2), btcAddr(t, 3)
	w.tag(chain.Bitcoin, exch, "exchange")
	w.btc(chain.Tx{Coinbase: true, Outputs: []chain.Output{{Address: other, Value: 50_0000_0000}}})
	w.eth(xfer{0, 7, 1000})
	w.eth(xfer{7, 1, 500})
	// The deposit: the thief pays the router, the router the vault, and
	// the router's Deposit event carries the memo.
	router, vault := eaddr(70), eaddr(71)
	b := w.next(chain.Ethereum)
	h := txHash(b.Height, 0)
	b.Txs = []chain.Tx{{Hash: h, Success: true}}
	b.Transfers = []chain.Transfer{
		{Block: b.Height, TxHash: h, Seq: 0, Kind: chain.KindNative, From: eaddr(1), To: router, Asset: chain.NativeAsset, Amount: *uint256.NewInt(300)},
		{Block: b.Height, TxHash: h, Seq: 1, Kind: chain.KindInternal, From: router, To: vault, Asset: chain.NativeAsset, Amount: *uint256.NewInt(300)},
	}
	b.Memos = []chain.Memo{{Kind: chain.MemoRouterDeposit, Contract: router, From: eaddr(1), To: vault, Asset: chain.NativeAsset, Amount: *uint256.NewInt(300), Text: "=:b:" + dest.Raw}}
	as := w.apply(b)
	var memo *Alert
	for i := range as {
		if as[i].Rule == RuleRouterMemo {
			memo = &as[i]
		}
	}
	if memo == nil || !slices.Contains(memo.Addresses, dest.Raw) || memo.Case != "heist" || !strings.Contains(memo.Explanation, dest.Raw) {
		t.Fatalf("the deposit raised %+v", as)
	}
	st, err := w.db.caseStateOf("heist", chain.Bitcoin)
	if err != nil || st == nil || len(st.Joins) != 1 || st.Joins[0].Address != dest.Raw {
		t.Fatalf("bitcoin case state %+v %v", st, err)
	}
	// The bridge pays the destination; the destination pays an exchange.
	cb := w.height[chain.Bitcoin]
	w.btc(chain.Tx{Inputs: []chain.Input{{PrevTx: withB(txHash(cb, 0))}}, Outputs: []chain.Output{{Address: dest, Value: 1_0000_0000}, {Address: other, Value: 48_0000_0000}}})
	pay := txHash(w.height[chain.Bitcoin], 0)
	pay[4] = 0xb
	as = w.btc(chain.Tx{Inputs: []chain.Input{{PrevTx: pay, PrevIndex: 0}}, Outputs: []chain.Output{{Address: exch, Value: 9000_0000}}})
	var exit *Alert
	for i := range as {
		if as[i].Rule == RuleExit {
			exit = &as[i]
		}
	}
	if exit == nil || exit.Case != "heist" || exit.Category != "exchange" || exit.Chain != btcCAIP2 || !slices.Contains(exit.Addresses, exch.Raw) {
		t.Fatalf("the exchange deposit on bitcoin raised %+v", as)
	}
}

func withB(h chain.Hash) chain.Hash { h[4] = 0xb; return h }

// TestReorg: after the store rolls back and another branch is applied,
// the watcher traces the case again from its start: an address tainted
// only on the abandoned branch is clean on the new one, so its deposit at
// an exchange raises no exit.
func TestReorg(t *testing.T) {
	w := newWorld(t, quiet+heistCase)
	w.tag(chain.Ethereum, eaddr(90), "exchange")
	w.eth(xfer{0, 7, 1000}, xfer{0, 2, 1000})
	w.eth(xfer{7, 1, 500})
	w.eth(xfer{1, 2, 400})
	if as := w.eth(xfer{2, 90, 100}); fmt.Sprint(rules(as)) != "[exit taint_movement]" {
		t.Fatalf("on the first branch: %v", rules(as))
	}
	if err := w.st.Rollback(chain.Ethereum, 2); err != nil {
		t.Fatal(err)
	}
	w.height[chain.Ethereum] = 2
	w.parent[chain.Ethereum], _, _ = w.st.BlockHash(chain.Ethereum, 2)
	w.salt = 1
	// Alerts of the abandoned branch stay; those of the new one are told
	// apart by their transactions.
	onBranch := func(as []Alert, h uint64) []Alert {
		tx := txHash(h, 0)
		tx[5] = 1
		var out []Alert
		for _, a := range as {
			if a.Tx == chain.Ethereum.FormatHash(tx) {
				out = append(out, a)
			}
		}
		return out
	}
	if as := onBranch(w.eth(xfer{1, 3, 400}), 3); fmt.Sprint(rules(as)) != "[taint_movement]" || !slices.Contains(as[0].Addresses, eaddr(3).String()) {
		t.Fatalf("block 3 of the new branch: %+v", as)
	}
	if as := onBranch(w.eth(xfer{2, 90, 100}), 4); len(as) != 0 {
		t.Errorf("a clean deposit on the new branch raised %+v", as)
	}
	cur, _, _ := w.db.Cursor(chain.Ethereum)
	if cur.Height != 4 {
		t.Errorf("cursor %+v", cur)
	}
}

// TestCatchUpAfterCrash: a block the store committed but the watcher never
// saw (the process died between the two commits) is evaluated when the
// watcher starts again, and evaluating it twice raises nothing twice.
func TestCatchUpAfterCrash(t *testing.T) {
	w := newWorld(t, quiet+heistCase)
	w.tag(chain.Ethereum, eaddr(90), "exchange")
	w.eth(xfer{0, 7, 1000})
	w.eth(xfer{7, 1, 500})
	b := w.next(chain.Ethereum)
	h := txHash(b.Height, 0)
	b.Txs = []chain.Tx{{Hash: h, Success: true}}
	b.Transfers = []chain.Transfer{{Block: b.Height, TxHash: h, Kind: chain.KindNative, From: eaddr(1), To: eaddr(90), Asset: chain.NativeAsset, Amount: *uint256.NewInt(300)}}
	if err := w.st.ApplyBlock(b); err != nil { // committed; the hook never ran
		t.Fatal(err)
	}
	w.parent[chain.Ethereum] = b.Hash
	again := New(w.st, w.ix, w.w.cfg, w.db, Options{})
	for range 2 {
		if err := again.CatchUp(t.Context(), chain.Ethereum); err != nil {
			t.Fatal(err)
		}
	}
	exits, _ := w.db.Alerts(Filter{Rule: RuleExit})
	if len(exits) != 1 || exits[0].Block != 3 || exits[0].Count != 1 {
		t.Fatalf("exits after catching up: %+v", exits)
	}
	q, _ := w.db.Queue("stdout", false)
	if len(q) != 2 { // the exit and the movement, once each
		t.Errorf("%d deliveries queued, want 2", len(q))
	}
}

// TestRuleFanOutService: a sender busier than max_sender_transfers in the
// window is taken for a service and not checked.
func TestRuleFanOutService(t *testing.T) {
	w := newWorld(t, `rules:
  large_transfer: {enabled: false}
  chunking: {enabled: false}
  fan_out: {min_recipients: 4, max_sender_transfers: 5}
`)
	w.eth(xfer{0, 1, 1_000_000}, xfer{0, 2, 1_000_000})
	if as := w.eth(xfer{1, 100, 10}, xfer{1, 101, 10}, xfer{1, 102, 10}, xfer{1, 103, 10}, xfer{1, 104, 10}, xfer{1, 105, 10}); len(as) != 0 {
		t.Errorf("a busy sender raised %v", rules(as))
	}
	if as := w.eth(xfer{2, 200, 10}, xfer{2, 201, 10}, xfer{2, 202, 10}, xfer{2, 203, 10}); fmt.Sprint(rules(as)) != "[fan_out]" {
		t.Errorf("a quiet sender raised %v", rules(as))
	}
}

// unwrap stores a block in which holder sends tokens to nobody and the
// token contract pays it ether back (a WETH-style unwrap).
func (w *world) unwrap(holder, token int, amount uint64) []Alert {
	w.t.Helper()
	b := w.next(chain.Ethereum)
	h := txHash(b.Height, 0)
	asset := chain.Asset{Kind: chain.ERC20, Contract: eaddr(token)}
	b.Txs = []chain.Tx{{Hash: h, Success: true}}
	b.Transfers = []chain.Transfer{
		{Block: b.Height, TxHash: h, Seq: 0, Kind: chain.KindToken, From: eaddr(holder), Asset: asset, Amount: *uint256.NewInt(amount)},
		{Block: b.Height, TxHash: h, Seq: 1, Kind: chain.KindInternal, From: eaddr(token), To: eaddr(holder), Asset: chain.NativeAsset, Amount: *uint256.NewInt(amount)},
	}
	return w.apply(b)
}

// TestRuleTokenSwap: the case's thief unwrapping its stolen staking token
// into ether raises token_swap; a clean holder doing the same does not;
// nor does the thief once its taint is older than fresh_within.
func TestRuleTokenSwap(t *testing.T) {
	for _, tc := range []struct {
		fresh string
		idle  int
		want  string
	}{{"1h", 0, "[token_swap]"}, {"1m", 10, "[]"}} {
		w := newWorld(t, quiet+"  token_swap: {fresh_within: "+tc.fresh+`}
`+heistCase)
		token := chain.Asset{Kind: chain.ERC20, Contract: eaddr(80)}
		b := w.next(chain.Ethereum)
		h := txHash(b.Height, 0)
		b.Txs = []chain.Tx{{Hash: h, Success: true}}
		b.Transfers = []chain.Transfer{{Block: b.Height, TxHash: h, Kind: chain.KindToken, To: eaddr(7), Asset: token, Amount: *uint256.NewInt(1000)},
			{Block: b.Height, TxHash: h, Seq: 1, Kind: chain.KindToken, To: eaddr(8), Asset: token, Amount: *uint256.NewInt(1000)},
			{Block: b.Height, TxHash: h, Seq: 2, Kind: chain.KindNative, To: eaddr(80), Asset: chain.NativeAsset, Amount: *uint256.NewInt(5000)}}
		w.apply(b)
		b = w.next(chain.Ethereum) // the theft of the tokens
		h = txHash(b.Height, 0)
		b.Txs = []chain.Tx{{Hash: h, Success: true}}
		b.Transfers = []chain.Transfer{{Block: b.Height, TxHash: h, Kind: chain.KindToken, From: eaddr(7), To: eaddr(1), Asset: token, Amount: *uint256.NewInt(1000)}}
		w.apply(b)
		for range tc.idle {
			w.eth()
		}
		if as := w.unwrap(8, 80, 500); len(as) != 0 {
			t.Errorf("fresh_within %s: a clean unwrap raised %v", tc.fresh, rules(as))
		}
		as := w.unwrap(1, 80, 600)
		if fmt.Sprint(rules(as)) != tc.want {
			t.Errorf("fresh_within %s, %d idle blocks: the thief's unwrap raised %v, want %s", tc.fresh, tc.idle, rules(as), tc.want)
		}
	}
}

// TestExitPerTransaction: two tainted deposits reaching the same exchange
// in one block are two exits, each with its own transaction and amount: a
// freeze request names the deposit, so an alert that lumped them under
// the first transaction would leave the second unreported.
func TestExitPerTransaction(t *testing.T) {
	w := newWorld(t, quiet+heistCase)
	w.tag(chain.Ethereum, eaddr(90), "exchange")
	w.eth(xfer{0, 7, 1000})
	w.eth(xfer{7, 1, 500}) // the theft
	w.eth(xfer{1, 2, 200}, xfer{1, 3, 200})
	as := w.eth(xfer{2, 90, 100}, xfer{3, 90, 150})
	var exits []Alert
	for _, a := range as {
		if a.Rule == RuleExit {
			exits = append(exits, a)
		}
	}
	if len(exits) != 2 {
		t.Fatalf("two deposits raised %d exit alerts: %+v", len(exits), exits)
	}
	txs := map[string]string{}
	for _, a := range exits {
		txs[a.Tx] = a.Amounts[0].Amount
	}
	if len(txs) != 2 || !slices.Contains(slices.Collect(maps.Values(txs)), "100") || !slices.Contains(slices.Collect(maps.Values(txs)), "150") {
		t.Errorf("exit alerts by tx: %v", txs)
	}
}

// TestReorgOrphans: an alert raised on a block that a reorganisation
// abandons is marked orphaned (its transaction may never be final); one
// whose transaction the new branch carries again is raised again, at its
// new block, and is no longer orphaned.
func TestReorgOrphans(t *testing.T) {
	w := newWorld(t, quiet+heistCase)
	w.tag(chain.Ethereum, eaddr(90), "exchange")
	w.tag(chain.Ethereum, eaddr(91), "mixing_service")
	w.eth(xfer{0, 7, 1000})
	w.eth(xfer{7, 1, 500})
	w.eth(xfer{1, 2, 400}) // block 3: stays on the new branch as it is
	stay := w.eth(xfer{2, 90, 100})
	gone := w.eth(xfer{2, 91, 100})
	if len(stay) != 2 || len(gone) != 2 {
		t.Fatalf("before the reorganisation: %v %v", rules(stay), rules(gone))
	}
	// Acknowledged before the reorganisation: the marks keep the status.
	for _, a := range []Alert{stay[0], gone[0]} {
		if _, err := w.db.SetStatus(a.ID, StatusAcknowledged, "exchange called"); err != nil {
			t.Fatal(err)
		}
	}
	queued := func() int { q, _ := w.db.Queue("stdout", false); return len(q) }
	before := queued()
	w.reorgTo(chain.Ethereum, 3)
	// The new branch: an empty block 4, then block 4's deposit again (the
	// same transaction) in block 5; block 5's mixer deposit never returns.
	w.eth()
	b := w.next(chain.Ethereum)
	h := txHash(4, 0) // block 4's deposit, carried by block 5 now
	b.Txs = []chain.Tx{{Hash: h, Success: true}}
	b.Transfers = []chain.Transfer{{Block: b.Height, TxHash: h, Kind: chain.KindNative, From: eaddr(2), To: eaddr(90), Asset: chain.NativeAsset, Amount: *uint256.NewInt(100)}}
	w.apply(b)
	for _, a := range stay {
		got, _, _ := w.db.Alert(a.ID)
		if got.Orphaned || got.Block != 5 {
			t.Errorf("%s carried again in block 5: orphaned %v, block %d", a.Rule, got.Orphaned, got.Block)
		}
	}
	for _, a := range gone {
		if got, _, _ := w.db.Alert(a.ID); !got.Orphaned {
			t.Errorf("%s of the abandoned block 5 is not marked orphaned: %+v", a.Rule, got)
		}
	}
	early, _ := w.db.Alerts(Filter{})
	for _, a := range early {
		if a.Block <= 3 && a.Orphaned {
			t.Errorf("%s of block %d, below the fork, is marked orphaned", a.Rule, a.Block)
		}
	}
	for _, a := range []Alert{stay[0], gone[0]} {
		if got, _, _ := w.db.Alert(a.ID); got.Status != StatusAcknowledged || got.Note != "exchange called" {
			t.Errorf("%s acknowledged before the reorganisation: status %s, note %q", a.Rule, got.Status, got.Note)
		}
	}
	// Raised again, nothing is delivered again.
	if n := queued(); n != before {
		t.Errorf("%d deliveries queued after the reorganisation, %d before", n, before)
	}
	// The mark is in the alert's JSON (the API's and the sinks' form).
	got, _, _ := w.db.Alert(gone[0].ID)
	if b, _ := json.Marshal(got); !strings.Contains(string(b), `"orphaned":true`) {
		t.Errorf("JSON of an orphaned alert: %s", b)
	}
}

// TestReorgFreezable: the case's first move in a freezable token raises
// an exit (category freezable_token) once; when a reorganisation
// abandons its block and the new branch carries the same transaction
// later, the alert moves there and is no longer orphaned. The rule's
// memory of the tokens already reported was kept across the
// reorganisation: the trace from the start found the move again but the
// alert was not raised again, so it stayed orphaned though its
// transaction was final.
func TestReorgFreezable(t *testing.T) {
	w := newWorld(t, quiet+heistCase)
	usdt, err := chain.ParseAddress(chain.Ethereum, "0xdac17f958d2ee523a2206206994597c13d831ec7")
	if err != nil {
		t.Fatal(err)
	}
	token := chain.Asset{Kind: chain.ERC20, Contract: usdt}
	pay := func(tx chain.Hash, from, to int, amount uint64) []Alert {
		b := w.next(chain.Ethereum)
		b.Txs = []chain.Tx{{Hash: tx, Success: true}}
		tr := chain.Transfer{Block: b.Height, TxHash: tx, Kind: chain.KindToken, To: eaddr(to), Asset: token, Amount: *uint256.NewInt(amount)}
		if from != 0 {
			tr.From = eaddr(from)
		}
		b.Transfers = []chain.Transfer{tr}
		return w.apply(b)
	}
	pay(txHash(1, 0), 0, 7, 1000)
	pay(txHash(2, 0), 7, 1, 1000) // the theft
	move := txHash(3, 0)
	var frz []Alert
	for _, a := range pay(move, 1, 2, 600) {
		if a.Category == "freezable_token" {
			frz = append(frz, a)
		}
	}
	if len(frz) != 1 {
		t.Fatalf("the first move in USDT raised %d freezable_token alerts", len(frz))
	}
	w.reorgTo(chain.Ethereum, 2)
	w.eth()              // 3': empty
	pay(move, 1, 2, 600) // 4': the same transaction
	got, _, _ := w.db.Alert(frz[0].ID)
	if got.Orphaned || got.Block != 4 {
		t.Errorf("freezable_token alert carried again in block 4: orphaned %v, block %d", got.Orphaned, got.Block)
	}
	if all, _ := w.db.Alerts(Filter{Rule: RuleExit}); len(all) != 1 {
		t.Errorf("%d exit alerts, want the one", len(all))
	}
}

// reorgTo rolls the store back to block h of chain c, as the ingester
// does on a reorganisation, and makes the next blocks a new branch.
func (w *world) reorgTo(c chain.Chain, h uint64) {
	w.t.Helper()
	if err := w.st.Rollback(c, h); err != nil {
		w.t.Fatal(err)
	}
	w.height[c] = h
	w.parent[c], _, _ = w.st.BlockHash(c, h)
	w.salt++
}

// TestCatchUpDeepReorg: a reorganisation several blocks deep happens
// while the watcher is down (the store is rolled back below the
// watcher's cursor and a longer branch ingested). On start the watcher
// finds the fork point, marks every alert of the abandoned blocks
// orphaned and evaluates every block of the new branch. Checking only
// the block at its cursor, it took the new branch's lower blocks for
// the ones it had seen: their alerts were never raised and the
// abandoned ones never marked.
func TestCatchUpDeepReorg(t *testing.T) {
	w := newWorld(t, quiet+"sanctioned: [\"eth:"+eaddr(60).String()+"\"]\n")
	w.eth(xfer{0, 1, 1000}, xfer{0, 2, 1000})
	w.eth(xfer{1, 3, 10})
	old3 := w.eth(xfer{1, 60, 10}) // block 3: sanctioned
	old4 := w.eth(xfer{2, 60, 10}) // block 4: sanctioned
	w.eth()                        // block 5
	if len(old3) != 1 || len(old4) != 1 {
		t.Fatalf("first branch: %v %v", rules(old3), rules(old4))
	}
	// The watcher stops; the node reorganises from block 2; ingestion goes
	// on without it up to block 6.
	w.down = true
	w.reorgTo(chain.Ethereum, 2)
	w.eth(xfer{2, 60, 7}) // block 3': sanctioned, another transaction
	w.eth()               // 4'
	w.eth(xfer{1, 60, 5}) // 5': sanctioned
	w.eth()               // 6'
	again := New(w.st, w.ix, w.w.cfg, w.db, Options{})
	if err := again.CatchUp(t.Context(), chain.Ethereum); err != nil {
		t.Fatal(err)
	}
	cur, _, _ := w.db.Cursor(chain.Ethereum)
	if h, _, _ := w.st.BlockHash(chain.Ethereum, 6); cur.Height != 6 || cur.Hash != h.String() {
		t.Errorf("cursor %+v, want block 6 %s", cur, h)
	}
	for _, old := range [][]Alert{old3, old4} {
		if a, _, _ := w.db.Alert(old[0].ID); !a.Orphaned {
			t.Errorf("block %d's alert of the abandoned branch is not marked orphaned", a.Block)
		}
	}
	all, _ := w.db.Alerts(Filter{Rule: RuleSanctioned})
	for _, h := range []uint64{3, 5} {
		tx := txHash(h, 0)
		tx[5] = w.salt
		if !slices.ContainsFunc(all, func(a Alert) bool {
			return a.Block == h && a.Tx == chain.Ethereum.FormatHash(tx) && !a.Orphaned
		}) {
			t.Errorf("block %d of the new branch: its sanctioned payment raised no alert", h)
		}
	}
}

// TestReorgSwapFreshness: token_swap's freshness counts from when the
// case's taint reached the address on the chain as it is. An address
// tainted only on an abandoned branch and tainted again later on the new
// one swaps fresh taint: the alert is raised. The time the abandoned
// branch tainted it was kept, and the swap taken for one of old taint.
func TestReorgSwapFreshness(t *testing.T) {
	w := newWorld(t, quiet+`  token_swap: {fresh_within: 1m}
`+heistCase)
	b := w.next(chain.Ethereum) // block 1: 2 holds a staking token
	h := txHash(b.Height, 0)
	b.Txs = []chain.Tx{{Hash: h, Success: true}}
	b.Transfers = []chain.Transfer{
		{Block: 1, TxHash: h, Kind: chain.KindToken, To: eaddr(2), Asset: chain.Asset{Kind: chain.ERC20, Contract: eaddr(80)}, Amount: *uint256.NewInt(1000)},
		{Block: 1, TxHash: h, Seq: 1, Kind: chain.KindNative, To: eaddr(7), Asset: chain.NativeAsset, Amount: *uint256.NewInt(5000)},
		{Block: 1, TxHash: h, Seq: 2, Kind: chain.KindNative, To: eaddr(80), Asset: chain.NativeAsset, Amount: *uint256.NewInt(5000)}}
	w.apply(b)
	w.eth(xfer{7, 1, 1000}) // block 2: the theft
	w.eth(xfer{1, 2, 100})  // block 3: 2 tainted, on a branch the node abandons
	w.reorgTo(chain.Ethereum, 2)
	for range 7 { // 84 s of blocks without the payment
		w.eth()
	}
	w.eth(xfer{1, 2, 100}) // block 10: 2 tainted on the new branch
	if as := w.unwrap(2, 80, 500); fmt.Sprint(rules(as)) != "[token_swap]" {
		t.Errorf("a swap 12 s after the address was tainted raised %v, want token_swap", rules(as))
	}
}
