package trace

import (
	"cmp"
	"fmt"
	"maps"
	"math/big"
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// AccountBackSeed is where a backward account trace starts: what Address
// holds of Asset at the end of block At, or, with Send set, what one of its
// outgoing transfers carried. Amount nil means all of it.
type AccountBackSeed struct {
	Address chain.Address
	Asset   chain.Asset
	At      uint64
	Send    *TransferRef
	Amount  *uint256.Int
}

// TransferRef names a transfer by its place in the chain.
type TransferRef struct {
	Block   uint64
	TxIndex uint32
	Seq     uint32
}

// TraceAccountBack follows value backward on account chain c: which of an
// address's receipts make up what it held or sent, then which receipts of
// each sender made up that payment, and on. Each visited address's history
// is replayed in chain order under the model:
//
//   - FIFO keeps the address's receipts as a queue; a payment is the units
//     it took from the front, and a balance is the newest units still
//     queued (the last Amount of them);
//   - haircut keeps the balance's make-up by receipt, each payment taking
//     its share of every receipt; shares are rounded to base units by
//     largest remainder, so that they sum to the amount exactly;
//   - poison counts every earlier receipt whole.
//
// Value an address paid beyond the receipts the store shows came from
// before the store's history: it stays in the Frontier at that address.
// Minted value (From none) is Result.Minted. Bounds.Until is the earliest
// block followed.
func TraceAccountBack(src AccountSource, c chain.Chain, m Model, b Bounds, seeds []AccountBackSeed) (*Result, error) {
	if m == TIHO {
		return nil, fmt.Errorf("tiho has no reading on account chains")
	}
	if _, err := NewAccount(m); err != nil {
		return nil, err
	}
	t := &accountBack{src: src, c: c, m: m, b: b, t: newTally()}
	level := map[backKey]*backReq{}
	for i := range seeds {
		s := &seeds[i]
		k := backKey{addr: s.Address, asset: s.Asset, at: pos{s.At + 1, 0, 0}}
		if s.Send != nil {
			k.at, k.send = pos{s.Send.Block, s.Send.TxIndex, s.Send.Seq}, true
		}
		if level[k] != nil {
			return nil, fmt.Errorf("seed %s given twice", s.Address)
		}
		level[k] = &backReq{amount: s.Amount, seed: true}
		t.t.reach(s.Address, 0)
	}
	for hop := 0; len(level) > 0; hop++ {
		next := map[backKey]*backReq{}
		byAddr := map[addrAsset][]backKey{}
		for k := range level {
			aa := addrAsset{k.addr, k.asset}
			byAddr[aa] = append(byAddr[aa], k)
		}
		// Addresses in a fixed order (not the map's), so the flows of a
		// hop come out the same on every run.
		addrs := slices.Collect(maps.Keys(byAddr))
		slices.SortFunc(addrs, func(x, y addrAsset) int {
			return cmp.Or(cmp.Compare(x.addr.Raw, y.addr.Raw), compareAsset(x.asset, y.asset))
		})
		for _, aa := range addrs {
			keys := byAddr[aa]
			slices.SortFunc(keys, func(x, y backKey) int { // a balance just before a payment is asked first
				return cmp.Or(x.at.cmp(y.at), cmp.Compare(boolInt(x.send), boolInt(y.send)))
			})
			if err := t.replay(aa, keys, level, next, hop); err != nil {
				return nil, err
			}
		}
		level = next
	}
	return t.t.result(), nil
}

type addrAsset struct {
	addr  chain.Address
	asset chain.Asset
}

// backKey is one question about an address: the make-up of its balance
// just before position at, or of its payment at position at (send).
type backKey struct {
	addr  chain.Address
	asset chain.Asset
	at    pos
	send  bool
}

type backReq struct {
	amount *uint256.Int // nil: all of it (seeds only)
	seed   bool
	// ranges, under FIFO, are the units of the payment asked for, as
	// offsets into it: which part of a payment went on matters.
	ranges []span
}

// span is the units [lo, lo+n) of a payment or receipt.
type span struct{ lo, n uint256.Int }

type accountBack struct {
	src AccountSource
	c   chain.Chain
	m   Model
	b   Bounds
	t   *tally
}

// lot is one receipt (or a gap the store does not explain) in an
// address's make-up: value under FIFO, weight·scale under haircut.
type lot struct {
	value uint256.Int // what is left of it; under FIFO its last units, [orig-value, orig)
	orig  uint256.Int
	w     float64
	src   *store.Row // nil: a gap
}

// makeup replays an address's receipts and payments in one asset.
type makeup struct {
	m       Model
	lots    []*lot // FIFO: lots[head:] is the queue
	head    int
	scale   float64
	balance uint256.Int
}

func (mk *makeup) receive(r *store.Row) {
	l := &lot{src: r, value: r.Amount, orig: r.Amount}
	if mk.m == Haircut {
		l.w = toFloat(&r.Amount) / mk.scale
	}
	mk.lots = append(mk.lots, l)
	mk.balance.Add(&mk.balance, &r.Amount)
}

// cover adds a gap lot in front when a payment of v exceeds the balance.
func (mk *makeup) cover(v *uint256.Int) {
	if !mk.balance.Lt(v) {
		return
	}
	gap := new(uint256.Int).Sub(v, &mk.balance)
	l := &lot{value: *gap, orig: *gap, w: toFloat(gap) / mk.scale}
	mk.lots = append(mk.lots[:mk.head], append([]*lot{l}, mk.lots[mk.head:]...)...)
	mk.balance.Add(&mk.balance, gap)
}

// pay removes a payment of v; under FIFO it returns the lots (or parts)
// it took, front first.
func (mk *makeup) pay(v *uint256.Int) []part {
	mk.cover(v)
	var took []part
	switch mk.m {
	case FIFO:
		left := *v
		for !left.IsZero() {
			l := mk.lots[mk.head]
			lo := *new(uint256.Int).Sub(&l.orig, &l.value)
			if l.value.Gt(&left) {
				took = append(took, part{l: l, v: left, lo: lo})
				l.value.Sub(&l.value, &left)
				break
			}
			took = append(took, part{l: l, v: l.value, lo: lo})
			left.Sub(&left, &l.value)
			mk.head++
		}
	case Haircut:
		if v.Eq(&mk.balance) {
			mk.lots, mk.scale = nil, 1
		} else if !v.IsZero() {
			mk.scale *= 1 - toFloat(v)/toFloat(&mk.balance)
			if mk.scale < 1e-200 {
				for _, l := range mk.lots {
					l.w *= mk.scale
				}
				mk.scale = 1
			}
		}
	}
	mk.balance.Sub(&mk.balance, v)
	return took
}

// part is v units of a lot; under FIFO, the units [lo, lo+v) of its
// receipt.
type part struct {
	l  *lot
	v  uint256.Int
	lo uint256.Int
}

func toFloat(v *uint256.Int) float64 {
	f, _ := new(big.Float).SetInt(v.ToBig()).Float64()
	return f
}

// shares says which lots make up amount of the current balance (or of a
// payment about to be made, under haircut and poison).
func (mk *makeup) shares(amount *uint256.Int, newest bool) []part {
	switch mk.m {
	case Poison:
		out := make([]part, 0, len(mk.lots))
		for _, l := range mk.lots {
			out = append(out, part{l: l, v: l.orig})
		}
		return out
	case FIFO: // the newest units of the queue
		var out []part
		left := *amount
		for i := len(mk.lots) - 1; i >= mk.head && !left.IsZero() && newest; i-- {
			l := mk.lots[i]
			take := l.value
			if take.Gt(&left) {
				take = left
			}
			out = append(out, part{l: l, v: take, lo: *new(uint256.Int).Sub(&l.orig, &take)}) // its newest units
			left.Sub(&left, &take)
		}
		return out
	}
	ws := make([]float64, len(mk.lots))
	for i, l := range mk.lots {
		ws[i] = l.w
	}
	return apportion(mk.lots, ws, amount)
}

// apportion splits amount over lots in proportion to weights, by largest
// remainder: the parts sum to amount exactly. The shares are computed in
// 512-bit floating point, so the floors fall short of amount by less than
// one unit per lot, and those units go to the largest remainders.
func apportion(lots []*lot, ws []float64, amount *uint256.Int) []part {
	const prec = 512
	sum := new(big.Float).SetPrec(prec)
	for _, w := range ws {
		sum.Add(sum, big.NewFloat(w))
	}
	if sum.Sign() <= 0 || amount.IsZero() {
		return nil
	}
	amt := new(big.Float).SetPrec(prec).SetInt(amount.ToBig())
	out := make([]part, len(lots))
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, 0, len(lots))
	total := new(uint256.Int)
	x, fl, fr := new(big.Float).SetPrec(prec), new(big.Int), new(big.Float).SetPrec(prec)
	for i, w := range ws {
		x.Mul(amt, big.NewFloat(w))
		x.Quo(x, sum)
		x.Int(fl)
		fr.Sub(x, fr.SetInt(fl))
		r, _ := fr.Float64()
		v, _ := uint256.FromBig(fl)
		out[i] = part{l: lots[i], v: *v}
		total.Add(total, v)
		rems = append(rems, rem{i, r})
	}
	slices.SortStableFunc(rems, func(a, b rem) int { return cmp.Compare(b.r, a.r) })
	one := uint256.NewInt(1)
	for k := 0; total.Lt(amount); k = (k + 1) % len(rems) {
		p := &out[rems[k].i]
		p.v.Add(&p.v, one)
		total.Add(total, one)
	}
	for k := len(rems) - 1; total.Gt(amount); k = (k + len(rems) - 1) % len(rems) {
		if p := &out[rems[k].i]; !p.v.IsZero() {
			p.v.Sub(&p.v, one)
			total.Sub(total, one)
		}
	}
	return out
}

