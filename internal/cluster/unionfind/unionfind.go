// Package unionfind is a compact disjoint-set forest over dense integer ids,
// the data structure behind address clustering.
//
// Ids are the store's interned address ids (dense, starting at 1), held as
// uint32: a full Bitcoin history has about 1.3 billion addresses, well
// below 2^32. Each id costs 9 bytes: a 4-byte parent, a 1-byte rank and a
// 4-byte smallest member (meaningful at roots only).
//
// Finds use path halving and unions link by rank, so a sequence of m
// operations on n ids costs O(m α(n)). The entity id of a set is its
// smallest member, not its root: the root depends on the order of unions,
// the smallest member does not, so a forest built incrementally block by
// block names every entity exactly as one rebuilt from scratch, and an
// entity keeps its id until it merges with an entity of a smaller id.
package unionfind

import "fmt"

// MaxID is the largest id the forest can hold.
const MaxID = 1<<32 - 2

// BytesPerID is the memory one id costs (parent, rank, smallest member).
const BytesPerID = 4 + 1 + 4

// Forest is a disjoint-set forest over the ids 0..Len()-1. Every id starts
// as its own singleton set. The zero Forest is empty and ready to use.
type Forest struct {
	parent []uint32
	rank   []uint8
	min    []uint32
}

// New returns a forest over ids 0..n-1.
func New(n int) *Forest {
	f := &Forest{}
	f.Grow(n)
	return f
}

// Len is the number of ids the forest holds.
func (f *Forest) Len() int { return len(f.parent) }

// Grow extends the forest to hold ids 0..n-1; new ids are singletons.
func (f *Forest) Grow(n int) {
	if n <= len(f.parent) {
		return
	}
	if n-1 > MaxID {
		panic(fmt.Sprintf("unionfind: id %d above the maximum %d", n-1, MaxID))
	}
	old := len(f.parent)
	if n > cap(f.parent) {
		c := max(n, 2*cap(f.parent), 1024)
		if c-1 > MaxID {
			c = MaxID + 1
		}
		f.parent = append(make([]uint32, 0, c), f.parent...)
		f.rank = append(make([]uint8, 0, c), f.rank...)
		f.min = append(make([]uint32, 0, c), f.min...)
	}
	f.parent = f.parent[:n]
	f.rank = f.rank[:n]
	f.min = f.min[:n]
	for i := old; i < n; i++ {
		f.parent[i] = uint32(i)
		f.rank[i] = 0
		f.min[i] = uint32(i)
	}
}

// Find returns the root of x's set, halving the path on the way.
func (f *Forest) Find(x uint32) uint32 {
	p := f.parent
	for p[x] != x {
		p[x] = p[p[x]]
		x = p[x]
	}
	return x
}

// Entity returns the id of x's set: its smallest member.
func (f *Forest) Entity(x uint32) uint32 { return f.min[f.Find(x)] }

// Same reports whether x and y are in one set.
func (f *Forest) Same(x, y uint32) bool { return f.Find(x) == f.Find(y) }

// Union merges the sets of x and y. It reports whether they were apart.
func (f *Forest) Union(x, y uint32) bool {
	rx, ry := f.Find(x), f.Find(y)
	if rx == ry {
		return false
	}
	if f.rank[rx] < f.rank[ry] {
		rx, ry = ry, rx
	}
	f.parent[ry] = rx
	if f.rank[rx] == f.rank[ry] {
		f.rank[rx]++
	}
	if f.min[ry] < f.min[rx] {
		f.min[rx] = f.min[ry]
	}
	return true
}

// Bytes is the memory the forest's arrays hold (their capacity).
func (f *Forest) Bytes() int64 {
	return int64(cap(f.parent))*4 + int64(cap(f.rank)) + int64(cap(f.min))*4
}
