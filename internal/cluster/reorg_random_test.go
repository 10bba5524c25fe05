package cluster_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/cluster/clustersim"
	"github.com/chainhound/chainhound/internal/store"
)

// TestRandomReorgsEqualRebuild drives a clustering with change detection
// and the fingerprint's deferred decisions through random sequences of
// the operations a deployment sees: blocks ingested a few at a time,
// updates, reopens at any block, snapshots, and reorgs of random depth
// (within the fingerprint window and beyond it, below the snapshot too)
// to another branch of the simulated chain (the same wallets spending the
// same coins otherwise), sometimes several before an update. After every
// update the clustering must equal a rebuild from the store: counts,
// addresses marked post-mix, waiting transactions and their evidence,
// cannot-link pairs, entities.
// Windows short enough that reorgs reach beyond them and waits end at
// the window (some decided there, when batches of three or more outputs
// are scored), and as long as the default; batches scored and not.
func TestRandomReorgsEqualRebuild(t *testing.T) {
	trials := []struct {
		seed       uint64
		window     int
		maxOutputs int
		maxReorg   uint64 // 0: the default (10,000: never reached here)
	}{{1, 4, 0, 0}, {2, 9, 0, 0}, {3, 144, 2, 0}, {4, 6, 2, 4}, {5, 5, 0, 2}}
	if testing.Short() {
		trials = trials[:1]
	}
	for _, tr := range trials {
		t.Run(fmt.Sprintf("seed %d window %d max_outputs %d max reorg %d", tr.seed, tr.window, tr.maxOutputs, tr.maxReorg), func(t *testing.T) {
			if tr.maxReorg > 0 {
				defer cluster.SetMaxReorgDepth(tr.maxReorg)()
			}
			randomReorgs(t, tr.seed, tr.window, tr.maxOutputs, tr.maxReorg)
		})
	}
}

