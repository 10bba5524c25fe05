package trace

import (
	"container/heap"
	"errors"
	"fmt"
	"math"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// The fast path of a forward UTXO trace over a UTXOSnapshot: TraceUTXO's
// walk (tainted outputs to the transactions spending them, computed in
// chain order) on the snapshot's arrays, with transactions, outputs and
// addresses as indexes instead of hashes and strings, no chain.Tx built
// per transaction, and flows kept compact until FastResult.Result. It
// gives TraceUTXO's Result, exits included: an output address's service is
// looked up once, when taint first reaches it, and kept by address id.

type fastIn struct {
	k     uint32 // input index
	addr  uint32
	taint int64
	hop   int32
}

type fastPending struct {
	ins []fastIn
	hop int32
}

type txHeap []uint32

func (q txHeap) Len() int           { return len(q) }
func (q txHeap) Less(i, j int) bool { return q[i] < q[j] }
func (q txHeap) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *txHeap) Push(x any)        { *q = append(*q, x.(uint32)) }
func (q *txHeap) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

type fastUTXO struct {
	s         *UTXOSnapshot
	m         Model
	b         Bounds
	stop      func() bool
	minAmount int64
	pending   map[uint32]*fastPending // by transaction
	queue     txHeap
	seeds     map[uint32]int64 // seeded outputs (by output index) and their taint
	seeded    uint256.Int
	fees      uint256.Int
	burns     uint256.Int
	hopOf     map[uint32]int32 // address id -> 1 + fewest hops
	reach     []uint32
	stopped   map[utxoHoldKey]*fastHold
	frontier  map[uint32]*fastHold // taint in unspent outputs, by address
	flows     flowLog
	sp        Spreader
	coins     []Coin
	outs, dst []int64
	edges     int64

	x     *Exits                // Bounds.Exits when it has services, else nil
	svcOf []uint8               // by address id: 0 not looked up, svcNone, svcSome (in svcs)
	svcs  map[uint32]*fastUExit // services taint reached, by address id
}

const (
	svcNone = 1 + iota
	svcSome
)

// fastUExit is a service on a UTXO chain and the taint that reached it
// (tally.exit; the asset is always the native coin).
type fastUExit struct {
	svc               Service
	stop              bool // the trace stops there (Exits.Stop)
	seen              bool // taint arrived: an exit
	stopped           bool
	tx                uint32 // the first arrival
	hop               int32  // the fewest hops of an arrival
	amount, remaining uint256.Int
	followed          uint256.Int // the part of amount not stopped there (Exit.Followed)
}

// Trace runs a forward trace on the snapshot's chain: the fast path when
// it applies (FastTrace), else TraceUTXO over the snapshot. Either gives
// the same Result.
func (s *UTXOSnapshot) Trace(c chain.Chain, m Model, b Bounds, seeds []UTXOSeed) (*Result, error) {
	if c == s.c {
		if r, err := s.FastTrace(m, b, seeds, FastOptions{}); err == nil {
			return r.Result(), nil
		}
	}
	return TraceUTXO(s, c, m, b, seeds)
}

// FastTrace runs the fast path of a forward UTXO trace, exits included.
// It fails with an error for which IsNotFast holds where TraceUTXO would
// fail; TraceUTXO then gives the answer, or the error, itself. Stopped by o.Stop, it returns ErrStopped
// with a FastResult that holds only the count of what it did.
func (s *UTXOSnapshot) FastTrace(m Model, b Bounds, seeds []UTXOSeed, o FastOptions) (*FastResult, error) {
	t, err := s.fastTrace(m, b, seeds, o)
	switch {
	case errors.Is(err, errStopped):
		return &FastResult{Edges: t.edges}, err // what it did before the stop
	case err != nil:
		return nil, fmt.Errorf("%w: %w", errNotFast, err)
	}
	return &FastResult{Edges: t.edges, utxo: t}, nil
}

