package trace

import (
	"math/bits"

	"github.com/holiman/uint256"
)

// Haircut's arithmetic on the fast path's 128-bit accounts (fastAcct),
// without uint256: a haircut trace through a busy graph computes a share
// per transfer, and the general 256-bit multiply and divide were a fifth
// of its time. The results are haircutAccount's to the unit (the same
// exact share, rounded half up); TestShare128 compares them on random and
// edge-case operands. Where an amount or a balance leaves 128 bits, or
// the general code must report an error, these decline (false) and the
// caller takes the general path.

// receive128 is haircutAccount.Receive on x kept in 128 bits.
func (x *fastAcct) receive128(amount, taint *uint256.Int) bool {
	if x.ext != 0 || amount[2]|amount[3]|taint[2]|taint[3] != 0 {
		return false
	}
	if taint[1] > amount[1] || taint[1] == amount[1] && taint[0] > amount[0] {
		return false // an error, which the general code words
	}
	v0, c := bits.Add64(x.v0, amount[0], 0)
	v1, c := bits.Add64(x.v1, amount[1], c)
	if c != 0 {
		return false // the balance leaves 128 bits: x moves to the wide accounts
	}
	t0, c := bits.Add64(x.t0, taint[0], 0)
	t1, _ := bits.Add64(x.t1, taint[1], c) // taint <= value
	x.v0, x.v1, x.t0, x.t1 = v0, v1, t0, t1
	return true
}

// send128 is haircutAccount.Send on x kept in 128 bits.
func (x *fastAcct) send128(amount *uint256.Int) (uint256.Int, bool) {
	a0, a1 := amount[0], amount[1]
	if x.ext != 0 || amount[2]|amount[3] != 0 || a1 > x.v1 || a1 == x.v1 && a0 > x.v0 {
		return uint256.Int{}, false // wide, or an overdraft the general code reports
	}
	s0, s1 := share128(a0, a1, x.t0, x.t1, x.v0, x.v1)
	x.take(a0, a1, s0, s1)
	return uint256.Int{s0, s1}, true
}

// take debits a1 a0 from x's balance and t1 t0 of it from its taint, both
// known to be there.
func (x *fastAcct) take(a0, a1, t0, t1 uint64) {
	var b uint64
	x.v0, b = bits.Sub64(x.v0, a0, 0)
	x.v1, _ = bits.Sub64(x.v1, a1, b)
	x.t0, b = bits.Sub64(x.t0, t0, 0)
	x.t1, _ = bits.Sub64(x.t1, t1, b)
}

// share128 is shareHalfUp for 128-bit operands: x·y/d rounded half up, for
// x, y <= d (low word first).
func share128(x0, x1, y0, y1, d0, d1 uint64) (uint64, uint64) {
	switch {
	case x0|x1 == 0 || y0|y1 == 0:
		return 0, 0
	case y0 == d0 && y1 == d1: // all of it tainted: the amount, exactly
		return x0, x1
	case x0 == d0 && x1 == d1: // the whole balance sent: all its taint
		return y0, y1
	case d1 == 0: // everything below 2^64
		hi, lo := bits.Mul64(x0, y0)
		q, r := bits.Div64(hi, lo, d0) // x·y/d <= y < 2^64: hi < d
		if r >= d0-r {
			q++
		}
		return q, 0
	}
	// The product, 256 bits: p3 p2 p1 p0.
	h00, p0 := bits.Mul64(x0, y0)
	h01, l01 := bits.Mul64(x0, y1)
	h10, l10 := bits.Mul64(x1, y0)
	h11, l11 := bits.Mul64(x1, y1)
	p1, c1 := bits.Add64(h00, l01, 0)
	p1, c := bits.Add64(p1, l10, 0)
	c1 += c
	p2, c2 := bits.Add64(h01, h10, 0)
	p2, c = bits.Add64(p2, l11, 0)
	c2 += c
	p2, c = bits.Add64(p2, c1, 0)
	c2 += c
	p3 := h11 + c2 // x·y < 2^256
	// Normalised so the divisor's top bit is set (Knuth's algorithm D with
	// 64-bit digits). x·y <= d·y < d·2^128, so shifted it still fits 256
	// bits and the quotient has two digits.
	s := uint(bits.LeadingZeros64(d1))
	n1, n0 := d1<<s|d0>>(64-s), d0<<s
	u3, u2, u1, u0 := p3<<s|p2>>(64-s), p2<<s|p1>>(64-s), p1<<s|p0>>(64-s), p0<<s
	q1, r1, r0 := div3by2(u3, u2, u1, n1, n0)
	q0, r1, r0 := div3by2(r1, r0, u0, n1, n0)
	// The remainder, shifted back; round up when it is at least half of d.
	r0, r1 = r0>>s|r1<<(64-s), r1>>s
	h0, b := bits.Sub64(d0, r0, 0)
	h1, _ := bits.Sub64(d1, r1, b)
	if r1 > h1 || r1 == h1 && r0 >= h0 {
		var c uint64
		q0, c = bits.Add64(q0, 1, 0)
		q1 += c
	}
	return q0, q1
}

// div3by2 divides the three digits u2 u1 u0 by the normalised two-digit
// d1 d0 (top bit of d1 set), where u2 u1 < d1 d0 so the quotient is one
// digit: it returns the quotient and the two-digit remainder (Knuth's
// algorithm D, step D3, for this one case).
func div3by2(u2, u1, u0, d1, d0 uint64) (q, r1, r0 uint64) {
	var rhat uint64
	over := false // rhat has left 64 bits: the estimate is good
	if u2 >= d1 { // u2 == d1: the estimate u2 u1 / d1 would not fit a digit
		q = ^uint64(0)
		var c uint64
		rhat, c = bits.Add64(u1, d1, 0) // u2·B + u1 - (B-1)·d1
		over = c != 0
	} else {
		q, rhat = bits.Div64(u2, u1, d1)
	}
	for !over {
		ph, pl := bits.Mul64(q, d0)
		if ph < rhat || ph == rhat && pl <= u0 {
			break
		}
		q--
		var c uint64
		rhat, c = bits.Add64(rhat, d1, 0)
		over = c != 0
	}
	// With a two-digit divisor the test above compares q·d with u in
	// full (once rhat has left 64 bits, rhat·B + u0 exceeds any q·d0), so
	// q is exact: no add-back step. The remainder is u - q·d.
	// It is below d, two digits, so only the low two digits of q·d count.
	mh, ml := bits.Mul64(q, d0)
	t1 := mh + q*d1
	var b uint64
	r0, b = bits.Sub64(u0, ml, 0)
	r1, _ = bits.Sub64(u1, t1, b)
	return q, r1, r0
}
