package synth

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/chainhound/chainhound/internal/chain"
)

// GraphConfig shapes a synthetic value-flow graph with a power-law degree
// distribution, for the tracing benchmark (chainhound bench trace).
//
// Counterparties are drawn by rank from a Zipf law: the address of rank r
// is picked with probability proportional to (1+r)^-Exponent, so a few
// hubs (exchanges, bridges, pools) take part in millions of transfers while
// most addresses see a handful. A rank-frequency law with exponent s gives
// a degree distribution P(degree >= k) ~ k^(-1/s): with s = 1.1 the degree
// tail exponent is about 1.9, near the 2.0-2.3 measured on the Bitcoin and
// Ethereum transaction graphs.
type GraphConfig struct {
	Transfers int     // account graph: value transfers (transactions) to generate; UTXO graph: transactions
	Addresses int     // address population (default Transfers/10 account, Transfers UTXO)
	PerBlock  int     // transactions per block (default 1,000 account, 2,500 UTXO)
	Exponent  float64 // Zipf exponent s > 1 (default 1.1)
	Seed      uint64
}

func (c *GraphConfig) defaults(perBlock, perAddress int) {
	if c.Transfers <= 0 {
		c.Transfers = 1_000_000
	}
	if c.Addresses <= 0 {
		c.Addresses = max(1000, c.Transfers/perAddress)
	}
	if c.PerBlock <= 0 {
		c.PerBlock = perBlock
	}
	if c.Exponent <= 1 {
		c.Exponent = 1.1
	}
}

// Hubs is how many top-ranked addresses the generators fund at genesis.
const Hubs = 100

// picker draws counterparties by Zipf rank: rank 0 is the busiest hub.
type picker struct {
	zipf *rand.Zipf
}

func newPicker(rng *rand.Rand, cfg GraphConfig) picker {
	return picker{zipf: rand.NewZipf(rng, cfg.Exponent, 1, uint64(cfg.Addresses-1))}
}

func (p *picker) ranked() int { return int(p.zipf.Uint64()) }

// mix64 is SplitMix64's finaliser: distinct inputs give distinct,
// random-looking outputs, so synthetic hashes spread over the key space as
// real ones do.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// synthHash is a distinct hash for (tag, n): the first word is a bijection
// of n, so no two n collide.
func synthHash(tag, n uint64) chain.Hash {
	var h chain.Hash
	binary.BigEndian.PutUint64(h[0:], mix64(n^tag<<56))
	binary.BigEndian.PutUint64(h[8:], mix64(n+tag))
	binary.BigEndian.PutUint64(h[16:], tag)
	binary.BigEndian.PutUint64(h[24:], n)
	return h
}

// reservoir keeps a uniform sample of k items from a stream (Vitter's
// algorithm R), deterministic given its random source.
type reservoir[T any] struct {
	rng   *rand.Rand
	k     int
	seen  int
	items []T
}

// offer returns the slot the item should go to, or -1.
func (r *reservoir[T]) offer() int {
	r.seen++
	if len(r.items) < r.k {
		var zero T
		r.items = append(r.items, zero)
		return len(r.items) - 1
	}
	if j := r.rng.IntN(r.seen); j < r.k {
		return j
	}
	return -1
}