// replay answers every question about one address and asset at this hop
// with one pass over its history.
func (t *accountBack) replay(aa addrAsset, keys []backKey, level, next map[backKey]*backReq, hop int) error {
	last := keys[len(keys)-1].at
	q := store.Query{Chain: t.c, Address: &aa.addr, ToBlock: last.block, HasToBlock: true}
	mk := &makeup{m: t.m, scale: 1}
	k := 0
	answer := func(key backKey, sent *uint256.Int) error {
		req := level[key]
		amount := req.amount
		if key.send {
			if sent == nil {
				return fmt.Errorf("%s sent no %v transfer at block %d tx %d seq %d", aa.addr, aa.asset, key.at.block, key.at.txi, key.at.seq)
			}
			if amount == nil {
				amount = sent
			} else if amount.Gt(sent) {
				// Rounding gave this payment's receipt more than it carried
				// (haircut shares of several payments, each rounded on its
				// own): the excess has no origin here, and stays with the
				// address asking.
				t.t.hold(aa.addr, aa.asset, new(uint256.Int).Sub(amount, sent), 0, hop)
				amount = sent
			}
		} else if amount == nil {
			amount = new(uint256.Int).Set(&mk.balance)
		} else if amount.Gt(&mk.balance) && t.m != Poison {
			return fmt.Errorf("%s holds %s of %v at the end of block %d, less than the %s asked for", aa.addr, mk.balance.Dec(), aa.asset, key.at.block-1, amount.Dec())
		}
		if req.seed {
			addTo(t.t.seeded, aa.asset, amount)
		}
		var parts []part
		if key.send && t.m == FIFO {
			parts = spansOf(mk.pay(sent), req.ranges, amount)
		} else {
			if key.send {
				mk.cover(sent) // a payment beyond the balance shows history the store lacks
			}
			parts = mk.shares(amount, true)
			if key.send {
				mk.pay(sent)
			}
		}
		return t.follow(aa, parts, next, hop)
	}
	for r, err := range t.src.Transfers(q) {
		if err != nil {
			return err
		}
		if r.Asset != aa.asset || r.TokenID != nil {
			continue
		}
		p := rowPos(&r)
		for k < len(keys) && !keys[k].send && keys[k].at.cmp(p) <= 0 {
			if err := answer(keys[k], nil); err != nil {
				return err
			}
			k++
		}
		if k == len(keys) {
			break
		}
		row := r
		isSend := r.From == aa.addr
		if isSend && keys[k].send && keys[k].at == p {
			if err := answer(keys[k], &row.Amount); err != nil {
				return err
			}
			k++
		} else if isSend {
			mk.pay(&row.Amount)
		}
		if r.To == aa.addr {
			mk.receive(&row)
		}
	}
	for ; k < len(keys); k++ {
		if keys[k].send {
			return fmt.Errorf("%s: no %v transfer at block %d tx %d seq %d in the store", aa.addr, aa.asset, keys[k].at.block, keys[k].at.txi, keys[k].at.seq)
		}
		if err := answer(keys[k], nil); err != nil {
			return err
		}
	}
	return nil
}

