package trace

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// Coin is one input of a UTXO transaction as the models see it: the value of
// the output it spends and how many of those satoshis are tainted.
type Coin struct {
	Value int64 // satoshis
	Taint int64 // tainted satoshis, 0 <= Taint <= Value
}

// Spreader computes the taint of a UTXO transaction's outputs and fee from
// the taint of its inputs. It keeps scratch space between calls so that
// propagating over many transactions does not allocate; the zero value is
// ready to use. A Spreader is not safe for concurrent use: give each
// goroutine its own.
type Spreader struct {
	order []int // TIHO's outputs by decreasing value
}

// Spread returns the tainted satoshis of each output, in order, followed by
// the fee's, in dst[:len(outs)+1] (dst grows if it is too short). The fee is
// the inputs' value minus the outputs' and is the last sink of every model.
// Under FIFO and haircut the result adds up to the inputs' taint exactly;
// TIHO too; poison taints every sink in full when any input is tainted.
// A coinbase transaction has no inputs: its outputs are minted and untainted,
// so callers do not spread over it (Spread would refuse outputs exceeding
// inputs).
func (s *Spreader) Spread(m Model, ins []Coin, outs []int64, dst []int64) ([]int64, error) {
	value, taint, err := sumCoins(ins)
	if err != nil {
		return nil, err
	}
	fee, err := feeOf(value, outs)
	if err != nil {
		return nil, err
	}
	dst = resize(dst, len(outs)+1)
	switch m {
	case FIFO:
		fifoTx(ins, outs, fee, dst)
	case Haircut:
		haircutTx(value, taint, outs, dst)
	case TIHO:
		s.tihoTx(taint, outs, fee, dst)
	case Poison:
		poisonTx(taint, outs, fee, dst)
	default:
		return nil, fmt.Errorf("spread taint: %s is not a UTXO model", m)
	}
	return dst, nil
}

// Spread is Spreader.Spread with fresh scratch space, for one-off use.
func Spread(m Model, ins []Coin, outs []int64) ([]int64, error) {
	var s Spreader
	return s.Spread(m, ins, outs, nil)
}

func resize(dst []int64, n int) []int64 {
	if cap(dst) < n {
		return make([]int64, n)
	}
	return dst[:n]
}

// sumCoins checks every input and sums values and taints. Bitcoin's supply
// is far below 2^63 satoshis, so an overflowing sum means bad input.
func sumCoins(ins []Coin) (value, taint int64, err error) {
	for i, c := range ins {
		if c.Value < 0 || c.Taint < 0 || c.Taint > c.Value {
			return 0, 0, fmt.Errorf("input %d: value %d, taint %d: want 0 <= taint <= value", i, c.Value, c.Taint)
		}
		if value > math.MaxInt64-c.Value {
			return 0, 0, fmt.Errorf("input %d: inputs' value overflows int64", i)
		}
		value += c.Value
		taint += c.Taint // taint <= value: cannot overflow before value does
	}
	return value, taint, nil
}

func feeOf(value int64, outs []int64) (int64, error) {
	fee := value
	for j, v := range outs {
		if v < 0 {
			return 0, fmt.Errorf("output %d: negative value %d", j, v)
		}
		if v > fee {
			return 0, fmt.Errorf("output %d: outputs exceed the inputs' value %d", j, value)
		}
		fee -= v
	}
	return fee, nil
}

// fifoTx lays the inputs' satoshis end to end, each input's tainted
// satoshis first, and pours them into the outputs and then the fee, as
// chain.UTXOTransfers does: a sink's taint is the number of tainted
// satoshis that land in it.
func fifoTx(ins []Coin, outs []int64, fee int64, dst []int64) {
	clear(dst)
	j, left := 0, sinkValue(outs, fee, 0)
	for _, c := range ins {
		for pos := int64(0); pos < c.Value; {
			for left == 0 { // skip empty sinks; value <= sum of sinks ends this loop
				j++
				left = sinkValue(outs, fee, j)
			}
			take := min(c.Value-pos, left)
			// The overlap of [pos, pos+take) with this coin's tainted [0, Taint).
			dst[j] += max(0, min(pos+take, c.Taint)-pos)
			pos += take
			left -= take
		}
	}
}

func sinkValue(outs []int64, fee int64, j int) int64 {
	if j < len(outs) {
		return outs[j]
	}
	return fee
}

// haircutTx gives sink j the rounded cumulative share
//
//	taint_j = R(C_j) - R(C_{j-1}),  R(C) = floor((2·C·taint + value) / (2·value))
//
// where C_j is the value of sinks 0..j (outputs in order, then the fee):
// R(C) is C·taint/value rounded half up. The sum telescopes to
// R(value) = taint exactly, each sink gets its exact share rounded down or
// up (never more than its value), and no remainder pass is needed.
func haircutTx(value, taint int64, outs []int64, dst []int64) {
	if taint == 0 {
		clear(dst)
		return
	}
	var cum, prev int64
	for j, v := range outs {
		cum += v
		r := roundedShare(cum, taint, value)
		dst[j] = r - prev
		prev = r
	}
	dst[len(outs)] = taint - prev // R(value) = taint: the fee closes the sum
}

// roundedShare returns c·t/v rounded half up, for 0 <= c, t <= v, v > 0.
// The product needs 126 bits; math/bits keeps it exact without math/big.
func roundedShare(c, t, v int64) int64 {
	hi, lo := bits.Mul64(uint64(c), uint64(t))
	hi = hi<<1 | lo>>63 // 2·c·t
	lo <<= 1
	var carry uint64
	lo, carry = bits.Add64(lo, uint64(v), 0)
	hi += carry
	// The quotient is at most t + 1/2 < 2^63, so hi < 2v and Div64 cannot panic.
	q, _ := bits.Div64(hi, lo, 2*uint64(v))
	return int64(q)
}

// tihoTx sends the taint to the outputs in decreasing order of value (ties
// to the earlier output), each filled up to its value; taint left when every
// output is full goes to the fee, which comes last because it is the part
// of the transaction nobody chose to pay themselves.
func (s *Spreader) tihoTx(taint int64, outs []int64, fee int64, dst []int64) {
	clear(dst)
	if taint == 0 {
		return
	}
	s.order = s.order[:0]
	for j := range outs {
		s.order = append(s.order, j)
	}
	sortByValue(s.order, outs)
	for _, j := range s.order {
		dst[j] = min(taint, outs[j])
		taint -= dst[j]
	}
	dst[len(outs)] = min(taint, fee)
}

// sortByValue orders output indexes by decreasing value, ties by index.
// Most transactions have a handful of outputs, where insertion sort is
// fastest; batch payouts with thousands go through slices.SortFunc.
func sortByValue(order []int, outs []int64) {
	if len(order) > 16 {
		slices.SortFunc(order, func(a, b int) int {
			if c := cmp.Compare(outs[b], outs[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		return
	}
	for i := 1; i < len(order); i++ {
		for k := i; k > 0 && outs[order[k]] > outs[order[k-1]]; k-- {
			order[k], order[k-1] = order[k-1], order[k]
		}
	}
}

// poisonTx taints every sink in full as soon as any input is tainted.
func poisonTx(taint int64, outs []int64, fee int64, dst []int64) {
	if taint == 0 {
		clear(dst)
		return
	}
	copy(dst, outs)
	dst[len(outs)] = fee
}
