package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/trace"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func traceJSON(t *testing.T, args ...string) trace.Report {
	t.Helper()
	out := mustCLI(t, append([]string{"trace", "--output", "json"}, args...)...)
	var r trace.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return r
}

func a20(b byte) string { return fmt.Sprintf("0x%040x", b) }

// exitCase is a small timed edge list: the thief pays A 100 and B 50; A
// pays 60 to an exchange and 40 to C; B pays its 50 to the exchange; C
// pays 10 to D. The exchange never pays out.
func exitCase(t *testing.T, asset string) string {
	dir := t.TempDir()
	thief, a, b, c, d, ex := a20(1), a20(2), a20(3), a20(4), a20(5), a20(0xe)
	edges := writeFile(t, dir, "edges.csv", "source,target,amount,time\n"+
		thief+","+a+",100,1000\n"+thief+","+b+",50,1000\n"+a+","+ex+",60,2000\n"+a+","+c+",40,2000\n"+b+","+ex+",50,3000\n"+c+","+d+",10,4000\n")
	mustCLI(t, "ingest", "edges", edges, "--chain", "eip155:1", "--asset", asset, "--data", dir)
	labels := writeFile(t, dir, "labels.csv", "chain,address,label,category,confidence,source,date\n"+
		"eip155:1,"+ex+",Exchange X,exchange,service_data,case notes,2025-02-21\n")
	mustCLI(t, "intel", "import", "labels", "--format", "csv", labels, "--data", dir)
	return dir
}

// TestTraceExitsReport: FIFO from the thief (an Amount-less seed, which
// taints the 150 it pays out though the list shows it receiving nothing):
// the exchange receives 60 + 50 = 110 tainted, first in block 2 (time
// 2000), keeps all of it, and the trace stops there; C keeps 30 and D 10.
func TestTraceExitsReport(t *testing.T) {
	dir := exitCase(t, "native")
	r := traceJSON(t, "--seed", a20(1), "--model", "fifo", "--data", dir)
	if len(r.Seeded) != 1 || r.Seeded[0].Amount != "150" {
		t.Fatalf("seeded %+v, want 150", r.Seeded)
	}
	if len(r.Exits) != 1 {
		t.Fatalf("exits %+v, want one", r.Exits)
	}
	x := r.Exits[0]
	if x.Service != "Exchange X" || x.Category != "exchange" || x.Address != a20(0xe) || x.Amount != "110" || x.Remaining != "110" ||
		x.FirstBlock != 2 || x.FirstTime != "1970-01-01T00:33:20Z" || !x.Stopped || !x.Freezable || x.Hop != 2 ||
		len(x.FreezableBy) != 1 || !strings.Contains(x.FreezableBy[0], "venue") || x.Account != "eip155:1:"+a20(0xe) || x.FirstTx == "" {
		t.Errorf("exit %+v", x)
	}
	front := map[string]string{}
	for _, h := range r.Frontier {
		front[h.Address] = h.Amount
	}
	if len(front) != 2 || front[a20(4)] != "30" || front[a20(5)] != "10" {
		t.Errorf("frontier %+v, want C 30 and D 10", r.Frontier)
	}
	if fmt.Sprint(r.Reach) != "[1 2 2 1]" || r.Chain != "eip155:1" || r.Model != "fifo" || r.Direction != "forward" || r.LatestBlock != 4 {
		t.Errorf("reach %v chain %s model %s direction %s latest %d", r.Reach, r.Chain, r.Model, r.Direction, r.LatestBlock)
	}
	// Haircut gives the same here (every address is wholly tainted); --stop-at
	// none records the exit without stopping.
	r = traceJSON(t, "--seed", a20(1), "--model", "haircut", "--stop-at", "none", "--data", dir)
	if len(r.Exits) != 1 || r.Exits[0].Stopped || r.Exits[0].Amount != "110" {
		t.Errorf("--stop-at none: exits %+v", r.Exits)
	}
	// The other formats.
	table := mustCLI(t, "trace", "--seed", a20(1), "--data", dir)
	if !containsAll(table, "Exchange X", "exchange", "110", "venue: Exchange X", "reach by hop  [1 2 2 1]") {
		t.Errorf("table:\n%s", table)
	}
	rows, err := csv.NewReader(strings.NewReader(mustCLI(t, "trace", "--seed", a20(1), "--output", "csv", "--data", dir))).ReadAll()
	if err != nil || len(rows) != 7 || strings.Join(rows[0], ",") != strings.Join(traceFlowColumns, ",") {
		t.Errorf("csv: %v %v", rows, err)
	}
	dot := mustCLI(t, "trace", "--seed", a20(1), "--output", "dot", "--data", dir)
	if !containsAll(dot, "digraph trace", fmt.Sprintf("%q -> %q", a20(2), a20(0xe)), "fillcolor=tomato") {
		t.Errorf("dot:\n%s", dot)
	}
}

