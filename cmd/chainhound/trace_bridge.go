package main

import (
	"context"
	"strconv"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/trace"
)

// crossChain continues a forward trace across the bridge deposits it
// reached: each payout found is traced on its chain, seeded with the
// payout's tainted share, under the same model and bounds (one bridge
// deep: a continued trace is not continued again).
func (t *tracer) crossChain(ctx context.Context, ix *intel.Index, m trace.Model, b trace.Bounds, res *trace.Result, rep *trace.Report, policy trace.Policy, stops []string) error {
	xs, err := trace.Crossings(ctx, t.st, t.c, res)
	if err != nil {
		return err
	}
	for _, x := range xs {
		d, p := &x.Link.Deposit, x.Link.Payout
		rc := trace.ReportCrossing{
			Protocol: d.Protocol, DepositTx: t.c.FormatHash(d.Tx), Vault: d.Vault.String(), DepositAsset: d.Asset.CAIP19(t.caip2),
			DepositAmount: d.Amount.Dec(), Tainted: x.Tainted.Dec(), Memo: d.Memo, DestChain: d.DestChainName, DestAddress: d.DestAddress,
			Seed: x.Seed.Dec(), Confidence: x.Link.Confidence, Why: x.Link.Why,
		}
		if p != nil {
			net, ok, err := t.st.Network(p.Chain)
			if err != nil {
				return err
			}
			if ok {
				rc.DestChain = net.CAIP2
			}
			rc.PayoutTx, rc.PayoutIndex, rc.PayoutAsset, rc.PayoutAmount = p.Chain.FormatHash(p.Tx), p.Index, p.Asset.CAIP19(net.CAIP2), p.Amount.Dec()
			if ok && !x.Seed.IsZero() {
				sub, err := t.continueOn(ix, p.Chain, net.CAIP2, m, b, &x, policy, stops)
				if err != nil { // the crossing stands; only its continuation failed
					t.e.log.Warn("could not continue the trace past a bridge", "deposit", rc.DepositTx, "payout", rc.PayoutTx, "err", err)
					rc.Why += "; the trace could not continue from the payout: " + err.Error()
				}
				rc.Trace = sub
			}
		}
		rep.CrossChain = append(rep.CrossChain, rc)
	}
	return nil
}

func (t *tracer) continueOn(ix *intel.Index, c chain.Chain, caip2 string, m trace.Model, b trace.Bounds, x *trace.Crossing, policy trace.Policy, stops []string) (*trace.Report, error) {
	sub := &tracer{st: t.st, e: t.e, c: c, caip2: caip2}
	var err error
	if b.Exits, err = sub.exits(ix, policy, stops); err != nil {
		return nil, err
	}
	b.HasUntil = false // --until names a block of the first chain
	p := x.Link.Payout
	start := time.Now()
	var res *trace.Result
	seed := trace.ReportSeed{Kind: "bridge payout", Asset: p.Asset.CAIP19(caip2), Amount: x.Seed.Dec(), Block: p.Block}
	if c == chain.Bitcoin {
		if !x.Seed.IsUint64() || x.Seed.Uint64() > 1<<62 {
			return nil, nil
		}
		seed.Seed = c.FormatHash(p.Tx) + ":" + strconv.FormatUint(uint64(p.Index), 10)
		res, err = trace.TraceUTXO(t.st, c, m, b, []trace.UTXOSeed{{Outpoint: trace.Outpoint{Tx: p.Tx, Vout: p.Index}, Amount: int64(x.Seed.Uint64())}})
	} else {
		if m == trace.TIHO {
			m = trace.Haircut // TIHO has no account reading; the payout is followed by haircut
		}
		amt := x.Seed
		seed.Seed = p.Address.String()
		res, err = trace.TraceAccount(t.st, c, m, b, []trace.AccountSeed{{Address: p.Address, FromBlock: p.Block + 1, Asset: p.Asset, Amount: &amt}})
	}
	if err != nil {
		return nil, err
	}
	cur, _, err := t.st.Cursor(c)
	if err != nil {
		return nil, err
	}
	rep := trace.NewReport(c, caip2, m, "forward", []trace.ReportSeed{seed}, b, stops, cur.Height, res, sub.blockTime, time.Since(start))
	return &rep, nil
}
