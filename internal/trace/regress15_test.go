package trace

import (
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// A seed at a service the trace had stopped at makes its holdings so far
// clean: the taint it took was counted at the exit. Under poison that did
// nothing, an account once tainted never forgetting: S, an exchange
// holding 50 of its own, takes the thief's 30 (a stopped exit of 30), is
// seeded with nothing at block 3, and pays Y 80 at block 4, which poison
// tainted in full. Under every model that payment is clean now.
func TestRegressPoisonReseedStoppedService(t *testing.T) {
	c := newEthChain(t)
	S, Y := eth(0x11), eth(0x12)
	c.block(xfer{tx: 0, from: faucet, to: thief, amount: 100}, xfer{tx: 1, from: faucet, to: S, amount: 50})
	c.block(xfer{tx: 0, from: thief, to: S, amount: 30})
	c.block(xfer{tx: 0, from: faucet, to: thief, amount: 1})
	c.block(xfer{tx: 0, from: S, to: Y, amount: 80})
	snap, err := NewAccountSnapshot(c.s, chain.Ethereum)
	if err != nil {
		t.Fatal(err)
	}
	seeds := []AccountSeed{{Address: thief, FromBlock: 1}, {Address: S, FromBlock: 3, Asset: chain.NativeAsset, Amount: new(uint256.Int)}}
	b := Bounds{Exits: exitPolicy(services{S: {Name: "S", Category: "exchange"}}, true)}
	for _, m := range []Model{FIFO, Haircut, Poison} {
		r, err := TraceAccount(c.s, chain.Ethereum, m, b, seeds)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Flows) != 1 || r.Flows[0].To != S {
			t.Errorf("%s: %d flows, want only thief -> S: %+v", m, len(r.Flows), r.Flows)
		}
		if got := exitSummary(r.Exits); got != "[a17=30,0@2/h1/stopped]" {
			t.Errorf("%s: exits %s", m, got)
		}
		if got := summary(r.Frontier); got != "[a1=71]" {
			t.Errorf("%s: frontier %s", m, got)
		}
		if m != Poison {
			checkConserved(t, r)
		}
		fr, err := snap.FastTrace(m, b, seeds, FastOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := fr.Result(); !reflect.DeepEqual(r, got) {
			t.Errorf("%s: fast path: %s", m, diffResults(r, got))
		}
	}
}

// Taint reaching a re-seeded service after its seed is followed, but it
// was added to the exit's stopped Amount as well: counted twice, which
// broke conservation (106 accounted for 101 seeded). Exit.Followed now
// keeps it apart: S's exit has 35 arrived, 5 of them followed.
func TestRegressReseededServiceConserves(t *testing.T) {
	c := newEthChain(t)
	S, Y := eth(0x11), eth(0x12)
	c.block(xfer{tx: 0, from: faucet, to: thief, amount: 100}, xfer{tx: 1, from: faucet, to: S, amount: 50})
	c.block(xfer{tx: 0, from: thief, to: S, amount: 30})
	c.block(xfer{tx: 0, from: faucet, to: thief, amount: 1})
	c.block(xfer{tx: 0, from: thief, to: S, amount: 5})
	c.block(xfer{tx: 0, from: S, to: Y, amount: 85})
	snap, err := NewAccountSnapshot(c.s, chain.Ethereum)
	if err != nil {
		t.Fatal(err)
	}
	seeds := []AccountSeed{{Address: thief, FromBlock: 1}, {Address: S, FromBlock: 3, Asset: chain.NativeAsset, Amount: new(uint256.Int)}}
	b := Bounds{Exits: exitPolicy(services{S: {Name: "S", Category: "exchange"}}, true)}
	for _, m := range []Model{FIFO, Haircut, Poison} {
		r, err := TraceAccount(c.s, chain.Ethereum, m, b, seeds)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Exits) != 1 || r.Exits[0].Amount.Uint64() != 35 || r.Exits[0].Followed.Uint64() != 5 || !r.Exits[0].Stopped {
			t.Errorf("%s: exits %+v, want S: 35 arrived, 5 followed", m, r.Exits)
		}
		if m != Poison {
			if got := summary(r.Frontier); got != "[a1=66 a18=5]" {
				t.Errorf("%s: frontier %s", m, got)
			}
			checkConserved(t, r)
		}
		fr, err := snap.FastTrace(m, b, seeds, FastOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := fr.Result(); !reflect.DeepEqual(r, got) {
			t.Errorf("%s: fast path: %s", m, diffResults(r, got))
		}
	}
}
