package trace

import (
	"testing"
	"time"

	"github.com/holiman/uint256"

	"github.com/chainhound/chainhound/internal/chain"
)

// FIFO backward: X receives 10 from P, then 10 from Q, and pays all 20 to
// Y. Y pays 10 to Z: under FIFO that is the front of Y's lot, units 0..9
// of X's payment, P's. What Y still holds is units 10..19 of X's payment:
// Q's. The tracer answers X's payment by its first units whatever part of
// it was asked.
func TestRegressBackFIFOTailOfPayment(t *testing.T) {
	c := newEthChain(t)
	P, Q, X, Y, Z := eth(0x11), eth(0x12), eth(0x13), eth(0x14), eth(0x15)
	c.block(xfer{tx: 0, from: faucet, to: P, amount: 10}, xfer{tx: 1, from: faucet, to: Q, amount: 10})
	c.block(xfer{tx: 0, from: P, to: X, amount: 10}, xfer{tx: 1, from: Q, to: X, amount: 10})
	c.block(xfer{tx: 0, from: X, to: Y, amount: 20})
	c.block(xfer{tx: 0, from: Y, to: Z, amount: 10})
	r, err := TraceAccountBack(c.s, chain.Ethereum, FIFO, Bounds{MaxHops: 2}, []AccountBackSeed{{Address: Y, At: 4}})
	if err != nil {
		t.Fatal(err)
	}
	got := flowSummary(r.Flows)
	t.Logf("Y's balance goes back to: %s", got)
	if want := "[a18>a19=10/h2 a19>a20=10/h1]"; got != want {
		t.Errorf("flows %s, want %s (Q's units)", got, want)
	}
	// for contrast, forward FIFO (taint placed first within a receipt) sends Q's 10 on to Z
	fw, err := TraceAccount(c.s, chain.Ethereum, FIFO, Bounds{}, []AccountSeed{{Address: Q, FromBlock: 2, Amount: uint256.NewInt(10)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("forward from Q: frontier %s", summary(fw.Frontier))
}

// Poison backward on UTXO: no request merging, so a chain of transactions
// each spending both outputs of the previous one is walked 2^depth times.
func TestRegressBackUTXOPoisonBlowup(t *testing.T) {
	c := newUTXOChain(t)
	c.block("c0", []chain.Output{pay("m", 1000)})
	prev := "c0"
	c.block("cb1", []chain.Output{pay("m", 1)}, utx("t1", []Outpoint{outpt(prev, 0)}, pay("a", 500), pay("b", 500)))
	prev = "t1"
	const depth = 18
	for i := 2; i <= depth; i++ {
		name := "t" + string(rune('a'+i))
		c.block("cb"+name, []chain.Output{pay("m", 1)}, utx(name, []Outpoint{outpt(prev, 0), outpt(prev, 1)}, pay("a", 500), pay("b", 500)))
		prev = name
	}
	start := time.Now()
	r, err := TraceUTXOBack(c.s, chain.Bitcoin, Poison, Bounds{}, []UTXOSeed{{Outpoint: outpt(prev, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("depth %d: %d flows in %v", depth, len(r.Flows), time.Since(start))
	if len(r.Flows) > 10*depth {
		t.Errorf("%d flows for a %d-transaction chain: the walk is exponential", len(r.Flows), depth)
	}
}
