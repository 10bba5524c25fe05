package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/cockroachdb/pebble/v2"
)

func hashOf(s string) chain.Hash { return chain.Hash(sha256.Sum256([]byte(s))) }

func baddr(i int) chain.Address {
	return chain.Address{Chain: chain.Bitcoin, Raw: fmt.Sprintf("1Addr%028d", i)}
}

// chainGen makes random Bitcoin-like blocks over a pool of owners: each
// transaction spends 1-4 unspent outputs and pays 1-3 addresses.
type chainGen struct {
	r       *rand.Rand
	unspent []outRef
	next    int // next fresh address
	tag     string
}

type outRef struct {
	tx  chain.Hash
	i   uint32
	val int64
}

func (g *chainGen) block(t *testing.T, st *store.DB, h uint64, parent chain.Hash) *chain.Block {
	t.Helper()
	b := &chain.Block{Chain: chain.Bitcoin, Height: h, Hash: hashOf(fmt.Sprintf("%s-block-%d", g.tag, h)), Parent: parent, Time: int64(1e9 + h*600)}
	cb := chain.Tx{Hash: hashOf(fmt.Sprintf("%s-cb-%d", g.tag, h)), Coinbase: true, Success: true}
	for k := 0; k < 3; k++ {
		g.next++
		cb.Outputs = append(cb.Outputs, chain.Output{Address: baddr(g.next), Value: 1000})
	}
	b.Txs = append(b.Txs, cb)
	var created []outRef
	for i := range cb.Outputs {
		created = append(created, outRef{cb.Hash, uint32(i), 1000})
	}
	for n := 0; n < 6 && len(g.unspent) > 0; n++ {
		tx := chain.Tx{Hash: hashOf(fmt.Sprintf("%s-tx-%d-%d", g.tag, h, n)), Index: uint32(len(b.Txs)), Success: true}
		var in int64
		for k := 1 + g.r.IntN(4); k > 0 && len(g.unspent) > 0; k-- {
			j := g.r.IntN(len(g.unspent))
			o := g.unspent[j]
			g.unspent[j] = g.unspent[len(g.unspent)-1]
			g.unspent = g.unspent[:len(g.unspent)-1]
			tx.Inputs = append(tx.Inputs, chain.Input{PrevTx: o.tx, PrevIndex: o.i})
			in += o.val
		}
		outs := 1 + g.r.IntN(3)
		for k := 0; k < outs; k++ {
			a := g.r.IntN(g.next + 1) // often reuse an address
			if g.r.IntN(2) == 0 {
				g.next++
				a = g.next
			}
			v := in / int64(outs+1)
			tx.Outputs = append(tx.Outputs, chain.Output{Address: baddr(a), Value: v})
			created = append(created, outRef{tx.Hash, uint32(k), v})
		}
		b.Txs = append(b.Txs, tx)
	}
	g.unspent = append(g.unspent, created...)
	if err := st.ResolveInputs(b); err != nil {
		t.Fatalf("block %d: %v", h, err)
	}
	if err := chain.UTXOTransfers(b); err != nil {
		t.Fatal(err)
	}
	if err := st.ApplyBlock(b); err != nil {
		t.Fatalf("block %d: %v", h, err)
	}
	return b
}

// reference clusters the stored blocks naively: a label per address
// string, relabelled on merge, from the stored inputs.
func reference(t *testing.T, st *store.DB, to uint64) map[string]string {
	t.Helper()
	label := map[string]string{}
	find := func(a string) string {
		for label[a] != "" && label[a] != a {
			a = label[a]
		}
		return a
	}
	for h := uint64(1); h <= to; h++ {
		for txi := uint32(0); ; txi++ {
			tx, ok, err := st.IO(chain.Bitcoin, h, txi)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			for _, in := range tx.Inputs[min(1, len(tx.Inputs)):] {
				a, b := find(tx.Inputs[0].Address.Raw), find(in.Address.Raw)
				if a != b {
					label[b] = a
				}
			}
		}
	}
	out := map[string]string{}
	for a := range label {
		out[a] = find(a)
	}
	return out
}

