package trace

import (
	"cmp"
	"container/heap"
	"fmt"
	"math"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// UTXOSource is what the UTXO tracer reads; *store.DB implements it.
type UTXOSource interface {
	// Spender gives an output's address, value and spending input.
	Spender(c chain.Chain, txid chain.Hash, vout uint32) (store.Spend, bool, error)
	// IO gives a transaction's resolved inputs and outputs, in order.
	IO(c chain.Chain, h uint64, txi uint32) (chain.Tx, bool, error)
}

// Outpoint names one output of a UTXO transaction.
type Outpoint struct {
	Tx   chain.Hash
	Vout uint32
}

// UTXOSeed is where a UTXO trace starts: an output and how many of its
// satoshis are tainted (0: the whole output).
type UTXOSeed struct {
	Outpoint
	Amount int64
}

// TraceUTXO follows taint forward from seeds on UTXO chain c under model m
// (FIFO, haircut, TIHO or poison): from each tainted output to the
// transaction that spends it, through the model, to that transaction's
// outputs, and on. Transactions are computed in chain order, so one that
// spends several tainted outputs is computed once with all of them.
func TraceUTXO(src UTXOSource, c chain.Chain, m Model, b Bounds, seeds []UTXOSeed) (*Result, error) {
	t, err := newUTXOTracer(src, c, m, b)
	if err != nil {
		return nil, err
	}
	if err := t.seed(seeds); err != nil {
		return nil, err
	}
	if err := t.run(); err != nil {
		return nil, err
	}
	return t.t.result(), nil
}

func newUTXOTracer(src UTXOSource, c chain.Chain, m Model, b Bounds) (*utxoTracer, error) {
	if _, err := Spread(m, nil, nil); err != nil {
		return nil, err
	}
	t := &utxoTracer{src: src, c: c, m: m, b: b, t: newTally(), byPos: map[txPos]*pendingTx{}, seeds: map[Outpoint]int64{}}
	t.minAmount = math.MaxInt64
	if b.MinAmount.IsUint64() && b.MinAmount.Uint64() <= math.MaxInt64 {
		t.minAmount = int64(b.MinAmount.Uint64())
	}
	return t, nil
}

// run computes the queued transactions in chain order.
func (t *utxoTracer) run() error {
	for t.queue.Len() > 0 {
		p := heap.Pop(&t.queue).(*pendingTx)
		delete(t.byPos, p.pos)
		if err := t.process(p); err != nil {
			return fmt.Errorf("trace %s block %d tx %d: %w", t.c, p.pos.h, p.pos.i, err)
		}
	}
	return nil
}

type txPos struct {
	h uint64
	i uint32
}

// taintedInput is one tainted output waiting for the transaction that
// spends it.
type taintedInput struct {
	addr  chain.Address
	taint int64
	hop   int
}

// pendingTx is a transaction known to spend tainted outputs, keyed by the
// input that spends each.
type pendingTx struct {
	pos    txPos
	inputs map[uint32]taintedInput
	hop    int // the lowest hop among its tainted inputs
}

type txQueue []*pendingTx

func (q txQueue) Len() int { return len(q) }
func (q txQueue) Less(i, j int) bool {
	return cmp.Or(cmp.Compare(q[i].pos.h, q[j].pos.h), cmp.Compare(q[i].pos.i, q[j].pos.i)) < 0
}
func (q txQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *txQueue) Push(x any)   { *q = append(*q, x.(*pendingTx)) }
func (q *txQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

type utxoTracer struct {
	src       UTXOSource
	c         chain.Chain
	m         Model
	b         Bounds
	minAmount int64
	t         *tally
	sp        Spreader
	dst       []int64
	queue     txQueue
	byPos     map[txPos]*pendingTx
	seeds     map[Outpoint]int64 // the taint each seeded output was given
	resting   []RestingOutput    // taint in outputs unspent at the end of the range
	carried   map[Outpoint]int64 // with checkOutputs: the taint given to each output
}

func (t *utxoTracer) seed(seeds []UTXOSeed) error {
	for _, s := range seeds {
		if _, dup := t.seeds[s.Outpoint]; dup {
			return fmt.Errorf("seed %s:%d given twice", s.Tx, s.Vout)
		}
		sp, ok, err := t.src.Spender(t.c, s.Tx, s.Vout)
		if err != nil {
			return fmt.Errorf("seed %s:%d: %w", s.Tx, s.Vout, err)
		}
		if !ok {
			return fmt.Errorf("seed %s:%d: the store holds no such %s output", s.Tx, s.Vout, t.c)
		}
		taint := s.Amount
		if taint == 0 {
			taint = sp.Value
		}
		if taint < 0 || taint > sp.Value {
			return fmt.Errorf("seed %s:%d: amount %d, want 0 < amount <= the output's %d", s.Tx, s.Vout, s.Amount, sp.Value)
		}
		t.seeds[s.Outpoint] = taint
		if err := t.carry(s.Outpoint, sp.Value, taint); err != nil {
			return err
		}
		addTo(t.t.seeded, chain.NativeAsset, uint256.NewInt(uint64(taint)))
		t.follow(s.Outpoint, sp, taint, 0)
	}
	return nil
}

// follow takes taint at output o (described by sp) at hop h to the
// transaction that spends it, or leaves it at the output's address.
func (t *utxoTracer) follow(o Outpoint, sp store.Spend, taint int64, h int) {
	if taint == 0 {
		return
	}
	t.t.reach(sp.Address, h)
	v := uint256.NewInt(uint64(taint))
	switch {
	case taint < t.minAmount:
		t.t.hold(sp.Address, chain.NativeAsset, v, StopMinAmount, h)
	case !sp.Spent:
		t.t.hold(sp.Address, chain.NativeAsset, v, 0, h)
		t.resting = append(t.resting, RestingOutput{o, taint, h})
	case t.b.HasUntil && sp.Height > t.b.Until:
		t.t.hold(sp.Address, chain.NativeAsset, v, StopUntil, h)
		t.resting = append(t.resting, RestingOutput{o, taint, h})
	default:
		pos := txPos{sp.Height, sp.TxIndex}
		p := t.byPos[pos]
		if p == nil {
			p = &pendingTx{pos: pos, inputs: map[uint32]taintedInput{}, hop: h}
			t.byPos[pos] = p
			heap.Push(&t.queue, p)
		}
		in, seen := p.inputs[sp.Input] // set already only for a seed the trace reached
		hop := h
		if seen {
			hop = min(in.hop, h)
		}
		p.inputs[sp.Input] = taintedInput{sp.Address, in.taint + taint, hop}
		p.hop = min(p.hop, h)
	}
}

// process computes one transaction that spends tainted outputs, which are
// all known by now: every output is created before it is spent, and the
// queue pops transactions in chain order.
func (t *utxoTracer) process(p *pendingTx) error {
	hop := p.hop + 1
	if t.b.MaxHops > 0 && hop > t.b.MaxHops {
		for _, in := range p.inputs {
			t.t.hold(in.addr, chain.NativeAsset, uint256.NewInt(uint64(in.taint)), StopHops, in.hop)
		}
		return nil
	}
	tx, ok, err := t.src.IO(t.c, p.pos.h, p.pos.i)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("the output index names it as a spender, but its inputs and outputs are missing: %w", store.ErrCorrupt)
	}
	ins := make([]Coin, len(tx.Inputs))
	first := -1 // the tainted input with the fewest hops (the first of those): the flows come from it
	for k, in := range tx.Inputs {
		ins[k].Value = in.Value
		if ti, ok := p.inputs[uint32(k)]; ok {
			ins[k].Taint = ti.taint
			if first < 0 || ti.hop < p.inputs[uint32(first)].hop {
				first = k
			}
		}
	}
	for k := range p.inputs { // a taint left out here would vanish from the result
		if int(k) >= len(tx.Inputs) {
			return fmt.Errorf("the output index names input %d of %d as a spender: %w", k, len(tx.Inputs), store.ErrCorrupt)
		}
	}
	outs := make([]int64, len(tx.Outputs))
	for j, o := range tx.Outputs {
		outs[j] = o.Value
	}
	if t.dst, err = t.sp.Spread(t.m, ins, outs, t.dst); err != nil {
		return err
	}
	return t.emit(&tx, p.pos, tx.Inputs[first].Address, hop)
}

// emit records the flows of a computed transaction (its taint in t.dst)
// and follows its tainted outputs.
func (t *utxoTracer) emit(tx *chain.Tx, pos txPos, from chain.Address, hop int) error {
	for j, taint := range t.dst {
		if taint == 0 {
			continue
		}
		f := Flow{From: from, Asset: chain.NativeAsset, Kind: chain.KindNative, Amount: *uint256.NewInt(uint64(taint)),
			Block: pos.h, TxIndex: pos.i, Tx: tx.Hash, Seq: uint32(j), Hop: hop}
		switch {
		case j == len(tx.Outputs):
			f.Kind = chain.KindFee
			t.t.sink(chain.KindFee, chain.NativeAsset, &f.Amount)
		case tx.Outputs[j].Address.None():
			f.Kind = chain.KindBurn
			t.t.sink(chain.KindBurn, chain.NativeAsset, &f.Amount)
		default:
			f.To = tx.Outputs[j].Address
			sp, ok, err := t.src.Spender(t.c, tx.Hash, uint32(j))
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("output %d of %s is not in the output index: %w", j, tx.Hash, store.ErrCorrupt)
			}
			// The overlap with a seed comes off first, as for any output:
			// what the output holds is the larger of its seeded and traced
			// taint, never more than its value, and an exit there counts
			// only the taint that arrived beyond the seed's.
			o := Outpoint{tx.Hash, uint32(j)}
			extra := t.reachedSeed(o, taint)
			if err := t.carry(o, sp.Value, extra); err != nil {
				return err
			}
			if t.exit(sp, &f, extra, hop) {
				break
			}
			t.follow(o, sp, extra, hop)
		}
		t.t.res.Flows = append(t.t.res.Flows, f)
	}
	return nil
}

