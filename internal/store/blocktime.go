package store

import (
	"encoding/binary"
	"sort"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/cockroachdb/pebble/v2"
)

// BlockTime returns the time (Unix seconds) of stored block h of chain c.
func (s *DB) BlockTime(c chain.Chain, h uint64) (int64, bool, error) {
	r, ok, err := s.blockRecord(c, h)
	return r.time, ok, err
}

// FirstBlock returns the lowest stored block height of chain c: a chain
// may be ingested from any height on.
func (s *DB) FirstBlock(c chain.Chain) (uint64, bool, error) {
	p := []byte{pBlock, byte(c)}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	if !it.First() {
		return 0, false, it.Error()
	}
	k := it.Key()
	if len(k) != 10 {
		return 0, false, errCorrupt
	}
	return binary.BigEndian.Uint64(k[2:]), true, nil
}

// BlockAtTime returns the last stored block of chain c whose time is at or
// before t; ok is false when the first stored block is already later.
// Block times are taken as non-decreasing, which holds closely enough
// on every chain for choosing a block by date (Bitcoin's may step back
// by up to two hours).
func (s *DB) BlockAtTime(c chain.Chain, t int64) (uint64, bool, error) {
	first, ok, err := s.FirstBlock(c)
	if err != nil || !ok {
		return 0, false, err
	}
	cur, ok, err := s.Cursor(c)
	if err != nil || !ok {
		return 0, false, err
	}
	var ferr error
	n := int(cur.Height - first + 1)
	i := sort.Search(n, func(i int) bool {
		bt, ok, err := s.BlockTime(c, first+uint64(i))
		if err != nil || !ok {
			if ferr == nil {
				ferr = err
				if err == nil {
					ferr = errCorrupt
				}
			}
			return true
		}
		return bt > t
	})
	if ferr != nil {
		return 0, false, ferr
	}
	if i == 0 {
		return 0, false, nil
	}
	return first + uint64(i-1), true, nil
}
