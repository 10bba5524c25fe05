package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/trace"
	"github.com/holiman/uint256"
)

func traceCommand() command {
	c := command{
		name:    "trace",
		summary: "follow stolen funds forward (or back) under a taint model to the exits where they can still be frozen",
		usage:   "--seed ADDR|TX[:VOUT] [--seed ...] [--seed-file F] [--amount X] [--direction forward|backward] [--model fifo|haircut|tiho|poison] [--max-hops N] [--until TIME|BLOCK] [--min-amount X] [--stop-at CATEGORY,...] [--snapshot auto|off|FILE] [--output table|json|csv|dot]",
		example: "chainhound trace --seed 0x47666fab8bd0ac7003bce3f5c3585383f09486e2 --model haircut --max-hops 6 --output json\n" +
			"chainhound trace --seed 4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b:0 --model fifo --stop-at exchange,mixing_service\n" +
			"chainhound snapshot build && chainhound trace --seed 0x47666fab8bd0ac7003bce3f5c3585383f09486e2   # over the snapshot while the store has not moved\n" +
			"chainhound trace --seed 0x47666fab8bd0ac7003bce3f5c3585383f09486e2 --snapshot off                 # over the store",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		var seeds multiFlag
		fs.Var(&seeds, "seed", "where the trace starts: an address (ADDR), a Bitcoin output (TX:VOUT), or a transaction (TX: all it paid); repeat for several")
		seedFile := fs.String("seed-file", "", "file of seeds, one per line (SEED or SEED,AMOUNT; # starts a comment)")
		amount := fs.String("amount", "", "tainted amount of the one seed, in base units (wei, satoshis); default: all of it")
		asset := fs.String("asset", "native", "asset of --amount for an address seed: native or a CAIP-19 id (eip155:1/erc20:0x…)")
		from := fs.String("from", "", "forward: block or time (RFC 3339 or YYYY-MM-DD) from which address seeds are tainted (default: the first stored block)")
		at := fs.String("at", "", "backward: block or time whose holdings an address seed traces back (default: the latest block)")
		direction := fs.String("direction", "forward", "forward (where the funds went) or backward (where they came from)")
		model := fs.String("model", "haircut", "taint model: fifo, haircut, tiho (UTXO chains) or poison")
		maxHops := fs.Int("max-hops", 6, "stop after this many hops (0: no limit)")
		until := fs.String("until", "", "forward: the last block, or time (RFC 3339 or YYYY-MM-DD), the trace follows; backward: the earliest")
		minAmount := fs.String("min-amount", "0", "do not follow taint below this many base units")
		stopAt := fs.String("stop-at", "", "exit categories to stop at, comma-separated (default: the policy's stop_at; \"none\" follows through every exit)")
		policyFile := fs.String("policy", "", "trace policy YAML (exit categories, stop_at, freezing venues, freezable assets); see docs/trace.md")
		output := fs.String("output", "table", "table, json, csv (the flows) or dot (a Graphviz graph of the flows)")
		snapshot := fs.String("snapshot", "auto", "what a forward trace reads: auto (the chain's snapshot in DATA/snapshots if it holds the store's current head, else the store, saying why on stderr), off (the store) or FILE (that snapshot, which must be current). "+
			"Backward traces (where FILE is an error), the continuation past a bridge and chainhound path read the store; the output is the same either way (chainhound snapshot build makes snapshots)")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if err := checkOutput(*output, "table", "json", "csv", "dot"); err != nil {
			return err
		}
		if *direction != "forward" && *direction != "backward" {
			return usagef("--direction %q: want forward or backward", *direction)
		}
		m, err := trace.ParseModel(*model)
		if err != nil {
			return usageError{err.Error()}
		}
		if *maxHops < 0 {
			return usagef("--max-hops %d: want 0 (no limit) or more", *maxHops)
		}
		specs, err := seedSpecs(seeds, *seedFile, *amount)
		if err != nil {
			return err
		}
		var minAmt uint256.Int
		if err := minAmt.SetFromDecimal(*minAmount); err != nil {
			return usagef("--min-amount %q: want a whole number of base units", *minAmount)
		}
		policy := trace.DefaultPolicy()
		if *policyFile != "" {
			if policy, err = trace.LoadPolicy(*policyFile); err != nil {
				return err
			}
		}
		stops := policy.StopAt
		if *stopAt != "" {
			if stops, err = parseStopAt(*stopAt); err != nil {
				return err
			}
		}
		var snaps snapshotPicker
		switch *snapshot {
		case "off":
		case "auto":
			if *direction == "forward" {
				snaps = &cliSnapshots{e: e, data: *data}
			}
		case "":
			return usagef("--snapshot \"\": want auto, off or a snapshot file")
		default:
			if *direction != "forward" {
				return usagef("--snapshot %s: snapshots serve forward traces; a backward trace reads the store (leave --snapshot out, or give off)", *snapshot)
			}
			snaps = &cliSnapshots{e: e, data: *data, file: *snapshot}
		}
		st, ix, err := openTraceStores(e, *data)
		if err != nil {
			return err
		}
		defer st.Close()
		rep, err := runTrace(ctx, e, st, ix, policy, traceOptions{specs: specs, asset: *asset, from: *from, at: *at, direction: *direction,
			model: m, maxHops: *maxHops, until: *until, minAmount: minAmt, stops: stops, snaps: snaps})
		if err != nil {
			return err
		}
		return writeTrace(e, *output, rep)
	}
	return c
}

