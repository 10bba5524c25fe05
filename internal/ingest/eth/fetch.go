package eth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/holiman/uint256"
)

// Receipt fetching modes of FetchOptions.Receipts.
const (
	ReceiptsAuto  = "auto"
	ReceiptsBlock = "block" // eth_getBlockReceipts
	ReceiptsTx    = "tx"    // eth_getTransactionReceipt per transaction, batched
)

// TracesAuto is the FetchOptions.Traces mode resolved by Detect to
// TracesDebug or TracesParity.
const TracesAuto = "auto"

// FetchOptions chooses how a Fetcher gets receipts and traces. Empty fields
// mean auto.
type FetchOptions struct {
	Receipts string // auto, block or tx
	Traces   string // auto, debug, parity or none
}

// tracerConfig is the options object of debug_traceBlockBy*.
type tracerConfig struct {
	Tracer string `json:"tracer"`
}

// callTracerConfig asks debug_traceBlockBy* for call frames rather than
// opcode steps.
func callTracerConfig() tracerConfig { return tracerConfig{Tracer: "callTracer"} }

// maxFetchAttempts bounds FetchBlock's retries of a block whose responses do
// not fit together: a reorg between the calls is transient, a node that
// keeps answering inconsistently is reported.
const maxFetchAttempts = 3

// maxBatch keeps batches of receipt calls under geth's default limit of
// 1000 calls per batch (--rpc.batch-request-limit).
const maxBatch = 500

// genesisPage is how many accounts one debug_accountRange call asks for;
// geth serves at most 256.
const genesisPage = 256

// Fetcher fetches blocks with their receipts and traces from one node.
type Fetcher struct {
	c        *Client
	receipts string
	traces   string
}

// NewFetcher returns a fetcher using c. Modes left at auto are resolved by
// Detect, which must run before FetchBlock.
func NewFetcher(c *Client, opts FetchOptions) (*Fetcher, error) {
	if c == nil {
		return nil, errors.New("new fetcher: nil client")
	}
	r, t := opts.Receipts, opts.Traces
	if r == "" {
		r = ReceiptsAuto
	}
	if t == "" {
		t = TracesAuto
	}
	switch r {
	case ReceiptsAuto, ReceiptsBlock, ReceiptsTx:
	default:
		return nil, fmt.Errorf("receipts mode %q: want auto, block or tx", opts.Receipts)
	}
	switch t {
	case TracesAuto, TracesDebug, TracesParity, TracesNone:
	default:
		return nil, fmt.Errorf("traces mode %q: want auto, debug, parity or none", opts.Traces)
	}
	return &Fetcher{c: c, receipts: r, traces: t}, nil
}

// Receipts returns the receipt mode: block or tx once resolved, else auto.
func (f *Fetcher) Receipts() string { return f.receipts }

// Traces returns the trace mode: debug, parity or none once resolved, else auto.
func (f *Fetcher) Traces() string { return f.traces }

// Detect resolves auto modes by trying the methods on probeBlock, which
// should be a block the node holds state for (the head is a safe choice on
// a pruned node). Receipts become block if eth_getBlockReceipts works, else
// tx. Traces become debug if debug_traceBlockByNumber with the callTracer
// works, else parity if trace_block works, else Detect fails. A node that
// does not answer at all fails Detect and leaves the modes unresolved.
func (f *Fetcher) Detect(ctx context.Context, probeBlock uint64) error {
	if f.receipts != ReceiptsAuto && f.traces != TracesAuto {
		return nil
	}
	probe := hexutil.EncodeUint64(probeBlock)
	if f.receipts == ReceiptsAuto {
		ok, _, err := f.probe(ctx, "eth_getBlockReceipts", probe)
		if err != nil {
			return fmt.Errorf("detect receipts mode: %w", err)
		}
		f.receipts = ReceiptsTx
		if ok {
			f.receipts = ReceiptsBlock
		}
	}
	if f.traces != TracesAuto {
		return nil
	}
	ok, debugWhy, err := f.probe(ctx, "debug_traceBlockByNumber", probe, callTracerConfig())
	if err != nil {
		return fmt.Errorf("detect traces mode: %w", err)
	}
	var re *RPCError
	if ok || probeBlock == 0 && errors.As(debugWhy, &re) && !IsMethodNotFound(debugWhy) {
		// geth refuses to trace genesis ("genesis is not traceable"): the
		// method is there, the probe block was just a bad choice.
		f.traces = TracesDebug
		return nil
	}
	ok, parityWhy, err := f.probe(ctx, "trace_block", probe)
	if err != nil {
		return fmt.Errorf("detect traces mode: %w", err)
	}
	if ok {
		f.traces = TracesParity
		return nil
	}
	return fmt.Errorf("node %s supports neither debug_traceBlockByNumber with the callTracer (%v) nor trace_block (%v): internal transactions need one of them; use --traces none to ingest without them", f.c.URL(), debugWhy, parityWhy)
}

