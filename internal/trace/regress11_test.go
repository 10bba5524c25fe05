package trace

import (
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// Haircut backward with wei-sized amounts: the weights are float64, so a
// receipt of 2^80+2^20+1 weighs the same as one of 2^80. Asked for the
// whole balance, the exact answer is each receipt whole; the tracer is off
// by 2^19 units (docs: "each is within one unit of its exact share").
func TestReviewBackHaircutFloatWeights(t *testing.T) {
	c := newEthChain(t)
	P, Q, Y := eth(0x11), eth(0x12), eth(0x13)
	big := new(uint256.Int).Lsh(uint256.NewInt(1), 80)
	a := new(uint256.Int).Add(big, uint256.NewInt(1<<20+1))
	b := chain.Block{}
	_ = b
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
	for _, f := range r.Flows {
		want := big
		if f.From == P {
			want = a
		}
		if !f.Amount.Eq(want) {
			d := new(uint256.Int).Sub(want, &f.Amount)
			t.Errorf("from %v: %s, exact %s (off by %s)", f.From, f.Amount.Dec(), want.Dec(), d.Dec())
		}
	}
}
