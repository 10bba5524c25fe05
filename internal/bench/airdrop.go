package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/synth"
)

// airdropPerBlock is the transactions of an airdrop block, as many as the
// account graph's blocks have.
const airdropPerBlock = 1000

// airdrop funds every address rank of the account graph once, after its
// last block: one transaction of one wei each from the busiest hub, 1,000
// a block. The Zipf law leaves most of a large population undrawn (a
// 10-million population over 20 million transfers interns under 2
// million), which suits tracing but not a screening load test that needs
// every address stored; this interns them all at one transfer each. It
// returns the last height written.
func airdrop(ctx context.Context, st *store.DB, ranks int, after uint64, parent chain.Hash, progress io.Writer) (uint64, int, error) {
	hub := synth.AccountAddress(0)
	p := newProgress(progress, "airdrop", ranks)
	h := after
	b := &chain.Block{Chain: chain.Ethereum}
	for i := 0; i < ranks; i += airdropPerBlock {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		h++
		*b = chain.Block{Chain: chain.Ethereum, Height: h, Hash: airdropHash(0xb10c, uint64(h)), Parent: parent,
			Time: 1_600_000_000 + int64(h)*12, Txs: b.Txs[:0], Transfers: b.Transfers[:0]}
		for j := i; j < min(i+airdropPerBlock, ranks); j++ {
			txi := uint32(j - i)
			hash := airdropHash(0xa1d, uint64(j))
			b.Txs = append(b.Txs, chain.Tx{Hash: hash, Index: txi, Success: true})
			t := chain.Transfer{Block: h, TxIndex: txi, TxHash: hash, Kind: chain.KindNative, From: hub, To: synth.AccountAddress(j), Asset: chain.NativeAsset}
			t.Amount.SetUint64(1)
			b.Transfers = append(b.Transfers, t)
		}
		if err := st.ApplyBlock(b); err != nil {
			return 0, 0, fmt.Errorf("airdrop block %d: %w", h, err)
		}
		parent = b.Hash
		p.add(len(b.Transfers))
	}
	p.finish()
	return h, ranks, nil
}

// airdropHash is a distinct hash per (tag, n), apart from the generator's
// own (whose third word is its tag, never 0xa1d0...).
func airdropHash(tag, n uint64) chain.Hash {
	var x chain.Hash
	binary.BigEndian.PutUint64(x[0:], tag<<48|0xa1d0)
	binary.BigEndian.PutUint64(x[8:], n)
	binary.BigEndian.PutUint64(x[16:], 0xa1d0a1d0a1d0a1d0)
	binary.BigEndian.PutUint64(x[24:], n^0x5eed)
	return x
}
