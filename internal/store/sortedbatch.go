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
}

// sortedEntry locates one write in buf: key buf[off:mid], value buf[mid:end].
// pre is the key's first 8 bytes as a big-endian number (zero-padded), which
// orders most pairs of keys with one integer comparison.
type sortedEntry struct {
	pre           uint64
	off, mid, end int
}

// Set records a write of v at k. Its signature is pebble.Batch.Set's.
func (b *sortedBatch) Set(k, v []byte, _ *pebble.WriteOptions) error {
	off := len(b.buf)
	b.buf = append(append(b.buf, k...), v...)
	var pre [8]byte
	copy(pre[:], k)
	b.ents = append(b.ents, sortedEntry{binary.BigEndian.Uint64(pre[:]), off, off + len(k), len(b.buf)})
	return nil
}

// writeTo sets the last recorded write of every key in dst, in key order.
// Earlier writes of a key are left out: the last would win anyway, and the
// memtable then holds one version instead of several.
func (b *sortedBatch) writeTo(dst *pebble.Batch) error {
	slices.SortFunc(b.ents, func(x, y sortedEntry) int {
		if x.pre != y.pre {
			return cmp.Compare(x.pre, y.pre)
		}
		if c := bytes.Compare(b.buf[x.off:x.mid], b.buf[y.off:y.mid]); c != 0 {
			return c
		}
		return x.off - y.off // equal keys keep their order: the later write wins
	})
	for i, e := range b.ents {
		k := b.buf[e.off:e.mid]
		if i+1 < len(b.ents) {
			if n := b.ents[i+1]; n.pre == e.pre && bytes.Equal(b.buf[n.off:n.mid], k) {
				continue
			}
		}
		if err := dst.Set(k, b.buf[e.mid:e.end], nil); err != nil {
			return err
		}
	}
	return nil
}

func (b *sortedBatch) reset() {
	b.buf, b.ents = b.buf[:0], b.ents[:0]
}
