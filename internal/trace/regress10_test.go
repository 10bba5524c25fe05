package trace

import (
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// Backward exits: the exchange X paid A 30 and the bridge W paid A 20; A
// paid all 50 to Y. Going back from Y's balance, the value came from X
// and W: two exits, at X (stopped) and at W (not stopped). tally.exit keys
// the exit by Flow.To, which backward is the later address (A): both are
// recorded at A, as one exit, named after whichever came first, and the
// stopped 30 is not counted as stopped.
func TestRegressBackExitAddress(t *testing.T) {
	c := newEthChain(t)
	X, W, A, Y := eth(0x11), eth(0x12), eth(0x13), eth(0x14)
	c.block(xfer{tx: 0, from: faucet, to: X, amount: 100}, xfer{tx: 1, from: faucet, to: W, amount: 100})
	c.block(xfer{tx: 0, from: W, to: A, amount: 20}, xfer{tx: 1, from: X, to: A, amount: 30})
	c.block(xfer{tx: 0, from: A, to: Y, amount: 50})
	ex := services{X: {Name: "Exchange X", Category: "exchange"}, W: {Name: "Bridge W", Category: "defi_bridge"}}
	x := &Exits{Services: ex, Stop: func(c string) bool { return c == "exchange" }}
	for _, m := range []Model{FIFO, Haircut} {
		r, err := TraceAccountBack(c.s, chain.Ethereum, m, Bounds{Exits: x}, []AccountBackSeed{{Address: Y, At: 3}})
		if err != nil {
			t.Fatal(err)
		}
		got := exitSummary(r.Exits)
		t.Logf("%s: exits %s names %v frontier %s", m, got, func() (n []string) {
			for _, e := range r.Exits {
				n = append(n, e.Service.Name)
			}
			return
		}(), summary(r.Frontier))
		if want := "[a17=30,0@2/h2/stopped a18=20,0@2/h2]"; got != want {
			t.Errorf("%s: exits %s, want %s", m, got, want)
		}
		checkConserved(t, r)
	}
}

// The same on a UTXO chain.
func TestRegressBackExitAddressUTXO(t *testing.T) {
	c := mergePeel(t)
	ex := services{btc("thief"): {Name: "Exchange", Category: "exchange"}}
	x := &Exits{Services: ex, Stop: func(c string) bool { return c == "exchange" }}
	r, err := TraceUTXOBack(c.s, chain.Bitcoin, Haircut, Bounds{Exits: x}, []UTXOSeed{{Outpoint: outpt("m", 0)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exits %s", exitSummary(r.Exits))
	if len(r.Exits) != 1 || r.Exits[0].Address != btc("thief") {
		t.Errorf("exit at %v, want at the exchange (thief)", r.Exits[0].Address)
	}
}
