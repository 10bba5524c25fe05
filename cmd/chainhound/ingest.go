package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/chainhound/chainhound/internal/ingest"
	"github.com/chainhound/chainhound/internal/ingest/eth"
	"github.com/chainhound/chainhound/internal/progress"
	"github.com/chainhound/chainhound/internal/store"
)

func ingestEthCommand() command {
	c := command{
		name:    "ingest eth",
		summary: "ingest Ethereum blocks from a JSON-RPC node into the store",
		usage:   "--rpc URL [--from N] [--to M | --follow] [--confirmations K] [--receipts auto|block|tx] [--traces auto|debug|parity|none]",
		example: "chainhound ingest eth --rpc http://127.0.0.1:8545 --from 0 --follow --confirmations 12\n" +
			"chainhound ingest eth --rpc $ETH_RPC --from 21895000 --to 21896000 --traces debug --data ./bybit",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		rpcURL := fs.String("rpc", os.Getenv("CHAINHOUND_ETH_RPC"), "JSON-RPC endpoint of an Ethereum node (default $CHAINHOUND_ETH_RPC)")
		from := fs.Uint64("from", 0, "first block (default: after the store's last block, else 0)")
		to := fs.Uint64("to", 0, "last block (default: the node's head less --confirmations)")
		follow := fs.Bool("follow", false, "keep following the head after catching up")
		conf := fs.Uint64("confirmations", 0, "commit only blocks this many blocks below the head")
		receipts := fs.String("receipts", "auto", "receipt source: auto, block (eth_getBlockReceipts) or tx (eth_getTransactionReceipt)")
		traces := fs.String("traces", "auto", "internal transfers from: auto, debug (callTracer), parity (trace_block) or none")
		workers := fs.Int("workers", 4, "concurrent block fetchers")
		poll := fs.Duration("poll", 2*time.Second, "head polling interval with --follow")
		timeout := fs.Duration("timeout", 60*time.Second, "timeout of one RPC request")
		retries := fs.Int("retries", 6, "retries of a failed RPC request (transport errors, HTTP 429/5xx), with exponential backoff and jitter")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if *rpcURL == "" {
			return usagef("--rpc is required (or set CHAINHOUND_ETH_RPC)")
		}
		if set["to"] && *follow {
			return usagef("--to and --follow exclude each other")
		}
		if *retries < 0 {
			return usagef("--retries must not be negative")
		}
		maxRetries := *retries
		if maxRetries == 0 {
			maxRetries = -1 // the client reads 0 as "default"
		}
		if set["to"] && set["from"] && *to < *from {
			return usagef("--to %d is below --from %d", *to, *from)
		}
		client := eth.NewClient(*rpcURL, eth.ClientOptions{Timeout: *timeout, MaxRetries: maxRetries})
		fetcher, err := eth.NewFetcher(client, eth.FetchOptions{Receipts: *receipts, Traces: *traces})
		if err != nil {
			return usageError{err.Error()}
		}
		// Ask the node everything that can fail before touching the store,
		// so that a bad node or URL leaves --data as it was.
		network, err := eth.NetworkOf(ctx, fetcher)
		if err != nil {
			return err
		}
		// Probe at the head: a pruned node may not trace old blocks, and
		// that is no reason to believe it cannot trace at all.
		head, err := fetcher.Head(ctx)
		if err != nil {
			return err
		}
		if err := fetcher.Detect(ctx, head); err != nil {
			return err
		}
		st, err := store.Open(*data, store.Options{})
		if err != nil {
			return err
		}
		defer st.Close()
		cfg := eth.Config{
			From: *from, HasFrom: set["from"], To: *to, HasTo: set["to"], Follow: *follow,
			Confirmations: *conf, Workers: *workers, PollInterval: *poll, Log: e.log, Network: &network,
			Progress: progress.New(e.stderr, e.log, "ingest eth", 10*time.Second),
		}
		ing, err := eth.NewIngester(fetcher, st, cfg)
		if err != nil {
			return usageError{err.Error()}
		}
		e.log.Info("ingesting", "rpc", client.URL(), "data", *data, "receipts", fetcher.Receipts(), "traces", fetcher.Traces())
		sum, err := ing.Run(ctx)
		logSummary(e, sum)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return fmt.Errorf("stopped at a block boundary: %w", err)
		}
		return err
	}
	return c
}

func logSummary(e *env, s ingest.Summary) {
	attrs := []any{"blocks", s.Blocks, "transfers", s.Transfers}
	if s.HasLast {
		attrs = append(attrs, "last_block", s.Last)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Counters)) {
		if s.Counters[k] > 0 {
			attrs = append(attrs, k, s.Counters[k])
		}
	}
	if s.Reorgs > 0 {
		attrs = append(attrs, "reorgs", s.Reorgs, "rolled_back", s.RolledBack)
	}
	e.log.Info("ingest done", attrs...)
}
