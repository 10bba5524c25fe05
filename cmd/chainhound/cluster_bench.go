package main

import (
	"context"
	"fmt"

	"github.com/chainhound/chainhound/internal/cluster/clusterbench"
)

func benchClusterCommand() command {
	c := command{
		name:    "bench cluster",
		summary: "clustering speed: co-spend union operations per second and bytes per address on a synthetic UTXO graph, and the incremental update of one mainnet-sized block",
		usage:   "[--inputs N] [--block-txs N] [--block-inputs N]",
		example: "chainhound bench cluster --inputs 10000000",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		inputs := fs.Int("inputs", 10_000_000, "inputs in the synthetic graph")
		addrs := fs.Int("addresses", 0, "distinct addresses (default 60% of the inputs)")
		txs := fs.Int("block-txs", 2500, "transactions in the incrementally clustered block")
		blockInputs := fs.Int("block-inputs", 6000, "inputs in that block")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if *inputs <= 0 || *txs <= 0 || *blockInputs < *txs || *addrs < 0 {
			return usagef("--inputs and --block-txs must be positive, --block-inputs at least --block-txs")
		}
		res, err := clusterbench.Run(ctx, clusterbench.Config{Inputs: *inputs, Addresses: *addrs, BlockTxs: *txs, BlockInputs: *blockInputs})
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, res)
		return nil
	}
	return c
}