// traceOptions are a trace's parameters, read from the command line or
// from an HTTP request.
type traceOptions struct {
	specs                  []seedSpec
	asset, from, at, until string
	direction              string
	model                  trace.Model
	maxHops                int
	minAmount              uint256.Int
	stops                  []string
	// snaps chooses the snapshot a forward trace runs over (nil: the
	// store).
	snaps snapshotPicker
}

// runTrace resolves the seeds, traces and builds the report: the one code
// path of `chainhound trace` and POST /v1/trace. Mistakes in the options
// are usageErrors.
func runTrace(ctx context.Context, e *env, st *store.DB, ix *intel.Index, policy trace.Policy, o traceOptions) (*trace.Report, error) {
	tr := &tracer{st: st, e: e, specs: o.specs, snaps: o.snaps, source: "store"}
	if err := tr.resolveChain(); err != nil {
		return nil, err
	}
	cur, hasHead, err := st.Cursor(tr.c)
	if err != nil {
		return nil, err
	}
	tr.head, tr.hasHead = cur, hasHead
	if o.from != "" && o.direction == "backward" {
		return nil, usagef("--from applies to forward traces; going backward, --at names the moment traced and --until the earliest block")
	}
	if o.at != "" && o.direction == "forward" {
		return nil, usagef("--at applies to backward traces; going forward, --from names when address seeds become tainted")
	}
	if o.from != "" {
		if tr.from, err = tr.blockArg("--from", o.from, false); err != nil {
			return nil, err
		}
		if tr.from > cur.Height {
			return nil, usagef("--from %s is block %d, after the latest stored %s block %d: nothing to trace", o.from, tr.from, tr.c, cur.Height)
		}
	}
	tr.at = cur.Height
	if o.at != "" {
		if tr.at, err = tr.blockArg("--at", o.at, true); err != nil {
			return nil, err
		}
		if tr.at > cur.Height {
			return nil, usagef("--at %s is block %d, after the latest stored %s block %d", o.at, tr.at, tr.c, cur.Height)
		}
	}
	b := trace.Bounds{MaxHops: o.maxHops, MinAmount: o.minAmount}
	if o.until != "" {
		backward := o.direction == "backward"
		if b.Until, err = tr.blockArg("--until", o.until, !backward); err != nil {
			return nil, err
		}
		b.HasUntil = true
		if !backward && b.Until < tr.from {
			return nil, usagef("--until %s is block %d, before --from (block %d): the time range is empty", o.until, b.Until, tr.from)
		}
		if backward && b.Until > tr.at {
			return nil, usagef("--until %s is block %d, after --at (block %d): going back, the time range is empty", o.until, b.Until, tr.at)
		}
	}
	if tr.asset, err = chain.ParseAsset(o.asset); err != nil {
		return nil, usageError{err.Error()}
	}
	if b.Exits, err = tr.exits(ix, policy, o.stops); err != nil {
		return nil, err
	}
	start := time.Now()
	res, rseeds, err := tr.run(o.model, o.direction, b)
	if err != nil {
		return nil, err
	}
	took := time.Since(start)
	rep := trace.NewReport(tr.c, tr.caip2, o.model, o.direction, rseeds, b, o.stops, cur.Height, res, tr.blockTime, took)
	if o.direction == "forward" {
		if err := tr.crossChain(ctx, ix, o.model, b, res, &rep, policy, o.stops); err != nil {
			return nil, err
		}
	}
	e.log.Info("trace done", "source", tr.source, "flows", len(res.Flows), "exits", len(res.Exits), "addresses", rep.Stats.Addresses, "took", took.Round(time.Millisecond))
	return &rep, nil
}

