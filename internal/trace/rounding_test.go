package trace

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/holiman/uint256"
)

// halfUp is the written rule, x·y/d rounded half up, in math/big: the
// reference both fast paths are checked against.
func halfUp(x, y, d *big.Int) *big.Int {
	n := new(big.Int).Mul(x, y)
	n.Add(n.Lsh(n, 1), d)
	return n.Quo(n, new(big.Int).Lsh(d, 1))
}

func TestRoundedShareMatchesBig(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 5))
	for n := 0; n < 100000; n++ {
		v := 1 + r.Int64N(int64(1)<<(1+r.IntN(62)))
		c, tn := r.Int64N(v+1), r.Int64N(v+1)
		want := halfUp(big.NewInt(c), big.NewInt(tn), big.NewInt(v))
		if got := roundedShare(c, tn, v); !want.IsInt64() || got != want.Int64() {
			t.Fatalf("roundedShare(%d, %d, %d) = %d, want %s", c, tn, v, got, want)
		}
	}
}

func TestShareHalfUpMatchesBig(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 6))
	for n := 0; n < 100000; n++ {
		var d uint256.Int
		for i := range d[:1+r.IntN(4)] {
			d[i] = r.Uint64() >> r.IntN(64)
		}
		if d.IsZero() {
			continue
		}
		x, y := below(r, &d), below(r, &d)
		want := halfUp(x.ToBig(), y.ToBig(), d.ToBig())
		if got := shareHalfUp(x, y, &d); got.ToBig().Cmp(want) != 0 {
			t.Fatalf("shareHalfUp(%s, %s, %s) = %s, want %s", x, y, &d, &got, want)
		}
	}
}

// below returns a random value in [0, d], often one of the ends.
func below(r *rand.Rand, d *uint256.Int) *uint256.Int {
	switch r.IntN(4) {
	case 0:
		return new(uint256.Int)
	case 1:
		return new(uint256.Int).Set(d)
	}
	var x uint256.Int
	for i := range x {
		x[i] = r.Uint64()
	}
	if d1, over := new(uint256.Int).AddOverflow(d, uint256.NewInt(1)); !over {
		x.Mod(&x, d1) // when d is 2^256-1 every x is already in range
	}
	return &x
}
