package btc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ingest"
)

// ETLFiles reads Bitcoin blocks from exports in the bitcoin-etl layout: JSON
// lines, one transaction (or one block) per line, with inputs and outputs
// and, where the exporter resolved them, the value and address each input
// spends. Google's public BigQuery dataset (crypto_bitcoin) exports the same
// fields, with integers as strings and timestamps as "2009-01-09 02:54:25
// UTC"; both are read.
//
// An export carries no block headers, so what it says is trusted: block and
// transaction hashes are taken as written, and a block's parent is the hash
// of the block before it in the files (or, for the first, what SetParent
// says). Each block must be whole: its transactions indexed 0..n-1 from the
// coinbase on, and, when the files also hold its block record, exactly its
// transaction_count of them. Blocks must follow each other without gaps.
//
// Outputs are classified from script_hex with ClassifyScript, so that their
// addresses are exactly those a node or a blocks/ directory would give. An
// input whose export gives a value and exactly one address is taken as
// resolved (bitcoin-etl names outputs as ClassifyScript does); any other
// input is left for the store's output index to resolve.
//
// OpenETL reads the files once, checking every line, and keeps the offsets
// of each block's lines (about 100 bytes a block); blocks are decoded again
// on demand, so several workers can decode at once and memory does not grow
// with the transactions. Outputs whose export names an address other than
// the one their script pays on the network are refused (a wrong --network).
type ETLFiles struct {
	net    Network
	files  []*os.File
	blocks map[int64]*etlBlock
	first  int64
	last   int64
	parent chainhash.Hash // of the first block, when known
}

// etlBlock locates one block's lines.
type etlBlock struct {
	hash    chainhash.Hash
	time    int64
	ntx     int // transaction_count of the block record, -1 without one
	file    int
	off     int64 // first transaction line
	end     int64 // end of its last transaction line
	line    int   // line number of the first transaction
	txs     int   // transaction lines seen
	hasTxs  bool
	blkLine string // "FILE:LINE" of the block record, for errors
}

// etlHead is what the index pass reads of every line.
type etlHead struct {
	Type             string          `json:"type"`
	Number           *etlInt         `json:"number"`
	Hash             string          `json:"hash"`
	Timestamp        json.RawMessage `json:"timestamp"`
	TransactionCount *etlInt         `json:"transaction_count"`
	BlockNumber      *etlInt         `json:"block_number"`
	BlockHash        string          `json:"block_hash"`
	BlockTimestamp   json.RawMessage `json:"block_timestamp"`
	Index            *etlInt         `json:"index"`
}

// maxETLLine bounds one line: the largest Bitcoin transaction (a few MB of
// script) fits several times over as hex in JSON.
const maxETLLine = 64 << 20

// OpenETL opens and indexes bitcoin-etl exports of net's blocks. Files may
// hold transactions, blocks or both; together they must hold the
// transactions of every block they name. Errors name the file and line.
func OpenETL(net Network, paths ...string) (*ETLFiles, error) {
	if len(paths) == 0 {
		return nil, errors.New("no bitcoin-etl file given")
	}
	e := &ETLFiles{net: net, blocks: map[int64]*etlBlock{}, first: -1, last: -1}
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			e.Close()
			return nil, err
		}
		e.files = append(e.files, f)
		if err := e.index(i, p, f); err != nil {
			e.Close()
			return nil, err
		}
	}
	if err := e.check(paths); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Close closes the files.
