package trace

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// A haircut trace stopped at the end of a block and resumed from its state
// must give the flows and the final state of the same trace run through in
// one go: on random chains with swaps, fees, services and hop bounds, cut
// at every block.
func TestResumeAccountEqualsOneRun(t *testing.T) {
	cases := 0
	for g := range 30 {
		rng := rand.New(rand.NewPCG(uint64(g), 7))
		c := randomSwapChain(t, rng)
		ex := randomServices(rng, 0, "exchange", "defi_bridge")
		x := &Exits{Services: ex, Stop: func(c string) bool { return c == "exchange" }}
		seeds := []AccountSeed{{Address: eth(byte(1 + rng.IntN(6))), FromBlock: 1}}
		if o := eth(byte(1 + rng.IntN(6))); o != seeds[0].Address {
			seeds = append(seeds, AccountSeed{Address: o, FromBlock: 1})
		}
		b := Bounds{Exits: x, MaxHops: rng.IntN(4), Until: c.height, HasUntil: true}
		whole, wholeState, err := TraceAccountState(c.s, chain.Ethereum, b, seeds)
		if err != nil {
			t.Fatalf("graph %d: %v", g, err)
		}
		if one, err := TraceAccount(c.s, chain.Ethereum, Haircut, b, seeds); err != nil || !reflect.DeepEqual(one.Flows, whole.Flows) {
			t.Fatalf("graph %d: TraceAccountState's flows differ from TraceAccount's (%v)", g, err)
		}
		for cut := uint64(1); cut < c.height; cut++ {
			bc := b
			bc.Until = cut
			first, st, err := TraceAccountState(c.s, chain.Ethereum, bc, seeds)
			if err != nil {
				t.Fatalf("graph %d cut %d: %v", g, cut, err)
			}
			// resume in two steps when there is room, to chain states
			mid := cut + (c.height-cut)/2
			bm := b
			bm.Until = mid
			second, st2, err := ResumeAccount(c.s, chain.Ethereum, bm, st)
			if err != nil {
				t.Fatalf("graph %d cut %d: resume to %d: %v", g, cut, mid, err)
			}
			third, st3, err := ResumeAccount(c.s, chain.Ethereum, b, st2)
			if err != nil {
				t.Fatalf("graph %d cut %d: resume to %d: %v", g, cut, c.height, err)
			}
			got := append(append(append([]Flow{}, first.Flows...), second.Flows...), third.Flows...)
			if !reflect.DeepEqual(got, whole.Flows) {
				t.Fatalf("graph %d cut %d/%d: resumed flows differ from one run:\n got %d flows\nwant %d flows", g, cut, mid, len(got), len(whole.Flows))
			}
			if !reflect.DeepEqual(st3, wholeState) {
				t.Fatalf("graph %d cut %d: resumed state differs from one run's", g, cut)
			}
			cases++
		}
	}
	if cases < 100 {
		t.Fatalf("only %d cuts checked", cases)
	}
}

func TestResumeAccountRefusesAnEarlierEnd(t *testing.T) {
	c := newEthChain(t)
	c.block(xfer{from: faucet, to: eth(1), amount: 10, asset: chain.NativeAsset})
	c.block(xfer{from: eth(1), to: eth(2), amount: 4, asset: chain.NativeAsset})
	_, st, err := TraceAccountState(c.s, chain.Ethereum, Bounds{Until: 2, HasUntil: true}, []AccountSeed{{Address: eth(1), FromBlock: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ResumeAccount(c.s, chain.Ethereum, Bounds{Until: 1, HasUntil: true}, st); err == nil {
		t.Fatal("resuming to a block before the state's was accepted")
	}
	if _, _, err := TraceAccountState(c.s, chain.Ethereum, Bounds{}, nil); err == nil {
		t.Fatal("a kept state without a last block was accepted")
	}
}

// The same for UTXO chains, under every model: a trace cut at a block and
// resumed (with the seeds created after the cut) gives the flows and the
// final state of one run.
func TestResumeUTXOEqualsOneRun(t *testing.T) {
	cases, flows := 0, 0
	for g := range 20 {
		rng := rand.New(rand.NewPCG(uint64(g), 21))
		c, outs := randomUTXOChain(t, rng)
		type seedAt struct {
			s     UTXOSeed
			block uint64
		}
		var seeds []seedAt
		for _, k := range rng.Perm(len(outs))[:1+rng.IntN(min(4, len(outs)))] {
			info, ok, err := c.s.Tx(chain.Bitcoin, outs[k].op.Tx)
			if err != nil || !ok {
				t.Fatalf("graph %d: seed tx: %v", g, err)
			}
			seeds = append(seeds, seedAt{UTXOSeed{Outpoint: outs[k].op}, info.Block})
		}
		all := func(upto uint64, after uint64) []UTXOSeed {
			var out []UTXOSeed
			for _, s := range seeds {
				if s.block > after && s.block <= upto {
					out = append(out, s.s)
				}
			}
			return out
		}
		for _, m := range []Model{FIFO, Haircut, TIHO, Poison} {
			b := Bounds{MaxHops: rng.IntN(4), Until: c.height, HasUntil: true}
			whole, wholeState, err := TraceUTXOState(c.s, chain.Bitcoin, m, b, all(c.height, 0))
			if err != nil {
				t.Fatalf("graph %d %s: %v", g, m, err)
			}
			flows += len(whole.Flows)
			for cut := uint64(1); cut < c.height; cut++ {
				bc := b
				bc.Until = cut
				first, st, err := TraceUTXOState(c.s, chain.Bitcoin, m, bc, all(cut, 0))
				if err != nil {
					t.Fatalf("graph %d %s cut %d: %v", g, m, cut, err)
				}
				second, st2, err := ResumeUTXO(c.s, chain.Bitcoin, m, b, st, all(c.height, cut))
				if err != nil {
					t.Fatalf("graph %d %s cut %d: resume: %v", g, m, cut, err)
				}
				got := append(append([]Flow{}, first.Flows...), second.Flows...)
				if (len(got) > 0 || len(whole.Flows) > 0) && !reflect.DeepEqual(got, whole.Flows) {
					t.Fatalf("graph %d %s cut %d: resumed flows differ from one run (%d vs %d)", g, m, cut, len(got), len(whole.Flows))
				}
				if !reflect.DeepEqual(st2, wholeState) {
					t.Fatalf("graph %d %s cut %d: resumed state differs:\n%+v\n%+v", g, m, cut, st2, wholeState)
				}
				cases++
			}
		}
	}
	if cases < 100 || flows < 50 {
		t.Fatalf("only %d cuts and %d flows checked", cases, flows)
	}
}
