// Package edges loads plain edge lists (source,target,amount[,time][,tx]),
// the form in which analyses publish transaction graphs, into the store as
// transfers of an account chain, so that every tracer and query works on
// them as on ingested blocks.
//
// Order is what the account models need: a transfer comes after what it
// spends. With a time column, edges are ordered by time (stably, ties in
// file order) and each distinct time is one block at that time. Without
// one, the file order is the order: edges become transactions in that
// order, about EdgesPerBlock to a block (a transaction is not split), with
// block times left at 0.
package edges

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// EdgesPerBlock is how many time-less edges share a block.
const EdgesPerBlock = 1000

// Edge is one row of an edge list.
type Edge struct {
	Line     int // 1-based line in the file
	From, To chain.Address
	Amount   uint256.Int
	Time     int64 // unix seconds; meaningful when the list has times
	Tx       chain.Hash
	HasTx    bool
}

// List is a parsed edge list.
type List struct {
	Name     string
	Edges    []Edge
	HasTime  bool
	Digest   [32]byte // SHA-256 of the file: names synthesised blocks and transactions
	Zero     int      // edges of amount 0
	SelfLoop int      // edges from an address to itself
}

// Error is a malformed edge list: it names the file and line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// columns maps the header names edge lists use to the fields.
var columns = map[string]string{
	"source": "source", "from": "source", "src": "source", "sender": "source",
	"target": "target", "to": "target", "dst": "target", "receiver": "target", "recipient": "target",
	"amount": "amount", "weight": "amount", "value": "amount",
	"time": "time", "timestamp": "time", "block_timestamp": "time",
	"tx": "tx", "hash": "tx", "tx_hash": "tx", "transaction_hash": "tx",
}

// Read parses an edge list of EVM addresses. A first line whose third field
// is not a number is a header naming the columns (source/from,
// target/to, amount/weight/value, time/timestamp, tx/hash/tx_hash, in any
// order); without one the columns are source,target,amount[,time][,tx].
// Amounts are whole numbers of base units (exponent notation is accepted
// when it is a whole number); times are Unix seconds or RFC 3339.
func Read(r io.Reader, name string) (*List, error) {
	h := sha256.New()
	cr := csv.NewReader(bufio.NewReaderSize(io.TeeReader(r, h), 1<<16))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	l := &List{Name: name}
	idx := map[string]int{"source": 0, "target": 1, "amount": 2, "time": -1, "tx": -1}
	width := 0
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &Error{name, pe.Line, pe.Err.Error()}
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if n == 1 && len(rec) > 0 {
			rec[0] = strings.TrimPrefix(rec[0], "\ufeff") // a UTF-8 byte-order mark, as spreadsheets write
		}
		if n == 1 && (len(rec) < 3 || !looksNumeric(rec[2])) {
			if idx, width, err = header(rec); err != nil {
				return nil, &Error{name, line, err.Error()}
			}
			continue
		}
		if n == 1 {
			width = len(rec)
			if width >= 4 {
				idx["time"] = 3
			}
			if width >= 5 {
				idx["tx"] = 4
			}
			if width > 5 {
				return nil, &Error{name, line, fmt.Sprintf("%d columns without a header: want source,target,amount[,time][,tx]", width)}
			}
		}
		if len(rec) != width {
			return nil, &Error{name, line, fmt.Sprintf("%d fields, the file's rows have %d", len(rec), width)}
		}
		e, err := parseEdge(rec, idx)
		if err != nil {
			return nil, &Error{name, line, err.Error()}
		}
		e.Line = line
		if e.Amount.IsZero() {
			l.Zero++
		}
		if e.From == e.To {
			l.SelfLoop++
		}
		l.Edges = append(l.Edges, e)
	}
	l.HasTime = idx["time"] >= 0
	copy(l.Digest[:], h.Sum(nil))
	if len(l.Edges) == 0 {
		return nil, &Error{name, 1, "no edges"}
	}
	return l, nil
}

func looksNumeric(s string) bool {
	s = strings.TrimSpace(s)
	_, ok := new(big.Float).SetString(s)
	return ok
}

func header(rec []string) (map[string]int, int, error) {
	idx := map[string]int{"source": -1, "target": -1, "amount": -1, "time": -1, "tx": -1}
	for i, h := range rec {
		f, ok := columns[strings.ToLower(strings.TrimSpace(h))]
		if !ok {
			continue // other columns are kept out, not refused
		}
		if idx[f] >= 0 {
			return nil, 0, fmt.Errorf("header: two columns for %s", f)
		}
		idx[f] = i
	}
	for _, f := range []string{"source", "target", "amount"} {
		if idx[f] < 0 {
			return nil, 0, fmt.Errorf("header %q: no %s column (want source,target,amount[,time][,tx])", strings.Join(rec, ","), f)
		}
	}
	return idx, len(rec), nil
}

