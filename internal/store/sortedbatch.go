package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// sortedBatch collects one block's writes and hands them to a Pebble batch
// in key order. Pebble applies a batch to its memtable skiplist one key at a
// time, starting each search from where the previous key went in; keys in
// order make that search short, where a UTXO block's keys (random txids and
// address ids) would each search the whole skiplist.
//
// Keys and values are copied, so callers may reuse their buffers as they may
// with pebble.Batch.Set. The sort is stable: when a block writes one key
// twice (an output created and spent in the same block), the later write
// comes later in the batch and wins, as it would unsorted.
type sortedBatch struct {
	buf  []byte
	ents []sortedEntry
	tmp  []sortedEntry // scratch of writeTo
}

// sortedEntry locates one write in buf: key buf[off:mid], value buf[mid:end].
// pre and pre2 are the key's first 16 bytes as two big-endian numbers
// (zero-padded), which order almost every pair of keys without looking at
// buf: the first 8 bytes alone tie for all keys of a family keyed by height
// (T c h i: the height's high bytes are zero) and for addresses (a c and
// the address's common prefix).
type sortedEntry struct {
	pre, pre2     uint64
	off, mid, end int
}

// Set records a write of v at k. Its signature is pebble.Batch.Set's.
func (b *sortedBatch) Set(k, v []byte, _ *pebble.WriteOptions) error {
	off := len(b.buf)
	b.buf = append(append(b.buf, k...), v...)
	var pre [16]byte
	copy(pre[:], k)
	b.ents = append(b.ents, sortedEntry{binary.BigEndian.Uint64(pre[:8]), binary.BigEndian.Uint64(pre[8:]), off, off + len(k), len(b.buf)})
	return nil
}

func (b *sortedBatch) compare(x, y *sortedEntry) int {
	if x.pre != y.pre {
		return cmp.Compare(x.pre, y.pre)
	}
	if x.pre2 != y.pre2 {
		return cmp.Compare(x.pre2, y.pre2)
	}
	if c := bytes.Compare(b.buf[x.off:x.mid], b.buf[y.off:y.mid]); c != 0 {
		return c
	}
	return x.off - y.off // equal keys keep their order: the later write wins
}

// writeTo sets the last recorded write of every key in dst, in key order.
// Earlier writes of a key are left out: the last would win anyway, and the
// memtable then holds one version instead of several.
//
// The sort is a most-significant-byte radix sort, stable, so that writes
// of one key keep their order: a block writes its transaction records (T,
// W), new address ids (A) and address index entries (O, I) in key order,
// which costs one counting pass per family, and keys that start with hashes
// (P, H) or addresses (a) spread over the buckets of their first varying
// byte within two or three passes. Small buckets finish by insertion sort.
func (b *sortedBatch) writeTo(dst *pebble.Batch) error {
	b.tmp = slices.Grow(b.tmp[:0], len(b.ents))[:len(b.ents)]
	b.radixSort(b.ents, b.tmp, 0)
	for i := range b.ents {
		e := &b.ents[i]
		k := b.buf[e.off:e.mid]
		if i+1 < len(b.ents) {
			if n := &b.ents[i+1]; n.pre == e.pre && n.pre2 == e.pre2 && bytes.Equal(b.buf[n.off:n.mid], k) {
				continue
			}
		}
		if err := dst.Set(k, b.buf[e.mid:e.end], nil); err != nil {
			return err
		}
	}
	return nil
}

// insertionSortBelow is the bucket size below which radixSort sorts by
// comparisons.
const insertionSortBelow = 24

// radixSort sorts ents, whose keys agree on their first d bytes, by key
// and then by write order (off), using tmp (as long as ents) as scratch.
func (b *sortedBatch) radixSort(ents, tmp []sortedEntry, d int) {
	for {
		if len(ents) < insertionSortBelow {
			b.insertionSort(ents)
			return
		}
		if slices.IsSortedFunc(ents, func(x, y sortedEntry) int { return b.compare(&x, &y) }) {
			return
		}
		// Bucket 0 holds keys that end before byte d (equal to each other,
		// since they agree on their first d bytes), bucket 1+c those whose
		// byte d is c.
		var count [257]int
		for i := range ents {
			count[b.byteAt(&ents[i], d)]++
		}
		if count[0] == len(ents) {
			return // all keys equal: write order is kept
		}
		if single := slices.Index(count[:], len(ents)); single > 0 {
			d++ // every key has the same byte d: look further
			continue
		}
		var start [257]int
		for c := 1; c < len(start); c++ {
			start[c] = start[c-1] + count[c-1]
		}
		pos := start
		for i := range ents {
			c := b.byteAt(&ents[i], d)
			tmp[pos[c]] = ents[i]
			pos[c]++
		}
		copy(ents, tmp)
		for c := 1; c < len(count); c++ {
			if count[c] > 1 {
				lo, hi := start[c], start[c]+count[c]
				b.radixSort(ents[lo:hi], tmp[lo:hi], d+1)
			}
		}
		return
	}
}

// byteAt is the radix bucket of e at byte d: 0 when the key is shorter,
// else 1 plus the byte. The first 16 bytes come from the entry itself.
func (b *sortedBatch) byteAt(e *sortedEntry, d int) int {
	if d >= e.mid-e.off {
		return 0
	}
	switch {
	case d < 8:
		return int(byte(e.pre>>(56-8*d))) + 1
	case d < 16:
		return int(byte(e.pre2>>(56-8*(d-8)))) + 1
	}
	return int(b.buf[e.off+d]) + 1
}

func (b *sortedBatch) insertionSort(ents []sortedEntry) {
	for i := 1; i < len(ents); i++ {
		for j := i; j > 0 && b.compare(&ents[j-1], &ents[j]) > 0; j-- {
			ents[j-1], ents[j] = ents[j], ents[j-1]
		}
	}
}

func (b *sortedBatch) reset() {
	b.buf, b.ents = b.buf[:0], b.ents[:0]
}
