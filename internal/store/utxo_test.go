package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

func baddr(s string) chain.Address { return chain.Address{Chain: chain.Bitcoin, Raw: s} }

// utxoBlock builds a Bitcoin-like block: a coinbase paying miner, plus the
// given transactions; inputs are resolved by the store and transfers derived
// by chain.UTXOTransfers, as ingest does.
func utxoBlock(t *testing.T, s *DB, n uint64, parent chain.Hash, coinbase chain.Hash, txs ...chain.Tx) *chain.Block {
	t.Helper()
	b := &chain.Block{Chain: chain.Bitcoin, Height: n, Hash: hashOf(fmt.Sprintf("btc-%d-%s", n, coinbase)), Parent: parent, Time: int64(n)}
	b.Txs = append(b.Txs, chain.Tx{Hash: coinbase, Index: 0, Success: true, Coinbase: true, Outputs: []chain.Output{{Address: baddr("miner"), Value: 50}}})
	for i, tx := range txs {
		tx.Index, tx.Success = uint32(i+1), true
		b.Txs = append(b.Txs, tx)
	}
	if err := s.ResolveInputs(b); err != nil {
		t.Fatalf("block %d: %v", n, err)
	}
	if err := chain.UTXOTransfers(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func spend(hash string, prev chain.Hash, idx uint32, outs ...chain.Output) chain.Tx {
	return chain.Tx{Hash: hashOf(hash), Inputs: []chain.Input{{PrevTx: prev, PrevIndex: idx}}, Outputs: outs}
}

func TestUTXOResolveApplyRollback(t *testing.T) {
	s := openTest(t)
	cb1 := hashOf("cb-1")
	b1 := utxoBlock(t, s, 1, chain.Hash{}, cb1)
	mustApply(t, s, b1)
	// Block 2 spends block 1's coinbase to alice (30) and bob (15), fee 5;
	// then, in the same block, alice's new output to carol.
	b2 := utxoBlock(t, s, 2, b1.Hash, hashOf("cb-2"),
		spend("t2a", cb1, 0, chain.Output{Address: baddr("alice"), Value: 30}, chain.Output{Address: baddr("bob"), Value: 15}),
		spend("t2b", hashOf("t2a"), 0, chain.Output{Address: baddr("carol"), Value: 29}))
	if in := b2.Txs[2].Inputs[0]; in.Address != baddr("alice") || in.Value != 30 {
		t.Fatalf("in-block spend resolved to %+v", in)
	}
	mustApply(t, s, b2)
	// Block 3 repeats block 1's coinbase txid (as mainnet 91842 repeats 91812).
	b3 := utxoBlock(t, s, 3, b2.Hash, cb1)
	mustApply(t, s, b3)
	tx, ok, err := s.IO(chain.Bitcoin, 2, 1)
	if err != nil || !ok || len(tx.Inputs) != 1 || tx.Inputs[0].Address != baddr("miner") || tx.Inputs[0].Value != 50 || len(tx.Outputs) != 2 {
		t.Fatalf("stored inputs/outputs of t2a: %+v ok=%v err=%v", tx, ok, err)
	}
	// Spending an output twice, or one that was never there, is refused.
	var miss *MissingOutputError
	b := &chain.Block{Chain: chain.Bitcoin, Height: 4, Txs: []chain.Tx{spend("t4", hashOf("nowhere"), 3)}}
	if err := s.ResolveInputs(b); !errors.As(err, &miss) || !strings.Contains(err.Error(), "-txindex") {
		t.Fatalf("missing output: %v", err)
	}
	b = &chain.Block{Chain: chain.Bitcoin, Height: 4, Txs: []chain.Tx{spend("t4", hashOf("t2a"), 1)}}
	if err := s.ResolveInputs(b); err != nil {
		t.Fatalf("bob's output is unspent: %v", err)
	}
	b = &chain.Block{Chain: chain.Bitcoin, Height: 4, Txs: []chain.Tx{spend("t4", hashOf("t2a"), 0)}}
	if err := s.ResolveInputs(b); err == nil || !strings.Contains(err.Error(), "already spent") {
		t.Fatalf("double spend: %v", err)
	}
	// Rolling back block 3 restores block 1's coinbase output and its hash index.
	if err := s.Rollback(chain.Bitcoin, 2); err != nil {
		t.Fatal(err)
	}
	if info, ok, _ := s.Tx(chain.Bitcoin, cb1); !ok || info.Block != 1 {
		t.Fatalf("duplicate txid not restored to block 1: %+v ok=%v", info, ok)
	}
	checkNoKeysAbove(t, s, 2)
	// Rolling back block 2 makes block 1's coinbase unspent again.
	if err := s.Rollback(chain.Bitcoin, 1); err != nil {
		t.Fatal(err)
	}
	again := utxoBlock(t, s, 2, b1.Hash, hashOf("cb-2x"), spend("t2x", cb1, 0, chain.Output{Address: baddr("dave"), Value: 50}))
	mustApply(t, s, again)
	checkNoKeysAbove(t, s, 2)
}

func mustApply(t *testing.T, s *DB, b *chain.Block) {
	t.Helper()
	if err := s.ApplyBlock(b); err != nil {
		t.Fatalf("apply %d: %v", b.Height, err)
	}
}

// TestSourceResolvedInputs: an input the source resolved is checked against
// the output the store holds; one the store never held is taken from the
// source, and a rollback forgets that output again instead of inventing it
// as unspent. An output spent twice in one block is refused.
func TestSourceResolvedInputs(t *testing.T) {
	s := openTest(t)
	cb1 := hashOf("cb-1")
	b1 := utxoBlock(t, s, 1, chain.Hash{}, cb1)
	mustApply(t, s, b1)
	given := func(prev chain.Hash, addr string, v int64) chain.Tx {
		tx := spend("t-"+addr, prev, 0, chain.Output{Address: baddr("x"), Value: 1})
		tx.Inputs[0].Address, tx.Inputs[0].Value, tx.Inputs[0].Resolved = baddr(addr), v, true
		return tx
	}
	block2 := func(txs ...chain.Tx) *chain.Block {
		b := &chain.Block{Chain: chain.Bitcoin, Height: 2, Parent: b1.Hash, Hash: hashOf("b2")}
		b.Txs = append([]chain.Tx{{Hash: hashOf("cb-2"), Success: true, Coinbase: true, Outputs: []chain.Output{{Address: baddr("miner"), Value: 50}}}}, txs...)
		for i := range b.Txs {
			b.Txs[i].Index, b.Txs[i].Success = uint32(i), true
		}
		return b
	}
	if err := s.ResolveInputs(block2(given(cb1, "mallory", 999))); err == nil || !strings.Contains(err.Error(), "the store holds 50 to miner") {
		t.Fatalf("a source that disagrees with the store: %v", err)
	}
	if err := s.ResolveInputs(block2(spend("a", cb1, 0), spend("b", cb1, 0))); err == nil || !strings.Contains(err.Error(), "spent twice in this block") {
		t.Fatalf("double spend in one block: %v", err)
	}
	ext := hashOf("outside")
	b := block2(given(cb1, "miner", 50), given(ext, "alice", 7))
	if err := s.ResolveInputs(b); err != nil {
		t.Fatal(err)
	}
	if b.Txs[1].Inputs[0].FromSource || !b.Txs[2].Inputs[0].FromSource {
		t.Fatalf("FromSource: stored output %v, outside output %v", b.Txs[1].Inputs[0].FromSource, b.Txs[2].Inputs[0].FromSource)
	}
	if err := chain.UTXOTransfers(b); err != nil {
		t.Fatal(err)
	}
	mustApply(t, s, b)
	if _, ok, _ := s.get(outpointKey(pOutput, chain.Bitcoin, ext, 0)); !ok {
		t.Fatal("the spent outside output is not indexed as spent")
	}
	if err := s.Rollback(chain.Bitcoin, 1); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.get(outpointKey(pOutput, chain.Bitcoin, ext, 0)); ok {
		t.Fatal("rollback left an output the store never held")
	}
	if o, ok, err := s.Unspent(chain.Bitcoin, cb1, 0); err != nil || !ok || o.Value != 50 || o.Address != baddr("miner") {
		t.Fatalf("block 1's coinbase after rollback: %+v %v %v", o, ok, err)
	}
}

// TestUTXOFingerprint: nVersion and nLockTime survive the W record, and a
// record written before they were kept (flags byte 0 or 1) reads back
// with the fingerprint unknown.
func TestUTXOFingerprint(t *testing.T) {
	s := openTest(t)
	cb1 := hashOf("cb-1")
	b1 := utxoBlock(t, s, 1, chain.Hash{}, cb1)
	mustApply(t, s, b1)
	tx := spend("t2", cb1, 0, chain.Output{Address: baddr("alice"), Value: 30})
	tx.Version, tx.LockTime, tx.HasFingerprint = 2, 1, true
	old := spend("t2old", hashOf("nowhere"), 0, chain.Output{Address: baddr("bob"), Value: 1})
	old.Inputs[0].Address, old.Inputs[0].Value, old.Inputs[0].Resolved = baddr("x"), 2, true
	old.Version, old.LockTime = 7, 9 // not known: HasFingerprint false
	b2 := utxoBlock(t, s, 2, b1.Hash, hashOf("cb-2"), tx, old)
	mustApply(t, s, b2)
	got, ok, err := s.IO(chain.Bitcoin, 2, 1)
	if err != nil || !ok || !got.HasFingerprint || got.Version != 2 || got.LockTime != 1 {
		t.Fatalf("fingerprint of t2: %+v ok=%v err=%v", got, ok, err)
	}
	got, ok, err = s.IO(chain.Bitcoin, 2, 2)
	if err != nil || !ok || got.HasFingerprint || got.Version != 0 || got.LockTime != 0 {
		t.Fatalf("unknown fingerprint of t2old: %+v ok=%v err=%v", got, ok, err)
	}
	// A negative version and a timestamp locktime round-trip through the codec.
	io := storedIO{txid: hashOf("v"), hasPrint: true, version: -1, lockTime: 1_700_000_000, outputs: []storedOutput{{1, 2}}}
	back, err := decodeIO(encodeIO(nil, &io))
	if err != nil || !back.hasPrint || back.version != -1 || back.lockTime != 1_700_000_000 {
		t.Fatalf("codec: %+v %v", back, err)
	}
	// An old record: coinbase byte 1, no fingerprint.
	io = storedIO{txid: hashOf("cb"), coinbase: true, outputs: []storedOutput{{1, 50}}}
	v := encodeIO(nil, &io)
	if v[32] != 1 {
		t.Fatalf("a coinbase without fingerprint must encode as the old record did: flags %d", v[32])
	}
	if back, err := decodeIO(v); err != nil || !back.coinbase || back.hasPrint {
		t.Fatalf("old record: %+v %v", back, err)
	}
	if _, err := decodeIO(append(append([]byte{}, v[:32]...), 4)); err == nil {
		t.Fatal("an unknown flag bit decodes")
	}
}
