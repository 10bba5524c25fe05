package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"reflect"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/synth"
	"github.com/chainhound/chainhound/internal/trace"
)

// TraceConfig shapes the tracing benchmark.
type TraceConfig struct {
	Graph      TraceGraphConfig
	Dir        string        // where the graphs are kept between runs
	Seeds      []int         // seed counts per trace (default 1, 100, 10,000)
	SingleRuns int           // one-seed traces per model, each from another seed (default 5)
	MaxHops    int           // default 6
	Budget     time.Duration // a trace running longer is stopped (default 10 min)
	MaxHeap    uint64        // a trace whose Go heap grows past this is stopped (default 12 GiB)
	Sources    []string      // "store" (Pebble reads), "memory" (TraceAccount/TraceUTXO over an in-memory snapshot), "fast" (the snapshot's fast path); default all three
	Models     []trace.Model // default all of each chain
	CacheBytes int64         // the store's block cache (0: its default, 64 MiB)
	// SnapshotFile, when set, keeps the account graph's snapshot: read from
	// it when it exists, else built and written there for the next run.
	SnapshotFile string
	// Exchanges, when positive, attributes the graph's busiest address
	// ranks as exchanges and traces as the trace command does: taint
	// reaching one is an exit and stops there.
	Exchanges int
	Progress  io.Writer // log lines; nil: none
}

// TraceRun is one row of the report: a (chain, source, model, seed count)
// cell, over Runs traces.
type TraceRun struct {
	Chain       string    `json:"chain"`
	Source      string    `json:"source"`
	Model       string    `json:"model"`
	Seeds       int       `json:"seeds"`
	Runs        int       `json:"runs"`
	P50Seconds  float64   `json:"p50_seconds"`
	Seconds     []float64 `json:"seconds"` // each run's, in run order
	MaxSeconds  float64   `json:"max_seconds"`
	Edges       int64     `json:"edges"` // over all runs
	EdgesPerSec float64   `json:"edges_per_sec"`
	Scanned     int64     `json:"scanned,omitempty"` // fast path, account chains: rows the forward scan looked at, over all runs
	// CPUSeconds is the process's CPU time over all runs (user and system,
	// the collector's included), and EdgesPerCPUSec the edges per second of
	// it: on a shared machine the per-core rate, where EdgesPerSec also
	// tells how much of the machine the run got.
	CPUSeconds     float64 `json:"cpu_seconds"`
	EdgesPerCPUSec float64 `json:"edges_per_cpu_sec"`
	// ResolveSeconds is the longest time FastResult.Result took to turn a
	// fast trace into Flow records (not in the latency); -1 when a trace had
	// too many flows to resolve them in memory.
	ResolveSeconds float64 `json:"resolve_seconds,omitempty"`
	Reach          int     `json:"reach"` // tainted addresses, median over runs
	Flows          int     `json:"flows"` // median over runs
	PeakHeapBytes  uint64  `json:"peak_heap_bytes"`
	PeakRSSBytes   int64   `json:"peak_rss_bytes"`
	Finished       bool    `json:"finished"`
	Note           string  `json:"note,omitempty"`
}

// TraceResult is the whole report.
type TraceResult struct {
	Machine         string     `json:"machine"`
	LoadAvg         string     `json:"loadavg"` // /proc/loadavg at the start and at the end of the run
	GOMAXPROCS      int        `json:"gomaxprocs"`
	Dir             string     `json:"dir"`
	Graph           graphMeta  `json:"graph"`
	AccountDegrees  *Degrees   `json:"account_degrees,omitempty"` // from the snapshot
	SnapshotSeconds [2]float64 `json:"snapshot_seconds"`          // account, UTXO: building the in-memory snapshots
	SnapshotBytes   [2]uint64  `json:"snapshot_bytes"`
	SnapshotFile    string     `json:"snapshot_file,omitempty"` // the account snapshot was read from this file (SnapshotSeconds is then the read)
	Exchanges       int        `json:"exchanges,omitempty"`     // busiest ranks attributed as exchanges, where taint stopped
	Runs            []TraceRun `json:"runs"`
}

var errBudget = errors.New("stopped: over the time or memory budget")

