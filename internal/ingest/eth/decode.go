package eth

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/chainhound/chainhound/internal/ingest"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// ErrNotFound marks a null result: the node does not know the block,
// transaction or receipt asked for (yet). Callers test it with errors.Is to
// tell "not there" from "broken".
var ErrNotFound = ingest.ErrNotFound // the pipeline waits for such blocks instead of failing

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
	return decodeBlock(raw, new(decodeArena))
}

func decodeBlock(raw json.RawMessage, mem *decodeArena) (*Block, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("block: %w (null result)", ErrNotFound)
	}
	d := &jsonDecoder{data: raw, mem: mem}
	r := blockReader{b: new(Block)}
	if err := d.block(&r); err != nil {
		return nil, fmt.Errorf("decode block: %w", err)
	}
	if err := d.end(); err != nil {
		return nil, fmt.Errorf("decode block: %w", err)
	}
	if err := checkBlockFields(r.b, r.sawTxs); err != nil {
		return nil, err
	}
	return r.b, nil
}

// checkBlockFields rejects objects that decode without error but are not a
// block: missing members stay zero, and "{}" or a receipt sent by mistake
// must not pass for block 0.
func checkBlockFields(b *Block, sawTxs bool) error {
	if b.Hash == (common.Hash{}) {
		return errors.New("decode block: no block hash (not a block object?)")
	}
	if !sawTxs {
		return fmt.Errorf("decode block %d: no transactions member", uint64(b.Number))
	}
	for i := range b.Transactions {
		if b.Transactions[i].Hash == (common.Hash{}) {
			return fmt.Errorf("decode block %d: transaction %d has no hash", uint64(b.Number), i)
		}
	}
	return nil
}

// DecodeTransaction decodes an eth_getTransactionBy* result.
func DecodeTransaction(raw json.RawMessage) (*Transaction, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("transaction: %w (null result)", ErrNotFound)
	}
	d := &jsonDecoder{data: raw, mem: new(decodeArena)}
	t := new(Transaction)
	if err := d.transaction(t); err != nil {
		return nil, fmt.Errorf("decode transaction: %w", err)
	}
	if err := d.end(); err != nil {
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
	d := &jsonDecoder{data: raw, mem: new(decodeArena)}
	r := new(Receipt)
	if err := d.receipt(r); err != nil {
		return nil, fmt.Errorf("decode receipt: %w", err)
	}
	if err := d.end(); err != nil {
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
	return decodeReceipts(raw, new(decodeArena))
}

func decodeReceipts(raw json.RawMessage, mem *decodeArena) ([]Receipt, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("receipts: %w (null result)", ErrNotFound)
	}
	d := &jsonDecoder{data: raw, mem: mem}
	if d.next() != '[' {
		return nil, fmt.Errorf("decode receipts: %w", d.mismatch("array"))
	}
	rs := []Receipt{}
	err := d.array(func(i int) error {
		if null, err := d.null(); null || err != nil {
			if err == nil {
				err = fmt.Errorf("receipt %d is null", i)
			}
			return err
		}
		rs = append(rs, Receipt{})
		return inIndex(i, d.receipt(&rs[i]))
	})
	if err == nil {
		err = d.end()
	}
	if err != nil {
		return nil, fmt.Errorf("decode receipts: %w", err)
	}
	for i := range rs {
		if rs[i].TransactionHash == (common.Hash{}) {
			return nil, fmt.Errorf("decode receipts: receipt %d has no transactionHash", i)
		}
	}
	return rs, nil
}

// DecodeCallTraces decodes a debug_traceBlockBy* result made with
// {"tracer":"callTracer"}.
func DecodeCallTraces(raw json.RawMessage) ([]TxCallTrace, error) {
	return decodeCallTraces(raw, new(decodeArena))
}

func decodeCallTraces(raw json.RawMessage, mem *decodeArena) ([]TxCallTrace, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("call traces: %w (null result)", ErrNotFound)
	}
	d := &jsonDecoder{data: raw, mem: mem}
	var ts []TxCallTrace
	err := decodeSlice(d, &ts, d.txCallTrace)
	if err == nil {
		err = d.end()
	}
	if err != nil {
		if bytes.Contains(raw, []byte(`"structLogs"`)) {
			return nil, errors.New("decode call traces: the node answered with opcode (struct logger) traces, not callTracer frames: it or a proxy dropped the tracer option")
		}
		return nil, fmt.Errorf("decode call traces: %w", err)
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
	return decodeParityTraces(raw, new(decodeArena))
}

func decodeParityTraces(raw json.RawMessage, mem *decodeArena) ([]ParityTrace, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("parity traces: %w (null result)", ErrNotFound)
	}
	d := &jsonDecoder{data: raw, mem: mem}
	var ts []ParityTrace
	err := decodeSlice(d, &ts, d.parityTrace)
	if err == nil {
		err = d.end()
	}
	if err != nil {
		return nil, fmt.Errorf("decode parity traces: %w", err)
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
	return decodeBlockData(block, receipts, traces, tracesKind, "receipts")
}

