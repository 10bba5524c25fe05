package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

func addr(i byte) chain.Address {
	var b [20]byte
	b[19] = i
	return chain.EVMAddress(b)
}

func hashOf(s string) chain.Hash {
	var h chain.Hash
	copy(h[:], s)
	return h
}

// testBlock builds block n of a fork named by tag: two transactions, one
// native transfer each, a token transfer, a self transfer and a withdrawal.
func testBlock(n uint64, tag string, parent chain.Hash) *chain.Block {
	b := &chain.Block{Chain: chain.Ethereum, Height: n, Hash: hashOf(fmt.Sprintf("%s-%d", tag, n)), Parent: parent, Time: int64(1000 + n)}
	token := chain.Asset{Kind: chain.ERC20, Contract: addr(200)}
	base := byte(n) // fork "b" uses other addresses, so that its index keys differ from fork "a"'s
	if tag == "b" {
		base += 100
	}
	for i := uint32(0); i < 2; i++ {
		tx := chain.Tx{Hash: hashOf(fmt.Sprintf("tx-%s-%d-%d", tag, n, i)), Index: i, Success: true}
		b.Txs = append(b.Txs, tx)
		from, to := addr(base), addr(base+1+byte(i))
		b.Transfers = append(b.Transfers,
			chain.Transfer{Block: n, TxIndex: i, Seq: 0, TxHash: tx.Hash, Kind: chain.KindNative, From: from, To: to, Amount: *uint256.NewInt(n*10 + uint64(i))},
			chain.Transfer{Block: n, TxIndex: i, Seq: 1, TxHash: tx.Hash, Kind: chain.KindToken, From: to, To: from, Asset: token, Amount: *uint256.NewInt(7)},
			chain.Transfer{Block: n, TxIndex: i, Seq: 2, TxHash: tx.Hash, Kind: chain.KindInternal, From: from, To: from, Amount: *uint256.NewInt(1)},
		)
	}
	b.Transfers = append(b.Transfers, chain.Transfer{Block: n, TxIndex: chain.BlockLevel, Kind: chain.KindWithdrawal, To: addr(250), Amount: *uint256.NewInt(1e9)})
	return b
}

func openTest(t testing.TB) *DB {
	t.Helper()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func applyChain(t *testing.T, s *DB, tag string, from, to uint64, parent chain.Hash) chain.Hash {
	t.Helper()
	for n := from; n <= to; n++ {
		b := testBlock(n, tag, parent)
		if err := s.ApplyBlock(b); err != nil {
			t.Fatalf("apply %d: %v", n, err)
		}
		parent = b.Hash
	}
	return parent
}

// dump renders every transfer, per-address listing and tx lookup of a store
// as text, so two stores can be compared whatever their interned ids.
func dump(t *testing.T, s *DB, addrs []chain.Address) string {
	t.Helper()
	var sb strings.Builder
	rows := func(q Query) {
		for r, err := range s.Transfers(q) {
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&sb, "%d %d %d %s %s %s %s %s %s %d\n", r.Block, r.TxIndex, r.Seq, r.TxHash, r.Kind, r.From, r.To, r.Asset.CAIP19("eip155:1"), r.Amount.Dec(), r.Time)
			if r.TxIndex != chain.BlockLevel {
				info, ok, err := s.Tx(chain.Ethereum, r.TxHash)
				if err != nil || !ok {
					t.Fatalf("tx %s: ok=%v err=%v", r.TxHash, ok, err)
				}
				fmt.Fprintf(&sb, "  tx %d %d %v %d\n", info.Block, info.Index, info.Success, len(info.Transfers))
			}
		}
	}
	rows(Query{Chain: chain.Ethereum})
	for _, a := range addrs {
		fmt.Fprintf(&sb, "address %s\n", a)
		rows(Query{Chain: chain.Ethereum, Address: &a})
	}
	cur, ok, err := s.Cursor(chain.Ethereum)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&sb, "cursor %v %d %s\n", ok, cur.Height, cur.Hash)
	return sb.String()
}

func allAddrs() []chain.Address {
	var out []chain.Address
	for i := 0; i < 255; i += 1 {
		out = append(out, addr(byte(i)))
	}
	return out
}