// reachedSeed returns the taint to add to an output the trace reached with
// taint. When the output is also a seed, it already holds the seed's taint
// and ends with the larger of the two, so the seed only added what goes
// beyond the traced taint: Seeded shrinks by the overlap, which keeps
// conservation exact when a seed lies downstream of another.
func (t *utxoTracer) reachedSeed(o Outpoint, taint int64) int64 {
	s, ok := t.seeds[o]
	if !ok {
		return taint
	}
	seeded := t.t.seeded[chain.NativeAsset]
	seeded.Sub(seeded, uint256.NewInt(uint64(min(s, taint))))
	return max(0, taint-s)
}

// exit records taint reaching an attributed service at output f, of
// which extra is what arrived beyond a seed at the output (all of f's
// taint where the output is no seed), and says whether the trace stops
// there. Taint in an output still unspent at the end of the trace's range
// remains at the service. Nothing arrives where a seed there already held
// as much: no exit then (the seed is followed, as any seed at a service).
// No hop bound is tested here: process never computes a transaction past
// Bounds.MaxHops, so every output reaching here is within it.
func (t *utxoTracer) exit(sp store.Spend, f *Flow, extra int64, hop int) bool {
	svc, ok, stop := t.b.Exits.service(sp.Address)
	if !ok || extra == 0 {
		return false
	}
	g := *f
	g.Amount.SetUint64(uint64(extra))
	e := t.t.exit(svc, stop, f.To, &g, t.b.Exits)
	if !sp.Spent || (t.b.HasUntil && sp.Height > t.b.Until) {
		e.Remaining.Add(&e.Remaining, &g.Amount)
	}
	if stop {
		t.t.reach(sp.Address, hop)
	}
	return stop
}

// checkOutputs makes TraceUTXO check that no output is given more taint
// than its value, by its seed and by the trace together (the tests set
// it; it costs a map entry per tainted output).
var checkOutputs bool

// carry adds taint given to output o (of value v) to what it already
// holds, when checkOutputs is set, and refuses more than its value.
func (t *utxoTracer) carry(o Outpoint, v, taint int64) error {
	if !checkOutputs {
		return nil
	}
	if t.carried == nil {
		t.carried = map[Outpoint]int64{}
	}
	t.carried[o] += taint
	if t.carried[o] > v {
		return fmt.Errorf("output %s:%d of value %d carries %d of taint", o.Tx, o.Vout, v, t.carried[o])
	}
	return nil
}
