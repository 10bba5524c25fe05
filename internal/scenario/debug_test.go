package scenario

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestDebugPending(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	ctx := context.Background()
	to := common.Address{1}
	for b := 0; b < 200; b++ {
		for i := 0; i < 20; i++ {
			if _, err := n.Send(ctx, (b*7+i*3)%10, &to, big.NewInt(1), nil, 21000); err != nil {
				t.Fatal(err)
			}
		}
		p, q := n.eth.TxPool().Stats()
		n.eth.TxPool().Sync()
		p2, q2 := n.eth.TxPool().Stats()
		if _, err := n.Commit(); err != nil {
			t.Fatal(err)
		}
		left, _ := n.Pending()
		if left > 0 {
			blk := n.Head()
			t.Fatalf("block %d: before commit pending %d queued %d, after sync %d %d; left %d; block gas %d", blk.Number, p, q, p2, q2, left, blk.GasUsed)
		}
	}
}