func (e *ETLFiles) Close() error {
	var errs []error
	for _, f := range e.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// First and Last are the lowest and highest block heights the files hold.
func (e *ETLFiles) First() int64 { return e.first }

// Last is the highest block height the files hold.
func (e *ETLFiles) Last() int64 { return e.last }

// SetParent sets the parent hash of the files' first block (an export does
// not carry it), so that it can follow a stored block. h is in display
// order, as the store keeps it.
func (e *ETLFiles) SetParent(h chain.Hash) { e.parent = internalHash(h) }

func (e *ETLFiles) index(fi int, path string, f *os.File) error {
	r := bufio.NewReaderSize(f, 1<<20)
	var off int64
	var cur *etlBlock // block whose transaction lines are being read
	curN, prevIndex := int64(-1), int64(-1)
	for line := 1; ; line++ {
		raw, err := readLine(r)
		if err == io.EOF && len(raw) == 0 {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		start := off
		off += int64(len(raw))
		body := bytes.TrimSpace(raw)
		if len(body) == 0 {
			continue
		}
		var h etlHead
		if err := json.Unmarshal(body, &h); err != nil {
			return fmt.Errorf("%s:%d: not a bitcoin-etl JSON line: %w", path, line, err)
		}
		where := fmt.Sprintf("%s:%d", path, line)
		isBlock := h.Type == "block" || (h.Type == "" && h.Number != nil && h.BlockNumber == nil)
		switch {
		case isBlock:
			cur, curN = nil, -1
			if err := e.addBlockRecord(&h, where); err != nil {
				return err
			}
		case h.Type == "transaction" || h.Type == "" && h.BlockNumber != nil:
			if h.BlockNumber == nil || h.Index == nil {
				return fmt.Errorf("%s: transaction without block_number and index", where)
			}
			n, idx := int64(*h.BlockNumber), int64(*h.Index)
			if cur == nil || n != curN {
				b, err := e.startTxs(fi, n, &h, start, line, where)
				if err != nil {
					return err
				}
				cur, curN, prevIndex = b, n, -1
			}
			if idx != prevIndex+1 {
				return fmt.Errorf("%s: block %d: transaction index %d follows %d (a block's transactions must be whole and in order)", where, n, idx, prevIndex)
			}
			if !strings.EqualFold(h.BlockHash, cur.hash.String()) {
				return fmt.Errorf("%s: block %d: block_hash %s, earlier lines say %s", where, n, h.BlockHash, cur.hash)
			}
			// Decode the whole line now, so that a broken file is refused
			// before anything is stored.
			tx, err := DecodeETLTx(body, e.net)
			if err != nil {
				return fmt.Errorf("%s: block %d: %w", where, n, err)
			}
			if tx.Coinbase != (idx == 0) {
				return fmt.Errorf("%s: block %d transaction %d: is_coinbase is %v", where, n, idx, tx.Coinbase)
			}
			prevIndex = idx
			cur.txs++
			cur.end = off
		default:
			return fmt.Errorf("%s: neither a block nor a transaction (type %q)", where, h.Type)
		}
		if err == io.EOF {
			return nil
		}
	}
}

func (e *ETLFiles) entry(n int64) *etlBlock {
	b := e.blocks[n]
	if b == nil {
		b = &etlBlock{ntx: -1}
		e.blocks[n] = b
		if e.first < 0 || n < e.first {
			e.first = n
		}
		if n > e.last {
			e.last = n
		}
	}
	return b
}

func (e *ETLFiles) addBlockRecord(h *etlHead, where string) error {
	if h.Number == nil || h.TransactionCount == nil {
		return fmt.Errorf("%s: block record without number and transaction_count", where)
	}
	n := int64(*h.Number)
	if n < 0 {
		return fmt.Errorf("%s: block number %d", where, n)
	}
	hash, err := chainhash.NewHashFromStr(h.Hash)
	if err != nil || len(h.Hash) != 64 {
		return fmt.Errorf("%s: block %d: hash %q is not 64 hex digits", where, n, h.Hash)
	}
	t, err := parseETLTime(h.Timestamp)
	if err != nil {
		return fmt.Errorf("%s: block %d: timestamp: %w", where, n, err)
	}
	b := e.entry(n)
	if b.blkLine != "" {
		return fmt.Errorf("%s: block %d appears again (first at %s)", where, n, b.blkLine)
	}
	if b.hasTxs && b.hash != *hash {
		return fmt.Errorf("%s: block %d: hash %s, its transactions say %s", where, n, hash, b.hash)
	}
	b.hash, b.time, b.ntx, b.blkLine = *hash, t, int(*h.TransactionCount), where
	return nil
}

func (e *ETLFiles) startTxs(fi int, n int64, h *etlHead, off int64, line int, where string) (*etlBlock, error) {
	if n < 0 {
		return nil, fmt.Errorf("%s: block_number %d", where, n)
	}
	b := e.entry(n)
	if b.hasTxs {
		return nil, fmt.Errorf("%s: block %d: its transactions are split (they started at line %d); a block's transactions must be consecutive lines", where, n, b.line)
	}
	hash, err := chainhash.NewHashFromStr(h.BlockHash)
	if err != nil || len(h.BlockHash) != 64 {
		return nil, fmt.Errorf("%s: block %d: block_hash %q is not 64 hex digits", where, n, h.BlockHash)
	}
	if b.blkLine != "" && b.hash != *hash {
		return nil, fmt.Errorf("%s: block %d: block_hash %s, its block record (%s) says %s", where, n, hash, b.blkLine, b.hash)
	}
	t, err := parseETLTime(h.BlockTimestamp)
	if err != nil {
		return nil, fmt.Errorf("%s: block %d: block_timestamp: %w", where, n, err)
	}
	if b.blkLine == "" {
		b.time = t
	}
	b.hash, b.file, b.off, b.line, b.hasTxs = *hash, fi, off, line, true
	return b, nil
}

// check makes sure every block is whole and the heights have no gap.
func (e *ETLFiles) check(paths []string) error {
	if e.first < 0 {
		return fmt.Errorf("%s: no blocks or transactions", strings.Join(paths, ", "))
	}
	for n := e.first; n <= e.last; n++ {
		b := e.blocks[n]
		switch {
		case b == nil:
			return fmt.Errorf("block %d is missing from %s (the files hold %d..%d; blocks must follow each other)", n, strings.Join(paths, ", "), e.first, e.last)
		case !b.hasTxs:
			return fmt.Errorf("%s: block %d has no transactions in the files", b.blkLine, n)
		case b.ntx >= 0 && b.ntx != b.txs:
			return fmt.Errorf("%s:%d: block %d has %d transactions in the files, its block record (%s) says %d", paths[b.file], b.line, n, b.txs, b.blkLine, b.ntx)
		}
	}
	return nil
}

// readLine reads one line with its newline, bounded by maxETLLine.
func readLine(r *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxETLLine {
			return nil, fmt.Errorf("line longer than %d MiB", maxETLLine>>20)
		}
		if err != bufio.ErrBufferFull {
			return buf, err
		}
	}
}

// Tip implements Blocks: the highest block in the files.
func (e *ETLFiles) Tip(context.Context) (int64, error) { return e.last, nil }

// HashAt implements Blocks. An export without block 0 cannot show the
// genesis hash: it is then the network's, which --network named.
func (e *ETLFiles) HashAt(_ context.Context, h int64) (chainhash.Hash, error) {
	if b := e.blocks[h]; b != nil {
		return b.hash, nil
	}
	if h == 0 {
		return *e.net.Params.GenesisHash, nil
	}
	return chainhash.Hash{}, fmt.Errorf("block %d: %w (the bitcoin-etl files hold %d..%d)", h, ingest.ErrNotFound, e.first, e.last)
}

// BlockAt implements Blocks: it reads and decodes block h's lines.
func (e *ETLFiles) BlockAt(_ context.Context, h int64) (*Block, error) {
	b := e.blocks[h]
	if b == nil {
		return nil, fmt.Errorf("block %d: %w (the bitcoin-etl files hold %d..%d)", h, ingest.ErrNotFound, e.first, e.last)
	}
	f := e.files[b.file]
	raw := make([]byte, b.end-b.off)
	if _, err := f.ReadAt(raw, b.off); err != nil {
		return nil, fmt.Errorf("%s: block %d: %w", f.Name(), h, err)
	}
	out := &Block{Hash: b.hash, Height: h, Time: b.time, Txs: make([]Tx, 0, b.txs)}
	if p := e.blocks[h-1]; p != nil {
		out.Prev = p.hash
	} else {
		out.Prev = e.parent
	}
	line := b.line
	for len(raw) > 0 {
		l := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			l, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		if body := bytes.TrimSpace(l); len(body) > 0 {
			tx, err := DecodeETLTx(body, e.net)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: block %d: %w", f.Name(), line, h, err)
			}
			if tx.Coinbase != (len(out.Txs) == 0) {
				return nil, fmt.Errorf("%s:%d: block %d transaction %d: is_coinbase is %v", f.Name(), line, h, len(out.Txs), tx.Coinbase)
			}
			out.Txs = append(out.Txs, *tx)
		}
		line++
	}
	return out, nil
}

