package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/chainhound/chainhound/internal/api"
	"github.com/chainhound/chainhound/internal/apikey"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ingest"
	"github.com/chainhound/chainhound/internal/ingest/btc"
	"github.com/chainhound/chainhound/internal/ingest/eth"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/trace"
	"github.com/chainhound/chainhound/internal/watch"
	"golang.org/x/sync/errgroup"
)

func watchDir(data string) string { return filepath.Join(data, "watch") }

func watchCommand() command {
	c := command{
		name:    "watch",
		summary: "follow Ethereum and Bitcoin heads, propagate open cases block by block, evaluate the alert rules and deliver alerts to sinks (stdout, file, webhook, NATS)",
		usage:   "--config watch.yaml [--data DIR] [--once] [--policy FILE] [--listen HOST:PORT [--no-auth]]",
		example: "chainhound watch --config watch.yaml --data ./bybit\n" +
			"chainhound watch --config watch.yaml --listen 127.0.0.1:8081   # also serve GET/POST /v1/alerts... (API keys: chainhound apikey create --scopes watch)\n" +
			"chainhound watch --config watch.yaml --once   # evaluate the stored blocks the watcher has not seen, deliver, exit",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		cfgPath := fs.String("config", "", "watch configuration: chains, cases, rules, sinks (see docs/watch.md)")
		once := fs.Bool("once", false, "evaluate the blocks already in the store, deliver the alerts, and exit (no node needed)")
		policyPath := fs.String("policy", "", "trace policy YAML: exit categories, freezing venues, freezable tokens (see chainhound trace --help)")
		listen := fs.String("listen", "", "also serve the alerts API (GET /v1/alerts, POST /v1/alerts/{id}/ack|resolve) on this address, since the watcher holds the watch store")
		noAuth := fs.Bool("no-auth", false, "serve the alerts API without API keys (only where nobody else can reach the port)")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if *listen != "" {
			if _, _, err := net.SplitHostPort(*listen); err != nil {
				return usagef("--listen %q: want HOST:PORT", *listen)
			}
		}
		if *cfgPath == "" {
			return usagef("--config is required")
		}
		cfg, err := watch.Load(*cfgPath)
		if err != nil {
			return err
		}
		policy := trace.DefaultPolicy()
		if *policyPath != "" {
			if policy, err = trace.LoadPolicy(*policyPath); err != nil {
				return err
			}
		}
		applyWatchEnv(cfg)
		if !*once && (cfg.Ethereum == nil || cfg.Ethereum.RPC.Value == "") && (cfg.Bitcoin == nil || cfg.Bitcoin.RPC.Value == "") {
			return usagef("%s names no chain to follow (ethereum.rpc or bitcoin.rpc, or $CHAINHOUND_ETH_RPC); use --once to evaluate stored blocks", *cfgPath)
		}
		return runWatch(ctx, e, *data, cfg, &policy, *once, watchListen{addr: *listen, noAuth: *noAuth})
	}
	return c
}

// applyWatchEnv lets the environment give the nodes, as ingest does.
func applyWatchEnv(cfg *watch.Config) {
	for _, kv := range []struct {
		env string
		src **watch.ChainSource
	}{{"CHAINHOUND_ETH_RPC", &cfg.Ethereum}, {"CHAINHOUND_BTC_RPC", &cfg.Bitcoin}} {
		if v := os.Getenv(kv.env); v != "" {
			if *kv.src == nil {
				*kv.src = &watch.ChainSource{}
			}
			if (*kv.src).RPC.Value == "" {
				(*kv.src).RPC.Value = v
			}
		}
	}
}

// watchListen says where the watcher serves its alerts API.
type watchListen struct {
	addr   string
	noAuth bool
}

