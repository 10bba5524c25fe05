package watch

import (
	"context"
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/trace"
)

// caseState is where a case's trace stands on one chain after the last
// block the watcher evaluated: the trace state ResumeAccount or
// ResumeUTXO continues from, the addresses that joined from the other
// chain, and what the rules remember.
type caseState struct {
	Account *trace.AccountState `json:"account,omitempty"`
	UTXO    *trace.UTXOState    `json:"utxo,omitempty"`
	// Joins are addresses that joined the case on this chain: the
	// destinations of bridge deposits the case's taint made on the other
	// chain (memo destinations, payouts).
	Joins []Join `json:"joins,omitempty"`
	// Since is the block time at which the case's taint first reached each
	// address (token_swap's freshness).
	Since map[string]int64 `json:"since,omitempty"`
	// Freezable lists the freezable assets the case's taint was already
	// reported in.
	Freezable []string `json:"freezable,omitempty"`
}

// Join is an address that joined a case from another chain.
type Join struct {
	Address string `json:"address"`
	Hop     int    `json:"hop"`
	From    uint64 `json:"from"` // first block of this chain its receipts are tainted from
	Via     string `json:"via"`  // the deposit transaction on the other chain
	Applied bool   `json:"applied"`
}

func (st *caseState) started() bool { return st != nil && (st.Account != nil || st.UTXO != nil) }

// advance runs case k's trace on chain c up to block h: from its seeds if
// it has no state yet, else resumed from the state. It returns the flows
// of the new blocks (nil when the case has nothing on c yet).
func (w *Watcher) advance(ctx context.Context, k *Case, c chain.Chain, h uint64, st *caseState) (*trace.Result, error) {
	m, _ := trace.ParseModel(k.Model.Value)
	var seeds []chain.Address
	for _, s := range k.Seeds {
		if s.Address.Chain == c {
			seeds = append(seeds, s.Address)
		}
	}
	start, hasStart := k.Start[c.String()]
	if !hasStart {
		start = h
	}
	exits, err := w.exits(c)
	if err != nil {
		return nil, err
	}
	b := trace.Bounds{MaxHops: k.MaxHops, Until: h, HasUntil: true, Exits: exits}
	if !st.started() {
		if h < start || (len(seeds) == 0 && len(st.Joins) == 0) {
			return nil, nil
		}
		return w.traceFresh(c, m, b, seeds, start, st)
	}
	if c == chain.Bitcoin {
		var outs []trace.UTXOSeed
		addrs := seeds
		for i := range st.Joins {
			addrs = append(addrs, chain.Address{Chain: c, Raw: st.Joins[i].Address})
			st.Joins[i].Applied = true
		}
		for _, a := range addrs {
			os, err := trace.AddressOutputs(w.src, c, a, st.UTXO.Block+1)
			if err != nil {
				return nil, err
			}
			for _, o := range os {
				if o.Block <= h {
					outs = append(outs, trace.UTXOSeed{Outpoint: o.Outpoint})
				}
			}
		}
		res, next, err := trace.ResumeUTXO(w.src, c, m, b, st.UTXO, outs)
		if err != nil {
			return nil, err
		}
		st.UTXO = next
		return res, nil
	}
	for i := range st.Joins {
		j := &st.Joins[i]
		if j.Applied {
			continue
		}
		j.Applied = true
		a, err := chain.ParseAddress(c, j.Address)
		if err != nil {
			continue
		}
		at := slices.IndexFunc(st.Account.Addresses, func(t trace.TrackedAddress) bool { return t.Address == a })
		if at >= 0 {
			st.Account.Addresses[at].SeedAll, st.Account.Addresses[at].Stopped = true, false
		} else {
			st.Account.Addresses = append(st.Account.Addresses, trace.TrackedAddress{Address: a, Hop: j.Hop, SeedAll: true})
		}
	}
	res, next, err := trace.ResumeAccount(w.src, c, b, st.Account)
	if err != nil {
		return nil, err
	}
	st.Account = next
	return res, nil
}

// traceFresh starts a case's trace on c: its seeds and joins tainted from
// their first block, followed up to b.Until.
func (w *Watcher) traceFresh(c chain.Chain, m trace.Model, b trace.Bounds, seeds []chain.Address, start uint64, st *caseState) (*trace.Result, error) {
	type from struct {
		a chain.Address
		n uint64
	}
	var all []from
	for _, a := range seeds {
		all = append(all, from{a, start})
	}
	for i := range st.Joins {
		j := &st.Joins[i]
		j.Applied = true
		if a, err := chain.ParseAddress(c, j.Address); err == nil {
			all = append(all, from{a, j.From})
		}
	}
	if c == chain.Bitcoin {
		var outs []trace.UTXOSeed
		for _, f := range all {
			os, err := trace.AddressOutputs(w.src, c, f.a, f.n)
			if err != nil {
				return nil, err
			}
			for _, o := range os {
				if o.Block <= b.Until {
					outs = append(outs, trace.UTXOSeed{Outpoint: o.Outpoint})
				}
			}
		}
		res, next, err := trace.TraceUTXOState(w.src, c, m, b, outs)
		if err != nil {
			return nil, err
		}
		st.UTXO = next
		return res, nil
	}
	var as []trace.AccountSeed
	for _, f := range all {
		as = append(as, trace.AccountSeed{Address: f.a, FromBlock: f.n})
	}
	res, next, err := trace.TraceAccountState(w.src, c, b, as)
	if err != nil {
		return nil, err
	}
	st.Account = next
	return res, nil
}

// exits is the exit policy of chain c's traces: services from the
// attribution index, the trace policy's categories and freezable tokens.
func (w *Watcher) exits(c chain.Chain) (*trace.Exits, error) {
	caip2, err := w.caip2(c)
	if err != nil {
		return nil, err
	}
	p := w.policy
	x, err := p.Exits(caip2, func(cats []string) trace.Services {
		return &trace.IntelServices{Index: w.ix, CAIP2: caip2, Categories: cats, Freezing: p.FreezingVenues}
	}, nil)
	if err != nil {
		return nil, err
	}
	x.SkipRemaining = true // the watcher needs what arrived, not what stayed
	return x, nil
}
