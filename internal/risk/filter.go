package risk

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/chainhound/chainhound/internal/bloom"
	"github.com/cockroachdb/pebble/v2"
)

// exposedFilter is a Bloom filter over the accounts (CAIP-10) that have
// an exposure record in any category. Most screened addresses have none,
// and the filter answers them without asking the store once per category.
// It is built from the store's records and rebuilt after an update.
type exposedFilter struct {
	mu  sync.Mutex
	gen uint64
	f   *bloom.Filter
}

// mayHave reports whether account may have a record: false is sure.
func (e *exposedFilter) mayHave(d *DB, account string) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if g := d.gen.Load(); e.f == nil || g != e.gen {
		f, err := buildExposed(d)
		if err != nil {
			return true, err
		}
		e.f, e.gen = f, g
	}
	return e.f.MayContain([]byte(account)), nil
}

// buildExposed reads every record's key: 'E' caip2 0 category 0 address.
func buildExposed(d *DB) (*bloom.Filter, error) {
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pExpo}, UpperBound: []byte{pExpo + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var keys [][]byte
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()[1:]
		first, last := bytes.IndexByte(k, 0), bytes.LastIndexByte(k, 0)
		if first < 0 || last == first {
			return nil, fmt.Errorf("exposure store %s: malformed record key %q", d.dir, it.Key())
		}
		keys = append(keys, slices.Concat(k[:first], []byte{':'}, k[last+1:])) // CAIP-2 and address hold no NUL
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	f := bloom.ForKeys(max(len(keys), 1))
	for _, k := range keys {
		f.Add(k)
	}
	return f, nil
}
