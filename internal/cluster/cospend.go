// Package cluster groups addresses into entities: co-spend (all inputs of
// a transaction have one owner) over a persistent union-find of the
// store's address ids, with CoinJoins left out.
//
// Heuristics live in subpackages (coinjoin); the union-find in unionfind;
// this package applies them to transactions and keeps the result in its
// own Pebble database beside the chain store (see DB).
package cluster

import (
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster/coinjoin"
	"github.com/chainhound/chainhound/internal/cluster/unionfind"
)

// Detector classifies a transaction confirmed at a height.
type Detector func(tx *chain.Tx, height uint64) coinjoin.Kind

// Options decide which transactions link their inputs.
type Options struct {
	// KeepCoinJoins links the inputs of CoinJoins too (GraphSense's "with
	// coinjoin" clustering); the default leaves them apart.
	KeepCoinJoins bool
	// Detect classifies transactions; nil uses coinjoin.Detect with
	// coinjoin.DefaultOptions.
	Detect Detector
}

func (o Options) detect(tx *chain.Tx, h uint64) coinjoin.Kind {
	if o.Detect != nil {
		return o.Detect(tx, h)
	}
	return coinjoin.Detect(tx, h, coinjoin.DefaultOptions)
}

// Link is one merge: two ids whose entities were apart until a transaction
// joined them. The merges of a history form a spanning forest of its
// entities, so replaying them rebuilds the partition.
type Link struct{ A, B uint32 }

// Counts are what clustering saw.
type Counts struct {
	Txs        uint64    // non-coinbase transactions
	MultiInput uint64    // with 2+ distinct input addresses
	CoinJoins  [8]uint64 // by coinjoin.Kind
	Skipped    uint64    // multi-input transactions left unlinked (CoinJoins)
	Merges     uint64    // unions that joined two entities
}

// Clusterer applies co-spend to transactions over a forest.
type Clusterer struct {
	Forest *unionfind.Forest
	Opts   Options
	Counts Counts
	ids    []uint32
}

// New returns a clusterer over an empty forest.
func New(o Options) *Clusterer {
	return &Clusterer{Forest: &unionfind.Forest{}, Opts: o}
}

// Apply links the inputs of tx, confirmed at height, whose address ids are
// inputIDs (0 for an input without a single address, such as bare
// multisig or non-standard scripts: it is left out, as GraphSense leaves
// out inputs with other than one address). It appends the merges made to
// log and returns it with the transaction's kind.
func (c *Clusterer) Apply(tx *chain.Tx, height uint64, inputIDs []uint64, log []Link) (coinjoin.Kind, []Link) {
	if tx.Coinbase {
		return coinjoin.None, log
	}
	c.Counts.Txs++
	ids := c.ids[:0]
	for _, id := range inputIDs {
		if id == 0 || id > unionfind.MaxID {
			continue
		}
		ids = append(ids, uint32(id))
	}
	c.ids = ids
	kind := c.Opts.detect(tx, height)
	c.Counts.CoinJoins[kind]++
	if !distinctAtLeastTwo(ids) {
		return kind, log
	}
	c.Counts.MultiInput++
	if kind.MultiOwner() && !c.Opts.KeepCoinJoins {
		c.Counts.Skipped++
		return kind, log
	}
	hi := ids[0]
	for _, id := range ids[1:] {
		hi = max(hi, id)
	}
	c.Forest.Grow(int(hi) + 1)
	first := ids[0]
	for _, id := range ids[1:] {
		if c.Forest.Union(first, id) {
			c.Counts.Merges++
			log = append(log, Link{first, id})
		}
	}
	return kind, log
}

func distinctAtLeastTwo(ids []uint32) bool {
	if len(ids) < 2 {
		return false
	}
	for _, id := range ids[1:] {
		if id != ids[0] {
			return true
		}
	}
	return false
}

// Replay applies logged merges to the forest.
func (c *Clusterer) Replay(links []Link) {
	for _, l := range links {
		c.Forest.Grow(int(max(l.A, l.B)) + 1)
		if c.Forest.Union(l.A, l.B) {
			c.Counts.Merges++
		}
	}
}
