package cluster_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/cluster/clustersim"
	"github.com/chainhound/chainhound/internal/store"
)

func ingest(t *testing.T, st *store.DB, b *chain.Block) {
	t.Helper()
	c := *b
	c.Txs = append([]chain.Tx(nil), b.Txs...)
	for i := range c.Txs {
		c.Txs[i].Inputs = append([]chain.Input(nil), b.Txs[i].Inputs...)
		for j := range c.Txs[i].Inputs {
			in := &c.Txs[i].Inputs[j]
			*in = chain.Input{PrevTx: in.PrevTx, PrevIndex: in.PrevIndex} // the store resolves them
		}
	}
	if err := st.ResolveInputs(&c); err != nil {
		t.Fatalf("block %d: %v", c.Height, err)
	}
	if err := chain.UTXOTransfers(&c); err != nil {
		t.Fatal(err)
	}
	if err := st.ApplyBlock(&c); err != nil {
		t.Fatalf("block %d: %v", c.Height, err)
	}
}

// TestChangeIncrementalEqualsRebuild: with change detection on, a
// clustering updated every few blocks and reopened now and then (so that
// transactions waiting for their spenders' fingerprints are reloaded
// mid-wait), through a reorg and a reopen from its snapshot, names every
// entity as a rebuild does, keeps the same counts, cannot-link pairs and
// waiting transactions, and is the partition the simulation's in-memory
// clustering finds (so the store's first-sight freshness and fingerprints
// match). Run with the default fingerprint window (longer than the
// simulation: nothing expires) and with a short one and batch payments
// scored (most waits end at the window, some decided there with the
// spenders of some of their outputs).
func TestChangeIncrementalEqualsRebuild(t *testing.T) {
	for _, window := range []int{cluster.DefaultConfig().Change.FingerprintBlocks, 6} {
		t.Run(fmt.Sprintf("window %d", window), func(t *testing.T) { changeIncremental(t, window) })
	}
}

