// Package cluster groups addresses into entities: co-spend (all inputs of
// a transaction have one owner) over a persistent union-find of the
// store's address ids, with CoinJoins left out.
//
// Heuristics live in subpackages (coinjoin); the union-find in unionfind;
// this package applies them to transactions and keeps the result in its
// own Pebble database beside the chain store (see DB).
package cluster

import (
	"slices"

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
	// Services names the service each tagged address id belongs to (an
	// exchange, a mixer...). A transaction whose inputs' entities carry
	// two different service names links nothing: it is refused, counted
	// and kept in Clusterer.Refusals, whatever else it looks like. This
	// is the collapse guard's first half (the other, cannot-link pairs
	// from change detection, is not built yet).
	Services map[uint32]string
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
	Refused    uint64    // multi-input transactions that would join two services
}

// Refusal is a transaction the service guard kept from linking.
type Refusal struct {
	Height   uint64
	Tx       chain.Hash
	Services []string // the distinct service names its inputs' entities carry
}

// Clusterer applies co-spend to transactions over a forest.
type Clusterer struct {
	Forest   *unionfind.Forest
	Opts     Options
	Counts   Counts
	Refusals []Refusal // since the clusterer was made (not persisted)
	ids      []uint32
	service  map[uint32]string // root -> service name, for entities holding a tagged address
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
	name, ok := c.guard(ids)
	if !ok {
		c.Counts.Refused++
		c.Refusals = append(c.Refusals, Refusal{Height: height, Tx: tx.Hash, Services: c.servicesOf(ids)})
		return kind, log
	}
	first := ids[0]
	for _, id := range ids[1:] {
		if c.Forest.Union(first, id) {
			c.Counts.Merges++
			log = append(log, Link{first, id})
		}
	}
	if name != "" {
		c.service[c.Forest.Find(first)] = name
	}
	return kind, log
}

// guard returns the one service name the entities of ids carry ("" for
// none), or false when they carry two or more.
func (c *Clusterer) guard(ids []uint32) (string, bool) {
	if c.Opts.Services == nil {
		return "", true
	}
	if c.service == nil {
		c.relabel()
	}
	name := ""
	for _, id := range ids {
		n := c.service[c.Forest.Find(id)]
		if n == "" {
			n = c.Opts.Services[id] // a tagged id beyond the forest when relabelled
		}
		switch {
		case n == "" || n == name:
		case name == "":
			name = n
		default:
			return "", false
		}
	}
	return name, true
}

func (c *Clusterer) servicesOf(ids []uint32) []string {
	var out []string
	for _, id := range ids {
		n := c.service[c.Forest.Find(id)]
		if n == "" {
			n = c.Opts.Services[id]
		}
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// relabel computes each entity's service from the tagged ids. An entity
// already holding two services (merged before the tags were known) keeps
// the name of its smallest tagged id; Conflicts reports such entities.
func (c *Clusterer) relabel() {
	c.service = map[uint32]string{}
	ids := make([]uint32, 0, len(c.Opts.Services))
	for id := range c.Opts.Services {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if int(id) >= c.Forest.Len() {
			continue
		}
		r := c.Forest.Find(id)
		if _, ok := c.service[r]; !ok {
			c.service[r] = c.Opts.Services[id]
		}
	}
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
	c.service = nil // recomputed on the next guarded transaction
	for _, l := range links {
		c.Forest.Grow(int(max(l.A, l.B)) + 1)
		if c.Forest.Union(l.A, l.B) {
			c.Counts.Merges++
		}
	}
}
