package trace

import (
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// An optimistic swap (the venue pays the bought token first) with a venue
// that is a stopped service: replayed (tracked), the venue's payment is
// handled from its own stream and the swap goes unseen; skipped, the
// payer's stream holds the leg and sees the swap. The flows differ.
func TestRegressSkipRemainingOptimisticSwap(t *testing.T) {
	c := newEthChain(t)
	tok := chain.Asset{Kind: chain.ERC20, Contract: eth(0xaa)}
	T, S, V, Y := eth(1), eth(2), eth(0x50), eth(3)
	c.block(xfer{tx: 0, from: faucet, to: T, amount: 100, asset: chain.NativeAsset},
		xfer{tx: 1, from: faucet, to: V, amount: 1000, asset: tok}, xfer{tx: 2, from: faucet, to: V, amount: 1000, asset: chain.NativeAsset})
	c.block(xfer{tx: 0, from: T, to: V, amount: 10, asset: chain.NativeAsset}, // taint reaches the venue first
		xfer{tx: 1, from: T, to: S, amount: 50, asset: chain.NativeAsset})
	c.block(xfer{tx: 0, from: V, to: S, amount: 40, asset: tok}, xfer{tx: 0, from: S, to: V, amount: 50, asset: chain.NativeAsset}) // optimistic swap
	c.block(xfer{tx: 0, from: S, to: Y, amount: 40, asset: tok})
	ex := services{V: Service{Category: "exchange"}}
	seeds := []AccountSeed{{Address: T, FromBlock: 1}}
	full, err := TraceAccount(c.s, chain.Ethereum, Haircut, Bounds{Exits: &Exits{Services: ex}}, seeds)
	if err != nil {
		t.Fatal(err)
	}
	skip, err := TraceAccount(c.s, chain.Ethereum, Haircut, Bounds{Exits: &Exits{Services: ex, SkipRemaining: true}}, seeds)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(full.Flows, skip.Flows) {
		for _, f := range full.Flows {
			t.Logf("replayed: %s->%s %v %s hop %d swap %v", f.From, f.To, f.Asset, f.Amount.Dec(), f.Hop, f.Swap)
		}
		for _, f := range skip.Flows {
			t.Logf("skipped:  %s->%s %v %s hop %d swap %v", f.From, f.To, f.Asset, f.Amount.Dec(), f.Hop, f.Swap)
		}
		t.Fatal("SkipRemaining changed the flows")
	}
}