// Trace runs the benchmark: it opens (or first generates) the graphs, then
// traces each model from the configured seed counts, through the store and
// through an in-memory snapshot.
func Trace(ctx context.Context, cfg TraceConfig) (*TraceResult, error) {
	if len(cfg.Seeds) == 0 {
		cfg.Seeds = []int{1, 100, 10_000}
	}
	if cfg.SingleRuns <= 0 {
		cfg.SingleRuns = 5
	}
	if cfg.MaxHops <= 0 {
		cfg.MaxHops = 6
	}
	if cfg.Budget <= 0 {
		cfg.Budget = 10 * time.Minute
	}
	if cfg.MaxHeap == 0 {
		cfg.MaxHeap = 12 << 30
	}
	if len(cfg.Sources) == 0 {
		cfg.Sources = []string{"store", "memory", "fast"}
	}
	g, err := OpenTraceGraph(ctx, cfg.Dir, cfg.Graph, cfg.CacheBytes, cfg.Progress)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	res := &TraceResult{Machine: Machine(), GOMAXPROCS: runtime.GOMAXPROCS(0), Dir: cfg.Dir, Graph: g.Meta, LoadAvg: loadAvg(), Exchanges: cfg.Exchanges}
	defer func() { res.LoadAvg += "; at the end " + loadAvg() }()
	b := &tracer{cfg: cfg, res: res, g: g}
	if cfg.Graph.AccountTransfers > 0 {
		if err := b.chain(ctx, chain.Ethereum); err != nil {
			return res, err
		}
	}
	if cfg.Graph.UTXOTxs > 0 {
		if err := b.chain(ctx, chain.Bitcoin); err != nil {
			return res, err
		}
	}
	return res, nil
}

type tracer struct {
	cfg TraceConfig
	res *TraceResult
	g   *TraceGraph
}

func (b *tracer) logf(format string, args ...any) {
	if b.cfg.Progress != nil {
		fmt.Fprintf(b.cfg.Progress, format+"\n", args...)
	}
}

// chain runs every source and model of one chain.
func (b *tracer) chain(ctx context.Context, c chain.Chain) error {
	models := []trace.Model{trace.FIFO, trace.Haircut, trace.Poison}
	if c == chain.Bitcoin {
		models = []trace.Model{trace.FIFO, trace.Haircut, trace.TIHO, trace.Poison}
	}
	if len(b.cfg.Models) > 0 {
		models = slices.DeleteFunc(slices.Clone(models), func(m trace.Model) bool { return !slices.Contains(b.cfg.Models, m) })
	}
	var acctSnap *trace.AccountSnapshot
	var utxoSnap *trace.UTXOSnapshot
	for _, source := range b.cfg.Sources {
		var acct trace.AccountSource = b.g.Account
		var utxo trace.UTXOSource = b.g.UTXO
		if source != "store" && acctSnap == nil && utxoSnap == nil {
			k := 0
			if c == chain.Bitcoin {
				k = 1
			}
			runtime.GC()
			before := heapBytes()
			start := time.Now()
			b.logf("building the in-memory snapshot of the %s graph", c)
			var err error
			if c == chain.Bitcoin {
				utxoSnap, err = trace.NewUTXOSnapshot(b.g.UTXO, c)
			} else if acctSnap, err = b.accountSnapshot(c); err == nil {
				b.res.AccountDegrees = degreeStats(acctSnap.Degrees())
			}
			if err != nil {
				return err
			}
			b.res.SnapshotSeconds[k] = time.Since(start).Seconds()
			runtime.GC()
			b.res.SnapshotBytes[k] = heapBytes() - min(before, heapBytes())
			b.logf("snapshot ready in %.1f s, %.0f MiB", b.res.SnapshotSeconds[k], float64(b.res.SnapshotBytes[k])/(1<<20))
		}
		if source != "store" {
			if c == chain.Bitcoin {
				utxo = utxoSnap
			} else {
				acct = acctSnap
			}
		}
		var fast fastTracer
		if source == "fast" {
			fast = fastTracer{acct: acctSnap, utxo: utxoSnap}
		}
		for _, m := range models {
			skip := ""
			for _, n := range b.cfg.Seeds {
				if err := ctx.Err(); err != nil {
					return err
				}
				run := TraceRun{Chain: c.String(), Source: source, Model: m.String(), Seeds: n}
				if skip != "" {
					run.Note = skip
					b.res.Runs = append(b.res.Runs, run)
					continue
				}
				if err := b.cell(&run, c, m, acct, utxo, fast); err != nil {
					return err
				}
				b.logf("%s %s %s seeds=%d: p50 %.3f s max %.3f s, %.0f edges/s, reach %d, heap %.0f MiB %s",
					run.Chain, run.Source, run.Model, run.Seeds, run.P50Seconds, run.MaxSeconds, run.EdgesPerSec, run.Reach, float64(run.PeakHeapBytes)/(1<<20), run.Note)
				b.res.Runs = append(b.res.Runs, run)
				if !run.Finished {
					skip = fmt.Sprintf("skipped: %d seeds did not finish", n)
				}
			}
		}
	}
	return nil
}

