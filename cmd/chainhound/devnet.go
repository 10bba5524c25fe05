package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/chainhound/chainhound/internal/scenario"
)

func devnetCommand() command {
	c := command{
		name:    "devnet",
		summary: "run an in-process Ethereum node with sample activity and serve its JSON-RPC (for trying chainhound without a node)",
		usage:   "[--listen 127.0.0.1:8545] [--txs N] [--seed N]",
		example: "chainhound devnet --txs 500 &\nchainhound ingest eth --rpc http://127.0.0.1:8545 --data ./devdata",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		listen := fs.String("listen", "127.0.0.1:8545", "address to serve JSON-RPC on")
		txs := fs.Int("txs", 500, "transactions of the sample workload (0: none)")
		seed := fs.Int64("seed", 1, "workload seed: the same seed gives the same chain activity")
		chainID := fs.Uint64("chain-id", scenario.DefaultChainID, "chain id")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if *txs < 0 {
			return usagef("--txs must not be negative")
		}
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", *listen, err)
		}
		node, err := scenario.NewNode(scenario.NodeConfig{ChainID: *chainID})
		if err != nil {
			ln.Close()
			return err
		}
		defer node.Close()
		if *txs > 0 {
			e.log.Info("playing sample workload", "txs", *txs, "seed", *seed)
			res, err := scenario.RunWorkload(ctx, node, scenario.WorkloadConfig{Txs: *txs, Seed: *seed})
			if err != nil {
				ln.Close()
				return err
			}
			e.log.Info("workload sealed", "blocks", res.Blocks, "txs", len(res.TxHashes), "failed", res.Failed)
		}
		target, err := url.Parse(node.URL())
		if err != nil {
			ln.Close()
			return err
		}
		srv := &http.Server{Handler: httputil.NewSingleHostReverseProxy(target), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			<-ctx.Done()
			shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(shut)
		}()
		e.log.Info("serving JSON-RPC; stop with Ctrl-C", "url", "http://"+ln.Addr().String(), "chain_id", *chainID)
		fmt.Fprintf(e.stdout, "http://%s\n", ln.Addr())
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	return c
}
