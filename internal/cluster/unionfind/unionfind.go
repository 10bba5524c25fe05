// Package unionfind is a compact disjoint-set forest over dense integer ids,
// the data structure behind address clustering.
//
// Ids are the store's interned address ids (dense, starting at 1), held as
// uint32 below 2^31: a full Bitcoin history has about 1.3 billion
// addresses. Each id costs 5 bytes: a 4-byte slot that holds the parent of
// a non-root or, with the top bit set, the smallest member of a root's
// set, and a 1-byte rank. One slot serving both keeps a find to one array,
// which matters when the forest is far larger than the CPU caches.
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
const MaxID = 1<<31 - 1

// BytesPerID is the memory one id costs (slot and rank).
const BytesPerID = 4 + 1

const rootBit = 1 << 31

// Forest is a disjoint-set forest over the ids 0..Len()-1. Every id starts
// as its own singleton set. The zero Forest is empty and ready to use.
type Forest struct {
	node []uint32 // parent, or rootBit|smallest member at a root
	rank []uint8
}

// New returns a forest over ids 0..n-1.
func New(n int) *Forest {
	f := &Forest{}
	f.Grow(n)
	return f
}

// Len is the number of ids the forest holds.
func (f *Forest) Len() int { return len(f.node) }

// Grow extends the forest to hold ids 0..n-1; new ids are singletons.
func (f *Forest) Grow(n int) {
	if n <= len(f.node) {
		return
	}
	if n-1 > MaxID {
		panic(fmt.Sprintf("unionfind: id %d above the maximum %d", n-1, MaxID))
	}
	old := len(f.node)
	// Both arrays are checked: they may have different capacities (a
	// forest restored by LoadChunk before it reserved them).
	if n > cap(f.node) || n > cap(f.rank) {
		c := min(max(n, 2*cap(f.node), 1024), MaxID+1)
		f.node = append(make([]uint32, 0, c), f.node...)
		f.rank = append(make([]uint8, 0, c), f.rank...)
	}
	f.node = f.node[:n]
	f.rank = f.rank[:n]
	for i := old; i < n; i++ {
		f.node[i] = rootBit | uint32(i)
		f.rank[i] = 0
	}
}

// Find returns the root of x's set, halving the path on the way.
func (f *Forest) Find(x uint32) uint32 {
	n := f.node
	for {
		p := n[x]
		if p&rootBit != 0 {
			return x
		}
		g := n[p]
		if g&rootBit != 0 {
			return p
		}
		n[x] = g
		x = g
	}
}

// Entity returns the id of x's set: its smallest member.
func (f *Forest) Entity(x uint32) uint32 { return f.node[f.Find(x)] &^ rootBit }

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
	m := min(f.node[rx], f.node[ry]) // both carry rootBit
	f.node[ry] = rx
	f.node[rx] = m
	if f.rank[rx] == f.rank[ry] {
		f.rank[rx]++
	}
	return true
}

// Bytes is the memory the forest's arrays hold (their capacity).
func (f *Forest) Bytes() int64 { return int64(cap(f.node))*4 + int64(cap(f.rank)) }

// AppendChunk appends the state of ids [from, to) to dst: each id's slot
// (4 bytes, little-endian) and rank (1 byte). Chunks restore with
// LoadChunk in order.
func (f *Forest) AppendChunk(dst []byte, from, to int) []byte {
	for i := from; i < to; i++ {
		dst = append(dst, byte(f.node[i]), byte(f.node[i]>>8), byte(f.node[i]>>16), byte(f.node[i]>>24), f.rank[i])
	}
	return dst
}

// LoadChunk appends the ids a chunk written by AppendChunk holds. It
// checks that every parent points inside the forest as it will be once
// all chunks are loaded (total ids) and that every root's smallest member
// is an id it could hold; a cycle-free structure is the writer's promise.
func (f *Forest) LoadChunk(b []byte, total int) error {
	if len(b)%BytesPerID != 0 {
		return fmt.Errorf("unionfind: chunk of %d bytes is not whole ids", len(b))
	}
	if total-1 > MaxID || len(f.node)+len(b)/BytesPerID > total {
		return fmt.Errorf("unionfind: chunk beyond the %d ids announced", total)
	}
	if cap(f.node) < total || cap(f.rank) < total {
		// the whole forest at once: no regrowth chunk by chunk, and both
		// arrays of one capacity
		f.node = append(make([]uint32, 0, total), f.node...)
		f.rank = append(make([]uint8, 0, total), f.rank...)
	}
	for ; len(b) > 0; b = b[BytesPerID:] {
		v := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
		if int(v&^rootBit) >= total || v&rootBit != 0 && int(v&^rootBit) > len(f.node) {
			return fmt.Errorf("unionfind: id %d: slot %#x out of range", len(f.node), v)
		}
		f.node = append(f.node, v)
		f.rank = append(f.rank, b[4])
	}
	return nil
}