// decodeBlockData is DecodeBlockData naming the method the receipts came
// from in its errors (eth_getBlockReceipts or eth_getTransactionReceipt).
func decodeBlockData(block, receipts, traces json.RawMessage, tracesKind, receiptsMethod string) (*BlockData, error) {
	mem := new(decodeArena) // one set of chunks for the whole block
	b, err := decodeBlock(block, mem)
	if err != nil {
		return nil, fmt.Errorf("eth_getBlockByNumber: %w", err)
	}
	d := &BlockData{Block: *b}
	n := uint64(b.Number)
	if len(b.TransactionHashes) > 0 {
		return nil, fmt.Errorf("block %d: eth_getBlockByNumber: block lists transaction hashes, not full transactions", n)
	}
	if err := checkTransactions(&d.Block); err != nil {
		return nil, fmt.Errorf("block %d: eth_getBlockByNumber: %w", n, err)
	}
	if d.Receipts, err = decodeReceipts(receipts, mem); err != nil {
		return nil, fmt.Errorf("block %d: %s: %w", n, receiptsMethod, err)
	}
	if err := checkReceipts(&d.Block, d.Receipts); err != nil {
		return nil, fmt.Errorf("block %d: %s: %w", n, receiptsMethod, err)
	}
	switch tracesKind {
	case TracesNone, "":
	case TracesDebug:
		if d.CallTraces, err = decodeCallTraces(traces, mem); err != nil {
			return nil, fmt.Errorf("block %d: debug_traceBlockByNumber: %w", n, err)
		}
		if err := checkCallTraces(&d.Block, d.CallTraces); err != nil {
			return nil, fmt.Errorf("block %d: debug_traceBlockByNumber: %w", n, err)
		}
	case TracesParity:
		if d.ParityTraces, err = decodeParityTraces(traces, mem); err != nil {
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
	raw = bytes.Trim(raw, " \t\r\n")
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

// ---- the JSON reader ------------------------------------------------------------
//
// encoding/json decodes a block at about 90 MB/s: it validates the input in
// one pass, decodes it in a second through reflection, and calls an
// UnmarshalJSON method (allocating) for every hex field. The reader below
// does both in one pass with no reflection, writes hex straight into the
// model, and carves byte fields and optional values out of a few large
// allocations per block. It accepts and rejects exactly what
// json.Unmarshal with the hexutil and common types does, and yields the
// same values (FuzzDecodersMatchEncodingJSON checks this against
// encoding/json); only error messages differ, and duplicate object keys,
// on which JSON itself is silent, are decoded in place, last one winning.

// maxDepth is encoding/json's nesting limit, kept so that the two agree.
const maxDepth = 10000

// jsonDecoder reads one JSON document.
type jsonDecoder struct {
	data  []byte
	pos   int
	depth int
	mem   *decodeArena
}

// decodeArena hands out memory for decoded values in large chunks: a block
// has tens of thousands of small fields, and allocating each one alone
// costs more than parsing it. Chunks are shared between values of one
// decode, so a value keeps its chunk alive; slices are capped so that
// appending to one cannot overwrite its neighbour.
type decodeArena struct {
	bytes   []byte
	u256s   []hexutil.U256
	uint64s []hexutil.Uint64
	addrs   []common.Address
	hashes  []common.Hash
}

func (a *decodeArena) byteSlice(n int) []byte {
	if n == 0 {
		return make([]byte, 0) // non-nil, like hexutil's; allocates nothing
	}
	if n > 4096 {
		return make([]byte, n)
	}
	if len(a.bytes) < n {
		a.bytes = make([]byte, 64<<10)
	}
	s := a.bytes[:n:n]
	a.bytes = a.bytes[n:]
	return s
}

func take[T any](pool *[]T) *T {
	if len(*pool) == 0 {
		*pool = make([]T, 128)
	}
	p := &(*pool)[0]
	*pool = (*pool)[1:]
	return p
}

// decodeError says where decoding failed: the path of fields and indexes
// from the top (added while unwinding, so the success path pays nothing),
// the byte offset and the reason.
type decodeError struct {
	path   []string // innermost first
	offset int
	msg    string
}

func (e *decodeError) Error() string {
	var b strings.Builder
	for i := len(e.path) - 1; i >= 0; i-- {
		seg := e.path[i]
		if b.Len() > 0 && !strings.HasPrefix(seg, "[") {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%s (at byte %d)", e.msg, e.offset)
	return b.String()
}

// in adds a path segment to err on its way out.
func in(seg string, err error) error {
	if de, ok := err.(*decodeError); ok {
		de.path = append(de.path, seg)
	}
	return err
}

func inIndex(i int, err error) error {
	if de, ok := err.(*decodeError); ok {
		de.path = append(de.path, "["+strconv.Itoa(i)+"]")
	}
	return err
}

func (d *jsonDecoder) fail(format string, args ...any) error {
	return &decodeError{offset: d.pos, msg: fmt.Sprintf(format, args...)}
}

func (d *jsonDecoder) unexpected(want string) error {
	if d.pos >= len(d.data) {
		return d.fail("unexpected end of JSON input, want %s", want)
	}
	return d.fail("invalid character %q, want %s", d.data[d.pos], want)
}

func (d *jsonDecoder) ws() {
	if d.pos < len(d.data) && d.data[d.pos] > ' ' {
		return // compact JSON: the common case
	}
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// next skips whitespace and returns the next byte, 0 at the end.
func (d *jsonDecoder) next() byte {
	d.ws()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// end checks that only whitespace follows the top-level value.
func (d *jsonDecoder) end() error {
	if d.next() != 0 || d.pos < len(d.data) {
		return d.fail("invalid character %q after top-level value", d.data[d.pos])
	}
	return nil
}

// null consumes a null literal if one comes next.
func (d *jsonDecoder) null() (bool, error) {
	if d.next() != 'n' {
		return false, nil
	}
	return true, d.literal("null")
}

func (d *jsonDecoder) literal(lit string) error {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		// Point at the first wrong byte, as a scanner would.
		for i := 0; i < len(lit); i++ {
			if d.pos >= len(d.data) || d.data[d.pos] != lit[i] {
				return d.unexpected("literal " + lit)
			}
			d.pos++
		}
	}
	d.pos += len(lit)
	return nil
}

func (d *jsonDecoder) push() error {
	d.depth++
	if d.depth > maxDepth {
		return d.fail("exceeded max depth")
	}
	return nil
}

// stringRaw reads a string and returns its bytes between the quotes,
// unprocessed, and whether it holds escapes.
func (d *jsonDecoder) stringRaw() (raw []byte, escaped bool, err error) {
	if d.next() != '"' {
		return nil, false, d.unexpected("string")
	}
	d.pos++
	start := d.pos
	// Fast path: find the closing quote with IndexByte and check, eight
	// bytes at a time, that nothing before it is a backslash or a control
	// character. Hex strings, nearly all of a block, always take it.
	if end := bytes.IndexByte(d.data[start:], '"'); end >= 0 && plainString(d.data[start:start+end]) {
		d.pos = start + end + 1
		return d.data[start : start+end], false, nil
	}
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return d.data[start : d.pos-1], escaped, nil
		case c == '\\':
			escaped = true
			if err := d.escape(); err != nil {
				return nil, false, err
			}
		case c < 0x20:
			return nil, false, d.fail("invalid character %q in string literal", c)
		default:
			d.pos++
		}
	}
	return nil, false, d.unexpected("closing quote")
}

// plainString reports whether s holds no backslash and no control
// character, testing a word at a time (the classic "has a byte less than
// n" and "has a zero byte" bit tricks).
func plainString(s []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(s) >= 8 {
		w := binary.LittleEndian.Uint64(s)
		bs := w ^ (ones * '\\')
		if ((w-ones*0x20)&^w|(bs-ones)&^bs)&highs != 0 {
			return false
		}
		s = s[8:]
	}
	for _, c := range s {
		if c < 0x20 || c == '\\' {
			return false
		}
	}
	return true
}

// escape validates one backslash escape.
func (d *jsonDecoder) escape() error {
	d.pos++ // the backslash
	if d.pos >= len(d.data) {
		return d.unexpected("escape")
	}
	switch d.data[d.pos] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		d.pos++
		return nil
	case 'u':
		d.pos++
		for i := 0; i < 4; i++ {
			if d.pos >= len(d.data) || unhex[d.data[d.pos]] == badNibble {
				return d.unexpected("hexadecimal digit in \\u escape")
			}
			d.pos++
		}
		return nil
	}
	return d.unexpected("escape character")
}

// text reads a string value as Go text: escapes and invalid UTF-8 handled
// exactly as encoding/json does, by letting it do the rare cases.
func (d *jsonDecoder) text() (string, error) {
	start := d.pos
	raw, escaped, err := d.stringRaw()
	if err != nil {
		return "", err
	}
	if !escaped && utf8.Valid(raw) {
		return string(raw), nil
	}
	var s string
	lit := bytes.TrimLeft(d.data[start:d.pos], " \t\r\n")
	if err := json.Unmarshal(lit, &s); err != nil {
		return "", d.fail("%v", err)
	}
	return s, nil
}

// number reads a JSON number and returns its text.
func (d *jsonDecoder) number() ([]byte, error) {
	d.ws()
	start := d.pos
	if d.pos < len(d.data) && d.data[d.pos] == '-' {
		d.pos++
	}
	switch {
	case d.pos < len(d.data) && d.data[d.pos] == '0':
		d.pos++
	case d.pos < len(d.data) && d.data[d.pos] >= '1' && d.data[d.pos] <= '9':
		d.digits()
	default:
		return nil, d.unexpected("number")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if d.digits() == 0 {
			return nil, d.unexpected("digit after decimal point")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if d.digits() == 0 {
			return nil, d.unexpected("digit in exponent")
		}
	}
	return d.data[start:d.pos], nil
}

func (d *jsonDecoder) digits() int {
	n := 0
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
		n++
	}
	return n
}

// skip validates and skips one value of any kind.
func (d *jsonDecoder) skip() error {
	switch d.next() {
	case '{':
		return d.object(func(key []byte) error { return d.skip() })
	case '[':
		return d.array(func(int) error { return d.skip() })
	case '"':
		_, _, err := d.stringRaw()
		return err
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	_, err := d.number()
	return err
}

// object reads an object, calling member for each key with the decoder
// positioned at the value, which member must consume. Keys come unescaped.
func (d *jsonDecoder) object(member func(key []byte) error) error {
	if d.next() != '{' {
		return d.unexpected("object")
	}
	d.pos++
	if err := d.push(); err != nil {
		return err
	}
	first := true
	for {
		c := d.next()
		if c == '}' && first {
			break
		}
		if !first {
			if c == '}' {
				break
			}
			if c != ',' {
				return d.unexpected("',' or '}' after object member")
			}
			d.pos++
		}
		first = false
		start := d.pos
		key, escaped, err := d.stringRaw()
		if err != nil {
			return err
		}
		if escaped {
			var s string
			if err := json.Unmarshal(bytes.TrimLeft(d.data[start:d.pos], " \t\r\n"), &s); err != nil {
				return d.fail("%v", err)
			}
			key = []byte(s)
		}
		if d.next() != ':' {
			return d.unexpected("':' after object key")
		}
		d.pos++
		if err := member(key); err != nil {
			return err
		}
	}
	d.pos++
	d.depth--
	return nil
}

// array reads an array, calling elem for each element.
func (d *jsonDecoder) array(elem func(i int) error) error {
	if d.next() != '[' {
		return d.unexpected("array")
	}
	d.pos++
	if err := d.push(); err != nil {
		return err
	}
	for i := 0; ; i++ {
		c := d.next()
		if c == ']' && i == 0 {
			break
		}
		if i > 0 {
			if c == ']' {
				break
			}
			if c != ',' {
				return d.unexpected("',' or ']' after array element")
			}
			d.pos++
		}
		if err := elem(i); err != nil {
			return err
		}
	}
	d.pos++
	d.depth--
	return nil
}

// fieldName finds the model field a key names. encoding/json prefers an
// exact match and falls back to a case-insensitive one; so do we, through
// the slow path only when the key is not an exact name.
func fieldName(key []byte, names []string) []byte {
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return []byte(n)
		}
	}
	return nil
}

// ---- hex values, with hexutil's rules -----------------------------------------

const badNibble = 0xff

var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = badNibble
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
	}
	for c := 'A'; c <= 'F'; c++ {
		t[c] = byte(c - 'A' + 10)
	}
	return t
}()

