package eth

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// Event signatures (topic 0) of the logs that move token value.
var (
	// TopicTransfer is Transfer(address,address,uint256), shared by ERC-20
	// (value not indexed) and ERC-721 (token id indexed).
	TopicTransfer = common.HexToHash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
	// TopicDeposit is WETH's Deposit(address indexed dst, uint wad): wad
	// wrapped tokens minted to dst.
	TopicDeposit = common.HexToHash("0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c")
	// TopicWithdrawal is WETH's Withdrawal(address indexed src, uint wad):
	// wad wrapped tokens burned from src.
	TopicWithdrawal = common.HexToHash("0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65")
)

// ValueKind says which event a ValueEvent came from.
type ValueKind uint8

// Value event kinds.
const (
	ERC20Transfer  ValueKind = iota + 1 // Transfer with a fungible amount
	ERC721Transfer                      // Transfer of one token id
	Deposit                             // WETH-style Deposit: mint of Amount to To
	// Withdraw is the WETH-style Withdrawal event: burn of Amount from From.
	// It is not called Withdrawal because that names the beacon withdrawal.
	Withdraw
)

var valueKindNames = [...]string{ERC20Transfer: "erc20-transfer", ERC721Transfer: "erc721-transfer", Deposit: "deposit", Withdraw: "withdrawal"}

// String returns the kind's name.
func (k ValueKind) String() string {
	if int(k) < len(valueKindNames) && valueKindNames[k] != "" {
		return valueKindNames[k]
	}
	return fmt.Sprintf("ValueKind(%d)", uint8(k))
}

// ValueEvent is a log that moves token value, decoded. For a Deposit From is
// zero (minted); for a Withdraw To is zero (burned). For an ERC-721 transfer
// Amount is 1 and TokenID is set.
type ValueEvent struct {
	Kind     ValueKind
	Token    common.Address // the contract that emitted the log
	From, To common.Address
	Amount   uint256.Int
	TokenID  *uint256.Int
}

// ErrNotValueLog is returned by DecodeValueLog for logs that are none of the
// value-moving events.
var ErrNotValueLog = errors.New("not a value-moving log")

// MalformedLogError is a log whose topic 0 is a value-moving event but whose
// topics and data cannot be read as one. Tokens that break the standard emit
// these; callers count and report them and go on.
type MalformedLogError struct {
	Block    uint64
	TxHash   common.Hash
	LogIndex uint64
	Address  common.Address
	Event    string // Transfer, Deposit, Withdrawal
	Reason   string
}

// Error implements error.
func (e *MalformedLogError) Error() string {
	return fmt.Sprintf("block %d tx %s log %d: malformed %s log of %s: %s", e.Block, e.TxHash, e.LogIndex, e.Event, e.Address, e.Reason)
}

// DecodeValueLog decodes a Transfer, Deposit or Withdrawal log.
//
// Like ethereum-etl it reads topics[1:] followed by the data split into
// 32-byte words, so that tokens which index fewer parameters than the
// standard (or none) still decode; addresses are the low 20 bytes of their
// word. Transfer needs three words (from, to, amount), except that four
// topics with empty data is an ERC-721 transfer of the token id in topic 3;
// Deposit and Withdrawal need two (account, amount). Any other layout is a
// *MalformedLogError; a log with another topic 0 is ErrNotValueLog.
func DecodeValueLog(l *Log) (ValueEvent, error) {
	if len(l.Topics) == 0 {
		return ValueEvent{}, ErrNotValueLog
	}
	var event string
	var want int
	switch l.Topics[0] {
	case TopicTransfer:
		event, want = "Transfer", 3
	case TopicDeposit:
		event, want = "Deposit", 2
	case TopicWithdrawal:
		event, want = "Withdrawal", 2
	default:
		return ValueEvent{}, ErrNotValueLog
	}
	malformed := func(format string, args ...any) (ValueEvent, error) {
		return ValueEvent{}, &MalformedLogError{
			Block: uint64(l.BlockNumber), TxHash: l.TransactionHash, LogIndex: uint64(l.LogIndex),
			Address: l.Address, Event: event, Reason: fmt.Sprintf(format, args...),
		}
	}
	if len(l.Data)%32 != 0 {
		return malformed("data is %d bytes, not a multiple of 32", len(l.Data))
	}
	nwords := len(l.Topics) - 1 + len(l.Data)/32
	if nwords != want {
		return malformed("%d topics and %d data bytes make %d words, want %d", len(l.Topics), len(l.Data), nwords, want)
	}
	word := func(i int) []byte {
		if i < len(l.Topics)-1 {
			return l.Topics[i+1][:]
		}
		i -= len(l.Topics) - 1
		return l.Data[i*32 : (i+1)*32]
	}
	ev := ValueEvent{Token: l.Address}
	switch l.Topics[0] {
	case TopicTransfer:
		ev.From, ev.To = wordAddress(word(0)), wordAddress(word(1))
		if len(l.Topics) == 4 {
			ev.Kind = ERC721Transfer
			ev.TokenID = new(uint256.Int).SetBytes32(word(2))
			ev.Amount.SetOne()
		} else {
			ev.Kind = ERC20Transfer
			ev.Amount.SetBytes32(word(2))
		}
	case TopicDeposit:
		ev.Kind = Deposit
		ev.To = wordAddress(word(0))
		ev.Amount.SetBytes32(word(1))
	case TopicWithdrawal:
		ev.Kind = Withdraw
		ev.From = wordAddress(word(0))
		ev.Amount.SetBytes32(word(1))
	}
	return ev, nil
}

// wordAddress takes the low 20 bytes of an ABI word, ignoring the 12 high
// bytes as ethereum-etl does: clean emitters leave them zero, and a dirty
// word from hand-written assembly still names the account the EVM would
// use.
func wordAddress(w []byte) common.Address {
	return common.BytesToAddress(w[12:32])
}
