package cluster_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
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
	}{{1, 4, 0}, {2, 9, 0}, {3, 144, 2}, {4, 6, 2}}
	if testing.Short() {
		trials = trials[:1]
	}
	for _, tr := range trials {
		t.Run(fmt.Sprintf("seed %d window %d max_outputs %d", tr.seed, tr.window, tr.maxOutputs), func(t *testing.T) {
			randomReorgs(t, tr.seed, tr.window, tr.maxOutputs)
		})
	}
}

func randomReorgs(t *testing.T, seed uint64, window, maxOutputs int) {
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
	var stats struct{ updates, reopens, snapshots, reorgs, deep, belowSnap, pendingAtCheck, lateDecided, undone int }
	snapAt := -1 // block index the snapshot in force was taken at
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
	}
	update := func(what string) {
		t.Helper()
		before := inc.Clusterer().Counts
		if err := inc.Update(ctx, st, nil); err != nil {
			t.Fatalf("%s: %v", what, err)
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
	t.Logf("%d blocks ingested, %d updates, %d reopens, %d snapshots, %d reorgs (%d deeper than the window, %d below the snapshot), pending at %d checks, decided at a window's end in %d updates; counts %+v",
		ingested, stats.updates, stats.reopens, stats.snapshots, stats.reorgs, stats.deep, stats.belowSnap, stats.pendingAtCheck, stats.lateDecided, k)
	if inc.MixedCount() == 0 || stats.reorgs < 3 || stats.reopens < 2 || stats.pendingAtCheck < 3 || k.DeferResolved == 0 || k.ChangeMerges == 0 || k.CannotLinks == 0 ||
		window < 20 && stats.deep == 0 || maxOutputs == 0 && stats.lateDecided == 0 {
		t.Fatalf("the sequence exercised too little: %+v", stats)
	}
}
