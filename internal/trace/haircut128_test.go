package trace

import (
	"math/rand/v2"
	"testing"

	"github.com/holiman/uint256"
)

// rand128 draws a value of a random bit length up to 128, often at the
// edges (all ones, a power of two, one).
func rand128(r *rand.Rand) uint256.Int {
	var v uint256.Int
	switch r.IntN(8) {
	case 0:
		v.Lsh(uint256.NewInt(1), uint(r.IntN(128)))
	case 1:
		v.Lsh(uint256.NewInt(1), uint(1+r.IntN(128)))
		v.SubUint64(&v, 1)
	default:
		v = uint256.Int{r.Uint64(), r.Uint64()}
		v.Rsh(&v, uint(r.IntN(128)))
	}
	return v
}

// TestShare128 holds share128 to shareHalfUp: the same x·y/d rounded half
// up, for x, y <= d below 2^128, on operands of every size and at the
// edges (x or y equal to d, d a power of two or all ones, a remainder of
// exactly half).
func TestShare128(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 28))
	check := func(x, y, d uint256.Int) {
		t.Helper()
		want := shareHalfUp(&x, &y, &d)
		q0, q1 := share128(x[0], x[1], y[0], y[1], d[0], d[1])
		if got := (uint256.Int{q0, q1}); got != want {
			t.Fatalf("share of %s·%s/%s: %s, want %s", x.Dec(), y.Dec(), d.Dec(), got.Dec(), want.Dec())
		}
	}
	for range 2_000_000 {
		d := rand128(r)
		if d.IsZero() {
			continue
		}
		pick := func() uint256.Int {
			switch r.IntN(6) {
			case 0:
				return d
			case 1:
				return uint256.Int{}
			}
			v := rand128(r)
			if v.Gt(&d) {
				v.Mod(&v, new(uint256.Int).AddUint64(&d, 1))
			}
			return v
		}
		check(pick(), pick(), d)
	}
	// Exactly half: x·y = q·d + d/2 for an even d.
	for range 100_000 {
		d := rand128(r)
		d[0] &^= 1
		if d.IsZero() {
			continue
		}
		half := new(uint256.Int).Rsh(&d, 1)
		one := uint256.NewInt(1)
		check(*half, *one, d)                                // exactly one half: rounds up to 1
		check(*new(uint256.Int).SubUint64(half, 1), *one, d) // just under a half: 0
		check(*new(uint256.Int).AddUint64(half, 1), *one, d) // just over: 1
	}
}

// TestHaircut128Account runs random receipts and payments through a
// 128-bit fastAcct and a haircutAccount side by side: balances, taint and
// every share stay equal, and the 128-bit path declines exactly where the
// general one must decide (overdrafts, taint above the amount, a balance
// past 128 bits).
func TestHaircut128Account(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 28))
	for range 20_000 {
		var x fastAcct
		var h haircutAccount
		for range 50 {
			if r.IntN(2) == 0 {
				amt := rand128(r)
				taint := rand128(r)
				if r.IntN(4) > 0 && taint.Gt(&amt) {
					taint.Mod(&taint, new(uint256.Int).AddUint64(&amt, 1))
				}
				ok := x.receive128(&amt, &taint)
				var sum uint256.Int
				_, over := sum.AddOverflow(&h.value, &amt)
				wantOK := !taint.Gt(&amt) && sum[2] == 0 && !over
				if ok != wantOK {
					t.Fatalf("receive %s taint %s on %s: fast path %v, want %v", amt.Dec(), taint.Dec(), h.value.Dec(), ok, wantOK)
				}
				if !ok {
					continue // the caller would take the general path; this account stays as it was
				}
				if err := h.Receive(&amt, &taint); err != nil {
					t.Fatal(err)
				}
			} else {
				amt := rand128(r)
				if r.IntN(4) > 0 && !h.value.IsZero() {
					amt.Mod(&amt, new(uint256.Int).AddUint64(&h.value, 1))
				}
				sent, ok := x.send128(&amt)
				if ok != !amt.Gt(&h.value) {
					t.Fatalf("send %s of %s: fast path %v", amt.Dec(), h.value.Dec(), ok)
				}
				if !ok {
					continue
				}
				want, err := h.Send(&amt)
				if err != nil || sent != want {
					t.Fatalf("send %s: %s, want %s (%v)", amt.Dec(), sent.Dec(), want.Dec(), err)
				}
			}
			if (uint256.Int{x.v0, x.v1}) != h.value || (uint256.Int{x.t0, x.t1}) != h.taint {
				t.Fatalf("balance %d,%d taint %d,%d; want %s, %s", x.v1, x.v0, x.t1, x.t0, h.value.Dec(), h.taint.Dec())
			}
		}
	}
}
