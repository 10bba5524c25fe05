package trace

import (
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// Paths requires each earlier flow to have a strictly lower hop than the
// next. X is first reached through A (hop 2, 100 tainted), later directly
// by the thief (hop 1, 1 tainted), which lowers X's hop; X then pays TO
// 101 at hop 2. The 100 through A are a taint path to TO (haircut: X's
// payment is all tainted), but A->X (hop 2) is refused before X->TO (hop
// 2): the only path found is the 1-unit direct one.
func TestRegressPathsHopDrop(t *testing.T) {
	c := newEthChain(t)
	X, TO := eth(0x11), eth(0x12)
	c.block(xfer{tx: 0, from: faucet, to: thief, amount: 101})
	c.block(xfer{tx: 0, from: thief, to: acctA, amount: 100})
	c.block(xfer{tx: 0, from: acctA, to: X, amount: 100})
	c.block(xfer{tx: 0, from: thief, to: X, amount: 1})
	c.block(xfer{tx: 0, from: X, to: TO, amount: 101})
	r, err := TraceAccount(c.s, chain.Ethereum, Haircut, Bounds{}, []AccountSeed{{Address: thief, FromBlock: 2, Amount: uint256.NewInt(101)}})
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := Paths(r, thief, TO, 5)
	for _, p := range ps {
		t.Logf("path value %s, %d flows", p.Value.Dec(), len(p.Flows))
	}
	if len(ps) == 0 || ps[0].Value.Uint64() != 100 {
		t.Errorf("widest path %v, want 100 via A", ps)
	}
}
