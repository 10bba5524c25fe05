package risk

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/synth"
	"github.com/cockroachdb/pebble/v2"
)

// TestEntityCost measures what entity exposure costs on a synthetic
// Bitcoin-like chain (internal/synth's power-law UTXO graph) in a real
// store, clustered by co-spend and change as `cluster build` does: the
// rebuild with and without entity figures, the disk they take, one
// block's update with and without them, and a screen's latency. It runs
// only with CHAINHOUND_ENTITY_COST set to a scratch directory
// (CHAINHOUND_ENTITY_COST_TXS: transactions, default 1,000,000), and
// prints its figures; docs/screen.md reports a run.
func TestEntityCost(t *testing.T) {
	dir := os.Getenv("CHAINHOUND_ENTITY_COST")
	if dir == "" {
		t.Skip("set CHAINHOUND_ENTITY_COST to a scratch directory to measure")
	}
	txs := 1_000_000
	if v := os.Getenv("CHAINHOUND_ENTITY_COST_TXS"); v != "" {
		var err error
		if txs, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	logf := func(format string, args ...any) { fmt.Printf(format+"\n", args...) }
	st, err := store.Open(filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const caip2 = "bip122:00000000000000000000000000000abc"
	if err := st.Bind(chain.Bitcoin, chain.Network{CAIP2: caip2, Genesis: "synthetic"}); err != nil {
		t.Fatal(err)
	}
	// the chain: all but the last blocks now, those streamed later
	const streamed = 12
	g := synth.NewUTXOGraph(synth.GraphConfig{Transfers: txs, Seed: 1}, 0)
	var blocks []chain.Block
	start := time.Now()
	rows, nblocks := 0, 0
	for b := g.Next(); b != nil; b = g.Next() {
		if len(blocks) == streamed {
			if err := st.ApplyBlock(&blocks[0]); err != nil {
				t.Fatal(err)
			}
			rows += len(blocks[0].Transfers)
			nblocks++
			blocks = blocks[1:]
		}
		blocks = append(blocks, cloneBlock(b))
	}
	cur, _, _ := st.Cursor(chain.Bitcoin)
	logf("chain: %d transactions, %d blocks (%d transfers) stored in %s, %d more to stream; %d address ids",
		txs, nblocks, rows, time.Since(start).Round(time.Second), len(blocks), st.AddressCount())
	start = time.Now()
	cl, err := cluster.Create(filepath.Join(dir, "cluster"), chain.Bitcoin, cluster.Options{Change: cluster.DefaultConfig().Change})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Build(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	sum := cl.Clusterer().Summarize()
	logf("clustering: %d merges in %s; %d entities of 2+ holding %d addresses, the largest %d", cl.Clusterer().Counts.Merges,
		time.Since(start).Round(time.Second), sum.Entities, sum.Clustered, sum.Largest)
	// seeds: 40 stolen-funds and 10 sanctioned addresses of middling rank
	ist, err := intel.Open(filepath.Join(dir, "intel"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer ist.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	imp := intel.Import{Source: "cost", Kind: "test", File: "cost"}
	for i := range 50 {
		cat := "service_hack"
		if i%5 == 0 {
			cat = "sanction"
		}
		a := synth.UTXOAddress(1000 + rng.IntN(100_000))
		imp.Tags = append(imp.Tags, intel.Tag{Subject: intel.Subject(caip2 + ":" + a.Raw), Label: cat, Category: cat, Source: "test"})
	}
	if _, err := ist.Apply(imp); err != nil {
		t.Fatal(err)
	}
	ix, err := intel.Load(ist)
	if err != nil {
		t.Fatal(err)
	}
	in := Inputs{Store: st, Intel: ist, Index: ix, Policy: DefaultPolicy()}
	open := func(name string) *DB {
		db, err := Open(filepath.Join(dir, name), false)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	plain, ents := open("risk-plain"), open("risk-entities")
	rebuild := func(db *DB, in Inputs) *ChainUpdate {
		start := time.Now()
		rep, err := db.Rebuild(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		cu := rep.Chains[0]
		logf("  rebuild in %s: %d flows, %d exposed addresses", time.Since(start).Round(time.Millisecond), cu.Flows, cu.Exposed)
		return &cu
	}
	logf("rebuild without entity figures (block %d):", cur.Height)
	rebuild(plain, in)
	withCl := in
	withCl.Clusters = map[chain.Chain]*cluster.DB{chain.Bitcoin: cl}
	logf("rebuild with entity figures:")
	cu := rebuild(ents, withCl)
	logf("  of which entities: %d computed in %d ms", cu.Entities.Recomputed, cu.Entities.DurationMS)
	logf("tables on disk (compacted): without %s, with %s", mib(tableBytes(t, plain)), mib(tableBytes(t, ents)))
	logf("keys with entity figures (family: keys, bytes of keys and values): %v", familyCounts(t, ents))

	// one block at a time, as risk update after each ingest and cluster update
	var tPlain, tEnts, tFollow []time.Duration
	merges := 0
	for i := range blocks {
		if err := st.ApplyBlock(&blocks[i]); err != nil {
			t.Fatal(err)
		}
		if err := cl.Update(ctx, st, nil); err != nil {
			t.Fatal(err)
		}
		s := time.Now()
		if _, err := plain.Update(ctx, in); err != nil {
			t.Fatal(err)
		}
		tPlain = append(tPlain, time.Since(s))
		s = time.Now()
		rep, err := ents.Update(ctx, withCl)
		if err != nil {
			t.Fatal(err)
		}
		tEnts = append(tEnts, time.Since(s))
		e := rep.Chains[0].Entities
		tFollow = append(tFollow, time.Duration(e.DurationMS)*time.Millisecond)
		merges += e.Merges
	}
	logf("one block (%d transactions), median of %d: update without entity figures %s, with %s (following the clustering: %s; %d merges per block)",
		len(blocks[0].Txs), len(blocks), median(tPlain), median(tEnts), median(tFollow), merges/len(blocks))
	logf("tables on disk after them (compacted): without %s, with %s", mib(tableBytes(t, plain)), mib(tableBytes(t, ents)))
	logf("keys with entity figures after them: %v", familyCounts(t, ents))
	if os.Getenv("CHAINHOUND_ENTITY_COST_METRICS") != "" {
		logf("%s", ents.db.Metrics())
	}

	// screens of addresses in entities, with and without their figures
	sp, err := NewScreener(plain, st, ix, ist, in.Policy)
	if err != nil {
		t.Fatal(err)
	}
	se, err := NewScreener(ents, st, ix, ist, in.Policy)
	if err != nil {
		t.Fatal(err)
	}
	var sample []string
	for i := 0; len(sample) < 20_000; i++ {
		sample = append(sample, caip2+":"+synth.UTXOAddress(rng.IntN(txs)).Raw)
	}
	inEntity := 0
	for _, run := range []struct {
		name string
		s    *Screener
	}{{"without", sp}, {"with", se}, {"without", sp}, {"with", se}} {
		var lat, ent []time.Duration
		inEntity = 0
		for _, a := range sample {
			s := time.Now()
			r, err := run.s.Screen(a, "", Options{})
			if err != nil {
				t.Fatal(err)
			}
			lat = append(lat, time.Since(s))
			if r.Entity != nil {
				inEntity++
				ent = append(ent, lat[len(lat)-1])
			}
		}
		slices.Sort(lat)
		slices.Sort(ent)
		logf("screen %s entity figures: p50 %s, p99 %s (%d of %d addresses in an entity)", run.name, lat[len(lat)/2], lat[len(lat)*99/100], inEntity, len(sample))
		if len(ent) > 0 {
			logf("  of which in an entity: p50 %s, p99 %s", ent[len(ent)/2], ent[len(ent)*99/100])
		}
	}
	// and the figures kept block by block equal a rebuild's
	check := open("risk-check")
	rebuild(check, withCl)
	if a, b := dumpEntities(t, ents, caip2, catNames(in.Policy)), dumpEntities(t, check, caip2, catNames(in.Policy)); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("entity figures kept block by block differ from a rebuild's (%d and %d entities)", len(a), len(b))
	}
	logf("entity figures kept over %d blocks equal a rebuild's", len(blocks))
}

func cloneBlock(b *chain.Block) chain.Block {
	c := *b
	c.Txs = make([]chain.Tx, len(b.Txs))
	for i, tx := range b.Txs {
		tx.Inputs = slices.Clone(tx.Inputs)
		tx.Outputs = slices.Clone(tx.Outputs)
		c.Txs[i] = tx
	}
	c.Transfers = slices.Clone(b.Transfers)
	return c
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// familyCounts counts the keys of each family and their bytes.
func familyCounts(t *testing.T, d *DB) map[string]string {
	it, err := d.db.NewIter(&pebble.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n, b := map[string]int{}, map[string]int{}
	for it.First(); it.Valid(); it.Next() {
		f := string(it.Key()[:1])
		n[f]++
		b[f] += len(it.Key()) + len(it.Value())
	}
	out := map[string]string{}
	for f := range n {
		out[f] = fmt.Sprintf("%d/%s", n[f], mib(int64(b[f])))
	}
	return out
}

// tableBytes flushes and compacts d and returns the size of its live
// tables.
func tableBytes(t *testing.T, d *DB) int64 {
	if err := d.db.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.db.Compact(context.Background(), []byte{0}, []byte{0xff}, true); err != nil {
		t.Fatal(err)
	}
	return int64(d.db.Metrics().Table.Local.LiveSize)
}
