package risk

import (
	"fmt"
	"hash/maphash"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// exposedFilter is a Bloom filter over the accounts (CAIP-10) that have
// an exposure record in any category. Most screened addresses have none,
// and the filter answers them without asking the store once per category.
// It is built from the store's records and rebuilt after an update.
type exposedFilter struct {
	mu   sync.Mutex
	gen  uint64
	ok   bool
	bits []uint64
	seed maphash.Seed
}

const filterHashes = 7 // with 10 bits a key: under 1% false positives

func (f *exposedFilter) hashes(s string) (uint64, uint64) {
	h := maphash.String(f.seed, s)
	return h, h>>32 | 1
}

func (f *exposedFilter) add(s string) {
	n := uint64(len(f.bits)) * 64
	h1, h2 := f.hashes(s)
	for i := range uint64(filterHashes) {
		b := (h1 + i*h2) % n
		f.bits[b/64] |= 1 << (b % 64)
	}
}

func (f *exposedFilter) has(s string) bool {
	n := uint64(len(f.bits)) * 64
	h1, h2 := f.hashes(s)
	for i := range uint64(filterHashes) {
		b := (h1 + i*h2) % n
		if f.bits[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

// mayHave reports whether account may have a record: false is sure.
func (f *exposedFilter) mayHave(d *DB, account string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g := d.gen.Load(); !f.ok || g != f.gen {
		if err := f.build(d); err != nil {
			return true, err
		}
		f.gen, f.ok = g, true
	}
	return f.has(account), nil
}

// build reads every record's key: 'E' caip2 0 category 0 address.
func (f *exposedFilter) build(d *DB) error {
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pExpo}, UpperBound: []byte{pExpo + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	var keys []string
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()[1:]
		first, last := indexByte(k, 0), lastIndexByte(k, 0)
		if first < 0 || last == first {
			return fmt.Errorf("exposure store %s: malformed record key %q", d.dir, it.Key())
		}
		keys = append(keys, string(k[:first])+":"+string(k[last+1:])) // CAIP-2 and address hold no NUL

	}
	if err := it.Error(); err != nil {
		return err
	}
	f.seed = maphash.MakeSeed()
	f.bits = make([]uint64, max(16, (len(keys)*10+63)/64))
	for _, k := range keys {
		f.add(k)
	}
	return nil
}

func lastIndexByte(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
