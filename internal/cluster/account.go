package cluster

import (
	"fmt"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster/deposit"
	"github.com/chainhound/chainhound/internal/store"
)

// accountModel reports whether chain c keeps balances per account (no
// inputs to co-spend): there, clustering is deposit-address reuse.
func accountModel(c chain.Chain) bool { return c == chain.Ethereum }

// accountTransfers reads block h's ether transfers, top-level and by
// inner calls, as address-id pairs: a deposit address that is a contract
// (the usual kind: a CREATE2 forwarder per customer) is swept by an inner
// call of the exchange's sweep transaction, which only the internal
// transfers show.
func (d *DB) accountTransfers(src Source, h uint64, dst []deposit.Transfer) ([]deposit.Transfer, error) {
	dst = dst[:0]
	q := store.Query{Chain: d.chain, FromBlock: h, ToBlock: h, HasToBlock: true, Kinds: []chain.Kind{chain.KindNative, chain.KindInternal}}
	for row, err := range src.Transfers(q) {
		if err != nil {
			return dst, fmt.Errorf("block %d: transfers: %w", h, err)
		}
		if row.From.None() || row.To.None() {
			continue
		}
		var t deposit.Transfer
		var err error
		if t.From, _, err = src.AddressID(row.From); err == nil {
			t.To, _, err = src.AddressID(row.To)
		}
		if err != nil {
			return dst, fmt.Errorf("block %d tx %s: %w", h, row.TxHash, err)
		}
		t.Amount, t.Tx = row.Amount, row.TxIndex
		dst = append(dst, t)
	}
	return dst, nil
}

// primeDeposits gives a fresh deposit detector the blocks of the window
// before block from, so that it decides as one that saw every block.
func (d *DB) primeDeposits(src Source, from uint64) error {
	if !accountModel(d.chain) || !d.opts.Deposit.Enabled || d.dep != nil {
		return nil
	}
	d.dep = deposit.New(d.opts.Deposit)
	if !d.has {
		return nil
	}
	first, _, err := src.FirstBlock(d.chain)
	if err != nil {
		return err
	}
	start := first
	if w := d.opts.Deposit.WindowBlocks; from > w && from-w > start {
		start = from - w
	}
	var ts []deposit.Transfer
	for h := start; h < from; h++ {
		if ts, err = d.accountTransfers(src, h, ts); err != nil {
			return err
		}
		d.dep.Block(h, ts)
	}
	return nil
}

// applyAccountBlock clusters block h of an account chain: the depositors
// of each deposit address found sweeping are merged.
func (d *DB) applyAccountBlock(src Source, h uint64, hash chain.Hash, sync bool) error {
	r := record{height: h, hash: hash}
	before := d.c.Counts
	var delta Delta
	if d.dep != nil {
		ts, err := d.accountTransfers(src, h, nil)
		if err != nil {
			return err
		}
		for _, f := range d.dep.Block(h, ts) {
			d.c.ApplyForward(f, &delta)
		}
	}
	r.links = delta.Links
	r.counts = d.c.Counts
	r.counts.sub(&before)
	return d.write(&r, delta, sync)
}
