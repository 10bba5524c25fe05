package btc

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// headerSize is the size of a serialised block header.
const headerSize = 80

// maxMoney is 21 million bitcoin in satoshis, the consensus bound on any
// output value and on a transaction's total output (Bitcoin Core's MAX_MONEY).
const maxMoney = 21_000_000 * 100_000_000

// DecodeBlock deserialises a block as stored on disk and sent by getblock
// at verbosity 0 (segwit serialisation) with btcd's wire package, and
// classifies every output for net. It checks what a corrupt or truncated
// block would break: that the bytes are exactly one block, that the
// transactions hash to the header's merkle root, that the first and only
// the first transaction is a coinbase, and that output values lie within
// 0..21M BTC. It does not validate scripts, proof of work or consensus
// rules. Height is -1: raw bytes do not say.
func DecodeBlock(raw []byte, net Network) (*Block, error) {
	if len(raw) < headerSize {
		return nil, fmt.Errorf("decode block: %d bytes, shorter than a block header", len(raw))
	}
	hash := chainhash.DoubleHashH(raw[:headerSize])
	b, err := decodeBlock(raw, hash, net)
	if err != nil {
		return nil, fmt.Errorf("decode block %s: %w", hash, err)
	}
	return b, nil
}

func decodeBlock(raw []byte, hash chainhash.Hash, net Network) (*Block, error) {
	var mb wire.MsgBlock
	locs, err := mb.DeserializeTxLoc(bytes.NewBuffer(raw))
	if err != nil {
		return nil, fmt.Errorf("%d bytes: %w", len(raw), err)
	}
	if len(locs) == 0 {
		return nil, errors.New("no transactions (a block has at least its coinbase)")
	}
	last := locs[len(locs)-1]
	if end := last.TxStart + last.TxLen; end != len(raw) {
		return nil, fmt.Errorf("%d bytes after the last transaction (block ends at %d of %d)", len(raw)-end, end, len(raw))
	}
	h := &mb.Header
	b := &Block{
		Hash: hash, Prev: h.PrevBlock, Height: -1, Time: h.Timestamp.Unix(),
		Version: h.Version, MerkleRoot: h.MerkleRoot, Bits: h.Bits, Nonce: h.Nonce,
		Size: len(raw), StrippedSize: locs[0].TxStart,
	}
	if err := fillTxs(b, &mb, raw, locs, net); err != nil {
		return nil, err
	}
	b.Weight = 3*b.StrippedSize + b.Size
	if root := merkleRoot(b.Txs); root != h.MerkleRoot {
		return nil, fmt.Errorf("merkle root mismatch: header says %s, transactions hash to %s (corrupt block data)", h.MerkleRoot, root)
	}
	return b, nil
}

