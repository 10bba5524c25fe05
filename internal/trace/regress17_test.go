package trace

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// Two cases of the plain rows the fast path applies directly
// (plainHaircut), each checked under every model against the general
// tracer and against the hand-computed answer:
//
//   - a service seeded too is followed without being looked up; taint a
//     plain payment brings it from another seed is still an exit there
//     (not stopped: the trace follows a seed);
//   - an address followed at hop 2 that later receives taint straight
//     from the seed is reached at hop 1.
func TestRegressPlainRows(t *testing.T) {
	V, A, B := eth(0x31), eth(0x32), eth(0x33)
	c := newEthChain(t)
	c.block(xfer{tx: 0, from: faucet, to: thief, amount: 100}, xfer{tx: 1, from: faucet, to: V, amount: 50})
	c.block(xfer{tx: 0, from: thief, to: A, amount: 10})
	c.block(xfer{tx: 0, from: A, to: B, amount: 5})
	c.block(xfer{tx: 0, from: thief, to: B, amount: 10})
	c.block(xfer{tx: 0, from: thief, to: V, amount: 30})
	snap, err := NewAccountSnapshot(c.s, chain.Ethereum)
	if err != nil {
		t.Fatal(err)
	}
	seeds := []AccountSeed{
		{Address: thief, FromBlock: 2, Asset: chain.NativeAsset, Amount: uint256.NewInt(100)},
		{Address: V, FromBlock: 2, Asset: chain.NativeAsset, Amount: uint256.NewInt(50)},
	}
	b := Bounds{Exits: exitPolicy(services{V: {Name: "V", Category: "exchange"}}, true)}
	for _, m := range []Model{FIFO, Haircut, Poison} {
		t.Run(fmt.Sprint(m), func(t *testing.T) {
			r, err := TraceAccount(c.s, chain.Ethereum, m, b, seeds)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Exits) != 1 || r.Exits[0].Address != V || r.Exits[0].Amount.Uint64() != 30 || r.Exits[0].Stopped || r.Exits[0].Hop != 1 {
				t.Errorf("exits %s, want 30 arriving at V at hop 1, not stopped", exitSummary(r.Exits))
			}
			if want := []int{2, 2}; !reflect.DeepEqual(r.Reach, want) {
				t.Errorf("reach %v, want %v (the seeds thief and V; A and B at hop 1)", r.Reach, want)
			}
			fr, err := snap.FastTrace(m, b, seeds, FastOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := fr.Result(); !reflect.DeepEqual(r, got) {
				t.Errorf("fast path: %s", diffResults(r, got))
			}
		})
	}
}
