package trace_test

import (
	"fmt"

	"github.com/chainhound/chainhound/internal/trace"
	"github.com/holiman/uint256"
)

// The UTXO worked example of docs/trace.md under haircut: outputs 3 and 5,
// fee 2, from inputs 6 (2 tainted) and 4 (all tainted).
func ExampleSpread() {
	ins := []trace.Coin{{Value: 6, Taint: 2}, {Value: 4, Taint: 4}}
	taint, err := trace.Spread(trace.Haircut, ins, []int64{3, 5})
	if err != nil {
		panic(err)
	}
	fmt.Println("outputs", taint[:2], "fee", taint[2])
	// Output: outputs [2 3] fee 1
}

// Clayton's rule on an address: the first send takes the oldest value.
func ExampleNewAccount() {
	acct, err := trace.NewAccount(trace.FIFO)
	if err != nil {
		panic(err)
	}
	acct.Receive(uint256.NewInt(10), uint256.NewInt(4)) // 4 of 10 tainted
	acct.Receive(uint256.NewInt(6), uint256.NewInt(0))
	sent, _ := acct.Send(uint256.NewInt(5))
	value, taint := acct.Balance()
	fmt.Println("sent tainted", &sent, "left", &value, "of which tainted", &taint)
	// Output: sent tainted 4 left 11 of which tainted 0
}
