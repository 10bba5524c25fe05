package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/trace"
	"github.com/holiman/uint256"
)

// run resolves the seeds on the trace's chain and traces.
func (t *tracer) run(m trace.Model, direction string, b trace.Bounds) (*trace.Result, []trace.ReportSeed, error) {
	if direction == "backward" {
		return t.runBackward(m, b)
	}
	if t.c == chain.Bitcoin {
		seeds, rs, err := t.utxoSeeds()
		if err != nil {
			return nil, nil, err
		}
		snap, err := t.snapshot()
		if err != nil {
			return nil, nil, err
		}
		if snap != nil && snap.utxo != nil {
			res, err := snap.utxo.Trace(t.c, m, b, seeds)
			return res, rs, err
		}
		res, err := trace.TraceUTXO(t.st, t.c, m, b, seeds)
		return res, rs, err
	}
	if m == trace.TIHO {
		return nil, nil, usagef("--model tiho exists for UTXO chains only: an account sends one transfer at a time (use fifo or haircut)")
	}
	seeds, rs, err := t.accountSeeds()
	if err != nil {
		return nil, nil, err
	}
	snap, err := t.snapshot()
	if err != nil {
		return nil, nil, err
	}
	if snap != nil && snap.acct != nil {
		res, err := snap.acct.Trace(t.c, m, b, seeds)
		return res, rs, err
	}
	res, err := trace.TraceAccount(t.st, t.c, m, b, seeds)
	return res, rs, err
}

// snapshot returns the snapshot a forward trace runs over, or nil for the
// store, and records which as the trace's source.
func (t *tracer) snapshot() (*loadedSnapshot, error) {
	if t.snaps == nil {
		return nil, nil
	}
	snap, err := t.snaps.pick(t)
	if snap != nil {
		t.source = snap.source()
	}
	return snap, err
}

func amountText(a *uint256.Int) string {
	if a == nil {
		return ""
	}
	return a.Dec()
}

// accountSeeds: an address is tainted from --from on (all it has, or
// --amount of --asset); a transaction taints what it paid each recipient,
// from the next block on.
func (t *tracer) accountSeeds() ([]trace.AccountSeed, []trace.ReportSeed, error) {
	var seeds []trace.AccountSeed
	var rs []trace.ReportSeed
	type seedKey struct {
		addr  chain.Address
		asset chain.Asset
	}
	at := map[seedKey]string{}
	add := func(s trace.AccountSeed, where string) error {
		k := seedKey{s.Address, s.Asset}
		if s.Amount == nil {
			k.asset = chain.Asset{Kind: 255} // all assets
		}
		if prev, dup := at[k]; dup {
			return usagef("%s: address %s is already seeded by %s", where, s.Address, prev)
		}
		at[k] = where
		seeds = append(seeds, s)
		return nil
	}
	for _, sp := range t.specs {
		if reEVMAddr.MatchString(sp.text) {
			a, err := chain.ParseEVMAddress(sp.text)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", sp.where, err)
			}
			if err := add(trace.AccountSeed{Address: a, FromBlock: t.from, Asset: t.asset, Amount: sp.amount}, sp.where); err != nil {
				return nil, nil, err
			}
			r := trace.ReportSeed{Seed: a.String(), Kind: "address", Amount: amountText(sp.amount), Block: t.from}
			if sp.amount != nil {
				r.Asset = t.asset.CAIP19(t.caip2)
			}
			rs = append(rs, r)
			continue
		}
		h, info, err := t.seedTx(sp)
		if err != nil {
			return nil, nil, err
		}
		// What the transaction paid each recipient, per asset (a drain may
		// pay one address several times).
		var paid []store.Row
		for _, r := range info.Transfers {
			if r.Kind == chain.KindFee || r.Kind == chain.KindBurn || r.To.None() || r.TokenID != nil || r.Amount.IsZero() {
				continue
			}
			if i := slices.IndexFunc(paid, func(p store.Row) bool { return p.To == r.To && p.Asset == r.Asset }); i >= 0 {
				paid[i].Amount.Add(&paid[i].Amount, &r.Amount)
				continue
			}
			paid = append(paid, r)
		}
		if len(paid) == 0 {
			return nil, nil, fmt.Errorf("%s: transaction %s moved no value to any address", sp.where, sp.text)
		}
		if sp.amount != nil && len(paid) != 1 {
			return nil, nil, usagef("%s: an amount applies to a transaction with one payment; %s made %d", sp.where, sp.text, len(paid))
		}
		for _, r := range paid {
			amt := r.Amount
			if sp.amount != nil {
				if sp.amount.Gt(&amt) {
					return nil, nil, usagef("%s: amount %s is more than the %s the transaction paid", sp.where, sp.amount.Dec(), amt.Dec())
				}
				amt = *sp.amount
			}
			s := trace.AccountSeed{Address: r.To, FromBlock: info.Block + 1, Asset: r.Asset, Amount: &amt}
			if err := add(s, sp.where); err != nil {
				return nil, nil, err
			}
			rs = append(rs, trace.ReportSeed{Seed: t.c.FormatHash(h) + " → " + r.To.String(), Kind: "transaction", Asset: r.Asset.CAIP19(t.caip2), Amount: amt.Dec(), Block: info.Block + 1})
		}
	}
	return seeds, rs, nil
}

