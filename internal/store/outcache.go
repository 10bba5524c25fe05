package store

import "github.com/chainhound/chainhound/internal/chain"

// outPoint names one output of a UTXO chain.
type outPoint struct {
	chain chain.Chain
	tx    chain.Hash
	vout  uint32
}

// cachedOutput is what input resolution needs of an unspent output: its
// address (and the address's id, so interning the input costs no lookup)
// and its value.
type cachedOutput struct {
	addr  chain.Address
	id    uint64
	value int64
}

// outputCache holds recently created, still unspent outputs, as Bitcoin
// Core's dbcache does: most outputs are spent within a few blocks of their
// creation, so most inputs resolve here instead of through the P index.
//
// It only ever mirrors committed state: ApplyBlock adds a block's outputs and
// removes what it spent after its batch committed, and Rollback removes the
// outputs of the blocks it undoes (the outputs they had spent become unspent
// in the store, and resolve from there). An entry therefore never names an
// output the store does not hold unspent; a missing entry only costs a read.
//
// Memory is bounded by two generations of at most max/2 entries each: when
// the young generation is full it becomes the old one and the previous old
// one is dropped, so the oldest unspent outputs leave first.
type outputCache struct {
	max        int // entries; 0 disables the cache
	young, old map[outPoint]cachedOutput
}

func newOutputCache(max int) *outputCache {
	return &outputCache{max: max, young: map[outPoint]cachedOutput{}, old: map[outPoint]cachedOutput{}}
}

func (c *outputCache) get(k outPoint) (cachedOutput, bool) {
	if o, ok := c.young[k]; ok {
		return o, true
	}
	o, ok := c.old[k]
	return o, ok
}

func (c *outputCache) add(k outPoint, o cachedOutput) {
	if c.max <= 0 {
		return
	}
	if len(c.young) >= (c.max+1)/2 {
		c.old, c.young = c.young, make(map[outPoint]cachedOutput, len(c.young))
	}
	delete(c.old, k) // a duplicate txid replaces the older output
	c.young[k] = o
}

func (c *outputCache) remove(k outPoint) {
	delete(c.young, k)
	delete(c.old, k)
}

func (c *outputCache) len() int { return len(c.young) + len(c.old) }

// outputChanges are one block's changes to the output cache, applied only
// once its batch has committed.
type outputChanges struct {
	created []outPoint
	outputs []cachedOutput
	spent   []outPoint
}

func (ch *outputChanges) reset() {
	ch.created, ch.outputs, ch.spent = ch.created[:0], ch.outputs[:0], ch.spent[:0]
}

// apply adds the created outputs, then removes the spent ones: an output
// created and spent within the block must end absent.
func (c *outputCache) apply(ch *outputChanges) {
	for i, k := range ch.created {
		c.add(k, ch.outputs[i])
	}
	for _, k := range ch.spent {
		c.remove(k)
	}
}