// spansOf keeps the units of a payment (parts, front first) that spans
// ask for, as parts of the same lots; without spans, the first amount
// units.
func spansOf(parts []part, spans []span, amount *uint256.Int) []part {
	if len(spans) == 0 {
		spans = []span{{n: *amount}}
	}
	var out []part
	for _, sp := range spans {
		lo, hi := sp.lo, new(uint256.Int).Add(&sp.lo, &sp.n)
		var at uint256.Int // the payment's units before part p
		for _, p := range parts {
			end := new(uint256.Int).Add(&at, &p.v)
			s, e := maxU(&lo, &at), minU(hi, end)
			if s.Lt(e) {
				off := new(uint256.Int).Sub(s, &at)
				out = append(out, part{l: p.l, v: *new(uint256.Int).Sub(e, s), lo: *off.Add(off, &p.lo)})
			}
			at = *end
		}
	}
	return out
}

func maxU(a, b *uint256.Int) *uint256.Int {
	if a.Gt(b) {
		return a
	}
	return b
}

func minU(a, b *uint256.Int) *uint256.Int {
	if a.Lt(b) {
		return a
	}
	return b
}

// follow turns the parts of an answer into flows and next questions.
func (t *accountBack) follow(aa addrAsset, parts []part, next map[backKey]*backReq, hop int) error {
	for _, p := range parts {
		if p.v.IsZero() {
			continue
		}
		r := p.l.src
		switch {
		case r == nil: // paid out of history the store lacks
			t.t.hold(aa.addr, aa.asset, &p.v, 0, hop)
			continue
		case r.From.None():
			addTo(t.t.minted, aa.asset, &p.v)
			continue
		case t.b.MaxHops > 0 && hop+1 > t.b.MaxHops:
			t.t.hold(aa.addr, aa.asset, &p.v, StopHops, hop)
			continue
		case t.b.HasUntil && r.Block < t.b.Until:
			t.t.hold(aa.addr, aa.asset, &p.v, StopUntil, hop)
			continue
		}
		f := Flow{From: r.From, To: aa.addr, Asset: aa.asset, Kind: r.Kind, Amount: p.v, Block: r.Block, TxIndex: r.TxIndex, Tx: r.TxHash, Seq: r.Seq, Hop: hop + 1}
		t.t.res.Flows = append(t.t.res.Flows, f)
		t.t.reach(r.From, hop+1)
		if svc, ok, stop := t.b.Exits.service(r.From); ok {
			t.t.exit(svc, stop, f.From, &f, t.b.Exits)
			if stop {
				continue
			}
		}
		if p.v.Lt(&t.b.MinAmount) {
			t.t.hold(r.From, aa.asset, &p.v, StopMinAmount, hop+1)
			continue
		}
		k := backKey{addr: r.From, asset: aa.asset, at: rowPos(r), send: true}
		q := next[k]
		if q == nil {
			q = &backReq{amount: new(uint256.Int)}
			next[k] = q
		}
		q.amount.Add(q.amount, &p.v)
		if t.m == FIFO { // the receipt's units are the payment's
			q.ranges = append(q.ranges, span{lo: p.lo, n: p.v})
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
