package trace

import (
	"slices"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// A seed that is itself a stopping service: taint that comes back to it is
// recorded as a stopped exit AND kept in its frontier.
func TestRegressSeedIsExit(t *testing.T) {
	c := newEthChain(t)
	c.block(xfer{tx: 0, from: faucet, to: thief, amount: 100})
	c.block(xfer{tx: 0, from: thief, to: acctA, amount: 60})
	c.block(xfer{tx: 0, from: acctA, to: thief, amount: 60})
	ex := services{thief: {Name: "Hot wallet", Category: "exchange"}}
	for _, m := range []Model{FIFO, Haircut} {
		r, err := TraceAccount(c.s, chain.Ethereum, m, Bounds{Exits: exitPolicy(ex, true)}, []AccountSeed{{Address: thief, FromBlock: 1}})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: seeded %s frontier %s exits %s", m, total(r.Seeded), summary(r.Frontier), exitSummary(r.Exits))
		checkConserved(t, r)
	}
}

// The swap venue is a service the trace already stopped at: the bought
// leg's taint (swapIn) is never taken, SwappedOut counts it, SwappedIn not.
func TestRegressSwapAtStoppedExit(t *testing.T) {
	c := newEthChain(t)
	tok := chain.Asset{Kind: chain.ERC20, Contract: eth(0xaa)}
	venue := eth(0x50)
	c.block(xfer{tx: 0, from: faucet, to: thief, amount: 100}, xfer{tx: 1, from: faucet, to: venue, amount: 1000, kind: chain.KindToken, asset: tok})
	c.block(xfer{tx: 0, from: thief, to: venue, amount: 10}) // taint reaches the venue: a stopped exit
	c.block(xfer{tx: 0, from: thief, to: venue, amount: 40}, xfer{tx: 0, from: venue, to: thief, amount: 80, kind: chain.KindToken, asset: tok})
	ex := services{venue: {Name: "Instant exchange", Category: "instant_exchange"}}
	for _, m := range []Model{FIFO, Haircut} {
		r, err := TraceAccount(c.s, chain.Ethereum, m, Bounds{Exits: exitPolicy(ex, true)}, []AccountSeed{{Address: thief, FromBlock: 2, Amount: uint256.NewInt(100)}})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: seeded %s frontier %s exits %s out %s in %s", m, total(r.Seeded), summary(r.Frontier), exitSummary(r.Exits), total(r.SwappedOut), total(r.SwappedIn))
		checkConserved(t, r)
		// the 40 ETH sold were all tainted: the 80 TOK bought should be too
		if total(r.SwappedIn) != "[80]" {
			t.Errorf("%s: swapped in %s, want [80]; TOK taint at the thief lost", m, total(r.SwappedIn))
		}
	}
}

// Uniswap-V3 order: the pool pays the bought token first, then pulls the
// sold one. docs/trace.md: "pays A and, in the same transaction, receives
// another asset" -- the order is not a condition.
func TestRegressSwapBoughtLegFirst(t *testing.T) {
	c := newEthChain(t)
	tok := chain.Asset{Kind: chain.ERC20, Contract: eth(0xaa)}
	pool := eth(0x50)
	c.block(xfer{tx: 0, from: faucet, to: thief, amount: 100}, xfer{tx: 1, from: faucet, to: pool, amount: 1000, kind: chain.KindToken, asset: tok})
	c.block(xfer{tx: 0, from: pool, to: thief, amount: 80, kind: chain.KindToken, asset: tok}, xfer{tx: 0, from: thief, to: pool, amount: 40})
	r, err := TraceAccount(c.s, chain.Ethereum, FIFO, Bounds{}, []AccountSeed{{Address: thief, FromBlock: 2, Amount: uint256.NewInt(100)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("frontier %s swaps %d", summary(r.Frontier), len(r.Swaps))
	if len(r.Swaps) != 1 {
		t.Errorf("swap with the bought leg first not detected: swaps %d, frontier %s", len(r.Swaps), summary(r.Frontier))
	}
}

// A seed reached by the trace before its own block keeps hop 1 in Reach.
func TestRegressSeedReachedEarlierReach(t *testing.T) {
	c := newEthChain(t)
	c.block(xfer{tx: 0, from: faucet, to: thief, amount: 100})
	c.block(xfer{tx: 0, from: thief, to: acctA, amount: 60})
	c.block(xfer{tx: 0, from: acctA, to: acctB, amount: 10})
	r, err := TraceAccount(c.s, chain.Ethereum, FIFO, Bounds{}, []AccountSeed{{Address: thief, FromBlock: 1}, {Address: acctA, FromBlock: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Reach, []int{2, 1}) {
		t.Errorf("reach %v, want [2 1] (two seeds at hop 0, B at 1)", r.Reach)
	}
	for _, h := range r.Frontier {
		t.Logf("%v hop %d", h.Address, h.Hop)
	}
}
