package clustersim

import (
	"fmt"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/cluster/unionfind"
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
	// The whole clustering's pairs by the heuristic that joined them:
	// Cospend the pairs its co-spend merges alone put together, Change
	// those its change merges added on top. Actual is all pairs of one
	// owner in both, so the two recalls add up to the whole's.
	Cospend, Change Pairwise
	// Change merges alone: links made by change detection, and how
	// many joined two addresses of one owner.
	ChangeLinks, ChangeLinksCorrect uint64
	// Change verdicts on the transactions whose change went to a new
	// address: found at all, found right (deferred ones when decided).
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

// score clusters block by block as cluster update does: deferred
// decisions expire at each block's start, and each transaction first
// resolves the deferred transactions it spends from, then is applied.
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
	var cospend []cluster.Link
	change := func(from int) {
		for _, l := range d.Links[from:] {
			rep.ChangeLinks++
			if x.Truth.Owner[addrs[l.A]] == x.Truth.Owner[addrs[l.B]] {
				rep.ChangeLinksCorrect++
			}
		}
	}
	for _, b := range x.Blocks {
		nl := len(d.Links)
		c.Expire(b.Height, &d)
		change(nl) // decisions at a window's end merge change only
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
			nc, nl := len(d.CannotLinks), len(d.Links)
			c.Resolve(tx, b.Height, &d)
			change(nl) // a resolved deferral's merges are change merges
			nl = len(d.Links)
			before := c.Counts.ChangeMerges
			c.ApplyTx(tx, b.Height, t, &d)
			end := len(d.Links)
			if c.Counts.ChangeMerges > before {
				end-- // the change merge comes last
				change(end)
			}
			cospend = append(cospend, d.Links[nl:end]...)
			for _, l := range d.CannotLinks[nc:] {
				rep.CannotLinks++
				if x.Truth.Owner[addrs[l.A]] == x.Truth.Owner[addrs[l.B]] {
					rep.CannotWrong++
				}
			}
		}
	}
	if o.Change.Enabled {
		rep.ChangeTruth = uint64(len(x.Truth.Change))
		for _, f := range d.Found {
			if want, ok := x.Truth.Change[f.Tx]; ok {
				rep.ChangeFound++
				if f.Out == want {
					rep.ChangeRight++
				}
			}
		}
	}
	rep.Counts = c.Counts
	rep.Pairwise = pairwise(func(id uint64) uint64 { return c.EntityOf(id) }, x, addrs)
	f := unionfind.New(len(addrs))
	for _, l := range cospend {
		f.Union(l.A, l.B)
	}
	rep.Cospend = pairwise(func(id uint64) uint64 { return uint64(f.Entity(uint32(id))) }, x, addrs)
	rep.Change = Pairwise{Predicted: rep.Pairwise.Predicted - rep.Cospend.Predicted,
		Correct: rep.Pairwise.Correct - rep.Cospend.Correct, Actual: rep.Pairwise.Actual}
	return rep, c, addrs
}

// pairwise counts pairs per entity, per owner and per (entity, owner).
func pairwise(entity func(uint64) uint64, x *Sim, addrs []string) Pairwise {
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
		e := entity(uint64(n + 1))
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
