package store

import (
	"errors"
	"fmt"
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
	for _, st := range []storedTransfer{
		{kind: chain.KindNative, from: 1, to: 2, amount: *uint256.NewInt(0)},
		{kind: chain.KindToken, from: 1 << 40, to: 0, asset: 1<<32 - 1, amount: *max},
		{kind: chain.KindToken, from: 3, to: 4, asset: 9, amount: *uint256.NewInt(1), tokenID: uint256.NewInt(0)},
	} {
		got, err := decodeTransfer(encodeTransfer(nil, &st))
		if err != nil {
			t.Fatal(err)
		}
		if got.kind != st.kind || got.from != st.from || got.to != st.to || got.asset != st.asset || !got.amount.Eq(&st.amount) ||
			(got.tokenID == nil) != (st.tokenID == nil) || (got.tokenID != nil && !got.tokenID.Eq(st.tokenID)) {
			t.Fatalf("round trip: got %+v want %+v", got, st)
		}
	}
}

func FuzzDecodeTransfer(f *testing.F) {
	f.Add(encodeTransfer(nil, &storedTransfer{kind: 1, from: 5, to: 6, amount: *uint256.NewInt(12345)}))
	f.Add([]byte{2, 0xff})
	f.Fuzz(func(t *testing.T, v []byte) {
		st, err := decodeTransfer(v)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to something that decodes the same.
		again, err := decodeTransfer(encodeTransfer(nil, &st))
		if err != nil || !again.amount.Eq(&st.amount) || again.from != st.from || again.to != st.to {
			t.Fatalf("re-encoding changed %x: %+v vs %+v (%v)", v, st, again, err)
		}
	})
}
