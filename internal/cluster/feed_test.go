package cluster

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
)

// The feed a consumer follows: replaying Blocks' links from the start
// gives the partition EachEntity lists, block hashes are the store's, and
// a build starts a new generation while an update keeps it.
func TestFeed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := &chainGen{r: rand.New(rand.NewPCG(3, 4)), tag: "feed"}
	var parent chain.Hash
	for h := uint64(1); h <= 30; h++ {
		parent = g.block(t, st, h, parent).Hash
	}
	d, err := Open(filepath.Join(dir, "cl"), chain.Bitcoin, Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { d.Close() }()
	gen0, err := d.Generation()
	if err != nil || gen0 == "" {
		t.Fatalf("a new database has generation %q (%v)", gen0, err)
	}
	if err := d.UpdateTo(ctx, st, 20, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	if gen, _ := d.Generation(); gen != gen0 {
		t.Fatalf("an update changed the generation: %s to %s", gen0, gen)
	}
	replay := New(Options{})
	n := uint64(0)
	for b, err := range d.Blocks(0) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if want, _, _ := st.BlockHash(chain.Bitcoin, b.Height); want != b.Hash || b.Height != n {
			t.Fatalf("block %d (the %dth): hash %s, the store's %s", b.Height, n, b.Hash, want)
		}
		if h, ok, err := d.BlockHash(b.Height); err != nil || !ok || h != b.Hash {
			t.Fatalf("BlockHash(%d) = %s %v %v", b.Height, h, ok, err)
		}
		replay.Replay(b.Links)
	}
	if n != 30 {
		t.Fatalf("%d blocks fed, want 30", n)
	}
	if _, ok, _ := d.BlockHash(31); ok {
		t.Fatal("block 31 is not clustered")
	}
	seen, entities := 0, 0
	err = d.Clusterer().EachEntity(func(e uint64, members []uint32) error {
		entities++
		if len(members) < 2 || uint64(members[0]) != e || !slices.IsSorted(members) {
			t.Fatalf("entity %d: members %v", e, members)
		}
		for _, m := range members {
			if replay.EntityOf(uint64(m)) != e {
				t.Fatalf("member %d of entity %d: the replayed feed puts it in %d", m, e, replay.EntityOf(uint64(m)))
			}
		}
		seen += len(members)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s := d.Clusterer().Summarize()
	if entities == 0 || uint64(entities) != s.Entities || uint64(seen) != s.Clustered {
		t.Fatalf("EachEntity: %d entities holding %d; Summarize: %+v", entities, seen, s)
	}
	if err := d.Build(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	gen1, _ := d.Generation()
	if gen1 == gen0 || gen1 == "" {
		t.Fatalf("a build kept generation %s", gen1)
	}
	// A snapshot (its chunks have a generation of their own, under
	// another prefix) leaves the build's generation as it is, also
	// across a reopen: they once shared the prefix 'g', and a snapshot
	// cleared the build's generation with its old chunks.
	if err := d.Snapshot(); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if d, err = Open(filepath.Join(dir, "cl"), chain.Bitcoin, Options{}, false); err != nil {
		t.Fatal(err)
	}
	if gen, err := d.Generation(); gen != gen1 || err != nil {
		t.Fatalf("after a snapshot and a reopen the generation is %q (%v), the build's %q", gen, err, gen1)
	}
}