func has0x(s []byte) bool { return len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') }

// hexString reads a string for a hex-typed field; a non-string (null
// included) is an error, as in hexutil.
func (d *jsonDecoder) hexString(typ string) ([]byte, error) {
	if c := d.next(); c != '"' {
		if c == 0 {
			return nil, d.unexpected("string")
		}
		if err := d.skip(); err != nil {
			return nil, err
		}
		return nil, d.fail("cannot decode non-string into %s", typ)
	}
	raw, _, err := d.stringRaw()
	return raw, err
}

// fixedHex decodes exactly len(out) bytes written 0x-prefixed (common.Hash,
// common.Address).
func (d *jsonDecoder) fixedHex(out []byte, typ string) error {
	// Fast path: "0x", exactly the digits wanted, the closing quote. Hex
	// digits are never quotes, backslashes or control characters, so this
	// is a valid JSON string without scanning it as one. Any miss takes
	// the slow path below, which produces the exact error.
	if d.next() == '"' {
		p, n := d.pos+1, 2*len(out)
		if p+2+n < len(d.data) && d.data[p] == '0' && d.data[p+1]|0x20 == 'x' && d.data[p+2+n] == '"' && decodeHex(out, d.data[p+2:p+2+n]) {
			d.pos = p + 3 + n
			return nil
		}
	}
	raw, err := d.hexString(typ)
	if err != nil {
		return err
	}
	if !has0x(raw) {
		return d.fail("hex string without 0x prefix for %s", typ)
	}
	raw = raw[2:]
	if len(raw) != 2*len(out) {
		return d.fail("hex string has length %d, want %d for %s", len(raw), 2*len(out), typ)
	}
	if !decodeHex(out, raw) {
		return d.fail("invalid hex string for %s", typ)
	}
	return nil
}

// decodeHex decodes 2*len(out) hex digits of src into out, reporting
// whether all were digits.
func decodeHex(out, src []byte) bool {
	src = src[:2*len(out)]
	for i := range out {
		hi, lo := unhex[src[2*i]], unhex[src[2*i+1]]
		if (hi|lo)&0xf0 != 0 {
			return false
		}
		out[i] = hi<<4 | lo
	}
	return true
}

func (d *jsonDecoder) hash(h *common.Hash) error       { return d.fixedHex(h[:], "common.Hash") }
func (d *jsonDecoder) address(a *common.Address) error { return d.fixedHex(a[:], "common.Address") }

// bytesHex decodes hexutil.Bytes: "" is empty, otherwise 0x and an even
// number of digits.
func (d *jsonDecoder) bytesHex(b *hexutil.Bytes) error {
	if d.next() == '"' {
		p := d.pos + 1
		if end := bytes.IndexByte(d.data[p:], '"'); end >= 2 && end%2 == 0 && d.data[p] == '0' && d.data[p+1]|0x20 == 'x' {
			out := d.mem.byteSlice(end/2 - 1)
			if decodeHex(out, d.data[p+2:p+end]) {
				*b = out
				d.pos = p + end + 1
				return nil
			}
		}
	}
	raw, err := d.hexString("hexutil.Bytes")
	if err != nil {
		return err
	}
	if len(raw) > 0 {
		if !has0x(raw) {
			return d.fail("hex string without 0x prefix")
		}
		raw = raw[2:]
	}
	if len(raw)%2 != 0 {
		return d.fail("hex string of odd length")
	}
	out := d.mem.byteSlice(len(raw) / 2)
	if !decodeHex(out, raw) {
		return d.fail("invalid hex string")
	}
	*b = out
	return nil
}

// uint64Hex decodes hexutil.Uint64: "" is 0; otherwise 0x and 1 to 16
// digits without leading zeros.
func (d *jsonDecoder) uint64Hex(v *hexutil.Uint64) error {
	if digits, end := d.quantity(16); digits != nil {
		var x uint64
		for _, c := range digits {
			x = x<<4 | uint64(unhex[c])
		}
		*v = hexutil.Uint64(x)
		d.pos = end
		return nil
	}
	raw, err := d.hexString("hexutil.Uint64")
	if err != nil {
		return err
	}
	if len(raw) == 0 {
		*v = 0
		return nil
	}
	if !has0x(raw) {
		return d.fail("hex string without 0x prefix")
	}
	raw = raw[2:]
	switch {
	case len(raw) == 0:
		return d.fail("hex string \"0x\"")
	case len(raw) > 1 && raw[0] == '0':
		return d.fail("hex number with leading zero digits")
	case len(raw) > 16:
		return d.fail("hex number > 64 bits")
	}
	var x uint64
	for _, c := range raw {
		n := unhex[c]
		if n == badNibble {
			return d.fail("invalid hex string")
		}
		x = x<<4 | uint64(n)
	}
	*v = hexutil.Uint64(x)
	return nil
}

// quantity is the fast path of the hex quantities: it returns the digits
// of a string "0x<1 to max digits, no leading zero>" at the current
// position, and the offset after it, or nil when the value is anything
// else (the slow path then decides, with the exact error).
func (d *jsonDecoder) quantity(max int) (digits []byte, end int) {
	if d.next() != '"' {
		return nil, 0
	}
	p := d.pos + 1
	if p+2 >= len(d.data) || d.data[p] != '0' || d.data[p+1]|0x20 != 'x' {
		return nil, 0
	}
	q := p + 2
	for q < len(d.data) && q-p-2 <= max && unhex[d.data[q]] != badNibble {
		q++
	}
	n := q - p - 2
	if q >= len(d.data) || d.data[q] != '"' || n == 0 || n > max || n > 1 && d.data[p+2] == '0' {
		return nil, 0
	}
	return d.data[p+2 : q], q + 1
}

// u256Hex decodes hexutil.U256: "" is 0; otherwise uint256's rules: 0x and
// 1 to 64 digits without leading zeros.
func (d *jsonDecoder) u256Hex(v *hexutil.U256) error {
	if digits, end := d.quantity(64); digits != nil {
		var out [4]uint64
		for i := 0; i < 4 && len(digits) > 0; i++ {
			start := max(len(digits)-16, 0)
			var w uint64
			for _, c := range digits[start:] {
				w = w<<4 | uint64(unhex[c])
			}
			out[i] = w
			digits = digits[:start]
		}
		*(*[4]uint64)(v) = out
		d.pos = end
		return nil
	}
	raw, err := d.hexString("hexutil.U256")
	if err != nil {
		return err
	}
	z := (*[4]uint64)(v)
	if len(raw) == 0 {
		*z = [4]uint64{}
		return nil
	}
	switch {
	case !has0x(raw):
		return d.fail("hex string without 0x prefix")
	case len(raw) == 2:
		return d.fail("hex string \"0x\"")
	case len(raw) > 3 && raw[2] == '0':
		return d.fail("hex number with leading zero digits")
	case len(raw) > 66:
		return d.fail("hex number > 256 bits")
	}
	var out [4]uint64
	end := len(raw)
	for i := 0; i < 4 && end > 2; i++ {
		start := max(end-16, 2)
		var w uint64
		for _, c := range raw[start:end] {
			n := unhex[c]
			if n == badNibble {
				return d.fail("invalid hex string")
			}
			w = w<<4 | uint64(n)
		}
		out[i] = w
		end = start
	}
	*z = out
	return nil
}

// Optional values: null clears, anything else decodes into the existing
// value or a new one, as encoding/json does for pointers.

func (d *jsonDecoder) hashPtr(p **common.Hash) error {
	if null, err := d.null(); null || err != nil {
		*p = nil
		return err
	}
	if *p == nil {
		*p = take(&d.mem.hashes)
	}
	return d.hash(*p)
}

func (d *jsonDecoder) addressPtr(p **common.Address) error {
	if null, err := d.null(); null || err != nil {
		*p = nil
		return err
	}
	if *p == nil {
		*p = take(&d.mem.addrs)
	}
	return d.address(*p)
}

func (d *jsonDecoder) uint64HexPtr(p **hexutil.Uint64) error {
	if null, err := d.null(); null || err != nil {
		*p = nil
		return err
	}
	if *p == nil {
		*p = take(&d.mem.uint64s)
	}
	return d.uint64Hex(*p)
}

func (d *jsonDecoder) u256HexPtr(p **hexutil.U256) error {
	if null, err := d.null(); null || err != nil {
		*p = nil
		return err
	}
	if *p == nil {
		*p = take(&d.mem.u256s)
	}
	return d.u256Hex(*p)
}

func (d *jsonDecoder) bytesHexPtr(p **hexutil.Bytes) error {
	if null, err := d.null(); null || err != nil {
		*p = nil
		return err
	}
	if *p == nil {
		*p = new(hexutil.Bytes)
	}
	return d.bytesHex(*p)
}

// ---- plain Go values, with encoding/json's rules --------------------------------

// goString decodes into a string field: null leaves it alone.
func (d *jsonDecoder) goString(s *string) error {
	switch d.next() {
	case 'n':
		return d.literal("null")
	case '"':
		v, err := d.text()
		if err != nil {
			return err
		}
		*s = v
		return nil
	}
	return d.mismatch("string")
}

func (d *jsonDecoder) goBool(b *bool) error {
	switch d.next() {
	case 'n':
		return d.literal("null")
	case 't':
		*b = true
		return d.literal("true")
	case 'f':
		*b = false
		return d.literal("false")
	}
	return d.mismatch("bool")
}

func (d *jsonDecoder) goUint64(v *uint64) error {
	if null, err := d.null(); null || err != nil {
		return err
	}
	if c := d.next(); c != '-' && (c < '0' || c > '9') {
		return d.mismatch("uint64")
	}
	num, err := d.number()
	if err != nil {
		return err
	}
	x, err := strconv.ParseUint(string(num), 10, 64)
	if err != nil {
		return d.fail("cannot decode number %s into uint64", num)
	}
	*v = x
	return nil
}

func (d *jsonDecoder) goUint64Ptr(p **uint64) error {
	if null, err := d.null(); null || err != nil {
		*p = nil
		return err
	}
	if *p == nil {
		*p = new(uint64)
	}
	return d.goUint64(*p)
}

func (d *jsonDecoder) goInt(v *int) error {
	if null, err := d.null(); null || err != nil {
		return err
	}
	if c := d.next(); c != '-' && (c < '0' || c > '9') {
		return d.mismatch("int")
	}
	num, err := d.number()
	if err != nil {
		return err
	}
	x, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil || int64(int(x)) != x {
		return d.fail("cannot decode number %s into int", num)
	}
	*v = int(x)
	return nil
}

// mismatch skips a value of the wrong kind and reports it; skipping first
// makes a syntax error, which encoding/json reports too, win.
func (d *jsonDecoder) mismatch(want string) error {
	start := d.pos
	if err := d.skip(); err != nil {
		return err
	}
	d.pos = start
	return d.fail("cannot decode %s into %s", kindOf(d.next()), want)
}

func kindOf(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	}
	return "number"
}

