package clustersim

import (
	"fmt"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/cluster/change"
)

// Pairwise is a clustering scored against the owners: over all pairs of
// addresses, those put in one entity (Predicted), those of one owner
// (Actual), and both (Correct).
type Pairwise struct {
	Predicted, Actual, Correct uint64
}

// Precision is Correct/Predicted (1 when nothing was predicted).
func (p Pairwise) Precision() float64 {
	if p.Predicted == 0 {
		return 1
	}
	return float64(p.Correct) / float64(p.Predicted)
}

// Recall is Correct/Actual.
func (p Pairwise) Recall() float64 {
	if p.Actual == 0 {
		return 1
	}
	return float64(p.Correct) / float64(p.Actual)
}

func (p Pairwise) String() string {
	return fmt.Sprintf("precision %.5f (%d of %d pairs), recall %.4f (of %d pairs)", p.Precision(), p.Correct, p.Predicted, p.Recall(), p.Actual)
}

// Report scores one clustering of a simulation.
type Report struct {
	Counts   cluster.Counts
	Pairwise Pairwise // the whole clustering
	// Change merges alone: links made by change detection, and how
	// many joined two addresses of one owner.
	ChangeLinks, ChangeLinksCorrect uint64
	// Change verdicts on the transactions whose change went to a new
	// address: found at all, found right.
	ChangeTruth, ChangeFound, ChangeRight uint64
	// Cannot-link pairs recorded, and how many wrongly kept one owner apart.
	CannotLinks, CannotWrong uint64
}

// Score clusters x with o, giving address ids in order of first sight as
// the store does, and scores the result.
func Score(x *Sim, o cluster.Options) Report {
	rep, _, _ := score(x, o)
	return rep
}

// Cluster clusters x with o and returns each address's entity (as the
// smallest address id of its entity, ids in order of first sight).
func Cluster(x *Sim, o cluster.Options) (map[string]uint64, *cluster.Clusterer) {
	_, c, addrs := score(x, o)
	out := make(map[string]uint64, len(addrs))
	for n, a := range addrs[1:] {
		out[a] = c.EntityOf(uint64(n + 1))
	}
	return out, c
}

func score(x *Sim, o cluster.Options) (Report, *cluster.Clusterer, []string) {
	c := cluster.New(o)
	ids := map[string]uint64{}
	addrs := []string{""}
	id := func(a chain.Address) (uint64, bool) {
		if a.None() {
			return 0, false
		}
		if n, ok := ids[a.Raw]; ok {
			return n, false
		}
		ids[a.Raw] = uint64(len(addrs))
		addrs = append(addrs, a.Raw)
		return uint64(len(addrs) - 1), true
	}
	var rep Report
	var d cluster.Delta
	for _, b := range x.Blocks {
		for i := range b.Txs {
			tx := &b.Txs[i]
			var t cluster.TxIDs
			for _, in := range tx.Inputs {
				n, _ := id(in.Address)
				t.In = append(t.In, n)
			}
			for _, out := range tx.Outputs {
				n, fresh := id(out.Address)
				t.Out = append(t.Out, n)
				t.Change.Fresh = append(t.Change.Fresh, fresh)
			}
			before := c.Counts.ChangeMerges
			nc := len(d.CannotLinks)
			c.ApplyTx(tx, b.Height, t, &d)
			if c.Counts.ChangeMerges > before {
				l := d.Links[len(d.Links)-1]
				rep.ChangeLinks++
				if x.Truth.Owner[addrs[l.A]] == x.Truth.Owner[addrs[l.B]] {
					rep.ChangeLinksCorrect++
				}
			}
			for _, l := range d.CannotLinks[nc:] {
				rep.CannotLinks++
				if x.Truth.Owner[addrs[l.A]] == x.Truth.Owner[addrs[l.B]] {
					rep.CannotWrong++
				}
			}
			if want, ok := x.Truth.Change[tx.Hash]; ok && o.Change.Enabled {
				rep.ChangeTruth++
				if v := change.Classify(tx, t.Change, &o.Change); v.Change >= 0 {
					rep.ChangeFound++
					if v.Change == want {
						rep.ChangeRight++
					}
				}
			}
		}
	}
	rep.Counts = c.Counts
	rep.Pairwise = pairwise(c, x, addrs)
	return rep, c, addrs
}

// pairwise counts pairs per entity, per owner and per (entity, owner).
func pairwise(c *cluster.Clusterer, x *Sim, addrs []string) Pairwise {
	type eo struct {
		e uint64
		o int
	}
	byEnt, byOwner, both := map[uint64]uint64{}, map[int]uint64{}, map[eo]uint64{}
	for n, a := range addrs[1:] {
		o := x.Truth.Owner[a]
		if o < 0 {
			continue // miners: one address each, outside the wallets
		}
		e := c.EntityOf(uint64(n + 1))
		byEnt[e]++
		byOwner[o]++
		both[eo{e, o}]++
	}
	pairs := func(n uint64) uint64 { return n * (n - 1) / 2 }
	var p Pairwise
	for _, n := range byEnt {
		p.Predicted += pairs(n)
	}
	for _, n := range byOwner {
		p.Actual += pairs(n)
	}
	for _, n := range both {
		p.Correct += pairs(n)
	}
	return p
}
