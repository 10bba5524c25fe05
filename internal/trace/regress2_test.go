package trace

import (
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// The pool is already tainted in TOK (A, a seed, sent it 50 TOK directly);
// then the thief buys TOK there with tainted ETH. The bought leg gets the
// pool's own taint AND the swap's share: more taint than value.
func TestRegressSwapFromTaintedVenue(t *testing.T) {
	c := newEthChain(t)
	tok := chain.Asset{Kind: chain.ERC20, Contract: eth(0xaa)}
	pool := eth(0x50)
	c.block(xfer{tx: 0, from: faucet, to: thief, amount: 100}, xfer{tx: 1, from: faucet, to: pool, amount: 1000, kind: chain.KindToken, asset: tok},
		xfer{tx: 2, from: faucet, to: acctA, amount: 50, kind: chain.KindToken, asset: tok})
	c.block(xfer{tx: 0, from: acctA, to: pool, amount: 50, kind: chain.KindToken, asset: tok})
	c.block(xfer{tx: 0, from: thief, to: pool, amount: 40}, xfer{tx: 0, from: pool, to: thief, amount: 80, kind: chain.KindToken, asset: tok})
	seeds := []AccountSeed{{Address: thief, FromBlock: 2, Amount: uint256.NewInt(100)}, {Address: acctA, FromBlock: 2, Asset: tok, Amount: uint256.NewInt(50)}}
	for _, m := range []Model{FIFO, Haircut} {
		r, err := TraceAccount(c.s, chain.Ethereum, m, Bounds{}, seeds)
		if err != nil {
			t.Errorf("%s: %v", m, err)
			continue
		}
		t.Logf("%s: seeded %s frontier %s out %s in %s", m, total(r.Seeded), summary(r.Frontier), total(r.SwappedOut), total(r.SwappedIn))
		checkConserved(t, r)
	}
	// the same with the thief an Amount-less seed: Seeded underflows
	seeds[0] = AccountSeed{Address: thief, FromBlock: 1}
	r, err := TraceAccount(c.s, chain.Ethereum, Haircut, Bounds{}, seeds)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seedAll haircut: seeded %s frontier %s out %s in %s", total(r.Seeded), summary(r.Frontier), total(r.SwappedOut), total(r.SwappedIn))
	for _, s := range r.Seeded {
		if s.Asset == tok && s.Amount.Uint64() != 50 {
			t.Errorf("seeded TOK %s, want 50 (A's 50; the thief's receipt was tainted by the trace)", s.Amount.Dec())
		}
	}
}