// etlTx is a transaction line; fields chainhound does not use are ignored.
type etlTx struct {
	Hash      string      `json:"hash"`
	IsCoin    *bool       `json:"is_coinbase"`
	Version   *etlInt     `json:"version"`
	LockTime  *etlInt     `json:"lock_time"`
	Inputs    []etlInput  `json:"inputs"`
	Outputs   []etlOutput `json:"outputs"`
	Index     *etlInt     `json:"index"`
	BlockHash string      `json:"block_hash"`
}

type etlInput struct {
	Index     *etlInt  `json:"index"`
	SpentTx   string   `json:"spent_transaction_hash"`
	SpentOut  *etlInt  `json:"spent_output_index"`
	ScriptHex string   `json:"script_hex"`
	Sequence  *etlInt  `json:"sequence"`
	Type      *string  `json:"type"`
	Addresses []string `json:"addresses"`
	Value     *etlInt  `json:"value"`
}

type etlOutput struct {
	Index     *etlInt  `json:"index"`
	ScriptHex *string  `json:"script_hex"`
	Value     *etlInt  `json:"value"`
	Addresses []string `json:"addresses"`
}

// DecodeETLTx decodes one bitcoin-etl transaction line. Outputs are
// classified from their script; inputs carry the spent output when the line
// gives its value and a single address.
func DecodeETLTx(line []byte, net Network) (*Tx, error) {
	var t etlTx
	if err := json.Unmarshal(line, &t); err != nil {
		return nil, err
	}
	txid, err := chainhash.NewHashFromStr(t.Hash)
	if err != nil || len(t.Hash) != 64 {
		return nil, fmt.Errorf("transaction hash %q is not 64 hex digits", t.Hash)
	}
	if t.IsCoin == nil {
		return nil, fmt.Errorf("transaction %s: no is_coinbase", t.Hash)
	}
	tx := &Tx{Txid: *txid, Wtxid: *txid, Coinbase: *t.IsCoin, Inputs: make([]Input, 0, len(t.Inputs)), Outputs: make([]Output, len(t.Outputs))}
	if t.Version != nil {
		tx.Version = int32(*t.Version)
	}
	if t.LockTime != nil {
		tx.LockTime = uint32(*t.LockTime)
	}
	tx.NoVersionLockTime = t.Version == nil || t.LockTime == nil
	if !tx.Coinbase && len(t.Inputs) == 0 {
		return nil, fmt.Errorf("transaction %s: no inputs", t.Hash)
	}
	for i, in := range t.Inputs {
		x, err := in.decode(i)
		if err != nil {
			return nil, fmt.Errorf("transaction %s input %d: %w", t.Hash, i, err)
		}
		if !tx.Coinbase {
			tx.Inputs = append(tx.Inputs, x)
		}
	}
	var sum int64
	for i := range t.Outputs {
		o, err := t.Outputs[i].decode(i, net)
		if err != nil {
			return nil, fmt.Errorf("transaction %s output %d: %w", t.Hash, i, err)
		}
		if sum += o.Value; sum > maxMoney {
			return nil, fmt.Errorf("transaction %s: outputs add up to more than 21 million BTC", t.Hash)
		}
		tx.Outputs[i] = o
	}
	if len(tx.Outputs) == 0 {
		return nil, fmt.Errorf("transaction %s: no outputs", t.Hash)
	}
	return tx, nil
}

