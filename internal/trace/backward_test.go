package trace

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

func flowSummary(fs []Flow) string {
	var out []string
	for _, f := range fs {
		name := func(a chain.Address) string {
			if a.Chain == chain.Ethereum {
				return fmt.Sprintf("a%d", a.Raw[19])
			}
			return a.Raw
		}
		out = append(out, fmt.Sprintf("%s>%s=%s/h%d", name(f.From), name(f.To), f.Amount.Dec(), f.Hop))
	}
	slices.Sort(out)
	return fmt.Sprint(out)
}

// TestTraceAccountBack: where D's 60 (end of block 5) came from, in the
// split-and-cycle case. D got it from B in block 3. B held 50 from the
// faucet, then 50 from the thief: FIFO pays the 50 faucet units first and
// 10 of the thief's, haircut 30 of each. The thief's payment to B came out
// of the faucet's 101 under both. The faucet's payments go beyond the
// store's history, so the origin of all 60 is the faucet (frontier).
func TestTraceAccountBack(t *testing.T) {
	c := splitCycle(t)
	d := acctD
	for _, tc := range []struct {
		m                     Model
		b                     Bounds
		flows, frontier, stop string
		reach                 []int
	}{
		{m: FIFO, flows: "[a1>a2=10/h2 a240>a1=10/h3 a240>a2=50/h2 a2>a5=60/h1]", frontier: "[a240=60]", stop: "[]", reach: []int{1, 1, 2}},
		{m: Haircut, flows: "[a1>a2=30/h2 a240>a1=30/h3 a240>a2=30/h2 a2>a5=60/h1]", frontier: "[a240=60]", stop: "[]", reach: []int{1, 1, 2}},
		{m: Haircut, b: Bounds{MaxHops: 2}, flows: "[a1>a2=30/h2 a240>a2=30/h2 a2>a5=60/h1]", frontier: "[a240=30]", stop: "[a1=30/max-hops]", reach: []int{1, 1, 2}},
		{m: FIFO, b: Bounds{Until: 2, HasUntil: true}, flows: "[a1>a2=10/h2 a2>a5=60/h1]", frontier: "[]", stop: "[a1=10/until a2=50/until]", reach: []int{1, 1, 1}},
	} {
		t.Run(fmt.Sprintf("%s/%+v", tc.m, tc.b), func(t *testing.T) {
			r, err := TraceAccountBack(c.s, chain.Ethereum, tc.m, tc.b, []AccountBackSeed{{Address: d, At: 5}})
			if err != nil {
				t.Fatal(err)
			}
			if got := flowSummary(r.Flows); got != tc.flows {
				t.Errorf("flows %s, want %s", got, tc.flows)
			}
			if got := summary(r.Frontier); got != tc.frontier {
				t.Errorf("frontier %s, want %s", got, tc.frontier)
			}
			if got := summary(r.Stopped); got != tc.stop {
				t.Errorf("stopped %s, want %s", got, tc.stop)
			}
			if !slices.Equal(r.Reach, tc.reach) {
				t.Errorf("reach %v, want %v", r.Reach, tc.reach)
			}
			checkConserved(t, r)
		})
	}
	// A payment as the seed: the thief's 5 to C in block 5. Under FIFO the
	// thief had paid out all the faucet's 101 in block 2, so the 5 is the
	// front of C's 30 of block 4, and that the front of C's queue: the
	// faucet's 40.
	r, err := TraceAccountBack(c.s, chain.Ethereum, FIFO, Bounds{}, []AccountBackSeed{{Address: thief, Send: &TransferRef{Block: 5, TxIndex: 0, Seq: 0}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := flowSummary(r.Flows) + summary(r.Frontier); got != "[a240>a3=5/h2 a3>a1=5/h1][a240=5]" {
		t.Errorf("send seed: %s", got)
	}
	if _, err := TraceAccountBack(c.s, chain.Ethereum, FIFO, Bounds{}, []AccountBackSeed{{Address: thief, Send: &TransferRef{Block: 5, TxIndex: 3}}}); err == nil {
		t.Error("a seed naming no transfer: no error")
	}
}

// TestTraceUTXOBack: where E's 10 (p2:0) came from in the merge-and-peel
// case. FIFO maps it to satoshis 10..19 of A2, then of A, which are x's
// (the merge laid x's 40 first): minted by coinbase c1. Haircut splits the
// merge 40:60 into 4 and 6; poison counts every input whole.
func TestTraceUTXOBack(t *testing.T) {
	c := mergePeel(t)
	for _, tc := range []struct {
		m      Model
		flows  string
		minted string
		reach  []int
	}{
		{FIFO, "[A2>E=10/h1 A>A2=10/h2 x>A=10/h3]", "[10]", []int{1, 1, 1, 1}},
		{Haircut, "[A2>E=10/h1 A>A2=10/h2 thief>A=6/h3 x>A=4/h3]", "[10]", []int{1, 1, 1, 2}},
		{Poison, "[A2>E=59/h1 A>A2=70/h2 thief>A=60/h3 x>A=40/h3]", "[100]", []int{1, 1, 1, 2}},
	} {
		r, err := TraceUTXOBack(c.s, chain.Bitcoin, tc.m, Bounds{}, []UTXOSeed{{Outpoint: outpt("p2", 0)}})
		if err != nil {
			t.Fatal(err)
		}
		if got := flowSummary(r.Flows); got != tc.flows {
			t.Errorf("%s: flows %s, want %s", tc.m, got, tc.flows)
		}
		if got := total(r.Minted); got != tc.minted {
			t.Errorf("%s: minted %s, want %s", tc.m, got, tc.minted)
		}
		if !slices.Equal(r.Reach, tc.reach) {
			t.Errorf("%s: reach %v, want %v", tc.m, r.Reach, tc.reach)
		}
		if tc.m != Poison {
			checkConserved(t, r)
		}
	}
	if _, err := TraceUTXOBack(c.s, chain.Bitcoin, TIHO, Bounds{}, []UTXOSeed{{Outpoint: outpt("p2", 0)}}); err == nil {
		t.Error("tiho backward: no error")
	}
}

// TestTraceBackConservesOnRandomGraphs: backward FIFO and haircut from
// random balances and bounds account for the whole seed, and every flow
// they find, poison finds too.
func TestTraceBackConservesOnRandomGraphs(t *testing.T) {
	flows := 0
	for g := range 20 {
		rng := rand.New(rand.NewPCG(uint64(g), 5))
		c, _ := randomEthChain(t, rng)
		seeds := []AccountBackSeed{{Address: eth(byte(1 + rng.IntN(6))), At: uint64(3 + rng.IntN(8))}}
		if rng.IntN(2) == 0 {
			seeds[0].Asset = chain.Asset{Kind: chain.ERC20, Contract: eth(0xaa)}
		}
		b := Bounds{MaxHops: rng.IntN(4)}
		if rng.IntN(2) == 0 {
			b.Until, b.HasUntil = uint64(1+rng.IntN(5)), true
		}
		if rng.IntN(2) == 0 { // services the value may come from, stopping there or not
			ex := services{}
			for _, k := range rng.Perm(6)[:1+rng.IntN(2)] {
				ex[eth(byte(k+1))] = Service{Category: []string{"exchange", "defi_bridge"}[rng.IntN(2)]}
			}
			b.Exits = &Exits{Services: ex, Stop: func(c string) bool { return c == "exchange" }}
		}
		poison, err := TraceAccountBack(c.s, chain.Ethereum, Poison, b, seeds)
		if err != nil {
			t.Fatalf("graph %d poison: %v", g, err)
		}
		for _, m := range []Model{FIFO, Haircut} {
			r, err := TraceAccountBack(c.s, chain.Ethereum, m, b, seeds)
			if err != nil {
				t.Fatalf("graph %d %s: %v", g, m, err)
			}
			for range 5 { // the same answer, flows in the same order, on every run
				again, err := TraceAccountBack(c.s, chain.Ethereum, m, b, seeds)
				if err != nil || !reflect.DeepEqual(r, again) {
					t.Fatalf("graph %d %s: a second run differs (%v):\n%s", g, m, err, diffResults(r, again))
				}
			}
			if len(r.Seeded) > 0 {
				checkConserved(t, r)
			}
			flows += len(r.Flows)
			for _, f := range r.Flows {
				if !slices.ContainsFunc(poison.Flows, func(p Flow) bool { return p.Tx == f.Tx && p.Seq == f.Seq }) {
					t.Fatalf("graph %d: %s finds %s/%d, poison does not", g, m, f.Tx, f.Seq)
				}
			}
		}
	}
	if flows < 50 {
		t.Errorf("only %d flows", flows)
	}
}

// TestApportion: parts sum to the amount exactly, whatever the weights
// and however large the amount, and each part is within one unit of its
// exact share.
func TestApportion(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		n := 1 + rng.IntN(20)
		lots := make([]*lot, n)
		ws := make([]float64, n)
		var sum float64
		for i := range ws {
			lots[i] = &lot{}
			if rng.IntN(4) > 0 {
				ws[i] = rng.Float64() * float64(rng.Uint64N(1<<40))
			}
			sum += ws[i]
		}
		amount := new(uint256.Int).SetUint64(rng.Uint64())
		amount.Lsh(amount, uint(rng.IntN(190)))
		parts := apportion(lots, ws, amount)
		if sum == 0 {
			if parts != nil {
				t.Fatalf("zero weights gave parts")
			}
			continue
		}
		got := new(uint256.Int)
		for i, p := range parts {
			got.Add(got, &p.v)
			f := func() *big.Float { return new(big.Float).SetPrec(1024) }
			exactSum := f()
			for _, w := range ws {
				exactSum.Add(exactSum, big.NewFloat(w))
			}
			exact, _ := f().Quo(f().Mul(f().SetInt(amount.ToBig()), big.NewFloat(ws[i])), exactSum).Int(nil)
			if d := new(big.Int).Sub(p.v.ToBig(), exact); d.CmpAbs(big.NewInt(1)) > 0 {
				t.Fatalf("part %d = %s, exact share %s", i, p.v.Dec(), exact)
			}
		}
		if !got.Eq(amount) {
			t.Fatalf("parts sum to %s, want %s", got.Dec(), amount.Dec())
		}
	}
}
