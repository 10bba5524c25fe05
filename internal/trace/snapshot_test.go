package trace

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/synth"
	"github.com/holiman/uint256"
)

// randomAccountChain writes blocks of random transfers among a few
// addresses: every kind, self-transfers, mints and burns (no address on
// one side), two tokens and an ERC-721, overdrafts included (the tracer
// credits the gap as clean).
func randomAccountChain(t *testing.T, r *rand.Rand, s *store.DB, blocks int) []chain.Address {
	t.Helper()
	addrs := make([]chain.Address, 12)
	for i := range addrs {
		addrs[i] = synth.AccountAddress(1000 + i + 100*r.IntN(3))
	}
	assets := []chain.Asset{chain.NativeAsset, synth.Token, {Kind: chain.ERC20, Contract: addrs[0]}}
	nft := chain.Asset{Kind: chain.ERC721, Contract: addrs[1]}
	kinds := []chain.Kind{chain.KindNative, chain.KindToken, chain.KindInternal, chain.KindFee, chain.KindBurn}
	var parent chain.Hash
	for h := range blocks {
		b := &chain.Block{Chain: chain.Ethereum, Height: uint64(h), Hash: txHashN("blk", h), Parent: parent, Time: int64(1000 + 12*h)}
		for txi := range uint32(1 + r.IntN(4)) {
			tx := chain.Tx{Hash: txHashN(fmt.Sprintf("tx-%d", h), int(txi)), Index: txi, Success: true}
			b.Txs = append(b.Txs, tx)
			for seq := range uint32(1 + r.IntN(3)) {
				tr := chain.Transfer{Block: uint64(h), TxIndex: txi, Seq: seq, TxHash: tx.Hash, Kind: kinds[r.IntN(len(kinds))],
					From: addrs[r.IntN(len(addrs))], To: addrs[r.IntN(len(addrs))], Asset: assets[r.IntN(len(assets))]}
				tr.Amount.SetUint64(uint64(r.IntN(1000)))
				switch k := r.IntN(20); {
				case k == 0:
					tr.From = chain.Address{}
				case k == 1:
					tr.To = chain.Address{}
				case k == 2:
					tr.Asset, tr.TokenID, tr.Kind = nft, uint256.NewInt(uint64(r.IntN(5))), chain.KindToken
					tr.Amount.SetOne()
				}
				if r.IntN(8) == 0 {
					tr.Amount.Lsh(&tr.Amount, 100) // past 64 bits
				}
				b.Transfers = append(b.Transfers, tr)
			}
		}
		if r.IntN(3) == 0 {
			tr := chain.Transfer{Block: uint64(h), TxIndex: chain.BlockLevel, Kind: chain.KindWithdrawal, To: addrs[r.IntN(len(addrs))], Asset: chain.NativeAsset}
			tr.Amount.SetUint64(uint64(r.IntN(5000)))
			b.Transfers = append(b.Transfers, tr)
		}
		if err := s.ApplyBlock(b); err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		parent = b.Hash
	}
	return addrs
}

// txHashN is a distinct hash per (tag, n), independent of other tests' helpers.
func txHashN(tag string, n int) chain.Hash {
	return chain.Hash(sha256.Sum256(fmt.Appendf(nil, "%s-%d", tag, n)))
}

func collect(t *testing.T, src AccountSource, q store.Query) []store.Row {
	t.Helper()
	var out []store.Row
	for row, err := range src.Transfers(q) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
	return out
}

// TestAccountSnapshotEqualsStore checks that a snapshot answers every
// query as the store does, and that traces over both agree exactly, on
// random graphs, half of them with random exit services.
func TestAccountSnapshotEqualsStore(t *testing.T) {
	for seed := range uint64(6) {
		r := rand.New(rand.NewPCG(seed, 99))
		s := openStore(t)
		const blocks = 60
		addrs := randomAccountChain(t, r, s, blocks)
		snap, err := NewAccountSnapshot(s, chain.Ethereum)
		if err != nil {
			t.Fatal(err)
		}
		other := synth.AccountAddress(5)
		queries := []store.Query{{Chain: chain.Ethereum}, {Chain: chain.Bitcoin}, {Chain: chain.Ethereum, Address: &other}}
		for range 40 {
			a := addrs[r.IntN(len(addrs))]
			q := store.Query{Chain: chain.Ethereum, FromBlock: uint64(r.IntN(blocks)), Address: &a}
			if r.IntN(2) == 0 {
				q.ToBlock, q.HasToBlock = uint64(r.IntN(blocks+5)), true
			}
			if r.IntN(3) == 0 {
				q.Kinds = []chain.Kind{chain.KindToken, chain.KindFee}
			}
			if r.IntN(4) == 0 {
				q.Address = nil
			}
			queries = append(queries, q)
		}
		for i, q := range queries {
			want, got := collect(t, s, q), collect(t, snap, q)
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("seed %d query %d %+v: the snapshot gives %d rows, the store %d (or they differ)", seed, i, q, len(got), len(want))
			}
		}
		for _, m := range []Model{FIFO, Haircut, Poison} {
			flows := 0
			for k := range 8 {
				seeds := randomAccountSeeds(r, addrs, blocks, 1+k%4)
				b := Bounds{MaxHops: r.IntN(5)}
				if r.IntN(3) == 0 {
					b.Until, b.HasUntil = uint64(r.IntN(blocks)), true
				}
				if r.IntN(3) == 0 {
					b.MinAmount.SetUint64(uint64(r.IntN(300)))
				}
				if r.IntN(2) == 0 {
					b.Exits = randomExits(r, addrs)
				}
				want, werr := TraceAccount(s, chain.Ethereum, m, b, seeds)
				got, gerr := TraceAccount(snap, chain.Ethereum, m, b, seeds)
				if fmt.Sprint(werr) != fmt.Sprint(gerr) {
					t.Fatalf("seed %d %s: store error %v, snapshot error %v", seed, m, werr, gerr)
				}
				if !reflect.DeepEqual(want, got) {
					t.Fatalf("seed %d %s seeds %v bounds %+v: traces over the store and the snapshot differ", seed, m, seeds, b)
				}
				checkFast(t, snap, m, b, seeds, want, werr)
				if want != nil {
					flows += len(want.Flows)
				}
			}
			if flows == 0 {
				t.Fatalf("seed %d %s: the traces found no flows; the test compares nothing", seed, m)
			}
		}
	}
}

