package chain

import (
	"fmt"

	"github.com/holiman/uint256"
)

// Kind is what moved value in a transfer.
type Kind uint8

// Transfer kinds. The numbers are part of the on-disk layout.
const (
	KindNative     Kind = 1 // top-level value of a successful transaction
	KindToken      Kind = 2 // ERC-20 / ERC-721 Transfer log, WETH-style Deposit/Withdrawal
	KindInternal   Kind = 3 // value moved by a successful inner call, create or selfdestruct
	KindFee        Kind = 4 // transaction fee paid to the block producer (priority tip, or all of it before London)
	KindBurn       Kind = 5 // base fee and blob fee destroyed (EIP-1559, EIP-4844)
	KindWithdrawal Kind = 6 // beacon-chain withdrawal credited to an address
	KindCoinbase   Kind = 7 // block or uncle reward, or a Bitcoin coinbase output
	KindGenesis    Kind = 8 // genesis allocation
)

var kindNames = [...]string{
	KindNative: "native", KindToken: "token", KindInternal: "internal", KindFee: "fee",
	KindBurn: "burn", KindWithdrawal: "withdrawal", KindCoinbase: "coinbase", KindGenesis: "genesis",
}

// String returns the kind's name as used in exports and --kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind reads a kind name.
func ParseKind(s string) (Kind, error) {
	for k, n := range kindNames {
		if n != "" && n == s {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("unknown transfer kind %q (want native, token, internal, fee, burn, withdrawal, coinbase or genesis)", s)
}

// BlockLevel is the TxIndex of transfers that belong to a block rather than to
// a transaction: withdrawals, rewards, genesis allocations.
const BlockLevel = ^uint32(0)

// Transfer is one movement of value: the unit of chainhound's value-flow graph.
// Amounts are exact integers in the asset's base unit (wei, token units,
// satoshis). From.None() marks minted value, To.None() burned value.
type Transfer struct {
	Block   uint64
	TxIndex uint32 // position of the transaction in its block, or BlockLevel
	Seq     uint32 // order of this transfer within its transaction
	TxHash  Hash   // zero for block-level transfers
	Kind    Kind
	From    Address
	To      Address
	Asset   Asset
	Amount  uint256.Int
	// TokenID is the ERC-721 token id; nil for fungible value.
	TokenID *uint256.Int
}

// Tx is what the store keeps of a transaction besides its transfers. On
// UTXO chains it also carries the transaction's inputs and outputs in order:
// the store resolves each input to the output it spends, and FIFO taint and
// change detection need the order.
type Tx struct {
	Hash     Hash
	Index    uint32
	Success  bool
	Coinbase bool
	Inputs   []Input
	Outputs  []Output
	// Version and LockTime are a UTXO transaction's nVersion and
	// nLockTime, meaningful only when HasFingerprint is set: a source
	// that does not give them (a bitcoin-etl export without the fields,
	// a store record written before they were kept) leaves it false.
	// Change detection compares them across transactions (wallet
	// software fingerprint).
	Version        int32
	LockTime       uint32
	HasFingerprint bool
}

// Output is one output of a UTXO transaction. Address is none for outputs
// that pay no address (OP_RETURN data).
type Output struct {
	Address Address
	Value   int64 // satoshis
}

// Input spends an earlier output. Address and Value are those of the spent
// output, filled in by the store (ResolveInputs).
type Input struct {
	PrevTx    Hash
	PrevIndex uint32
	Address   Address
	Value     int64
	Resolved  bool
	// FromSource marks an input whose address and value came from the
	// source (an export, a node's transaction index) because the store
	// holds no such output: a rollback must then forget the output again
	// rather than mark it unspent.
	FromSource bool
}

// Block is one block reduced to the value-flow model: what ingest hands to the
// store in one atomic write.
type Block struct {
	Chain     Chain
	Height    uint64
	Hash      Hash
	Parent    Hash
	Time      int64 // unix seconds
	Txs       []Tx
	Transfers []Transfer // ordered by (TxIndex, Seq)
	Memos     []Memo     // bridge memos, ordered by (TxIndex, Index); see memo.go
}
