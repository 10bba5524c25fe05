package store

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/cockroachdb/pebble/v2"
	"github.com/holiman/uint256"
)

// memoBlock is testBlock with memos: a router deposit in transaction 0 and,
// in transaction 1, a payout memo naming ref.
func memoBlock(n uint64, tag string, parent chain.Hash, ref chain.Hash) *chain.Block {
	b := testBlock(n, tag, parent)
	b.Memos = []chain.Memo{
		{TxIndex: 0, Kind: chain.MemoRouterDeposit, Index: 3, Contract: addr(77), From: addr(1), To: addr(78),
			Asset: chain.NativeAsset, Amount: *uint256.NewInt(5e17), Text: fmt.Sprintf("=:b:bc1q-%s-%d", tag, n)},
		{TxIndex: 1, Kind: chain.MemoRouterTransferOut, Index: 9, Contract: addr(77), From: addr(78), To: addr(79),
			Asset: chain.Asset{Kind: chain.ERC20, Contract: addr(200)}, Amount: *uint256.NewInt(12), Text: "OUT:" + strings.ToUpper(fmt.Sprintf("%x", ref[:]))},
	}
	return b
}

func countPrefix(t *testing.T, s *DB, p byte) int {
	t.Helper()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{p}, UpperBound: []byte{p + 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		n++
	}
	return n
}

func TestMemosApplyReadRollbackReorg(t *testing.T) {
	s := openTest(t)
	ref := hashOf("inbound-on-another-chain")
	parent := applyChain(t, s, "a", 1, 1, chain.Hash{})
	b2 := memoBlock(2, "a", parent, ref)
	if err := s.ApplyBlock(b2); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Memos(chain.Ethereum, b2.Txs[0].Hash)
	if err != nil || !ok {
		t.Fatalf("Memos: ok %v err %v", ok, err)
	}
	if !reflect.DeepEqual(got, b2.Memos[:1]) {
		t.Fatalf("memos of tx 0:\n got %+v\nwant %+v", got, b2.Memos[:1])
	}
	got, _, _ = s.Memos(chain.Ethereum, b2.Txs[1].Hash)
	if !reflect.DeepEqual(got, b2.Memos[1:]) {
		t.Fatalf("memos of tx 1:\n got %+v\nwant %+v", got, b2.Memos[1:])
	}
	// A transaction without memos, and one the store never saw.
	if ms, ok, err := s.Memos(chain.Ethereum, hashOf("tx-a-1-0")); err != nil || !ok || ms != nil {
		t.Fatalf("memo-less tx: %v %v %v", ms, ok, err)
	}
	if _, ok, err := s.Memos(chain.Ethereum, hashOf("nope")); err != nil || ok {
		t.Fatalf("unknown tx: ok %v err %v", ok, err)
	}
	refs, err := s.MemoRefs(ref)
	if err != nil {
		t.Fatal(err)
	}
	if want := []TxRef{{Chain: chain.Ethereum, Block: 2, Index: 1, Hash: b2.Txs[1].Hash}}; !reflect.DeepEqual(refs, want) {
		t.Fatalf("MemoRefs = %+v, want %+v", refs, want)
	}

	// Reorg: block 2 replaced by a fork block with a memo naming another ref.
	if err := s.Rollback(chain.Ethereum, 1); err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(t, s, pMemo) + countPrefix(t, s, pMemoRef); n != 0 {
		t.Fatalf("%d memo keys left after rollback", n)
	}
	if refs, _ := s.MemoRefs(ref); len(refs) != 0 {
		t.Fatalf("refs after rollback: %+v", refs)
	}
	ref2 := hashOf("another-inbound")
	b2b := memoBlock(2, "b", parent, ref2)
	if err := s.ApplyBlock(b2b); err != nil {
		t.Fatal(err)
	}
	if ms, ok, _ := s.Memos(chain.Ethereum, b2.Txs[0].Hash); ok || ms != nil {
		t.Fatalf("memos of a reorged-out tx still found: %+v", ms)
	}
	if refs, _ := s.MemoRefs(ref2); len(refs) != 1 || refs[0].Hash != b2b.Txs[1].Hash {
		t.Fatalf("refs of the new branch: %+v", refs)
	}
	if n := countPrefix(t, s, pMemo); n != 2 {
		t.Fatalf("%d memo records, want 2", n)
	}
}

func TestMemosRejectedLeaveStoreIntact(t *testing.T) {
	s := openTest(t)
	parent := applyChain(t, s, "a", 1, 1, chain.Hash{})
	for name, mut := range map[string]func(b *chain.Block){
		"unknown tx": func(b *chain.Block) { b.Memos[0].TxIndex = 7 },
		"order":      func(b *chain.Block) { b.Memos[0], b.Memos[1] = b.Memos[1], b.Memos[0] },
		"too long":   func(b *chain.Block) { b.Memos[1].Text = strings.Repeat("x", chain.MaxMemoLen+1) },
		"same index": func(b *chain.Block) { b.Memos[1].TxIndex, b.Memos[1].Index = 0, 3 },
	} {
		b := memoBlock(2, "a", parent, hashOf("r"))
		mut(b)
		err := s.ApplyBlock(b)
		if err == nil || !strings.Contains(err.Error(), "block 2") {
			t.Errorf("%s: err = %v, want one naming the block", name, err)
		}
		if cur, _, _ := s.Cursor(chain.Ethereum); cur.Height != 1 {
			t.Fatalf("%s: cursor moved to %d", name, cur.Height)
		}
		if n := countPrefix(t, s, pMemo) + countPrefix(t, s, pMemoRef); n != 0 {
			t.Fatalf("%s: %d memo keys written", name, n)
		}
	}
}

func TestDecodeMemosCorrupt(t *testing.T) {
	ms := []chain.Memo{{TxIndex: 4, Kind: chain.MemoOpReturn, Index: 2, Text: "OUT:AB"}}
	v := encodeMemos(nil, ms)
	got, err := decodeMemos(v, chain.Bitcoin, 4)
	if err != nil || !reflect.DeepEqual(got, ms) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for i := 1; i < len(v); i++ {
		if _, err := decodeMemos(v[:i], chain.Bitcoin, 4); err == nil {
			t.Errorf("truncated to %d bytes: no error", i)
		}
	}
}
