package trace

import (
	"testing"

	"github.com/holiman/uint256"
)

// TestHaircutExactHalfBeyond64Bits: a send whose exact share is k + 1/2
// rounds up on the 512-bit path too (balance 2^65, half of it tainted,
// send 1: share 1/2, carries 1).
func TestHaircutExactHalfBeyond64Bits(t *testing.T) {
	a, err := NewAccount(Haircut)
	if err != nil {
		t.Fatal(err)
	}
	bal := new(uint256.Int).Lsh(uint256.NewInt(1), 65)
	taint := new(uint256.Int).Lsh(uint256.NewInt(1), 64)
	if err := a.Receive(bal, taint); err != nil {
		t.Fatal(err)
	}
	sent, err := a.Send(uint256.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	if sent.Uint64() != 1 {
		t.Fatalf("send 1 of 2^65 with 2^64 tainted carries %s, want 1 (half rounds up)", sent.Dec())
	}
	_, left := a.Balance()
	if want := new(uint256.Int).SubUint64(taint, 1); left.Cmp(want) != 0 {
		t.Fatalf("taint left %s, want %s", left.Dec(), want.Dec())
	}
}

// TestTIHOTieManyOutputs: with more outputs than a small-case path
// handles, equal outputs still take taint in their order (the earlier
// first).
func TestTIHOTieManyOutputs(t *testing.T) {
	outs := make([]int64, 20)
	for i := range outs {
		outs[i] = 10
	}
	got, err := Spread(TIHO, []Coin{{Value: 200, Taint: 25}}, outs)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 10 || got[1] != 10 || got[2] != 5 || got[3] != 0 || got[19] != 0 || got[20] != 0 {
		t.Fatalf("TIHO over 20 equal outputs: %v", got)
	}
}