// With maxReorg set, the waiting state's records are pruned below the
// last window+maxReorg blocks, and an update that would unwind deeper is
// refused, naming the rebuild, and leaves the clustering as it was; the
// sequence then rebuilds it, as an operator would.
func randomReorgs(t *testing.T, seed uint64, window, maxOutputs int, maxReorg uint64) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 77))
	cfg := clustersim.DefaultConfig
	cfg.Seed, cfg.Wallets, cfg.Blocks, cfg.TxsPerBlk, cfg.CoinJoin, cfg.Batch = seed, 200, 70, 20, 0.5, 0.3
	opts := cluster.Options{Change: cluster.DefaultConfig().Change}
	opts.Change.FingerprintBlocks, opts.Change.MaxOutputs = window, maxOutputs
	x := clustersim.Run(cfg)
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	path := filepath.Join(dir, "inc")
	inc, err := cluster.Open(path, chain.Bitcoin, opts, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { inc.Close() }()
	n := 0 // blocks of x in the store
	var stats struct {
		updates, reopens, snapshots, reorgs, deep, belowSnap, pendingAtCheck, lateDecided, undone, refused, pruned int
	}
	forkLow := math.MaxInt // the lowest fork (block index) since the last update
	snapAt := -1           // block index the snapshot in force was taken at
	check := func(what string) {
		t.Helper()
		full, err := cluster.Create(filepath.Join(t.TempDir(), "full"), chain.Bitcoin, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer full.Close()
		if err := full.Build(ctx, st, nil); err != nil {
			t.Fatal(err)
		}
		a, b := inc.Clusterer(), full.Clusterer()
		if a.Counts != b.Counts {
			t.Fatalf("%s: counts\n%+v\nrebuilt\n%+v", what, a.Counts, b.Counts)
		}
		if ma, mb := inc.MixedCount(), full.MixedCount(); ma != mb {
			t.Fatalf("%s: %d addresses marked post-mix, rebuilt %d", what, ma, mb)
		}
		if pa, pb := inc.PendingDump(), full.PendingDump(); pa != pb {
			t.Fatalf("%s: waiting\n%s\nrebuilt waiting\n%s", what, pa, pb)
		}
		ca, err := inc.CannotLinks()
		if err != nil {
			t.Fatal(err)
		}
		cb, _ := full.CannotLinks()
		if fmt.Sprint(ca) != fmt.Sprint(cb) {
			t.Fatalf("%s: cannot-link pairs %v, rebuilt %v", what, ca, cb)
		}
		for _, p := range ca {
			if !a.CannotLinked(p.A, p.B) {
				t.Fatalf("%s: cannot-link pair %v not in force", what, p)
			}
		}
		for i := uint64(1); i < uint64(max(a.Forest.Len(), b.Forest.Len())); i++ {
			if ea, eb := a.EntityOf(i), b.EntityOf(i); ea != eb {
				t.Fatalf("%s: id %d: entity %d, rebuilt %d", what, i, ea, eb)
			}
		}
		if h, _, _ := inc.Cursor(); h != x.Blocks[n-1].Height {
			t.Fatalf("%s: cursor %d, store at %d", what, h, x.Blocks[n-1].Height)
		}
		if a.Pending() > 0 {
			stats.pendingAtCheck++
		}
		if maxReorg > 0 {
			pruned, lowest, ok, err := inc.WaitRecords()
			top := x.Blocks[n-1].Height
			// pruned as of the highest tip since the last rebuild, and
			// never into the records the waiting state now needs
			if err != nil || pruned < top-uint64(window)-maxReorg || pruned > top-uint64(window) || ok && lowest < pruned {
				t.Fatalf("%s: waiting state pruned below %d (want %d to %d), lowest record at %d (%v), %v",
					what, pruned, top-uint64(window)-maxReorg, top-uint64(window), lowest, ok, err)
			}
			if ok && lowest > x.Blocks[1].Height {
				stats.pruned++
			}
		}
	}
	update := func(what string) {
		t.Helper()
		before := inc.Clusterer().Counts
		cur, _, _ := inc.Cursor()
		deep := false
		if forkLow < math.MaxInt && maxReorg > 0 {
			back := x.Blocks[forkLow-1].Height // the last block the branches share
			deep = cur > back && cur-back > maxReorg
		}
		err := inc.Update(ctx, st, nil)
		if deep != (err != nil) {
			t.Fatalf("%s: reorg deeper than %d: %v; update: %v", what, maxReorg, deep, err)
		}
		forkLow = math.MaxInt
		if err != nil {
			if !strings.Contains(err.Error(), "chainhound cluster build") {
				t.Fatalf("%s: the refusal does not name the rebuild: %v", what, err)
			}
			if h, _, _ := inc.Cursor(); h != cur || inc.Clusterer().Counts != before {
				t.Fatalf("%s: the refused update moved the cursor from %d to %d", what, cur, h)
			}
			inc.Close()
			if inc, err = cluster.Open(path, chain.Bitcoin, opts, false); err != nil {
				t.Fatalf("%s: reopened after the refusal: %v", what, err)
			}
			if h, _, _ := inc.Cursor(); h != cur {
				t.Fatalf("%s: reopened after the refusal at %d, not %d", what, h, cur)
			}
			inc.Close()
			if inc, err = cluster.Create(path, chain.Bitcoin, opts); err != nil {
				t.Fatal(err)
			}
			if err := inc.Build(ctx, st, nil); err != nil {
				t.Fatal(err)
			}
			stats.refused++
			snapAt = -1
			check(what + ", rebuilt after the refusal")
			return
		}
		if inc.Clusterer().Counts.DeferLate > before.DeferLate {
			stats.lateDecided++
		}
		stats.updates++
		check(what)
	}
	forkSeed := uint64(1000 * seed)
	ingested := 0
	for step := 0; n < len(x.Blocks) || step < 10; step++ {
		switch op := r.IntN(10); {
		case op < 5 && n < len(x.Blocks): // ingest a few blocks, maybe update
			k := min(len(x.Blocks)-n, 1+r.IntN(6))
			for _, b := range x.Blocks[n : n+k] {
				ingest(t, st, b)
			}
			n += k
			ingested += k
			if r.IntN(3) > 0 {
				update(fmt.Sprintf("step %d: %d blocks ingested", step, k))
			}
		case op == 5 && n > 0:
			before := inc.PendingDump()
			inc.Close()
			if inc, err = cluster.Open(path, chain.Bitcoin, opts, false); err != nil {
				t.Fatal(err)
			}
			if after := inc.PendingDump(); after != before {
				t.Fatalf("step %d: reopened, the waiting transactions are\n%s\nnot\n%s", step, after, before)
			}
			stats.reopens++
		case op == 6 && n > 0:
			if err := inc.Snapshot(); err != nil {
				t.Fatal(err)
			}
			if h, _, ok := inc.Cursor(); ok {
				for i, b := range x.Blocks {
					if b.Height == h {
						snapAt = i
					}
				}
			}
			stats.snapshots++
		case op >= 7 && n > 2: // reorg to another branch
			// depth: up to twice the window and a few blocks, never the
			// funding block
			d := 1 + r.IntN(min(n-1, 2*window+3))
			keep := n - d
			if err := st.Rollback(chain.Bitcoin, x.Blocks[keep-1].Height); err != nil {
				t.Fatal(err)
			}
			var forks []clustersim.Fork
			for _, f := range cfg.Forks {
				if f.At < keep {
					forks = append(forks, f)
				}
			}
			forkSeed++
			cfg.Forks = append(forks, clustersim.Fork{At: keep, Seed: forkSeed})
			y := clustersim.Run(cfg)
			for i := range keep {
				if y.Blocks[i].Hash != x.Blocks[i].Hash {
					t.Fatalf("the new branch differs at block %d, below its fork at %d", i, keep)
				}
			}
			x, n = y, keep
			forkLow = min(forkLow, keep)
			stats.reorgs++
			if d > window {
				stats.deep++
			}
			if snapAt >= keep {
				stats.belowSnap++
				snapAt = -1
			}
			// the new branch's first blocks, maybe an update (which
			// unwinds), maybe another reorg first
			k := min(len(x.Blocks)-n, r.IntN(d+2))
			for _, b := range x.Blocks[n : n+k] {
				ingest(t, st, b)
			}
			n += k
			if r.IntN(2) == 0 {
				before := inc.Clusterer().Counts
				update(fmt.Sprintf("step %d: reorg of %d blocks, %d of the new branch", step, d, k))
				if inc.Clusterer().Counts.Txs < before.Txs {
					stats.undone++
				}
			}
		}
	}
	update("at the end")
	k := inc.Clusterer().Counts
	t.Logf("%d blocks ingested, %d updates, %d reopens, %d snapshots, %d reorgs (%d deeper than the window, %d below the snapshot, %d refused as deeper than %d), pending at %d checks, decided at a window's end in %d updates, records pruned at %d checks; counts %+v",
		ingested, stats.updates, stats.reopens, stats.snapshots, stats.reorgs, stats.deep, stats.belowSnap, stats.refused, maxReorg, stats.pendingAtCheck, stats.lateDecided, stats.pruned, k)
	if maxReorg > 0 && (stats.refused == 0 || stats.pruned == 0) {
		t.Fatalf("no update refused or no record pruned: %+v", stats)
	}
	if inc.MixedCount() == 0 || stats.reorgs < 3 || stats.reopens < 2 || stats.pendingAtCheck < 3 || k.DeferResolved == 0 || k.ChangeMerges == 0 || k.CannotLinks == 0 ||
		window < 20 && stats.deep == 0 || maxOutputs == 0 && stats.lateDecided == 0 {
		t.Fatalf("the sequence exercised too little: %+v", stats)
	}
}

// TestWaitRecordsPruned: a clustering whose waiting-state records were
// kept for every block (as databases written before pruning are) prunes
// them below the last window+max-reorg blocks at its next block; it
// follows a reorg of max-reorg blocks (equal to a rebuild), refuses one
// block deeper with an error naming the rebuild (nothing changed, and it
// still opens), and follows a switch to a store that shares no block
// with it (every record goes).
func TestWaitRecordsPruned(t *testing.T) {
	ctx := context.Background()
	cfg := clustersim.DefaultConfig
	cfg.Wallets, cfg.Blocks, cfg.TxsPerBlk, cfg.CoinJoin = 150, 40, 20, 0.5
	opts := cluster.Options{Change: cluster.DefaultConfig().Change}
	const window, maxReorg = 5, 6
	opts.Change.FingerprintBlocks = window
	x := clustersim.Run(cfg)
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	path := filepath.Join(dir, "inc")
	d, err := cluster.Open(path, chain.Bitcoin, opts, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { d.Close() }()
	for _, b := range x.Blocks[:30] {
		ingest(t, st, b)
	}
	restore := cluster.SetMaxReorgDepth(1_000_000) // nothing pruned: every block keeps its records
	if err := d.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	restore()
	if _, lowest, ok, err := d.WaitRecords(); err != nil || !ok || lowest > x.Blocks[2].Height {
		t.Fatalf("records kept from block %d (%v, %v)", lowest, ok, err)
	}
	defer cluster.SetMaxReorgDepth(maxReorg)()
	for _, b := range x.Blocks[30:] {
		ingest(t, st, b)
	}
	if err := d.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	top := x.Blocks[len(x.Blocks)-1].Height
	if pruned, lowest, ok, err := d.WaitRecords(); err != nil || !ok || pruned != top-window-maxReorg || lowest < pruned {
		t.Fatalf("pruned below %d (want %d), lowest record at %d (%v, %v)", pruned, top-window-maxReorg, lowest, ok, err)
	}
	rebuilt := func(what string) {
		t.Helper()
		full, err := cluster.Create(filepath.Join(t.TempDir(), "full"), chain.Bitcoin, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer full.Close()
		if err := full.Build(ctx, st, nil); err != nil {
			t.Fatal(err)
		}
		if d.Clusterer().Counts != full.Clusterer().Counts || d.PendingDump() != full.PendingDump() {
			t.Fatalf("%s: counts %+v, waiting\n%s\nrebuilt %+v, waiting\n%s", what, d.Clusterer().Counts, d.PendingDump(), full.Clusterer().Counts, full.PendingDump())
		}
	}
	// A reorg of maxReorg blocks to another branch: followed.
	keep := len(x.Blocks) - maxReorg
	if err := st.Rollback(chain.Bitcoin, x.Blocks[keep-1].Height); err != nil {
		t.Fatal(err)
	}
	cfg.Forks = []clustersim.Fork{{At: keep, Seed: 9}}
	y := clustersim.Run(cfg)
	for _, b := range y.Blocks[keep:] {
		ingest(t, st, b)
	}
	if err := d.Update(ctx, st, nil); err != nil {
		t.Fatalf("reorg of %d blocks: %v", maxReorg, err)
	}
	rebuilt("after a reorg of the deepest depth followed")
	if d.Clusterer().Pending() == 0 {
		t.Fatal("nothing waiting: the reorg tested nothing")
	}
	// One block deeper: refused.
	before := d.Clusterer().Counts
	keep--
	if err := st.Rollback(chain.Bitcoin, y.Blocks[keep-1].Height); err != nil {
		t.Fatal(err)
	}
	cfg.Forks = []clustersim.Fork{{At: keep, Seed: 10}}
	z := clustersim.Run(cfg)
	for _, b := range z.Blocks[keep:] {
		ingest(t, st, b)
	}
	err = d.Update(ctx, st, nil)
	if err == nil || !strings.Contains(err.Error(), "chainhound cluster build") || !strings.Contains(err.Error(), fmt.Sprintf("a reorg of %d blocks", maxReorg+1)) {
		t.Fatalf("reorg of %d blocks: %v", maxReorg+1, err)
	}
	if h, _, _ := d.Cursor(); h != top || d.Clusterer().Counts != before {
		t.Fatalf("the refused update moved the cursor to %d", h)
	}
	d.Close()
	if d, err = cluster.Open(path, chain.Bitcoin, opts, false); err != nil {
		t.Fatal(err)
	}
	if err := d.Update(ctx, st, nil); err == nil {
		t.Fatal("reopened, the deep reorg was followed")
	}
	// A store that shares no block with the clustering: every record
	// goes, nothing pruned is needed.
	other, err := store.Open(filepath.Join(dir, "other"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	cfg.Forks = []clustersim.Fork{{At: 0, Seed: 11}}
	w := clustersim.Run(cfg)
	for _, b := range w.Blocks[:12] {
		ingest(t, other, b)
	}
	if err := d.Update(ctx, other, nil); err != nil {
		t.Fatalf("switched to another store: %v", err)
	}
	if pruned, _, _, _ := d.WaitRecords(); pruned != w.Blocks[11].Height-window-maxReorg {
		t.Fatalf("after the switch, pruned below %d", pruned)
	}
	st = other
	rebuilt("after switching stores")
}
