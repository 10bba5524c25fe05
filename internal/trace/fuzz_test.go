package trace

import (
	"testing"

	"github.com/holiman/uint256"
)

// FuzzAccounts feeds arbitrary transfer histories to every account model
// and checks the invariants of checkAccounts after each step.
func FuzzAccounts(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := checkAccounts(decodeOps(data)); err != nil {
			t.Fatal(err)
		}
	})
}

// decodeOps reads a history from bytes: per operation a header byte (bit 0:
// send; bits 1-5: amount length 1-32 bytes, big-endian; bits 6-7 on a
// receive: taint none, all, half or a third of the amount), then the
// amount. Lengths up to 32 bytes reach 256-bit overflow.
func decodeOps(data []byte) []op {
	var ops []op
	for len(data) > 0 {
		h := data[0]
		n := min(int(h>>1&31)+1, len(data)-1)
		var o op
		o.send = h&1 == 1
		o.amount.SetBytes(data[1 : 1+n])
		data = data[1+n:]
		switch h >> 6 {
		case 1:
			o.taint = o.amount
		case 2:
			o.taint.Rsh(&o.amount, 1)
		case 3:
			o.taint.Div(&o.amount, uint256.NewInt(3))
		}
		ops = append(ops, o)
	}
	return ops
}
