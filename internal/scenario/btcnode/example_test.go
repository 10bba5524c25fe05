package btcnode_test

import (
	"context"
	"fmt"
	"log"

	"github.com/chainhound/chainhound/internal/scenario/btcnode"
)

// A test of chainhound's Bitcoin ingest plays a workload on a node, points
// the ingester at the node and compares balances. (Compiled, not run: it
// needs a btcd binary.)
func Example() {
	ctx := context.Background()
	n, err := btcnode.Start(ctx, btcnode.Config{}) // regtest
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()

	if _, err := btcnode.RunWorkload(ctx, n, btcnode.WorkloadConfig{Seed: 1}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("chainhound ingest btc --network", n.Network(),
		"--rpc", n.RPCURL(), "--rpc-user", n.RPCUser(), "--rpc-pass", n.RPCPass())

	// Ground truth, read from the node: satoshis per address at the tip.
	b, err := n.Balances(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for addr, sat := range b.ByAddress() {
		fmt.Println(addr, sat)
	}

	// Make the node reorganise two blocks deep.
	if _, err := n.Reorg(ctx, btcnode.ReorgConfig{Depth: 2}); err != nil {
		log.Fatal(err)
	}
}