// slice decodes a JSON array into *s in place, the way encoding/json does:
// null sets nil, [] an empty non-nil slice, and elements decode into the
// existing ones.
func decodeSlice[T any](d *jsonDecoder, s *[]T, elem func(*T) error) error {
	if null, err := d.null(); null || err != nil {
		*s = nil
		return err
	}
	if d.next() != '[' {
		return d.mismatch("array")
	}
	v := (*s)[:0]
	if v == nil {
		v = []T{}
	}
	err := d.array(func(i int) error {
		if i < cap(v) {
			v = v[:i+1]
		} else {
			var zero T
			v = append(v, zero)
		}
		return inIndex(i, elem(&v[i]))
	})
	if len(v) == 0 {
		v = []T{}
	}
	*s = v
	return err
}

// object decoders with a switch per model type. A key that is not an exact
// name goes through fieldName once and around again.

func (d *jsonDecoder) structObject(what string, member func(key []byte) error) error {
	if null, err := d.null(); null || err != nil {
		return err
	}
	if d.next() != '{' {
		return d.mismatch(what)
	}
	return d.object(member)
}

var blockNames = []string{"number", "hash", "parentHash", "nonce", "sha3Uncles", "logsBloom", "transactionsRoot", "stateRoot",
	"receiptsRoot", "miner", "difficulty", "totalDifficulty", "size", "extraData", "gasLimit", "gasUsed", "timestamp", "mixHash",
	"uncles", "baseFeePerGas", "withdrawalsRoot", "withdrawals", "blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot",
	"requestsHash", "transactions"}

