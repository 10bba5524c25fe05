// Package bloom is a blocked Bloom filter for in-memory "certainly absent"
// answers in front of a store: the chain store's interned addresses, the
// screener's exposed accounts.
//
// Each key sets Probes bits inside one 512-bit block, so a probe touches
// one cache line. At BitsPerKey bits a key the false positive rate is about
// 1.5%; a filter holding more keys than its Capacity stays correct, with
// more false positives.
package bloom

import (
	"hash/maphash"
	"math/bits"
)

// Design constants.
const (
	BitsPerKey = 10
	Probes     = 6
)

// Filter is a blocked Bloom filter. It is not safe for concurrent writes;
// concurrent reads are safe.
type Filter struct {
	seed   maphash.Seed
	blocks [][8]uint64
	keys   int // keys added, repeats counted
}

// New returns a filter of about size bytes (at least one 64-byte block).
func New(size int64) *Filter {
	n := max(size/64, 1)
	return &Filter{seed: maphash.MakeSeed(), blocks: make([][8]uint64, n)}
}

// ForKeys returns a filter sized for n keys at the designed rate.
func ForKeys(n int) *Filter { return New((int64(n)*BitsPerKey + 511) / 512 * 64) }

// Capacity is the number of keys the filter holds at its designed rate.
func (f *Filter) Capacity() int { return len(f.blocks) * 512 / BitsPerKey }

// Bytes is the filter's size.
func (f *Filter) Bytes() int64 { return int64(len(f.blocks)) * 64 }

// Keys is the number of keys added.
func (f *Filter) Keys() int { return f.keys }

// locate returns the key's block and the two 9-bit strides its probes use.
func (f *Filter) locate(k []byte) (*[8]uint64, uint32, uint32) {
	h := maphash.Bytes(f.seed, k)
	blk, _ := bits.Mul64(h, uint64(len(f.blocks)))
	lo := uint32(h)
	return &f.blocks[blk], lo, lo>>16 | 1
}

// Add puts k in the filter.
func (f *Filter) Add(k []byte) {
	b, a, d := f.locate(k)
	for range Probes {
		b[a>>6&7] |= 1 << (a & 63)
		a += d
	}
	f.keys++
}

// MayContain reports whether k may have been added; false is certain.
func (f *Filter) MayContain(k []byte) bool {
	b, a, d := f.locate(k)
	for range Probes {
		if b[a>>6&7]&(1<<(a&63)) == 0 {
			return false
		}
		a += d
	}
	return true
}
