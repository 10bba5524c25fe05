package store

import (
	"bytes"
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
type sortedEntry struct{ off, mid, end int }

// Set records a write of v at k. Its signature is pebble.Batch.Set's.
func (b *sortedBatch) Set(k, v []byte, _ *pebble.WriteOptions) error {
	off := len(b.buf)
	b.buf = append(append(b.buf, k...), v...)
	b.ents = append(b.ents, sortedEntry{off, off + len(k), len(b.buf)})
	return nil
}

// writeTo sets every recorded write in dst, in key order.
func (b *sortedBatch) writeTo(dst *pebble.Batch) error {
	slices.SortFunc(b.ents, func(x, y sortedEntry) int {
		if c := bytes.Compare(b.buf[x.off:x.mid], b.buf[y.off:y.mid]); c != 0 {
			return c
		}
		return x.off - y.off // equal keys keep their order: the later write wins
	})
	for _, e := range b.ents {
		if err := dst.Set(b.buf[e.off:e.mid], b.buf[e.mid:e.end], nil); err != nil {
			return err
		}
	}
	return nil
}

func (b *sortedBatch) reset() {
	b.buf, b.ents = b.buf[:0], b.ents[:0]
}
