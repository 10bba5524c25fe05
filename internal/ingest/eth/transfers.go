package eth

import (
	"errors"
	"fmt"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// ExtractStats counts what a block's extraction noticed but did not store.
type ExtractStats struct {
	// MalformedLogs are Transfer/Deposit/Withdrawal logs whose layout could
	// not be decoded; they are skipped, counted and reported, never fatal.
	MalformedLogs []*MalformedLogError
	// UnbackedWraps counts Deposit/Withdrawal logs skipped because no ether
	// of that amount moved into (or out of) the emitting contract in the
	// same transaction: vaults and staking contracts reuse WETH's event
	// signatures without wrapping ether.
	UnbackedWraps int
}

var gweiInWei = uint256.NewInt(1_000_000_000)

// Extract reduces one fetched block to chainhound's value-flow model.
//
// Per transaction, in this order (which gives each transfer its seq):
// the native value of a successful transaction; value moved by successful,
// non-reverted inner frames (CALL with value, CREATE/CREATE2 endowment,
// SELFDESTRUCT); token movements from the receipt's logs; then the fee: the
// priority tip (all of it before London) to the block's miner as "fee", the
// base fee and the blob fee from the sender to nobody as "burn". Fees are
// paid by failed transactions too. Block-level transfers (TxIndex
// chain.BlockLevel) follow: rewards from parity traces, beacon withdrawals,
// genesis allocations.
func Extract(d *BlockData) (*chain.Block, ExtractStats, error) {
	blk := &d.Block
	b := &chain.Block{
		Chain:  chain.Ethereum,
		Height: uint64(blk.Number),
		Hash:   chain.Hash(blk.Hash),
		Parent: chain.Hash(blk.ParentHash),
		Time:   int64(blk.Timestamp),
		Txs:    make([]chain.Tx, 0, len(blk.Transactions)),
	}
	var stats ExtractStats
	if len(d.Receipts) != len(blk.Transactions) {
		return nil, stats, fmt.Errorf("block %d: %d receipts for %d transactions", b.Height, len(d.Receipts), len(blk.Transactions))
	}
	var flat []FlatTrace
	switch {
	case d.CallTraces != nil:
		flat = FlattenCallTraces(blk, d.CallTraces)
	case d.ParityTraces != nil:
		flat = FlattenParityTraces(d.ParityTraces, blk)
	}
	byTx := groupTraces(flat, len(blk.Transactions))
	for i := range blk.Transactions {
		tx := &blk.Transactions[i]
		r := &d.Receipts[i]
		e := emitter{b: b, txIndex: uint32(i), txHash: chain.Hash(tx.Hash), first: len(b.Transfers), traced: flat != nil}
		ok := succeeded(r, byTx[i])
		b.Txs = append(b.Txs, chain.Tx{Hash: e.txHash, Index: e.txIndex, Success: ok})
		if ok {
			e.native(tx, r)
			e.internal(byTx[i], blk)
			e.logs(r, &stats)
		}
		if err := e.fees(tx, r, blk); err != nil {
			return nil, stats, fmt.Errorf("block %d tx %s: %w", b.Height, tx.Hash, err)
		}
	}
	e := emitter{b: b, txIndex: chain.BlockLevel}
	for _, t := range byTx[len(blk.Transactions)] {
		if t.Type == "reward" && t.To != nil {
			e.emit(chain.KindCoinbase, chain.Address{}, evm(*t.To), chain.NativeAsset, &t.Value, nil)
		}
	}
	for _, w := range blk.Withdrawals {
		amt := new(uint256.Int).Mul(uint256.NewInt(uint64(w.Amount)), gweiInWei)
		e.emit(chain.KindWithdrawal, chain.Address{}, evm(w.Address), chain.NativeAsset, amt, nil)
	}
	for _, g := range d.Genesis {
		e.emit(chain.KindGenesis, chain.Address{}, evm(g.Address), chain.NativeAsset, (*uint256.Int)(&g.Balance), nil)
	}
	return b, stats, nil
}

// groupTraces splits flat traces by transaction; the extra last group holds
// block-level traces (rewards).
func groupTraces(flat []FlatTrace, ntx int) [][]FlatTrace {
	out := make([][]FlatTrace, ntx+1)
	for _, t := range flat {
		i := t.TxIndex
		if i < 0 || i >= ntx {
			i = ntx
		}
		out[i] = append(out[i], t)
	}
	return out
}

// succeeded decides a transaction's outcome: the receipt status since
// Byzantium; before it, the top-level trace when traces were fetched;
// without either, success is assumed (see docs/ingest-eth.md).
func succeeded(r *Receipt, traces []FlatTrace) bool {
	if r.Status != nil {
		return *r.Status == 1
	}
	for _, t := range traces {
		if len(t.TraceAddress) == 0 {
			return t.Status == 1
		}
	}
	return true
}

func evm(a common.Address) chain.Address { return chain.EVMAddress(a) }

type emitter struct {
	b       *chain.Block
	txIndex uint32
	txHash  chain.Hash
	seq     uint32
	first   int  // index in b.Transfers of this transaction's first transfer
	traced  bool // internal transfers are known, so wraps can be checked
}

// etherMoved reports whether this transaction moved exactly amount of ether
// into (in) or out of (!in) contract.
func (e *emitter) etherMoved(contract chain.Address, amount *uint256.Int, in bool) bool {
	for _, t := range e.b.Transfers[e.first:] {
		if t.Kind != chain.KindNative && t.Kind != chain.KindInternal || !t.Amount.Eq(amount) {
			continue
		}
		if (in && t.To == contract) || (!in && t.From == contract) {
			return true
		}
	}
	return false
}

func (e *emitter) emit(k chain.Kind, from, to chain.Address, asset chain.Asset, amount *uint256.Int, tokenID *uint256.Int) {
	if amount.IsZero() && tokenID == nil {
		return
	}
	e.b.Transfers = append(e.b.Transfers, chain.Transfer{
		Block: e.b.Height, TxIndex: e.txIndex, Seq: e.seq, TxHash: e.txHash,
		Kind: k, From: from, To: to, Asset: asset, Amount: *amount, TokenID: tokenID,
	})
	e.seq++
}

func (e *emitter) native(tx *Transaction, r *Receipt) {
	v := (*uint256.Int)(&tx.Value)
	if v.IsZero() {
		return
	}
	to := tx.To
	if to == nil {
		to = r.ContractAddress
	}
	if to == nil {
		return // a creation whose receipt names no contract did not create one
	}
	e.emit(chain.KindNative, evm(tx.From), evm(*to), chain.NativeAsset, v, nil)
}

// internal emits value moved by inner frames that succeeded and sit in no
// failed subtree. Delegate and static calls move nothing; a callcode sends
// value to the caller itself.
func (e *emitter) internal(traces []FlatTrace, blk *Block) {
	var created map[common.Address]bool
	for _, t := range traces {
		if len(t.TraceAddress) == 0 || t.Status != 1 || t.From == nil || t.To == nil {
			if t.Type == "create" && t.To != nil {
				created = markCreated(created, *t.To)
			}
			continue
		}
		switch t.Type {
		case "create":
			created = markCreated(created, *t.To)
		case "call":
			if t.CallType != "call" && t.CallType != "" {
				continue
			}
		case "suicide":
			if *t.From == *t.To {
				// Destroying to oneself burns the balance when the account
				// goes away: always before Cancun, and after it only for a
				// contract created in the same transaction (EIP-6780).
				if blk.BlobGasUsed == nil || created[*t.From] {
					e.emit(chain.KindBurn, evm(*t.From), chain.Address{}, chain.NativeAsset, &t.Value, nil)
				}
				continue
			}
		default:
			continue
		}
		e.emit(chain.KindInternal, evm(*t.From), evm(*t.To), chain.NativeAsset, &t.Value, nil)
	}
}

func markCreated(m map[common.Address]bool, a common.Address) map[common.Address]bool {
	if m == nil {
		m = map[common.Address]bool{}
	}
	m[a] = true
	return m
}

func (e *emitter) logs(r *Receipt, stats *ExtractStats) {
	for i := range r.Logs {
		ev, err := DecodeValueLog(&r.Logs[i])
		if err != nil {
			var mal *MalformedLogError
			if errors.As(err, &mal) {
				stats.MalformedLogs = append(stats.MalformedLogs, mal)
			}
			continue
		}
		token := evm(ev.Token)
		switch ev.Kind {
		case ERC20Transfer:
			e.emit(chain.KindToken, evm(ev.From), evm(ev.To), chain.Asset{Kind: chain.ERC20, Contract: token}, &ev.Amount, nil)
		case ERC721Transfer:
			e.emit(chain.KindToken, evm(ev.From), evm(ev.To), chain.Asset{Kind: chain.ERC721, Contract: token}, uint256.NewInt(1), ev.TokenID)
		case Deposit:
			if e.traced && !e.etherMoved(token, &ev.Amount, true) {
				stats.UnbackedWraps++
				continue
			}
			e.emit(chain.KindToken, chain.Address{}, evm(ev.To), chain.Asset{Kind: chain.ERC20, Contract: token}, &ev.Amount, nil)
		case Withdraw:
			if e.traced && !e.etherMoved(token, &ev.Amount, false) {
				stats.UnbackedWraps++
				continue
			}
			e.emit(chain.KindToken, evm(ev.From), chain.Address{}, chain.Asset{Kind: chain.ERC20, Contract: token}, &ev.Amount, nil)
		}
	}
}

// fees emits what the sender paid for gas. Overflow is impossible on a real
// chain (gas and prices are bounded far below 2^256) but is checked, since the
// numbers come from outside.
func (e *emitter) fees(tx *Transaction, r *Receipt, blk *Block) error {
	price := r.EffectiveGasPrice
	if price == nil {
		price = tx.GasPrice
	}
	from := evm(tx.From)
	if price != nil {
		fee, over := new(uint256.Int).MulOverflow(uint256.NewInt(uint64(r.GasUsed)), (*uint256.Int)(price))
		if over {
			return fmt.Errorf("fee overflows 256 bits")
		}
		burn := new(uint256.Int)
		if blk.BaseFeePerGas != nil {
			burn.Mul(uint256.NewInt(uint64(r.GasUsed)), (*uint256.Int)(blk.BaseFeePerGas))
			if burn.Gt(fee) {
				return fmt.Errorf("effective gas price below the block's base fee")
			}
		}
		tip := new(uint256.Int).Sub(fee, burn)
		e.emit(chain.KindFee, from, evm(blk.Miner), chain.NativeAsset, tip, nil)
		e.emit(chain.KindBurn, from, chain.Address{}, chain.NativeAsset, burn, nil)
	}
	if r.BlobGasUsed != nil && r.BlobGasPrice != nil {
		blob, over := new(uint256.Int).MulOverflow(uint256.NewInt(uint64(*r.BlobGasUsed)), (*uint256.Int)(r.BlobGasPrice))
		if over {
			return fmt.Errorf("blob fee overflows 256 bits")
		}
		e.emit(chain.KindBurn, from, chain.Address{}, chain.NativeAsset, blob, nil)
	}
	return nil
}
