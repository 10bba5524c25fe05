package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ingest"
	"github.com/chainhound/chainhound/internal/ingest/btc"
	"github.com/chainhound/chainhound/internal/progress"
	"github.com/chainhound/chainhound/internal/store"
)

func ingestBTCCommand() command {
	c := command{
		name:    "ingest btc",
		summary: "ingest Bitcoin blocks from a node (RPC), a Bitcoin Core blocks/ directory or bitcoin-etl / BigQuery exports into the store",
		usage:   "(--rpc URL [--rpc-user U --rpc-password P | --rpc-cookie FILE] | --blocks-dir DIR | --etl-json FILE...) [--network mainnet|testnet|signet|regtest] [--from N] [--to M | --follow] [--confirmations K]",
		example: "chainhound ingest btc --blocks-dir ~/.bitcoin/blocks --to 200000\n" +
			"chainhound ingest btc --rpc http://127.0.0.1:8332 --rpc-cookie ~/.bitcoin/.cookie --follow --confirmations 3\n" +
			"chainhound ingest btc --etl-json blocks.json --etl-json transactions.json   # bitcoin-etl export_blocks_and_transactions",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		rpcURL := fs.String("rpc", os.Getenv("CHAINHOUND_BTC_RPC"), "JSON-RPC endpoint of a Bitcoin node (default $CHAINHOUND_BTC_RPC)")
		user := fs.String("rpc-user", os.Getenv("CHAINHOUND_BTC_RPC_USER"), "RPC user (default $CHAINHOUND_BTC_RPC_USER)")
		pass := fs.String("rpc-password", os.Getenv("CHAINHOUND_BTC_RPC_PASSWORD"), "RPC password (default $CHAINHOUND_BTC_RPC_PASSWORD)")
		cookie := fs.String("rpc-cookie", "", "RPC cookie file (Bitcoin Core's .cookie) instead of user and password")
		blocksDir := fs.String("blocks-dir", "", "a Bitcoin Core blocks/ directory to read directly (blk*.dat, xor.dat)")
		var etlFiles []string
		fs.Func("etl-json", "a bitcoin-etl / BigQuery crypto_bitcoin JSON-lines export of whole, consecutive blocks (repeat for blocks and transactions files); with --rpc, the node serves only outputs the store and the files lack", func(v string) error {
			etlFiles = append(etlFiles, v)
			return nil
		})
		network := fs.String("network", "mainnet", "mainnet, testnet, testnet4, signet, regtest or simnet")
		from := fs.Uint64("from", 0, "first block (default: after the store's last block, else 0)")
		to := fs.Uint64("to", 0, "last block (default: the tip less --confirmations)")
		follow := fs.Bool("follow", false, "keep following the tip after catching up")
		conf := fs.Uint64("confirmations", 0, "commit only blocks this many blocks below the tip")
		workers := fs.Int("workers", 4, "concurrent block fetchers and decoders")
		poll := fs.Duration("poll", 5*time.Second, "tip polling interval with --follow")
		timeout := fs.Duration("timeout", 60*time.Second, "timeout of one RPC request")
		retries := fs.Int("retries", 6, "retries of a failed RPC request, with exponential backoff and jitter")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		switch {
		case *blocksDir != "" && (*rpcURL != "" || len(etlFiles) > 0):
			return usagef("--blocks-dir excludes --rpc and --etl-json")
		case *blocksDir == "" && *rpcURL == "" && len(etlFiles) == 0:
			return usagef("give --rpc, --blocks-dir or --etl-json")
		case (len(etlFiles) > 0 || *blocksDir != "") && *follow:
			return usagef("--follow needs a node (--rpc): files are read as they are when ingest starts")
		}
		if set["to"] && *follow {
			return usagef("--to and --follow exclude each other")
		}
		if set["to"] && set["from"] && *to < *from {
			return usagef("--to %d is below --from %d", *to, *from)
		}
		net, err := btc.ParseNetwork(*network)
		if err != nil {
			return usageError{err.Error()}
		}
		blocks, txRPC, err := btcBlocks(ctx, e, net, *rpcURL, btc.Auth{User: *user, Password: *pass, CookieFile: *cookie}, *blocksDir, *timeout, *retries)
		if err != nil {
			return err
		}
		cur, resume, err := storedCursor(*data, chain.Bitcoin)
		if err != nil {
			return err
		}
		var etl *btc.ETLFiles
		if len(etlFiles) > 0 {
			if etl, err = openETL(e, net, etlFiles); err != nil {
				return err
			}
			defer etl.Close()
			blocks = etl
			if resume {
				if err := etlAgrees(ctx, *data, etl, cur); err != nil {
					return err
				}
			}
			if !set["from"] {
				if resume && int64(cur.Height) >= etl.Last() {
					e.log.Info("the store already holds every block of the files", "stored", cur.Height, "last", etl.Last())
					return nil
				}
				if *from, err = etlStart(cur, resume, etl); err != nil {
					return err
				}
				set["from"] = true
			}
		}
		if !resume && *from > 0 {
			if err := canStartAbove(ctx, *from, net, txRPC, etl != nil); err != nil {
				return err
			}
		}
		st, err := store.Open(*data, store.Options{})
		if err != nil {
			return err
		}
		defer st.Close()
		src := btc.NewSource(net, blocks, st, txRPC)
		network2, err := src.Network(ctx)
		if err != nil {
			return err
		}
		cfg := ingest.Config{
			From: *from, HasFrom: set["from"], To: *to, HasTo: set["to"], Follow: *follow,
			Confirmations: *conf, Workers: *workers, PollInterval: *poll, Log: e.log, Network: &network2,
			Progress: progress.New(e.stderr, e.log, "ingest btc", 10*time.Second),
		}
		if etl != nil {
			cfg.NoReorg = "an export has no headers or proof of work to prefer one chain over another; load it into another --data directory, or ingest from a node"
		}
		ing, err := ingest.New(src, st, cfg)
		if err != nil {
			return usageError{err.Error()}
		}
		sum, err := ing.Run(ctx)
		logSummary(e, sum)
		var miss *store.MissingOutputError
		switch {
		case errors.As(err, &miss) && etl != nil && txRPC == nil:
			return fmt.Errorf("%w\n(the files do not resolve this input: add --rpc with a node running -txindex=1, or load the blocks that created the output first)", err)
		case errors.As(err, &miss) && txRPC == nil:
			return fmt.Errorf("%w\n(a blocks/ directory cannot supply outputs created before the store's first block: ingest from block 0, or use --rpc with a node running -txindex=1)", err)
		}
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return fmt.Errorf("stopped at a block boundary: %w", err)
		}
		return err
	}
	return c
}