// probe calls method and reports whether it answered. A JSON-RPC error or
// an HTTP 4xx (providers that refuse a method at their gateway) means no,
// returned as why; a transport failure or 5xx is err, since nothing can be
// learnt from a node that does not answer.
func (f *Fetcher) probe(ctx context.Context, method string, params ...any) (ok bool, why, err error) {
	_, err = f.c.Call(ctx, method, params...)
	if err == nil {
		return true, nil, nil
	}
	var re *RPCError
	var he *HTTPError
	if errors.As(err, &re) || errors.As(err, &he) && he.Status >= 400 && he.Status < 500 {
		return false, err, nil
	}
	return false, nil, err
}

// ChainID returns the node's chain id (eth_chainId).
func (f *Fetcher) ChainID(ctx context.Context) (uint64, error) {
	return f.uint64Call(ctx, "eth_chainId")
}

// Head returns the number of the node's latest block (eth_blockNumber).
func (f *Fetcher) Head(ctx context.Context) (uint64, error) {
	return f.uint64Call(ctx, "eth_blockNumber")
}

func (f *Fetcher) uint64Call(ctx context.Context, method string) (uint64, error) {
	raw, err := f.c.Call(ctx, method)
	if err != nil {
		return 0, err
	}
	var v hexutil.Uint64
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, fmt.Errorf("%s: decode result %s: %w", method, truncate(string(raw), 80), err)
	}
	return uint64(v), nil
}

