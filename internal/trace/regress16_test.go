package trace

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// A tainted payment to an attributed service answered in the same
// transaction with another asset (an instant exchanger, an exchange's
// conversion) was read as a DEX swap and recorded no exit: the service
// was never reported. The swap still goes on in the bought asset; the
// service gets an exit of the taint paid into it, not stopped. The thief
// (100 seeded) pays the exchanger V 40 for 400 of token T, which it pays
// on to Y; then pays V 10 outright, where the trace stops (V's exit in
// the native coin: 50 arrived, 40 of them followed in the swap, 10
// stopped); then swaps 10 at P, a pool nobody attributes: no exit there.
func TestRegressSwapAtServiceIsAnExit(t *testing.T) {
	c := newEthChain(t)
	T := chain.Asset{Kind: chain.ERC20, Contract: eth(0xa1)}
	V, P, Y := eth(0x21), eth(0x22), eth(0x23)
	tok := func(tx int, from, to chain.Address, v uint64) xfer {
		return xfer{tx: tx, from: from, to: to, amount: v, asset: T, kind: chain.KindToken}
	}
	c.block(xfer{tx: 0, from: faucet, to: thief, amount: 100}, tok(1, faucet, V, 1000), tok(2, faucet, P, 1000))
	c.block(xfer{tx: 0, from: thief, to: V, amount: 40}, tok(0, V, thief, 400))
	c.block(tok(0, thief, Y, 400))
	c.block(xfer{tx: 0, from: thief, to: V, amount: 10})
	c.block(xfer{tx: 0, from: thief, to: P, amount: 10}, tok(0, P, thief, 100))
	snap, err := NewAccountSnapshot(c.s, chain.Ethereum)
	if err != nil {
		t.Fatal(err)
	}
	seeds := []AccountSeed{{Address: thief, FromBlock: 2, Asset: chain.NativeAsset, Amount: uint256.NewInt(100)}}
	b := Bounds{Exits: exitPolicy(services{V: {Name: "V", Category: "instant_exchange"}}, true)}
	for _, m := range []Model{FIFO, Haircut, Poison} {
		t.Run(fmt.Sprint(m), func(t *testing.T) {
			r, err := TraceAccount(c.s, chain.Ethereum, m, b, seeds)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Swaps) != 2 {
				t.Errorf("%d swaps, want 2 (at V and at P)", len(r.Swaps))
			}
			if len(r.Exits) != 1 {
				t.Fatalf("exits %s, want one at V", exitSummary(r.Exits))
			}
			e := r.Exits[0]
			if e.Address != V || e.Asset != chain.NativeAsset || e.Amount.Uint64() != 50 || e.Followed.Uint64() != 40 ||
				!e.Stopped || e.Block != 2 || e.Hop != 1 || e.Service.Name != "V" {
				t.Errorf("exit %+v: want V, 50 arrived from block 2 at hop 1, 40 of them followed in the swap, the rest stopped", e)
			}
			if m != Poison {
				if e.Remaining.Uint64() != 10 {
					t.Errorf("exit remaining %s, want the 10 stopped there", e.Remaining.Dec())
				}
				checkConserved(t, r)
			}
			if got := summary(r.Frontier); got != "[a1=40 a1=100 a35=400]" {
				t.Errorf("frontier %s", got)
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
	// Going on past V (FIFO, 40 seeded: the swap takes them all, the 10 paid
	// later are clean), the swap's exit is the only one, not stopped.
	b.Exits = exitPolicy(services{V: {Name: "V", Category: "instant_exchange"}}, false)
	r, err := TraceAccount(c.s, chain.Ethereum, FIFO, b, []AccountSeed{{Address: thief, FromBlock: 2, Asset: chain.NativeAsset, Amount: uint256.NewInt(40)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Exits) != 1 || r.Exits[0].Stopped || r.Exits[0].Amount.Uint64() != 40 || r.Exits[0].Followed.Uint64() != 40 {
		t.Errorf("exits %s: want V, 40 followed", exitSummary(r.Exits))
	}
	checkConserved(t, r)
}
