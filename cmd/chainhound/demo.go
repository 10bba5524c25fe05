package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chainhound/chainhound/internal/scenario/heist"
	"github.com/chainhound/chainhound/internal/trace"
)

func demoCommand() command {
	c := command{
		name:    "demo",
		summary: "play a Bybit-class heist and its laundering on an in-process Ethereum node, ingest, trace and screen it, and compare with the ground truth (offline)",
		usage:   "[--scenario bybit|peel-chain|benign] [--seed N] [--listen 127.0.0.1:8080 | --no-serve] [--data DIR] [--intel FILE]... [--model haircut] [--max-hops N] [--no-benign] [--output table|json]",
		example: "chainhound demo                       # bybit, then serves the case on 127.0.0.1:8080 until Ctrl-C\n" +
			"chainhound demo --scenario peel-chain --seed 7 --no-serve --output json",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		name := fs.String("scenario", "bybit", "scenario to play: "+strings.Join(heist.Scenarios, ", "))
		seed := fs.Int64("seed", 1, "scenario seed: the same seed gives the same chain and the same ground truth")
		listen := fs.String("listen", "127.0.0.1:8080", "address the case is served on after the run (chainhound serve, no API keys: keep it on localhost)")
		noServe := fs.Bool("no-serve", false, "stop after printing the findings instead of serving them")
		dataDir := fs.String("data", "", "store directory (default: a temporary directory, removed at exit); must be empty or new")
		var intelFiles multiFlag
		fs.Var(&intelFiles, "intel", "extra attribution to import: a chainhound label CSV (.csv) or a GraphSense TagPack (.yaml); repeat for several")
		model := fs.String("model", "haircut", "taint model of the trace: fifo, haircut or poison")
		maxHops := fs.Int("max-hops", 0, "hop bound of the trace (0: none; a peel chain is longer than trace's default of 6)")
		noBenign := fs.Bool("no-benign", false, "play the theft without the ordinary users' traffic")
		output := fs.String("output", "table", "table or json")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if err := checkOutput(*output, "table", "json"); err != nil {
			return err
		}
		if *maxHops < 0 {
			return usagef("--max-hops %d: want 0 (no limit) or more", *maxHops)
		}
		if !slices.Contains(heist.Scenarios, *name) {
			return usagef("--scenario %q: want %s", *name, strings.Join(heist.Scenarios, ", "))
		}
		m, err := trace.ParseModel(*model)
		if err != nil || m == trace.TIHO {
			return usagef("--model %q: want fifo, haircut or poison (tiho is for UTXO chains)", *model)
		}
		if !*noServe {
			host, port, err := net.SplitHostPort(*listen)
			if err != nil {
				return usagef("--listen %q: want HOST:PORT", *listen)
			}
			// Try the address now rather than after the run, and pick the
			// port of :0 now, so the URL printed is the one served.
			ln, err := net.Listen("tcp", *listen)
			if err != nil {
				return fmt.Errorf("listen on %s (or run with --no-serve): %w", *listen, err)
			}
			if port == "0" {
				*listen = net.JoinHostPort(host, fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))
			}
			ln.Close()
		}
		for _, f := range intelFiles {
			if _, err := intelFormat(f); err != nil {
				return err
			}
			if _, err := os.Stat(f); err != nil {
				return fmt.Errorf("--intel: %w", err) // before the run, not after it
			}
		}
		data, cleanup, err := demoDataDir(*dataDir)
		if err != nil {
			return err
		}
		defer cleanup()
		start := time.Now()
		d, err := runDemo(ctx, e, demoOptions{scenario: *name, seed: *seed, noBenign: *noBenign, data: data, intel: intelFiles})
		if err != nil {
			return err
		}
		defer d.p.Close()
		res, err := d.findings(ctx, e, m, *maxHops)
		if err != nil {
			return err
		}
		res.Took = time.Since(start).Round(time.Millisecond).String()
		res.FilesRemoved = *dataDir == ""
		if !*noServe {
			res.URL = "http://" + *listen
			if tp := res.Files["trace"]; tp != "" {
				id, err := saveTraceCase(data, tp, fmt.Sprintf("Demo: %s heist, seed %d", res.Scenario, res.Seed))
				if err != nil {
					return fmt.Errorf("save the trace as a workspace case: %w", err)
				}
				res.Workspace = res.URL + "/#case=" + id
			}
		}
		if *output == "json" {
			if err := writeJSON(e, res); err != nil {
				return err
			}
		} else {
			printDemo(e.stdout, d, res)
		}
		e.log.Info("demo done", "took", res.Took, "recall", res.Score.Recall, "precision", res.Score.Precision)
		if *noServe {
			return nil
		}
		// The node keeps running for the guard's endpoints.
		// Served with the scenario's trace policy, so /v1/trace answers the
		// trace request printed as the demo traced (USDx freezable).
		return runSub(ctx, e, e.stderr, "serve", "--listen", *listen, "--data", data, "--no-auth", "--rpc", d.p.Node().URL(),
			"--trace-policy", d.files["policy"])
	}
	return c
}

