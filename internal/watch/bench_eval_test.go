package watch

import (
	"math/rand/v2"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// BenchmarkEvaluateBlock is the watcher's work per block (all rules, one
// case whose seed is one of the busy users) on a synthetic chain of 500
// transfers a block: users paying users, fresh addresses and five
// exchange hot wallets, the hot wallets paying fresh addresses. The store
// holds 100 such blocks before the timing starts; ApplyBlock is not timed.
func BenchmarkEvaluateBlock(b *testing.B) {
	t := &testing.T{}
	w := newWorld(t, `cases:
  - name: c
    seeds: ["eth:`+eaddr(1).String()+`"]
    start: {eth: 1}
`)
	for i := 90; i < 95; i++ {
		w.tag(chain.Ethereum, eaddr(i), "exchange")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	fresh := 10_000
	block := func() *chain.Block {
		blk := w.next(chain.Ethereum)
		for i := range 500 {
			from, to := 1+rng.IntN(80), 0
			switch k := rng.IntN(10); {
			case k < 3:
				fresh++
				to = fresh
			case k < 7:
				to = 1 + rng.IntN(80)
			case k < 9:
				to = 90 + rng.IntN(5)
			default:
				from = 90 + rng.IntN(5)
				fresh++
				to = fresh
			}
			h := txHash(blk.Height, i)
			h[6], h[7] = byte(blk.Height>>16), byte(i>>8)
			blk.Txs = append(blk.Txs, chain.Tx{Hash: h, Index: uint32(i), Success: true})
			blk.Transfers = append(blk.Transfers, chain.Transfer{Block: blk.Height, TxIndex: uint32(i), TxHash: h, Kind: chain.KindNative,
				From: eaddr(from), To: eaddr(to), Asset: chain.NativeAsset, Amount: *uint256.NewInt(uint64(1 + rng.IntN(1_000_000)))})
		}
		return blk
	}
	seed := w.next(chain.Ethereum)
	for i := 1; i < 95; i++ {
		h := txHash(seed.Height, i)
		seed.Txs = append(seed.Txs, chain.Tx{Hash: h, Index: uint32(i - 1), Success: true})
		seed.Transfers = append(seed.Transfers, chain.Transfer{Block: seed.Height, TxIndex: uint32(i - 1), TxHash: h, Kind: chain.KindGenesis, To: eaddr(i), Asset: chain.NativeAsset, Amount: *uint256.NewInt(1 << 60)})
	}
	if err := w.st.ApplyBlock(seed); err != nil {
		b.Fatal(err)
	}
	w.parent[chain.Ethereum] = seed.Hash
	for range 100 {
		blk := block()
		if err := w.st.ApplyBlock(blk); err != nil {
			b.Fatal(err)
		}
		w.parent[chain.Ethereum] = blk.Hash
	}
	if err := w.w.CatchUp(b.Context(), chain.Ethereum); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		blk := block()
		if err := w.st.ApplyBlock(blk); err != nil {
			b.Fatal(err)
		}
		w.parent[chain.Ethereum] = blk.Hash
		b.StartTimer()
		if err := w.w.OnBlock(blk); err != nil {
			b.Fatal(err)
		}
	}
}
