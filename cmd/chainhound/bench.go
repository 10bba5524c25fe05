package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/chainhound/chainhound/internal/bench"
)

func benchIngestEthCommand() command {
	c := command{
		name:    "bench ingest-eth",
		summary: "measure Ethereum ingest throughput on synthetic mainnet-shaped blocks replayed from memory",
		usage:   "[--blocks N] [--txs-per-block N] [--cores N]",
		example: "chainhound bench ingest-eth --blocks 5000 --cores 1",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		blocks := fs.Int("blocks", 2000, "blocks to ingest")
		distinct := fs.Int("distinct", 256, "distinct blocks generated and replayed in a ring")
		txs := fs.Int("txs-per-block", 150, "transactions per block")
		cores := fs.Int("cores", 0, "GOMAXPROCS for the run (0: all cores)")
		workers := fs.Int("workers", 4, "fetch/decode workers")
		data := fs.String("data", "", "store directory (default: a temporary one, removed after)")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if *blocks <= 0 || *txs <= 0 {
			return usagef("--blocks and --txs-per-block must be positive")
		}
		if *cores > 0 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*cores))
		}
		e.log.Info("generating and replaying synthetic blocks", "blocks", *blocks, "txs_per_block", *txs)
		res, err := bench.IngestEth(ctx, bench.IngestEthConfig{Blocks: *blocks, Distinct: *distinct, TxsPerBlock: *txs, Workers: *workers, Dir: *data})
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, res)
		return nil
	}
	return c
}
