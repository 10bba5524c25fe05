package trace

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

func openStore(t *testing.T) *store.DB {
	t.Helper()
	s, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func txHash(name string) chain.Hash {
	var h chain.Hash
	copy(h[:], name)
	return h
}

func btc(name string) chain.Address { return chain.Address{Chain: chain.Bitcoin, Raw: name} }

func pay(to string, v int64) chain.Output {
	if to == "" {
		return chain.Output{Value: v}
	}
	return chain.Output{Address: btc(to), Value: v}
}

func outpt(tx string, vout uint32) Outpoint { return Outpoint{txHash(tx), vout} }

// utxoChain applies Bitcoin-like blocks to a real store, as ingest does:
// inputs resolved by the store, transfers derived by chain.UTXOTransfers.
type utxoChain struct {
	t      *testing.T
	s      *store.DB
	height uint64
	parent chain.Hash
}

func newUTXOChain(t *testing.T) *utxoChain { return &utxoChain{t: t, s: openStore(t)} }

// block applies one block: a coinbase paying outs, then txs, each given as
// its name, the outpoints it spends and its outputs.
func (c *utxoChain) block(coinbase string, outs []chain.Output, txs ...chain.Tx) {
	c.t.Helper()
	c.blockMemos(nil, coinbase, outs, txs...)
}

// blockMemos applies a block whose transactions also carry memos
// (OP_RETURN text).
func (c *utxoChain) blockMemos(memos []chain.Memo, coinbase string, outs []chain.Output, txs ...chain.Tx) {
	c.t.Helper()
	c.height++
	b := &chain.Block{Chain: chain.Bitcoin, Height: c.height, Hash: txHash(fmt.Sprintf("block-%d", c.height)), Parent: c.parent, Time: int64(c.height)}
	b.Txs = append([]chain.Tx{{Hash: txHash(coinbase), Coinbase: true, Outputs: outs}}, txs...)
	for i := range b.Txs {
		b.Txs[i].Index, b.Txs[i].Success = uint32(i), true
	}
	if err := c.s.ResolveInputs(b); err != nil {
		c.t.Fatalf("block %d: %v", c.height, err)
	}
	if err := chain.UTXOTransfers(b); err != nil {
		c.t.Fatal(err)
	}
	b.Memos = memos
	if err := c.s.ApplyBlock(b); err != nil {
		c.t.Fatalf("block %d: %v", c.height, err)
	}
	c.parent = b.Hash
}

func utx(name string, ins []Outpoint, outs ...chain.Output) chain.Tx {
	tx := chain.Tx{Hash: txHash(name), Outputs: outs}
	for _, o := range ins {
		tx.Inputs = append(tx.Inputs, chain.Input{PrevTx: o.Tx, PrevIndex: o.Vout})
	}
	return tx
}

// mergePeel: the thief's 60 and a clean 40 merge into A 70 + B 25 (fee 5);
// then A peels 10 to D (fee 1) and A2 peels 10 to E (fee 1).
func mergePeel(t *testing.T) *utxoChain {
	c := newUTXOChain(t)
	c.block("c1", []chain.Output{pay("thief", 60), pay("x", 40)})
	c.block("c2", []chain.Output{pay("miner", 1)}, utx("m", []Outpoint{outpt("c1", 1), outpt("c1", 0)}, pay("A", 70), pay("B", 25)))
	c.block("c3", []chain.Output{pay("miner", 1)}, utx("p1", []Outpoint{outpt("m", 0)}, pay("D", 10), pay("A2", 59)))
	c.block("c4", []chain.Output{pay("miner", 1)}, utx("p2", []Outpoint{outpt("p1", 1)}, pay("E", 10), pay("A3", 48)))
	return c
}

// summary renders holdings as "addr=amount" (with the bound, if any) for
// comparing with hand-computed cases.
func summary(hs []Holding) string {
	var out []string
	for _, h := range hs {
		name := h.Address.Raw
		if h.Address.Chain == chain.Ethereum {
			name = fmt.Sprintf("a%d", name[19])
		}
		s := fmt.Sprintf("%s=%s", name, h.Amount.Dec())
		if h.Stop != 0 {
			s += "/" + h.Stop.String()
		}
		out = append(out, s)
	}
	return fmt.Sprint(out)
}

func total(as []AssetAmount) string {
	if len(as) == 0 {
		return "0"
	}
	var out []string
	for _, a := range as {
		out = append(out, a.Amount.Dec())
	}
	return fmt.Sprint(out)
}

func TestTraceUTXOMergePeel(t *testing.T) {
	c := mergePeel(t)
	for _, tc := range []struct {
		m              Model
		b              Bounds
		frontier, stop string
		fees           string
		reach          []int
	}{
		// FIFO: the clean 40 comes first, so A holds satoshis 40..69 of the
		// merge: 30 tainted; B 25; the fee 5. The peels take tainted satoshis first.
		{m: FIFO, frontier: "[A3=10 B=25 D=10 E=10]", stop: "[]", fees: "[5]", reach: []int{1, 2, 2, 2}},
		// Haircut: 60/100 of the merge; cumulative shares round to 42, 57, 60.
		// p1: 42/70 of 10, 69, 70 → 6, 41, 42. p2: 35/59 of 10, 58, 59 → 6, 34, 35.
		{m: Haircut, frontier: "[A3=28 B=15 D=6 E=6]", stop: "[]", fees: "[5]", reach: []int{1, 2, 2, 2}},
		// TIHO: the largest output A takes all 60; then A2 (59) before D
		// (1 left); A2 is wholly tainted, so E 10, A3 48 and the fee 1.
		{m: TIHO, frontier: "[A3=48 D=1 E=10]", stop: "[]", fees: "[1]", reach: []int{1, 1, 2, 2}},
		{m: Poison, frontier: "[A3=48 B=25 D=10 E=10]", stop: "[]", fees: "[7]", reach: []int{1, 2, 2, 2}},
		// Two hops: p2 (hop 3) is not computed; A2's taint stays there.
		{m: FIFO, b: Bounds{MaxHops: 2}, frontier: "[B=25 D=10]", stop: "[A2=20/max-hops]", fees: "[5]", reach: []int{1, 2, 2}},
		{m: FIFO, b: Bounds{Until: 3, HasUntil: true}, frontier: "[B=25 D=10]", stop: "[A2=20/until]", fees: "[5]", reach: []int{1, 2, 2}},
		{m: FIFO, b: Bounds{MinAmount: *uint256.NewInt(15)}, frontier: "[B=25]", stop: "[A3=10/min-amount D=10/min-amount E=10/min-amount]", fees: "[5]", reach: []int{1, 2, 2, 2}},
	} {
		t.Run(fmt.Sprintf("%s/%+v", tc.m, tc.b), func(t *testing.T) {
			r, err := TraceUTXO(c.s, chain.Bitcoin, tc.m, tc.b, []UTXOSeed{{Outpoint: outpt("c1", 0)}})
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(r.Frontier); got != tc.frontier {
				t.Errorf("frontier %s, want %s", got, tc.frontier)
			}
			if got := summary(r.Stopped); got != tc.stop {
				t.Errorf("stopped %s, want %s", got, tc.stop)
			}
			if got := total(r.Fees); got != tc.fees {
				t.Errorf("fees %s, want %s", got, tc.fees)
			}
			if !slices.Equal(r.Reach, tc.reach) {
				t.Errorf("reach %v, want %v", r.Reach, tc.reach)
			}
			if tc.m != Poison {
				checkConserved(t, r)
			}
		})
	}
}

// checkConserved: per asset, seeded == frontier + stopped + fees + burns
// + stopped exits (+ minted, going backward).
func checkConserved(t *testing.T, r *Result) {
	t.Helper()
	sums := map[chain.Asset]*uint256.Int{}
	add := func(a chain.Asset, v *uint256.Int) {
		if sums[a] == nil {
			sums[a] = new(uint256.Int)
		}
		sums[a].Add(sums[a], v)
	}
	for _, h := range slices.Concat(r.Frontier, r.Stopped) {
		add(h.Asset, &h.Amount)
	}
	for _, a := range slices.Concat(r.Fees, r.Burns, r.Minted) {
		add(a.Asset, &a.Amount)
	}
	for _, e := range r.Exits {
		if e.Followed.Gt(&e.Amount) || (!e.Stopped && !e.Followed.Eq(&e.Amount)) {
			t.Fatalf("exit %+v: followed %s of %s", e, e.Followed.Dec(), e.Amount.Dec())
		}
		add(e.Asset, new(uint256.Int).Sub(&e.Amount, &e.Followed)) // what stopped there
	}
	for _, a := range r.SwappedOut {
		add(a.Asset, &a.Amount)
	}
	in := map[chain.Asset]*uint256.Int{}
	for _, a := range slices.Concat(r.Seeded, r.SwappedIn) {
		if in[a.Asset] == nil {
			in[a.Asset] = new(uint256.Int)
		}
		in[a.Asset].Add(in[a.Asset], &a.Amount)
	}
	for asset, v := range in {
		s := AssetAmount{asset, *v}
		if got := sums[s.Asset]; got == nil || !got.Eq(&s.Amount) {
			t.Fatalf("asset %v: seeded %s, frontier+stopped+fees+burns %v", s.Asset, s.Amount.Dec(), got)
		}
		delete(sums, s.Asset)
	}
	for a, v := range sums {
		if !v.IsZero() {
			t.Fatalf("asset %v: %s taint out of nothing", a, v.Dec())
		}
	}
}

// TestTraceUTXOSplit: 10 of a 50 output is seeded; the spend splits it
// into A 20, B 20, an OP_RETURN of 5 and a fee of 5. Haircut gives each
// sink a fifth, cumulative 4, 8, 9, 10; FIFO puts all 10 into A.
func TestTraceUTXOSplit(t *testing.T) {
	c := newUTXOChain(t)
	c.block("c1", []chain.Output{pay("thief", 50)})
	c.block("c2", []chain.Output{pay("miner", 1)}, utx("s", []Outpoint{outpt("c1", 0)}, pay("A", 20), pay("B", 20), pay("", 5)))
	seeds := []UTXOSeed{{Outpoint: outpt("c1", 0), Amount: 10}}
	for _, tc := range []struct {
		m                     Model
		frontier, burns, fees string
	}{
		{FIFO, "[A=10]", "0", "0"},
		{Haircut, "[A=4 B=4]", "[1]", "[1]"},
	} {
		r, err := TraceUTXO(c.s, chain.Bitcoin, tc.m, Bounds{}, seeds)
		if err != nil {
			t.Fatal(err)
		}
		if got := summary(r.Frontier) + total(r.Burns) + total(r.Fees); got != tc.frontier+tc.burns+tc.fees {
			t.Errorf("%s: frontier, burns, fees %s, want %s", tc.m, got, tc.frontier+tc.burns+tc.fees)
		}
		checkConserved(t, r)
	}
}

// TestTraceUTXOTwoTaintedInputs: a transaction spending two tainted
// outputs is computed once, with both: three flows (A, B, fee), not six.
func TestTraceUTXOTwoTaintedInputs(t *testing.T) {
	c := mergePeel(t)
	r, err := TraceUTXO(c.s, chain.Bitcoin, FIFO, Bounds{MaxHops: 1}, []UTXOSeed{{Outpoint: outpt("c1", 0)}, {Outpoint: outpt("c1", 1)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Flows) != 3 || r.Flows[0].From != btc("x") || r.Flows[0].Hop != 1 {
		t.Fatalf("flows %+v", r.Flows)
	}
	if got := summary(r.Frontier) + summary(r.Stopped); got != "[B=25][A=70/max-hops]" {
		t.Fatalf("frontier and stopped %s", got)
	}
	checkConserved(t, r)
}

func TestTraceUTXOBadSeeds(t *testing.T) {
	c := mergePeel(t)
	for _, tc := range []struct {
		seeds []UTXOSeed
		m     Model
	}{
		{[]UTXOSeed{{Outpoint: outpt("nowhere", 0)}}, FIFO},
		{[]UTXOSeed{{Outpoint: outpt("c1", 0), Amount: 61}}, FIFO},
		{[]UTXOSeed{{Outpoint: outpt("c1", 0)}, {Outpoint: outpt("c1", 0)}}, FIFO},
		{[]UTXOSeed{{Outpoint: outpt("c1", 0)}}, Model(9)},
	} {
		if _, err := TraceUTXO(c.s, chain.Bitcoin, tc.m, Bounds{}, tc.seeds); err == nil {
			t.Errorf("seeds %v under %s: no error", tc.seeds, tc.m)
		}
	}
}

// TestTraceUTXOConservesOnRandomGraphs: random small UTXO chains (fixed
// seeds), random seeds and bounds; FIFO, haircut and TIHO conserve taint
// exactly, and every address they taint, poison taints too.
func TestTraceUTXOConservesOnRandomGraphs(t *testing.T) {
	flows := 0
	defer func() {
		if flows < 50 {
			t.Errorf("only %d flows over all graphs: the graphs exercise little", flows)
		}
	}()
	for g := range 20 {
		rng := rand.New(rand.NewPCG(uint64(g), 12))
		c, outs := randomUTXOChain(t, rng)
		var seeds []UTXOSeed
		for _, k := range rng.Perm(min(len(outs), 6))[:1+rng.IntN(3)] { // early outputs: they have a future
			seeds = append(seeds, UTXOSeed{Outpoint: outs[k].op, Amount: rng.Int64N(outs[k].value + 1)})
		}
		b := Bounds{MaxHops: rng.IntN(5), MinAmount: *uint256.NewInt(uint64(rng.IntN(3) * 50))}
		if rng.IntN(2) == 0 {
			b.Until, b.HasUntil = uint64(2+rng.IntN(6)), true
		}
		poison, err := TraceUTXO(c.s, chain.Bitcoin, Poison, b, seeds)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []Model{FIFO, Haircut, TIHO} {
			r, err := TraceUTXO(c.s, chain.Bitcoin, m, b, seeds)
			if err != nil {
				t.Fatalf("graph %d %s: %v", g, m, err)
			}
			checkConserved(t, r)
			flows += len(r.Flows)
			for _, f := range r.Flows {
				if !f.To.None() && !slices.ContainsFunc(poison.Flows, func(p Flow) bool { return p.Tx == f.Tx && p.Seq == f.Seq }) {
					t.Fatalf("graph %d: %s taints %s:%d, poison does not", g, m, f.Tx, f.Seq)
				}
			}
		}
	}
}

type randomOutput struct {
	op    Outpoint
	value int64
}

// randomUTXOChain builds 8 blocks over 6 addresses: each a coinbase and up
// to 4 transactions spending 1-3 unspent outputs of earlier blocks into 1-3
// outputs (sometimes an OP_RETURN), with a fee. It returns the chain and
// every output it created.
func randomUTXOChain(t *testing.T, rng *rand.Rand) (*utxoChain, []randomOutput) {
	c := newUTXOChain(t)
	var all, unspent []randomOutput
	for h := range 8 {
		name := fmt.Sprintf("cb%d", h)
		cb := []chain.Output{pay(fmt.Sprint("a", rng.IntN(6)), 100+rng.Int64N(900)), pay(fmt.Sprint("a", rng.IntN(6)), 1+rng.Int64N(500))}
		var txs []chain.Tx
		var created []randomOutput
		for i := range 1 + rng.IntN(5) {
			if len(unspent) == 0 {
				break
			}
			var ins []Outpoint
			var in int64
			for range 1 + rng.IntN(3) {
				if len(unspent) == 0 {
					break
				}
				k := rng.IntN(len(unspent))
				ins, in = append(ins, unspent[k].op), in+unspent[k].value
				unspent = slices.Delete(unspent, k, k+1)
			}
			tx := utx(fmt.Sprintf("t%d-%d", h, i), ins)
			for j := range 1 + rng.IntN(3) {
				v := rng.Int64N(in/2 + 1)
				to := fmt.Sprint("a", rng.IntN(6))
				if rng.IntN(8) == 0 {
					to = ""
				}
				tx.Outputs, in = append(tx.Outputs, pay(to, v)), in-v
				created = append(created, randomOutput{Outpoint{tx.Hash, uint32(j)}, v})
			}
			txs = append(txs, tx)
		}
		c.block(name, cb, txs...)
		for j, o := range cb {
			created = append(created, randomOutput{outpt(name, uint32(j)), o.Value})
		}
		all, unspent = append(all, created...), append(unspent, created...)
	}
	return c, all
}