// blockReader decodes a block and notes whether it had a transactions
// member at all.
type blockReader struct {
	b      *Block
	sawTxs bool
}

func (d *jsonDecoder) block(r *blockReader) error {
	return d.structObject("Block", func(key []byte) error {
		if err := d.blockField(r, key); err != nil {
			return in(string(key), err)
		}
		return nil
	})
}

func (d *jsonDecoder) blockField(r *blockReader, key []byte) error {
	b := r.b
	switch string(key) {
	case "number":
		return d.uint64Hex(&b.Number)
	case "hash":
		return d.hash(&b.Hash)
	case "parentHash":
		return d.hash(&b.ParentHash)
	case "nonce":
		return d.bytesHexPtr(&b.Nonce)
	case "sha3Uncles":
		return d.hash(&b.Sha3Uncles)
	case "logsBloom":
		return d.bytesHex(&b.LogsBloom)
	case "transactionsRoot":
		return d.hash(&b.TransactionsRoot)
	case "stateRoot":
		return d.hash(&b.StateRoot)
	case "receiptsRoot":
		return d.hash(&b.ReceiptsRoot)
	case "miner":
		return d.address(&b.Miner)
	case "difficulty":
		return d.u256HexPtr(&b.Difficulty)
	case "totalDifficulty":
		return d.u256HexPtr(&b.TotalDifficulty)
	case "size":
		return d.uint64Hex(&b.Size)
	case "extraData":
		return d.bytesHex(&b.ExtraData)
	case "gasLimit":
		return d.uint64Hex(&b.GasLimit)
	case "gasUsed":
		return d.uint64Hex(&b.GasUsed)
	case "timestamp":
		return d.uint64Hex(&b.Timestamp)
	case "mixHash":
		return d.hashPtr(&b.MixHash)
	case "uncles":
		return decodeSlice(d, &b.Uncles, d.hash)
	case "baseFeePerGas":
		return d.u256HexPtr(&b.BaseFeePerGas)
	case "withdrawalsRoot":
		return d.hashPtr(&b.WithdrawalsRoot)
	case "withdrawals":
		return decodeSlice(d, &b.Withdrawals, d.withdrawal)
	case "blobGasUsed":
		return d.uint64HexPtr(&b.BlobGasUsed)
	case "excessBlobGas":
		return d.uint64HexPtr(&b.ExcessBlobGas)
	case "parentBeaconBlockRoot":
		return d.hashPtr(&b.ParentBeaconBlockRoot)
	case "requestsHash":
		return d.hashPtr(&b.RequestsHash)
	case "transactions":
		r.sawTxs = true
		return d.blockTransactions(b)
	}
	if name := fieldName(key, blockNames); name != nil {
		return d.blockField(r, name)
	}
	return d.skip()
}

