package btc

import (
	"github.com/btcsuite/btcd/chainhash/v2"
)

// Block is one decoded block. Hashes are in internal byte order
// (chainhash.Hash.String prints the usual reversed hex).
type Block struct {
	Hash, Prev chainhash.Hash
	// Height is -1 when the source does not say: raw block bytes carry no
	// height; the RPC client and the blocks/ directory reader know it.
	Height     int64
	Time       int64 // header timestamp, Unix seconds
	Version    int32
	MerkleRoot chainhash.Hash
	Bits       uint32 // compact difficulty target
	Nonce      uint32
	// Size is the serialised size with witness data, StrippedSize without,
	// Weight is 3*StrippedSize+Size (BIP 141).
	Size, StrippedSize, Weight int
	Txs                        []Tx
}

// Tx is one transaction of a block, with inputs and outputs in their
// on-chain order.
type Tx struct {
	Txid  chainhash.Hash // hash without witness: what inputs refer to
	Wtxid chainhash.Hash // hash with witness; equal to Txid without witness
	// Coinbase marks the block's first transaction. Its single input is
	// kept as it is on the wire: PrevTxid zero, PrevVout 0xffffffff, the
	// coinbase data in ScriptSig.
	Coinbase bool
	// Size is the serialised size with witness, VSize the virtual size
	// ceil(Weight/4), Weight 3*stripped size + Size.
	Size, VSize, Weight int
	LockTime            uint32
	Version             int32
	// NoVersionLockTime marks a transaction whose source gave no version
	// or lock_time (a bitcoin-etl line without the fields): Version and
	// LockTime are then zero but unknown.
	NoVersionLockTime bool
	Inputs            []Input
	Outputs           []Output
}

// Input spends the output PrevVout of transaction PrevTxid. Its value and
// address are those of that output: the caller resolves them (its own
// output index, or RPC.ResolveInputs).
type Input struct {
	PrevTxid  chainhash.Hash
	PrevVout  uint32
	Sequence  uint32
	ScriptSig []byte
	Witness   [][]byte
	// Spent is the output this input spends when the source already knows
	// it (a bitcoin-etl export does); nil leaves it to the store's output
	// index.
	Spent *SpentOutput
}

// SpentOutput is what an input spends: the output's address (as
// ClassifyScript names it) and value.
type SpentOutput struct {
	Address string
	Value   int64
}

// Output is one transaction output.
type Output struct {
	Value  int64 // satoshis
	Script []byte
	Type   ScriptType
	// Address is the identifier under which the value is recorded, "" for
	// OP_RETURN data. ClassifyScript documents the rule.
	Address string
}

// CoinbaseInput returns the coinbase input of a coinbase transaction, or
// nil for any other transaction.
func (tx *Tx) CoinbaseInput() *Input {
	if !tx.Coinbase || len(tx.Inputs) == 0 {
		return nil
	}
	return &tx.Inputs[0]
}

// OutputValue returns the sum of the transaction's output values.
func (tx *Tx) OutputValue() int64 {
	var sum int64
	for i := range tx.Outputs {
		sum += tx.Outputs[i].Value
	}
	return sum
}
