package btc

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/wire/v2"
)

// The ingest goal is at least 40% of the throughput of bare btcd wire
// deserialisation of the same bytes. These benchmarks measure both on
// block 277647 (149 KB, 213 transactions, P2PKH outputs: the base58 path)
// and on mainnet blocks 0..255 (P2PK outputs: the HASH160 path). Compare
// with: go test -run - -bench 'DecodeBlock' -benchmem ./internal/ingest/btc/

func bench277647(b *testing.B) []byte {
	return blkBlocks(b, btcdTestdata(b, "blockchain/testdata/277647.dat.bz2"))[0]
}

func BenchmarkDecodeBlockWire(b *testing.B) {
	benchWire(b, [][]byte{bench277647(b)})
}

func BenchmarkDecodeBlock(b *testing.B) {
	benchOurs(b, [][]byte{bench277647(b)})
}

func BenchmarkDecodeBlockWireEarly(b *testing.B) {
	benchWire(b, mainnetBlocks(b))
}

func BenchmarkDecodeBlockEarly(b *testing.B) {
	benchOurs(b, mainnetBlocks(b))
}

func benchWire(b *testing.B, blocks [][]byte) {
	b.SetBytes(totalSize(blocks))
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range blocks {
			var mb wire.MsgBlock
			if err := mb.Deserialize(bytes.NewReader(raw)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func benchOurs(b *testing.B, blocks [][]byte) {
	net := mainnet(b)
	b.SetBytes(totalSize(blocks))
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range blocks {
			if _, err := DecodeBlock(raw, net); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func totalSize(blocks [][]byte) int64 {
	var n int64
	for _, raw := range blocks {
		n += int64(len(raw))
	}
	return n
}

func BenchmarkClassifyScript(b *testing.B) {
	net := mainnet(b)
	for _, c := range []struct{ name, script string }{
		{"p2pkh", "76a914b5cd7aaed869cd5ccb45868e8666e7e934a2373688ac"},
		{"p2pk", "4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac"},
		{"p2wpkh", "0014751e76e8199196d454941c45d1b3a323f1433bd6"},
		{"p2tr", "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"},
	} {
		script := mustHex(b, c.script)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ClassifyScript(script, net)
			}
		})
	}
}
