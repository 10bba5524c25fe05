package chain

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/holiman/uint256"
)

// MemoKind says where a transaction's memo came from.
type MemoKind uint8

// Memo kinds. The numbers are part of the on-disk layout.
const (
	// MemoOpReturn is the text of a UTXO transaction's null-data
	// (OP_RETURN) output: how THORChain's vaults tag their Bitcoin payouts
	// (OUT:<inbound hash>) and users their swaps (=:e:0x…).
	MemoOpReturn MemoKind = 1
	// MemoRouterDeposit is a bridge router's Deposit(address indexed to,
	// address indexed asset, uint256 amount, string memo) event: value sent
	// through the router to a vault, with the instruction for the bridge.
	MemoRouterDeposit MemoKind = 2
	// MemoRouterTransferOut is a router's TransferOut(address indexed vault,
	// address indexed to, address asset, uint256 amount, string memo)
	// event: a vault paying out, the memo naming the inbound it answers.
	MemoRouterTransferOut MemoKind = 3
)

var memoKindNames = [...]string{MemoOpReturn: "op_return", MemoRouterDeposit: "router_deposit", MemoRouterTransferOut: "router_transfer_out"}

// String returns the kind's name.
func (k MemoKind) String() string {
	if int(k) < len(memoKindNames) && memoKindNames[k] != "" {
		return memoKindNames[k]
	}
	return fmt.Sprintf("memo_kind(%d)", uint8(k))
}

// MaxMemoLen bounds a stored memo's text. THORChain ignores memos above
// 250 bytes; the bound leaves room for other bridges without letting one
// transaction's data bloat the store.
const MaxMemoLen = 1024

// Memo is a transaction's instruction to a bridge, as recorded at
// ingestion: the text of an OP_RETURN output, or a router event with the
// value it moved. Memos are kept per transaction, beside its transfers,
// because matching a deposit on one chain to its payout on another needs
// them and nothing else in the value-flow graph carries them.
type Memo struct {
	TxIndex uint32   // position of the transaction in its block
	Kind    MemoKind // where the memo came from
	// Index orders memos within the transaction: the output index of an
	// OP_RETURN, the log index (within the block) of a router event.
	Index uint32
	// Contract is the contract that emitted a router event; none for
	// OP_RETURN memos.
	Contract Address
	// From is the sender: the transaction's sender for a Deposit, the
	// paying vault for a TransferOut; none for OP_RETURN memos.
	From Address
	// To is the vault a Deposit credits or the recipient of a TransferOut;
	// none for OP_RETURN memos.
	To Address
	// Asset and Amount are the value the event reports (native or the
	// ERC-20 contract); zero for OP_RETURN memos.
	Asset  Asset
	Amount uint256.Int
	// Text is the memo itself.
	Text string
}

// MemoRef returns the transaction hash a bridge payout's memo names:
// THORChain vaults write OUT:<inbound tx hash> on payouts and
// REFUND:<inbound tx hash> on refunds, the hash as 64 hex digits (upper
// case, without 0x; both are accepted). The store indexes these so that a
// deposit finds its payout on another chain by hash.
func MemoRef(text string) (Hash, bool) {
	verb, rest, ok := strings.Cut(text, ":")
	if !ok || !(strings.EqualFold(verb, "out") || strings.EqualFold(verb, "refund")) {
		return Hash{}, false
	}
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		rest = rest[:i]
	}
	rest = strings.TrimPrefix(strings.TrimPrefix(rest, "0x"), "0X")
	var h Hash
	if len(rest) != 64 {
		return h, false
	}
	if _, err := hex.Decode(h[:], []byte(rest)); err != nil {
		return Hash{}, false
	}
	return h, true
}
