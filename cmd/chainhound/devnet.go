package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/scenario/heist"
)

func devnetCommand() command {
	c := command{
		name:    "devnet",
		summary: "run an in-process Ethereum node with sample activity, or a demo scenario block by block, and serve its JSON-RPC (for trying chainhound without a node)",
		usage:   "[--listen 127.0.0.1:8545] [--txs N] [--seed N] [--scenario bybit|peel-chain|benign [--block-time D] [--truth FILE]]",
		example: "chainhound devnet --txs 500 &\nchainhound ingest eth --rpc http://127.0.0.1:8545 --data ./devdata\n" +
			"chainhound devnet --scenario bybit --block-time 2s --truth bybit-truth.json   # the demo's heist, one block every 2 s",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		listen := fs.String("listen", "127.0.0.1:8545", "address to serve JSON-RPC on")
		txs := fs.Int("txs", 500, "transactions of the sample workload (0: none)")
		seed := fs.Int64("seed", 1, "workload (or scenario) seed: the same seed gives the same chain activity")
		chainID := fs.Uint64("chain-id", scenario.DefaultChainID, "chain id")
		scenarioName := fs.String("scenario", "", "play a demo scenario instead of the sample workload (bybit, peel-chain or benign; see docs/demo.md), after serving starts")
		blockTime := fs.Duration("block-time", 0, "with --scenario: wait this long before each block (0: seal them all at once)")
		truthFile := fs.String("truth", "", "with --scenario: write the ground truth (JSON) to this file once the last block is sealed")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if *txs < 0 {
			return usagef("--txs must not be negative")
		}
		if *scenarioName != "" && !slices.Contains(heist.Scenarios, *scenarioName) {
			return usagef("--scenario %q: want %s", *scenarioName, strings.Join(heist.Scenarios, ", "))
		}
		if *scenarioName == "" && (*blockTime != 0 || *truthFile != "") {
			return usagef("--block-time and --truth go with --scenario")
		}
		if *blockTime < 0 {
			return usagef("--block-time %v: want 0 or more", *blockTime)
		}
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", *listen, err)
		}
		var node *scenario.Node
		var player *heist.Player
		if *scenarioName != "" {
			e.log.Info("deploying the scenario's contracts", "scenario", *scenarioName, "seed", *seed)
			if player, err = heist.New(ctx, heist.Config{Scenario: *scenarioName, Seed: *seed}); err != nil {
				ln.Close()
				return err
			}
			defer player.Close()
			node = player.Node()
		} else {
			if node, err = scenario.NewNode(scenario.NodeConfig{ChainID: *chainID}); err != nil {
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
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		e.log.Info("serving JSON-RPC; stop with Ctrl-C", "url", "http://"+ln.Addr().String(), "chain_id", node.ChainID())
		fmt.Fprintf(e.stdout, "http://%s\n", ln.Addr())
		if player != nil {
			if err := playScenario(ctx, e, player, *blockTime, *truthFile); err != nil && ctx.Err() == nil {
				srv.Close()
				<-served
				return err
			}
		}
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	return c
}

// playScenario seals the scenario's blocks, one per blockTime, logging the
// thief's fan-out and exits as they happen, and writes the truth at the end.
func playScenario(ctx context.Context, e *env, p *heist.Player, blockTime time.Duration, truthFile string) error {
	for !p.Done() {
		if blockTime > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(blockTime):
			}
		}
		r, err := p.Step(ctx)
		if err != nil {
			return err
		}
		e.log.Info("block", "number", r.Number, "txs", r.Txs, "what", r.Note, "thief_transfers", len(r.Movements), "exits", len(r.Exits))
	}
	e.log.Info("scenario played", "last_block", p.Truth().LastBlock)
	if truthFile == "" {
		return nil
	}
	var b bytes.Buffer
	if err := p.Truth().WriteJSON(&b); err != nil {
		return err
	}
	return os.WriteFile(truthFile, b.Bytes(), 0o644)
}
