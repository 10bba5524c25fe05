package heist

import (
	"math/big"
	"testing"

	"github.com/chainhound/chainhound/internal/trace"
)

// An ordinary user's deposit address swept into the exchange's hot wallet
// beside the thief's, and attributed to the theft, is a false exit: the
// exchange is a true exit, but that arrival is not the thief's.
func TestScoreCountsFalseArrivals(t *testing.T) {
	const hot, mixer, dep, userDep, wallet = "0xh0", "0xm0", "0xd0", "0xu0", "0xw0"
	amt := func(v int64) Amount { return NewAmount(new(big.Int).Mul(big.NewInt(v), ether)) }
	tr := &Truth{
		Assets: []Asset{{Symbol: "ETH", CAIP19: "native", Decimals: 18, WeiPerUnit: NewAmount(ether)}},
		Exits: []ExitEvent{
			{Block: 12, Tx: "0xt1", From: wallet, Service: "Exchange hot wallet", Address: hot, Via: dep, SweptBlock: 14, Asset: "ETH", Amount: amt(98)},
			{Block: 11, Tx: "0xt2", From: wallet, Service: "Mixer", Address: mixer, Asset: "ETH", Amount: amt(10)},
		},
		Locations: []Location{
			{Kind: "exit", Address: hot, Asset: "ETH", Amount: amt(98)},
			{Kind: "exit", Address: mixer, Asset: "ETH", Amount: amt(10)},
		},
	}
	wei := func(v int64) string { return new(big.Int).Mul(big.NewInt(v), ether).String() }
	rep := &trace.Report{
		Model: "poison",
		Exits: []trace.ReportExit{
			{Service: "Exchange hot wallet", Address: hot, Asset: "native", Amount: wei(98 + 50)},
			{Service: "Mixer", Address: mixer, Asset: "native", Amount: wei(10)},
		},
		Flows: []trace.ReportFlow{
			{Block: 11, Tx: "0xt2", From: wallet, To: mixer, Asset: "native", Amount: wei(10)},
			{Block: 14, Tx: "0xsweep", From: dep, To: hot, Asset: "native", Amount: wei(98)},
			{Block: 14, Tx: "0xsweep", From: userDep, To: hot, Asset: "native", Amount: wei(50)}, // not the thief's
		},
	}
	s := tr.Score(rep, nil)
	if s.Flagged != 3 || s.FlaggedTrue != 2 || s.Precision != 2.0/3 || len(s.FalseExits) != 1 {
		t.Fatalf("flagged %d, true %d, precision %v, false %v; want 3, 2, 2/3 and the user's deposit address", s.Flagged, s.FlaggedTrue, s.Precision, s.FalseExits)
	}
	if s.Recall != 1 || s.ValuePrecision >= 1 {
		t.Fatalf("recall %v, value precision %v", s.Recall, s.ValuePrecision)
	}
}