// parseStopAt reads --stop-at: categories, comma-separated, or "none".
func parseStopAt(v string) ([]string, error) {
	if v == "none" {
		return []string{}, nil
	}
	var out []string
	for _, c := range strings.Split(v, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			return nil, usagef("--stop-at %q: an empty category (want categories such as exchange,mixing_service separated by commas, or none)", v)
		}
		out = append(out, c)
	}
	return out, nil
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// seedSpec is one seed as written, with its amount if one was given.
type seedSpec struct {
	text   string
	where  string // where it was given, for errors
	amount *uint256.Int
}

func seedSpecs(flags []string, file, amount string) ([]seedSpec, error) {
	var out []seedSpec
	for _, s := range flags {
		out = append(out, seedSpec{text: strings.TrimSpace(s), where: "--seed " + s})
	}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line, _, _ := strings.Cut(sc.Text(), "#")
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			s, a, hasAmount := strings.Cut(line, ",")
			spec := seedSpec{text: strings.TrimSpace(s), where: fmt.Sprintf("%s:%d", file, n)}
			if hasAmount {
				v, err := uint256.FromDecimal(strings.TrimSpace(a))
				if err != nil || v.IsZero() {
					return nil, fmt.Errorf("%s: amount %q: want a positive whole number of base units", spec.where, strings.TrimSpace(a))
				}
				spec.amount = v
			}
			out = append(out, spec)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	if len(out) == 0 {
		return nil, usagef("no seed: give --seed or --seed-file")
	}
	if amount != "" {
		if len(out) != 1 {
			return nil, usagef("--amount applies to one seed; %d were given (put amounts in a --seed-file as SEED,AMOUNT)", len(out))
		}
		v, err := uint256.FromDecimal(amount)
		if err != nil || v.IsZero() {
			return nil, usagef("--amount %q: want a positive whole number of base units", amount)
		}
		out[0].amount = v
	}
	return out, nil
}

var (
	reEVMAddr  = regexp.MustCompile(`^0[xX][0-9a-fA-F]{40}$`)
	reHash     = regexp.MustCompile(`^(0[xX])?[0-9a-fA-F]{64}$`)
	reOutpoint = regexp.MustCompile(`^(0[xX])?([0-9a-fA-F]{64}):([0-9]+)$`)
)

// seedChain says which chain a seed's form belongs to; ok is false for a
// bare transaction hash, which both chains' hashes look like.
func seedChain(s string) (chain.Chain, bool) {
	switch {
	case strings.HasPrefix(strings.ToLower(s), "0x") && !reEVMAddr.MatchString(s) && !reHash.MatchString(s) && !reOutpoint.MatchString(s):
		return 0, false
	case reEVMAddr.MatchString(s):
		return chain.Ethereum, true
	case reOutpoint.MatchString(s):
		return chain.Bitcoin, true
	case reHash.MatchString(s):
		if strings.HasPrefix(strings.ToLower(s), "0x") {
			return chain.Ethereum, true
		}
		return 0, false
	}
	return chain.Bitcoin, true
}

// reBTCAddr is the character set of Bitcoin addresses (Base58 and bech32).
var reBTCAddr = regexp.MustCompile(`^[a-zA-HJ-NP-Z0-9]{14,90}$`)

// checkSeedForm refuses a seed that is no address, output or hash of any
// chain, before the store is asked about it.
func checkSeedForm(s seedSpec) error {
	t := s.text
	switch {
	case reEVMAddr.MatchString(t), reHash.MatchString(t), reOutpoint.MatchString(t):
		return nil
	case strings.HasPrefix(strings.ToLower(t), "0x"):
		return usagef("%s: %q is not an Ethereum address (0x and 40 hex digits) or transaction hash (0x and 64)", s.where, t)
	case strings.Contains(t, ":"):
		return usagef("%s: %q is not an output TXID:VOUT (64 hex digits, a colon, the output index)", s.where, t)
	case !reBTCAddr.MatchString(t):
		return usagef("%s: %q is not an address, an output (TXID:VOUT) or a transaction hash", s.where, t)
	}
	return nil
}

