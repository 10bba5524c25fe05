package store

import (
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
	for i := uint32(0); i < 2; i++ {
		tx := chain.Tx{Hash: hashOf(fmt.Sprintf("tx-%s-%d-%d", tag, n, i)), Index: i, Success: true}
		b.Txs = append(b.Txs, tx)
		from, to := addr(byte(n)), addr(byte(n+1+uint64(i)))
		b.Transfers = append(b.Transfers,
			chain.Transfer{Block: n, TxIndex: i, Seq: 0, TxHash: tx.Hash, Kind: chain.KindNative, From: from, To: to, Amount: *uint256.NewInt(n*10 + uint64(i))},
			chain.Transfer{Block: n, TxIndex: i, Seq: 1, TxHash: tx.Hash, Kind: chain.KindToken, From: to, To: from, Asset: token, Amount: *uint256.NewInt(7)},
			chain.Transfer{Block: n, TxIndex: i, Seq: 2, TxHash: tx.Hash, Kind: chain.KindInternal, From: from, To: from, Amount: *uint256.NewInt(1)},
		)
	}
	b.Transfers = append(b.Transfers, chain.Transfer{Block: n, TxIndex: chain.BlockLevel, Kind: chain.KindWithdrawal, To: addr(250), Amount: *uint256.NewInt(1e9)})
	return b
}

func openTest(t *testing.T) *DB {
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
	f.Fuzz(func(t *testing.T, v []byte) {
		decodePositions(v, nil)
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
