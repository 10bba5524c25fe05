package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/scenario/heist"
	"github.com/chainhound/chainhound/internal/trace"
)

// demoJSON runs chainhound demo --no-serve --output json into dir and
// returns its result and the ground truth it wrote.
func demoJSON(t *testing.T, dir string, args ...string) (map[string]json.RawMessage, *heist.Truth, string) {
	t.Helper()
	out, errs, code := cli(t, append([]string{"demo", "--no-serve", "--output", "json", "--data", dir}, args...)...)
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, errs)
	}
	var res map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("demo output: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "demo", "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr heist.Truth
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	return res, &tr, errs
}

// TestDemoBybit runs the demo end to end (node, scenario with benign
// traffic, ingest, attribution, trace, screening) and checks what it
// prints against the ground truth it wrote: every exit with its exact
// amount and no other, the USDx still held marked freezable by its
// issuer, and every exchange deposit address that received stolen funds
// screened high for stolen funds.
func TestDemoBybit(t *testing.T) {
	dir := t.TempDir()
	res, tr, errs := demoJSON(t, dir)
	if err := tr.Conserved(); err != nil {
		t.Error(err)
	}
	var exits []struct {
		Address, Asset, Amount string
		Freezable              bool
	}
	if err := json.Unmarshal(res["exits"], &exits); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, x := range exits {
		got[x.Address+" "+x.Asset] = x.Amount
	}
	want := map[string]string{}
	for _, l := range tr.Locations {
		if l.Kind == "exit" {
			a, _ := tr.Asset(l.Asset)
			want[l.Address+" "+a.CAIP19] = l.Amount.String()
		}
	}
	if len(want) != 4 {
		t.Errorf("the truth has %d exits (service, asset), want 4 (router, mixer, exchange, OTC)", len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("exit %s: demo says %q, truth %s", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("exit %s (%s) is not in the truth", k, got[k])
		}
	}
	var holdings []struct {
		Address, Asset, Amount string
		FreezableBy            string `json:"freezable_by"`
	}
	if err := json.Unmarshal(res["holdings"], &holdings); err != nil {
		t.Fatal(err)
	}
	usdx, _ := tr.Asset("USDx")
	frozen := 0
	for _, h := range holdings {
		if h.Asset == usdx.CAIP19 {
			if h.FreezableBy == "" {
				t.Errorf("USDx holding %+v not marked freezable", h)
			}
			frozen++
		}
	}
	if frozen != 4 {
		t.Errorf("%d USDx holdings, want the 4 USDx wallets", frozen)
	}
	var screened []struct {
		Account, Severity string
		Reasons           []string
	}
	if err := json.Unmarshal(res["screened"], &screened); err != nil {
		t.Fatal(err)
	}
	sev, reason := map[string]string{}, map[string]string{}
	for _, s := range screened {
		sev[s.Account] = s.Severity
		if len(s.Reasons) > 0 {
			reason[s.Account] = s.Reasons[0]
		}
		if s.Severity == "high" && !strings.Contains(strings.Join(s.Reasons, " "), "stolen_funds") {
			t.Errorf("%s: high for another reason: %v", s.Account, s.Reasons)
		}
	}
	deposits := 0
	for _, e := range tr.Exits {
		if e.Via == "" {
			continue
		}
		deposits++
		if s := sev[tr.CAIP2+":"+e.Via]; s != "high" {
			t.Errorf("exchange deposit address %s received %s stolen wei: screened %q, want high", e.Via, e.Amount.String(), s)
		}
		// Every wei a thief's deposit address received is stolen: the
		// reason says 100%, not the hop-decayed share.
		if r := reason[tr.CAIP2+":"+e.Via]; !strings.HasPrefix(r, "indirect (in): 100% of what it received came from stolen_funds, first at hop 2") {
			t.Errorf("deposit address %s: reason %q", e.Via, r)
		}
	}
	if deposits != 10 {
		t.Errorf("%d exits through deposit addresses, want 10", deposits)
	}
	checkDemoClusters(t, res["clusters"], tr)
	var g struct {
		MaxSeverity string `json:"max_severity"`
	}
	if err := json.Unmarshal(res["guard"], &g); err != nil || g.MaxSeverity != "critical" {
		t.Errorf("guard's verdict on the malicious Safe transaction: %s (%v), want critical", res["guard"], err)
	}
	var score heist.Score
	if err := json.Unmarshal(res["score"], &score); err != nil {
		t.Fatal(err)
	}
	if score.Recall < 0.99 || score.Precision < 0.99 {
		t.Errorf("recall %.4f, precision %.4f: want both at least 0.99", score.Recall, score.Precision)
	}
	if !strings.Contains(errs, "demo: block") || !strings.Contains(errs, "ingest done") {
		t.Errorf("no progress on stderr:\n%s", errs)
	}
}

// checkDemoClusters checks what the demo says clustering found against
// the truth's deposit accounts (recorded as the thief paid them, not by
// clustering): every account paid by two or more of the thief's
// addresses is one entity of exactly those addresses, with that deposit
// address, and there is no other entity among the addresses traced.
func checkDemoClusters(t *testing.T, raw json.RawMessage, tr *heist.Truth) {
	t.Helper()
	var c struct {
		Sweeps   uint64 `json:"deposit_sweeps"`
		Entities []struct {
			Entity   uint64
			Members  uint64
			Traced   []string
			Deposits []string
		}
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("clusters %s: %v", raw, err)
	}
	want := map[string]string{}
	for _, d := range tr.DepositAccounts {
		if len(d.Payers) > 1 {
			p := slices.Clone(d.Payers)
			slices.Sort(p)
			want[fmt.Sprint(p)] = d.Deposit
		}
	}
	if len(want) == 0 {
		t.Fatalf("the truth has no deposit address paid by two of the thief's addresses: %+v", tr.DepositAccounts)
	}
	if c.Sweeps < uint64(len(tr.DepositAccounts)) {
		t.Errorf("%d deposit sweeps found, fewer than the thief's %d deposit addresses", c.Sweeps, len(tr.DepositAccounts))
	}
	for _, e := range c.Entities {
		dep, ok := want[fmt.Sprint(e.Traced)]
		switch {
		case !ok:
			t.Errorf("entity %d (%d members) links traced addresses %v, which share no deposit address in the truth", e.Entity, e.Members, e.Traced)
		case e.Members != uint64(len(e.Traced)) || fmt.Sprint(e.Deposits) != "["+dep+"]":
			t.Errorf("entity %d: %d members, deposits %v; want %d members, deposit %s", e.Entity, e.Members, e.Deposits, len(e.Traced), dep)
		}
		delete(want, fmt.Sprint(e.Traced))
	}
	for payers, dep := range want {
		t.Errorf("the thief's addresses %s all paid deposit address %s: clustering did not link them", payers, dep)
	}
}

// TestDemoTable checks the table a newcomer reads: the exits with their
// true amounts matched, and the summary line.
// The user's own list (--intel) is imported beside the scenario's.
func TestDemoTable(t *testing.T) {
	dir := t.TempDir()
	extra := writeFile(t, t.TempDir(), "mine.csv", "chain,address,label,category,confidence,source,date\n"+
		"eip155:1337,0x00000000000000000000000000000000000000aa,my watch-list entry,scam,forensic,me,2025-02-21\n")
	out := mustCLI(t, "demo", "--no-serve", "--scenario", "peel-chain", "--seed", "2", "--no-benign", "--data", dir, "--intel", extra)
	if look := mustCLI(t, "intel", "lookup", "eip155:1337:0x00000000000000000000000000000000000000aa", "--data", dir); !strings.Contains(look, "my watch-list entry") {
		t.Errorf("--intel list not imported: %s", look)
	}
	if !containsAll(out, "Exchange hot wallet", "Against the ground truth: 100.00% of the stolen value located", "20 of 20 arrivals at exits the trace flagged are the thief's (precision 100.00%)") {
		t.Errorf("demo table:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Exchange hot wallet") && !strings.HasSuffix(strings.TrimSpace(line), "yes") {
			t.Errorf("exit does not match the truth: %s", line)
		}
	}
}

// TestBenchAccuracy: with benign traffic, every account model locates at
// least 99% of the stolen value and at least 99% of the flagged exits are
// true ones.
func TestBenchAccuracy(t *testing.T) {
	out := mustCLI(t, "bench", "accuracy", "--scenario", "bybit", "--output", "json")
	var res struct {
		Runs []struct {
			Benign       bool        `json:"benign"`
			BenignFactor float64     `json:"benign_factor"`
			Score        heist.Score `json:"score"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 3 {
		t.Fatalf("%d runs, want one per model (fifo, haircut, poison)", len(res.Runs))
	}
	for _, r := range res.Runs {
		if !r.Benign || r.BenignFactor < 10 {
			t.Errorf("benign traffic %.1fx the stolen value, want at least 10x", r.BenignFactor)
		}
		if r.Score.Recall < 0.99 || r.Score.Precision < 0.99 {
			t.Errorf("%s: recall %.4f, precision %.4f", r.Score.Model, r.Score.Recall, r.Score.Precision)
		}
		if r.Score.FreezableShare < r.Score.TruthFreezableShare-0.01 {
			t.Errorf("%s: freezable share %.4f, truth %.4f", r.Score.Model, r.Score.FreezableShare, r.Score.TruthFreezableShare)
		}
	}
}

// TestDemoKeepsToItsStore: the demo's guard check screens against the
// demo's own store, not the user's data directory ($CHAINHOUND_DATA),
// whose lists would change what the demo prints.
func TestDemoKeepsToItsStore(t *testing.T) {
	home := t.TempDir()
	t.Setenv("CHAINHOUND_DATA", home)
	list := writeFile(t, t.TempDir(), "mine.csv", "chain,address,label,category,confidence,source,date\n"+
		"eip155:1337,0x6945be3f7ecff857abf7b61aa41cac0c6b37c4da,user's own list entry,sanction,forensic,me,2025-02-21\n")
	mustCLI(t, "intel", "import", "labels", "--format", "csv", list, "--data", home)
	res, _, _ := demoJSON(t, t.TempDir(), "--no-benign")
	var g struct {
		Findings []struct{ Code, Message string }
	}
	if err := json.Unmarshal(res["guard"], &g); err != nil {
		t.Fatal(err)
	}
	for _, f := range g.Findings {
		if f.Code == "screening" || strings.Contains(f.Message, "user's own list") {
			t.Errorf("the demo's guard check read the user's data directory: %+v", f)
		}
	}
}

// TestDemoBenign: traffic alone, nothing to trace, and the demo says so.
func TestDemoBenign(t *testing.T) {
	out := mustCLI(t, "demo", "--scenario", "benign", "--no-serve")
	if !strings.Contains(out, "Nothing was stolen") || strings.Contains(out, "Exits the") {
		t.Errorf("benign demo:\n%s", out)
	}
	// Without --data the files printed went with the temporary store:
	// the line must say so (it named paths that no longer existed).
	truth := regexp.MustCompile(`ground truth (\S+), labels`).FindStringSubmatch(out)
	if truth == nil || !strings.Contains(out, "removed when the demo exits") {
		t.Fatalf("files line without the removal note:\n%s", out)
	}
	if _, err := os.Stat(truth[1]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s: %v, want it removed with the temporary store", truth[1], err)
	}
}

func TestDemoUsage(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--scenario", "nope"},
		{"demo", "--model", "tiho"},
		{"demo", "--listen", "nonsense"},
		{"demo", "--intel", "list.txt"},
		{"demo", "extra"},
		{"bench", "accuracy"},
		{"bench", "accuracy", "--scenario", "benign"},
		{"bench", "accuracy", "--scenario", "bybit", "--runs", "0"},
		{"devnet", "--scenario", "nope"},
		{"devnet", "--truth", "t.json"},
		{"devnet", "--scenario", "bybit", "--block-time", "-1s"},
	} {
		if _, errs, code := cli(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errs)
		}
	}
	// A missing --intel file fails at once, naming the flag, not after
	// the scenario has been played and ingested.
	if _, errs, code := cli(t, "demo", "--no-serve", "--intel", filepath.Join(t.TempDir(), "missing.csv")); code != exitError ||
		!strings.Contains(errs, "--intel") || strings.Contains(errs, "demo: block") {
		t.Errorf("missing --intel file: exit %d\n%s", code, errs)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o644)
	if _, errs, code := cli(t, "demo", "--no-serve", "--data", dir); code != exitUsage || !strings.Contains(errs, "not empty") {
		t.Errorf("non-empty --data: exit %d\n%s", code, errs)
	}
}

// TestDemoServes runs the demo with the server, reads the URL it prints
// and asks the served API for the theft address's risk, and posts the
// trace request it prints to /v1/trace: the served case is the printed
// one (the same exits and holdings, the USDx ones marked freezable by the
// scenario's policy); an interruption stops it.
func TestDemoServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := runCtx(ctx, []string{"demo", "--no-benign", "--listen", "127.0.0.1:0", "--output", "json"}, w, io.Discard)
		w.Close()
		done <- code
	}()
	stopped := false
	t.Cleanup(func() { // also after a Fatal: the demo removes its node and temporary store on the way out
		if !stopped {
			cancel()
			r.Close()
			<-done
		}
	})
	var res struct {
		URL          string            `json:"url"`
		Chain        string            `json:"chain"`
		Files        map[string]string `json:"files"`
		TraceRequest json.RawMessage   `json:"trace_request"`
	}
	if err := json.NewDecoder(r).Decode(&res); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, r)
	b, err := os.ReadFile(res.Files["truth"])
	if err != nil {
		t.Fatal(err)
	}
	var tr heist.Truth
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	var thief string
	for _, th := range tr.Thieves {
		if th.Role == "theft" {
			thief = th.Address
		}
	}
	var resp *http.Response
	for range 100 { // the server starts after the findings are printed
		if resp, err = http.Get(res.URL + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("%s never answered: %v", res.URL, err)
	}
	resp, err = http.Get(res.URL + "/v1/addresses/" + res.Chain + ":" + thief + "/risk")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "service_hack") {
		t.Errorf("GET risk of the theft address %s: %s\n%s", thief, resp.Status, body)
	}
	checkServedTrace(t, res.URL, res.TraceRequest, res.Files["trace"], &tr)
	cancel()
	stopped = true
	if code := <-done; code != exitOK && code != exitInterrupted {
		t.Errorf("demo exited %d after the interruption", code)
	}
	if _, err := os.Stat(filepath.Dir(filepath.Dir(res.Files["trace"]))); !os.IsNotExist(err) {
		t.Errorf("the demo's temporary store is still there after it stopped (%v)", err)
	}
}

// checkServedTrace posts the demo's trace request to the server and
// compares the answer with the trace the demo printed (file).
func checkServedTrace(t *testing.T, url string, req json.RawMessage, file string, tr *heist.Truth) {
	t.Helper()
	type report struct {
		Exits []struct {
			Address, Asset, Amount string
			FreezableBy            []string `json:"freezable_by"`
		}
		Frontier []struct {
			Address, Asset, Amount string
			FreezableBy            string `json:"freezable_by"`
		}
		Stats struct{ Flows int }
	}
	if len(req) == 0 {
		t.Fatal("the demo gave no trace_request")
	}
	resp, err := http.Post(url+"/v1/trace", "application/json", strings.NewReader(string(req)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/trace %s: %s\n%s", req, resp.Status, body)
	}
	var served, printed report
	if err := json.Unmarshal(body, &served); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &printed); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(served.Exits) != fmt.Sprint(printed.Exits) || fmt.Sprint(served.Frontier) != fmt.Sprint(printed.Frontier) || served.Stats.Flows != printed.Stats.Flows {
		t.Errorf("served trace (%s) differs from the printed one:\nserved  %d flows, exits %v\nprinted %d flows, exits %v",
			req, served.Stats.Flows, served.Exits, printed.Stats.Flows, printed.Exits)
	}
	usdx, _ := tr.Asset("USDx")
	n := 0
	for _, h := range served.Frontier {
		if h.Asset == usdx.CAIP19 {
			n++
			if h.FreezableBy != usdx.FreezableBy {
				t.Errorf("served USDx holding %s: freezable_by %q, want %q", h.Address, h.FreezableBy, usdx.FreezableBy)
			}
		}
	}
	if n == 0 {
		t.Errorf("no USDx holding in the served trace")
	}
}

// TestDevnetScenario serves the bybit scenario as a devnet, one block every
// few milliseconds, as the watcher will follow it: the URL comes first,
// the truth file once the last block is sealed, and the chain ingested
// from the URL holds the theft transactions of the truth.
func TestDevnetScenario(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	truth := filepath.Join(t.TempDir(), "truth.json")
	r, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := runCtx(ctx, []string{"devnet", "--scenario", "bybit", "--listen", "127.0.0.1:0", "--block-time", "20ms", "--truth", truth}, w, io.Discard)
		w.Close()
		done <- code
	}()
	var url string
	if _, err := fmt.Fscanln(r, &url); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, r)
	var b []byte
	for range 600 {
		var err error
		if b, err = os.ReadFile(truth); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var tr heist.Truth
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatalf("truth file: %v", err)
	}
	dir := t.TempDir()
	mustCLI(t, "ingest", "eth", "--rpc", url, "--data", dir)
	if len(tr.Seeds) != 3 {
		t.Fatalf("truth seeds %v", tr.Seeds)
	}
	for _, h := range tr.Seeds {
		mustCLI(t, "tx", h, "--data", dir) // fails the test unless the store holds it
	}
	cancel()
	if code := <-done; code != exitOK && code != exitInterrupted {
		t.Errorf("devnet exited %d", code)
	}
}

// TestTraceCase lays a small trace out as the demo's case: the fee and
// the burn are not nodes, and an address that is an exit in two assets,
// one of them freezable, is a freezable exit whatever their order.
func TestTraceCase(t *testing.T) {
	seed, a, x := a20(1), a20(2), a20(0xe)
	for _, freezableFirst := range []bool{true, false} {
		rep := &trace.Report{Chain: "eip155:1", Model: "haircut", Direction: "forward",
			Flows: []trace.ReportFlow{
				{Hop: 1, From: seed, To: a, Asset: "native", Kind: "native", Amount: "10"},
				{Hop: 1, From: seed, To: a20(0xf), Asset: "native", Kind: "fee", Amount: "1"},
				{Hop: 1, From: seed, To: "", Asset: "native", Kind: "burn", Amount: "1"},
				{Hop: 2, From: a, To: x, Asset: "native", Kind: "native", Amount: "5"},
				{Hop: 2, From: a, To: x, Asset: "eip155:1/erc20:" + a20(9), Kind: "token", Amount: "7"},
			},
			Exits: []trace.ReportExit{
				{Account: "eip155:1:" + x, Service: "Desk", Category: "exchange", Asset: "native", Amount: "5", Freezable: false},
				{Account: "eip155:1:" + x, Service: "Desk", Category: "exchange", Asset: "eip155:1/erc20:" + a20(9), Amount: "7", Freezable: true},
			}}
		if freezableFirst {
			rep.Exits[0], rep.Exits[1] = rep.Exits[1], rep.Exits[0]
		}
		c := traceCase(rep, "t")
		if err := c.Check(); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, n := range c.Nodes {
			ids = append(ids, n.ID)
			if n.ID == "eip155:1:"+x && n.Exit != "freezable" {
				t.Errorf("freezable first %v: the exit is %q, want freezable", freezableFirst, n.Exit)
			}
		}
		slices.Sort(ids)
		if want := []string{"eip155:1:" + seed, "eip155:1:" + a, "eip155:1:" + x}; !slices.Equal(ids, want) || len(c.Edges) != 3 {
			t.Errorf("nodes %v (want %v), %d edges (want 3)", ids, want, len(c.Edges))
		}
	}
}
