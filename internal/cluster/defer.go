package cluster

import (
	"fmt"
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster/change"
	"github.com/chainhound/chainhound/internal/cluster/unionfind"
)

// Deferral is a transaction whose change only the wallet fingerprint could
// decide (change.NeedsFingerprint): the fingerprint compares the
// transaction's nVersion/nLockTime habit with those of the transactions
// that spend its outputs, which come later. It waits for its outputs'
// spenders, at most Change.FingerprintBlocks blocks after its own, and is
// decided in the block that spends its last output, or, when the window
// ends first, at the start of the block after the window with the
// spenders seen so far. What the decision needs besides the transaction
// itself (read again from the store then) is kept: its fingerprint and
// which outputs were fresh when it was confirmed.
type Deferral struct {
	Height uint64
	Index  uint32
	Tx     chain.Hash
	NOut   uint32
	Print  change.Print
	Fresh  []bool // nil when unknown
}

// Spend is an output of a deferred transaction (the one at Height, Index)
// spent, with the evidence its spender gave: +1 it shares the deferred
// transaction's fingerprint, -1 it does not, 0 none (its fingerprint is
// unknown, or it is a multi-owner CoinJoin, whose fingerprint is the
// coordinator's).
type Spend struct {
	Height uint64
	Index  uint32
	Out    uint32
	Ev     int8
}

// Fetch returns a deferred transaction and its address ids.
type Fetch func(Deferral) (*chain.Tx, TxIDs, error)

type outKey struct {
	tx chain.Hash
	i  uint32
}

type pendingTx struct {
	Deferral
	ev   []int8 // per output: its spender's evidence (0 while unspent)
	left uint32 // outputs not spent yet
	done bool
}

// deferTx starts waiting for tx's spenders.
func (c *Clusterer) deferTx(tx *chain.Tx, height uint64, ids TxIDs, d *Delta) {
	p, _ := change.PrintOf(tx, height, c.Opts.Change.AntiSnipeBlocks) // NeedsFingerprint checked it is known
	def := Deferral{Height: height, Index: tx.Index, Tx: tx.Hash, NOut: uint32(len(tx.Outputs)), Print: p}
	if len(ids.Change.Fresh) == len(tx.Outputs) {
		def.Fresh = slices.Clone(ids.Change.Fresh)
	}
	c.addPending(def)
	c.Counts.Deferred++
	d.Deferred = append(d.Deferred, def)
}

func (c *Clusterer) addPending(def Deferral) *pendingTx {
	if c.pending == nil {
		c.pending = map[outKey]*pendingTx{}
	}
	p := &pendingTx{Deferral: def, ev: make([]int8, def.NOut), left: def.NOut}
	for i := range def.NOut {
		c.pending[outKey{def.Tx, i}] = p
	}
	c.queue = append(c.queue, p)
	return p
}

// Restore gives the clusterer the deferred transactions still waiting, as
// kept on disk: defs in block order, then the spends since of their
// outputs (spends of transactions not among defs are ignored). A
// transaction all of whose outputs were spent was decided then and is not
// waiting.
func (c *Clusterer) Restore(defs []Deferral, spends []Spend) {
	type pos struct {
		h uint64
		i uint32
	}
	at := make(map[pos]*pendingTx, len(defs))
	for _, def := range defs {
		at[pos{def.Height, def.Index}] = c.addPending(def)
	}
	for _, s := range spends {
		p := at[pos{s.Height, s.Index}]
		if p == nil || p.done || s.Out >= p.NOut || c.pending[outKey{p.Tx, s.Out}] != p {
			continue
		}
		delete(c.pending, outKey{p.Tx, s.Out})
		p.ev[s.Out] = s.Ev
		if p.left--; p.left == 0 {
			p.done = true
		}
	}
}

// Pending is the number of deferred transactions still waiting.
func (c *Clusterer) Pending() int {
	n := 0
	for _, p := range c.queue {
		if !p.done {
			n++
		}
	}
	return n
}

