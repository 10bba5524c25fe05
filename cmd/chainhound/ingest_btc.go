package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/chainhound/chainhound/internal/ingest"
	"github.com/chainhound/chainhound/internal/ingest/btc"
	"github.com/chainhound/chainhound/internal/progress"
	"github.com/chainhound/chainhound/internal/store"
)

func ingestBTCCommand() command {
	c := command{
		name:    "ingest btc",
		summary: "ingest Bitcoin blocks from a node (RPC) or a Bitcoin Core blocks/ directory into the store",
		usage:   "(--rpc URL [--rpc-user U --rpc-password P | --rpc-cookie FILE] | --blocks-dir DIR) [--network mainnet|testnet|signet|regtest] [--from N] [--to M | --follow] [--confirmations K]",
		example: "chainhound ingest btc --blocks-dir ~/.bitcoin/blocks --to 200000\n" +
			"chainhound ingest btc --rpc http://127.0.0.1:8332 --rpc-cookie ~/.bitcoin/.cookie --follow --confirmations 3",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		rpcURL := fs.String("rpc", os.Getenv("CHAINHOUND_BTC_RPC"), "JSON-RPC endpoint of a Bitcoin node (default $CHAINHOUND_BTC_RPC)")
		user := fs.String("rpc-user", os.Getenv("CHAINHOUND_BTC_RPC_USER"), "RPC user (default $CHAINHOUND_BTC_RPC_USER)")
		pass := fs.String("rpc-password", os.Getenv("CHAINHOUND_BTC_RPC_PASSWORD"), "RPC password (default $CHAINHOUND_BTC_RPC_PASSWORD)")
		cookie := fs.String("rpc-cookie", "", "RPC cookie file (Bitcoin Core's .cookie) instead of user and password")
		blocksDir := fs.String("blocks-dir", "", "a Bitcoin Core blocks/ directory to read directly (blk*.dat, xor.dat)")
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
		if (*rpcURL == "") == (*blocksDir == "") {
			return usagef("give exactly one of --rpc and --blocks-dir")
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
		ing, err := ingest.New(src, st, cfg)
		if err != nil {
			return usageError{err.Error()}
		}
		sum, err := ing.Run(ctx)
		logSummary(e, sum)
		var miss *store.MissingOutputError
		if errors.As(err, &miss) && txRPC == nil {
			return fmt.Errorf("%w\n(a blocks/ directory cannot supply outputs created before --from: ingest from block 0, or use --rpc with a node running -txindex)", err)
		}
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return fmt.Errorf("stopped at a block boundary: %w", err)
		}
		return err
	}
	return c
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
