package store

import (
	"fmt"
	"hash/maphash"
	"math/bits"

	"github.com/cockroachdb/pebble/v2"
)

// addrFilter is a blocked Bloom filter over the key of every interned
// address. Most addresses a UTXO block pays are seen for the first time, and
// proving that through Pebble means a miss in the memtables and in every
// level's Bloom filter, whose blocks a store larger than the block cache
// keeps reading from disk. This filter answers "certainly new" from memory
// for all but about 1% of them.
//
// It only has to hold a superset of the stored addresses: an address added
// by a block whose batch then failed is a false positive like any other and
// costs one read. Ids are never deleted (not even by Rollback), so nothing
// ever has to leave it.
//
// Each key sets filterProbes bits inside one 512-bit block, so a probe
// touches one cache line. The filter is sized for filterBitsPerKey bits per
// key and doubles (rebuilt from the stored keys, between blocks) when it
// holds more keys than that, up to a byte bound; past the bound the false
// positive rate rises and more lookups fall through to Pebble, which stays
// correct.
type addrFilter struct {
	seed   maphash.Seed
	blocks [][8]uint64
	keys   int // keys added, counting repeats of failed batches
}

const (
	filterBitsPerKey = 10
	filterProbes     = 6
	filterMinBytes   = 1 << 20
)

func newAddrFilter(bytes int64) *addrFilter {
	n := max(bytes/64, 1)
	return &addrFilter{seed: maphash.MakeSeed(), blocks: make([][8]uint64, n)}
}

// capacity is the number of keys the filter holds at its designed rate.
func (f *addrFilter) capacity() int { return len(f.blocks) * 512 / filterBitsPerKey }

func (f *addrFilter) bytes() int64 { return int64(len(f.blocks)) * 64 }

// locate returns the key's block and the two 9-bit strides its probes use.
func (f *addrFilter) locate(k []byte) (*[8]uint64, uint32, uint32) {
	h := maphash.Bytes(f.seed, k)
	blk, _ := bits.Mul64(h, uint64(len(f.blocks)))
	lo := uint32(h)
	return &f.blocks[blk], lo, lo>>16 | 1
}

func (f *addrFilter) add(k []byte) {
	b, a, d := f.locate(k)
	for range filterProbes {
		b[a>>6&7] |= 1 << (a & 63)
		a += d
	}
	f.keys++
}

func (f *addrFilter) mayContain(k []byte) bool {
	b, a, d := f.locate(k)
	for range filterProbes {
		if b[a>>6&7]&(1<<(a&63)) == 0 {
			return false
		}
		a += d
	}
	return true
}

// addressFilter returns the filter, building it from the stored address
// keys on first use and growing it when it is over capacity. It runs between
// blocks only (s.mu held, no batch open), when every interned address is in
// the database. Nil means there is no filter (Options.AddressFilterBytes < 0).
func (s *DB) addressFilter() (*addrFilter, error) {
	limit := s.opts.AddressFilterBytes
	if limit < 0 {
		return nil, nil
	}
	f := s.addrFilter
	if f != nil && f.keys <= f.capacity() {
		return f, nil
	}
	// Sized for twice the addresses known so far, so that growth by
	// rebuilding happens a logarithmic number of times.
	want := max(int64(s.nextAddr)*2*filterBitsPerKey/8, filterMinBytes)
	if f != nil {
		want = max(want, 2*f.bytes())
	}
	want = min(want, limit)
	if f != nil && want/64 <= int64(len(f.blocks)) {
		return f, nil // at the bound: fuller, still correct
	}
	nf := newAddrFilter(want)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pAddr}, UpperBound: []byte{pAddr + 1}})
	if err != nil {
		return nil, fmt.Errorf("build address filter: %w", err)
	}
	for it.First(); it.Valid(); it.Next() {
		nf.add(it.Key())
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("build address filter: %w", err)
	}
	s.addrFilter = nf
	return nf, nil
}