// blockTransactions reads full transactions, or hashes when the node was
// asked for those; the first element tells which.
func (d *jsonDecoder) blockTransactions(b *Block) error {
	if d.next() == '[' {
		save := d.pos
		d.pos++
		hashes := d.next() == '"'
		d.pos = save
		if hashes {
			b.Transactions = nil
			return decodeSlice(d, &b.TransactionHashes, d.hash)
		}
	}
	b.TransactionHashes = nil
	return decodeSlice(d, &b.Transactions, d.transaction)
}

var withdrawalNames = []string{"index", "validatorIndex", "address", "amount"}

func (d *jsonDecoder) withdrawal(w *Withdrawal) error {
	return d.structObject("Withdrawal", func(key []byte) error {
		if err := d.withdrawalField(w, key); err != nil {
			return in(string(key), err)
		}
		return nil
	})
}

func (d *jsonDecoder) withdrawalField(w *Withdrawal, key []byte) error {
	switch string(key) {
	case "index":
		return d.uint64Hex(&w.Index)
	case "validatorIndex":
		return d.uint64Hex(&w.ValidatorIndex)
	case "address":
		return d.address(&w.Address)
	case "amount":
		return d.uint64Hex(&w.Amount)
	}
	if name := fieldName(key, withdrawalNames); name != nil {
		return d.withdrawalField(w, name)
	}
	return d.skip()
}

var txNames = []string{"hash", "nonce", "blockHash", "blockNumber", "transactionIndex", "from", "to", "value", "gas", "gasPrice",
	"maxFeePerGas", "maxPriorityFeePerGas", "maxFeePerBlobGas", "blobVersionedHashes", "input", "type", "chainId", "accessList",
	"authorizationList", "v", "r", "s", "yParity"}

func (d *jsonDecoder) transaction(t *Transaction) error {
	return d.structObject("Transaction", func(key []byte) error {
		if err := d.transactionField(t, key); err != nil {
			return in(string(key), err)
		}
		return nil
	})
}

