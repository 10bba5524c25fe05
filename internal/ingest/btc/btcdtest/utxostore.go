// Package btcdtest reads the test data btcd publishes beside its real
// blocks, for the tests of several packages.
package btcdtest

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// btcd's blockchain test data keeps, next to mainnet block 277647, the
// outputs that block spends ("utxostore"), in btcd's compressed UTXO
// format. The reader below is ported from btcd (blockchain/common_test.go
// loadUtxoView, chainio.go deserializeUtxoEntry and compress.go, ISC
// license, copyright The btcsuite developers); btcd keeps it unexported.
// The compression algorithms themselves come from Bitcoin Core.
//
// File format: repeated <32-byte txid><uint32 LE vout><uint32 LE n><n
// bytes of entry>; entry: <VLQ height<<1|coinbase><VLQ compressed
// amount><compressed script>.

// UTXO is one output of the utxostore.
type UTXO struct {
	Value    int64
	Script   []byte
	Height   int32
	Coinbase bool
}

// Outpoint names an output.
type Outpoint struct {
	Txid chainhash.Hash
	Vout uint32
}

// LoadUTXOStore decodes a utxostore file (decompressed).
func LoadUTXOStore(data []byte) (map[Outpoint]UTXO, error) {
	out := map[Outpoint]UTXO{}
	for off := 0; off < len(data); {
		if len(data)-off < 40 {
			return nil, fmt.Errorf("utxostore offset %d: truncated record", off)
		}
		var op Outpoint
		copy(op.Txid[:], data[off:])
		op.Vout = binary.LittleEndian.Uint32(data[off+32:])
		n := int(binary.LittleEndian.Uint32(data[off+36:]))
		off += 40
		if n > len(data)-off {
			return nil, fmt.Errorf("utxostore offset %d: entry of %d bytes past the end", off, n)
		}
		u, err := decodeUtxoEntry(data[off : off+n])
		if err != nil {
			return nil, fmt.Errorf("utxostore offset %d (%s:%d): %w", off, op.Txid, op.Vout, err)
		}
		out[op] = u
		off += n
	}
	return out, nil
}

func decodeUtxoEntry(b []byte) (UTXO, error) {
	code, n := readVLQ(b)
	if n >= len(b) {
		return UTXO{}, fmt.Errorf("no data after the header code")
	}
	b = b[n:]
	amount, n := readVLQ(b)
	if n >= len(b) {
		return UTXO{}, fmt.Errorf("no script after the amount")
	}
	script, err := decompressScript(b[n:])
	if err != nil {
		return UTXO{}, err
	}
	return UTXO{Value: int64(decompressAmount(amount)), Script: script, Height: int32(code >> 1), Coinbase: code&1 == 1}, nil
}

// readVLQ reads btcd's (and Core's) base-128 variable-length quantity, in
// which every continuation also adds one so that encodings are unique.
func readVLQ(b []byte) (uint64, int) {
	var n uint64
	for i, c := range b {
		n = n<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			return n, i + 1
		}
		n++
	}
	return n, len(b)
}

func decompressAmount(x uint64) uint64 {
	if x == 0 {
		return 0
	}
	x--
	e := x % 10
	x /= 10
	var n uint64
	if e < 9 {
		d := x%9 + 1
		x /= 9
		n = x*10 + d
	} else {
		n = x + 1
	}
	for ; e > 0; e-- {
		n *= 10
	}
	return n
}

// decompressScript rebuilds a script: special sizes 0-5 are P2PKH, P2SH
// and P2PK with a compressed (2, 3) or uncompressed (4, 5, stored as x and
// the parity of y) key; larger sizes are the script length plus 6.
func decompressScript(b []byte) ([]byte, error) {
	const opDup, opHash160, opEqualVerify, opCheckSig, opEqual = 0x76, 0xa9, 0x88, 0xac, 0x87
	size, n := readVLQ(b)
	b = b[n:]
	need := map[uint64]int{0: 20, 1: 20, 2: 32, 3: 32, 4: 32, 5: 32}
	want, special := need[size]
	if !special {
		want = int(size - 6)
	}
	if len(b) != want {
		return nil, fmt.Errorf("script type/size %d with %d bytes", size, len(b))
	}
	switch size {
	case 0:
		return append(append([]byte{opDup, opHash160, 20}, b...), opEqualVerify, opCheckSig), nil
	case 1:
		return append(append([]byte{opHash160, 20}, b...), opEqual), nil
	case 2, 3:
		return append(append([]byte{33, byte(size)}, b...), opCheckSig), nil
	case 4, 5:
		key, err := secp256k1.ParsePubKey(append([]byte{byte(size - 2)}, b...))
		if err != nil {
			return nil, fmt.Errorf("uncompressed key: %w", err)
		}
		return append(append([]byte{65}, key.SerializeUncompressed()...), opCheckSig), nil
	}
	return b, nil
}

// MustLoad is LoadUTXOStore for tests: a bad file fails the test.
func MustLoad(t testing.TB, data []byte) map[Outpoint]UTXO {
	t.Helper()
	m, err := LoadUTXOStore(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
