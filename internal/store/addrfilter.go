package store

import (
	"fmt"

	"github.com/chainhound/chainhound/internal/bloom"
	"github.com/cockroachdb/pebble/v2"
)

// The address filter (a bloom.Filter) holds the key of every interned
// address. Most addresses a UTXO block pays are seen for the first time, and
// proving that through Pebble means a miss in the memtables and in every
// level's Bloom filter, whose blocks a store larger than the block cache
// keeps reading from disk. The filter answers "certainly new" from memory
// for all but about 1% of them.
//
// It only has to hold a superset of the stored addresses: an address added
// by a block whose batch then failed is a false positive like any other and
// costs one read. Ids are never deleted (not even by Rollback), so nothing
// ever has to leave it. It is sized for bloom.BitsPerKey bits per key and
// doubles (rebuilt from the stored keys, between blocks) when it holds more
// keys than that, up to a byte bound; past the bound the false positive
// rate rises and more lookups fall through to Pebble, which stays correct.
const filterMinBytes = 1 << 20

// addressFilter returns the filter, building it from the stored address
// keys on first use and growing it when it is over capacity. It runs between
// blocks only (s.mu held, no batch open), when every interned address is in
// the database. Nil means there is no filter (Options.AddressFilterBytes < 0).
func (s *DB) addressFilter() (*bloom.Filter, error) {
	limit := s.opts.AddressFilterBytes
	if limit < 0 {
		return nil, nil
	}
	f := s.addrFilter
	if f != nil && f.Keys() <= f.Capacity() {
		return f, nil
	}
	// Sized for twice the addresses known so far, so that growth by
	// rebuilding happens a logarithmic number of times.
	want := max(int64(s.nextAddr)*2*bloom.BitsPerKey/8, filterMinBytes)
	if f != nil {
		want = max(want, 2*f.Bytes())
	}
	want = min(want, limit)
	if f != nil && want/64 <= f.Bytes()/64 {
		return f, nil // at the bound: fuller, still correct
	}
	nf := bloom.New(want)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pAddr}, UpperBound: []byte{pAddr + 1}})
	if err != nil {
		return nil, fmt.Errorf("build address filter: %w", err)
	}
	for it.First(); it.Valid(); it.Next() {
		nf.Add(it.Key())
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("build address filter: %w", err)
	}
	s.addrFilter = nf
	return nf, nil
}
