package main

import (
	"fmt"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/trace"
)

// runBackward traces where the seeds' value came from. An address seed is
// what it holds at the end of block t.at; a transaction seed is what each
// of its payments carried; a Bitcoin seed is its outputs.
func (t *tracer) runBackward(m trace.Model, b trace.Bounds) (*trace.Result, []trace.ReportSeed, error) {
	if m == trace.TIHO {
		return nil, nil, usagef("--model tiho has no backward reading (use fifo or haircut)")
	}
	if t.c == chain.Bitcoin {
		seeds, rs, err := t.utxoSeeds()
		if err != nil {
			return nil, nil, err
		}
		res, err := trace.TraceUTXOBack(t.st, t.c, m, b, seeds)
		return res, rs, err
	}
	var seeds []trace.AccountBackSeed
	var rs []trace.ReportSeed
	for _, sp := range t.specs {
		if reEVMAddr.MatchString(sp.text) {
			a, err := chain.ParseEVMAddress(sp.text)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", sp.where, err)
			}
			if _, ok, err := t.st.AddressID(a); err != nil {
				return nil, nil, err
			} else if !ok {
				return nil, nil, fmt.Errorf("%s: the store at %s holds no %s transfers of address %s", sp.where, t.st.Dir(), t.c, a)
			}
			seeds = append(seeds, trace.AccountBackSeed{Address: a, Asset: t.asset, At: t.at, Amount: sp.amount})
			rs = append(rs, trace.ReportSeed{Seed: a.String(), Kind: "address", Asset: t.asset.CAIP19(t.caip2), Amount: amountText(sp.amount), Block: t.at})
			continue
		}
		h, info, err := t.seedTx(sp)
		if err != nil {
			return nil, nil, err
		}
		n := 0
		for _, r := range info.Transfers {
			if r.From.None() || r.TokenID != nil || r.Amount.IsZero() || r.Kind == chain.KindFee || r.Kind == chain.KindBurn {
				continue
			}
			n++
			seeds = append(seeds, trace.AccountBackSeed{Address: r.From, Asset: r.Asset, Amount: sp.amount,
				Send: &trace.TransferRef{Block: r.Block, TxIndex: r.TxIndex, Seq: r.Seq}})
			rs = append(rs, trace.ReportSeed{Seed: fmt.Sprintf("%s/%d %s → %s", t.c.FormatHash(h), r.Seq, r.From, r.To), Kind: "transaction",
				Asset: r.Asset.CAIP19(t.caip2), Amount: amountText(sp.amount), Block: r.Block})
		}
		if n == 0 {
			return nil, nil, fmt.Errorf("%s: transaction %s moved no value", sp.where, sp.text)
		}
		if sp.amount != nil && n != 1 {
			return nil, nil, usagef("%s: an amount applies to a transaction with one payment; %s made %d", sp.where, sp.text, n)
		}
	}
	res, err := trace.TraceAccountBack(t.st, t.c, m, b, seeds)
	return res, rs, err
}
