package trace

import (
	"fmt"
	"math/bits"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// UTXOBackSource is what the backward UTXO tracer reads; *store.DB
// implements it.
type UTXOBackSource interface {
	Tx(c chain.Chain, hash chain.Hash) (store.TxInfo, bool, error)
	IO(c chain.Chain, h uint64, txi uint32) (chain.Tx, bool, error)
}

// TraceUTXOBack follows the value of seeds backward on UTXO chain c: from
// an output to the inputs of the transaction that created it, to the
// outputs those spent, and on, until coinbases (Result.Minted), a bound,
// or a service. The seed's amount is its first Amount
// satoshis (0: all of it).
//
//   - FIFO is exact: an output's satoshis are a range of the transaction's
//     inputs laid end to end, so each input's share is the overlap, and a
//     range of an earlier output goes back as a range;
//   - haircut gives every input the share v_i/V of the amount, rounded by
//     the same cumulative rule as forward (the shares sum to the amount);
//   - poison counts every input whole (it over-approximates).
//
// Flows point the way the value went (From the earlier address, To the
// later); Frontier holds what goes back to outputs created before the
// store's first block, at the address that spent them; Exits the services
// the value came from. Seeded == Frontier + Stopped + Minted + stopped
// exits under FIFO and haircut.
func TraceUTXOBack(src UTXOBackSource, c chain.Chain, m Model, b Bounds, seeds []UTXOSeed) (*Result, error) {
	if m == TIHO {
		return nil, fmt.Errorf("tiho has no backward reading: it picks outputs, not inputs (use fifo or haircut)")
	}
	if _, err := Spread(m, nil, nil); err != nil {
		return nil, err
	}
	t := &utxoBack{src: src, c: c, m: m, b: b, t: newTally()}
	// One request per output and hop: paths that meet at an output are
	// walked once from there (haircut adds their amounts, FIFO keeps their
	// ranges, poison visits an output once at all).
	type req struct {
		spans  [][2]int64 // satoshi ranges [lo, hi) within the output (FIFO); others: one range of the amount
		amount int64
		to     chain.Address // the address the value went on to (for flows)
	}
	level, order := map[Outpoint]*req{}, []Outpoint{}
	visited := map[Outpoint]bool{}
	add := func(m map[Outpoint]*req, ord *[]Outpoint, o Outpoint, lo, n int64, to chain.Address) {
		r := m[o]
		if r == nil {
			r = &req{to: to}
			m[o] = r
			*ord = append(*ord, o)
		}
		r.amount += n
		if t.m == FIFO || len(r.spans) == 0 {
			r.spans = append(r.spans, [2]int64{lo, lo + n})
		} else {
			r.spans[0][1] = r.spans[0][0] + r.amount
		}
	}
	for _, s := range seeds {
		tx, ok, err := t.io(s.Tx)
		if err != nil {
			return nil, fmt.Errorf("seed %s:%d: %w", c.FormatHash(s.Tx), s.Vout, err)
		}
		if !ok || int(s.Vout) >= len(tx.Outputs) {
			return nil, fmt.Errorf("seed %s:%d: the store holds no such %s output", c.FormatHash(s.Tx), s.Vout, c)
		}
		v := tx.Outputs[s.Vout].Value
		amt := s.Amount
		if amt == 0 {
			amt = v
		}
		if amt < 0 || amt > v {
			return nil, fmt.Errorf("seed %s:%d: amount %d, want 0 < amount <= the output's %d", c.FormatHash(s.Tx), s.Vout, s.Amount, v)
		}
		addTo(t.t.seeded, chain.NativeAsset, uint256.NewInt(uint64(amt)))
		t.t.reach(tx.Outputs[s.Vout].Address, 0)
		add(level, &order, s.Outpoint, 0, amt, tx.Outputs[s.Vout].Address)
		visited[s.Outpoint] = true
	}
	for hop := 1; len(order) > 0; hop++ {
		next, nextOrder := map[Outpoint]*req{}, []Outpoint{}
		for _, o := range order {
			r := level[o]
			tx, ok, err := t.io(o.Tx)
			if err != nil {
				return nil, err
			}
			amt := uint256.NewInt(uint64(r.amount))
			if !ok || int(o.Vout) >= len(tx.Outputs) { // created before the store's first block: the origin is as far as it sees
				t.t.hold(r.to, chain.NativeAsset, amt, 0, hop-1)
				continue
			}
			out := tx.Outputs[o.Vout]
			if tx.Coinbase || len(tx.Inputs) == 0 {
				addTo(t.t.minted, chain.NativeAsset, amt)
				continue
			}
			if t.b.MaxHops > 0 && hop > t.b.MaxHops {
				t.t.hold(out.Address, chain.NativeAsset, amt, StopHops, hop-1)
				continue
			}
			if t.b.HasUntil && t.blockOf(o.Tx) < t.b.Until {
				t.t.hold(out.Address, chain.NativeAsset, amt, StopUntil, hop-1)
				continue
			}
			per := make([]int64, len(tx.Inputs))
			var spans [][][2]int64 // per input, FIFO
			if t.m == FIFO {
				spans = make([][][2]int64, len(tx.Inputs))
			}
			for _, sp := range r.spans {
				for i, sh := range t.shares(&tx, int(o.Vout), sp[0], sp[1]) {
					if sh.amount == 0 {
						continue
					}
					per[i] += sh.amount
					if spans != nil {
						spans[i] = append(spans[i], [2]int64{sh.lo, sh.lo + sh.amount})
					}
				}
				if t.m == Poison {
					break // every input whole, once
				}
			}
			for i, v := range per {
				if v == 0 {
					continue
				}
				in := tx.Inputs[i]
				f := Flow{From: in.Address, To: out.Address, Asset: chain.NativeAsset, Kind: chain.KindNative, Amount: *uint256.NewInt(uint64(v)),
					Block: t.blockOf(o.Tx), Tx: o.Tx, Seq: uint32(i), Hop: hop}
				t.t.res.Flows = append(t.t.res.Flows, f)
				t.t.reach(in.Address, hop)
				if svc, ok, stop := t.b.Exits.service(in.Address); ok {
					t.t.exit(svc, stop, f.From, &f, t.b.Exits)
					if stop {
						continue
					}
				}
				if v < t.minAmount() {
					t.t.hold(in.Address, chain.NativeAsset, uint256.NewInt(uint64(v)), StopMinAmount, hop)
					continue
				}
				prev := Outpoint{in.PrevTx, in.PrevIndex}
				if t.m == Poison {
					if visited[prev] {
						continue
					}
					visited[prev] = true
				}
				if spans != nil {
					for _, sp := range spans[i] {
						add(next, &nextOrder, prev, sp[0], sp[1]-sp[0], in.Address)
					}
				} else {
					add(next, &nextOrder, prev, 0, v, in.Address)
				}
			}
		}
		level, order = next, nextOrder
	}
	return t.t.result(), nil
}

type utxoBack struct {
	src   UTXOBackSource
	c     chain.Chain
	m     Model
	b     Bounds
	t     *tally
	where map[chain.Hash]store.TxInfo
}

func (t *utxoBack) minAmount() int64 {
	if t.b.MinAmount.IsUint64() && t.b.MinAmount.Uint64() < 1<<62 {
		return int64(t.b.MinAmount.Uint64())
	}
	return 1 << 62
}

func (t *utxoBack) info(h chain.Hash) (store.TxInfo, bool, error) {
	if t.where == nil {
		t.where = map[chain.Hash]store.TxInfo{}
	}
	if i, ok := t.where[h]; ok {
		return i, true, nil
	}
	i, ok, err := t.src.Tx(t.c, h)
	if err != nil || !ok {
		return i, ok, err
	}
	i.Transfers = nil
	t.where[h] = i
	return i, true, nil
}

func (t *utxoBack) blockOf(h chain.Hash) uint64 {
	i, _, _ := t.info(h)
	return i.Block
}

func (t *utxoBack) io(h chain.Hash) (chain.Tx, bool, error) {
	i, ok, err := t.info(h)
	if err != nil || !ok {
		return chain.Tx{}, ok, err
	}
	return t.src.IO(t.c, i.Block, i.Index)
}

// share is what one input gave to the traced range: amount satoshis,
// starting lo satoshis into the output that input spent (FIFO), or at 0.
type share struct{ lo, amount int64 }

// shares splits the range [lo, hi) of output j over tx's inputs.
func (t *utxoBack) shares(tx *chain.Tx, j int, lo, hi int64) []share {
	out := make([]share, len(tx.Inputs))
	switch t.m {
	case Poison:
		for i, in := range tx.Inputs {
			out[i] = share{0, in.Value}
		}
	case FIFO:
		var start int64
		for k := 0; k < j; k++ {
			start += tx.Outputs[k].Value
		}
		a, b := start+lo, start+hi // the range in the inputs laid end to end
		var at int64
		for i, in := range tx.Inputs {
			s, e := max(a, at), min(b, at+in.Value)
			if s < e {
				out[i] = share{s - at, e - s}
			}
			at += in.Value
		}
	default: // haircut: cumulative shares of the inputs' values, rounded half up
		var total int64
		for _, in := range tx.Inputs {
			total += in.Value
		}
		amt := hi - lo
		var cum, prev int64
		for i, in := range tx.Inputs {
			cum += in.Value
			r := roundShare(cum, amt, total)
			out[i] = share{0, r - prev}
			prev = r
		}
	}
	return out
}

// roundShare is floor((2·c·a + v) / (2·v)): c·a/v rounded half up, exact
// in 128 bits (c, a ≤ v < 2^63).
func roundShare(c, a, v int64) int64 {
	if v == 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(c), uint64(a))
	hi, lo = hi<<1|lo>>63, lo<<1
	lo, carry := bits.Add64(lo, uint64(v), 0)
	hi += carry
	q, _ := bits.Div64(hi, lo, 2*uint64(v))
	return int64(q)
}