func TestRollbackThenReapplyEqualsFresh(t *testing.T) {
	s := openTest(t)
	tip := applyChain(t, s, "a", 5, 12, chain.Hash{})
	_ = tip
	fork, _, _ := s.BlockHash(chain.Ethereum, 8)
	if err := s.Rollback(chain.Ethereum, 8); err != nil {
		t.Fatal(err)
	}
	applyChain(t, s, "b", 9, 14, fork)

	fresh := openTest(t)
	p := applyChain(t, fresh, "a", 5, 8, chain.Hash{})
	applyChain(t, fresh, "b", 9, 14, p)

	got, want := dump(t, s, allAddrs()), dump(t, fresh, allAddrs())
	if got != want {
		t.Fatalf("store after reorg differs from a fresh one:\n--- got\n%s\n--- want\n%s", got, want)
	}
	if strings.Count(want, "\n") < 100 {
		t.Fatalf("dump too small to mean anything: %q", want)
	}
	// Nothing of fork a above 8 may remain reachable by hash.
	if _, ok, _ := s.Tx(chain.Ethereum, hashOf("tx-a-10-0")); ok {
		t.Fatal("transaction of a rolled-back block is still indexed")
	}
	if err := s.Rollback(chain.Ethereum, 8); err != nil {
		t.Fatal(err)
	}
	checkNoKeysAbove(t, s, 8)
}

// checkNoKeysAbove scans the raw key space: no block, undo, transaction,
// hash-index or address-index key may refer to a height above h.
func checkNoKeysAbove(t *testing.T, s *DB, h uint64) {
	t.Helper()
	it, err := s.db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	counts := map[byte]int{}
	for it.First(); it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		var height uint64
		switch k[0] {
		case pBlock, pUndo, pTransfer, pIO:
			height = binary.BigEndian.Uint64(k[2:10])
		case pOutput:
			if len(v) == 32 {
				height = binary.BigEndian.Uint64(v[16:24]) // the spender
			}
		case pOut, pIn:
			height = binary.BigEndian.Uint64(k[9:17])
		case pTxHash:
			height = binary.BigEndian.Uint64(v[0:8])
		default:
			continue
		}
		counts[k[0]]++
		if height > h {
			t.Errorf("key %q/%x refers to height %d above %d after rollback", k[0], k[1:], height, h)
		}
	}
	if h != noHeight && counts[pOut] == 0 {
		t.Errorf("no index keys at all below %d: the check checked nothing", h)
	}
}

// noHeight asks checkNoKeysAbove for an empty chain.
const noHeight = ^uint64(0)

func TestRollbackBelowFirstBlock(t *testing.T) {
	s := openTest(t)
	applyChain(t, s, "a", 5, 8, chain.Hash{})
	if err := s.Rollback(chain.Ethereum, 4); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Cursor(chain.Ethereum); ok {
		t.Fatal("cursor left after rolling back every block")
	}
	it, _ := s.db.NewIter(nil)
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		switch it.Key()[0] {
		case pBlock, pUndo, pTransfer, pOut, pIn, pTxHash, pCursor:
			t.Errorf("key %q/%x left after rolling back every block", it.Key()[0], it.Key()[1:])
		}
	}
	// The chain is still bound: the same network binds again, and blocks apply.
	applyChain(t, s, "b", 5, 6, chain.Hash{})
}

func TestRollbackToEmpty(t *testing.T) {
	s := openTest(t)
	applyChain(t, s, "a", 0, 3, chain.Hash{})
	if err := s.Rollback(chain.Ethereum, 0); err != nil {
		t.Fatal(err)
	}
	cur, ok, _ := s.Cursor(chain.Ethereum)
	if !ok || cur.Height != 0 {
		t.Fatalf("cursor after rollback to 0: %v %+v", ok, cur)
	}
	n := 0
	for _, err := range s.Transfers(Query{Chain: chain.Ethereum, FromBlock: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 0 {
		t.Fatalf("%d transfers above block 0 remain", n)
	}
}

func TestApplyRejectsWithoutWriting(t *testing.T) {
	s := openTest(t)
	tip := applyChain(t, s, "a", 1, 3, chain.Hash{})
	before := dump(t, s, allAddrs())
	var pm *ParentMismatchError
	if err := s.ApplyBlock(testBlock(4, "x", hashOf("wrong"))); !errors.As(err, &pm) {
		t.Fatalf("want parent mismatch, got %v", err)
	}
	var gap *GapError
	if err := s.ApplyBlock(testBlock(6, "a", tip)); !errors.As(err, &gap) || gap.Next != 4 {
		t.Fatalf("want gap error expecting 4, got %v", err)
	}
	if after := dump(t, s, allAddrs()); after != before {
		t.Fatal("a rejected block changed the store")
	}
}

func TestAddressIndexSelfTransferOnce(t *testing.T) {
	s := openTest(t)
	applyChain(t, s, "a", 1, 1, chain.Hash{})
	a := addr(1)
	var kinds []string
	for r, err := range s.Transfers(Query{Chain: chain.Ethereum, Address: &a}) {
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, fmt.Sprintf("%d/%d/%s", r.TxIndex, r.Seq, r.Kind))
	}
	// addr(1) sends native twice, receives the token back twice and sends to itself twice.
	want := "0/0/native 0/1/token 0/2/internal 1/0/native 1/1/token 1/2/internal"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("address transfers:\n got %s\nwant %s", got, want)
	}
}

