package trace

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// AccountState is where a haircut forward trace on an account chain
// stands at the end of a block: every followed address with its balance
// and tainted part per asset, its hop, and whether the trace stopped there.
// ResumeAccount continues from it as if the trace had run through in one
// go, which is what lets screening keep exposure up to date block by
// block instead of re-tracing history (internal/risk).
//
// Only haircut traces have a state: a haircut account is its balance and
// tainted part, while a FIFO account is a queue and a poison account
// remembers taint that its balance no longer shows.
type AccountState struct {
	Block     uint64 // the last block the state covers
	Addresses []TrackedAddress
}

// TrackedAddress is one address an account trace follows.
type TrackedAddress struct {
	Address chain.Address
	Hop     int
	SeedAll bool // an Amount-less seed: everything it receives is tainted
	Stopped bool // a service the trace stopped at: its payments are not followed
	Held    []Held
}

// Held is a balance and its tainted part in one asset.
type Held struct {
	Asset        chain.Asset
	Value, Taint uint256.Int
}

// TraceAccountState is TraceAccount under haircut up to b.Until (which
// it needs), also returning the state at the end of that block.
func TraceAccountState(src AccountSource, c chain.Chain, b Bounds, seeds []AccountSeed) (*Result, *AccountState, error) {
	if !b.HasUntil {
		return nil, nil, errors.New("a trace whose state is kept needs its last block (Bounds.Until)")
	}
	t, err := traceAccount(src, c, Haircut, b, seeds)
	if err != nil {
		return nil, nil, err
	}
	defer t.close()
	return t.t.result(), t.state(), nil
}

// ResumeAccount continues a haircut trace from st (the end of block
// st.Block) to b.Until, under bounds b (those of the trace that made st),
// and returns the flows of the new blocks and the new state. Taint the
// state holds is not listed again: Seeded, Frontier and Reach count only
// what the new blocks changed.
func ResumeAccount(src AccountSource, c chain.Chain, b Bounds, st *AccountState) (*Result, *AccountState, error) {
	if !b.HasUntil || b.Until < st.Block {
		return nil, nil, fmt.Errorf("resume a trace at block %d: the last block to follow must be given and not before it", st.Block)
	}
	t := &accountTracer{src: src, c: c, m: Haircut, b: b, t: newTally(), tracked: map[chain.Address]*tracked{}}
	defer t.close()
	start := pos{st.Block + 1, 0, 0}
	for _, a := range st.Addresses {
		hd, _ := NewHoldings(a.Address, Haircut)
		for _, h := range a.Held {
			if err := hd.Account(h.Asset).Receive(&h.Value, &h.Taint); err != nil {
				return nil, nil, fmt.Errorf("resume %s: %v: %w", a.Address, h.Asset, err)
			}
		}
		addr := a.Address
		q := store.Query{Chain: c, Address: &addr, FromBlock: start.block, ToBlock: b.Until, HasToBlock: true}
		tr := &tracked{addr: addr, hop: a.Hop, start: start, seedAll: a.SeedAll, any: true, h: hd, rows: newPager(src, q)}
		if a.Stopped {
			tr.exit = &Exit{Address: addr, Stopped: true}
		}
		t.tracked[addr] = tr
		if b.Until == st.Block {
			continue
		}
		row, err, ok := tr.rows.next()
		if err != nil {
			return nil, nil, fmt.Errorf("resume %s: %w", addr, err)
		}
		if ok {
			t.queue = append(t.queue, &entry{at: rowPos(&row), tr: tr, row: row})
		}
	}
	if err := t.run(); err != nil {
		return nil, nil, err
	}
	return t.t.result(), t.state(), nil
}

// state is the tracer's state at the end of its last block.
func (t *accountTracer) state() *AccountState {
	st := &AccountState{Block: t.b.Until, Addresses: make([]TrackedAddress, 0, len(t.tracked))}
	for _, tr := range t.tracked {
		a := TrackedAddress{Address: tr.addr, Hop: tr.hop, SeedAll: tr.seedAll, Stopped: tr.exit != nil}
		for asset, acct := range tr.h.byAsset {
			v, taint := acct.Balance()
			if !v.IsZero() {
				a.Held = append(a.Held, Held{Asset: asset, Value: v, Taint: taint})
			}
		}
		slices.SortFunc(a.Held, func(x, y Held) int { return compareAsset(x.Asset, y.Asset) })
		st.Addresses = append(st.Addresses, a)
	}
	slices.SortFunc(st.Addresses, func(x, y TrackedAddress) int { return cmp.Compare(x.Address.Raw, y.Address.Raw) })
	return st
}

// UTXOState is where a forward UTXO trace stands at the end of a block:
// the tainted outputs still unspent then, with their taint and hop. Every
// model has one, since on UTXO chains taint sits in outputs.
type UTXOState struct {
	Block   uint64
	Resting []RestingOutput
}

// RestingOutput is taint in an output the trace left unspent.
type RestingOutput struct {
	Outpoint
	Taint int64
	Hop   int
}

// TraceUTXOState is TraceUTXO up to b.Until (which it needs), also
// returning the state at the end of that block.
func TraceUTXOState(src UTXOSource, c chain.Chain, m Model, b Bounds, seeds []UTXOSeed) (*Result, *UTXOState, error) {
	if !b.HasUntil {
		return nil, nil, errors.New("a trace whose state is kept needs its last block (Bounds.Until)")
	}
	t, err := newUTXOTracer(src, c, m, b)
	if err != nil {
		return nil, nil, err
	}
	if err := t.seed(seeds); err != nil {
		return nil, nil, err
	}
	if err := t.run(); err != nil {
		return nil, nil, err
	}
	return t.t.result(), t.utxoState(), nil
}

// ResumeUTXO continues a UTXO trace from st to b.Until under model m and
// bounds b (those of the trace that made st), with seeds: outputs created
// after st.Block (an address seed's new receipts). It returns the flows of
// the new blocks and the new state; the resting taint is not counted as
// seeded again.
func ResumeUTXO(src UTXOSource, c chain.Chain, m Model, b Bounds, st *UTXOState, seeds []UTXOSeed) (*Result, *UTXOState, error) {
	if !b.HasUntil || b.Until < st.Block {
		return nil, nil, fmt.Errorf("resume a trace at block %d: the last block to follow must be given and not before it", st.Block)
	}
	t, err := newUTXOTracer(src, c, m, b)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range st.Resting {
		sp, ok, err := src.Spender(c, r.Tx, r.Vout)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, fmt.Errorf("resume: output %s:%d is no longer in the store (reorganised away?)", r.Tx, r.Vout)
		}
		t.follow(r.Outpoint, sp, r.Taint, r.Hop)
	}
	if err := t.seed(seeds); err != nil {
		return nil, nil, err
	}
	if err := t.run(); err != nil {
		return nil, nil, err
	}
	return t.t.result(), t.utxoState(), nil
}

func (t *utxoTracer) utxoState() *UTXOState {
	st := &UTXOState{Block: t.b.Until, Resting: slices.Clone(t.resting)}
	slices.SortFunc(st.Resting, func(x, y RestingOutput) int {
		return cmp.Or(cmp.Compare(x.Tx.String(), y.Tx.String()), cmp.Compare(x.Vout, y.Vout))
	})
	return st
}