// TestTraceFreezableAsset: the same flows in USDT: the exit is freezable
// by the venue and by Tether, the issuer.
func TestTraceFreezableAsset(t *testing.T) {
	dir := exitCase(t, "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7")
	r := traceJSON(t, "--seed", a20(1), "--data", dir)
	if len(r.Exits) != 1 || fmt.Sprint(r.Exits[0].FreezableBy) != "[venue: Exchange X issuer: Tether (USDT)]" ||
		r.Exits[0].Asset != "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7" {
		t.Errorf("exits %+v", r.Exits)
	}
}

// TestTraceBadInput: each mistake is a clear message and the right exit
// code; nothing hangs.
func TestTraceBadInput(t *testing.T) {
	dir := exitCase(t, "native")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--seed", a20(0x77)}, 1, "holds no eth transfers of this address"},
		{[]string{"--seed", "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}, 1, "holds no btc data"},
		{[]string{"--seed", a20(1), "--until", "1969-12-31"}, 2, "time range is empty"},
		{[]string{"--seed", a20(1), "--from", "3", "--until", "2"}, 2, "time range is empty"},
		{[]string{"--seed", a20(1), "--model", "tiho"}, 2, "UTXO chains only"},
		{[]string{"--seed", a20(1), "--seed", a20(2), "--amount", "5"}, 2, "one seed"},
		{[]string{"--seed", a20(1), "--seed", a20(1)}, 2, "already seeded"},
		{[]string{"--seed", a20(1), "--output", "xml"}, 2, "want table"},
		{[]string{"--seed", a20(1), "--amount", "1.5"}, 2, "whole number"},
		{[]string{"--seed", a20(2), "--amount", "101", "--from", "2"}, 1, "less than the seeded"},
		{[]string{"--seed", "0x" + strings.Repeat("ab", 32)}, 1, "not in the store"},
		{[]string{}, 2, "no seed"},
	} {
		_, errs, code := cli(t, append([]string{"trace", "--data", dir}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("trace %v: exit %d (want %d), stderr %q (want %q)", tc.args, code, tc.code, errs, tc.want)
		}
	}
}

// TestIngestEdgesBadInput: a malformed row is an error naming file and
// line, and nothing is stored.
func TestIngestEdgesBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		body, want string
	}{
		{"source,target,amount\n" + a20(1) + "," + a20(2) + ",5\n" + a20(1) + ",0x12,5\n", "bad.csv:3: target"},
		{a20(1) + "," + a20(2) + ",-5\n", "bad.csv:1: amount"},
		{a20(1) + "," + a20(2) + ",1.5\n", "bad.csv:1: amount"},
		{a20(1) + "," + a20(2) + ",5,yesterday\n", "bad.csv:1: time"},
		{a20(1) + "," + a20(2) + ",5\n" + a20(1) + "," + a20(2) + "\n", "bad.csv:2: 2 fields"},
		{"from,to,when\n", "no amount column"},
		{"source,target,amount\n", "no edges"},
		{"source,target,amount\n\"" + a20(1) + "," + a20(2) + ",5\n", "bad.csv"},
	} {
		p := writeFile(t, dir, "bad.csv", tc.body)
		_, errs, code := cli(t, "ingest", "edges", p, "--chain", "eip155:1", "--data", filepath.Join(dir, "store"))
		if code != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q (want %q)", tc.body, code, errs, tc.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "store")); err == nil {
			t.Fatalf("%q: a store was created", tc.body)
		}
	}
	if _, errs, code := cli(t, "ingest", "edges", "x.csv", "--chain", "bip122:000000000019d6689c085ae165831e93", "--data", dir); code != 2 || !strings.Contains(errs, "eip155") {
		t.Errorf("bip122: exit %d, %q", code, errs)
	}
}

