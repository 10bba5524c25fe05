package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// resolveErr resolves a block spending prev:idx and returns the error.
func resolveErr(s *DB, h uint64, prev chain.Hash, idx uint32) error {
	b := &chain.Block{Chain: chain.Bitcoin, Height: h, Txs: []chain.Tx{spend(fmt.Sprintf("probe-%d", h), prev, idx)}}
	return s.ResolveInputs(b)
}

// TestOutputCacheRollback checks that a rolled-back block's outputs leave the
// cache and the outputs it spent resolve again: a cache that kept the former
// would resolve inputs spending outputs that no longer exist.
func TestOutputCacheRollback(t *testing.T) {
	s := openTest(t)
	b1 := utxoBlock(t, s, 1, chain.Hash{}, hashOf("cb-1"))
	mustApply(t, s, b1)
	b2 := utxoBlock(t, s, 2, b1.Hash, hashOf("cb-2"),
		spend("t2", hashOf("cb-1"), 0, chain.Output{Address: baddr("alice"), Value: 40}, chain.Output{Address: baddr("bob"), Value: 9}))
	mustApply(t, s, b2)
	if _, ok := s.outs.get(outPoint{chain.Bitcoin, hashOf("t2"), 0}); !ok {
		t.Fatal("block 2's output is not cached: the test would prove nothing")
	}
	if _, ok := s.outs.get(outPoint{chain.Bitcoin, hashOf("cb-1"), 0}); ok {
		t.Fatal("an output spent by block 2 is still cached")
	}
	if err := s.Rollback(chain.Bitcoin, 1); err != nil {
		t.Fatal(err)
	}
	var miss *MissingOutputError
	if err := resolveErr(s, 2, hashOf("t2"), 0); !errors.As(err, &miss) {
		t.Fatalf("spending an output of a rolled-back block: %v, want a MissingOutputError", err)
	}
	if s.outs.len() != 0 { // block 1's coinbase, spent by block 2, resolves from the store
		t.Fatalf("%d cached outputs after rollback, want 0", s.outs.len())
	}
	// The other fork spends block 1's coinbase again, from the store.
	alt := utxoBlock(t, s, 2, b1.Hash, hashOf("cb-2b"), spend("t2b", hashOf("cb-1"), 0, chain.Output{Address: baddr("carol"), Value: 50}))
	if in := alt.Txs[1].Inputs[0]; in.Address != baddr("miner") || in.Value != 50 {
		t.Fatalf("re-spent output resolved to %+v", in)
	}
	mustApply(t, s, alt)
	if err := resolveErr(s, 3, hashOf("cb-1"), 0); err == nil || !strings.Contains(err.Error(), "already spent") {
		t.Fatalf("double spend after reorg: %v", err)
	}
}

// TestOutputCacheFailedApply checks that a block whose batch is not committed
// leaves no trace in the cache: neither the outputs it created nor the
// removal of those it spent.
func TestOutputCacheFailedApply(t *testing.T) {
	s := openTest(t)
	b1 := utxoBlock(t, s, 1, chain.Hash{}, hashOf("cb-1"))
	mustApply(t, s, b1)
	b2 := utxoBlock(t, s, 2, b1.Hash, hashOf("cb-2"),
		spend("t2", hashOf("cb-1"), 0, chain.Output{Address: baddr("alice"), Value: 50}))
	// A second transaction with an unresolved input fails writeUTXO after the
	// first one's outputs and spends were recorded.
	b2.Txs = append(b2.Txs, chain.Tx{Hash: hashOf("bad"), Index: 2, Success: true, Inputs: []chain.Input{{PrevTx: hashOf("x")}}})
	if err := s.ApplyBlock(b2); err == nil || !strings.Contains(err.Error(), "not resolved") {
		t.Fatalf("apply with an unresolved input: %v", err)
	}
	var miss *MissingOutputError
	if err := resolveErr(s, 2, hashOf("t2"), 0); !errors.As(err, &miss) {
		t.Fatalf("spending an output of an uncommitted block: %v, want a MissingOutputError", err)
	}
	if _, ok := s.outs.get(outPoint{chain.Bitcoin, hashOf("cb-1"), 0}); !ok {
		t.Fatal("an output spent only by the failed block left the cache")
	}
	good := utxoBlock(t, s, 2, b1.Hash, hashOf("cb-2"), spend("t2", hashOf("cb-1"), 0, chain.Output{Address: baddr("alice"), Value: 50}))
	mustApply(t, s, good)
	if err := resolveErr(s, 3, hashOf("cb-1"), 0); err == nil || !strings.Contains(err.Error(), "already spent") {
		t.Fatalf("double spend: %v", err)
	}
}