// fillTxs converts the wire transactions into b.Txs. Inputs and outputs
// of the whole block share two backing arrays and scripts stay the slices
// wire decoded, so that a block costs a handful of allocations beyond
// wire's own and one string per output address. (Addresses as substrings
// of one per-block string would save those, but any address kept, as in
// an interning cache, would then pin its whole block's addresses.)
func fillTxs(b *Block, mb *wire.MsgBlock, raw []byte, locs []wire.TxLoc, net Network) error {
	nin, nout := 0, 0
	for _, mtx := range mb.Transactions {
		nin += len(mtx.TxIn)
		nout += len(mtx.TxOut)
	}
	ins := make([]Input, nin)
	outs := make([]Output, nout)
	b.Txs = make([]Tx, len(mb.Transactions))
	var hasher hash.Hash // for witness txids, made on first use
	var addrBuf [128]byte
	for i, mtx := range mb.Transactions {
		tx := &b.Txs[i]
		rawTx := raw[locs[i].TxStart : locs[i].TxStart+locs[i].TxLen]
		stripped := mtx.SerializeSizeStripped()
		if hasher == nil && stripped != len(rawTx) {
			hasher = sha256.New()
		}
		tx.Txid, tx.Wtxid = txHashes(hasher, rawTx, stripped)
		tx.Size, tx.Weight = len(rawTx), 3*stripped+len(rawTx)
		tx.VSize = (tx.Weight + 3) / 4
		tx.Version, tx.LockTime = mtx.Version, mtx.LockTime
		b.StrippedSize += stripped
		tx.Coinbase = isCoinbase(mtx)
		if tx.Coinbase != (i == 0) {
			if i == 0 {
				return errors.New("transaction 0 is not a coinbase")
			}
			return fmt.Errorf("transaction %d (%s) is a second coinbase", i, tx.Txid)
		}
		tx.Inputs, ins = ins[:len(mtx.TxIn):len(mtx.TxIn)], ins[len(mtx.TxIn):]
		for j, in := range mtx.TxIn {
			tx.Inputs[j] = Input{
				PrevTxid: in.PreviousOutPoint.Hash, PrevVout: in.PreviousOutPoint.Index,
				Sequence: in.Sequence, ScriptSig: in.SignatureScript, Witness: in.Witness,
			}
		}
		tx.Outputs, outs = outs[:len(mtx.TxOut):len(mtx.TxOut)], outs[len(mtx.TxOut):]
		var total int64
		for j, out := range mtx.TxOut {
			if out.Value < 0 || out.Value > maxMoney {
				return fmt.Errorf("transaction %d (%s) output %d: value %d out of range", i, tx.Txid, j, out.Value)
			}
			if total += out.Value; total > maxMoney {
				return fmt.Errorf("transaction %d (%s): outputs total more than 21M BTC", i, tx.Txid)
			}
			o := &tx.Outputs[j]
			o.Value, o.Script = out.Value, out.PkScript
			var addr []byte
			o.Type, addr = appendClassify(addrBuf[:0], out.PkScript, net)
			o.Address = string(addr)
		}
	}
	return nil
}

// isCoinbase is Bitcoin Core's CTransaction::IsCoinBase: one input that
// spends the null outpoint.
func isCoinbase(mtx *wire.MsgTx) bool {
	if len(mtx.TxIn) != 1 {
		return false
	}
	op := mtx.TxIn[0].PreviousOutPoint
	return op.Index == wire.MaxPrevOutIndex && op.Hash == (chainhash.Hash{})
}

// txHashes computes txid and wtxid from the transaction's bytes as they
// are in the block, instead of re-serialising it as wire's TxHash does.
// With witness data (stripped < len(rawTx)) the txid covers the version,
// the inputs and outputs after the 2-byte marker and flag, and the lock
// time; the witness lies between outputs and lock time.
func txHashes(h hash.Hash, rawTx []byte, stripped int) (txid, wtxid chainhash.Hash) {
	wtxid = chainhash.DoubleHashH(rawTx)
	if stripped == len(rawTx) {
		return wtxid, wtxid
	}
	var sum [sha256.Size]byte
	h.Reset()
	h.Write(rawTx[:4])
	h.Write(rawTx[6 : 6+stripped-8])
	h.Write(rawTx[len(rawTx)-4:])
	first := h.Sum(sum[:0])
	return chainhash.Hash(sha256.Sum256(first)), wtxid
}

// merkleRoot computes the merkle root of the block's txids, duplicating
// the last hash of odd levels as Bitcoin does.
func merkleRoot(txs []Tx) chainhash.Hash {
	switch len(txs) {
	case 0:
		return chainhash.Hash{}
	case 1:
		return txs[0].Txid
	}
	level := make([]chainhash.Hash, len(txs))
	for i := range txs {
		level[i] = txs[i].Txid
	}
	var pair [2 * chainhash.HashSize]byte
	for n := len(level); n > 1; n = (n + 1) / 2 {
		for i := 0; i < n; i += 2 {
			j := min(i+1, n-1)
			copy(pair[:32], level[i][:])
			copy(pair[32:], level[j][:])
			level[i/2] = chainhash.DoubleHashH(pair[:])
		}
	}
	return level[0]
}