func changeIncremental(t *testing.T, window int) {
	ctx := context.Background()
	cfg := clustersim.DefaultConfig
	cfg.Wallets, cfg.Blocks, cfg.TxsPerBlk, cfg.CoinJoin = 300, 60, 25, 0.5
	opts := cluster.Options{Change: cluster.DefaultConfig().Change}
	late := window < cfg.Blocks
	if late {
		opts.Change.FingerprintBlocks, opts.Change.MaxOutputs, cfg.Batch = window, 0, 0.3
	}
	x := clustersim.Run(cfg)
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inc, err := cluster.Open(filepath.Join(dir, "inc"), chain.Bitcoin, opts, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { inc.Close() }()
	reopen := func() {
		t.Helper()
		inc.Close()
		if inc, err = cluster.Open(filepath.Join(dir, "inc"), chain.Bitcoin, opts, false); err != nil {
			t.Fatal(err)
		}
	}
	waited := 0 // updates after which transactions were waiting
	for i, b := range x.Blocks {
		ingest(t, st, b)
		if i%7 == 6 {
			if err := inc.Update(ctx, st, nil); err != nil {
				t.Fatal(err)
			}
			if inc.Clusterer().Pending() > 0 {
				waited++
			}
		}
		if i%14 == 13 {
			before := inc.PendingDump()
			reopen()
			if after := inc.PendingDump(); after != before {
				t.Fatalf("block %d: reopened, the waiting transactions are\n%s\nnot\n%s", b.Height, after, before)
			}
		}
		if i == 30 {
			if err := inc.Snapshot(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := inc.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	k := inc.Clusterer().Counts
	t.Logf("window %d: %d deferred, %d decided by their spenders' fingerprints (%d at the window's end), %d change found so; %d change found in all, %d merged; %d waiting at the end",
		window, k.Deferred, k.DeferResolved, k.DeferLate, k.DeferChange, k.ChangeFound, k.ChangeMerges, inc.Clusterer().Pending())
	if k.ChangeMerges == 0 || k.CannotLinks == 0 || k.Skipped == 0 || k.DeferChange == 0 || k.DeferResolved >= k.Deferred || waited < 3 || late != (k.DeferLate > 0) {
		t.Fatalf("the simulation exercised too little: %+v, waiting after %d updates", k, waited)
	}
	same := func(what string, d *cluster.DB) {
		t.Helper()
		full, err := cluster.Create(filepath.Join(t.TempDir(), "full"), chain.Bitcoin, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer full.Close()
		if err := full.Build(ctx, st, nil); err != nil {
			t.Fatal(err)
		}
		if d.Clusterer().Counts != full.Clusterer().Counts {
			t.Fatalf("%s: counts %+v, rebuilt %+v", what, d.Clusterer().Counts, full.Clusterer().Counts)
		}
		if a, b := d.MixedCount(), full.MixedCount(); a != b || a == 0 {
			t.Fatalf("%s: %d addresses marked post-mix, rebuilt %d", what, a, b)
		}
		if a, b := d.PendingDump(), full.PendingDump(); a != b {
			t.Fatalf("%s: waiting\n%s\nrebuilt waiting\n%s", what, a, b)
		}
		pd, err := d.CannotLinks()
		if err != nil {
			t.Fatal(err)
		}
		pf, _ := full.CannotLinks()
		if len(pd) != len(pf) || uint64(len(pd)) != d.Clusterer().Counts.CannotLinks {
			t.Fatalf("%s: %d cannot-link pairs, rebuilt %d, counted %d", what, len(pd), len(pf), d.Clusterer().Counts.CannotLinks)
		}
		for i, p := range pd {
			if p != pf[i] || !d.Clusterer().CannotLinked(p.A, p.B) {
				t.Fatalf("%s: cannot-link pair %d %v (rebuilt %v) not in force", what, i, p, pf[i])
			}
		}
		n := max(d.Clusterer().Forest.Len(), full.Clusterer().Forest.Len())
		for i := uint64(1); i < uint64(n); i++ {
			if a, b := d.Clusterer().EntityOf(i), full.Clusterer().EntityOf(i); a != b {
				t.Fatalf("%s: id %d: entity %d, rebuilt %d", what, i, a, b)
			}
		}
	}
	same("incremental", inc)

	// The store's clustering is the simulation's own partition.
	want, mem := clustersim.Cluster(x, opts)
	if mem.Counts != k {
		t.Fatalf("in memory: counts %+v, the store's %+v", mem.Counts, k)
	}
	byWant := map[uint64]uint64{}
	for a, e := range want {
		id, ok, err := st.AddressID(chain.Address{Chain: chain.Bitcoin, Raw: a})
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", a, ok, err)
		}
		got := inc.Clusterer().EntityOf(id)
		if prev, ok := byWant[e]; ok && prev != got {
			t.Fatalf("%s: entity %d, but the in-memory clustering puts it with entity %d", a, got, prev)
		}
		byWant[e] = got
	}
	if len(byWant) != countDistinct(inc, st, want) {
		t.Fatal("the store's clustering merges what the in-memory one keeps apart")
	}

	// Reorg: drop the last 8 blocks (transactions deferred there go, and
	// earlier ones whose outputs they spent wait again), update, then
	// take them back.
	top := x.Blocks[len(x.Blocks)-1].Height
	if err := st.Rollback(chain.Bitcoin, top-8); err != nil {
		t.Fatal(err)
	}
	if err := inc.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	same("after a rollback", inc)
	if inc.Clusterer().Counts == k {
		t.Fatal("the rollback changed no count")
	}
	for _, b := range x.Blocks[len(x.Blocks)-8:] {
		ingest(t, st, b)
	}
	if err := inc.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	same("after the blocks came back", inc)
	if inc.Clusterer().Counts != k {
		t.Fatalf("counts %+v after the reorg round trip, %+v before", inc.Clusterer().Counts, k)
	}
	reopen()
	same("reopened", inc)
	// Another change policy is refused on the database.
	other := opts
	other.Change.Threshold++
	if d, err := cluster.Open(filepath.Join(dir, "inc2"), chain.Bitcoin, opts, false); err == nil {
		d.Close()
		if d, err := cluster.Open(filepath.Join(dir, "inc2"), chain.Bitcoin, other, false); err == nil {
			d.Close()
			t.Fatal("a database built with one change threshold opened with another")
		}
	}
}

func countDistinct(d *cluster.DB, st *store.DB, addrs map[string]uint64) int {
	seen := map[uint64]bool{}
	for a := range addrs {
		id, _, _ := st.AddressID(chain.Address{Chain: chain.Bitcoin, Raw: a})
		seen[d.Clusterer().EntityOf(id)] = true
	}
	return len(seen)
}
