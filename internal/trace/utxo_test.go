package trace

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The worked example of docs/trace.md: inputs 6 (2 tainted) and 4 (all
// tainted), outputs 3 and 5, fee 2; 6 of 10 satoshis tainted.
var exampleIns = []Coin{{Value: 6, Taint: 2}, {Value: 4, Taint: 4}}
var exampleOuts = []int64{3, 5}

func TestSpreadWorkedExample(t *testing.T) {
	for _, c := range []struct {
		m    Model
		want []int64 // outputs, then fee
	}{
		// Satoshis 0-1 tainted (input 0's first two), 6-9 tainted (input 1):
		// output 0 holds 0-2 (2 tainted), output 1 holds 3-7 (6, 7), fee 8-9.
		{FIFO, []int64{2, 2, 2}},
		// Exact shares 1.8, 3, 1.2; cumulative 1.8, 4.8, 6 round to 2, 5, 6.
		{Haircut, []int64{2, 3, 1}},
		// Output 1 (5) fills first, output 0 takes the last 1, fee nothing.
		{TIHO, []int64{1, 5, 0}},
		{Poison, []int64{3, 5, 2}},
	} {
		got, err := Spread(c.m, exampleIns, exampleOuts)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, %v; want %v", c.m, got, err, c.want)
		}
	}
}

func TestSpreadSmallCases(t *testing.T) {
	for _, c := range []struct {
		name string
		m    Model
		ins  []Coin
		outs []int64
		want []int64
	}{
		{"fifo skips empty outputs", FIFO, []Coin{{3, 3}, {2, 0}}, []int64{0, 2, 0, 3}, []int64{0, 2, 0, 1, 0}},
		{"fifo taint to fee", FIFO, []Coin{{5, 0}, {3, 3}}, []int64{5}, []int64{0, 3}},
		{"haircut halves round half up", Haircut, []Coin{{4, 1}}, []int64{2, 2}, []int64{1, 0, 0}},
		{"haircut thirds", Haircut, []Coin{{3, 1}, {3, 1}}, []int64{2, 2, 2}, []int64{1, 0, 1, 0}},
		{"haircut full taint is exact", Haircut, []Coin{{7, 7}}, []int64{3, 1}, []int64{3, 1, 3}},
		{"tiho ties to earlier output", TIHO, []Coin{{10, 4}}, []int64{3, 3, 3}, []int64{3, 1, 0, 0}},
		{"tiho overflow to fee", TIHO, []Coin{{10, 9}}, []int64{3, 4}, []int64{3, 4, 2}},
		{"poison clean stays clean", Poison, []Coin{{10, 0}}, []int64{3, 4}, []int64{0, 0, 0}},
		{"no outputs: all to fee", Haircut, []Coin{{5, 2}}, nil, []int64{2}},
	} {
		got, err := Spread(c.m, c.ins, c.outs)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

func TestSpreadRefusesBadInput(t *testing.T) {
	for _, c := range []struct {
		name string
		m    Model
		ins  []Coin
		outs []int64
	}{
		{"taint above value", FIFO, []Coin{{3, 4}}, []int64{3}},
		{"negative taint", FIFO, []Coin{{3, -1}}, []int64{3}},
		{"negative output", FIFO, []Coin{{3, 0}}, []int64{-1}},
		{"outputs exceed inputs", Haircut, []Coin{{3, 0}}, []int64{2, 2}},
		{"coinbase", Haircut, nil, []int64{50}},
		{"overflow", FIFO, []Coin{{1 << 62, 0}, {1 << 62, 0}}, nil},
		{"unknown model", Model(9), []Coin{{3, 0}}, []int64{3}},
	} {
		if got, err := Spread(c.m, c.ins, c.outs); err == nil {
			t.Errorf("%s: accepted, got %v", c.name, got)
		}
	}
}

// randomTx draws a transaction whose values span from dust to near the
// int64 limit, so that haircut's 128-bit products are exercised.
func randomTx(r *rand.Rand) ([]Coin, []int64) {
	scale := int64(1) << (r.IntN(4) * 20) // 1, 2^20, 2^40, 2^60
	ins := make([]Coin, 1+r.IntN(5))
	var total int64
	for i := range ins {
		v := r.Int64N(3*scale/(int64(len(ins))) + 1)
		ins[i] = Coin{Value: v, Taint: taintOf(r, v)}
		total += v
	}
	outs := make([]int64, r.IntN(6))
	left := total
	for j := range outs {
		outs[j] = r.Int64N(left + 1)
		if r.IntN(3) == 0 {
			outs[j] = 0
		}
		left -= outs[j]
	}
	return ins, outs
}

// taintOf picks none, all or some of v, since the edge cases sit at the ends.
func taintOf(r *rand.Rand, v int64) int64 {
	switch r.IntN(4) {
	case 0:
		return 0
	case 1:
		return v
	}
	return r.Int64N(v + 1)
}

func TestSpreadProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 1))
	var s Spreader
	got := map[Model][]int64{}
	for n := 0; n < 20000; n++ {
		ins, outs := randomTx(r)
		for _, m := range []Model{FIFO, Haircut, TIHO, Poison} {
			res, err := s.Spread(m, ins, outs, nil)
			if err != nil {
				t.Fatalf("%s %v %v: %v", m, ins, outs, err)
			}
			got[m] = res
		}
		checkSpread(t, ins, outs, got)
	}
}

func checkSpread(t *testing.T, ins []Coin, outs []int64, got map[Model][]int64) {
	t.Helper()
	value, taint, _ := sumCoins(ins)
	fee, _ := feeOf(value, outs)
	sinks := append(slices.Clone(outs), fee)
	for m, res := range got {
		var sum int64
		for j, x := range res {
			if x < 0 || x > sinks[j] {
				t.Fatalf("%s %v %v: sink %d taint %d outside [0, %d]", m, ins, outs, j, x, sinks[j])
			}
			if taint == 0 && x != 0 {
				t.Fatalf("%s %v %v: taint from nothing", m, ins, outs)
			}
			if x > 0 && got[Poison][j] != sinks[j] {
				t.Fatalf("%s %v %v: sink %d tainted but not under poison", m, ins, outs, j)
			}
			sum += x
		}
		if m != Poison && sum != taint {
			t.Fatalf("%s %v %v: sinks hold %d of %d tainted", m, ins, outs, sum, taint)
		}
	}
}

func TestHaircutWithinOneUnit(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 2))
	for n := 0; n < 5000; n++ {
		ins, outs := randomTx(r)
		value, taint, _ := sumCoins(ins)
		if value == 0 || value > 1<<40 { // exact share in float64 needs small numbers
			continue
		}
		res, _ := Spread(Haircut, ins, outs)
		for j, v := range outs {
			exact := float64(v) * float64(taint) / float64(value)
			if d := float64(res[j]) - exact; d <= -1 || d >= 1 {
				t.Fatalf("%v %v: output %d taint %d, exact share %g", ins, outs, j, res[j], exact)
			}
		}
	}
}

func TestModelNames(t *testing.T) {
	for _, m := range []Model{FIFO, Haircut, TIHO, Poison} {
		if back, err := ParseModel(m.String()); err != nil || back != m {
			t.Errorf("%s parsed back as %v, %v", m, back, err)
		}
	}
	if _, err := ParseModel("lifo"); err == nil {
		t.Error("unknown model accepted")
	}
}