func randomAccountSeeds(r *rand.Rand, addrs []chain.Address, blocks, n int) []AccountSeed {
	var seeds []AccountSeed
	for _, i := range r.Perm(len(addrs))[:n] {
		s := AccountSeed{Address: addrs[i], FromBlock: uint64(r.IntN(blocks))}
		if r.IntN(2) == 0 {
			s.Asset, s.Amount = chain.NativeAsset, uint256.NewInt(uint64(r.IntN(50)))
		}
		seeds = append(seeds, s)
	}
	return seeds
}

// TestUTXOSnapshotEqualsStore checks Spender and IO on every output and
// transaction, and traces of every model (half of them with random exit
// services among 60 of the addresses), against the store on random
// power-law UTXO graphs.
func TestUTXOSnapshotEqualsStore(t *testing.T) {
	for seed := range uint64(3) {
		s := openStore(t)
		g := synth.NewUTXOGraph(synth.GraphConfig{Transfers: 3000, Addresses: 400, PerBlock: 60, Seed: seed}, 200)
		for b := g.Next(); b != nil; b = g.Next() {
			if err := s.ApplyBlock(b); err != nil {
				t.Fatal(err)
			}
		}
		snap, err := NewUTXOSnapshot(s, chain.Bitcoin)
		if err != nil {
			t.Fatal(err)
		}
		cur, _, _ := s.Cursor(chain.Bitcoin)
		for h := uint64(0); h <= cur.Height+1; h++ {
			for txi := uint32(0); txi < 70; txi++ {
				want, wok, werr := s.IO(chain.Bitcoin, h, txi)
				got, gok, gerr := snap.IO(chain.Bitcoin, h, txi)
				if werr != nil || gerr != nil || wok != gok || !reflect.DeepEqual(want, got) {
					t.Fatalf("seed %d IO(%d, %d): store %v %v, snapshot %v %v", seed, h, txi, wok, werr, gok, gerr)
				}
				for vout := range uint32(len(want.Outputs) + 1) {
					ws, wok, werr := s.Spender(chain.Bitcoin, want.Hash, vout)
					gs, gok, gerr := snap.Spender(chain.Bitcoin, want.Hash, vout)
					if werr != nil || gerr != nil || wok != gok || ws != gs {
						t.Fatalf("seed %d Spender(%s:%d): store %+v %v, snapshot %+v %v", seed, want.Hash, vout, ws, wok, gs, gok)
					}
				}
			}
		}
		r := rand.New(rand.NewPCG(seed, 5))
		alerts := g.Alerts()
		var some []chain.Address
		for _, k := range r.Perm(len(snap.addrs) - 1)[:min(60, len(snap.addrs)-1)] {
			some = append(some, snap.addrs[1+k])
		}
		exits := 0
		for _, m := range []Model{FIFO, Haircut, TIHO, Poison} {
			flows := 0
			for k := range 6 {
				var seeds []UTXOSeed
				for _, i := range r.Perm(len(alerts))[:1+k*5] {
					seeds = append(seeds, UTXOSeed{Outpoint: Outpoint{alerts[i].Tx, alerts[i].Vout}})
				}
				b := Bounds{MaxHops: r.IntN(7)}
				if r.IntN(3) == 0 {
					b.Until, b.HasUntil = uint64(r.IntN(60)), true
				}
				if r.IntN(4) == 0 {
					b.MinAmount.SetUint64(uint64(r.IntN(100_000)))
				}
				if r.IntN(2) == 0 {
					b.Exits = randomExits(r, some)
				}
				want, werr := TraceUTXO(s, chain.Bitcoin, m, b, seeds)
				got, gerr := TraceUTXO(snap, chain.Bitcoin, m, b, seeds)
				if werr != nil || gerr != nil {
					t.Fatalf("seed %d %s: store error %v, snapshot error %v", seed, m, werr, gerr)
				}
				if !reflect.DeepEqual(want, got) {
					t.Fatalf("seed %d %s: traces over the store and the snapshot differ", seed, m)
				}
				checkFastUTXO(t, snap, m, b, seeds, want, werr)
				flows += len(want.Flows)
				exits += len(want.Exits)
			}
			if flows == 0 {
				t.Fatalf("seed %d %s: the traces found no flows; the test compares nothing", seed, m)
			}
		}
		t.Logf("seed %d: %d exits", seed, exits)
		if exits == 0 {
			t.Fatalf("seed %d: the traces reached no exit", seed)
		}
	}
}