func TestBindMismatch(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mainnet := chain.Network{CAIP2: "eip155:1", Genesis: "0xd4e5"}
	if err := s.Bind(chain.Ethereum, mainnet); err != nil {
		t.Fatal(err)
	}
	// Binding alone writes nothing: a failed first run leaves the store empty.
	if _, ok, _ := s.Network(chain.Ethereum); ok {
		t.Fatal("binding was written before any block")
	}
	applyChain(t, s, "a", 0, 0, chain.Hash{})
	s.Close()
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var nm *NetworkMismatchError
	if err := s.Bind(chain.Ethereum, chain.Network{CAIP2: "eip155:11155111", Genesis: "0x25a5"}); !errors.As(err, &nm) {
		t.Fatalf("want network mismatch, got %v", err)
	}
	if err := s.Bind(chain.Ethereum, mainnet); err != nil {
		t.Fatalf("rebinding the same network: %v", err)
	}
}

func TestTransferCodecRoundTrip(t *testing.T) {
	max := new(uint256.Int).SetAllOne()
	in := []storedTransfer{
		{seq: 0, kind: chain.KindNative, from: 1, to: 2, amount: *uint256.NewInt(0)},
		{seq: 1<<32 - 1, kind: chain.KindToken, from: 1 << 40, to: 0, asset: 1<<32 - 1, amount: *max},
		{seq: 7, kind: chain.KindToken, from: 3, to: 4, asset: 9, amount: *uint256.NewInt(1), tokenID: uint256.NewInt(0)},
	}
	var v []byte
	for i := range in {
		v = encodeTransfer(v, &in[i])
	}
	got, err := decodeTransfers(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("decoded %d transfers, want %d", len(got), len(in))
	}
	for i, st := range in {
		g := got[i]
		if g.seq != st.seq || g.kind != st.kind || g.from != st.from || g.to != st.to || g.asset != st.asset || !g.amount.Eq(&st.amount) ||
			(g.tokenID == nil) != (st.tokenID == nil) || (g.tokenID != nil && !g.tokenID.Eq(st.tokenID)) {
			t.Fatalf("round trip %d: got %+v want %+v", i, g, st)
		}
	}
	ps := []position{{0, 0}, {chain.BlockLevel, 3}, {17, 1<<32 - 1}}
	back, err := decodePositions(appendPositions(nil, ps), nil)
	if err != nil || !slices.Equal(back, ps) {
		t.Fatalf("positions round trip: %v %v", back, err)
	}
}

func TestApplyRejectsUnorderedTransfers(t *testing.T) {
	s := openTest(t)
	b := testBlock(1, "a", chain.Hash{})
	b.Transfers[0], b.Transfers[1] = b.Transfers[1], b.Transfers[0]
	if err := s.ApplyBlock(b); err == nil || !strings.Contains(err.Error(), "order") {
		t.Fatalf("want an ordering error, got %v", err)
	}
}

