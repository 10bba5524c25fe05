package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime/debug"
	"time"

	"github.com/chainhound/chainhound/internal/api"
	"github.com/chainhound/chainhound/internal/apikey"
	"github.com/chainhound/chainhound/internal/guard"
	"github.com/chainhound/chainhound/internal/trace"
)

func serveCommand() command {
	c := command{
		name: "serve",
		summary: "serve the investigation workspace at / and the HTTP API: screening (POST /v1/screen, GET /v1/addresses/{caip10}/risk), lookups (address, tags, tx, entity, neighbours, search), trace and path, saved cases, the Safe pre-sign guard, contractor due diligence (POST /v1/vet/screen), the watcher's alerts (GET /v1/alerts, POST /v1/alerts/{id}/ack|resolve); /openapi.json, /metrics, /healthz, /readyz. " +
			"Every /v1 endpoint needs an API key (chainhound apikey create); serve refuses to start without one unless --no-auth",
		usage: "[--listen 127.0.0.1:8080] [--data DIR] [--no-auth] [--trace-timeout 30s] [--trace-snapshot] [--risk-policy FILE] [--trace-policy FILE] [--vet-config FILE] [--rpc URL] [--guard-policy FILE] [--known-deployments FILE]",
		example: "chainhound apikey create --name me --scopes screen,lookup,trace,guard   # prints the key once\n" +
			"chainhound serve --listen 127.0.0.1:8080\n" +
			"chainhound snapshot build && chainhound serve --trace-snapshot   # POST /v1/trace runs forward traces over the snapshots in memory\n" +
			"curl -s -H \"Authorization: Bearer $KEY\" http://127.0.0.1:8080/v1/addresses/eip155:1:0x098B716B8Aaf21512996dC57EB0615e2383E2f96/risk\n" +
			"curl -s -H \"Authorization: Bearer $KEY\" http://127.0.0.1:8080/v1/addresses/eip155:1:0x47666fab8bd0ac7003bce3f5c3585383f09486e2\n" +
			"curl -s http://127.0.0.1:8080/openapi.json",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (port 0: any free port, printed on stderr)")
		noAuth := fs.Bool("no-auth", false, "serve every endpoint without API keys or rate limits (only where nobody else can reach the port)")
		var allowedHosts multiFlag
		fs.Var(&allowedHosts, "allowed-host", "with --no-auth: also answer requests addressed to this host name (repeatable); IP addresses and localhost are always answered, other names refused against DNS rebinding")
		traceTimeout := fs.Duration("trace-timeout", 30*time.Second, "longest a trace or path request may run before it answers 503")
		rpc := fs.String("rpc", "", "JSON-RPC URL of an Ethereum node with debug_traceCall, for the guard's version and nonce reads, code-hash recognition, simulation and audits")
		policy := fs.String("guard-policy", "", "large-transaction policy of the guard (YAML or JSON; see docs/guard.md)")
		known := fs.String("known-deployments", "", "JSON list of extra official Safe deployments for the guard")
		grace := fs.Duration("grace", 10*time.Second, "how long requests in flight may finish after a stop signal")
		riskPolicy := fs.String("risk-policy", "", "screening policy YAML (see chainhound risk policy)")
		vetConfig := fs.String("vet-config", "", "vet configuration YAML for POST /v1/vet/screen (the key comes from $CHAINHOUND_VET_KEY or its key_file; see docs/vet.md)")
		tracePolicy := fs.String("trace-policy", "", "trace policy YAML of /v1/trace and /v1/paths (exit categories, stop_at, freezing venues, freezable assets; see docs/trace.md), as trace --policy")
		cacheMB := fs.Int("cache-mb", 1024, "block cache of the chain store in MiB (traces, and the exposure update at start, read it at random)")
		traceSnapshot := fs.Bool("trace-snapshot", false, "at start, read each chain's current snapshot from DATA/snapshots (chainhound snapshot build) into memory, and run POST /v1/trace's forward traces over it while the store's head of that chain stays where the snapshot was built (else the store); about 100 bytes of memory per transfer")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if _, _, err := net.SplitHostPort(*listen); err != nil {
			return usagef("--listen %q: want HOST:PORT", *listen)
		}
		if *traceTimeout <= 0 {
			return usagef("--trace-timeout %v: want a positive duration", *traceTimeout)
		}
		serverGC()
		keyFile := apikey.Path(*data)
		keys, err := apikey.Load(keyFile)
		if err != nil {
			return err
		}
		noScreen := false
		g := &guardFlags{rpc: rpc, policy: policy, known: known, data: data, noScreen: &noScreen}
		svc, done, err := g.service(ctx, e)
		defer done()
		if err != nil {
			return err
		}
		// Ready when what the guard needs answers: the node, if one is
		// given. The store is optional (lookups answer 503 without it), so
		// a missing store directory does not make the server unready.
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
		srv.SetVersion(version)
		if *noAuth {
			srv.DisableAuth()
			srv.AllowHosts(allowedHosts...)
			e.log.Warn("--no-auth: every endpoint is open to whoever reaches the port, without rate limits", "listen", *listen)
		} else {
			srv.SetKeys(keys)
			if srv.KeyCount() == 0 {
				return fmt.Errorf("no usable API key in %s: create one (chainhound apikey create --name NAME --scopes lookup,trace,guard --data %s) or start with --no-auth", keyFile, *data)
			}
			e.log.Info("API keys loaded", "file", keyFile, "keys", srv.KeyCount())
			go watchKeys(ctx, e, srv, keyFile, 2*time.Second)
		}
		if *cacheMB < 0 {
			return usagef("--cache-mb %d: want 0 (the store's default) or more", *cacheMB)
		}
		tp := trace.DefaultPolicy()
		if *tracePolicy != "" {
			if tp, err = trace.LoadPolicy(*tracePolicy); err != nil {
				return err
			}
		}
		lk, err := openLookups(e, *data, *traceTimeout, *cacheMB, tp)
		if err != nil {
			return err
		}
		defer lk.Close()
		if *traceSnapshot {
			if lk.st == nil {
				e.log.Warn("--trace-snapshot: no chain store, so no snapshot is read", "dir", *data)
			} else if lk.snaps, err = loadServeSnapshots(e, *data, lk.st, lk.chains); err != nil {
				return err
			}
		}
		lk.mount(srv)
		mountWorkspace(srv, lk, *data)
		sc, closeRisk, err := openScreening(ctx, e, lk, *data, *riskPolicy)
		if err != nil {
			return err
		}
		defer closeRisk()
		sc.mount(srv)
		vs, err := openVetService(e, lk, sc, *data, *vetConfig)
		if err != nil {
			return err
		}
		vs.mount(srv)
		mountGuard(srv, svc)
		alerts := &alertsAPI{data: *data}
		defer alerts.Close()
		alerts.mount(srv)
		err = srv.Run(ctx, *listen, *grace, nil)
		if err == nil && ctx.Err() != nil {
			return nil // stopped by a signal, gracefully
		}
		return err
	}
	return c
}

