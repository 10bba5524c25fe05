package trace

import (
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// Haircut backward with wei-sized amounts: the weights are float64, so a
// receipt of 2^80+2^20+1 weighs the same as one of 2^80. Asked for the
// whole balance, the exact answer is each receipt whole; the tracer is
// within a relative 2^-50 of it (docs/trace.md says so), and the parts sum
// to the balance exactly.
func TestRegressBackHaircutFloatWeights(t *testing.T) {
	c := newEthChain(t)
	P, Q, Y := eth(0x11), eth(0x12), eth(0x13)
	big := new(uint256.Int).Lsh(uint256.NewInt(1), 80)
	a := new(uint256.Int).Add(big, uint256.NewInt(1<<20+1))
	c.height++
	blk := &chain.Block{Chain: chain.Ethereum, Height: 1, Hash: txHash("eth-1"), Time: 1,
		Txs: []chain.Tx{{Hash: txHash("t0"), Index: 0, Success: true}, {Hash: txHash("t1"), Index: 1, Success: true}},
		Transfers: []chain.Transfer{
			{Block: 1, TxIndex: 0, TxHash: txHash("t0"), Kind: chain.KindNative, From: P, To: Y, Amount: *a},
			{Block: 1, TxIndex: 1, TxHash: txHash("t1"), Kind: chain.KindNative, From: Q, To: Y, Amount: *big},
		}}
	if err := c.s.ApplyBlock(blk); err != nil {
		t.Fatal(err)
	}
	r, err := TraceAccountBack(c.s, chain.Ethereum, Haircut, Bounds{MaxHops: 1}, []AccountBackSeed{{Address: Y, At: 1}})
	if err != nil {
		t.Fatal(err)
	}
	sum := new(uint256.Int)
	for _, f := range r.Flows {
		want := big
		if f.From == P {
			want = a
		}
		sum.Add(sum, &f.Amount)
		d := new(uint256.Int)
		if f.Amount.Gt(want) {
			d.Sub(&f.Amount, want)
		} else {
			d.Sub(want, &f.Amount)
		}
		if tol := new(uint256.Int).Rsh(want, 50); d.Gt(tol) {
			t.Errorf("from %v: %s, exact %s (off by %s, more than 2^-50 of it)", f.From, f.Amount.Dec(), want.Dec(), d.Dec())
		}
	}
	if total := new(uint256.Int).Add(a, big); !sum.Eq(total) || len(r.Flows) != 2 {
		t.Errorf("parts sum to %s in %d flows, want %s in 2", sum.Dec(), len(r.Flows), total.Dec())
	}
}
