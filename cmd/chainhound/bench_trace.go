package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/bench"
	"github.com/chainhound/chainhound/internal/trace"
)

func benchTraceCommand() command {
	c := command{
		name:    "bench trace",
		summary: "measure forward tracing (fifo, haircut, tiho, poison) on synthetic power-law graphs: latency, edges visited per second, peak memory",
		usage:   "[--data DIR] [--transfers N] [--utxo-txs N] [--seeds 1,100,10000] [--source store,memory,fast] [--output table|json]",
		example: "chainhound bench trace --data /tmp/trace-1m --transfers 1000000 --utxo-txs 200000\nchainhound bench trace --data /work/benchdata/trace-50m --transfers 50000000 --utxo-txs 10000000 --output json",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := fs.String("data", "", "directory keeping the generated graphs between runs (default: a temporary one, removed after)")
		transfers := fs.Int("transfers", 1_000_000, "account graph: transfers to generate (0: no account graph)")
		utxoTxs := fs.Int("utxo-txs", 200_000, "UTXO graph: transactions to generate (0: no UTXO graph)")
		addresses := fs.Int("addresses", 0, "address population per graph (0: transfers/10 on the account graph, one per transaction on the UTXO graph)")
		exponent := fs.Float64("exponent", 1.1, "Zipf exponent of counterparty choice (> 1)")
		seed := fs.Uint64("seed", 1, "random seed of the generated graphs")
		seeds := fs.String("seeds", "1,100,10000", "seed counts per trace, comma-separated")
		single := fs.Int("single-runs", 5, "one-seed traces per model, each from another seed")
		hops := fs.Int("max-hops", 6, "hop bound of every trace")
		sources := fs.String("source", "store,memory,fast", "what traces: store (the general tracer reading Pebble), memory (the general tracer over an in-memory snapshot built first), fast (the snapshot's fast path), comma-separated")
		models := fs.String("models", "", "taint models to run, comma-separated (default: all of each chain)")
		budget := fs.Duration("budget", 10*time.Minute, "stop a trace running longer than this")
		maxHeap := fs.Int("max-heap-mb", 12<<10, "stop a trace whose Go heap grows by more than this many MiB")
		cacheMB := fs.Int64("cache-mb", 0, "the store's block cache in MiB (0: the store's default)")
		cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
		snapFile := fs.String("snapshot-file", "", "keep the account graph's in-memory snapshot in this file: read it when it exists (seconds instead of minutes), else build it and write it there")
		generateOnly := fs.Bool("generate-only", false, "make (or check) the graphs in --data and stop")
		airdrop := fs.Bool("airdrop", false, "after the account graph, send one wei to every address rank, so all --addresses are stored (a store for bench serve)")
		labelsFile := fs.String("labels", "", "with --generate-only: also write the serving benchmark's label CSV (100 busiest addresses as exchanges, 10 sampled alert addresses each as stolen funds, sanctioned and mixer) to this file")
		exchanges := fs.Int("exchanges", 0, "attribute the N busiest addresses as exchanges and stop taint there, as the trace command does at services (0: no exits)")
		output := fs.String("output", "table", "table or json")
		cores := fs.Int("cores", 0, "GOMAXPROCS for the run (0: all cores)")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		cfg := bench.TraceConfig{Graph: bench.TraceGraphConfig{AccountTransfers: *transfers, UTXOTxs: *utxoTxs, Addresses: *addresses, Exponent: *exponent, Seed: *seed, Airdrop: *airdrop},
			CacheBytes: *cacheMB << 20, SingleRuns: *single, MaxHops: *hops, Budget: *budget, MaxHeap: uint64(*maxHeap) << 20, Progress: e.stderr}
		switch {
		case *transfers < 0 || *utxoTxs < 0 || *transfers+*utxoTxs == 0:
			return usagef("--transfers and --utxo-txs must not be negative, and one must be positive")
		case *exponent <= 1:
			return usagef("--exponent %v: want a number above 1", *exponent)
		case *single <= 0 || *hops <= 0 || *budget <= 0 || *maxHeap <= 0:
			return usagef("--single-runs, --max-hops, --budget and --max-heap-mb must be positive")
		case *output != "table" && *output != "json":
			return usagef("--output %q: want table or json", *output)
		}
		for _, s := range strings.Split(*seeds, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n <= 0 {
				return usagef("--seeds: %q is not a positive count", s)
			}
			cfg.Seeds = append(cfg.Seeds, n)
		}
		for _, s := range strings.Split(*sources, ",") {
			if s = strings.TrimSpace(s); s != "store" && s != "memory" && s != "fast" {
				return usagef("--source: %q is not store, memory or fast", s)
			}
			cfg.Sources = append(cfg.Sources, strings.TrimSpace(s))
		}
		if *models != "" {
			for _, s := range strings.Split(*models, ",") {
				m, err := trace.ParseModel(strings.TrimSpace(s))
				if err != nil {
					return usagef("--models: %v", err)
				}
				cfg.Models = append(cfg.Models, m)
			}
		}
		if *cores > 0 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*cores))
		}
		cfg.Dir = *data
		cfg.SnapshotFile = *snapFile
		if *exchanges < 0 {
			return usagef("--exchanges %d: want 0 or more", *exchanges)
		}
		cfg.Exchanges = *exchanges
		if cfg.Dir == "" {
			tmp, err := os.MkdirTemp("", "chainhound-bench-trace-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			cfg.Dir = tmp
		}
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		if *generateOnly {
			if *data == "" {
				return usagef("--generate-only needs --data")
			}
			g, err := bench.OpenTraceGraph(ctx, cfg.Dir, cfg.Graph, 0, e.stderr)
			if err != nil {
				return err
			}
			if *labelsFile != "" {
				err = writeServeLabels(*labelsFile, g)
			}
			return errors.Join(err, g.Close())
		}
		if *labelsFile != "" {
			return usagef("--labels needs --generate-only")
		}
		res, err := bench.Trace(ctx, cfg)
		if err != nil {
			return err
		}
		if *output == "json" {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(res)
		}
		fmt.Fprint(e.stdout, res)
		return nil
	}
	return c
}

// writeServeLabels writes the serving benchmark's label file for g.
func writeServeLabels(path string, g *bench.TraceGraph) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := bench.WriteServeLabels(f, g, 100, 10); err != nil {
		f.Close()
		return fmt.Errorf("--labels %s: %w", path, err)
	}
	return f.Close()
}