// BlockHash returns the hash and parent hash of block n, for walking back
// over a reorg. A block the node does not have is an ErrNotFound error.
func (f *Fetcher) BlockHash(ctx context.Context, n uint64) (hash, parent common.Hash, err error) {
	num := hexutil.EncodeUint64(n)
	raw, err := f.c.Call(ctx, "eth_getBlockByNumber", num, false)
	if err != nil {
		return hash, parent, err
	}
	if isNull(raw) {
		return hash, parent, fmt.Errorf("eth_getBlockByNumber(%s,false): block %d %w", num, n, ErrNotFound)
	}
	var h struct {
		Number     *hexutil.Uint64 `json:"number"`
		Hash       *common.Hash    `json:"hash"`
		ParentHash *common.Hash    `json:"parentHash"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return hash, parent, fmt.Errorf("eth_getBlockByNumber(%s,false): decode header: %w", num, err)
	}
	if h.Number == nil || h.Hash == nil || h.ParentHash == nil {
		return hash, parent, fmt.Errorf("eth_getBlockByNumber(%s,false): header lacks number, hash or parentHash", num)
	}
	if uint64(*h.Number) != n {
		return hash, parent, fmt.Errorf("eth_getBlockByNumber(%s,false): node returned block %d", num, uint64(*h.Number))
	}
	return *h.Hash, *h.ParentHash, nil
}

// FetchBlock fetches block n with its receipts and traces (per the resolved
// modes) and checks that they belong together; responses that do not (a
// reorg between the calls) are fetched again, up to three times. A block
// the node does not have is an error matching ErrNotFound. For block 0 it
// also fills Genesis when the node offers debug_accountRange or
// debug_dumpBlock; a node that offers them but cannot name every account
// (geth without --cache.preimages) or no longer has the genesis state is an
// error, since balances without genesis would silently be wrong.
func (f *Fetcher) FetchBlock(ctx context.Context, n uint64) (*BlockData, error) {
	var lastErr error
	for attempt := 0; attempt < maxFetchAttempts; attempt++ {
		block, receipts, traces, err := f.RawBlock(ctx, n)
		if err != nil {
			return nil, err // the client has retried already
		}
		method := "eth_getBlockReceipts"
		if f.receipts == ReceiptsTx {
			method = "eth_getTransactionReceipt"
		}
		d, err := decodeBlockData(block, receipts, traces, f.traces, method)
		if err != nil && !strings.HasPrefix(err.Error(), "block ") {
			err = fmt.Errorf("block %d: %w", n, err) // an undecodable block cannot name itself
		}
		if err == nil {
			if got := uint64(d.Block.Number); got != n {
				err = fmt.Errorf("block %d: eth_getBlockByNumber: node returned block %d", n, got)
			}
		}
		if err == nil {
			if n == 0 {
				if d.Genesis, err = f.genesis(ctx); err != nil {
					return nil, fmt.Errorf("block 0: genesis allocations: %w (to ingest without them, start at --from 1)", err)
				}
			}
			return d, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("%w (after %d attempts)", lastErr, maxFetchAttempts)
}

// RawBlock fetches the responses FetchBlock decodes, unchecked: the block
// with full transactions, the receipts as one JSON array, and the traces
// (nil with traces none). Benchmarks record these from a live node and
// replay them through DecodeBlockData.
//
// With receipts block it is one batch; with receipts tx further batches
// (of at most 500 calls) fetch the receipts. Genesis gets no receipt or trace calls, since it has
// no transactions and geth refuses to trace it.
func (f *Fetcher) RawBlock(ctx context.Context, n uint64) (block, receipts, traces json.RawMessage, err error) {
	if f.receipts == ReceiptsAuto || f.traces == TracesAuto {
		return nil, nil, nil, fmt.Errorf("block %d: fetch modes not resolved (receipts %s, traces %s): call Detect first", n, f.receipts, f.traces)
	}
	num := hexutil.EncodeUint64(n)
	reqs := []Request{{Method: "eth_getBlockByNumber", Params: []any{num, true}}}
	if n > 0 {
		if f.receipts == ReceiptsBlock {
			reqs = append(reqs, Request{Method: "eth_getBlockReceipts", Params: []any{num}})
		}
		switch f.traces {
		case TracesDebug:
			reqs = append(reqs, Request{Method: "debug_traceBlockByNumber", Params: []any{num, callTracerConfig()}})
		case TracesParity:
			reqs = append(reqs, Request{Method: "trace_block", Params: []any{num}})
		}
	}
	res, err := f.c.Batch(ctx, reqs)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("block %d: %w", n, err)
	}
	block = res[0]
	if isNull(block) {
		return nil, nil, nil, fmt.Errorf("block %d: eth_getBlockByNumber(%s,true): %w", n, num, ErrNotFound)
	}
	if n == 0 {
		receipts = json.RawMessage("[]")
		if f.traces != TracesNone {
			traces = json.RawMessage("[]")
		}
		return block, receipts, traces, nil
	}
	next := 1
	if f.receipts == ReceiptsBlock {
		receipts = res[next]
		next++
	}
	if f.traces != TracesNone {
		traces = res[next]
	}
	if f.receipts == ReceiptsTx {
		if receipts, err = f.txReceipts(ctx, n, block); err != nil {
			return nil, nil, nil, err
		}
	}
	return block, receipts, traces, nil
}

// txReceipts fetches the receipts of block's transactions in one batch and
// joins them into one JSON array.
func (f *Fetcher) txReceipts(ctx context.Context, n uint64, block json.RawMessage) (json.RawMessage, error) {
	b, err := DecodeBlock(block)
	if err != nil {
		return nil, fmt.Errorf("block %d: eth_getBlockByNumber: %w", n, err)
	}
	if len(b.Transactions) == 0 {
		return json.RawMessage("[]"), nil
	}
	reqs := make([]Request, len(b.Transactions))
	for i, t := range b.Transactions {
		reqs[i] = Request{Method: "eth_getTransactionReceipt", Params: []any{t.Hash.Hex()}}
	}
	res := make([]json.RawMessage, 0, len(reqs))
	for start := 0; start < len(reqs); start += maxBatch {
		part, err := f.c.Batch(ctx, reqs[start:min(start+maxBatch, len(reqs))])
		if err != nil {
			return nil, fmt.Errorf("block %d: receipts: %w", n, err)
		}
		res = append(res, part...)
	}
	size := 2
	for _, r := range res {
		size += len(r) + 1
	}
	out := make([]byte, 0, size)
	out = append(out, '[')
	for i, r := range res {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, r...)
	}
	return append(out, ']'), nil
}

// genesis reads the genesis allocations, preferring debug_accountRange,
// which pages and shows accounts whose address the node cannot name, over
// debug_dumpBlock, which silently stops at 256 accounts and silently drops
// unnamed ones. A node with neither gives nil.
func (f *Fetcher) genesis(ctx context.Context) ([]GenesisAccount, error) {
	accts, err := f.genesisByRange(ctx)
	if err == nil || !IsMethodNotFound(err) {
		return accts, err
	}
	accts, err = f.genesisByDump(ctx)
	if err != nil && IsMethodNotFound(err) {
		return nil, nil
	}
	return accts, err
}

// stateDump is the result of debug_accountRange and debug_dumpBlock
// (go-ethereum core/state.Dump): accounts keyed by address, or by
// "pre(<hash>)" when the node lacks the address preimage; balances are
// decimal strings.
type stateDump struct {
	Accounts map[string]struct {
		Balance string          `json:"balance"`
		Address *common.Address `json:"address"`
	} `json:"accounts"`
	Next hexutil.Bytes `json:"next"`
}

func (f *Fetcher) genesisByRange(ctx context.Context) ([]GenesisAccount, error) {
	var out []GenesisAccount
	start := hexutil.Bytes{}
	for {
		// nocode, nostorage: only balances matter; incompletes: list
		// accounts without a known address so that we notice them.
		raw, err := f.c.Call(ctx, "debug_accountRange", "0x0", start, genesisPage, true, true, true)
		if err != nil {
			return nil, err
		}
		var d stateDump
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("debug_accountRange: decode: %w", err)
		}
		page, err := d.accounts("debug_accountRange")
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(d.Next) == 0 {
			break
		}
		if bytes.Compare(d.Next, start) <= 0 {
			return nil, fmt.Errorf("debug_accountRange: next key %s does not advance past %s", d.Next, start)
		}
		start = d.Next
	}
	sortAccounts(out)
	return out, nil
}

func (f *Fetcher) genesisByDump(ctx context.Context) ([]GenesisAccount, error) {
	raw, err := f.c.Call(ctx, "debug_dumpBlock", "0x0")
	if err != nil {
		return nil, err
	}
	var d stateDump
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("debug_dumpBlock: decode: %w", err)
	}
	if len(d.Next) > 0 {
		return nil, fmt.Errorf("debug_dumpBlock: truncated at %d accounts and the node lacks debug_accountRange to page", len(d.Accounts))
	}
	out, err := d.accounts("debug_dumpBlock")
	if err != nil {
		return nil, err
	}
	sortAccounts(out)
	return out, nil
}

func (d *stateDump) accounts(method string) ([]GenesisAccount, error) {
	out := make([]GenesisAccount, 0, len(d.Accounts))
	unnamed := 0
	for key, a := range d.Accounts {
		addr := a.Address
		if addr == nil && common.IsHexAddress(key) {
			k := common.HexToAddress(key)
			addr = &k
		}
		if addr == nil {
			unnamed++
			continue
		}
		bal, err := parseBalance(a.Balance)
		if err != nil {
			return nil, fmt.Errorf("%s: account %s: balance %q: %w", method, addr, a.Balance, err)
		}
		out = append(out, GenesisAccount{Address: *addr, Balance: hexutil.U256(*bal)})
	}
	if unnamed > 0 {
		return nil, fmt.Errorf("%s: the node cannot name %d genesis accounts (it lacks their address preimages; run geth with --cache.preimages or as an archive node)", method, unnamed)
	}
	return out, nil
}

// parseBalance reads geth's decimal balance, or hex from nodes that use it.
func parseBalance(s string) (*uint256.Int, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return uint256.FromHex(s)
	}
	return uint256.FromDecimal(s)
}

func sortAccounts(a []GenesisAccount) {
	sort.Slice(a, func(i, j int) bool { return bytes.Compare(a[i].Address[:], a[j].Address[:]) < 0 })
}