// openETL indexes bitcoin-etl files.
func openETL(e *env, net btc.Network, paths []string) (*btc.ETLFiles, error) {
	start := time.Now()
	etl, err := btc.OpenETL(net, paths...)
	if err != nil {
		return nil, err
	}
	e.log.Info("indexed bitcoin-etl files", "files", len(paths), "first", etl.First(), "last", etl.Last(), "took", time.Since(start).Round(time.Millisecond))
	return etl, nil
}

// etlStart is where an ingest from files begins without --from: at their
// first block in an empty store, else after the store's last block, which
// must then be in the files or just before them.
func etlStart(cur store.Cursor, resume bool, etl *btc.ETLFiles) (uint64, error) {
	if !resume {
		return uint64(etl.First()), nil
	}
	if int64(cur.Height)+1 < etl.First() {
		return 0, fmt.Errorf("the store ends at block %d but the files start at block %d: blocks %d..%d are missing", cur.Height, etl.First(), cur.Height+1, etl.First()-1)
	}
	etl.SetParent(cur.Hash)
	return cur.Height + 1, nil
}

// etlAgrees checks that the blocks the files and the store both hold have
// the same hashes: an export cannot reorganise the store.
func etlAgrees(ctx context.Context, dir string, etl *btc.ETLFiles, cur store.Cursor) error {
	st, err := store.Open(dir, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	for h := etl.First(); h <= etl.Last() && h <= int64(cur.Height); h++ {
		stored, ok, err := st.BlockHash(chain.Bitcoin, uint64(h))
		if err != nil || !ok {
			continue // below the store's first block, or unreadable: nothing to compare
		}
		got, err := etl.HashAt(ctx, h)
		if err != nil {
			return err
		}
		if btc.DisplayHash(got) != stored {
			return fmt.Errorf("block %d: the files have %s where the store holds %s: an export has no headers or proof of work to prefer one chain over another; load it into another --data directory, or ingest from a node",
				h, chain.Bitcoin.FormatHash(btc.DisplayHash(got)), chain.Bitcoin.FormatHash(stored))
		}
	}
	return nil
}

// storedCursor peeks at the store's last block of chain c without creating
// the store; ok is false when it holds none.
func storedCursor(dir string, c chain.Chain) (store.Cursor, bool, error) {
	if ents, err := os.ReadDir(dir); os.IsNotExist(err) || (err == nil && len(ents) == 0) {
		return store.Cursor{}, false, nil
	}
	st, err := store.Open(dir, store.Options{ReadOnly: true})
	if err != nil {
		return store.Cursor{}, false, err
	}
	defer st.Close()
	return st.Cursor(c)
}

// canStartAbove refuses, before anything is stored, an ingest that would
// start above genesis in a store without the outputs earlier blocks created,
// unless a node with a transaction index can serve them. Files may carry
// them (bitcoin-etl exports usually resolve inputs), so they may start.
func canStartAbove(ctx context.Context, from uint64, net btc.Network, txRPC *btc.RPC, files bool) error {
	switch {
	case txRPC != nil:
		err := txRPC.CheckTxIndex(ctx, net)
		if errors.Is(err, btc.ErrNotFound) {
			return fmt.Errorf("ingest from block %d needs the outputs earlier blocks created: %w\n(restart the node with -txindex=1, or ingest from block 0)", from, err)
		}
		if err != nil {
			return fmt.Errorf("checking that the node can serve the outputs earlier blocks created: %w", err)
		}
	case !files:
		return fmt.Errorf("ingest from block %d needs the outputs earlier blocks created, which a blocks/ directory cannot supply: ingest from block 0, or use --rpc with a node running -txindex=1", from)
	}
	return nil
}

// btcBlocks opens the block source: a node (checked to serve the network)
// or a blocks/ directory; the node also serves previous outputs.
func btcBlocks(ctx context.Context, e *env, net btc.Network, rpcURL string, auth btc.Auth, dir string, timeout time.Duration, retries int) (btc.Blocks, *btc.RPC, error) {
	if dir != "" {
		start := time.Now()
		d, err := btc.OpenBlocksDir(dir, net)
		if err != nil {
			return nil, nil, err
		}
		e.log.Info("indexed blocks directory", "dir", dir, "tip", d.Height(), "took", time.Since(start).Round(time.Millisecond))
		return btc.DirBlocks{Dir: d}, nil, nil
	}
	if rpcURL == "" {
		return nil, nil, nil
	}
	rpc, err := btc.NewRPC(rpcURL, auth, btc.WithTimeout(timeout), btc.WithRetries(retries))
	if err != nil {
		return nil, nil, usageError{err.Error()}
	}
	if err := rpc.CheckNetwork(ctx, net); err != nil {
		return nil, nil, err
	}
	e.log.Info("reading blocks from node", "rpc", rpc.URL(), "network", net.Name)
	return btc.RPCBlocks{RPC: rpc, Net: net}, rpc, nil
}