// serverGC lets the heap grow to 5 times what is live between collections
// (GOGC=400) unless GOGC is set: a screening batch allocates its answer's
// worth of garbage (about 5 MB for 10,000 addresses), and fewer
// collections cut its tail latency by a third (docs/bench-serve.md). The
// live heap of a server is its indexes, a few hundred MB at most.
func serverGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

// mountGuard registers the Safe guard's two operations (scope guard).
func mountGuard(srv *api.Server, svc *guard.Service) {
	gh := guard.Handler(svc)
	srv.Route(api.Route{Method: "POST", Path: "/v1/guard/safe", Scope: apikey.ScopeGuard, Tags: []string{"guard"},
		Summary: "check a Safe multisig transaction before signing: hashes, decoding, findings, simulation (chainhound guard safe --output json)",
		Params: []api.Param{
			{Name: "chain_id", In: "query", Description: "EIP-155 chain id", Schema: api.Schema{"type": "string", "pattern": "^[0-9]+$"}},
			{Name: "version", In: "query", Description: "Safe contract version, e.g. 1.3.0", Schema: api.Schema{"type": "string"}},
			{Name: "simulate", In: "query", Description: "simulate on the server's node", Schema: api.Schema{"type": "boolean"}}},
		RequestSchema: api.Schema{"description": "Safe Transaction Service JSON: a transaction, an array of them, or a page", "type": []string{"object", "array"}},
		Responses:     map[int]api.Schema{200: api.SchemaOf(guard.SafeResult{})},
		Problems:      []int{400, 422, 502}, MaxBodyBytes: guard.MaxRequestBytes, Handler: gh})
	srv.Route(api.Route{Method: "POST", Path: "/v1/guard/audit", Scope: apikey.ScopeGuard, Tags: []string{"guard"},
		Summary:       "review Safes' posture: owners, threshold, modules, guard, queued transactions (chainhound guard audit --output json)",
		RequestSchema: api.SchemaOf(guard.AuditRequest{}), Responses: map[int]api.Schema{200: api.SchemaOf(guard.AuditResult{})},
		Problems: []int{400, 502, 503}, MaxBodyBytes: guard.MaxRequestBytes, Handler: gh})
}

// watchKeys reloads the key file when it changes, so keys created or
// revoked while serve runs take effect within one interval. A file that
// fails to load keeps the keys in use and logs why.
func watchKeys(ctx context.Context, e *env, srv *api.Server, path string, every time.Duration) {
	stamp := func() (time.Time, int64) {
		fi, err := os.Stat(path)
		if err != nil {
			return time.Time{}, -1
		}
		return fi.ModTime(), fi.Size()
	}
	mod, size := stamp()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m, s := stamp()
		if m.Equal(mod) && s == size {
			continue
		}
		mod, size = m, s
		keys, err := apikey.Load(path)
		if err != nil {
			e.log.Error("API key file changed but cannot be read; keeping the keys in use", "err", err)
			continue
		}
		srv.SetKeys(keys)
		e.log.Info("API keys reloaded", "file", path, "keys", srv.KeyCount())
	}
}