func (d *jsonDecoder) transactionField(t *Transaction, key []byte) error {
	switch string(key) {
	case "hash":
		return d.hash(&t.Hash)
	case "nonce":
		return d.uint64Hex(&t.Nonce)
	case "blockHash":
		return d.hashPtr(&t.BlockHash)
	case "blockNumber":
		return d.uint64HexPtr(&t.BlockNumber)
	case "transactionIndex":
		return d.uint64HexPtr(&t.TransactionIndex)
	case "from":
		return d.address(&t.From)
	case "to":
		return d.addressPtr(&t.To)
	case "value":
		return d.u256Hex(&t.Value)
	case "gas":
		return d.uint64Hex(&t.Gas)
	case "gasPrice":
		return d.u256HexPtr(&t.GasPrice)
	case "maxFeePerGas":
		return d.u256HexPtr(&t.MaxFeePerGas)
	case "maxPriorityFeePerGas":
		return d.u256HexPtr(&t.MaxPriorityFeePerGas)
	case "maxFeePerBlobGas":
		return d.u256HexPtr(&t.MaxFeePerBlobGas)
	case "blobVersionedHashes":
		return decodeSlice(d, &t.BlobVersionedHashes, d.hash)
	case "input":
		return d.bytesHex(&t.Input)
	case "type":
		return d.uint64HexPtr(&t.Type)
	case "chainId":
		return d.u256HexPtr(&t.ChainID)
	case "accessList":
		return decodeSlice(d, &t.AccessList, d.accessTuple)
	case "authorizationList":
		return decodeSlice(d, &t.AuthorizationList, d.authorization)
	case "v":
		return d.u256HexPtr(&t.V)
	case "r":
		return d.u256HexPtr(&t.R)
	case "s":
		return d.u256HexPtr(&t.S)
	case "yParity":
		return d.uint64HexPtr(&t.YParity)
	}
	if name := fieldName(key, txNames); name != nil {
		return d.transactionField(t, name)
	}
	return d.skip()
}

var accessTupleNames = []string{"address", "storageKeys"}

func (d *jsonDecoder) accessTuple(a *AccessTuple) error {
	return d.structObject("AccessTuple", func(key []byte) error {
		if err := d.accessTupleField(a, key); err != nil {
			return in(string(key), err)
		}
		return nil
	})
}

func (d *jsonDecoder) accessTupleField(a *AccessTuple, key []byte) error {
	switch string(key) {
	case "address":
		return d.address(&a.Address)
	case "storageKeys":
		return decodeSlice(d, &a.StorageKeys, d.hash)
	}
	if name := fieldName(key, accessTupleNames); name != nil {
		return d.accessTupleField(a, name)
	}
	return d.skip()
}

var authorizationNames = []string{"chainId", "address", "nonce", "yParity", "r", "s"}

func (d *jsonDecoder) authorization(a *SetCodeAuthorization) error {
	return d.structObject("SetCodeAuthorization", func(key []byte) error {
		if err := d.authorizationField(a, key); err != nil {
			return in(string(key), err)
		}
		return nil
	})
}

func (d *jsonDecoder) authorizationField(a *SetCodeAuthorization, key []byte) error {
	switch string(key) {
	case "chainId":
		return d.u256Hex(&a.ChainID)
	case "address":
		return d.address(&a.Address)
	case "nonce":
		return d.uint64Hex(&a.Nonce)
	case "yParity":
		return d.uint64Hex(&a.YParity)
	case "r":
		return d.u256Hex(&a.R)
	case "s":
		return d.u256Hex(&a.S)
	}
	if name := fieldName(key, authorizationNames); name != nil {
		return d.authorizationField(a, name)
	}
	return d.skip()
}

var receiptNames = []string{"transactionHash", "transactionIndex", "blockHash", "blockNumber", "from", "to", "cumulativeGasUsed",
	"gasUsed", "contractAddress", "logs", "logsBloom", "root", "status", "effectiveGasPrice", "blobGasUsed", "blobGasPrice", "type"}

func (d *jsonDecoder) receipt(r *Receipt) error {
	return d.structObject("Receipt", func(key []byte) error {
		if err := d.receiptField(r, key); err != nil {
			return in(string(key), err)
		}
		return nil
	})
}

func (d *jsonDecoder) receiptField(r *Receipt, key []byte) error {
	switch string(key) {
	case "transactionHash":
		return d.hash(&r.TransactionHash)
	case "transactionIndex":
		return d.uint64Hex(&r.TransactionIndex)
	case "blockHash":
		return d.hash(&r.BlockHash)
	case "blockNumber":
		return d.uint64Hex(&r.BlockNumber)
	case "from":
		return d.address(&r.From)
	case "to":
		return d.addressPtr(&r.To)
	case "cumulativeGasUsed":
		return d.uint64Hex(&r.CumulativeGasUsed)
	case "gasUsed":
		return d.uint64Hex(&r.GasUsed)
	case "contractAddress":
		return d.addressPtr(&r.ContractAddress)
	case "logs":
		return decodeSlice(d, &r.Logs, d.log)
	case "logsBloom":
		return d.bytesHex(&r.LogsBloom)
	case "root":
		return d.bytesHexPtr(&r.Root)
	case "status":
		return d.uint64HexPtr(&r.Status)
	case "effectiveGasPrice":
		return d.u256HexPtr(&r.EffectiveGasPrice)
	case "blobGasUsed":
		return d.uint64HexPtr(&r.BlobGasUsed)
	case "blobGasPrice":
		return d.u256HexPtr(&r.BlobGasPrice)
	case "type":
		return d.uint64HexPtr(&r.Type)
	}
	if name := fieldName(key, receiptNames); name != nil {
		return d.receiptField(r, name)
	}
	return d.skip()
}

var logNames = []string{"address", "topics", "data", "blockNumber", "blockHash", "transactionHash", "transactionIndex", "logIndex", "removed"}

func (d *jsonDecoder) log(l *Log) error {
	return d.structObject("Log", func(key []byte) error {
		if err := d.logField(l, key); err != nil {
			return in(string(key), err)
		}
		return nil
	})
}

func (d *jsonDecoder) logField(l *Log, key []byte) error {
	switch string(key) {
	case "address":
		return d.address(&l.Address)
	case "topics":
		return decodeSlice(d, &l.Topics, d.hash)
	case "data":
		return d.bytesHex(&l.Data)
	case "blockNumber":
		return d.uint64Hex(&l.BlockNumber)
	case "blockHash":
		return d.hash(&l.BlockHash)
	case "transactionHash":
		return d.hash(&l.TransactionHash)
	case "transactionIndex":
		return d.uint64Hex(&l.TransactionIndex)
	case "logIndex":
		return d.uint64Hex(&l.LogIndex)
	case "removed":
		return d.goBool(&l.Removed)
	}
	if name := fieldName(key, logNames); name != nil {
		return d.logField(l, name)
	}
	return d.skip()
}

