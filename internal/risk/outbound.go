package risk

import (
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/trace"
	"github.com/holiman/uint256"
)

// outbound traces where the address's funds went, at request time: a
// haircut trace from the address (everything it received is its own),
// over the hops, stopping at services as a trace does; each category's
// exposure is the taint that reached its addresses, as a share of what
// the trace seeded (all the address received).
func (s *Screener) outbound(r *Result, c chain.Chain, caip2, addr string, hops int) error {
	a, err := chain.ParseAddress(c, addr)
	if err != nil {
		return &AddressError{Err: err}
	}
	first, _, err := s.Store.FirstBlock(c)
	if err != nil {
		return err
	}
	exits, err := trace.DefaultPolicy().Exits(caip2, func(cats []string) trace.Services {
		return &trace.IntelServices{Index: s.Index, CAIP2: caip2, Categories: cats, Freezing: trace.DefaultPolicy().FreezingVenues}
	}, nil)
	if err != nil {
		return err
	}
	exits.SkipRemaining = true
	cur, ok, err := s.Store.Cursor(c)
	if err != nil || !ok {
		return err
	}
	// The trace reads the store page by page: pin its end to the cursor
	// now, so that blocks ingested meanwhile do not enter half way.
	b := trace.Bounds{MaxHops: hops, Exits: exits, Until: cur.Height, HasUntil: true}
	var res *trace.Result
	if c == chain.Bitcoin {
		outs, err := trace.AddressOutputs(s.Store, c, a, first)
		if err != nil {
			return err
		}
		if len(outs) == 0 {
			return nil
		}
		seeds := make([]trace.UTXOSeed, len(outs))
		for i, o := range outs {
			seeds[i] = trace.UTXOSeed{Outpoint: o.Outpoint}
		}
		res, err = trace.TraceUTXO(s.Store, c, trace.Haircut, b, seeds)
		if err != nil {
			return err
		}
	} else {
		if ok, err := addressKnown(s.Store, a); err != nil || !ok {
			return err
		}
		res, err = trace.TraceAccount(s.Store, c, trace.Haircut, b, []trace.AccountSeed{{Address: a, FromBlock: first}})
		if err != nil {
			return err
		}
	}
	seeded := totals{}
	for _, v := range res.Seeded {
		addAmount(seeded, v.Asset.CAIP19(caip2), &v.Amount)
	}
	// The explaining path: the largest flow into each address at its
	// fewest hop, as the exposure store keeps it.
	w := &writer{c: c, caip2: caip2, maxHops: hops, fresh: true, recs: map[string]*record{}}
	if err := w.add(res.Flows); err != nil {
		return err
	}
	for i := range s.Policy.Categories {
		cat := &s.Policy.Categories[i]
		e := Exposure{Category: cat.Name, Direction: "out", Path: []Step{}}
		byAsset := map[string][]uint256.Int{}
		var ends []string
		for j := range res.Flows {
			f := &res.Flows[j]
			if f.Swap || f.Kind == chain.KindFee || f.Kind == chain.KindBurn || f.To.None() || f.Hop < 1 || f.Hop > hops || f.To == a {
				continue
			}
			// Taint is counted where it first reaches the category: what a
			// category address passes on to another was counted already.
			if !s.inCategory(caip2, f.To.String(), cat) || s.inCategory(caip2, f.From.String(), cat) {
				continue
			}
			asset := f.Asset.CAIP19(caip2)
			if byAsset[asset] == nil {
				byAsset[asset] = make([]uint256.Int, hops)
			}
			byAsset[asset][f.Hop-1].Add(&byAsset[asset][f.Hop-1], &f.Amount)
			if e.Hops == 0 || f.Hop < e.Hops {
				e.Hops = f.Hop
			}
			ends = append(ends, f.To.String())
		}
		if len(byAsset) == 0 {
			continue
		}
		assets := make([]string, 0, len(byAsset))
		for k := range byAsset {
			assets = append(assets, k)
		}
		slices.Sort(assets)
		for _, asset := range assets {
			hs := make([]string, hops)
			for h := range hs {
				hs[h] = byAsset[asset][h].Dec()
			}
			ae := assetExposure(asset, hs, seeded[asset])
			e.Amounts = append(e.Amounts, ae.AssetExposure)
			e.Share = max(e.Share, ae.Share)
			e.EffectiveShare = max(e.EffectiveShare, ae.decayed(s.Policy.HopDecay))
		}
		// the path to the category address reached at the fewest hop
		best := ends[0]
		for _, x := range ends {
			if w.recs[x].Hop < w.recs[best].Hop {
				best = x
			}
		}
		if e.Path, err = explain(w.recs[best], func(addr string) (*record, error) { return w.recs[addr], nil }); err != nil {
			return err
		}
		e.Severity = cat.grade(e.EffectiveShare)
		r.Indirect = append(r.Indirect, e)
	}
	return nil
}

// inCategory reports whether an address has a tag in the category.
func (s *Screener) inCategory(caip2, addr string, cat *Category) bool {
	for _, t := range s.Index.Tags(intel.Subject(caip2 + ":" + addr)) {
		if slices.Contains(cat.Tags, t.Category) {
			return true
		}
	}
	return false
}