// tracer is one trace command's state: the store, the chain, the seeds.
type tracer struct {
	st    *store.DB
	e     *env
	specs []seedSpec
	c     chain.Chain
	caip2 string
	net   chain.Network
	from  uint64
	at    uint64 // backward: the block whose holdings address seeds trace
	asset chain.Asset
	first uint64
	// head is the store's head of the chain when the trace began (hasHead
	// false: none); a snapshot is used only if built at it.
	head    store.Cursor
	hasHead bool
	snaps   snapshotPicker // nil: trace over the store
	source  string         // what traced, for the log: "store" or the snapshot
}

// resolveChain finds the one chain all seeds are on, and checks the store
// holds it.
func (t *tracer) resolveChain() error {
	var have []chain.Chain
	for _, s := range t.specs {
		if err := checkSeedForm(s); err != nil {
			return err
		}
		c, ok := seedChain(s.text)
		if !ok { // a bare hash: the chain that holds it
			h, err := chain.ParseHash(s.text)
			if err != nil {
				return fmt.Errorf("%s: %w", s.where, err)
			}
			for _, cand := range knownChains {
				if _, found, err := t.st.Tx(cand, h); err != nil {
					return err
				} else if found {
					c, ok = cand, true
					break
				}
			}
			if !ok {
				return fmt.Errorf("%s: transaction %s is in no chain of the store at %s", s.where, s.text, t.st.Dir())
			}
		}
		if len(have) > 0 && have[0] != c {
			return usagef("seeds on two chains (%s and %s): trace one chain at a time; the trace crosses bridges by itself", have[0], c)
		}
		have = append(have, c)
	}
	t.c = have[0]
	net, ok, err := t.st.Network(t.c)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s: the store at %s holds no %s data: ingest that chain first (chainhound ingest %s)", t.specs[0].where, t.st.Dir(), t.c, t.c)
	}
	t.caip2, t.net = net.CAIP2, net
	first, _, err := t.st.FirstBlock(t.c)
	t.first, t.from = first, first
	return err
}

// blockArg reads a block number or a time into a block of the chain.
func (t *tracer) blockArg(flag, v string, isUntil bool) (uint64, error) {
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		return n, nil
	}
	ts, err := time.Parse(time.RFC3339, v)
	if err != nil {
		if ts, err = time.Parse("2006-01-02", v); err != nil {
			return 0, usagef("%s %q: want a block number, an RFC 3339 time or a date YYYY-MM-DD", flag, v)
		}
		if isUntil {
			ts = ts.Add(24*time.Hour - time.Second) // the whole day
		}
	}
	at := ts.Unix()
	if !isUntil {
		at-- // a start bound: the first block at or after the time
	}
	h, ok, err := t.st.BlockAtTime(t.c, at)
	if err != nil {
		return 0, err
	}
	if !ok {
		if isUntil {
			return 0, usagef("%s %s is before the first stored %s block (%d): the time range is empty", flag, v, t.c, t.first)
		}
		return t.first, nil
	}
	if !isUntil {
		h++
	}
	return h, nil
}

func (t *tracer) blockTime(h uint64) int64 {
	ts, _, _ := t.st.BlockTime(t.c, h)
	return ts
}

// exits builds the exit policy from the attribution index.
func (t *tracer) exits(ix *intel.Index, p trace.Policy, stops []string) (*trace.Exits, error) {
	return p.Exits(t.caip2, func(cats []string) trace.Services {
		return &trace.IntelServices{Index: ix, CAIP2: t.caip2, Categories: cats, Freezing: p.FreezingVenues}
	}, stops)
}

// loadIntelIndex reads the attribution store beside the chain store, if
// there is one, into the index exits are found with.
func loadIntelIndex(e *env, data string) (*intel.Index, error) {
	if _, err := os.Stat(intelDir(data)); err != nil {
		e.log.Warn("no attribution store: the trace finds no exits (import tags with chainhound intel import ...)", "dir", intelDir(data))
		return intel.NewIndex(), nil
	}
	ist, err := openIntel(data, true)
	if err != nil {
		return nil, err
	}
	defer ist.Close()
	return intel.Load(ist)
}

// openTraceStores opens the chain store in data read-only and indexes the
// attribution store beside it (empty without one): what trace and path read.
func openTraceStores(e *env, data string) (*store.DB, *intel.Index, error) {
	st, err := openReadStore(data)
	if err != nil {
		return nil, nil, err
	}
	ix, err := loadIntelIndex(e, data)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, ix, nil
}