// intelFormat is the import a user's --intel file goes through.
func intelFormat(f string) ([]string, error) {
	switch strings.ToLower(filepath.Ext(f)) {
	case ".csv":
		return []string{"intel", "import", "labels", "--format", "csv", f}, nil
	case ".yaml", ".yml":
		return []string{"intel", "import", "tagpack", f}, nil
	}
	return nil, usagef("--intel %s: want a label CSV (.csv) or a TagPack (.yaml)", f)
}

func demoDataDir(dir string) (string, func(), error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "chainhound-demo-")
		if err != nil {
			return "", nil, err
		}
		return d, func() { os.RemoveAll(d) }, nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", nil, err
	}
	if len(ents) > 0 {
		return "", nil, usagef("--data %s is not empty: the demo builds its store from scratch", dir)
	}
	return dir, func() {}, os.MkdirAll(dir, 0o755)
}

// runSub runs another chainhound command in-process, its results to out
// and its logs to the demo's.
func runSub(ctx context.Context, e *env, out io.Writer, args ...string) error {
	cmd, rest, ok := lookup(commands(), args)
	if !ok {
		return fmt.Errorf("no command %q", strings.Join(args, " "))
	}
	if err := cmd.run(ctx, &env{stdout: out, stderr: e.stderr, log: e.log}, rest); err != nil {
		return fmt.Errorf("%s: %w", cmd.name, err)
	}
	return nil
}

type demoOptions struct {
	scenario string
	seed     int64
	noBenign bool
	data     string
	intel    []string
}

// demo is a played, ingested and attributed scenario.
type demo struct {
	p      *heist.Player
	truth  *heist.Truth
	data   string
	policy trace.Policy
	files  map[string]string
	guard  *demoGuard // the pre-sign check of the malicious Safe transaction
}

// demoGuard is what chainhound guard safe said of the Safe transaction
// the signers were about to approve.
type demoGuard struct {
	SafeTxHash  string        `json:"safe_tx_hash"`
	MaxSeverity string        `json:"max_severity"`
	Findings    []demoFinding `json:"findings"`
}