// serveAlerts runs the alerts API on the watcher's open store until ctx ends.
func serveAlerts(ctx context.Context, e *env, data string, db *watch.DB, l watchListen) (func() error, error) {
	srv := api.New(e.log, func(context.Context) error { return nil })
	srv.SetVersion(version)
	if l.noAuth {
		srv.DisableAuth()
	} else {
		keys, err := apikey.Load(apikey.Path(data))
		if err != nil {
			return nil, err
		}
		srv.SetKeys(keys)
		if srv.KeyCount() == 0 {
			return nil, fmt.Errorf("no usable API key in %s: create one (chainhound apikey create --name NAME --scopes watch --data %s) or use --no-auth", apikey.Path(data), data)
		}
	}
	(&alertsAPI{data: data, db: db, shared: true}).mount(srv)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, l.addr, 5*time.Second, nil) }()
	return func() error { return <-done }, nil
}

func runWatch(ctx context.Context, e *env, data string, cfg *watch.Config, policy *trace.Policy, once bool, l watchListen) error {
	ix, err := loadIntelIndex(e, data)
	if err != nil {
		return err
	}
	st, err := store.Open(data, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	db, err := watch.Open(watchDir(data))
	if err != nil {
		return err
	}
	defer db.Close()
	dctx, stopSinks := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSinks()
	var sinks []watch.Sink
	for i := range cfg.Sinks {
		s, err := watch.NewSink(dctx, &cfg.Sinks[i], e.stdout)
		if err != nil {
			return err
		}
		sinks = append(sinks, s)
	}
	disp := watch.NewDispatcher(db, cfg.Sinks, sinks, e.log)
	defer disp.Close()
	w := watch.New(st, ix, cfg, db, watch.Options{Policy: policy, Log: e.log})
	w.Notify = disp.Notify
	if once {
		for _, c := range []chain.Chain{chain.Ethereum, chain.Bitcoin} {
			if err := w.CatchUp(ctx, c); err != nil {
				return err
			}
		}
		return drainOnce(ctx, e, db, disp, cfg)
	}
	if l.addr != "" {
		sctx, stopServer := context.WithCancel(ctx)
		wait, err := serveAlerts(sctx, e, data, db, l)
		if err != nil {
			stopServer()
			return err
		}
		defer func() {
			stopServer()
			if err := wait(); err != nil {
				e.log.Error("alerts API", "err", err)
			}
		}()
	}
	sinksDone := make(chan struct{})
	go func() { disp.Run(dctx); close(sinksDone) }()
	defer func() { stopSinks(); <-sinksDone }()
	ls := &lockedStore{DB: st}
	g, gctx := errgroup.WithContext(ctx)
	if s := cfg.Ethereum; s != nil && s.RPC.Value != "" {
		ing, err := watchEth(gctx, e, ls, s, w)
		if err != nil {
			return err
		}
		g.Go(func() error { _, err := ing.Run(gctx); return err })
	}
	if s := cfg.Bitcoin; s != nil && s.RPC.Value != "" {
		ing, err := watchBTC(gctx, e, ls, s, w)
		if err != nil {
			return err
		}
		g.Go(func() error { _, err := ing.Run(gctx); return err })
	}
	e.log.Info("watching", "data", data, "cases", len(cfg.Cases), "sinks", len(cfg.Sinks))
	err = g.Wait()
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil // stopped by a signal, at a block boundary
	}
	return err
}

// drainOnce delivers what is queued, each sink until its queue is empty
// or its next retry is due later than a short wait.
func drainOnce(ctx context.Context, e *env, db *watch.DB, disp *watch.Dispatcher, cfg *watch.Config) error {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	done := make(chan struct{})
	go func() { disp.Run(dctx); close(done) }()
	defer func() { cancel(); <-done }()
	for {
		pending := 0
		for _, s := range cfg.Sinks {
			q, err := db.Queue(s.Name, false)
			if err != nil {
				return err
			}
			pending += len(q)
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-dctx.Done():
			e.log.Warn("alerts still queued for delivery: the next watch run retries them", "pending", pending)
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// lockedStore serialises the writes of the two chains' ingesters: the
// store takes writes from one goroutine at a time.
type lockedStore struct {
	*store.DB
	mu sync.Mutex
}

func (s *lockedStore) ApplyBlock(b *chain.Block) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.DB.ApplyBlock(b)
}

func (s *lockedStore) Rollback(c chain.Chain, h uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.DB.Rollback(c, h)
}

func (s *lockedStore) Bind(c chain.Chain, n chain.Network) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.DB.Bind(c, n)
}

func (s *lockedStore) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.DB.Sync()
}

