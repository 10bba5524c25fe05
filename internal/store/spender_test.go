package store

import (
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// TestSpender: an output reads back unspent, then spent by the right input
// of the right transaction (the second input here, to catch an index mixed
// up with the first); a rollback makes it unspent again, and an unknown
// output is not ok.
func TestSpender(t *testing.T) {
	s := openTest(t)
	cb1 := hashOf("cb-1")
	b1 := utxoBlock(t, s, 1, chain.Hash{}, cb1)
	mustApply(t, s, b1)
	b2 := utxoBlock(t, s, 2, b1.Hash, hashOf("cb-2"),
		spend("t2a", cb1, 0, chain.Output{Address: baddr("alice"), Value: 30}, chain.Output{Address: baddr("bob"), Value: 15}))
	mustApply(t, s, b2)
	sp, ok, err := s.Spender(chain.Bitcoin, hashOf("t2a"), 1)
	if err != nil || !ok || sp != (Spend{Address: baddr("bob"), Value: 15}) {
		t.Fatalf("unspent bob output: %+v %v %v", sp, ok, err)
	}
	merge := chain.Tx{Hash: hashOf("t3"), Inputs: []chain.Input{{PrevTx: hashOf("t2a"), PrevIndex: 0}, {PrevTx: hashOf("t2a"), PrevIndex: 1}},
		Outputs: []chain.Output{{Address: baddr("carol"), Value: 40}}}
	b3 := utxoBlock(t, s, 3, b2.Hash, hashOf("cb-3"), merge)
	mustApply(t, s, b3)
	sp, ok, err = s.Spender(chain.Bitcoin, hashOf("t2a"), 1)
	want := Spend{Address: baddr("bob"), Value: 15, Spent: true, Height: 3, TxIndex: 1, Input: 1}
	if err != nil || !ok || sp != want {
		t.Fatalf("spent bob output: %+v %v %v, want %+v", sp, ok, err, want)
	}
	if err := s.Rollback(chain.Bitcoin, 2); err != nil {
		t.Fatal(err)
	}
	if sp, ok, err = s.Spender(chain.Bitcoin, hashOf("t2a"), 1); err != nil || !ok || sp.Spent {
		t.Fatalf("after rollback: %+v %v %v", sp, ok, err)
	}
	if _, ok, err = s.Spender(chain.Bitcoin, hashOf("nowhere"), 0); err != nil || ok {
		t.Fatalf("unknown output: ok=%v err=%v", ok, err)
	}
}
