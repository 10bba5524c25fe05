package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/api"
	"github.com/chainhound/chainhound/internal/apikey"
	"github.com/chainhound/chainhound/internal/bench"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/risk"
	"github.com/chainhound/chainhound/internal/store"
)

// serveData is what a bench serve target is built from.
type serveData struct {
	Store     *store.DB         // the store in --data, read-only; nil without --data
	Dir       string            // its directory (intel/ and risk/ live in it)
	Key       string            // an API key the in-process screening routes accept (set by them)
	mount     func(*api.Server) // the screening routes, once prepared
	Addresses []chain.Address   // a sample of its addresses (--sample), in the store's key order
	IDs       []string          // the same addresses as CAIP-10 account ids
	Log       *slog.Logger
}

// needAddresses refuses a target that cycles over addresses without any.
func (d *serveData) needAddresses(target string) error {
	if len(d.IDs) == 0 {
		return usagef("target %s needs addresses: give --data DIR (a store, or a `bench trace` graph directory)", target)
	}
	return nil
}

// serveTargets are the targets of `bench serve --targets`, by name: each
// builds a bench.ServeTarget from the store and the sampled addresses.
//
// A target mounts its handler on the in-process server (Mount; ignored
// with --url, whose server must serve the route) and returns the i-th
// request; bench.CyclePath and bench.BatchBody build the usual ones. The
// screening targets (risk: one address per request; batch: 10,000) mount
// the very routes `serve` mounts, API key check and rate limiter included.
func serveTargets() map[string]func(d *serveData) (bench.ServeTarget, error) {
	return map[string]func(d *serveData) (bench.ServeTarget, error){
		"trivial": func(*serveData) (bench.ServeTarget, error) { return bench.TrivialTarget(), nil },
		"risk": func(d *serveData) (bench.ServeTarget, error) {
			mount, err := d.screening("risk")
			if err != nil {
				return bench.ServeTarget{}, err
			}
			return bench.ServeTarget{Name: "risk", Mount: mount, Request: bench.CyclePath("/v1/addresses/{address}/risk", d.IDs)}, nil
		},
		"batch": func(d *serveData) (bench.ServeTarget, error) {
			mount, err := d.screening("batch")
			if err != nil {
				return bench.ServeTarget{}, err
			}
			f, err := bench.BatchBody("/v1/screen", d.IDs, maxScreenBatch)
			return bench.ServeTarget{Name: "batch", Mount: mount, Request: f, Rate: 5, Concurrency: 4}, err
		},
	}
}

// screening prepares the screening routes over the store in --data: its
// attribution store and its exposure store, which `chainhound risk update
// --data DIR` must have brought up to date; and an API key for them.
func (d *serveData) screening(target string) (func(*api.Server), error) {
	if err := d.needAddresses(target); err != nil {
		return nil, err
	}
	if d.mount != nil {
		return d.mount, nil
	}
	if !isDir(riskDir(d.Dir)) {
		return nil, fmt.Errorf("target %s: no exposure store in %s: run chainhound risk update --data %s first", target, d.Dir, d.Dir)
	}
	ix := intel.NewIndex()
	var ist *intel.Store
	if _, err := os.Stat(intelDir(d.Dir)); err == nil {
		var err error
		if ist, err = intel.Open(intelDir(d.Dir), true); err != nil {
			return nil, err
		}
		if ix, err = intel.Load(ist); err != nil {
			return nil, err
		}
	}
	db, err := risk.Open(riskDir(d.Dir), true)
	if err != nil {
		return nil, err
	}
	s, err := risk.NewScreener(db, d.Store, ix, ist, risk.DefaultPolicy())
	if err != nil {
		return nil, err
	}
	k, tok, err := apikey.New("bench", []string{apikey.ScopeScreen}, 1e9, 1<<30, time.Now())
	if err != nil {
		return nil, err
	}
	d.Key = tok
	sc := &screening{s: s}
	mounted := false
	d.mount = func(srv *api.Server) {
		if !mounted { // the risk and batch targets share one server
			srv.SetKeys([]apikey.Key{k})
			sc.mount(srv)
			mounted = true
		}
	}
	return d.mount, nil
}