// samePartition checks that d's entities over the stored addresses are
// the reference's groups.
func samePartition(t *testing.T, st *store.DB, d *DB, ref map[string]string, n int) {
	t.Helper()
	byRef := map[string]uint64{}
	byEnt := map[uint64]string{}
	for i := 1; i <= n; i++ {
		a := baddr(i)
		id, ok, err := st.AddressID(a)
		if err != nil || !ok {
			continue
		}
		r := ref[a.Raw]
		if r == "" {
			r = a.Raw
		}
		e := d.Clusterer().EntityOf(id)
		if prev, ok := byRef[r]; ok && prev != e {
			t.Fatalf("%s: entity %d, but its reference group has entity %d", a.Raw, e, prev)
		}
		if prev, ok := byEnt[e]; ok && prev != r {
			t.Fatalf("%s: entity %d spans reference groups %s and %s", a.Raw, e, prev, r)
		}
		byRef[r], byEnt[e] = e, r
	}
}

func entities(d *DB) []uint64 {
	f := d.Clusterer().Forest
	out := make([]uint64, f.Len())
	for i := range out {
		out[i] = uint64(f.Entity(uint32(i)))
	}
	return out
}

// TestIncrementalEqualsRebuild clusters a random chain block by block, as
// `cluster update` after each ingest would, and checks that the result is
// the naive reference partition, that entity ids are those of a rebuild
// from scratch and of a reload from disk, and that a reorg is followed.
func TestIncrementalEqualsRebuild(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := &chainGen{r: rand.New(rand.NewPCG(7, 8)), tag: "main"}
	inc, err := Open(filepath.Join(dir, "inc"), chain.Bitcoin, Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { inc.Close() }()
	var parent chain.Hash
	const blocks = 60
	for h := uint64(1); h <= blocks; h++ {
		parent = g.block(t, st, h, parent).Hash
		if h%3 == 0 {
			if err := inc.Update(ctx, st, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	samePartition(t, st, inc, reference(t, st, blocks), g.next)
	if inc.Clusterer().Counts.Merges == 0 {
		t.Fatal("the random chain made no merges")
	}

	full, err := Open(filepath.Join(dir, "full"), chain.Bitcoin, Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { full.Close() }()
	if err := full.Build(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	if a, b := entities(inc), entities(full); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("incremental entities differ from a rebuild:\n%v\n%v", a, b)
	}
	if inc.Clusterer().Counts != full.Clusterer().Counts {
		t.Fatalf("counts: incremental %+v, rebuilt %+v", inc.Clusterer().Counts, full.Clusterer().Counts)
	}

	// Reorg: the store drops the last 5 blocks and takes another branch.
	if err := st.Rollback(chain.Bitcoin, blocks-5); err != nil {
		t.Fatal(err)
	}
	parent, _, _ = st.BlockHash(chain.Bitcoin, blocks-5)
	g2 := &chainGen{r: rand.New(rand.NewPCG(9, 10)), next: g.next, tag: "fork"}
	// The fork's blocks spend only their own coinbases' outputs: what
	// matters is that the merges of the dropped blocks disappear.
	for h := uint64(blocks - 4); h <= blocks+2; h++ {
		parent = g2.block(t, st, h, parent).Hash
	}
	if err := inc.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	samePartition(t, st, inc, reference(t, st, blocks+2), g2.next)
	if err := full.Build(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	if a, b := entities(inc), entities(full); fmt.Sprint(a[:min(len(a), len(b))]) != fmt.Sprint(b[:min(len(a), len(b))]) {
		t.Fatal("after the reorg, incremental entities differ from a rebuild")
	}
	if h, hash, _ := inc.Cursor(); h != blocks+2 || hash != parent {
		t.Fatalf("cursor %d %x, want %d %x", h, hash, blocks+2, parent)
	}

	// Reload from disk gives the same forest.
	inc.Close()
	again, err := Open(filepath.Join(dir, "inc"), chain.Bitcoin, Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(entities(again)) != fmt.Sprint(entities(full)[:len(entities(again))]) {
		t.Fatal("reloaded entities differ")
	}
	inc = again

	// Other options are refused on an existing database; read-only
	// opening takes the database's own.
	full.Close()
	if d, err := Open(filepath.Join(dir, "full"), chain.Bitcoin, Options{KeepCoinJoins: true}, false); err == nil {
		d.Close()
		t.Fatal("a database built without CoinJoins opened with keep-coinjoins")
	}
	full, err = Open(filepath.Join(dir, "full"), chain.Bitcoin, Options{KeepCoinJoins: true}, true)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(entities(again)) != fmt.Sprint(entities(full)[:len(entities(again))]) {
		t.Fatal("read-only reopened entities differ")
	}
}

// TestSnapshot: a clustering opened from a snapshot plus the records
// above it equals a rebuild, and a reorg below the snapshot drops it.
func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := &chainGen{r: rand.New(rand.NewPCG(11, 12)), tag: "snap"}
	var parent chain.Hash
	for h := uint64(1); h <= 30; h++ {
		parent = g.block(t, st, h, parent).Hash
	}
	path := filepath.Join(dir, "inc")
	d, err := Open(path, chain.Bitcoin, Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Snapshot(); err != nil || d.RecordsSinceSnapshot() != 0 {
		t.Fatalf("snapshot: %v, %d records since", err, d.RecordsSinceSnapshot())
	}
	for h := uint64(31); h <= 40; h++ {
		parent = g.block(t, st, h, parent).Hash
	}
	if err := d.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	d.Close()
	check := func(what string) *DB {
		t.Helper()
		d, err := Open(path, chain.Bitcoin, Options{}, false)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		full, err := Create(filepath.Join(t.TempDir(), "full"), chain.Bitcoin, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer full.Close()
		if err := full.Build(ctx, st, nil); err != nil {
			t.Fatal(err)
		}
		for i := uint64(1); i <= uint64(max(d.Clusterer().Forest.Len(), full.Clusterer().Forest.Len())); i++ {
			if a, b := d.Clusterer().EntityOf(i), full.Clusterer().EntityOf(i); a != b {
				t.Fatalf("%s: id %d: entity %d, rebuilt %d", what, i, a, b)
			}
		}
		if d.Clusterer().Counts != full.Clusterer().Counts {
			t.Fatalf("%s: counts %+v, rebuilt %+v", what, d.Clusterer().Counts, full.Clusterer().Counts)
		}
		return d
	}
	d = check("reopened from the snapshot")
	if h, ok, err := d.snapshotHeight(); err != nil || !ok || h != 30 || d.RecordsSinceSnapshot() != 10 {
		t.Fatalf("snapshot at %d (%v, %v), %d records above", h, ok, err, d.RecordsSinceSnapshot())
	}
	// Reorg to below the snapshot.
	if err := st.Rollback(chain.Bitcoin, 25); err != nil {
		t.Fatal(err)
	}
	parent, _, _ = st.BlockHash(chain.Bitcoin, 25)
	g2 := &chainGen{r: rand.New(rand.NewPCG(13, 14)), next: g.next, tag: "snapfork"}
	for h := uint64(26); h <= 32; h++ {
		parent = g2.block(t, st, h, parent).Hash
	}
	if err := d.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := d.snapshotHeight(); ok {
		t.Fatal("a reorg below the snapshot left it in place")
	}
	d.Close()
	check("reopened after the reorg").Close()
}

// A clustering pointed at a store that holds other blocks at every height
// (a store rebuilt from another source) drops all its records and its
// snapshot, then clusters the new store from its first block.
func TestUnwindEverything(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fill := func(name string, seed uint64, n uint64) *store.DB {
		st, err := store.Open(filepath.Join(dir, name), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		g := &chainGen{r: rand.New(rand.NewPCG(seed, seed)), tag: name}
		var parent chain.Hash
		for h := uint64(1); h <= n; h++ {
			parent = g.block(t, st, h, parent).Hash
		}
		return st
	}
	a := fill("a", 21, 12)
	d, err := Open(filepath.Join(dir, "cluster"), chain.Bitcoin, Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { d.Close() }()
	if err := d.Update(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Snapshot(); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b := fill("b", 22, 8)
	defer b.Close()
	if err := d.Update(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := d.Cursor(); h != 8 {
		t.Fatalf("cursor %d after switching stores", h)
	}
	if _, ok, _ := d.snapshotHeight(); ok {
		t.Fatal("snapshot of the old store kept")
	}
	full, err := Create(filepath.Join(dir, "full"), chain.Bitcoin, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	if err := full.Build(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	if d.Clusterer().Counts != full.Clusterer().Counts {
		t.Fatalf("counts %+v, rebuilt %+v", d.Clusterer().Counts, full.Clusterer().Counts)
	}
	for i := uint64(1); i < 200; i++ {
		if x, y := d.Clusterer().EntityOf(i), full.Clusterer().EntityOf(i); x != y {
			t.Fatalf("id %d: entity %d, rebuilt %d", i, x, y)
		}
	}
}

// TestSnapshotInBoundedBatches: with chunks of 16 ids and batches
// committed after every chunk, a snapshot takes many batches and opens
// as a rebuild; one cut off midway (a crash after some batches) leaves
// the previous snapshot in force, and the next one clears what the cut-off
// one wrote; a snapshot written before generations (chunks under 's')
// still opens and is replaced by the next.
func TestSnapshotInBoundedBatches(t *testing.T) {
	defer func(c, b int) { snapChunk, snapBatchBytes, snapCommitted = c, b, nil }(snapChunk, snapBatchBytes)
	snapChunk, snapBatchBytes = 16, 1
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := &chainGen{r: rand.New(rand.NewPCG(31, 32)), tag: "batches"}
	var parent chain.Hash
	grow := func(to uint64) {
		for h := uint64(1); h <= to; h++ {
			if _, ok, _ := st.BlockHash(chain.Bitcoin, h); !ok {
				parent = g.block(t, st, h, parent).Hash
			}
		}
	}
	grow(30)
	path := filepath.Join(dir, "cluster")
	open := func() *DB {
		t.Helper()
		d, err := Open(path, chain.Bitcoin, Options{}, false)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	asRebuilt := func(what string, d *DB) {
		t.Helper()
		full, err := Create(filepath.Join(t.TempDir(), "full"), chain.Bitcoin, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer full.Close()
		if err := full.Build(ctx, st, nil); err != nil {
			t.Fatal(err)
		}
		if d.Clusterer().Counts != full.Clusterer().Counts || d.Clusterer().Forest.Len() != full.Clusterer().Forest.Len() {
			t.Fatalf("%s: counts %+v (%d ids), rebuilt %+v (%d)", what, d.Clusterer().Counts, d.Clusterer().Forest.Len(), full.Clusterer().Counts, full.Clusterer().Forest.Len())
		}
		for i := uint64(1); i < uint64(full.Clusterer().Forest.Len()); i++ {
			if a, b := d.Clusterer().EntityOf(i), full.Clusterer().EntityOf(i); a != b {
				t.Fatalf("%s: id %d: entity %d, rebuilt %d", what, i, a, b)
			}
		}
	}
	// parts counts the chunk keys of each generation on disk.
	parts := func(d *DB) map[uint64]int {
		t.Helper()
		out := map[uint64]int{}
		it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pSnapPart}, UpperBound: []byte{pSnapPart + 1}})
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		for it.First(); it.Valid(); it.Next() {
			out[binary.BigEndian.Uint64(it.Key()[1:9])]++
		}
		return out
	}

	d := open()
	if err := d.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	chunks := (d.Clusterer().Forest.Len() + snapChunk - 1) / snapChunk
	batches := 0
	snapCommitted = func(n int) error { batches = n; return nil }
	if err := d.Snapshot(); err != nil {
		t.Fatal(err)
	}
	if chunks < 5 || batches != chunks+1 {
		t.Fatalf("%d chunks written in %d batches, want one each and the switch", chunks, batches)
	}
	if p := parts(d); len(p) != 1 || p[1] != chunks {
		t.Fatalf("chunks on disk by generation: %v, want %d of generation 1", p, chunks)
	}
	d.Close()
	d = open()
	if d.RecordsSinceSnapshot() != 0 {
		t.Fatalf("reopened: %d records replayed above the snapshot", d.RecordsSinceSnapshot())
	}
	asRebuilt("reopened from the snapshot", d)

	// A snapshot cut off after 3 batches of chunks.
	grow(40)
	if err := d.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	crash := errors.New("crash")
	snapCommitted = func(n int) error {
		if n == 3 {
			return crash
		}
		return nil
	}
	if err := d.Snapshot(); !errors.Is(err, crash) {
		t.Fatalf("cut-off snapshot: %v", err)
	}
	snapCommitted = nil
	d.Close()
	d = open()
	if h, ok, _ := d.snapshotHeight(); !ok || h != 30 || d.RecordsSinceSnapshot() != 10 {
		t.Fatalf("after the cut-off snapshot: snapshot at %d (%v), %d records replayed", h, ok, d.RecordsSinceSnapshot())
	}
	if p := parts(d); p[1] != chunks || p[2] != 3 {
		t.Fatalf("chunks on disk by generation: %v, want %d of generation 1 and 3 left by the cut-off one", p, chunks)
	}
	asRebuilt("reopened after the cut-off snapshot", d)
	if err := d.Snapshot(); err != nil {
		t.Fatal(err)
	}
	now := (d.Clusterer().Forest.Len() + snapChunk - 1) / snapChunk
	if p := parts(d); len(p) != 1 || p[2] != now {
		t.Fatalf("chunks on disk by generation: %v, want only generation 2's %d", p, now)
	}
	d.Close()
	d = open()
	if h, ok, _ := d.snapshotHeight(); !ok || h != 40 || d.RecordsSinceSnapshot() != 0 {
		t.Fatalf("snapshot at %d (%v), %d records replayed", h, ok, d.RecordsSinceSnapshot())
	}
	asRebuilt("reopened from the second snapshot", d)

	// A snapshot as written before generations: header, chunks under 's'.
	b := d.db.NewBatch()
	if err := deleteSnapshot(b); err != nil {
		t.Fatal(err)
	}
	f := d.Clusterer().Forest
	head := binary.BigEndian.AppendUint64(nil, d.height)
	head = append(head, d.hash[:]...)
	head = binary.BigEndian.AppendUint64(head, uint64(f.Len()))
	head = append(head, encodeRecord(&record{counts: d.c.Counts})[32:]...)
	if err := b.Set([]byte{pSnapHead}, head, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i*snapChunk < f.Len(); i++ {
		if err := b.Set(binary.BigEndian.AppendUint32([]byte{pSnap}, uint32(i)), f.AppendChunk(nil, i*snapChunk, min((i+1)*snapChunk, f.Len())), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	b.Close()
	d.Close()
	d = open()
	defer func() { d.Close() }()
	if d.RecordsSinceSnapshot() != 0 {
		t.Fatalf("the old-format snapshot was not read: %d records replayed", d.RecordsSinceSnapshot())
	}
	asRebuilt("reopened from an old-format snapshot", d)
	if err := d.Snapshot(); err != nil {
		t.Fatal(err)
	}
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pSnap}, UpperBound: []byte{pSnap + 1}})
	if err != nil {
		t.Fatal(err)
	}
	left := it.First()
	it.Close()
	if left {
		t.Fatal("old-format chunks left after a new snapshot")
	}
}
