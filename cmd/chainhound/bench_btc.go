package main

import (
	"context"
	"fmt"
	"os"
	"runtime"

	"github.com/chainhound/chainhound/internal/bench"
)

func benchIngestBTCCommand() command {
	c := command{
		name:    "bench ingest-btc",
		summary: "measure Bitcoin ingest throughput on synthetic mainnet-shaped blocks against bare wire decoding",
		usage:   "[--blocks N] [--txs-per-block N] [--cores N] [--cpuprofile FILE]",
		example: "chainhound bench ingest-btc --blocks 300 --cores 1",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		blocks := fs.Int("blocks", 200, "synthetic blocks after genesis")
		txs := fs.Int("txs-per-block", 2500, "transactions per block once the chain has enough outputs to spend")
		cores := fs.Int("cores", 0, "GOMAXPROCS for the run (0: all cores)")
		workers := fs.Int("workers", 4, "decode workers")
		data := fs.String("data", "", "store directory (default: a temporary one, removed after)")
		cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the end-to-end ingest (not of generating blocks or timing wire) to this file")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if *blocks <= 0 || *txs <= 0 {
			return usagef("--blocks and --txs-per-block must be positive")
		}
		if *cores > 0 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*cores))
		}
		cfg := bench.IngestBTCConfig{Blocks: *blocks, TxsPerBlock: *txs, Workers: *workers, Dir: *data}
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				return err
			}
			defer f.Close()
			cfg.CPUProfile = f
		}
		res, err := bench.IngestBTC(ctx, cfg)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, res)
		return nil
	}
	return c
}