func benchServeCommand() command {
	c := command{
		name:    "bench serve",
		summary: "load-test the HTTP API on loopback: latency at a fixed rate (p50 to max, coordinated omission corrected), maximum throughput, ratio to a trivial handler",
		usage:   "[--targets trivial,...] [--data DIR] [--rate 5000] [--duration 10s] [--concurrency N] [--ramp] [--url URL] [--key KEY] [--path P] [--output table|json]",
		example: "chainhound bench serve --rate 5000 --duration 10s\n" +
			"chainhound bench serve --data /tmp/serve-10m --url http://127.0.0.1:8080 --path '/v1/addresses/{address}/risk' --targets trivial,path --ramp",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := fs.String("data", "", "store whose addresses the targets cycle over: a store directory or a `bench trace` graph directory (its account/store)")
		sample := fs.Int("sample", 100_000, "addresses read from --data, in key order (for hashed addresses, a uniform sample)")
		targets := fs.String("targets", "trivial", "targets, comma-separated: "+strings.Join(slices.Sorted(maps.Keys(serveTargets())), ", ")+", path (with --path)")
		path := fs.String("path", "", "the path target: GET this path and query, with {address} replaced by the sampled CAIP-10 ids in turn")
		rate := fs.Float64("rate", 5000, "open-loop rate, requests per second")
		duration := fs.Duration("duration", 10*time.Second, "length of each run")
		concurrency := fs.Int("concurrency", 64, "open-loop workers (each one connection and at most one request in flight)")
		maxConcurrency := fs.Int("max-concurrency", 16, "closed-loop workers, sending back to back for the maximum throughput")
		modes := fs.String("modes", "rate,max", "rate (open loop at --rate), max (closed loop), or both")
		ramp := fs.Bool("ramp", false, "then step each target's open-loop rate through --ramp-rates until p99 exceeds --max-p99")
		rampRates := fs.String("ramp-rates", "1000,2000,5000,8000,12000,16000,24000,32000", "rates of --ramp, comma-separated")
		maxP99 := fs.Duration("max-p99", 2*time.Millisecond, "latency bound of --ramp")
		url := fs.String("url", "", "base URL of a running `chainhound serve` to load instead of an in-process server")
		key := fs.String("key", "", "API key, sent as `Authorization: Bearer KEY`")
		timeout := fs.Duration("timeout", 10*time.Second, "per request; a request taking longer is a transport error")
		idsFile := fs.String("ids", "", "file of CAIP-10 ids to cycle over, one per line, instead of sampling --data (for --url against a serve that holds the store)")
		writeIDs := fs.String("write-ids", "", "write the addresses sampled from --data to this file (for --ids) and stop")
		output := fs.String("output", "table", "table or json")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if err := checkOutput(*output, "table", "json"); err != nil {
			return err
		}
		cfg := bench.ServeConfig{URL: strings.TrimRight(*url, "/"), Rate: *rate, Duration: *duration, Concurrency: *concurrency, MaxConcurrency: *maxConcurrency,
			MaxP99: *maxP99, Timeout: *timeout, Key: *key, Log: e.log, Progress: e.stderr}
		switch {
		case *rate <= 0 || *duration <= 0 || *concurrency <= 0 || *maxConcurrency <= 0 || *maxP99 <= 0 || *timeout <= 0 || *sample <= 0:
			return usagef("--rate, --duration, --concurrency, --max-concurrency, --max-p99, --timeout and --sample must be positive")
		case *url != "" && !strings.HasPrefix(*url, "http://") && !strings.HasPrefix(*url, "https://"):
			return usagef("--url %q: want http://HOST:PORT", *url)
		case *path != "" && !strings.HasPrefix(*path, "/"):
			return usagef("--path %q: want a path starting with /", *path)
		}
		for _, m := range strings.Split(*modes, ",") {
			if m = strings.TrimSpace(m); m != "rate" && m != "max" {
				return usagef("--modes: %q is neither rate nor max", m)
			}
			cfg.Modes = append(cfg.Modes, m)
		}
		if *ramp {
			for _, s := range strings.Split(*rampRates, ",") {
				r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
				if err != nil || r <= 0 {
					return usagef("--ramp-rates: %q is not a positive rate", s)
				}
				cfg.Ramp = append(cfg.Ramp, r)
			}
		}
		names := strings.Split(*targets, ",")
		known := serveTargets()
		for k, n := range names {
			n = strings.TrimSpace(n)
			names[k] = n
			if _, ok := known[n]; !ok && !(n == "path" && *path != "") {
				if n == "path" {
					return usagef("target path needs --path")
				}
				return usagef("--targets: unknown target %q (known: %s, path)", n, strings.Join(slices.Sorted(maps.Keys(known)), ", "))
			}
		}
		d := &serveData{Log: e.log}
		note := ""
		if *data != "" {
			st, n, err := openServeStore(*data)
			if err != nil {
				return err
			}
			defer st.Close()
			d.Store, d.Dir = st, n
			if err := sampleAddresses(d, *sample); err != nil {
				return err
			}
			note = fmt.Sprintf("the first in key order of %d in %s", st.AddressCount(), n)
			e.log.Info("addresses sampled", "sample", len(d.IDs), "store", st.AddressCount(), "dir", n)
			if *writeIDs != "" {
				return os.WriteFile(*writeIDs, []byte(strings.Join(d.IDs, "\n")+"\n"), 0o644)
			}
		} else if *writeIDs != "" {
			return usagef("--write-ids needs --data")
		}
		if *idsFile != "" {
			if *data != "" {
				return usagef("--ids and --data: give one source of addresses")
			}
			b, err := os.ReadFile(*idsFile)
			if err != nil {
				return err
			}
			for i, l := range strings.Split(string(b), "\n") {
				if l = strings.TrimSpace(l); l == "" {
					continue
				}
				if _, err := checkAccount(l); err != nil {
					return fmt.Errorf("%s line %d: %w", *idsFile, i+1, err)
				}
				d.IDs = append(d.IDs, l)
			}
			note = fmt.Sprintf("%d ids from %s", len(d.IDs), *idsFile)
		}
		for _, n := range names {
			if n == "path" {
				if strings.Contains(*path, "{address}") {
					if err := d.needAddresses("path with {address}"); err != nil {
						return err
					}
				}
				cfg.Targets = append(cfg.Targets, bench.ServeTarget{Name: "path", Request: bench.CyclePath(*path, d.IDs)})
				continue
			}
			t, err := known[n](d)
			if err != nil {
				return err
			}
			cfg.Targets = append(cfg.Targets, t)
		}
		if cfg.URL == "" {
			serverGC() // the in-process server runs as serve does
		}
		if cfg.Key == "" && cfg.URL == "" {
			cfg.Key = d.Key // the in-process screening routes' key (the trivial target ignores it)
		}
		res, err := bench.Serve(ctx, cfg)
		if err != nil {
			return err
		}
		res.Addresses, res.Note = len(d.IDs), note
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

// openServeStore opens dir read-only: a store directory, or a `bench
// trace` graph directory holding one in account/store.
func openServeStore(dir string) (*store.DB, string, error) {
	if sub := filepath.Join(dir, "account", "store"); isDir(sub) {
		dir = sub
	}
	if !isDir(dir) {
		return nil, "", fmt.Errorf("--data %s: no such directory", dir)
	}
	st, err := store.Open(dir, store.Options{ReadOnly: true})
	if err != nil {
		return nil, "", fmt.Errorf("open store %s: %w", dir, err)
	}
	return st, dir, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// sampleAddresses reads up to n addresses of every chain the store is
// bound to, in key order.
func sampleAddresses(d *serveData, n int) error {
	for _, c := range []chain.Chain{chain.Ethereum, chain.Bitcoin} {
		nw, ok, err := d.Store.Network(c)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		for a, err := range d.Store.Addresses(c) {
			if err != nil {
				return err
			}
			if len(d.Addresses) >= n {
				break
			}
			d.Addresses = append(d.Addresses, a)
			d.IDs = append(d.IDs, a.CAIP10(nw.CAIP2))
		}
	}
	if len(d.Addresses) == 0 {
		return errors.New("--data: the store holds no addresses")
	}
	return nil
}