// watchEth builds the Ethereum ingester with the watcher as its hook. An
// empty store starts at the node's head (or ethereum.from): a watcher
// looks forward.
func watchEth(ctx context.Context, e *env, st *lockedStore, s *watch.ChainSource, w *watch.Watcher) (*ingest.Ingester, error) {
	client := eth.NewClient(s.RPC.Value, eth.ClientOptions{Timeout: 30 * time.Second})
	fetcher, err := eth.NewFetcher(client, eth.FetchOptions{Receipts: "auto", Traces: "auto"})
	if err != nil {
		return nil, err
	}
	network, err := eth.NetworkOf(ctx, fetcher)
	if err != nil {
		return nil, err
	}
	head, err := fetcher.Head(ctx)
	if err != nil {
		return nil, err
	}
	if err := fetcher.Detect(ctx, head); err != nil {
		return nil, err
	}
	cfg := ingest.Config{Follow: true, Confirmations: s.Confirmations, PollInterval: pollOf(s, time.Second), Log: e.log, Network: &network, OnBlock: w.OnBlock}
	if err := startFrom(st, chain.Ethereum, s, head, &cfg); err != nil {
		return nil, err
	}
	if err := lookForward(st, w, chain.Ethereum); err != nil {
		return nil, err
	}
	if err := w.CatchUp(ctx, chain.Ethereum); err != nil {
		return nil, err
	}
	return eth.NewIngester(fetcher, st, cfg)
}

func watchBTC(ctx context.Context, e *env, st *lockedStore, s *watch.ChainSource, w *watch.Watcher) (*ingest.Ingester, error) {
	net, err := btc.ParseNetwork(strings.ToLower(cmpOr(s.Network, "mainnet")))
	if err != nil {
		return nil, err
	}
	blocks, txRPC, err := btcBlocks(ctx, e, net, s.RPC.Value, btc.Auth{User: s.User, Password: s.Password, CookieFile: s.Cookie}, "", 60*time.Second, 6)
	if err != nil {
		return nil, err
	}
	src := btc.NewSource(net, blocks, st.DB, txRPC)
	network, err := src.Network(ctx)
	if err != nil {
		return nil, err
	}
	head, err := src.Head(ctx)
	if err != nil {
		return nil, err
	}
	cfg := ingest.Config{Follow: true, Confirmations: s.Confirmations, PollInterval: pollOf(s, 5*time.Second), Log: e.log, Network: &network, OnBlock: w.OnBlock}
	if err := startFrom(st, chain.Bitcoin, s, head, &cfg); err != nil {
		return nil, err
	}
	if err := lookForward(st, w, chain.Bitcoin); err != nil {
		return nil, err
	}
	if err := w.CatchUp(ctx, chain.Bitcoin); err != nil {
		return nil, err
	}
	return ingest.New(src, st, cfg)
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func pollOf(s *watch.ChainSource, def time.Duration) time.Duration {
	if s.Poll > 0 {
		return time.Duration(s.Poll)
	}
	return def
}

// lookForward makes a first watcher on a store that already holds chain c
// begin after its last block rather than evaluate its whole history
// (--once does that). Cases still trace their history from their start.
func lookForward(st *lockedStore, w *watch.Watcher, c chain.Chain) error {
	cur, ok, err := st.Cursor(c)
	if err != nil || !ok {
		return err
	}
	return w.StartAt(c, cur.Height)
}

// startFrom sets where an empty store starts: the configured block, else
// the head less the confirmations.
func startFrom(st *lockedStore, c chain.Chain, s *watch.ChainSource, head uint64, cfg *ingest.Config) error {
	if _, ok, err := st.Cursor(c); err != nil || ok {
		return err
	}
	cfg.HasFrom = true
	switch {
	case s.From != nil:
		cfg.From = *s.From
	case head >= s.Confirmations:
		cfg.From = head - s.Confirmations
	}
	return nil
}

// openWatchDB opens the watch store of data for the alert commands.
func openWatchDB(data string) (*watch.DB, error) {
	dir := watchDir(data)
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("no watch store at %s (run chainhound watch first)", dir)
	}
	db, err := watch.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("%w (a running chainhound watch holds it: acknowledge through chainhound serve's POST /v1/alerts/{id}/ack, or stop the watcher)", err)
	}
	return db, nil
}