func (s *UTXOSnapshot) fastTrace(m Model, b Bounds, seeds []UTXOSeed, o FastOptions) (*fastUTXO, error) {
	if _, err := Spread(m, nil, nil); err != nil {
		return nil, err
	}
	t := &fastUTXO{s: s, m: m, b: b, stop: o.Stop, minAmount: math.MaxInt64, pending: map[uint32]*fastPending{},
		seeds: map[uint32]int64{}, hopOf: map[uint32]int32{}, stopped: map[utxoHoldKey]*fastHold{}, frontier: map[uint32]*fastHold{}}
	if b.Exits != nil && b.Exits.Services != nil {
		t.x, t.svcOf, t.svcs = b.Exits, make([]uint8, len(s.addrs)), map[uint32]*fastUExit{}
	}
	if b.MinAmount.IsUint64() && b.MinAmount.Uint64() <= math.MaxInt64 {
		t.minAmount = int64(b.MinAmount.Uint64())
	}
	for _, sd := range seeds {
		n, ok := s.byHash[sd.Tx]
		if !ok || int(sd.Vout) >= s.outCount(n) {
			return nil, errors.New("no such output")
		}
		o := s.txs[n].out0 + sd.Vout
		if _, dup := t.seeds[o]; dup {
			return nil, errors.New("seed given twice")
		}
		value := s.outs[o].value
		taint := sd.Amount
		if taint == 0 {
			taint = value
		}
		if taint < 0 || taint > value {
			return nil, errors.New("seed amount out of range")
		}
		t.seeds[o] = taint
		t.seeded.Add(&t.seeded, uint256.NewInt(uint64(taint)))
		t.follow(o, taint, 0)
	}
	for n := 0; t.queue.Len() > 0; n++ {
		if t.stop != nil && n&1023 == 0 && t.stop() {
			return t, errStopped
		}
		if err := t.process(heap.Pop(&t.queue).(uint32)); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *fastUTXO) reached(id uint32, h int32) {
	if cur, ok := t.hopOf[id]; ok {
		if cur-1 > h {
			t.hopOf[id] = h + 1
		}
		return
	}
	t.hopOf[id] = h + 1
	t.reach = append(t.reach, id)
}

func (t *fastUTXO) hold(m map[utxoHoldKey]*fastHold, k utxoHoldKey, v int64, hop int32) {
	h := m[k]
	if h == nil {
		h = &fastHold{hop: hop}
		m[k] = h
	}
	h.amount.Add(&h.amount, uint256.NewInt(uint64(v)))
}

// follow takes taint at output o at hop h to the transaction spending it,
// or leaves it at the output's address (utxoTracer.follow).
func (t *fastUTXO) follow(o uint32, taint int64, h int32) {
	if taint == 0 {
		return
	}
	s := t.s
	out := &s.outs[o]
	t.reached(out.addr, h)
	switch {
	case taint < t.minAmount:
		t.hold(t.stopped, utxoHoldKey{addr: out.addr, stop: StopMinAmount}, taint, h)
	case out.spender == unspent:
		fh := t.frontier[out.addr]
		if fh == nil {
			fh = &fastHold{hop: h}
			t.frontier[out.addr] = fh
		}
		fh.amount.Add(&fh.amount, uint256.NewInt(uint64(taint)))
	case t.b.HasUntil && s.txs[out.spender].height > t.b.Until:
		t.hold(t.stopped, utxoHoldKey{addr: out.addr, stop: StopUntil}, taint, h)
	default:
		p := t.pending[out.spender]
		if p == nil {
			p = &fastPending{hop: h}
			t.pending[out.spender] = p
			heap.Push(&t.queue, out.spender)
		}
		for i := range p.ins {
			if p.ins[i].k == out.input { // only a seed the trace reached
				p.ins[i].taint += taint
				p.ins[i].hop = min(p.ins[i].hop, h)
				p.hop = min(p.hop, h)
				return
			}
		}
		p.ins = append(p.ins, fastIn{k: out.input, addr: out.addr, taint: taint, hop: h})
		p.hop = min(p.hop, h)
	}
}

// process computes one transaction spending tainted outputs
// (utxoTracer.process and emit).
func (t *fastUTXO) process(n uint32) error {
	s := t.s
	p := t.pending[n]
	delete(t.pending, n)
	hop := p.hop + 1
	if t.b.MaxHops > 0 && int(hop) > t.b.MaxHops {
		for _, in := range p.ins {
			t.hold(t.stopped, utxoHoldKey{addr: in.addr, stop: StopHops}, in.taint, in.hop)
		}
		return nil
	}
	tx := &s.txs[n]
	ni, no := s.inCount(n), s.outCount(n)
	t.edges += int64(ni + no)
	t.coins = t.coins[:0]
	for k := range ni {
		t.coins = append(t.coins, Coin{Value: s.ins[int(tx.in0)+k].value})
	}
	first, fh := -1, int32(0) // the tainted input with the fewest hops, the first of those
	for _, in := range p.ins {
		if int(in.k) >= ni {
			return errors.New("input out of range")
		}
		t.coins[in.k].Taint = in.taint
		if first < 0 || in.hop < fh || (in.hop == fh && int(in.k) < first) {
			first, fh = int(in.k), in.hop
		}
	}
	t.outs = t.outs[:0]
	for j := range no {
		t.outs = append(t.outs, s.outs[int(tx.out0)+j].value)
	}
	var err error
	if t.dst, err = t.sp.Spread(t.m, t.coins, t.outs, t.dst); err != nil {
		return err
	}
	from := s.ins[int(tx.in0)+first].addr
	for j, taint := range t.dst {
		if taint == 0 {
			continue
		}
		fl := fastFlow{row: n, seq: uint32(j), from: from, hop: hop}
		amount := uint256.NewInt(uint64(taint))
		switch {
		case j == no:
			t.fees.Add(&t.fees, amount)
		case s.outs[int(tx.out0)+j].addr == 0:
			fl.flags |= flowBurn
			t.burns.Add(&t.burns, amount)
		default:
			o := tx.out0 + uint32(j)
			extra := t.reachedSeed(o, taint) // the overlap with a seed first (utxoTracer.emit)
			if t.x != nil && t.exit(o, n, hop, extra) {
				break
			}
			t.follow(o, extra, hop)
		}
		t.flows.add(fl, amount)
	}
	return nil
}

// exit records taint reaching a service at output o of transaction n,
// extra beyond what a seed there held, and says whether the trace stops
// there (utxoTracer.exit: no exit where nothing arrived beyond the seed,
// and no hop bound to test, process having tested it).
func (t *fastUTXO) exit(o, n uint32, hop int32, extra int64) bool {
	s := t.s
	out := &s.outs[o]
	if extra == 0 {
		return false
	}
	e := t.service(out.addr)
	if e == nil {
		return false
	}
	amount := uint256.NewInt(uint64(extra))
	if !e.seen {
		e.seen, e.tx, e.hop = true, n, hop
	}
	e.amount.Add(&e.amount, amount)
	if !e.stop {
		e.followed.Add(&e.followed, amount)
	}
	e.hop = min(e.hop, hop)
	e.stopped = e.stopped || e.stop
	if out.spender == unspent || (t.b.HasUntil && s.txs[out.spender].height > t.b.Until) {
		e.remaining.Add(&e.remaining, amount)
	}
	if e.stop {
		t.reached(out.addr, hop)
	}
	return e.stop
}

// service returns the service at address id, or nil: looked up once, when
// taint first reaches the address.
func (t *fastUTXO) service(id uint32) *fastUExit {
	switch t.svcOf[id] {
	case svcNone:
		return nil
	case svcSome:
		return t.svcs[id]
	}
	svc, ok, stop := t.x.service(t.s.addrs[id])
	if !ok {
		t.svcOf[id] = svcNone
		return nil
	}
	e := &fastUExit{svc: svc, stop: stop}
	t.svcOf[id], t.svcs[id] = svcSome, e
	return e
}

// reachedSeed is utxoTracer.reachedSeed: a seeded output the trace
// reaches keeps the larger of its seeded and traced taint.
func (t *fastUTXO) reachedSeed(o uint32, taint int64) int64 {
	s, ok := t.seeds[o]
	if !ok {
		return taint
	}
	t.seeded.Sub(&t.seeded, uint256.NewInt(uint64(min(s, taint))))
	return max(0, taint-s)
}

func (t *fastUTXO) result() *Result {
	s := t.s
	tl := newTally()
	native := chain.NativeAsset
	for _, x := range []struct {
		v *uint256.Int
		m map[chain.Asset]*uint256.Int
	}{{&t.seeded, tl.seeded}, {&t.fees, tl.fees}, {&t.burns, tl.burns}} {
		if !x.v.IsZero() {
			x.m[native] = new(uint256.Int).Set(x.v)
		}
	}
	for _, id := range t.reach {
		tl.hopOf[s.addrs[id]] = int(t.hopOf[id] - 1)
	}
	for k, h := range t.stopped {
		tl.hold(s.addrs[k.addr], native, &h.amount, k.stop, int(h.hop))
	}
	for id, h := range t.frontier {
		tl.hold(s.addrs[id], native, &h.amount, 0, int(h.hop))
	}
	for id, e := range t.svcs {
		if !e.seen {
			continue
		}
		if tl.exits == nil {
			tl.exits = map[exitKey]*Exit{}
		}
		tx := &s.txs[e.tx]
		x := &Exit{Service: e.svc, Address: s.addrs[id], Asset: native, Amount: e.amount, Followed: e.followed, Remaining: e.remaining,
			Block: tx.height, TxIndex: tx.txi, Tx: tx.hash, Hop: int(e.hop), Stopped: e.stopped}
		if t.x.Freezable != nil {
			x.Issuer, _ = t.x.Freezable(native)
		}
		tl.exits[exitKey{x.Address, native}] = x
	}
	res := tl.result()
	if t.flows.n > 0 {
		res.Flows = make([]Flow, 0, t.flows.n)
	}
	t.flows.all(func(fl *fastFlow, amount uint256.Int) {
		tx := &s.txs[fl.row]
		f := Flow{From: s.addrs[fl.from], Asset: native, Kind: chain.KindNative, Amount: amount,
			Block: tx.height, TxIndex: tx.txi, Tx: tx.hash, Seq: fl.seq, Hop: int(fl.hop)}
		switch {
		case int(fl.seq) == s.outCount(fl.row):
			f.Kind = chain.KindFee
		case fl.flags&flowBurn != 0:
			f.Kind = chain.KindBurn
		default:
			f.To = s.addrs[s.outs[tx.out0+fl.seq].addr]
		}
		res.Flows = append(res.Flows, f)
	})
	return res
}

type utxoHoldKey struct {
	addr uint32
	stop Stop
}