func (c *Clusterer) drop(p *pendingTx) {
	p.done = true
	for i := range p.NOut {
		if c.pending[outKey{p.Tx, i}] == p {
			delete(c.pending, outKey{p.Tx, i})
		}
	}
}

// Expire ends the wait of the deferred transactions whose window
// (Change.FingerprintBlocks blocks after their own) closed before block
// height: one whose spenders so far tell its outputs apart (one shares
// its fingerprint, another does not) is decided with them, in block
// height; the others stay undecided. Call it before the block's first
// transaction; decisions are appended to d.
func (c *Clusterer) Expire(height uint64, fetch Fetch, d *Delta) error {
	k := uint64(c.Opts.Change.FingerprintBlocks)
	n := 0
	defer func() { c.queue = c.queue[n:] }()
	for n < len(c.queue) && (c.queue[n].done || c.queue[n].Height+k < height) {
		p := c.queue[n]
		c.queue[n] = nil
		n++
		if p.done {
			continue
		}
		c.drop(p)
		if slices.Contains(p.ev, 1) && slices.Contains(p.ev, -1) {
			c.Counts.DeferLate++
			if err := c.settle(p, height, fetch, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// Resolve records what spender, confirmed at height, says about the
// deferred transactions whose outputs it spends (see Spend) and decides
// those whose last output it spends, under the collapse guard. Call it
// for each transaction of a block, in order, before ApplyTx: the result
// depends only on the blocks up to height.
func (c *Clusterer) Resolve(spender *chain.Tx, height uint64, fetch Fetch, d *Delta) error {
	if len(c.pending) == 0 || spender.Coinbase {
		return nil
	}
	var ready []*pendingTx
	known := 0 // spender's fingerprint: 0 not computed yet, 1 usable, -1 none
	var sp change.Print
	for _, in := range spender.Inputs {
		k := outKey{in.PrevTx, in.PrevIndex}
		p := c.pending[k]
		if p == nil {
			continue
		}
		if known == 0 {
			known = -1
			if pr, ok := change.PrintOf(spender, height, c.Opts.Change.AntiSnipeBlocks); ok && !c.Opts.detect(spender, height).MultiOwner() {
				sp, known = pr, 1
			}
		}
		var ev int8
		if known == 1 {
			ev = -1
			if sp == p.Print {
				ev = 1
			}
		}
		delete(c.pending, k)
		p.ev[in.PrevIndex] = ev
		d.Spent = append(d.Spent, Spend{p.Height, p.Index, in.PrevIndex, ev})
		if p.left--; p.left == 0 {
			p.done = true
			ready = append(ready, p)
		}
	}
	for _, p := range ready {
		if err := c.settle(p, height, fetch, d); err != nil {
			return err
		}
	}
	return nil
}

// settle decides a deferred transaction with its spenders' evidence.
func (c *Clusterer) settle(p *pendingTx, height uint64, fetch Fetch, d *Delta) error {
	tx, ids, err := fetch(p.Deferral)
	if err != nil {
		return fmt.Errorf("deferred transaction %s (block %d): %w", p.Tx, p.Height, err)
	}
	if tx.Hash != p.Tx || len(tx.Outputs) != int(p.NOut) || len(ids.Out) != len(tx.Outputs) || len(ids.In) != len(tx.Inputs) {
		return fmt.Errorf("deferred transaction %s (block %d): %d outputs, deferred with %d", p.Tx, p.Height, len(tx.Outputs), p.NOut)
	}
	in := c.ids[:0]
	for _, id := range ids.In {
		if id == 0 || id > unionfind.MaxID {
			return fmt.Errorf("deferred transaction %s (block %d): an input without an address id", p.Tx, p.Height)
		}
		in = append(in, uint32(id))
	}
	c.ids = in
	ids.Change = change.Features{Fresh: p.Fresh, Fingerprint: p.ev}
	v := change.Classify(tx, ids.Change, &c.Opts.Change)
	c.Counts.DeferResolved++
	if v.Change >= 0 {
		c.Counts.DeferChange++
	}
	c.decide(tx, height, ids, v, d)
	return nil
}