func watchAlertsCommand() command {
	c := command{
		name:    "watch alerts",
		summary: "list the watcher's alerts, grouped, with their status",
		usage:   "[--status open|acknowledged|resolved] [--rule R] [--case NAME] [--group G] [--min-severity S] [--parked SINK] [--output table|json|jsonl]",
		example: "chainhound watch alerts --status open --min-severity high\n" +
			"chainhound watch alerts --case bybit --output jsonl | jq .explanation",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		status := fs.String("status", "", "only alerts in this status: open, acknowledged or resolved")
		rule := fs.String("rule", "", "only alerts of this rule")
		caseName := fs.String("case", "", "only alerts of this case")
		group := fs.String("group", "", "only alerts of this group (the GROUP column)")
		minSev := fs.String("min-severity", "", "only alerts at or above: info, low, medium, high, critical")
		parked := fs.String("parked", "", "list the alerts parked for this sink instead (refused too often)")
		output := fs.String("output", "table", "table, json or jsonl")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if err := checkOutput(*output, "table", "json", "jsonl"); err != nil {
			return err
		}
		f := watch.Filter{Status: *status, Rule: *rule, Case: *caseName, Group: *group, MinSeverity: watch.Severity(*minSev)}
		if err := f.Check(); err != nil {
			return usageError{err.Error()}
		}
		db, err := openWatchDB(*data)
		if err != nil {
			return err
		}
		defer db.Close()
		var alerts []watch.Alert
		if *parked != "" {
			ds, err := db.Queue(*parked, true)
			if err != nil {
				return err
			}
			for _, d := range ds {
				alerts = append(alerts, d.Alert)
			}
		} else if alerts, err = db.Alerts(f); err != nil {
			return err
		}
		switch *output {
		case "json":
			return writeJSON(e, alerts)
		case "jsonl":
			for _, a := range alerts {
				if err := writeJSONLine(e, a); err != nil {
					return err
				}
			}
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSEVERITY\tRULE\tCHAIN\tBLOCK\tCASE\tSTATUS\tGROUP\tEXPLANATION")
		for _, a := range alerts {
			expl := a.Explanation
			if len(expl) > 140 {
				expl = expl[:137] + "..."
			}
			status := a.Status
			if a.Orphaned {
				status += ",orphaned" // its block left the chain
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", a.ID, a.Severity, a.Rule, a.Chain, a.Block, orDash(a.Case), status, a.Group, expl)
		}
		return tw.Flush()
	}
	return c
}

func writeJSONLine(e *env, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(append(b, '\n'))
	return err
}

// watchStatusCommand is watch ack or watch resolve.
func watchStatusCommand(verb, status string) command {
	c := command{
		name:    "watch " + verb,
		summary: "mark an alert " + status + " (with an optional note)",
		usage:   "ID [--note TEXT]",
		example: "chainhound watch " + verb + " 3f2a9c0e1b7d4e5f8a6b2c1d0e9f8a7b --note \"exchange contacted, deposit frozen\"",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		note := fs.String("note", "", "a note kept with the alert")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("want one alert id")
		}
		db, err := openWatchDB(*data)
		if err != nil {
			return err
		}
		defer db.Close()
		a, err := db.SetStatus(pos[0], status, *note)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s %s\n", a.ID, a.Status)
		return nil
	}
	return c
}

func watchRedeliverCommand() command {
	c := command{
		name:    "watch redeliver",
		summary: "queue a sink's parked alerts for delivery again (the next chainhound watch run delivers them)",
		usage:   "--sink NAME",
		example: "chainhound watch redeliver --sink webhook",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		sink := fs.String("sink", "", "the sink's name (its type unless the configuration names it)")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if *sink == "" {
			return usagef("--sink is required")
		}
		db, err := openWatchDB(*data)
		if err != nil {
			return err
		}
		defer db.Close()
		n, err := db.Redeliver(*sink)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%d alerts queued again for %s\n", n, *sink)
		return nil
	}
	return c
}
