package store

import (
	"fmt"
	"iter"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/cockroachdb/pebble/v2"
)

// Addresses yields every address of chain c the store has interned, in key
// order (by raw bytes, so for hashed addresses an order unrelated to when
// or how often they were seen), read from one consistent view. Stop early to
// sample: load tests take the first N as a uniform sample of the
// population. Interned ids outlive rollbacks (keys.go), so an address of a
// rolled-back block is still listed.
func (s *DB) Addresses(c chain.Chain) iter.Seq2[chain.Address, error] {
	return func(yield func(chain.Address, error) bool) {
		lo := []byte{pAddr, byte(c)}
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
		if err != nil {
			yield(chain.Address{}, err)
			return
		}
		defer it.Close()
		for it.First(); it.Valid(); it.Next() {
			k := it.Key()
			if len(k) < 3 {
				yield(chain.Address{}, fmt.Errorf("address key %x: %w", k, errCorrupt))
				return
			}
			if !yield(chain.Address{Chain: c, Raw: string(k[2:])}, nil) {
				return
			}
		}
		if err := it.Error(); err != nil {
			yield(chain.Address{}, err)
		}
	}
}

// AddressCount is how many address ids the store has issued, over all
// chains.
func (s *DB) AddressCount() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextAddr - 1
}