func (in *etlInput) decode(i int) (Input, error) {
	if in.Index != nil && int(*in.Index) != i {
		return Input{}, fmt.Errorf("index %d out of order", int64(*in.Index))
	}
	prev, err := chainhash.NewHashFromStr(in.SpentTx)
	if err != nil || len(in.SpentTx) != 64 {
		return Input{}, fmt.Errorf("spent_transaction_hash %q is not 64 hex digits", in.SpentTx)
	}
	if in.SpentOut == nil || *in.SpentOut < 0 || *in.SpentOut > 0xffffffff {
		return Input{}, errors.New("spent_output_index missing or out of range")
	}
	x := Input{PrevTxid: *prev, PrevVout: uint32(*in.SpentOut)}
	if in.Sequence != nil {
		x.Sequence = uint32(*in.Sequence)
	}
	if in.ScriptHex != "" {
		if x.ScriptSig, err = hex.DecodeString(in.ScriptHex); err != nil {
			return Input{}, fmt.Errorf("script_hex: %w", err)
		}
	}
	if in.Value != nil && len(in.Addresses) == 1 && in.Type != nil && *in.Type != MultiSig.String() {
		if *in.Value < 0 || *in.Value > maxMoney {
			return Input{}, fmt.Errorf("value %d out of range", int64(*in.Value))
		}
		x.Spent = &SpentOutput{Address: in.Addresses[0], Value: int64(*in.Value)}
	}
	return x, nil
}

