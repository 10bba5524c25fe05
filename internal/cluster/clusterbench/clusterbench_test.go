package clusterbench

import (
	"context"
	"strings"
	"testing"
)

// A small run must produce consistent figures: every transaction of k
// inputs makes k-1 union operations, and merges never exceed them.
func TestRunSmall(t *testing.T) {
	r, err := Run(context.Background(), Config{Inputs: 20_000, BlockTxs: 50, BlockInputs: 120, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Inputs != 20_000 || r.Unions != r.Inputs-r.Txs || r.Merges > r.Unions || r.Merges == 0 {
		t.Fatalf("inputs %d, txs %d, unions %d, merges %d", r.Inputs, r.Txs, r.Unions, r.Merges)
	}
	if r.BytesPerAddress < 5 || r.BytesPerAddress > 16 || r.BlockMillis <= 0 || r.BlockMillisChange <= 0 || r.Change.ChangeMerges == 0 {
		t.Fatalf("bytes/address %.1f, block %.1f ms, %+v", r.BytesPerAddress, r.BlockMillis, r.Change)
	}
	// The blocks with change on make transactions wait and decide them:
	// each block after the first spends the outputs of the previous
	// one's waiting transactions (all but the last's payment).
	if c := r.Change; c.Deferred == 0 || c.DeferResolved == 0 || c.DeferChange != c.DeferResolved || c.DeferResolved >= c.Deferred {
		t.Fatalf("fingerprint waits: %+v", c)
	}
	if r.WaitingBytes < 100 || r.WaitingBytes > 1000 {
		t.Fatalf("a waiting transaction takes %.0f bytes", r.WaitingBytes)
	}
	t.Log(r)
	if !strings.Contains(r.String(), "union ops/s") {
		t.Fatalf("report:\n%s", r)
	}
}
