package btc

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// serializeBlock returns a block's bytes.
func serializeBlock(t testing.TB, mb *wire.MsgBlock) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := mb.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// coinbaseTx returns a coinbase paying value to script, made unique by tag.
func coinbaseTx(tag string, value int64, script []byte) *wire.MsgTx {
	tx := wire.NewMsgTx(1)
	tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{}, wire.MaxPrevOutIndex), []byte("\x04"+tag), nil))
	tx.AddTxOut(wire.NewTxOut(value, script))
	return tx
}

// mineBlock builds a block on prev holding a coinbase tagged tag and txs,
// and searches a nonce that meets bits (which must be an easy target, as
// on regtest).
func mineBlock(t testing.TB, prev chainhash.Hash, bits uint32, tag string, txs ...*wire.MsgTx) []byte {
	t.Helper()
	return mineTxs(t, prev, bits, append([]*wire.MsgTx{coinbaseTx(tag, 50e8, []byte{opReturn})}, txs...))
}

// mineTxs is mineBlock without the coinbase: all is the whole block.
func mineTxs(t testing.TB, prev chainhash.Hash, bits uint32, all []*wire.MsgTx) []byte {
	t.Helper()
	ids := make([]Tx, len(all))
	for i, tx := range all {
		ids[i].Txid = tx.TxHash()
	}
	root := merkleRoot(ids)
	h := wire.NewBlockHeader(4, &prev, &root, bits, 0)
	h.Timestamp = time.Unix(1700000000, 0)
	mb := wire.NewMsgBlock(h)
	for _, tx := range all {
		mb.AddTransaction(tx)
	}
	tgt, err := headerTarget(bits, regtest(t))
	if err != nil {
		t.Fatal(err)
	}
	for mb.Header.Nonce = 0; hashValue(mb.Header.BlockHash()).Cmp(tgt) > 0; mb.Header.Nonce++ {
	}
	return serializeBlock(t, mb)
}

// regtestGenesis returns the regtest genesis block's bytes.
func regtestGenesis(t testing.TB) []byte {
	return serializeBlock(t, regtest(t).Params.GenesisBlock)
}

// blockHash returns the hash of raw block bytes.
func blockHash(raw []byte) chainhash.Hash { return chainhash.DoubleHashH(raw[:headerSize]) }

// frame returns blocks in blk-file framing for net.
func frame(net Network, blocks ...[]byte) []byte {
	var buf bytes.Buffer
	for _, b := range blocks {
		var hdr [8]byte
		binary.LittleEndian.PutUint32(hdr[:], net.Magic)
		binary.LittleEndian.PutUint32(hdr[4:], uint32(len(b)))
		buf.Write(hdr[:])
		buf.Write(b)
	}
	return buf.Bytes()
}

// writeBlk writes data as dir/blk<n>.dat with padding zero bytes after it,
// like the preallocated tail of the file Core is writing.
func writeBlk(t testing.TB, dir string, n int, data []byte, padding int) string {
	t.Helper()
	path := filepath.Join(dir, blkName(n))
	if err := os.WriteFile(path, append(bytes.Clone(data), make([]byte, padding)...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func blkName(n int) string {
	var b [5]byte
	for i := 4; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return "blk" + string(b[:]) + ".dat"
}
