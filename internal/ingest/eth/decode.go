package eth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
)

// ErrNotFound marks a null result: the node does not know the block,
// transaction or receipt asked for (yet). Callers test it with errors.Is to
// tell "not there" from "broken".
var ErrNotFound = errors.New("not found")

// Trace kinds accepted by DecodeBlockData; they match the resolved
// FetchOptions.Traces modes.
const (
	TracesNone   = "none"
	TracesDebug  = "debug"
	TracesParity = "parity"
)

// DecodeBlock decodes an eth_getBlockBy* result. A block listing only
// transaction hashes (fullTx=false) decodes with Transactions nil and
// TransactionHashes set.
func DecodeBlock(raw json.RawMessage) (*Block, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("block: %w (null result)", ErrNotFound)
	}
	b := new(Block)
	if err := json.Unmarshal(raw, b); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && strings.HasPrefix(te.Field, "transactions") && te.Value == "string" {
			return decodeHashOnlyBlock(raw)
		}
		return nil, fmt.Errorf("decode block: %w", err)
	}
	if err := checkBlockFields(raw, b); err != nil {
		return nil, err
	}
	return b, nil
}

// decodeHashOnlyBlock is the slow path for fullTx=false blocks; ingest
// never asks for those, so they need not be fast.
func decodeHashOnlyBlock(raw json.RawMessage) (*Block, error) {
	var w struct {
		Block
		Transactions []common.Hash `json:"transactions"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("decode block: %w", err)
	}
	b := w.Block
	b.Transactions = nil
	b.TransactionHashes = w.Transactions
	if b.TransactionHashes == nil {
		b.TransactionHashes = []common.Hash{}
	}
	if err := checkBlockFields(raw, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// checkBlockFields rejects objects that decode without error but are not a
// block: encoding/json leaves missing fields zero, and "{}" or a receipt
// sent by mistake must not pass for block 0.
func checkBlockFields(raw json.RawMessage, b *Block) error {
	if b.Hash == (common.Hash{}) {
		return errors.New("decode block: no block hash (not a block object?)")
	}
	if b.Transactions == nil && b.TransactionHashes == nil && !bytes.Contains(raw, []byte(`"transactions"`)) {
		return fmt.Errorf("decode block %d: no transactions member", uint64(b.Number))
	}
	return nil
}

// DecodeTransaction decodes an eth_getTransactionBy* result.
func DecodeTransaction(raw json.RawMessage) (*Transaction, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("transaction: %w (null result)", ErrNotFound)
	}
	t := new(Transaction)
	if err := json.Unmarshal(raw, t); err != nil {
		return nil, fmt.Errorf("decode transaction: %w", err)
	}
	if t.Hash == (common.Hash{}) {
		return nil, errors.New("decode transaction: no hash (not a transaction object?)")
	}
	return t, nil
}

// DecodeReceipt decodes an eth_getTransactionReceipt result.
func DecodeReceipt(raw json.RawMessage) (*Receipt, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("receipt: %w (null result)", ErrNotFound)
	}
	r := new(Receipt)
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("decode receipt: %w", err)
	}
	if r.TransactionHash == (common.Hash{}) {
		return nil, errors.New("decode receipt: no transactionHash (not a receipt object?)")
	}
	return r, nil
}

// DecodeReceipts decodes an eth_getBlockReceipts result, or the array that
// Fetcher assembles from per-transaction receipts. A null element (a node
// that does not have that receipt yet) is an error.
func DecodeReceipts(raw json.RawMessage) ([]Receipt, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("receipts: %w (null result)", ErrNotFound)
	}
	var rs []*Receipt
	if err := json.Unmarshal(raw, &rs); err != nil {
		return nil, fmt.Errorf("decode receipts: %w", err)
	}
	out := make([]Receipt, len(rs))
	for i, r := range rs {
		if r == nil {
			return nil, fmt.Errorf("decode receipts: receipt %d is null", i)
		}
		if r.TransactionHash == (common.Hash{}) {
			return nil, fmt.Errorf("decode receipts: receipt %d has no transactionHash", i)
		}
		out[i] = *r
	}
	return out, nil
}

// DecodeCallTraces decodes a debug_traceBlockBy* result made with
// {"tracer":"callTracer"}.
func DecodeCallTraces(raw json.RawMessage) ([]TxCallTrace, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("call traces: %w (null result)", ErrNotFound)
	}
	var ts []TxCallTrace
	if err := json.Unmarshal(raw, &ts); err != nil {
		if bytes.Contains(raw, []byte(`"structLogs"`)) {
			return nil, errors.New("decode call traces: the node answered with opcode (struct logger) traces, not callTracer frames: it or a proxy dropped the tracer option")
		}
		return nil, fmt.Errorf("decode call traces: %w", err)
	}
	if ts == nil {
		ts = []TxCallTrace{}
	}
	for i := range ts {
		if ts[i].Result == nil && ts[i].Error == "" {
			return nil, fmt.Errorf("decode call traces: element %d has neither result nor error", i)
		}
	}
	return ts, nil
}

// DecodeParityTraces decodes a trace_block result.
func DecodeParityTraces(raw json.RawMessage) ([]ParityTrace, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("parity traces: %w (null result)", ErrNotFound)
	}
	var ts []ParityTrace
	if err := json.Unmarshal(raw, &ts); err != nil {
		return nil, fmt.Errorf("decode parity traces: %w", err)
	}
	if ts == nil {
		ts = []ParityTrace{}
	}
	for i := range ts {
		if ts[i].Type == "" {
			return nil, fmt.Errorf("decode parity traces: trace %d has no type", i)
		}
	}
	return ts, nil
}

// DecodeBlockData decodes one block's responses and checks that they belong
// together. tracesKind is TracesDebug (traces holds a callTracer result),
// TracesParity (a trace_block result) or TracesNone / "" (traces ignored).
// receipts must hold one receipt per transaction, in order.
func DecodeBlockData(block, receipts, traces json.RawMessage, tracesKind string) (*BlockData, error) {
	b, err := DecodeBlock(block)
	if err != nil {
		return nil, fmt.Errorf("eth_getBlockByNumber: %w", err)
	}
	d := &BlockData{Block: *b}
	n := uint64(b.Number)
	if b.TransactionHashes != nil && len(b.TransactionHashes) > 0 {
		return nil, fmt.Errorf("block %d: eth_getBlockByNumber: block lists transaction hashes, not full transactions", n)
	}
	if err := checkTransactions(&d.Block); err != nil {
		return nil, fmt.Errorf("block %d: eth_getBlockByNumber: %w", n, err)
	}
	if d.Receipts, err = DecodeReceipts(receipts); err != nil {
		return nil, fmt.Errorf("block %d: receipts: %w", n, err)
	}
	if err := checkReceipts(&d.Block, d.Receipts); err != nil {
		return nil, fmt.Errorf("block %d: receipts: %w", n, err)
	}
	switch tracesKind {
	case TracesNone, "":
	case TracesDebug:
		if d.CallTraces, err = DecodeCallTraces(traces); err != nil {
			return nil, fmt.Errorf("block %d: debug_traceBlockByNumber: %w", n, err)
		}
		if err := checkCallTraces(&d.Block, d.CallTraces); err != nil {
			return nil, fmt.Errorf("block %d: debug_traceBlockByNumber: %w", n, err)
		}
	case TracesParity:
		if d.ParityTraces, err = DecodeParityTraces(traces); err != nil {
			return nil, fmt.Errorf("block %d: trace_block: %w", n, err)
		}
		if err := checkParityTraces(&d.Block, d.ParityTraces); err != nil {
			return nil, fmt.Errorf("block %d: trace_block: %w", n, err)
		}
	default:
		return nil, fmt.Errorf("block %d: unknown traces kind %q (want %s, %s or %s)", n, tracesKind, TracesDebug, TracesParity, TracesNone)
	}
	return d, nil
}

// checkTransactions checks the block's own bookkeeping of its transactions:
// a node that mixes up blocks shows it here first.
func checkTransactions(b *Block) error {
	for i := range b.Transactions {
		tx := &b.Transactions[i]
		if tx.BlockHash != nil && *tx.BlockHash != b.Hash {
			return fmt.Errorf("transaction %d (%s) has blockHash %s, block is %s", i, tx.Hash, tx.BlockHash, b.Hash)
		}
		if tx.TransactionIndex != nil && uint64(*tx.TransactionIndex) != uint64(i) {
			return fmt.Errorf("transaction %d (%s) has transactionIndex %d", i, tx.Hash, uint64(*tx.TransactionIndex))
		}
	}
	return nil
}

func checkReceipts(b *Block, rs []Receipt) error {
	if len(rs) != len(b.Transactions) {
		return fmt.Errorf("%d receipts for %d transactions", len(rs), len(b.Transactions))
	}
	for i := range rs {
		r := &rs[i]
		if r.BlockHash != b.Hash {
			return fmt.Errorf("receipt %d has blockHash %s, block is %s (reorg during fetch?)", i, r.BlockHash, b.Hash)
		}
		if r.TransactionHash != b.Transactions[i].Hash {
			return fmt.Errorf("receipt %d is for transaction %s, transaction %d is %s", i, r.TransactionHash, i, b.Transactions[i].Hash)
		}
	}
	return nil
}

func checkCallTraces(b *Block, ts []TxCallTrace) error {
	if len(ts) != len(b.Transactions) {
		return fmt.Errorf("%d call traces for %d transactions", len(ts), len(b.Transactions))
	}
	for i := range ts {
		t := &ts[i]
		if t.TxHash != nil && *t.TxHash != b.Transactions[i].Hash {
			return fmt.Errorf("call trace %d is for transaction %s, transaction %d is %s", i, t.TxHash, i, b.Transactions[i].Hash)
		}
		if t.Error != "" {
			return fmt.Errorf("call trace %d (transaction %s): tracer failed: %s", i, b.Transactions[i].Hash, t.Error)
		}
		if t.Result == nil {
			return fmt.Errorf("call trace %d (transaction %s) has no result", i, b.Transactions[i].Hash)
		}
	}
	return nil
}

func checkParityTraces(b *Block, ts []ParityTrace) error {
	for i := range ts {
		t := &ts[i]
		if t.BlockHash != b.Hash {
			return fmt.Errorf("trace %d has blockHash %s, block is %s (reorg during fetch?)", i, t.BlockHash, b.Hash)
		}
		if t.TransactionPosition == nil {
			continue // block and uncle rewards
		}
		pos := *t.TransactionPosition
		if pos >= uint64(len(b.Transactions)) {
			return fmt.Errorf("trace %d has transactionPosition %d, block has %d transactions", i, pos, len(b.Transactions))
		}
		if t.TransactionHash != nil && *t.TransactionHash != b.Transactions[pos].Hash {
			return fmt.Errorf("trace %d is for transaction %s, transaction %d is %s", i, t.TransactionHash, pos, b.Transactions[pos].Hash)
		}
	}
	return nil
}

// isNull reports whether raw is the JSON literal null (or nothing at all).
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// DecodeOpcodeTrace decodes a debug_traceTransaction result made with the
// default tracer.
func DecodeOpcodeTrace(raw json.RawMessage) (*OpcodeTrace, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("opcode trace: %w (null result)", ErrNotFound)
	}
	t := new(OpcodeTrace)
	if err := json.Unmarshal(raw, t); err != nil {
		return nil, fmt.Errorf("decode opcode trace: %w", err)
	}
	return t, nil
}

// DecodeOpcodeTraces decodes a debug_traceBlockBy* result made with the
// default tracer.
func DecodeOpcodeTraces(raw json.RawMessage) ([]TxOpcodeTrace, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("opcode traces: %w (null result)", ErrNotFound)
	}
	var ts []TxOpcodeTrace
	if err := json.Unmarshal(raw, &ts); err != nil {
		return nil, fmt.Errorf("decode opcode traces: %w", err)
	}
	if ts == nil {
		ts = []TxOpcodeTrace{}
	}
	return ts, nil
}