var txCallTraceNames = []string{"txHash", "result", "error"}

func (d *jsonDecoder) txCallTrace(t *TxCallTrace) error {
	return d.structObject("TxCallTrace", func(key []byte) error {
		if err := d.txCallTraceField(t, key); err != nil {
			return in(string(key), err)
		}
		return nil
	})
}

func (d *jsonDecoder) txCallTraceField(t *TxCallTrace, key []byte) error {
	switch string(key) {
	case "txHash":
		return d.hashPtr(&t.TxHash)
	case "result":
		if null, err := d.null(); null || err != nil {
			t.Result = nil
			return err
		}
		if t.Result == nil {
			t.Result = new(CallFrame)
		}
		return d.callFrame(t.Result)
	case "error":
		return d.goString(&t.Error)
	}
	if name := fieldName(key, txCallTraceNames); name != nil {
		return d.txCallTraceField(t, name)
	}
	return d.skip()
}

var callFrameNames = []string{"type", "from", "to", "value", "gas", "gasUsed", "input", "output", "error", "revertReason", "calls"}

func (d *jsonDecoder) callFrame(f *CallFrame) error {
	return d.structObject("CallFrame", func(key []byte) error {
		if err := d.callFrameField(f, key); err != nil {
			return in(string(key), err)
		}
		return nil
	})
}

func (d *jsonDecoder) callFrameField(f *CallFrame, key []byte) error {
	switch string(key) {
	case "type":
		return d.goString(&f.Type)
	case "from":
		return d.address(&f.From)
	case "to":
		return d.addressPtr(&f.To)
	case "value":
		return d.u256HexPtr(&f.Value)
	case "gas":
		return d.uint64Hex(&f.Gas)
	case "gasUsed":
		return d.uint64Hex(&f.GasUsed)
	case "input":
		return d.bytesHex(&f.Input)
	case "output":
		return d.bytesHex(&f.Output)
	case "error":
		return d.goString(&f.Error)
	case "revertReason":
		return d.goString(&f.RevertReason)
	case "calls":
		return decodeSlice(d, &f.Calls, d.callFrame)
	}
	if name := fieldName(key, callFrameNames); name != nil {
		return d.callFrameField(f, name)
	}
	return d.skip()
}

var parityTraceNames = []string{"action", "result", "error", "subtraces", "traceAddress", "transactionHash", "transactionPosition",
	"blockNumber", "blockHash", "type"}

func (d *jsonDecoder) parityTrace(t *ParityTrace) error {
	return d.structObject("ParityTrace", func(key []byte) error {
		if err := d.parityTraceField(t, key); err != nil {
			return in(string(key), err)
		}
		return nil
	})
}

func (d *jsonDecoder) parityTraceField(t *ParityTrace, key []byte) error {
	switch string(key) {
	case "action":
		return d.parityAction(&t.Action)
	case "result":
		if null, err := d.null(); null || err != nil {
			t.Result = nil
			return err
		}
		if t.Result == nil {
			t.Result = new(ParityResult)
		}
		return d.parityResult(t.Result)
	case "error":
		return d.goString(&t.Error)
	case "subtraces":
		return d.goInt(&t.Subtraces)
	case "traceAddress":
		return decodeSlice(d, &t.TraceAddress, d.goInt)
	case "transactionHash":
		return d.hashPtr(&t.TransactionHash)
	case "transactionPosition":
		return d.goUint64Ptr(&t.TransactionPosition)
	case "blockNumber":
		return d.goUint64(&t.BlockNumber)
	case "blockHash":
		return d.hash(&t.BlockHash)
	case "type":
		return d.goString(&t.Type)
	}
	if name := fieldName(key, parityTraceNames); name != nil {
		return d.parityTraceField(t, name)
	}
	return d.skip()
}

var parityActionNames = []string{"callType", "from", "to", "value", "gas", "input", "init", "address", "refundAddress", "balance", "author", "rewardType"}

func (d *jsonDecoder) parityAction(a *ParityAction) error {
	return d.structObject("ParityAction", func(key []byte) error {
		if err := d.parityActionField(a, key); err != nil {
			return in(string(key), err)
		}
		return nil
	})
}

func (d *jsonDecoder) parityActionField(a *ParityAction, key []byte) error {
	switch string(key) {
	case "callType":
		return d.goString(&a.CallType)
	case "from":
		return d.addressPtr(&a.From)
	case "to":
		return d.addressPtr(&a.To)
	case "value":
		return d.u256HexPtr(&a.Value)
	case "gas":
		return d.uint64HexPtr(&a.Gas)
	case "input":
		return d.bytesHex(&a.Input)
	case "init":
		return d.bytesHex(&a.Init)
	case "address":
		return d.addressPtr(&a.Address)
	case "refundAddress":
		return d.addressPtr(&a.RefundAddress)
	case "balance":
		return d.u256HexPtr(&a.Balance)
	case "author":
		return d.addressPtr(&a.Author)
	case "rewardType":
		return d.goString(&a.RewardType)
	}
	if name := fieldName(key, parityActionNames); name != nil {
		return d.parityActionField(a, name)
	}
	return d.skip()
}

var parityResultNames = []string{"gasUsed", "output", "address", "code"}

func (d *jsonDecoder) parityResult(r *ParityResult) error {
	return d.structObject("ParityResult", func(key []byte) error {
		if err := d.parityResultField(r, key); err != nil {
			return in(string(key), err)
		}
		return nil
	})
}

func (d *jsonDecoder) parityResultField(r *ParityResult, key []byte) error {
	switch string(key) {
	case "gasUsed":
		return d.uint64HexPtr(&r.GasUsed)
	case "output":
		return d.bytesHex(&r.Output)
	case "address":
		return d.addressPtr(&r.Address)
	case "code":
		return d.bytesHex(&r.Code)
	}
	if name := fieldName(key, parityResultNames); name != nil {
		return d.parityResultField(r, name)
	}
	return d.skip()
}
