package eth

import (
	"unicode/utf8"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// Event signatures of THORChain-style bridge routers (THORChain_Router.sol,
// router versions 2 to 5 emit both with these exact parameter lists).
var (
	// TopicRouterDeposit is Deposit(address indexed to, address indexed
	// asset, uint256 amount, string memo): value sent through the router to
	// vault "to", with the bridge instruction as memo.
	TopicRouterDeposit = crypto.Keccak256Hash([]byte("Deposit(address,address,uint256,string)"))
	// TopicRouterTransferOut is TransferOut(address indexed vault, address
	// indexed to, address asset, uint256 amount, string memo): a vault's
	// payout, the memo naming the inbound it answers (OUT:<hash>).
	TopicRouterTransferOut = crypto.Keccak256Hash([]byte("TransferOut(address,address,address,uint256,string)"))
)

// RouterMemo is a decoded router event.
type RouterMemo struct {
	Kind     chain.MemoKind // MemoRouterDeposit or MemoRouterTransferOut
	Contract common.Address // the router that emitted it
	Vault    common.Address // Deposit: the vault credited; TransferOut: the vault paying
	To       common.Address // TransferOut: the recipient; zero for a Deposit
	Asset    common.Address // zero for ether
	Amount   uint256.Int
	Memo     string
}

// DecodeRouterLog decodes a Deposit or TransferOut router event. ok is
// false for any other log and for one whose layout or memo cannot be read
// (not valid UTF-8, or longer than chain.MaxMemoLen): the event signature
// alone is specific enough that any contract emitting it with a readable
// memo is taken for a router, and the emitting contract is recorded.
func DecodeRouterLog(l *Log) (RouterMemo, bool) {
	if len(l.Topics) != 3 {
		return RouterMemo{}, false
	}
	m := RouterMemo{Contract: l.Address}
	var amount, offset []byte
	switch l.Topics[0] {
	case TopicRouterDeposit:
		if len(l.Data) < 64 {
			return RouterMemo{}, false
		}
		m.Kind = chain.MemoRouterDeposit
		m.Vault, m.Asset = topicAddress(l.Topics[1]), topicAddress(l.Topics[2])
		amount, offset = l.Data[:32], l.Data[32:64]
	case TopicRouterTransferOut:
		if len(l.Data) < 96 || !isAddressWord(l.Data[:32]) {
			return RouterMemo{}, false
		}
		m.Kind = chain.MemoRouterTransferOut
		m.Vault, m.To = topicAddress(l.Topics[1]), topicAddress(l.Topics[2])
		m.Asset = common.BytesToAddress(l.Data[12:32])
		amount, offset = l.Data[32:64], l.Data[64:96]
	default:
		return RouterMemo{}, false
	}
	m.Amount.SetBytes32(amount)
	text, ok := abiString(l.Data, offset)
	if !ok {
		return RouterMemo{}, false
	}
	m.Memo = text
	return m, true
}

// abiString reads the ABI-encoded string at the offset held in word.
func abiString(data, word []byte) (string, bool) {
	var off uint256.Int
	off.SetBytes32(word)
	if !off.IsUint64() || off.Uint64() > uint64(len(data)) || uint64(len(data))-off.Uint64() < 32 {
		return "", false
	}
	o := off.Uint64()
	var n uint256.Int
	n.SetBytes32(data[o : o+32])
	if !n.IsUint64() || n.Uint64() > chain.MaxMemoLen || n.Uint64() > uint64(len(data))-o-32 {
		return "", false
	}
	s := data[o+32 : o+32+n.Uint64()]
	if !utf8.Valid(s) {
		return "", false
	}
	return string(s), true
}

func topicAddress(h common.Hash) common.Address { return common.BytesToAddress(h[12:]) }

// isAddressWord reports whether an ABI word holds an address (upper 12
// bytes zero).
func isAddressWord(w []byte) bool {
	for _, b := range w[:12] {
		if b != 0 {
			return false
		}
	}
	return true
}

// routerMemos collects the router events of a block's successful
// transactions as memos. A Deposit's From is the transaction's sender: the
// event does not name who paid, and the sender is who the bridge refunds.
func routerMemos(d *BlockData, b *chain.Block) []chain.Memo {
	var out []chain.Memo
	for i := range d.Receipts {
		if i >= len(b.Txs) || !b.Txs[i].Success {
			continue
		}
		r := &d.Receipts[i]
		for j := range r.Logs {
			l := &r.Logs[j]
			rm, ok := DecodeRouterLog(l)
			if !ok {
				continue
			}
			m := chain.Memo{
				TxIndex: uint32(i), Kind: rm.Kind, Index: uint32(l.LogIndex),
				Contract: evm(rm.Contract), Amount: rm.Amount, Text: rm.Memo,
				Asset: chain.NativeAsset,
			}
			if rm.Asset != (common.Address{}) {
				m.Asset = chain.Asset{Kind: chain.ERC20, Contract: evm(rm.Asset)}
			}
			switch rm.Kind {
			case chain.MemoRouterDeposit:
				m.From, m.To = evm(d.Block.Transactions[i].From), evm(rm.Vault)
			case chain.MemoRouterTransferOut:
				m.From, m.To = evm(rm.Vault), evm(rm.To)
			}
			if n := len(out); n > 0 && out[n-1].TxIndex == m.TxIndex && out[n-1].Index >= m.Index {
				continue // a node repeating a log index: keep the first, the store needs them ordered
			}
			out = append(out, m)
		}
	}
	return out
}
