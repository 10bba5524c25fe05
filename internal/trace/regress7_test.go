package trace

import (
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// bothWays traces with the services' histories replayed and skipped.
func bothWays(t *testing.T, c *ethChain, m Model, b Bounds, ex services, seeds []AccountSeed) (*Result, *Result) {
	t.Helper()
	b.Exits = &Exits{Services: ex}
	full, err := TraceAccount(c.s, chain.Ethereum, m, b, seeds)
	if err != nil {
		t.Fatal(err)
	}
	b.Exits = &Exits{Services: ex, SkipRemaining: true}
	skip, err := TraceAccount(c.s, chain.Ethereum, m, b, seeds)
	if err != nil {
		t.Fatal(err)
	}
	return full, skip
}

// A service the trace stopped at and that a later seed names is followed
// from the seed's block with clean holdings: conservation holds, and
// replaying it or not gives the same flows.
func TestRegressStoppedServiceSeededLater(t *testing.T) {
	c := newEthChain(t)
	T, V, Y := eth(1), eth(0x50), eth(3)
	c.block(xfer{tx: 0, from: faucet, to: T, amount: 100}, xfer{tx: 1, from: faucet, to: V, amount: 1000})
	c.block(xfer{tx: 0, from: T, to: V, amount: 10})
	c.block(xfer{tx: 0, from: faucet, to: V, amount: 500})
	c.block(xfer{tx: 0, from: V, to: Y, amount: 40})
	ex := services{V: Service{Category: "exchange"}}
	seeds := []AccountSeed{{Address: T, FromBlock: 1}, {Address: V, FromBlock: 3}}
	full, skip := bothWays(t, c, Haircut, Bounds{}, ex, seeds)
	if !reflect.DeepEqual(full.Flows, skip.Flows) {
		t.Error("SkipRemaining changed the flows")
	}
	checkConserved(t, full)
	checkConserved(t, skip)
}

// A second arrival at a stopped service counts at its exit whether the
// service is replayed or not, whatever the hop and amount bounds say.
func TestRegressStoppedServiceSecondArrivalBounds(t *testing.T) {
	c := newEthChain(t)
	T, V, A := eth(1), eth(0x50), eth(3)
	c.block(xfer{tx: 0, from: faucet, to: T, amount: 100})
	c.block(xfer{tx: 0, from: T, to: V, amount: 50}, xfer{tx: 1, from: T, to: A, amount: 40})
	c.block(xfer{tx: 0, from: T, to: V, amount: 2}, xfer{tx: 1, from: A, to: V, amount: 30})
	ex := services{V: Service{Category: "exchange"}}
	seeds := []AccountSeed{{Address: T, FromBlock: 1}}
	for _, b := range []Bounds{{MinAmount: *uint256.NewInt(5)}, {MaxHops: 1}} {
		full, skip := bothWays(t, c, Haircut, b, ex, seeds)
		for i := range full.Exits {
			full.Exits[i].Remaining = uint256.Int{}
		}
		if !reflect.DeepEqual(full.Exits, skip.Exits) || !reflect.DeepEqual(full.Stopped, skip.Stopped) {
			t.Errorf("bounds %+v: SkipRemaining changed the exits or stopped:\n%s\n%s", b, exitSummary(full.Exits), exitSummary(skip.Exits))
		}
	}
}
