package trace

import (
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// Path is a chain of flows from a trace's seed to an address; its Value is
// the least amount along it (what the path can have carried end to end).
type Path struct {
	Flows []Flow
	Value uint256.Int
}

// maxPathSteps bounds the path search: the number of flows it may try.
const maxPathSteps = 2_000_000

// Paths returns up to k paths through the flows of a forward trace from
// the seed address from to the address to, widest first. A path follows
// taint: each flow leaves the address the previous one reached, later in
// the chain; no address repeats (the trace's hop bound bounds its length). The search works back
// from to and gives up after a bounded number of steps, keeping the best
// found (complete reports whether it finished).
func Paths(r *Result, from, to chain.Address, k int) (paths []Path, complete bool) {
	into := map[chain.Address][]int{}
	for i, f := range r.Flows {
		if !f.To.None() && f.Amount.Sign() > 0 {
			into[f.To] = append(into[f.To], i)
		}
	}
	for _, is := range into { // widest first, so good paths are found early
		slices.SortFunc(is, func(a, b int) int { return r.Flows[b].Amount.Cmp(&r.Flows[a].Amount) })
	}
	steps := 0
	var stack []int
	on := map[chain.Address]bool{to: true}
	var walk func(at chain.Address, before Flow, width *uint256.Int)
	walk = func(at chain.Address, before Flow, width *uint256.Int) {
		if at == from && len(stack) > 0 {
			p := Path{Value: *width}
			for i := len(stack) - 1; i >= 0; i-- {
				p.Flows = append(p.Flows, r.Flows[stack[i]])
			}
			paths = append(paths, p)
			slices.SortStableFunc(paths, func(a, b Path) int { return b.Value.Cmp(&a.Value) })
			if len(paths) > k {
				paths = paths[:k]
			}
			return
		}
		for _, i := range into[at] {
			if steps++; steps > maxPathSteps {
				return
			}
			f := &r.Flows[i]
			if len(stack) > 0 && !earlier(f, &before) {
				continue
			}
			w := f.Amount
			if len(stack) > 0 && width.Lt(&w) {
				w = *width
			}
			if len(paths) == k && !w.Gt(&paths[k-1].Value) {
				continue // cannot beat the k-th best (flows are widest first)
			}
			if on[f.From] {
				continue
			}
			stack = append(stack, i)
			on[f.From] = true
			walk(f.From, *f, &w)
			delete(on, f.From)
			stack = stack[:len(stack)-1]
		}
	}
	if from != to {
		walk(to, Flow{}, new(uint256.Int))
	}
	return paths, steps <= maxPathSteps
}

// earlier reports whether flow a comes before b in the chain.
func earlier(a, b *Flow) bool {
	return pos{a.Block, a.TxIndex, a.Seq}.cmp(pos{b.Block, b.TxIndex, b.Seq}) < 0
}
