package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/trace"
)

var small = TraceGraphConfig{AccountTransfers: 20_000, UTXOTxs: 5_000, Exponent: 1.1, Seed: 3}

// TestTraceGraphReuse checks that a graph directory is generated once,
// reopened with the same alerts, and refused for another configuration.
func TestTraceGraphReuse(t *testing.T) {
	dir := t.TempDir()
	g, err := OpenTraceGraph(context.Background(), dir, small, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := g.Meta
	g.Close()
	if len(first.AccountAlerts) < 1000 || len(first.UTXOAlerts) < 1000 {
		t.Fatalf("%d account and %d UTXO alerts, want at least 1000 each", len(first.AccountAlerts), len(first.UTXOAlerts))
	}
	g, err = OpenTraceGraph(context.Background(), dir, small, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	again := g.Meta
	g.Close()
	if again.GenerateSeconds != first.GenerateSeconds || !slices.Equal(again.AccountAlerts, first.AccountAlerts) || !slices.Equal(again.UTXOAlerts, first.UTXOAlerts) {
		t.Fatal("reopening the graph directory regenerated it or lost its alerts")
	}
	other := small
	other.Seed++
	if _, err := OpenTraceGraph(context.Background(), dir, other, 0, nil); err == nil || !strings.Contains(err.Error(), "use another --data directory") {
		t.Fatalf("a directory made with another seed was accepted: %v", err)
	}
}

// TestTraceSmall runs the whole benchmark on a small graph: every trace
// finishes, the in-memory snapshot visits exactly the edges and reaches
// exactly the addresses the store does, and the fast path reaches the same
// addresses with the same flows.
func TestTraceSmall(t *testing.T) {
	res, err := Trace(context.Background(), TraceConfig{Graph: small, Dir: t.TempDir(), Seeds: []int{1, 20}, SingleRuns: 2, Budget: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * 2 * (3 + 4); len(res.Runs) != want {
		t.Fatalf("%d rows, want %d (3 sources × 2 seed counts × 7 chain models)", len(res.Runs), want)
	}
	type key struct {
		chain, model string
		seeds        int
	}
	byKey := map[key][]TraceRun{}
	for _, r := range res.Runs {
		if !r.Finished || r.Edges == 0 || r.Reach == 0 {
			t.Errorf("%+v: want a finished trace that visited edges and reached addresses", r)
		}
		k := key{r.Chain, r.Model, r.Seeds}
		byKey[k] = append(byKey[k], r)
	}
	for k, rs := range byKey {
		if len(rs) != 3 || rs[0].Edges != rs[1].Edges || rs[0].Reach != rs[1].Reach || rs[0].Flows != rs[1].Flows {
			t.Errorf("%v: store and memory disagree: %+v", k, rs)
			continue
		}
		if f := rs[2]; f.Source != "fast" || f.Reach != rs[1].Reach || f.Flows != rs[1].Flows || f.ResolveSeconds <= 0 || (k.chain == "eth") != (f.Scanned > 0) {
			t.Errorf("%v: the fast path disagrees with the general tracer: %+v", k, rs)
		}
	}
	if s := res.String(); !strings.Contains(s, "edges/s") || !strings.Contains(s, "haircut") {
		t.Errorf("report lacks its table:\n%s", s)
	}
}

var (
	benchOnce  sync.Once
	benchGraph *TraceGraph
	benchErr   error
)

// BenchmarkTrace traces each model on a small power-law graph (200,000
// account transfers, 50,000 UTXO transactions, generated once per run),
// from one seed and from 100, through the store, through an in-memory
// snapshot and by the snapshot's fast path, reporting edges visited per
// second. Run with -cpu 1 for per-core
// figures; chainhound bench trace measures the full-size graphs.
func BenchmarkTrace(b *testing.B) {
	benchOnce.Do(func() {
		benchGraph, benchErr = OpenTraceGraph(context.Background(), b.TempDir(), TraceGraphConfig{AccountTransfers: 200_000, UTXOTxs: 50_000, Exponent: 1.1, Seed: 1}, 0, nil)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	g := benchGraph
	acctSnap, err := trace.NewAccountSnapshot(g.Account, chain.Ethereum)
	if err != nil {
		b.Fatal(err)
	}
	utxoSnap, err := trace.NewUTXOSnapshot(g.UTXO, chain.Bitcoin)
	if err != nil {
		b.Fatal(err)
	}
	bt := &tracer{cfg: TraceConfig{SingleRuns: 1}, g: g}
	for _, c := range []chain.Chain{chain.Ethereum, chain.Bitcoin} {
		models := []trace.Model{trace.FIFO, trace.Haircut, trace.Poison}
		if c == chain.Bitcoin {
			models = []trace.Model{trace.FIFO, trace.Haircut, trace.TIHO, trace.Poison}
		}
		for _, source := range []string{"store", "memory", "fast"} {
			for _, m := range models {
				for _, n := range []int{1, 100} {
					sets, err := bt.seedSets(c, n)
					if err != nil {
						b.Fatal(err)
					}
					b.Run(fmt.Sprintf("%s/%s/%s/seeds=%d", c, source, m, n), func(b *testing.B) {
						w := newWatch(time.Hour, 1<<62)
						defer w.stop()
						cpu0 := cpuSeconds()
						for b.Loop() {
							var err error
							switch {
							case source == "fast" && c == chain.Bitcoin:
								var r *trace.FastResult
								if r, err = utxoSnap.FastTrace(m, trace.Bounds{MaxHops: 6}, sets[0].utxo, trace.FastOptions{}); err == nil {
									w.edges.Add(r.Edges)
								}
							case source == "fast":
								var r *trace.FastResult
								if r, err = acctSnap.FastTrace(m, trace.Bounds{MaxHops: 6}, sets[0].account, trace.FastOptions{}); err == nil {
									w.edges.Add(r.Edges)
								}
							case c == chain.Bitcoin:
								var src trace.UTXOSource = g.UTXO
								if source == "memory" {
									src = utxoSnap
								}
								_, err = trace.TraceUTXO(&countingUTXO{src: src, w: w}, c, m, trace.Bounds{MaxHops: 6}, sets[0].utxo)
							default:
								var src trace.AccountSource = g.Account
								if source == "memory" {
									src = acctSnap
								}
								_, err = trace.TraceAccount(&countingAccount{src: src, w: w}, c, m, trace.Bounds{MaxHops: 6}, sets[0].account)
							}
							if err != nil {
								b.Fatal(err)
							}
						}
						b.ReportMetric(float64(w.edges.Load())/b.Elapsed().Seconds(), "edges/s")
						if cpu := cpuSeconds() - cpu0; cpu > 0 {
							b.ReportMetric(float64(w.edges.Load())/cpu, "edges/cpu-s")
						}
					})
				}
			}
		}
	}
}

// TestTraceSnapshotFile runs the fast source twice with a snapshot file:
// the first run builds and writes it, the second reads it and traces the
// same; a file of another graph is refused.
func TestTraceSnapshotFile(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/account.snap"
	g := TraceGraphConfig{AccountTransfers: 5_000, Exponent: 1.1, Seed: 4}
	cfg := TraceConfig{Graph: g, Dir: dir + "/graph", Seeds: []int{1, 10}, SingleRuns: 3, Budget: time.Minute, Sources: []string{"fast"}, SnapshotFile: file}
	first, err := Trace(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if first.SnapshotFile != "" {
		t.Fatalf("the first run read a snapshot file that did not exist")
	}
	again, err := Trace(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if again.SnapshotFile != file || len(again.Runs) != len(first.Runs) {
		t.Fatalf("the second run did not read %s (%q), or ran %d rows, not %d", file, again.SnapshotFile, len(again.Runs), len(first.Runs))
	}
	for i, r := range again.Runs {
		if f := first.Runs[i]; r.Reach != f.Reach || r.Flows != f.Flows || r.Edges != f.Edges || !r.Finished {
			t.Errorf("row %d: %+v from the file, %+v from the store", i, r, f)
		}
	}
	other := cfg
	other.Graph.Seed, other.Dir = 5, dir+"/other"
	if _, err := Trace(context.Background(), other); err == nil || !strings.Contains(err.Error(), "not of this graph") {
		t.Fatalf("a snapshot file of another graph: %v", err)
	}
}

// TestTraceSmallExits: with the busiest ranks as exchanges, the fast path
// is taken (no note that the general tracer ran), agrees with the general
// tracer over the snapshot, and taint stops at the exchanges (traces reach
// fewer addresses than without exits).
func TestTraceSmallExits(t *testing.T) {
	dir := t.TempDir()
	cfg := TraceConfig{Graph: small, Dir: dir, Seeds: []int{20}, SingleRuns: 1, Budget: time.Minute, Sources: []string{"memory", "fast"}}
	plain, err := Trace(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Exchanges = 20
	res, err := Trace(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != len(plain.Runs) || len(res.Runs) != 2*7 {
		t.Fatalf("%d rows with exits, %d without, want 14", len(res.Runs), len(plain.Runs))
	}
	type key struct{ chain, source, model string }
	index := func(r *TraceResult) map[key]TraceRun {
		m := map[key]TraceRun{}
		for _, x := range r.Runs {
			m[key{x.Chain, x.Source, x.Model}] = x
		}
		return m
	}
	with, without := index(res), index(plain)
	fewer := 0
	for k, f := range with {
		if k.source != "fast" {
			continue
		}
		m := with[key{k.chain, "memory", k.model}]
		if !m.Finished || !f.Finished || f.Note != "" || f.Reach != m.Reach || f.Flows != m.Flows {
			t.Errorf("%v: the fast path with exits disagrees with the general tracer or was not taken: %+v vs %+v", k, f, m)
		}
		if f.Reach < without[k].Reach {
			fewer++
		}
	}
	if fewer == 0 {
		t.Error("no trace reached fewer addresses with the busiest ranks as stopping exchanges")
	}
	if !strings.Contains(res.String(), "20 busiest addresses are exchanges") {
		t.Errorf("report does not say the exits:\n%s", res.String())
	}
}
