package trace

import (
	"math/rand/v2"
	"testing"

	"github.com/holiman/uint256"
)

// txBatch is a synthetic batch of transactions laid out flat, so the
// benchmark measures the models rather than slice headers.
type txBatch struct {
	ins   [][]Coin
	outs  [][]int64
	io    int // inputs + outputs + fees over the batch
	pairs int // input -> sink pairs over the batch
}

// newTxBatch draws n transactions shaped like Bitcoin's: mostly 1-3 inputs
// and 2 outputs, one in fifty a consolidation or batch payout of up to 40.
func newTxBatch(n int, seed uint64) txBatch {
	r := rand.New(rand.NewPCG(seed, 12))
	var b txBatch
	for range n {
		ni, no := 1+r.IntN(3), 1+r.IntN(2)
		if r.IntN(50) == 0 {
			ni, no = 1+r.IntN(40), 1+r.IntN(40)
		}
		ins := make([]Coin, ni)
		var total int64
		for i := range ins {
			v := r.Int64N(1e9)
			ins[i] = Coin{Value: v, Taint: taintOf(r, v)}
			total += v
		}
		outs := make([]int64, no)
		for j := range outs {
			outs[j] = r.Int64N(total/int64(no) + 1)
		}
		b.ins, b.outs = append(b.ins, ins), append(b.outs, outs)
		b.io += ni + no + 1
		b.pairs += ni * (no + 1)
	}
	return b
}

// BenchmarkSpread runs each UTXO model over a batch of 100,000
// transactions and reports inputs+outputs+fees per second ("io/s") and
// input->sink pairs per second ("pairs/s"), per core: run with -cpu 1.
func BenchmarkSpread(b *testing.B) {
	batch := newTxBatch(100_000, 1)
	for _, m := range []Model{Haircut, FIFO, TIHO, Poison} {
		b.Run(m.String(), func(b *testing.B) {
			var s Spreader
			dst := make([]int64, 0, 64)
			for b.Loop() {
				for k := range batch.ins {
					dst, _ = s.Spread(m, batch.ins[k], batch.outs[k], dst)
				}
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(batch.io)*float64(b.N)/sec, "io/s")
			b.ReportMetric(float64(batch.pairs)*float64(b.N)/sec, "pairs/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkAccount runs each account model over a history of 100,000
// transfers at one address (half in, half out) and reports transfers per
// second, at 64-bit amounts and at 18-decimal token amounts beyond 2^64.
func BenchmarkAccount(b *testing.B) {
	for _, scale := range []struct {
		name  string
		shift uint
	}{{"u64", 0}, {"u256", 100}} {
		ops := benchOps(100_000, scale.shift)
		for _, m := range []Model{Haircut, FIFO, Poison} {
			b.Run(scale.name+"/"+m.String(), func(b *testing.B) {
				for b.Loop() {
					acct, _ := NewAccount(m)
					for i := range ops {
						apply(acct, &ops[i])
					}
				}
				b.ReportMetric(float64(len(ops))*float64(b.N)/b.Elapsed().Seconds(), "transfers/s")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// benchOps draws receives and sends that never overdraw, so every
// operation does the model's full work.
func benchOps(n int, shift uint) []op {
	r := rand.New(rand.NewPCG(12, 4))
	ops := make([]op, n)
	var bal uint64
	for i := range ops {
		if i%2 == 1 && bal > 0 {
			a := 1 + r.Uint64N(bal)
			bal -= a
			ops[i] = op{send: true}
			ops[i].amount.Lsh(uint256.NewInt(a), shift)
			continue
		}
		a := 1 + r.Uint64N(1<<40)
		bal += a
		ops[i] = op{}
		ops[i].amount.Lsh(uint256.NewInt(a), shift)
		ops[i].taint.Lsh(uint256.NewInt(taintOfU(r, a)), shift)
	}
	return ops
}

func taintOfU(r *rand.Rand, a uint64) uint64 { return uint64(taintOf(r, int64(a))) }
