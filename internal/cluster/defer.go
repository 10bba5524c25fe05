package cluster

import (
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster/change"
)

// Deferral is a transaction whose change only the wallet fingerprint could
// decide (change.NeedsFingerprint): the fingerprint compares the
// transaction's nVersion/nLockTime habit with those of the transactions
// that spend its outputs, which come later. It waits for its outputs'
// spenders, at most Change.FingerprintBlocks blocks after its own, and is
// decided in the block that spends its last output, or, when the window
// ends first, at the start of the block after the window with the
// spenders seen so far. What the decision needs is kept, so that it does
// not read the transaction again: its fingerprint, its outputs' scores on
// the other heuristics (change.Decide adds the fingerprint's), the
// address ids of its outputs and of its first input (the entity change
// joins).
type Deferral struct {
	Height uint64
	Index  uint32
	Tx     chain.Hash
	Print  change.Print
	Anchor uint32    // the first input's address id
	Out    []uint32  // the outputs' address ids
	Scores []float64 // the outputs' scores without the fingerprint
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

// spentNone marks an output in pendingTx.ev spent without evidence.
const spentNone = 2

type pendingTx struct {
	Deferral
	ev   []int8 // per output: 0 unspent; else its spender's evidence (spentNone for none)
	left uint32 // outputs not spent yet
	done bool
}

// deferTx starts waiting for tx's spenders; v is its verdict without the
// fingerprint, in its inputs' ids (all known).
func (c *Clusterer) deferTx(tx *chain.Tx, height uint64, anchor uint32, out []uint32, v change.Verdict, d *Delta) {
	p, _ := change.PrintOf(tx, height, c.Opts.Change.AntiSnipeBlocks) // the caller checked it is known
	def := Deferral{Height: height, Index: tx.Index, Tx: tx.Hash, Print: p, Anchor: anchor, Out: slices.Clone(out), Scores: v.Scores}
	c.addPending(def)
	c.Counts.Deferred++
	d.Deferred = append(d.Deferred, def)
}

func (c *Clusterer) addPending(def Deferral) *pendingTx {
	if c.pending == nil {
		c.pending = map[chain.Hash]*pendingTx{}
	}
	p := &pendingTx{Deferral: def, ev: make([]int8, len(def.Out)), left: uint32(len(def.Out))}
	c.pending[def.Tx] = p
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
		if p := at[pos{s.Height, s.Index}]; p != nil && !p.done && int(s.Out) < len(p.ev) && p.ev[s.Out] == 0 {
			c.spend(p, s.Out, s.Ev)
		}
	}
}

// spend records output i of p spent with evidence ev, and reports
// whether that was p's last unspent output.
func (c *Clusterer) spend(p *pendingTx, i uint32, ev int8) bool {
	if ev == 0 {
		ev = spentNone
	}
	p.ev[i] = ev
	if p.left--; p.left > 0 {
		return false
	}
	c.drop(p)
	return true
}

// Pending is the number of deferred transactions still waiting.
func (c *Clusterer) Pending() int { return len(c.pending) }

func (c *Clusterer) drop(p *pendingTx) {
	p.done = true
	if c.pending[p.Tx] == p {
		delete(c.pending, p.Tx)
	}
}

// Expire ends the wait of the deferred transactions whose window
// (Change.FingerprintBlocks blocks after their own) closed before block
// height: one whose spenders so far tell its outputs apart (one shares
// its fingerprint, another does not) is decided with them, in block
// height; the others stay undecided. Call it before the block's first
// transaction; decisions are appended to d.
func (c *Clusterer) Expire(height uint64, d *Delta) {
	k := uint64(c.Opts.Change.FingerprintBlocks)
	n := 0
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
			c.settle(p, height, d)
		}
	}
	c.queue = c.queue[n:]
}

// Resolve records what spender, confirmed at height, says about the
// deferred transactions whose outputs it spends (see Spend) and decides
// those whose last output it spends, under the collapse guard. Call it
// for each transaction of a block, in order, before ApplyTx: the result
// depends only on the blocks up to height.
func (c *Clusterer) Resolve(spender *chain.Tx, height uint64, d *Delta) {
	if len(c.pending) == 0 || spender.Coinbase {
		return
	}
	var ready []*pendingTx
	known := 0 // spender's fingerprint: 0 not computed yet, 1 usable, -1 none
	var sp change.Print
	for _, in := range spender.Inputs {
		p := c.pending[in.PrevTx]
		if p == nil || int(in.PrevIndex) >= len(p.ev) || p.ev[in.PrevIndex] != 0 {
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
		d.Spent = append(d.Spent, Spend{p.Height, p.Index, in.PrevIndex, ev})
		if c.spend(p, in.PrevIndex, ev) {
			ready = append(ready, p)
		}
	}
	for _, p := range ready {
		c.settle(p, height, d)
	}
}

// settle decides a deferred transaction with its spenders' evidence.
func (c *Clusterer) settle(p *pendingTx, height uint64, d *Delta) {
	fp := make([]int8, len(p.ev))
	for i, e := range p.ev {
		if e != spentNone {
			fp[i] = e
		}
	}
	v := change.Decide(p.Scores, fp, &c.Opts.Change)
	c.Counts.DeferResolved++
	if v.Change >= 0 {
		c.Counts.DeferChange++
	}
	c.decide(p.Tx, height, p.Anchor, p.Out, v, d)
}