// accountSnapshot builds the account graph's snapshot, or reads it from
// the snapshot file, which must hold this graph; a snapshot built is
// written there.
func (b *tracer) accountSnapshot(c chain.Chain) (*trace.AccountSnapshot, error) {
	path := b.cfg.SnapshotFile
	if path == "" {
		return trace.NewAccountSnapshot(b.g.Account, c)
	}
	if f, err := os.Open(path); err == nil {
		defer f.Close()
		snap, err := trace.ReadAccountSnapshot(f)
		if errors.Is(err, trace.ErrSnapshotVersion) {
			b.logf("%s: %v: building the snapshot again", path, err)
			return b.writeAccountSnapshot(c, path)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if n, _ := snap.Len(); snap.Chain() != c || snap.Cursor() != b.g.Meta.AccountBlocks || n != b.g.Meta.AccountTransfers || !sameBlocks(snap, b.g.Account, c, 0, snap.Cursor()) {
			return nil, fmt.Errorf("%s holds a snapshot of %d transfers up to block %d, not of this graph (%d up to %d): remove it or name another file", path, n, snap.Cursor(), b.g.Meta.AccountTransfers, b.g.Meta.AccountBlocks)
		}
		b.res.SnapshotFile = path
		b.logf("snapshot read from %s", path)
		return snap, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return b.writeAccountSnapshot(c, path)
}

// writeAccountSnapshot builds the account graph's snapshot and writes it
// to path.
func (b *tracer) writeAccountSnapshot(c chain.Chain, path string) (*trace.AccountSnapshot, error) {
	snap, err := trace.NewAccountSnapshot(b.g.Account, c)
	if err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return nil, err
	}
	if _, err := snap.WriteTo(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	b.logf("snapshot written to %s", path)
	return snap, nil
}

// sameBlocks reports whether the snapshot holds the store's transfers of
// the given blocks.
func sameBlocks(snap *trace.AccountSnapshot, st *store.DB, c chain.Chain, blocks ...uint64) bool {
	for _, h := range blocks {
		q := store.Query{Chain: c, FromBlock: h, ToBlock: h, HasToBlock: true}
		var a, b []store.Row
		for r, err := range snap.Transfers(q) {
			if err != nil {
				return false
			}
			a = append(a, r)
		}
		for r, err := range st.Transfers(q) {
			if err != nil {
				return false
			}
			b = append(b, r)
		}
		if !reflect.DeepEqual(a, b) {
			return false
		}
	}
	return true
}

// fastTracer is the snapshot whose fast path a "fast" row runs (both nil
// for the other sources).
type fastTracer struct {
	acct *trace.AccountSnapshot
	utxo *trace.UTXOSnapshot
}

// resolveLimit bounds the flows a benchmark resolves to Flow records
// (about 200 bytes each) to time FastResult.Result.
const resolveLimit = 5_000_000

// cell runs the traces of one report row.
func (b *tracer) cell(run *TraceRun, c chain.Chain, m trace.Model, acct trace.AccountSource, utxo trace.UTXOSource, fast fastTracer) error {
	sets, err := b.seedSets(c, run.Seeds)
	if err != nil {
		return err
	}
	var secs []float64
	var reach, flows []int
	run.Finished = true
	for _, set := range sets {
		runtime.GC()
		resetPeakRSS()
		base := heapBytes()
		w := newWatch(b.cfg.Budget, base+b.cfg.MaxHeap)
		bounds := trace.Bounds{MaxHops: b.cfg.MaxHops, Exits: b.exits(c)}
		cpu0 := cpuSeconds()
		start := time.Now()
		var r *trace.Result
		var fr *trace.FastResult
		switch {
		case fast.acct != nil || fast.utxo != nil:
			o := trace.FastOptions{Stop: w.over.Load}
			if c == chain.Bitcoin {
				fr, err = fast.utxo.FastTrace(m, bounds, set.utxo, o)
			} else {
				fr, err = fast.acct.FastTrace(m, bounds, set.account, o)
			}
			if fr != nil {
				w.edges.Store(fr.Edges)
				run.Scanned += fr.Scanned
			}
			switch {
			case errors.Is(err, trace.ErrStopped):
				err, fr = errBudget, nil
			case trace.IsNotFast(err): // the general tracer over the snapshot gives the answer, or the error
				run.Note = fmt.Sprintf("%v: the general tracer ran", err)
				fr = nil
				if c == chain.Bitcoin {
					r, err = trace.TraceUTXO(&countingUTXO{src: utxo, w: w}, c, m, bounds, set.utxo)
				} else {
					r, err = trace.TraceAccount(&countingAccount{src: acct, w: w}, c, m, bounds, set.account)
				}
			}
		case c == chain.Bitcoin:
			r, err = trace.TraceUTXO(&countingUTXO{src: utxo, w: w}, c, m, bounds, set.utxo)
		default:
			r, err = trace.TraceAccount(&countingAccount{src: acct, w: w}, c, m, bounds, set.account)
		}
		el := time.Since(start).Seconds()
		run.CPUSeconds += cpuSeconds() - cpu0
		peak := w.stop()
		if fr != nil {
			if fr.Flows() <= resolveLimit {
				rs := time.Now()
				runtime.KeepAlive(fr.Result())
				if d := time.Since(rs).Seconds(); run.ResolveSeconds >= 0 {
					run.ResolveSeconds = max(run.ResolveSeconds, d)
				}
			} else {
				run.ResolveSeconds = -1
			}
		}
		run.Runs++
		run.Edges += w.edges.Load()
		run.PeakHeapBytes = max(run.PeakHeapBytes, peak-min(base, peak))
		run.PeakRSSBytes = max(run.PeakRSSBytes, PeakRSS())
		secs = append(secs, el)
		if errors.Is(err, errBudget) {
			run.Finished = false
			run.Note = fmt.Sprintf("stopped after %.0f s and %d edges (budget %s, heap limit %d MiB)", el, w.edges.Load(), b.cfg.Budget, b.cfg.MaxHeap>>20)
			break
		}
		if err != nil {
			return fmt.Errorf("%s %s trace from %d seeds: %w", c, m, run.Seeds, err)
		}
		if fr != nil {
			reach, flows = append(reach, fr.Reached()), append(flows, fr.Flows())
			continue
		}
		n := 0
		for _, k := range r.Reach {
			n += k
		}
		reach, flows = append(reach, n), append(flows, len(r.Flows))
	}
	total := 0.0
	for _, s := range secs {
		total += s
	}
	run.EdgesPerSec = float64(run.Edges) / total
	if run.CPUSeconds > 0 {
		run.EdgesPerCPUSec = float64(run.Edges) / run.CPUSeconds
	}
	run.Seconds = slices.Clone(secs)
	slices.Sort(secs)
	run.P50Seconds, run.MaxSeconds = secs[len(secs)/2], secs[len(secs)-1]
	if len(reach) > 0 {
		slices.Sort(reach)
		slices.Sort(flows)
		run.Reach, run.Flows = reach[len(reach)/2], flows[len(flows)/2]
	}
	return nil
}

// rankServices attributes the busiest address ranks of a synthetic graph
// as exchanges.
type rankServices map[chain.Address]trace.Service

func (r rankServices) Service(a chain.Address) (trace.Service, bool) {
	s, ok := r[a]
	return s, ok
}

// ServiceAddresses implements trace.ServiceLister, as the attribution
// store's services do.
func (r rankServices) ServiceAddresses(c chain.Chain) ([]chain.Address, bool) {
	var out []chain.Address
	for a := range r {
		if a.Chain == c {
			out = append(out, a)
		}
	}
	return out, true
}

// exits is the exit policy of the benchmark's traces on chain c: none, or
// the cfg.Exchanges busiest ranks as exchanges, stopping there.
func (b *tracer) exits(c chain.Chain) *trace.Exits {
	if b.cfg.Exchanges <= 0 {
		return nil
	}
	svcs := rankServices{}
	for i := range b.cfg.Exchanges {
		a := synth.AccountAddress(i)
		if c == chain.Bitcoin {
			a = synth.UTXOAddress(i)
		}
		svcs[a] = trace.Service{Name: fmt.Sprintf("exchange %d", i), Actor: fmt.Sprintf("exchange-%d", i), Category: "exchange", Source: "chainhound bench", CanFreeze: true}
	}
	return &trace.Exits{Services: svcs}
}

// Degrees summarises a graph's degree distribution: how many transfers
// each address takes part in.
type Degrees struct {
	Addresses   int     `json:"addresses"` // with at least one transfer
	Max         int     `json:"max"`
	Median      int     `json:"median"`
	Top1Share   float64 `json:"top1_share"`   // the busiest 1% of addresses' share of all degrees
	Over1000    int     `json:"over_1000"`    // addresses with more than 1,000 transfers
	Over1000000 int     `json:"over_1000000"` // and more than a million
}

func degreeStats(deg []int) *Degrees {
	if len(deg) == 0 {
		return nil
	}
	slices.Sort(deg)
	slices.Reverse(deg)
	d := &Degrees{Addresses: len(deg), Max: deg[0], Median: deg[len(deg)/2]}
	total, top := 0, 0
	for i, k := range deg {
		total += k
		if i < max(1, len(deg)/100) {
			top += k
		}
		if k > 1000 {
			d.Over1000++
		}
		if k > 1_000_000 {
			d.Over1000000++
		}
	}
	d.Top1Share = float64(top) / float64(total)
	return d
}

type seedSet struct {
	account []trace.AccountSeed
	utxo    []trace.UTXOSeed
}

// seedSets returns the seed sets of one row: SingleRuns sets of one seed
// each for n = 1, otherwise one set of n. Seeds are the graph's alerts in
// sample order (transfers or outputs drawn uniformly from the whole chain,
// so hubs come up in proportion to their share of transfers), one per
// address on account chains.
func (b *tracer) seedSets(c chain.Chain, n int) ([]seedSet, error) {
	var all []seedSet
	if c == chain.Bitcoin {
		for _, a := range b.g.Meta.UTXOAlerts {
			all = append(all, seedSet{utxo: []trace.UTXOSeed{{Outpoint: trace.Outpoint{Tx: a.Tx, Vout: a.Vout}}}})
		}
	} else {
		seen := map[chain.Address]bool{}
		for _, a := range b.g.Meta.AccountAlerts {
			if seen[a.Address] {
				continue
			}
			seen[a.Address] = true
			amt := a.Amount
			all = append(all, seedSet{account: []trace.AccountSeed{{Address: a.Address, FromBlock: a.Block + 1, Asset: a.Asset, Amount: &amt}}})
		}
	}
	if n == 1 {
		return all[:min(b.cfg.SingleRuns, len(all))], nil
	}
	if n > len(all) {
		return nil, fmt.Errorf("%d seeds wanted, the %s graph has %d distinct alerts", n, c, len(all))
	}
	var s seedSet
	for _, x := range all[:n] {
		s.account = append(s.account, x.account...)
		s.utxo = append(s.utxo, x.utxo...)
	}
	return []seedSet{s}, nil
}

// watch samples the heap while a trace runs and tells the sources to stop
// it once over budget.
type watch struct {
	deadline time.Time
	maxHeap  uint64
	edges    atomic.Int64
	over     atomic.Bool
	peak     atomic.Uint64
	done     chan struct{}
	wg       sync.WaitGroup
}

func newWatch(budget time.Duration, maxHeap uint64) *watch {
	w := &watch{deadline: time.Now().Add(budget), maxHeap: maxHeap, done: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			h := heapBytes()
			if h > w.peak.Load() {
				w.peak.Store(h)
			}
			if h > w.maxHeap || time.Now().After(w.deadline) {
				w.over.Store(true)
			}
			select {
			case <-w.done:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *watch) stop() uint64 {
	close(w.done)
	w.wg.Wait()
	return max(w.peak.Load(), heapBytes())
}

// loadAvg is the first three fields of /proc/loadavg (empty elsewhere).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// heapBytes is the Go heap in use by objects, read without stopping the
// world.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// resetPeakRSS restarts the kernel's VmHWM count (Linux clear_refs 5), so
// PeakRSS tells each trace's own peak.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// countingAccount counts the transfers a trace reads and stops it over
// budget.
type countingAccount struct {
	src trace.AccountSource
	w   *watch
}

func (c *countingAccount) Transfers(q store.Query) iter.Seq2[store.Row, error] {
	return func(yield func(store.Row, error) bool) {
		for row, err := range c.src.Transfers(q) {
			if c.w.edges.Add(1)&1023 == 0 && c.w.over.Load() {
				yield(store.Row{}, errBudget)
				return
			}
			if !yield(row, err) {
				return
			}
		}
	}
}

// countingUTXO counts the inputs and outputs of the transactions a trace
// computes and stops it over budget.
type countingUTXO struct {
	src trace.UTXOSource
	w   *watch
	n   int
}

func (c *countingUTXO) Spender(ch chain.Chain, txid chain.Hash, vout uint32) (store.Spend, bool, error) {
	return c.src.Spender(ch, txid, vout)
}

func (c *countingUTXO) IO(ch chain.Chain, h uint64, txi uint32) (chain.Tx, bool, error) {
	if c.n++; c.n&255 == 0 && c.w.over.Load() {
		return chain.Tx{}, false, errBudget
	}
	tx, ok, err := c.src.IO(ch, h, txi)
	c.w.edges.Add(int64(len(tx.Inputs) + len(tx.Outputs)))
	return tx, ok, err
}

// String formats the report as a table.
func (r *TraceResult) String() string {
	var sb strings.Builder
	m := r.Graph
	fmt.Fprintf(&sb, "machine     %s, GOMAXPROCS=%d, load average %s\n", r.Machine, r.GOMAXPROCS, r.LoadAvg)
	if m.Config.AccountTransfers > 0 {
		fmt.Fprintf(&sb, "account     %d transfers in %d blocks (Zipf s=%.2f, seed %d)\n", m.AccountTransfers, m.AccountBlocks, m.Config.Exponent, m.Config.Seed)
	}
	if m.Config.UTXOTxs > 0 {
		fmt.Fprintf(&sb, "utxo        %d transactions, %d outputs, %d transfers in %d blocks\n", m.UTXOTxs, m.UTXOOutputs, m.UTXOTransfers, m.UTXOBlocks)
	}
	fmt.Fprintf(&sb, "generated   in %.0f s (once per --data directory)\n", m.GenerateSeconds)
	if d := r.AccountDegrees; d != nil {
		fmt.Fprintf(&sb, "degrees     account: %d addresses, max %d, median %d, top 1%% hold %.0f%% of transfer ends, %d over 1,000, %d over 1,000,000\n",
			d.Addresses, d.Max, d.Median, 100*d.Top1Share, d.Over1000, d.Over1000000)
	}
	for k, name := range []string{"account", "utxo"} {
		if r.SnapshotSeconds[k] > 0 {
			how := "built"
			if k == 0 && r.SnapshotFile != "" {
				how = "read from " + r.SnapshotFile
			}
			fmt.Fprintf(&sb, "snapshot    %s: %s in %.1f s, %.0f MiB\n", name, how, r.SnapshotSeconds[k], float64(r.SnapshotBytes[k])/(1<<20))
		}
	}
	if r.Exchanges > 0 {
		fmt.Fprintf(&sb, "exits       the %d busiest addresses are exchanges: taint stops there\n", r.Exchanges)
	}
	fmt.Fprintf(&sb, "\n%-8s %-6s %-7s %6s %4s %9s %9s %12s %12s %12s %12s %9s %9s %9s %9s  %s\n",
		"chain", "source", "model", "seeds", "runs", "p50 s", "max s", "edges", "edges/s", "edges/cpu-s", "scanned", "resolve s", "reach", "heap MiB", "RSS MiB", "note")
	for _, x := range r.Runs {
		if x.Runs == 0 {
			fmt.Fprintf(&sb, "%-8s %-6s %-7s %6d %4s %9s %9s %12s %12s %12s %12s %9s %9s %9s %9s  %s\n", x.Chain, x.Source, x.Model, x.Seeds, "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", x.Note)
			continue
		}
		scanned, resolve := "-", "-"
		if x.Scanned > 0 {
			scanned = fmt.Sprint(x.Scanned)
		}
		switch {
		case x.ResolveSeconds > 0:
			resolve = fmt.Sprintf("%.3f", x.ResolveSeconds)
		case x.ResolveSeconds < 0:
			resolve = "skipped"
		}
		fmt.Fprintf(&sb, "%-8s %-6s %-7s %6d %4d %9.3f %9.3f %12d %12.0f %12.0f %12s %9s %9d %9.0f %9.0f  %s\n",
			x.Chain, x.Source, x.Model, x.Seeds, x.Runs, x.P50Seconds, x.MaxSeconds, x.Edges, x.EdgesPerSec, x.EdgesPerCPUSec, scanned, resolve, x.Reach,
			float64(x.PeakHeapBytes)/(1<<20), float64(x.PeakRSSBytes)/(1<<20), x.Note)
	}
	return sb.String()
}
