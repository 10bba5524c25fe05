package store

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// BenchmarkSortedBatch sorts and sets the writes of a UTXO block of 2,000
// transactions as writeBlock makes them: per transaction a T, W and H
// record, two new addresses (a, A), four outputs written (two created,
// two spent) and four address index entries.
func BenchmarkSortedBatch(b *testing.B) {
	s := openTest(b)
	rng := rand.New(rand.NewPCG(1, 2))
	var sb sortedBatch
	fill := func() {
		sb.reset()
		id := uint64(1_000_000)
		val := make([]byte, 100)
		for txi := range uint32(2000) {
			var h chain.Hash
			for i := range h {
				h[i] = byte(rng.Uint32())
			}
			sb.Set(transferKey(chain.Bitcoin, 500, txi), val[:80], nil)
			sb.Set(ioKey(chain.Bitcoin, 500, txi), val, nil)
			sb.Set(txHashKey(chain.Bitcoin, h), val[:12], nil)
			for range 2 {
				id++
				addr := []byte("bcrt1q")
				for range 38 {
					addr = append(addr, "qpzry9x8gf2tvdw0s3jn54khce6mua7l"[rng.IntN(32)])
				}
				sb.Set(append([]byte{pAddr, byte(chain.Bitcoin)}, addr...), val[:8], nil)
				sb.Set(addrIDKey(id), addr, nil)
				sb.Set(outpointKey(pOutput, chain.Bitcoin, h, 0), val[:16], nil)
				var prev chain.Hash
				binary.BigEndian.PutUint64(prev[:], rng.Uint64())
				sb.Set(outpointKey(pOutput, chain.Bitcoin, prev, 1), val[:32], nil)
			}
		}
		for i := range uint64(4000) {
			sb.Set(indexKey(pOut, i*100, 500), val[:4], nil)
			sb.Set(indexKey(pIn, i*100+7, 500), val[:4], nil)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		fill()
		batch := s.db.NewBatchWithSize(len(sb.buf) + 16*len(sb.ents)) // as ApplyBlock
		b.StartTimer()
		if err := sb.writeTo(batch); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		batch.Close()
		b.StartTimer()
	}
}