type demoFinding struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// guardBeforeSigning runs chainhound guard safe, with simulation on the
// scenario's node, on the Safe transaction the next block executes: what
// the signers would have seen had they checked it. It screens against the
// demo's store (data), not the user's data directory.
func guardBeforeSigning(ctx context.Context, e *env, p *heist.Player, data string) (*demoGuard, error) {
	st, err := p.MaliciousSafeTx(ctx)
	if err != nil {
		return nil, err
	}
	e.log.Info("demo: checking the Safe transaction the signers are about to approve", "safe", st.Safe, "safe_tx_hash", st.SafeTxHash)
	var out bytes.Buffer
	if err := runSub(ctx, e, &out, "guard", "safe", "--safe", st.Safe, "--to", st.To, "--nonce", fmt.Sprint(st.Nonce), "--data", st.Data,
		"--operation", fmt.Sprint(st.Operation), "--version", "1.4.1", "--rpc", p.Node().URL(), "--output", "json",
		"--intel-data", data); err != nil {
		return nil, err
	}
	var res struct {
		Reports []struct {
			Findings []demoFinding `json:"findings"`
		} `json:"reports"`
		MaxSeverity string `json:"max_severity"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("guard safe output: %w", err)
	}
	g := &demoGuard{SafeTxHash: st.SafeTxHash, MaxSeverity: res.MaxSeverity, Findings: []demoFinding{}}
	for _, r := range res.Reports {
		g.Findings = append(g.Findings, r.Findings...)
	}
	return g, nil
}

// runDemo plays the scenario on its node, ingests the chain, and imports
// the scenario's intelligence and the user's lists; the node is left
// running (Close the player).
func runDemo(ctx context.Context, e *env, o demoOptions) (*demo, error) {
	e.log.Info("demo: starting the in-process node and deploying the scenario's contracts", "scenario", o.scenario, "seed", o.seed)
	p, err := heist.New(ctx, heist.Config{Scenario: o.scenario, Seed: o.seed, NoBenign: o.noBenign})
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			p.Close()
		}
	}()
	d := &demo{p: p, data: o.data, files: map[string]string{}}
	for !p.Done() {
		if slices.ContainsFunc(p.NextActions(), func(a heist.Action) bool { return a.Kind == heist.SafeExec }) {
			if d.guard, err = guardBeforeSigning(ctx, e, p, o.data); err != nil {
				return nil, err
			}
		}
		r, err := p.Step(ctx)
		if err != nil {
			return nil, err
		}
		e.log.Info("demo: block", "n", fmt.Sprintf("%d/%d", r.Index+1, r.Blocks), "number", r.Number, "txs", r.Txs, "what", r.Note)
	}
	d.truth = p.Truth()
	dir := filepath.Join(o.data, "demo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	write := func(name string, f func(io.Writer) error) (string, error) {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			return "", err
		}
		path := filepath.Join(dir, name)
		d.files[strings.TrimSuffix(name, filepath.Ext(name))] = path
		return path, os.WriteFile(path, b.Bytes(), 0o644)
	}
	if _, err := write("truth.json", d.truth.WriteJSON); err != nil {
		return nil, err
	}
	labels, err := write("labels.csv", p.WriteLabelsCSV)
	if err != nil {
		return nil, err
	}
	policy, err := write("policy.yaml", p.WritePolicy)
	if err != nil {
		return nil, err
	}
	if d.policy, err = trace.LoadPolicy(policy); err != nil {
		return nil, err
	}
	e.log.Info("demo: ingesting the chain", "rpc", p.Node().URL(), "blocks", d.truth.LastBlock+1)
	if err := runSub(ctx, e, io.Discard, "ingest", "eth", "--rpc", p.Node().URL(), "--data", o.data); err != nil {
		return nil, err
	}
	e.log.Info("demo: clustering the chain's addresses (deposit-address reuse)")
	if err := runSub(ctx, e, io.Discard, "cluster", "build", "--chain", "eth", "--data", o.data); err != nil {
		return nil, err
	}
	e.log.Info("demo: importing the scenario's attribution", "file", labels)
	if err := runSub(ctx, e, io.Discard, "intel", "import", "labels", "--format", "csv", labels, "--data", o.data); err != nil {
		return nil, err
	}
	for _, f := range o.intel {
		args, err := intelFormat(f)
		if err != nil {
			return nil, err
		}
		e.log.Info("demo: importing", "file", f)
		if err := runSub(ctx, e, io.Discard, append(args, "--data", o.data)...); err != nil {
			return nil, err
		}
	}
	ok = true
	return d, nil
}

// trace traces forward from the theft transactions under model m.
func (d *demo) trace(ctx context.Context, e *env, m trace.Model, maxHops int) (*trace.Report, error) {
	specs, err := seedSpecs(d.truth.Seeds, "", "")
	if err != nil {
		return nil, err
	}
	st, ix, err := openTraceStores(e, d.data)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return runTrace(ctx, e, st, ix, d.policy, traceOptions{specs: specs, asset: "native", direction: "forward", model: m, maxHops: maxHops, stops: d.policy.StopAt})
}

// freezableAsset says whether the demo's policy names an asset freezable.
func (d *demo) freezableAsset(caip19 string) bool {
	for _, f := range d.policy.FreezableAssets {
		if strings.EqualFold(f.Asset, caip19) {
			return true
		}
	}
	return false
}

// demoResult is what the demo prints.
type demoResult struct {
	Scenario string                 `json:"scenario"`
	Seed     int64                  `json:"seed"`
	Chain    string                 `json:"chain"`
	RPC      string                 `json:"rpc"`
	Blocks   uint64                 `json:"blocks"`
	Model    string                 `json:"model"`
	Seeds    []string               `json:"seeds"`
	Guard    *demoGuard             `json:"guard,omitempty"`
	Exits    []trace.ReportExit     `json:"exits"`
	Holdings []demoHolding          `json:"holdings"`
	Bridged  []trace.ReportCrossing `json:"bridged"`
	Screened []demoScreen           `json:"screened"`
	Clusters *demoClusters          `json:"clusters"`
	Score    heist.Score            `json:"score"`
	Files    map[string]string      `json:"files"`
	Took     string                 `json:"took"`
	URL      string                 `json:"url,omitempty"`
	// FilesRemoved says the files are in the temporary store, removed
	// when the demo exits (--data keeps them).
	FilesRemoved bool   `json:"files_removed_at_exit,omitempty"`
	Workspace    string `json:"workspace,omitempty"` // the workspace opened on the trace, saved as a case
	// TraceRequest is the body of POST /v1/trace that gives the demo's
	// trace from the served case (absent when nothing was stolen).
	TraceRequest *demoTraceRequest `json:"trace_request,omitempty"`
}

// demoHolding is what a thief's address still holds; the report's
// freezable_by names the issuer who can freeze it.
type demoHolding struct {
	trace.ReportHold
}

// demoTraceRequest is a POST /v1/trace body.
type demoTraceRequest struct {
	Seeds   []string `json:"seeds"`
	Model   string   `json:"model"`
	MaxHops int      `json:"max_hops"`
}

type demoScreen struct {
	Account  string   `json:"account"`
	Severity string   `json:"severity"`
	Score    int      `json:"score"`
	Reasons  []string `json:"reasons"`
}

// findings traces from the theft, screens the addresses that
// paid stolen funds into exchanges, and scores the trace.
func (d *demo) findings(ctx context.Context, e *env, m trace.Model, maxHops int) (*demoResult, error) {
	rep := &trace.Report{Model: m.String()}
	if len(d.truth.Seeds) > 0 {
		e.log.Info("demo: tracing from the theft", "model", m, "seeds", len(d.truth.Seeds))
		var err error
		if rep, err = d.trace(ctx, e, m, maxHops); err != nil {
			return nil, fmt.Errorf("trace from the theft: %w", err)
		}
		var tb bytes.Buffer
		enc := json.NewEncoder(&tb)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return nil, err
		}
		d.files["trace"] = filepath.Join(d.data, "demo", "trace.json")
		if err := os.WriteFile(d.files["trace"], tb.Bytes(), 0o644); err != nil {
			return nil, err
		}
	}
	res := &demoResult{Guard: d.guard, Scenario: d.truth.Scenario, Seed: d.truth.Seed, Chain: d.truth.CAIP2, RPC: d.p.Node().URL(), Blocks: d.truth.LastBlock + 1,
		Model: m.String(), Seeds: d.truth.Seeds, Exits: rep.Exits, Bridged: rep.CrossChain, Files: d.files, Holdings: []demoHolding{}, Screened: []demoScreen{}}
	if res.Exits == nil {
		res.Exits = []trace.ReportExit{}
	}
	if res.Bridged == nil {
		res.Bridged = []trace.ReportCrossing{}
	}
	for _, h := range rep.Frontier {
		res.Holdings = append(res.Holdings, demoHolding{ReportHold: h})
	}
	if len(d.truth.Seeds) > 0 {
		res.TraceRequest = traceRequestOf(e, d.truth.Seeds, rep, maxHops)
	}
	res.Score = d.truth.Score(rep, d.freezableAsset)
	var err error
	if res.Clusters, err = d.clusters(rep); err != nil {
		return nil, fmt.Errorf("clusters of the traced addresses: %w", err)
	}
	// The addresses that paid stolen funds into a custodial venue: an
	// exchange's customer deposit addresses, which no list names, and
	// the OTC desk's clients.
	var deposits []string
	for _, x := range rep.Exits {
		if !x.Freezable || x.Category != "exchange" {
			continue
		}
		for _, f := range rep.Flows {
			if f.To == x.Address && !slices.Contains(deposits, f.From) {
				deposits = append(deposits, f.From)
			}
		}
	}
	if len(deposits) > 0 {
		e.log.Info("demo: screening the exchange deposit addresses the stolen funds went through", "addresses", len(deposits))
		if err := runSub(ctx, e, io.Discard, "risk", "update", "--data", d.data); err != nil {
			return nil, err
		}
		var out bytes.Buffer
		args := append([]string{"screen", "--chain", d.truth.CAIP2, "--no-update", "--output", "json", "--data", d.data}, deposits...)
		if err := runSub(ctx, e, &out, args...); err != nil {
			return nil, err
		}
		var sr struct {
			Results []demoScreen `json:"results"`
		}
		if err := json.Unmarshal(out.Bytes(), &sr); err != nil {
			return nil, fmt.Errorf("screen output: %w", err)
		}
		res.Screened = sr.Results
	}
	return res, nil
}

// traceRequestOf is the /v1/trace request of the demo's trace: every
// seed, the model, and its hop bound, or where it has none, one past the
// deepest hop the trace reached, which no flow meets (the API wants a
// bound, at most apiMaxHops).
func traceRequestOf(e *env, seeds []string, rep *trace.Report, maxHops int) *demoTraceRequest {
	hops := maxHops
	if hops == 0 {
		hops = 1
		for _, f := range rep.Flows {
			hops = max(hops, f.Hop)
		}
		for _, x := range rep.Exits {
			hops = max(hops, x.Hop)
		}
		hops++
	}
	if hops > apiMaxHops {
		e.log.Warn("demo: the served trace stops at the API's hop bound, short of the demo's", "api_max_hops", apiMaxHops, "demo_hops", hops)
		hops = apiMaxHops
	}
	return &demoTraceRequest{Seeds: seeds, Model: rep.Model, MaxHops: hops}
}

// units writes a base-unit amount in whole units, up to four decimals.
func units(amount string, decimals int) string {
	v, ok := new(big.Int).SetString(amount, 10)
	if !ok {
		return amount
	}
	r := new(big.Rat).SetFrac(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil))
	s := r.FloatString(4)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 && whole[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

func (d *demo) symbol(caip19 string) (string, int) {
	if a, ok := d.truth.AssetByCAIP(caip19); ok {
		return a.Symbol, a.Decimals
	}
	return caip19, 0
}

func short(a string) string {
	if len(a) > 14 {
		return a[:8] + "…" + a[len(a)-4:]
	}
	return a
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}

func printDemo(w io.Writer, d *demo, r *demoResult) {
	t := d.truth
	fmt.Fprintf(w, "chainhound demo: scenario %s, seed %d, on %s (blocks 0-%d, node %s)\n", t.Scenario, t.Seed, t.CAIP2, t.LastBlock, r.RPC)
	if s := t.SafeTx; s != nil {
		fmt.Fprintf(w, "\nThe theft: 2 of 3 signers of the Safe %s approved a DELEGATECALL to %s (block %d);\n", s.Safe, s.To, s.Block)
		fmt.Fprintf(w, "  it replaced the Safe's implementation %s with the backdoor %s.\n", s.Singleton, s.Backdoor)
	}
	if g := r.Guard; g != nil {
		fmt.Fprintf(w, "Before signing, chainhound guard safe called it %s:\n", strings.ToUpper(g.MaxSeverity))
		for _, f := range g.Findings {
			if f.Severity == "critical" || f.Severity == "high" {
				fmt.Fprintf(w, "  %-8s %s: %s\n", f.Severity, f.Code, f.Message)
			}
		}
	}
	if len(t.Seeds) == 0 {
		fmt.Fprintf(w, "\nNothing was stolen: %s ETH of ordinary traffic (users of the pool, mixer, router, exchange and OTC desk), so there is nothing to trace.\n",
			units(t.BenignValue.String(), 18))
		fmt.Fprintf(w, "Files: ground truth %s, labels %s%s. Took %s.\n", r.Files["truth"], r.Files["labels"], r.removedNote(), r.Took)
		if r.URL != "" {
			fmt.Fprintf(w, "\nServing at %s (no API keys; Ctrl-C stops): curl -s %s/openapi.json\n", r.URL, r.URL)
		}
		return
	}
	var stolen []string
	for _, a := range t.Stolen {
		as, _ := t.Asset(a.Asset)
		stolen = append(stolen, units(a.Amount.String(), as.Decimals)+" "+a.Asset)
	}
	fmt.Fprintf(w, "Stolen: %s in %d transaction(s): %s\n", strings.Join(stolen, ", "), len(t.Seeds), strings.Join(t.Seeds, " "))

	printExits(w, d, r)
	if len(r.Holdings) > 0 {
		printHoldings(w, d, r)
	}
	if len(r.Bridged) > 0 {
		dest := map[string]bool{}
		total := new(big.Int)
		for _, c := range r.Bridged {
			dest[c.DestAddress] = true
			v, _ := new(big.Int).SetString(c.Tainted, 10)
			if v != nil {
				total.Add(total, v)
			}
		}
		fmt.Fprintf(w, "\nBridged: %d router deposits carried %s ETH of stolen funds to %d Bitcoin address(es) named in their memos (e.g. %q).\n",
			len(r.Bridged), units(total.String(), 18), len(dest), r.Bridged[0].Memo)
	}
	printClusters(w, r.Clusters)
	if len(r.Screened) > 0 {
		fmt.Fprintln(w, "\nAddresses that paid stolen funds into custodial venues (exchange deposit addresses, which no list names, and OTC clients), screened:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ACCOUNT\tSEVERITY\tREASON")
		for _, s := range r.Screened {
			reason := "-"
			if len(s.Reasons) > 0 {
				reason = s.Reasons[0]
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Account, s.Severity, reason)
		}
		tw.Flush()
	}
	sc := r.Score
	fmt.Fprintf(w, "\nAgainst the ground truth: %.2f%% of the stolen value located where it is; %d of %d arrivals at exits the trace flagged are the thief's (precision %.2f%%)",
		100*sc.Recall, sc.FlaggedTrue, sc.Flagged, 100*sc.Precision)
	if len(sc.MissedExits) > 0 {
		fmt.Fprintf(w, "; missed: %s", strings.Join(sc.MissedExits, "; "))
	}
	fmt.Fprintf(w, ".\n%.2f%% of the stolen value sits where it can be frozen (the truth says %.2f%%).\n", 100*sc.FreezableShare, 100*sc.TruthFreezableShare)
	fmt.Fprintf(w, "Files: ground truth %s, trace %s, labels %s%s. Took %s.\n", r.Files["truth"], r.Files["trace"], r.Files["labels"], r.removedNote(), r.Took)
	if r.URL != "" {
		var theft string
		for _, th := range t.Thieves {
			if th.Role == "theft" {
				theft = th.Address
			}
		}
		fmt.Fprintf(w, "\nServing the case at %s (no API keys; Ctrl-C stops):\n", r.URL)
		if r.Workspace != "" {
			fmt.Fprintf(w, "  open %s in a browser: the investigation workspace on this trace\n", r.Workspace)
		}
		if theft != "" {
			fmt.Fprintf(w, "  curl -s %s/v1/addresses/%s:%s/risk\n", r.URL, t.CAIP2, theft)
		}
		if len(r.Screened) > 0 {
			fmt.Fprintf(w, "  curl -s %s/v1/addresses/%s/risk\n", r.URL, r.Screened[0].Account)
		}
		if r.TraceRequest != nil {
			body, _ := json.Marshal(r.TraceRequest)
			fmt.Fprintf(w, "  curl -s -X POST %s/v1/trace -d '%s'\n", r.URL, body)
		}
	}
}

// printHoldings lists what the thief's addresses still hold: every holding
// an issuer can freeze, and the others one by one when there are few, else
// in one line per asset.
func printHoldings(w io.Writer, d *demo, r *demoResult) {
	trueAmount := func(h demoHolding, sym string) string {
		for _, l := range r.Score.Locations {
			if l.Kind == "holding" && l.Address == h.Address && l.Asset == sym {
				return l.Amount.String()
			}
		}
		return "0"
	}
	var listed, rest []demoHolding
	for _, h := range r.Holdings {
		if h.FreezableBy != "" {
			listed = append(listed, h)
		} else {
			rest = append(rest, h)
		}
	}
	const few = 8
	if len(rest) <= few {
		listed, rest = append(listed, rest...), nil
	}
	fmt.Fprintln(w, "\nStill held by the thief's addresses:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tAMOUNT\tFREEZABLE BY\tTRUE AMOUNT\tMATCH")
	for _, h := range listed {
		sym, dec := d.symbol(h.Asset)
		want := trueAmount(h, sym)
		by := h.FreezableBy
		if by == "" {
			by = "-"
		}
		match := "no"
		if want == h.Amount {
			match = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s %s\t%s\n", h.Address, units(h.Amount, dec), sym, by, units(want, dec), sym, match)
	}
	type sum struct {
		n, matched int
		got, want  *big.Int
	}
	byAsset := map[string]*sum{}
	var assets []string
	for _, h := range rest {
		sym, _ := d.symbol(h.Asset)
		s := byAsset[h.Asset]
		if s == nil {
			s = &sum{got: new(big.Int), want: new(big.Int)}
			byAsset[h.Asset] = s
			assets = append(assets, h.Asset)
		}
		want := trueAmount(h, sym)
		s.n++
		if want == h.Amount {
			s.matched++
		}
		g, _ := new(big.Int).SetString(h.Amount, 10)
		t, _ := new(big.Int).SetString(want, 10)
		if g != nil && t != nil {
			s.got.Add(s.got, g)
			s.want.Add(s.want, t)
		}
	}
	for _, a := range assets {
		s := byAsset[a]
		sym, dec := d.symbol(a)
		fmt.Fprintf(tw, "%d other addresses\t%s %s\t-\t%s %s\t%d of %d\n", s.n, units(s.got.String(), dec), sym, units(s.want.String(), dec), sym, s.matched, s.n)
	}
	tw.Flush()
}

// printExits lists the exits the trace found next to the truth's amounts.
func printExits(w io.Writer, d *demo, r *demoResult) {
	fmt.Fprintf(w, "\nExits the %s trace from the theft found, against the ground truth:\n", r.Model)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tCATEGORY\tADDRESS\tAMOUNT\tFIRST BLOCK\tFREEZABLE\tTRUE AMOUNT\tMATCH")
	for _, x := range r.Exits {
		sym, dec := d.symbol(x.Asset)
		want := "0"
		for _, l := range r.Score.Locations {
			if l.Kind == "exit" && l.Address == x.Address && l.Asset == sym {
				want = l.Amount.String()
			}
		}
		match := "no"
		if want == x.Amount {
			match = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%d\t%s\t%s %s\t%s\n", x.Service, x.Category, x.Address, units(x.Amount, dec), sym, x.FirstBlock, yesNo(x.Freezable), units(want, dec), sym, match)
	}
	tw.Flush()
}

// removedNote warns that the files printed go with the temporary store.
func (r *demoResult) removedNote() string {
	if !r.FilesRemoved {
		return ""
	}
	return " (in the temporary store, removed when the demo exits: --data DIR keeps them)"
}
