package trace

import (
	"math/bits"

	"github.com/holiman/uint256"
)

// The plain rows of a haircut trace. Most rows a haircut trace through a
// busy graph handles are the simplest case row knows: one transfer of a
// transaction, in ether or a token, between two addresses of which one or
// both are followed, with nothing held or swapped about it, and balances
// in 128 bits; exits at services the trace reached included. plainHaircut applies such a row directly on the
// accounts, in the arithmetic of haircut128.go, where row goes through
// debit, send and deliver with 256-bit temporaries; anything else it leaves
// to row, having changed nothing. The random-graph tests hold the fast
// path, this included, to TraceAccount.

// find returns followed address id's account of asset a, or nil where it
// has none yet (acct creates it).
func (t *fastAccount) find(id uint32, a uint16) *fastAcct {
	x := &t.st[id].acct
	for x.used {
		if x.asset == a {
			return x
		}
		if x.next == 0 {
			return nil
		}
		x = &t.more[x.next-1]
	}
	return nil
}

// plainHaircut handles row j, which touches a followed address, as row
// would, when it is a plain row; it reports whether it did.
func (t *fastAccount) plainHaircut(j uint32) bool {
	s := t.s
	if k := s.kind[j]; k&(rowToken|rowBig) != 0 || isSinkKind(k) {
		return false
	}
	f, to := s.from[j], s.to[j]
	if to == f || to == 0 || len(t.held) > 0 || len(t.swapIn) > 0 || t.sameTx(j) {
		return false // self-transfers, burns, swaps and held receipts: row
	}
	a := s.asset[j]
	a0, a1 := s.lo[j], s.hi[j]
	var x, y *fastAcct // the sender's and the recipient's accounts, if followed
	stopped := false   // the sender is a service the trace stopped at: what it pays arrives clean
	if t.isFollowed(f) {
		fl := t.st[f].flags
		if fl&addrSeedAll != 0 {
			return false
		}
		stopped = fl&addrStopped != 0
		if x = t.find(f, a); x == nil || x.ext != 0 || a1 > x.v1 || a1 == x.v1 && a0 > x.v0 {
			return false // no account yet, a wide one, or a send above the balance (a gap credit)
		}
	}
	var svc *fastSvc // the recipient's service, where taint arriving is an exit
	if t.isFollowed(to) {
		fl := t.st[to].flags
		if fl&addrSeedAll != 0 || t.x != nil && fl&addrLooked == 0 {
			return false // Amount-less seeds, and addresses not looked up yet (a seed may be a service)
		}
		if y = t.find(to, a); y == nil || y.ext != 0 {
			return false
		}
		_, c := bits.Add64(y.v0, a0, 0)
		if _, c = bits.Add64(y.v1, a1, c); c != 0 {
			return false // the balance would leave 128 bits
		}
		if fl&addrService != 0 {
			svc = t.svcs[to]
		}
	}
	var s0, s1 uint64 // the taint the payment carries on
	if x != nil {
		sent0, sent1 := share128(a0, a1, x.t0, x.t1, x.v0, x.v1)
		if !stopped {
			s0, s1 = sent0, sent1
		}
		if y == nil && s0|s1 != 0 {
			return false // taint reaching an address not followed: bounds, holds, a new address to follow
		}
		x.take(a0, a1, sent0, sent1)
	}
	t.edges++
	if y == nil {
		return true // a payment carrying no taint to an address not followed
	}
	var c uint64
	y.v0, c = bits.Add64(y.v0, a0, 0)
	y.v1, _ = bits.Add64(y.v1, a1, c)
	y.t0, c = bits.Add64(y.t0, s0, 0)
	y.t1, _ = bits.Add64(y.t1, s1, c)
	if s0|s1 != 0 {
		hop := t.st[f].hop + 1
		r := &t.st[to]
		r.hop = min(r.hop, hop)
		t.reached(to, hop)
		if svc != nil {
			t.exit(svc, j, hop, &uint256.Int{s0, s1}, r.flags&addrStopped != 0)
		}
		t.flows.add128(fastFlow{row: j, hop: hop, lo: s0, hi: s1})
	}
	return true
}