func parseEdge(rec []string, idx map[string]int) (Edge, error) {
	var e Edge
	var err error
	if e.From, err = chain.ParseEVMAddress(strings.TrimSpace(rec[idx["source"]])); err != nil {
		return e, fmt.Errorf("source: %v", err)
	}
	if e.To, err = chain.ParseEVMAddress(strings.TrimSpace(rec[idx["target"]])); err != nil {
		return e, fmt.Errorf("target: %v", err)
	}
	if err := parseAmount(strings.TrimSpace(rec[idx["amount"]]), &e.Amount); err != nil {
		return e, err
	}
	if i := idx["time"]; i >= 0 {
		if e.Time, err = parseTime(strings.TrimSpace(rec[i])); err != nil {
			return e, err
		}
	}
	if i := idx["tx"]; i >= 0 && strings.TrimSpace(rec[i]) != "" {
		if e.Tx, err = chain.ParseHash(strings.TrimSpace(rec[i])); err != nil {
			return e, fmt.Errorf("tx: %v", err)
		}
		e.HasTx = true
	}
	return e, nil
}

func parseAmount(s string, dst *uint256.Int) error {
	if err := dst.SetFromDecimal(s); err == nil {
		return nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || !r.IsInt() || r.Sign() < 0 {
		return fmt.Errorf("amount %q: want a whole, non-negative number of base units", s)
	}
	if overflow := dst.SetFromBig(r.Num()); overflow {
		return fmt.Errorf("amount %q: more than 2^256-1", s)
	}
	return nil
}

func parseTime(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("time %q: before 1970", s)
		}
		return n, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Unix() < 0 {
				return 0, fmt.Errorf("time %q: before 1970", s)
			}
			return t.Unix(), nil
		}
	}
	return 0, fmt.Errorf("time %q: want Unix seconds or RFC 3339", s)
}

// Blocks turns the list into blocks of chain c from height first on, the
// first with parent hash parent, moving asset (kind native or token).
// Edges sharing a tx hash within one block are one transaction; a tx
// hash that recurs in another block is an error.
func (l *List) Blocks(c chain.Chain, asset chain.Asset, first uint64, parent chain.Hash) ([]*chain.Block, error) {
	edges := l.Edges
	if l.HasTime {
		edges = slices.Clone(edges)
		slices.SortStableFunc(edges, func(a, b Edge) int { return compareInt(a.Time, b.Time) })
	}
	kind := chain.KindNative
	if asset.Kind != chain.Native {
		kind = chain.KindToken
	}
	var out []*chain.Block
	txBlock := map[chain.Hash]uint64{}
	var b *chain.Block
	txOf := map[chain.Hash]uint32{}
	for i := range edges {
		e := &edges[i]
		sameTx := e.HasTx && b != nil && len(b.Txs) > 0 && b.Txs[len(b.Txs)-1].Hash == e.Tx // a transaction is never split
		if b == nil || (l.HasTime && e.Time != b.Time) || (!l.HasTime && len(b.Transfers) >= EdgesPerBlock && !sameTx) {
			h := first + uint64(len(out))
			b = &chain.Block{Chain: c, Height: h, Hash: l.hash("block", h), Parent: parent, Time: e.Time}
			if !l.HasTime {
				b.Time = 0
			}
			parent = b.Hash
			out = append(out, b)
			clear(txOf)
		}
		tx := l.hash("tx", uint64(e.Line))
		if e.HasTx {
			tx = e.Tx
			if at, ok := txBlock[tx]; ok && at != b.Height {
				return nil, &Error{l.Name, e.Line, fmt.Sprintf("tx %s recurs at another time than its first edge's", tx)}
			}
			txBlock[tx] = b.Height
		}
		ti, ok := txOf[tx]
		if !ok {
			ti = uint32(len(b.Txs))
			txOf[tx] = ti
			b.Txs = append(b.Txs, chain.Tx{Hash: tx, Index: ti, Success: true})
		}
		seq := uint32(0)
		for j := len(b.Transfers) - 1; j >= 0 && b.Transfers[j].TxIndex == ti; j-- {
			seq++
		}
		if ok && (len(b.Transfers) == 0 || b.Transfers[len(b.Transfers)-1].TxIndex != ti) {
			return nil, &Error{l.Name, e.Line, fmt.Sprintf("the edges of tx %s are not next to each other at their time", tx)}
		}
		b.Transfers = append(b.Transfers, chain.Transfer{Block: b.Height, TxIndex: ti, Seq: seq, TxHash: tx, Kind: kind,
			From: e.From, To: e.To, Asset: asset, Amount: e.Amount})
	}
	return out, nil
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// hash names a synthesised block or transaction after the file's digest,
// so that two lists loaded into one store never share a hash.
func (l *List) hash(what string, n uint64) chain.Hash {
	h := sha256.New()
	h.Write(l.Digest[:])
	h.Write([]byte(what))
	h.Write(binary.BigEndian.AppendUint64(nil, n))
	var out chain.Hash
	copy(out[:], h.Sum(nil))
	return out
}

// Genesis is the genesis marker a store binds an edge-list chain to: edge
// lists of one CAIP-2 chain can share a store, and a store that holds
// blocks from a node refuses them (its genesis is the real one).
const Genesis = "edge-list"