// utxoSeeds: an output is tainted whole (or --amount of it); a transaction
// taints all its outputs; an address all outputs paying it from --from on.
func (t *tracer) utxoSeeds() ([]trace.UTXOSeed, []trace.ReportSeed, error) {
	var seeds []trace.UTXOSeed
	var rs []trace.ReportSeed
	add := func(o trace.Outpoint, kind string, amount int64, blk uint64) {
		seeds = append(seeds, trace.UTXOSeed{Outpoint: o, Amount: amount})
		r := trace.ReportSeed{Seed: fmt.Sprintf("%s:%d", t.c.FormatHash(o.Tx), o.Vout), Kind: kind, Asset: "native", Block: blk}
		if amount != 0 {
			r.Amount = strconv.FormatInt(amount, 10)
		}
		rs = append(rs, r)
	}
	for _, sp := range t.specs {
		var amount int64
		if sp.amount != nil {
			if !sp.amount.IsUint64() || sp.amount.Uint64() > 1<<62 {
				return nil, nil, usagef("%s: amount %s is more satoshis than exist", sp.where, sp.amount.Dec())
			}
			amount = int64(sp.amount.Uint64())
		}
		if m := reOutpoint.FindStringSubmatch(sp.text); m != nil {
			h, err := chain.ParseHash(m[2])
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", sp.where, err)
			}
			vout, err := strconv.ParseUint(m[3], 10, 32)
			if err != nil {
				return nil, nil, usagef("%s: output index %q: %v", sp.where, m[3], err)
			}
			if _, ok, err := t.st.Spender(t.c, h, uint32(vout)); err != nil {
				return nil, nil, err
			} else if !ok {
				return nil, nil, fmt.Errorf("%s: the store holds no %s output %s:%d", sp.where, t.c, m[2], vout)
			}
			add(trace.Outpoint{Tx: h, Vout: uint32(vout)}, "output", amount, 0)
			continue
		}
		outs, kind, err := t.utxoOutputs(sp)
		if err != nil {
			return nil, nil, err
		}
		if amount != 0 && len(outs) != 1 {
			return nil, nil, usagef("%s: an amount applies to one output; %s names %d (seed one TX:VOUT instead)", sp.where, sp.text, len(outs))
		}
		for _, o := range outs {
			add(o.Outpoint, kind, amount, o.block)
		}
	}
	return seeds, rs, nil
}

type blockOutpoint struct {
	trace.Outpoint
	block uint64
}

// utxoOutputs lists the outputs a transaction or address seed names.
func (t *tracer) utxoOutputs(sp seedSpec) ([]blockOutpoint, string, error) {
	if reHash.MatchString(sp.text) {
		h, err := chain.ParseHash(strings.TrimPrefix(strings.ToLower(sp.text), "0x"))
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", sp.where, err)
		}
		info, ok, err := t.st.Tx(t.c, h)
		if err != nil || !ok {
			if err == nil {
				err = fmt.Errorf("%s: transaction %s is not in the store at %s", sp.where, sp.text, t.st.Dir())
			}
			return nil, "", err
		}
		tx, _, err := t.st.IO(t.c, info.Block, info.Index)
		if err != nil {
			return nil, "", err
		}
		var out []blockOutpoint
		for j, o := range tx.Outputs {
			if !o.Address.None() && o.Value > 0 {
				out = append(out, blockOutpoint{trace.Outpoint{Tx: h, Vout: uint32(j)}, info.Block})
			}
		}
		if len(out) == 0 {
			return nil, "", fmt.Errorf("%s: transaction %s pays no address", sp.where, sp.text)
		}
		return out, "transaction", nil
	}
	a := chain.Address{Chain: t.c, Raw: sp.text}
	if _, ok, err := t.st.AddressID(a); err != nil {
		return nil, "", err
	} else if !ok {
		return nil, "", fmt.Errorf("%s: the store at %s holds no %s transfers of address %q", sp.where, t.st.Dir(), t.c, sp.text)
	}
	outs, err := trace.AddressOutputs(t.st, t.c, a, t.from)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", sp.where, err)
	}
	out := make([]blockOutpoint, len(outs))
	for i, o := range outs {
		out[i] = blockOutpoint{o.Outpoint, o.Block}
	}
	if len(out) == 0 {
		return nil, "", fmt.Errorf("%s: address %s received nothing from block %d on", sp.where, sp.text, t.from)
	}
	return out, "address", nil
}

// seedTx reads the account-chain transaction a seed names.
func (t *tracer) seedTx(sp seedSpec) (chain.Hash, store.TxInfo, error) {
	if !reHash.MatchString(sp.text) {
		return chain.Hash{}, store.TxInfo{}, usagef("%s: %q is neither an Ethereum address (0x and 40 hex digits) nor a transaction hash (0x and 64)", sp.where, sp.text)
	}
	h, err := chain.ParseHash(sp.text)
	if err != nil {
		return h, store.TxInfo{}, fmt.Errorf("%s: %w", sp.where, err)
	}
	info, ok, err := t.st.Tx(t.c, h)
	if err == nil && !ok {
		err = fmt.Errorf("%s: transaction %s is not in the store at %s", sp.where, sp.text, t.st.Dir())
	}
	return h, info, err
}