// TestTraceBybitGraph loads the Bybit laundering graph of Ding et al.
// (11,340 addresses, 14,416 edges, no times: file order is the order) with
// `ingest edges` and traces forward from the theft address. The expected
// hops are computed here independently, by a breadth-first search over
// the file's non-zero edges: the trace's first hop is exactly the theft
// address's non-zero recipients, and every address of the FBI's list is
// reached at its distance in the graph. In this graph 42 of the 51 are
// direct recipients of the theft address; the other 9 received through
// other first-hop wallets, so they are at hop 2. Poison and haircut reach
// all 51; FIFO only checks the first hop (the edge weights sum mixed
// assets, and a wallet's earlier clean receipts leave first).
func TestTraceBybitGraph(t *testing.T) {
	edgesFile := sharedPath(t, "bybit-incident-tna/transaction_network_edges.csv")
	fbiFile := sharedPath(t, "fbi-bybit-psa/fbi_psa250226_bybit_eth_addresses.txt")
	const theft = "0x47666fab8bd0ac7003bce3f5c3585383f09486e2"
	dir := t.TempDir()
	mustCLI(t, "ingest", "edges", edgesFile, "--chain", "eip155:1", "--data", dir)

	f, err := os.Open(edgesFile)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	adj := map[string][]string{}
	for _, r := range rows[1:] {
		if strings.TrimLeft(r[2], "0") != "" && r[0] != r[1] { // a self-loop reaches nobody
			adj[r[0]] = append(adj[r[0]], r[1])
		}
	}
	dist := map[string]int{theft: 0}
	for q := []string{theft}; len(q) > 0; q = q[1:] {
		for _, n := range adj[q[0]] {
			if _, ok := dist[n]; !ok {
				dist[n] = dist[q[0]] + 1
				q = append(q, n)
			}
		}
	}
	b, err := os.ReadFile(fbiFile)
	if err != nil {
		t.Fatal(err)
	}
	fbi := strings.Fields(strings.ToLower(string(b)))
	if len(fbi) != 51 {
		t.Fatalf("%d FBI addresses, want 51", len(fbi))
	}

	for _, tc := range []struct{ model, hops string }{{"poison", "0"}, {"haircut", "6"}, {"fifo", "6"}} {
		r := traceJSON(t, "--seed", "0x47666Fab8bd0Ac7003bce3f5C3585383F09486E2", "--model", tc.model, "--max-hops", tc.hops, "--data", dir)
		hop := map[string]int{}
		for _, fl := range r.Flows {
			if h, ok := hop[fl.To]; !ok || fl.Hop < h {
				hop[fl.To] = fl.Hop
			}
		}
		first := 0
		for a, h := range hop {
			if h == 1 {
				first++
				if dist[a] != 1 {
					t.Errorf("%s: %s at hop 1 is not a recipient of the theft address", tc.model, a)
				}
			}
		}
		if first != len(adj[theft]) {
			t.Errorf("%s: %d addresses at hop 1, the theft address has %d non-zero recipients", tc.model, first, len(adj[theft]))
		}
		at := map[int]int{}
		for _, a := range fbi {
			h, ok := hop[a]
			// FIFO reaches fewer: a first-hop wallet that received clean
			// value earlier in the file pays that out first.
			if (!ok || h != dist[a]) && tc.model != "fifo" {
				t.Errorf("%s: FBI address %s at hop %d (reached %v), graph distance %d", tc.model, a, h, ok, dist[a])
			}
			at[h]++
		}
		t.Logf("%s, max hops %s: reach per hop %v, %d flows, %.3fs; FBI addresses by hop %v", tc.model, tc.hops, r.Reach, r.Stats.Flows, r.Stats.Seconds, at)
	}
}

// TestTraceBackward: where the exchange's 110 came from: A's 60 and B's
// 50, both paid out of what the thief sent them, which goes back beyond
// the list's history to the thief (the origin, in the frontier).
func TestTraceBackward(t *testing.T) {
	dir := exitCase(t, "native")
	for _, m := range []string{"fifo", "haircut"} {
		r := traceJSON(t, "--direction", "backward", "--seed", a20(0xe), "--model", m, "--data", dir)
		if r.Direction != "backward" || len(r.Seeded) != 1 || r.Seeded[0].Amount != "110" {
			t.Fatalf("%s: seeded %+v", m, r.Seeded)
		}
		if len(r.Frontier) != 1 || r.Frontier[0].Address != a20(1) || r.Frontier[0].Amount != "110" || fmt.Sprint(r.Reach) != "[1 2 1]" {
			t.Errorf("%s: frontier %+v reach %v", m, r.Frontier, r.Reach)
		}
	}
	// At block 2 the exchange held only A's 60; going back no further than
	// block 2 stops at A.
	r := traceJSON(t, "--direction", "backward", "--seed", a20(0xe), "--at", "2", "--until", "2", "--data", dir)
	if len(r.Seeded) != 1 || r.Seeded[0].Amount != "60" || len(r.Stopped) != 1 || r.Stopped[0].Address != a20(2) || r.Stopped[0].Bound != "until" {
		t.Errorf("--at 2 --until 2: seeded %+v stopped %+v", r.Seeded, r.Stopped)
	}
	if _, errs, code := cli(t, "trace", "--direction", "backward", "--seed", a20(0xe), "--at", "1", "--until", "3", "--data", dir); code != 2 || !strings.Contains(errs, "empty") {
		t.Errorf("--until after --at: exit %d %q", code, errs)
	}
}

// TestPath: the thief reaches D only through A and C; the path carried 10
// (C's payment to D), the least along it.
func TestPath(t *testing.T) {
	dir := exitCase(t, "native")
	var out pathsOut
	if err := json.Unmarshal([]byte(mustCLI(t, "path", a20(1), a20(5), "--output", "json", "--data", dir)), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Paths) != 1 || out.Paths[0].Value != "10" || len(out.Paths[0].Hops) != 3 || out.Paths[0].Hops[1].To != a20(4) || !out.Complete {
		t.Fatalf("paths %+v", out)
	}
	// The exchange is a stop: no path goes through it, and it is the end of one.
	if got := mustCLI(t, "path", a20(2), a20(0xe), "--data", dir); !containsAll(got, "60", a20(0xe)) {
		t.Errorf("A to the exchange:\n%s", got)
	}
	if got := mustCLI(t, "path", a20(5), a20(1), "--data", dir); !strings.Contains(got, "no path") {
		t.Errorf("D to the thief:\n%s", got)
	}
	if _, errs, code := cli(t, "path", a20(1), "--data", dir); code != 2 || !strings.Contains(errs, "FROM and TO") {
		t.Errorf("one argument: exit %d %q", code, errs)
	}
}