func (o *etlOutput) decode(i int, net Network) (Output, error) {
	if o.Index != nil && int(*o.Index) != i {
		return Output{}, fmt.Errorf("index %d out of order", int64(*o.Index))
	}
	if o.ScriptHex == nil {
		return Output{}, errors.New("no script_hex (chainhound classifies outputs from their script)")
	}
	script, err := hex.DecodeString(*o.ScriptHex)
	if err != nil {
		return Output{}, fmt.Errorf("script_hex: %w", err)
	}
	if o.Value == nil || *o.Value < 0 || *o.Value > maxMoney {
		return Output{}, errors.New("value missing or out of range")
	}
	t, addr := ClassifyScript(script, net)
	if len(o.Addresses) == 1 && o.Addresses[0] != addr {
		return Output{}, fmt.Errorf("the export names it %s, but its script pays %s on %s (wrong --network?)", o.Addresses[0], addr, net)
	}
	return Output{Value: int64(*o.Value), Script: script, Type: t, Address: addr}, nil
}

// etlInt is an integer written as a JSON number (bitcoin-etl) or a string
// (BigQuery's JSON export of INTEGER and NUMERIC), which may carry a zero
// fraction ("5000000000.000000000").
type etlInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *etlInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	if whole, frac, ok := strings.Cut(s, "."); ok && strings.Trim(frac, "0") == "" {
		s = whole
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not an integer", b)
	}
	*n = etlInt(v)
	return nil
}

// parseETLTime reads a timestamp: Unix seconds (bitcoin-etl), or BigQuery's
// "2009-01-09 02:54:25 UTC", or RFC 3339.
func parseETLTime(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, errors.New("missing")
	}
	var n etlInt
	if err := n.UnmarshalJSON(raw); err == nil {
		return int64(n), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("%s is neither Unix seconds nor a date", raw)
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999 MST", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix(), nil
		}
	}
	return 0, fmt.Errorf("%q is neither Unix seconds nor a date", s)
}
