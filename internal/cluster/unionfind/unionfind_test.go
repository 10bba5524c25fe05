package unionfind

import (
	"math/rand/v2"
	"testing"
)

// naive is a reference partition: a label per id, relabelled on merge.
type naive []uint32

func (n naive) union(x, y uint32) {
	a, b := n[x], n[y]
	if a == b {
		return
	}
	lo, hi := min(a, b), max(a, b)
	for i := range n {
		if n[i] == hi {
			n[i] = lo
		}
	}
}

func TestForestMatchesNaivePartition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 500
	f := New(n)
	ref := make(naive, n)
	for i := range ref {
		ref[i] = uint32(i)
	}
	for step := 0; step < 2000; step++ {
		x, y := uint32(r.IntN(n)), uint32(r.IntN(n))
		apart := ref[x] != ref[y]
		if got := f.Union(x, y); got != apart {
			t.Fatalf("step %d: Union(%d,%d) = %v, want %v", step, x, y, got, apart)
		}
		ref.union(x, y)
		if step%97 == 0 {
			for i := range uint32(n) {
				// the naive label is the smallest member, as Entity must be
				if got := f.Entity(i); got != ref[i] {
					t.Fatalf("step %d: Entity(%d) = %d, want %d", step, i, got, ref[i])
				}
			}
		}
	}
}

// The entity of a set must not depend on the order of unions: incremental
// builds must name entities as a rebuild does.
func TestEntityIndependentOfUnionOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 2000
	pairs := make([][2]uint32, 3000)
	for i := range pairs {
		pairs[i] = [2]uint32{uint32(r.IntN(n)), uint32(r.IntN(n))}
	}
	a := New(n)
	for _, p := range pairs {
		a.Union(p[0], p[1])
	}
	b := New(0)
	for i := len(pairs) - 1; i >= 0; i-- {
		p := pairs[i]
		b.Grow(int(max(p[0], p[1])) + 1)
		b.Union(p[1], p[0])
	}
	b.Grow(n)
	for i := range uint32(n) {
		if a.Entity(i) != b.Entity(i) {
			t.Fatalf("id %d: entity %d forwards, %d backwards", i, a.Entity(i), b.Entity(i))
		}
	}
}

func TestGrowKeepsSetsAndAddsSingletons(t *testing.T) {
	f := New(3)
	f.Union(1, 2)
	f.Grow(10)
	if !f.Same(1, 2) || f.Same(2, 9) || f.Entity(9) != 9 || f.Entity(2) != 1 {
		t.Fatalf("after Grow: same(1,2)=%v same(2,9)=%v entity(9)=%d entity(2)=%d", f.Same(1, 2), f.Same(2, 9), f.Entity(9), f.Entity(2))
	}
	if f.Union(2, 1) {
		t.Fatal("Union of one set reported a merge")
	}
}

// BenchmarkUnion measures union operations per second over 10M ids with
// random pairs (the worst case for locality) and reports bytes per id.
func BenchmarkUnion(b *testing.B) {
	const n = 10_000_000
	f := New(n)
	r := rand.New(rand.NewPCG(5, 6))
	xs := make([]uint32, 1<<20)
	for i := range xs {
		xs[i] = uint32(r.IntN(n))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i & (len(xs) - 1)
		f.Union(xs[j], xs[(j*7+1)&(len(xs)-1)])
	}
	b.ReportMetric(float64(f.Bytes())/n, "bytes/id")
}

func TestChunksRoundTrip(t *testing.T) {
	f := New(10)
	f.Union(3, 7)
	f.Union(7, 9)
	f.Union(1, 2)
	g := &Forest{}
	for from := 0; from < 10; from += 4 {
		if err := g.LoadChunk(f.AppendChunk(nil, from, min(from+4, 10)), 10); err != nil {
			t.Fatal(err)
		}
	}
	for i := range uint32(10) {
		if f.Entity(i) != g.Entity(i) {
			t.Fatalf("id %d: entity %d, restored %d", i, f.Entity(i), g.Entity(i))
		}
	}
	bad := []struct {
		name  string
		chunk []byte
		total int
	}{
		{"partial id", []byte{1, 2, 3}, 10},
		{"parent beyond the forest", []byte{20, 0, 0, 0, 0}, 10},
		{"root naming a larger member", []byte{5, 0, 0, 0x80, 0}, 10},
		{"more ids than announced", f.AppendChunk(nil, 0, 10), 5},
	}
	for _, c := range bad {
		if err := (&Forest{}).LoadChunk(c.chunk, c.total); err == nil {
			t.Errorf("%s: loaded", c.name)
		}
	}
}

// TestGrowAfterLoadChunks: a forest restored from chunks (a snapshot) has
// grown its two arrays by appending, which leaves them different
// capacities; growing it afterwards by a few ids at a time, as the next
// blocks' new addresses do, must extend both (it panicked when only the
// slot array's capacity was checked).
func TestGrowAfterLoadChunks(t *testing.T) {
	for total := 1; total <= 9000; total += 37 {
		f := New(total)
		for i := 1; i < total; i += 3 {
			f.Union(uint32(i), uint32(i-1))
		}
		g := &Forest{}
		for from := 0; from < total; from += 16 {
			if err := g.LoadChunk(f.AppendChunk(nil, from, min(from+16, total)), total); err != nil {
				t.Fatal(err)
			}
		}
		for n := total + 1; n <= total+300; n += 7 {
			g.Grow(n)
			g.Union(uint32(n-1), 0)
			f.Grow(n)
			f.Union(uint32(n-1), 0)
		}
		for i := range uint32(g.Len()) {
			if f.Entity(i) != g.Entity(i) {
				t.Fatalf("%d ids: id %d: entity %d, restored and grown %d", total, i, f.Entity(i), g.Entity(i))
			}
		}
	}
}
