package trace

import (
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// Haircut backward: Y receives 1 from X, 1 from W, 1 from V and pays 1 to
// A, B and C in turn; they all pay Z. Each of Y's payments is one unit out
// of three equal lots, and largest remainder with equal remainders gives
// that unit to X every time: X's single unit is asked for three times, the
// request is capped at X's payment, and 2 units vanish.
func TestRegressBackHaircutOverAsk(t *testing.T) {
	c := newEthChain(t)
	X, W, V, Y, A, B, C, Z := eth(0x11), eth(0x12), eth(0x13), eth(0x14), eth(0x15), eth(0x16), eth(0x17), eth(0x18)
	c.block(xfer{tx: 0, from: faucet, to: X, amount: 1}, xfer{tx: 1, from: faucet, to: W, amount: 1}, xfer{tx: 2, from: faucet, to: V, amount: 1})
	c.block(xfer{tx: 0, from: X, to: Y, amount: 1}, xfer{tx: 1, from: W, to: Y, amount: 1}, xfer{tx: 2, from: V, to: Y, amount: 1})
	c.block(xfer{tx: 0, from: Y, to: A, amount: 1}, xfer{tx: 1, from: Y, to: B, amount: 1}, xfer{tx: 2, from: Y, to: C, amount: 1})
	c.block(xfer{tx: 0, from: A, to: Z, amount: 1}, xfer{tx: 1, from: B, to: Z, amount: 1}, xfer{tx: 2, from: C, to: Z, amount: 1})
	r, err := TraceAccountBack(c.s, chain.Ethereum, Haircut, Bounds{}, []AccountBackSeed{{Address: Z, At: 4}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("flows %s frontier %s seeded %s", flowSummary(r.Flows), summary(r.Frontier), total(r.Seeded))
	checkConserved(t, r)
}
