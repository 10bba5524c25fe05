package trace

import "github.com/holiman/uint256"

const (
	flowSwap = 1 << iota // the payment of a swap
	flowBurn             // a sink whose kind was not fee: recorded as a burn
	flowBig              // the amount is past 128 bits: in flowLog.big
)

// fastFlow is one flow of a fast trace, resolved to a Flow by
// FastResult.Result.
type fastFlow struct {
	lo, hi uint64 // the tainted amount, when it fits 128 bits
	row    uint32 // account: the transfer; UTXO: the transaction
	hop    int32
	from   uint32 // UTXO: the address of the input the flow comes from
	seq    uint32 // UTXO: the output (or the fee, at the output count)
	flags  uint8
}

// flowLog keeps a trace's flows in chunks that grow to flowChunk, so that
// millions of flows are never copied to a larger slice.
type flowLog struct {
	chunks [][]fastFlow
	n      int
	big    map[int]*uint256.Int // amounts past 128 bits, by flow
}

const flowChunk = 1 << 16

func (l *flowLog) add(f fastFlow, amount *uint256.Int) {
	if amount[2] != 0 || amount[3] != 0 {
		if l.big == nil {
			l.big = map[int]*uint256.Int{}
		}
		l.big[l.n] = new(uint256.Int).Set(amount)
		f.flags |= flowBig
	} else {
		f.lo, f.hi = amount[0], amount[1]
	}
	l.add128(f)
}

// add128 adds f, whose amount is in f.lo and f.hi.
func (l *flowLog) add128(f fastFlow) {
	k := len(l.chunks) - 1
	if k < 0 || len(l.chunks[k]) == cap(l.chunks[k]) {
		size := 64
		if k >= 0 {
			size = min(2*cap(l.chunks[k]), flowChunk)
		}
		l.chunks = append(l.chunks, make([]fastFlow, 0, size))
		k++
	}
	l.chunks[k] = append(l.chunks[k], f)
	l.n++
}

// all calls fn for every flow in order, with its amount.
func (l *flowLog) all(fn func(f *fastFlow, amount uint256.Int)) {
	i := 0
	for _, c := range l.chunks {
		for k := range c {
			f := &c[k]
			a := uint256.Int{f.lo, f.hi, 0, 0}
			if f.flags&flowBig != 0 {
				a = *l.big[i]
			}
			fn(f, a)
			i++
		}
	}
}