// TestOutputCacheBoundsAndAgrees ingests a chain whose inputs spend outputs
// of all ages with a tiny cache, the default and none: memory stays within
// the bound and every store stores the same.
func TestOutputCacheBoundsAndAgrees(t *testing.T) {
	var dumps []string
	for _, size := range []int{4, 0, -1} {
		s, err := Open(t.TempDir(), Options{OutputCache: size})
		if err != nil {
			t.Fatal(err)
		}
		var g utxoChain
		for h := uint64(1); h <= 30; h++ {
			g.apply(t, s, h, h)
			if size > 0 && s.outs.len() > size {
				t.Fatalf("cache of %d entries holds %d", size, s.outs.len())
			}
		}
		dumps = append(dumps, btcDump(t, s, 30))
		s.Close()
	}
	if dumps[0] != dumps[1] || dumps[1] != dumps[2] {
		t.Fatalf("cache size changed what was stored:\n--- 4\n%s\n--- default\n%s\n--- none\n%s", dumps[0], dumps[1], dumps[2])
	}
}

// btcDump prints what a Bitcoin store answers for blocks 1..top: inputs and
// outputs, transfers and the ids of their addresses.
func btcDump(t *testing.T, s *DB, top uint64) string {
	t.Helper()
	var sb strings.Builder
	for h := uint64(1); h <= top; h++ {
		for i := uint32(0); ; i++ {
			tx, ok, err := s.IO(chain.Bitcoin, h, i)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			fmt.Fprintf(&sb, "%d/%d %+v\n", h, i, tx)
		}
	}
	for r, err := range s.Transfers(Query{Chain: chain.Bitcoin}) {
		if err != nil {
			t.Fatal(err)
		}
		from, _, err := s.AddressID(r.From)
		if err != nil {
			t.Fatal(err)
		}
		to, _, err := s.AddressID(r.To)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%d %d %d %s %s(%d) %s(%d) %s\n", r.Block, r.TxIndex, r.Seq, r.Kind, r.From, from, r.To, to, r.Amount.Dec())
	}
	cur, ok, err := s.Cursor(chain.Bitcoin)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&sb, "cursor %v %d %s\n", ok, cur.Height, cur.Hash)
	return sb.String()
}

// TestFailedApplyForgetsIDs checks that ids interned by a batch that was
// not committed are forgotten: the next block may hand the same ids to other
// addresses, and a remembered one would then name two addresses.
func TestFailedApplyForgetsIDs(t *testing.T) {
	s := openTest(t)
	b1 := utxoBlock(t, s, 1, chain.Hash{}, hashOf("cb-1"))
	mustApply(t, s, b1)
	bad := utxoBlock(t, s, 2, b1.Hash, hashOf("cb-2"), spend("t2", hashOf("cb-1"), 0, chain.Output{Address: baddr("x"), Value: 50}))
	bad.Txs = append(bad.Txs, chain.Tx{Hash: hashOf("bad"), Index: 2, Success: true, Inputs: []chain.Input{{PrevTx: hashOf("nowhere")}}})
	if err := s.ApplyBlock(bad); err == nil {
		t.Fatal("a block with an unresolved input was applied")
	}
	// The other order: y first takes the id x had in the failed batch.
	good := utxoBlock(t, s, 2, b1.Hash, hashOf("cb-2b"), spend("t2b", hashOf("cb-1"), 0,
		chain.Output{Address: baddr("y"), Value: 20}, chain.Output{Address: baddr("x"), Value: 30}))
	good.Txs[0].Outputs[0].Address = baddr("y")
	if err := chain.UTXOTransfers(good); err != nil {
		t.Fatal(err)
	}
	mustApply(t, s, good)
	ids := map[uint64]chain.Address{}
	for _, a := range []chain.Address{baddr("miner"), baddr("x"), baddr("y")} {
		id, ok, err := s.AddressID(a)
		if err != nil || !ok {
			t.Fatalf("%s: ok=%v err=%v", a, ok, err)
		}
		if other, dup := ids[id]; dup {
			t.Fatalf("%s and %s share id %d", a, other, id)
		}
		ids[id] = a
		if back, err := s.Address(id); err != nil || back != a {
			t.Fatalf("id %d of %s reads back as %s (%v)", id, a, back, err)
		}
	}
	tx, _, err := s.IO(chain.Bitcoin, 2, 1)
	if err != nil || len(tx.Outputs) != 2 || tx.Outputs[0].Address != baddr("y") || tx.Outputs[1].Address != baddr("x") {
		t.Fatalf("outputs of t2b: %+v (%v)", tx.Outputs, err)
	}
}
