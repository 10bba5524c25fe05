package main

import (
	"context"
	"math/big"
	"testing"

	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/ethereum/go-ethereum/common"
)

// TestReorgMatchesFreshIngest ingests a chain, makes the node reorganise onto
// a longer side chain with different transactions, ingests again into the
// same store and checks the export equals a fresh ingest of the final chain.
func TestReorgMatchesFreshIngest(t *testing.T) {
	n := newNode(t, scenario.NodeConfig{})
	workload(t, n, 120, 3)
	dir := t.TempDir()
	mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", dir)
	before := export(t, dir)

	head := n.Head()
	forkAt := head.Number.Uint64() - 3
	parent, err := n.Client().HeaderByNumber(context.Background(), new(big.Int).SetUint64(forkAt))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Fork(parent.Hash()); err != nil {
		t.Fatal(err)
	}
	// The side chain: five blocks, each sending ether to a new address, so
	// its transfers differ from the replaced blocks'.
	for i := 0; i < 5; i++ {
		to := common.BigToAddress(big.NewInt(int64(0xfeed00 + i)))
		if _, err := n.Send(context.Background(), i%len(n.Keys()), &to, big.NewInt(1e15), nil, 21000); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if h := n.Head(); h.Number.Uint64() != forkAt+5 {
		t.Fatalf("side chain head %d, want %d", h.Number.Uint64(), forkAt+5)
	}
	_, logs, code := cli(t, "ingest", "eth", "--rpc", n.URL(), "--data", dir)
	if code != 0 {
		t.Fatalf("ingest after reorg: exit %d\n%s", code, logs)
	}
	after := export(t, dir)
	if after == before {
		t.Fatal("export unchanged by a reorg that replaced three blocks")
	}
	fresh := t.TempDir()
	mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", fresh)
	if want := export(t, fresh); after != want {
		t.Fatalf("export after reorg differs from a fresh ingest:\n--- after reorg\n%s\n--- fresh\n%s", after, want)
	}
	if !containsAll(logs, "reorg", "rolled_back=3") {
		t.Errorf("ingest did not report the reorg:\n%s", logs)
	}
}
