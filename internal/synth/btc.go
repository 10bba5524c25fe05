package synth

import (
	"bytes"
	"encoding/binary"
	"math/big"
	"math/rand/v2"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// BTCConfig shapes synthetic Bitcoin blocks.
type BTCConfig struct {
	TxsPerBlock int // default 2,500, about a full mainnet block of 2024
	Seed        uint64
}

// BTCGen makes a chain of regtest-framed blocks in which every input spends
// an output of an earlier block (or an earlier transaction of its own), so
// an ingester can resolve all of them. Transactions have the mainnet mix of
// script types (mostly P2WPKH, then P2TR, P2PKH, P2SH, P2WSH, some
// OP_RETURN), one to three inputs and two outputs, with witnesses of
// realistic size. Scripts are not signed: ingestion does not validate.
type BTCGen struct {
	cfg     BTCConfig
	rng     *rand.Rand
	prev    chainhash.Hash
	height  int64
	unspent []wire.OutPoint
	values  map[wire.OutPoint]int64
}

// NewBTCGen starts a chain at regtest's genesis block.
func NewBTCGen(cfg BTCConfig) *BTCGen {
	if cfg.TxsPerBlock <= 0 {
		cfg.TxsPerBlock = 2500
	}
	return &BTCGen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0xb7c)), prev: *chaincfg.RegressionNetParams.GenesisHash, values: map[wire.OutPoint]int64{}}
}

// Genesis returns regtest's genesis block, serialised.
func (g *BTCGen) Genesis() []byte {
	var buf bytes.Buffer
	chaincfg.RegressionNetParams.GenesisBlock.Serialize(&buf)
	return buf.Bytes()
}

func (g *BTCGen) script() []byte {
	k := g.rng.IntN(100)
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(g.rng.Uint32())
		}
		return b
	}
	switch {
	case k < 50: // P2WPKH
		return append([]byte{0x00, 0x14}, rnd(20)...)
	case k < 70: // P2TR
		return append([]byte{0x51, 0x20}, rnd(32)...)
	case k < 82: // P2PKH
		return append(append([]byte{0x76, 0xa9, 0x14}, rnd(20)...), 0x88, 0xac)
	case k < 92: // P2SH
		return append(append([]byte{0xa9, 0x14}, rnd(20)...), 0x87)
	case k < 97: // P2WSH
		return append([]byte{0x00, 0x20}, rnd(32)...)
	}
	return append([]byte{0x6a, 0x14}, rnd(20)...) // OP_RETURN
}

func timeAt(height int64) time.Time { return time.Unix(1_700_000_000+height*600, 0) }

// Next returns the next block, serialised.
func (g *BTCGen) Next() []byte {
	g.height++
	blk := wire.MsgBlock{Header: wire.BlockHeader{Version: 0x20000000, PrevBlock: g.prev, Timestamp: timeAt(g.height), Bits: 0x207fffff, Nonce: uint32(g.height)}}
	cb := wire.NewMsgTx(2)
	height := binary.LittleEndian.AppendUint32(nil, uint32(g.height))
	cb.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex}, SignatureScript: append([]byte{4}, height...), Sequence: wire.MaxTxInSequenceNum})
	cb.AddTxOut(wire.NewTxOut(50e8, g.script()))
	blk.AddTransaction(cb)
	var fresh []wire.OutPoint
	for i := 1; i < g.cfg.TxsPerBlock && len(g.unspent) > 0; i++ {
		tx := wire.NewMsgTx(2)
		var in int64
		for j := 0; j < 1+g.rng.IntN(3) && len(g.unspent) > 0; j++ {
			k := g.rng.IntN(len(g.unspent))
			op := g.unspent[k]
			g.unspent[k] = g.unspent[len(g.unspent)-1]
			g.unspent = g.unspent[:len(g.unspent)-1]
			in += g.values[op]
			delete(g.values, op)
			sig := make([]byte, 72)
			tx.AddTxIn(&wire.TxIn{PreviousOutPoint: op, Witness: wire.TxWitness{sig, make([]byte, 33)}, Sequence: 0xfffffffd})
		}
		fee := min(in/100, 5000)
		a := (in - fee) / 2
		tx.AddTxOut(wire.NewTxOut(a, g.script()))
		tx.AddTxOut(wire.NewTxOut(in-fee-a, g.script()))
		blk.AddTransaction(tx)
		h := tx.TxHash()
		for o, out := range tx.TxOut {
			if out.PkScript[0] == 0x6a {
				continue // OP_RETURN: unspendable
			}
			fresh = append(fresh, wire.OutPoint{Hash: h, Index: uint32(o)})
			g.values[fresh[len(fresh)-1]] = out.Value
		}
	}
	h := cb.TxHash()
	op := wire.OutPoint{Hash: h, Index: 0}
	g.values[op] = cb.TxOut[0].Value
	// Coinbase outputs become spendable at once here: maturity is a consensus
	// rule an ingester does not check, and it keeps the chain busy early.
	g.unspent = append(append(g.unspent, op), fresh...)
	blk.Header.MerkleRoot = merkleRoot(blk.Transactions)
	// Meet regtest's target, as a blocks/ directory reader checks: about
	// two tries on average.
	for hashValue(blk.BlockHash()).Cmp(regtestTarget) > 0 {
		blk.Header.Nonce++
	}
	g.prev = blk.BlockHash()
	var buf bytes.Buffer
	blk.Serialize(&buf)
	return buf.Bytes()
}

// regtestTarget is the proof-of-work target of regtest's difficulty bits
// 0x207fffff: mantissa 0x7fffff, exponent 32 bytes.
var regtestTarget = new(big.Int).Lsh(big.NewInt(0x7fffff), 8*(0x20-3))

// hashValue reads a block hash (little-endian on the wire) as a number.
func hashValue(h chainhash.Hash) *big.Int {
	var be [32]byte
	for i := range h {
		be[31-i] = h[i]
	}
	return new(big.Int).SetBytes(be[:])
}

// merkleRoot is the block header's commitment to its transactions' txids.
func merkleRoot(txs []*wire.MsgTx) chainhash.Hash {
	level := make([]chainhash.Hash, len(txs))
	for i, tx := range txs {
		level[i] = tx.TxHash()
	}
	for len(level) > 1 {
		if len(level)%2 == 1 {
			level = append(level, level[len(level)-1])
		}
		next := level[:0:0]
		for i := 0; i < len(level); i += 2 {
			next = append(next, chainhash.DoubleHashH(append(level[i][:], level[i+1][:]...)))
		}
		level = next
	}
	return level[0]
}
