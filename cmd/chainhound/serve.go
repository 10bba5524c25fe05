package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/chainhound/chainhound/internal/api"
	"github.com/chainhound/chainhound/internal/guard"
)

func serveCommand() command {
	c := command{
		name:    "serve",
		summary: "serve the HTTP API: the Safe pre-sign guard (POST /v1/guard/safe, /v1/guard/audit), /healthz, /readyz",
		usage:   "[--listen 127.0.0.1:8080] [--rpc URL] [--guard-policy FILE] [--known-deployments FILE]",
		example: "chainhound serve --listen 127.0.0.1:8080 --rpc http://127.0.0.1:8545\n" +
			"curl -s -X POST --data-binary @safe-tx.json 'http://127.0.0.1:8080/v1/guard/safe?chain_id=1&version=1.1.1'",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (port 0: any free port, printed on stderr)")
		rpc := fs.String("rpc", "", "JSON-RPC URL of an Ethereum node with debug_traceCall, for the guard's version and nonce reads, code-hash recognition, simulation and audits")
		policy := fs.String("guard-policy", "", "large-transaction policy of the guard (YAML or JSON; see docs/guard.md)")
		known := fs.String("known-deployments", "", "JSON list of extra official Safe deployments for the guard")
		grace := fs.Duration("grace", 10*time.Second, "how long requests in flight may finish after a stop signal")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if _, _, err := net.SplitHostPort(*listen); err != nil {
			return usagef("--listen %q: want HOST:PORT", *listen)
		}
		noScreen := false
		g := &guardFlags{rpc: rpc, policy: policy, known: known, data: data, noScreen: &noScreen}
		svc, done, err := g.service(ctx, e)
		defer done()
		if err != nil {
			return err
		}
		// Ready when what the guard needs answers: the node, if one is
		// given. The store is optional (it only feeds screening), so a
		// missing store directory does not make the server unready.
		srv := api.New(e.log, func(ctx context.Context) error {
			if svc.Node == nil {
				return nil
			}
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if _, err := svc.Node.ChainID(ctx); err != nil {
				return fmt.Errorf("node: %v", err)
			}
			return nil
		})
		gh := guard.Handler(svc)
		srv.Handle("POST /v1/guard/safe", gh)
		srv.Handle("POST /v1/guard/audit", gh)
		err = srv.Run(ctx, *listen, *grace, nil)
		if err == nil && ctx.Err() != nil {
			return nil // stopped by a signal, gracefully
		}
		return err
	}
	return c
}
