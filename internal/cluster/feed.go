package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/cockroachdb/pebble/v2"
)

// What a consumer of the clustering (the exposure store's entity figures,
// internal/risk) reads to follow it: the generation (a build starts a new
// one), the clustered blocks with the merges each made, and the partition
// as a whole.

// pGeneration is the key of the generation: 8 random bytes written by
// every build (Create, Build), so that a consumer that followed an
// earlier build can tell it must start over, whatever the blocks say.
const pGeneration = 'B'

func newGeneration() []byte {
	var g [8]byte
	if _, err := rand.Read(g[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return g[:]
}

// Generation identifies the build the database holds: it changes with
// every build from scratch (cluster build), not with updates. A database
// written before generations existed answers "".
func (d *DB) Generation() (string, error) {
	v, closer, err := d.db.Get([]byte{pGeneration})
	if errors.Is(err, pebble.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer closer.Close()
	return hex.EncodeToString(v), nil
}

// Block is one clustered block as a consumer sees it: its height and
// hash, and the merges it made (in order).
type Block struct {
	Height uint64
	Hash   chain.Hash
	Links  []Link
}

// Blocks yields the clustered blocks from height from on, in order.
func (d *DB) Blocks(from uint64) iter.Seq2[Block, error] {
	return func(yield func(Block, error) bool) {
		it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: recordKey(d.chain, from), UpperBound: []byte{pRecord, byte(d.chain) + 1}})
		if err != nil {
			yield(Block{}, err)
			return
		}
		defer it.Close()
		for it.First(); it.Valid(); it.Next() {
			r, err := decodeRecord(it.Key(), it.Value())
			if err != nil {
				yield(Block{}, fmt.Errorf("cluster database %s: %w", d.dir, err))
				return
			}
			if !yield(Block{Height: r.height, Hash: r.hash, Links: r.links}, nil) {
				return
			}
		}
		if err := it.Error(); err != nil {
			yield(Block{}, err)
		}
	}
}

// BlockHash returns the hash of clustered block h, if it is clustered.
func (d *DB) BlockHash(h uint64) (chain.Hash, bool, error) {
	r, ok, err := d.record(h)
	return r.hash, ok, err
}

// EachEntity calls f with every entity of two or more addresses: its id
// (the smallest member) and its members in increasing order. It walks
// the member index (built on first use), so a pass costs O(ids). f must
// not call the clusterer.
func (c *Clusterer) EachEntity(f func(entity uint64, members []uint32) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	fo := c.Forest
	if fo.Len() <= 1 {
		return nil
	}
	if len(c.next) != fo.Len() {
		c.buildMemberIndex()
	}
	var members []uint32
	for i := 1; i < fo.Len(); i++ {
		x := uint32(i)
		if c.next[x] == x || c.next[x] == 0 || fo.Entity(x) != x {
			continue // alone, or not its entity's smallest member
		}
		members = members[:0]
		for y := x; ; {
			members = append(members, y)
			if y = c.next[y]; y == x {
				break
			}
		}
		if err := f(uint64(x), members); err != nil {
			return err
		}
	}
	return nil
}

// writeGeneration starts a new generation in b.
func writeGeneration(b *pebble.Batch) error {
	return b.Set([]byte{pGeneration}, newGeneration(), nil)
}