// FuzzDecodeTransfers feeds arbitrary stored values to the decoders: they
// must fail cleanly, and whatever decodes must re-encode to the same list.
func FuzzDecodeTransfers(f *testing.F) {
	f.Add(encodeTransfer(nil, &storedTransfer{seq: 2, kind: 1, from: 5, to: 6, amount: *uint256.NewInt(12345)}))
	f.Add([]byte{0, 0x82, 1, 2, 3, 0, 1})
	f.Add(encodeUndo(Cursor{Height: 9}, true, []keyValue{{[]byte("k"), []byte("v")}}))
	f.Add(encodeIO(nil, &storedIO{inputs: []storedInput{{prevIndex: 1, addr: 2, value: 3}}, outputs: []storedOutput{{4, 5}}}))
	f.Add(encodeIO(nil, &storedIO{hasPrint: true, version: -2, lockTime: 840_000, inputs: []storedInput{{prevIndex: 1, addr: 2, value: 3}}, outputs: []storedOutput{{4, 5}}}))
	f.Fuzz(func(t *testing.T, v []byte) {
		decodePositions(v, nil)
		decodeUndo(v)
		if io, err := decodeIO(v); err == nil {
			again := encodeIO(nil, &io)
			if back, err := decodeIO(again); err != nil || len(back.inputs) != len(io.inputs) || len(back.outputs) != len(io.outputs) ||
				back.coinbase != io.coinbase || back.hasPrint != io.hasPrint || back.version != io.version || back.lockTime != io.lockTime {
				t.Fatalf("inputs/outputs record %x does not survive re-encoding: %v", v, err)
			}
		}
		list, err := decodeTransfers(v, nil)
		if err != nil {
			return
		}
		var again []byte
		for i := range list {
			again = encodeTransfer(again, &list[i])
		}
		back, err := decodeTransfers(again, nil)
		if err != nil || len(back) != len(list) {
			t.Fatalf("re-encoding %x failed: %v", v, err)
		}
		for i := range list {
			if !back[i].amount.Eq(&list[i].amount) || back[i].from != list[i].from || back[i].seq != list[i].seq {
				t.Fatalf("re-encoding changed transfer %d of %x", i, v)
			}
		}
	})
}

func TestOpenLockedSaysSo(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second open: want an in-use error, got %v", err)
	}
}

// TestTinyInternCacheKeepsIDs interns with a cache of two entries, so it is
// trimmed after every block: an address must keep one id within and across
// blocks, and its full history must stay reachable.
func TestTinyInternCacheKeepsIDs(t *testing.T) {
	s, err := Open(t.TempDir(), Options{InternCache: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	applyChain(t, s, "a", 1, 6, chain.Hash{})
	ref := openTest(t)
	applyChain(t, ref, "a", 1, 6, chain.Hash{})
	if got, want := dump(t, s, allAddrs()), dump(t, ref, allAddrs()); got != want {
		t.Fatalf("a tiny intern cache changed what the store answers:\n--- tiny\n%s\n--- default\n%s", got, want)
	}
	distinct := map[chain.Address]bool{}
	for r, err := range s.Transfers(Query{Chain: chain.Ethereum}) {
		if err != nil {
			t.Fatal(err)
		}
		distinct[r.From], distinct[r.To] = true, true
	}
	delete(distinct, chain.Address{})
	if uint64(len(distinct)) != s.nextAddr-1 {
		t.Fatalf("%d distinct addresses got %d ids", len(distinct), s.nextAddr-1)
	}
}

// TestReadsSeeOneForkWhileReorging rolls back and re-applies two forks in a
// loop while readers query addresses and whole ranges: every query must
// succeed and see blocks 6..10 from one fork only.
func TestReadsSeeOneForkWhileReorging(t *testing.T) {
	s := openTest(t)
	base := applyChain(t, s, "a", 1, 5, chain.Hash{})
	applyChain(t, s, "a", 6, 10, base)
	done := make(chan struct{})
	writerErr := make(chan error, 1)
	go func() {
		defer close(writerErr)
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			tag := []string{"a", "b"}[i%2]
			if err := s.Rollback(chain.Ethereum, 5); err != nil {
				writerErr <- err
				return
			}
			parent := base
			for n := uint64(6); n <= 10; n++ {
				b := testBlock(n, tag, parent)
				if err := s.ApplyBlock(b); err != nil {
					writerErr <- err
					return
				}
				parent = b.Hash
			}
		}
	}()
	queries := 0
	for i := 0; i < 300; i++ {
		a := addr(byte(6 + i%5)) // addresses of fork a's upper blocks
		for _, q := range []Query{{Chain: chain.Ethereum, FromBlock: 6}, {Chain: chain.Ethereum, Address: &a}} {
			forks := map[byte]bool{}
			for r, err := range s.Transfers(q) {
				if err != nil {
					t.Fatalf("query during reorgs: %v", err)
				}
				if r.Block > 5 && !r.TxHash.IsZero() {
					forks[r.TxHash[3]] = true // "tx-a-…" or "tx-b-…"
				}
			}
			if len(forks) > 1 {
				t.Fatalf("one query saw both forks: %v", forks)
			}
			queries++
		}
	}
	close(done)
	if err := <-writerErr; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d queries during reorgs", queries)
}
