package eth

import (
	"errors"
	"fmt"
	"strings"

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
	var parity []FlatTrace
	var parityByTx [][]int // indexes into parity, per transaction; the last group is block-level
	if d.ParityTraces != nil {
		parity = FlattenParityTraces(d.ParityTraces, blk)
		parityByTx = groupTraces(parity, len(blk.Transactions))
	}
	traced := d.CallTraces != nil || d.ParityTraces != nil
	for i := range blk.Transactions {
		tx := &blk.Transactions[i]
		r := &d.Receipts[i]
		e := emitter{b: b, txIndex: uint32(i), txHash: chain.Hash(tx.Hash), first: len(b.Transfers), traced: traced}
		var frames []valueFrame
		switch {
		case d.CallTraces != nil && d.CallTraces[i].Result != nil:
			frames = callFrames(frames, d.CallTraces[i].Result, true, true)
		case parity != nil:
			for _, j := range parityByTx[i] {
				frames = append(frames, parityFrame(&parity[j]))
			}
		}
		ok := succeeded(r, frames)
		b.Txs = append(b.Txs, chain.Tx{Hash: e.txHash, Index: e.txIndex, Success: ok})
		if ok {
			e.native(tx, r)
			e.internal(frames, blk)
			e.logs(r, &stats)
		}
		if err := e.fees(tx, r, blk); err != nil {
			return nil, stats, fmt.Errorf("block %d tx %s: %w", b.Height, tx.Hash, err)
		}
	}
	b.Memos = routerMemos(d, b)
	e := emitter{b: b, txIndex: chain.BlockLevel}
	for _, j := range lastGroup(parityByTx) {
		if t := &parity[j]; t.Type == "reward" && t.To != nil {
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

// groupTraces splits flat traces by transaction, as indexes into flat; the
// extra last group holds block-level traces (rewards).
func groupTraces(flat []FlatTrace, ntx int) [][]int {
	out := make([][]int, ntx+1)
	for j, t := range flat {
		i := t.TxIndex
		if i < 0 || i >= ntx {
			i = ntx
		}
		out[i] = append(out[i], j)
	}
	return out
}

func lastGroup(g [][]int) []int {
	if len(g) == 0 {
		return nil
	}
	return g[len(g)-1]
}

// valueFrame is what extraction needs of one call frame, from either trace
// format: kind is call, delegatecall, staticcall, callcode, create, suicide
// (or reward); ok is false when the frame or an ancestor failed.
type valueFrame struct {
	kind     string
	from, to *common.Address
	value    *uint256.Int
	ok, top  bool
}

// callFrames appends a callTracer frame and its descendants, depth first,
// without building flat traces: extraction is on the ingest hot path.
func callFrames(out []valueFrame, f *CallFrame, parentOK, top bool) []valueFrame {
	ok := parentOK && f.Error == ""
	vf := valueFrame{kind: callKind(f.Type), to: f.To, value: (*uint256.Int)(f.Value), ok: ok, top: top}
	if f.From != (common.Address{}) || vf.kind != "suicide" { // old geth omitted a selfdestruct's sender
		vf.from = &f.From
	}
	out = append(out, vf)
	for j := range f.Calls {
		out = callFrames(out, &f.Calls[j], ok, false)
	}
	return out
}

func callKind(t string) string {
	switch t {
	case "CALL", "call":
		return "call"
	case "CREATE", "CREATE2", "create", "create2":
		return "create"
	case "SELFDESTRUCT", "selfdestruct":
		return "suicide"
	}
	if k, ok := callFrameTypes[strings.ToUpper(t)]; ok && k[1] != "" {
		return k[1] // delegatecall, staticcall, callcode
	}
	return strings.ToLower(t)
}

func parityFrame(t *FlatTrace) valueFrame {
	kind := t.Type
	if kind == "call" && t.CallType != "" {
		kind = t.CallType
	}
	return valueFrame{kind: kind, from: t.From, to: t.To, value: &t.Value, ok: t.Status == 1, top: len(t.TraceAddress) == 0}
}

// succeeded decides a transaction's outcome: the receipt status since
// Byzantium; before it, the top-level trace when traces were fetched;
// without either, success is assumed (see docs/ingest-eth.md).
func succeeded(r *Receipt, frames []valueFrame) bool {
	if r.Status != nil {
		return *r.Status == 1
	}
	for _, f := range frames {
		if f.top {
			return f.ok
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
// from one address to another: the backing a WETH-style Deposit (from the
// depositor to the contract) or Withdrawal (from the contract to the
// withdrawer) must have.
func (e *emitter) etherMoved(from, to chain.Address, amount *uint256.Int) bool {
	for _, t := range e.b.Transfers[e.first:] {
		if (t.Kind == chain.KindNative || t.Kind == chain.KindInternal) && t.From == from && t.To == to && t.Amount.Eq(amount) {
			return true
		}
	}
	return false
}

// mintLogged reports whether the contract also logged this mint (burn) as a
// Transfer from (to) the zero address in this transaction, as some wrappers
// do besides Deposit (Withdrawal): the value must not be counted twice.
func mintLogged(logs []Log, contract common.Address, holder common.Address, amount *uint256.Int, mint bool) bool {
	for i := range logs {
		ev, err := DecodeValueLog(&logs[i])
		if err != nil || ev.Kind != ERC20Transfer || ev.Token != contract || !ev.Amount.Eq(amount) {
			continue
		}
		if (mint && ev.From == (common.Address{}) && ev.To == holder) || (!mint && ev.To == (common.Address{}) && ev.From == holder) {
			return true
		}
	}
	return false
}

// emit appends a transfer. Zero amounts are dropped except for token logs:
// a zero-value Transfer event moves nothing but is still an edge someone
// chose to create, the mark of address poisoning, so it is kept.
func (e *emitter) emit(k chain.Kind, from, to chain.Address, asset chain.Asset, amount *uint256.Int, tokenID *uint256.Int) {
	if amount.IsZero() && tokenID == nil && k != chain.KindToken {
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
func (e *emitter) internal(frames []valueFrame, blk *Block) {
	var created map[common.Address]bool
	for _, f := range frames {
		if f.kind == "create" && f.to != nil {
			created = markCreated(created, *f.to)
		}
		if f.top || !f.ok || f.from == nil || f.to == nil || f.value == nil || f.value.IsZero() {
			continue
		}
		switch f.kind {
		case "call", "create":
		case "suicide":
			if *f.from == *f.to {
				// Destroying to oneself burns the balance when the account
				// goes away: always before Cancun, and after it only for a
				// contract created in the same transaction (EIP-6780).
				if blk.BlobGasUsed == nil || created[*f.from] {
					e.emit(chain.KindBurn, evm(*f.from), chain.Address{}, chain.NativeAsset, f.value, nil)
				}
				continue
			}
		default:
			continue
		}
		e.emit(chain.KindInternal, evm(*f.from), evm(*f.to), chain.NativeAsset, f.value, nil)
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
			if mintLogged(r.Logs, ev.Token, ev.To, &ev.Amount, true) {
				continue
			}
			if e.traced && !e.etherMoved(evm(ev.To), token, &ev.Amount) {
				stats.UnbackedWraps++
				continue
			}
			e.emit(chain.KindToken, chain.Address{}, evm(ev.To), chain.Asset{Kind: chain.ERC20, Contract: token}, &ev.Amount, nil)
		case Withdraw:
			if mintLogged(r.Logs, ev.Token, ev.From, &ev.Amount, false) {
				continue
			}
			if e.traced && !e.etherMoved(token, evm(ev.From), &ev.Amount) {
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
