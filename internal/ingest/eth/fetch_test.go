package eth

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/holiman/uint256"
)

// ---- shared data --------------------------------------------------------

// sharedData returns the absolute path of ../shared/data/<rel> seen from the
// repository root, skipping the test when it is absent (a fresh clone).
func sharedData(t testing.TB, rel string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "shared", "data", rel))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s absent: ../shared/data absent: %s skipped", dir, strings.SplitN(rel, "/", 2)[0])
	}
	return dir
}

// etlResources is ethereum-etl's tests/resources directory.
func etlResources(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "shared", "data", "ethereum-etl-tests", "tests", "resources"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s absent: ../shared/data absent: ethereum-etl conformance skipped", dir)
	}
	return dir
}

// ---- replay server ------------------------------------------------------

// replayServer answers JSON-RPC calls and batches from ethereum-etl's
// recordings, named web3_response.<method>_<params>.json the way its
// MockWeb3Provider names them. Unknown methods get -32601 like a node
// without them; a known method with unrecorded params gets -32000.
type replayServer struct {
	*httptest.Server
	t       testing.TB
	files   map[string]string // key (method_params) -> path
	methods map[string]bool
	mu      sync.Mutex
	served  map[string]int
}

func newReplayServer(t testing.TB, dirs ...string) *replayServer {
	t.Helper()
	rs := &replayServer{t: t, files: map[string]string{}, methods: map[string]bool{}, served: map[string]int{}}
	for _, dir := range dirs {
		names, err := filepath.Glob(filepath.Join(dir, "web3_response.*.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range names {
			key := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "web3_response."), ".json")
			rs.files[key] = p
			parts := strings.SplitN(key, "_", 3) // namespace_method_params
			if len(parts) >= 2 {
				rs.methods[parts[0]+"_"+parts[1]] = true
			}
		}
	}
	rs.Server = httptest.NewServer(http.HandlerFunc(rs.handle))
	t.Cleanup(rs.Close)
	return rs
}

type replayRequest struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params []any           `json:"params"`
}

func (rs *replayServer) handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
		var reqs []replayRequest
		if err := dec.Decode(&reqs); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out := make([]json.RawMessage, len(reqs))
		for i, req := range reqs {
			out[i] = rs.answer(req)
		}
		json.NewEncoder(w).Encode(out)
		return
	}
	var req replayRequest
	if err := dec.Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Write(rs.answer(req))
}

func (rs *replayServer) answer(req replayRequest) json.RawMessage {
	parts := make([]string, len(req.Params))
	for i, p := range req.Params {
		parts[i] = etlParam(p)
	}
	key := req.Method + "_" + strings.Join(parts, "_")
	envelope := func(member string, v any) json.RawMessage {
		js, _ := json.Marshal(v)
		return json.RawMessage(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,%q:%s}`, req.ID, member, js))
	}
	path, ok := rs.files[key]
	if !ok {
		if rs.methods[req.Method] {
			return envelope("error", map[string]any{"code": -32000, "message": "replay: no recording web3_response." + key + ".json"})
		}
		return envelope("error", map[string]any{"code": -32601, "message": "the method " + req.Method + " does not exist/is not available"})
	}
	rs.mu.Lock()
	rs.served[key]++
	rs.mu.Unlock()
	data, err := os.ReadFile(path)
	if err != nil {
		rs.t.Errorf("replay: %v", err)
		return envelope("error", map[string]any{"code": -32000, "message": err.Error()})
	}
	// Most recordings are whole responses, a few only the result.
	var env map[string]json.RawMessage
	if err := json.Unmarshal(data, &env); err == nil {
		if res, ok := env["result"]; ok {
			return json.RawMessage(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, res))
		}
		if e, ok := env["error"]; ok {
			return json.RawMessage(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"error":%s}`, req.ID, e))
		}
	}
	return json.RawMessage(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, data))
}

// etlParam is ethereum-etl's param_to_str: dicts as sorted key_value pairs,
// lists joined by "_", everything else str(x).lower().
func etlParam(p any) string {
	switch v := p.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "_" + etlParam(v[k])
		}
		return strings.Join(parts, "_")
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = etlParam(x)
		}
		return strings.Join(parts, "_")
	case nil:
		return "none"
	default:
		return strings.ToLower(fmt.Sprint(v))
	}
}

// ---- expected outputs ---------------------------------------------------

type record = map[string]string

func readCSV(t testing.TB, path string) []record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(rows) == 0 {
		return nil
	}
	out := make([]record, 0, len(rows)-1)
	for _, row := range rows[1:] {
		r := record{}
		for i, col := range rows[0] {
			r[col] = row[i]
		}
		out = append(out, r)
	}
	return out
}

// readJSONLines reads ethereum-etl's newline-delimited JSON, rendering
// values as its CSV export does: null as "", numbers exactly, lists joined
// by commas.
func readJSONLines(t testing.TB, path string) []record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []record
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("%s line %d: %v", path, i+1, err)
		}
		r := record{}
		for k, v := range m {
			r[k] = etlString(v)
		}
		out = append(out, r)
	}
	return out
}

func etlString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = etlString(e)
		}
		return strings.Join(parts, ",")
	default:
		js, _ := json.Marshal(x)
		return string(js)
	}
}

// readExpected reads expected_<name>.csv and expected_<name>.json, whichever
// exist, from dir.
func readExpected(t testing.TB, dir, name string) (rows []record, files []string) {
	t.Helper()
	for _, ext := range []string{".csv", ".json"} {
		p := filepath.Join(dir, "expected_"+name+ext)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		files = append(files, p)
		if ext == ".csv" {
			rows = append(rows, readCSV(t, p)...)
		} else {
			rows = append(rows, readJSONLines(t, p)...)
		}
	}
	return rows, files
}

// ---- field-by-field comparison -------------------------------------------

// tally counts what a conformance test compared, per category.
type tally map[string]*[2]int // category -> records, fields

func (tl tally) add(cat string, fields int) {
	if tl[cat] == nil {
		tl[cat] = &[2]int{}
	}
	tl[cat][0]++
	tl[cat][1] += fields
}

func (tl tally) log(t testing.TB) {
	cats := make([]string, 0, len(tl))
	for c := range tl {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	for _, c := range cats {
		t.Logf("compared %-16s %4d records, %5d fields", c, tl[c][0], tl[c][1])
	}
}

// compareRecord checks every field we produce against ethereum-etl's value.
func compareRecord(t testing.TB, tl tally, cat, where string, want, got record) {
	t.Helper()
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := 0
	for _, k := range keys {
		w, ok := want[k]
		if !ok {
			continue // this expected file does not have the column (csv vs json)
		}
		n++
		if got[k] != w {
			t.Errorf("%s %s: %s = %q, ethereum-etl has %q", cat, where, k, clip(got[k]), clip(w))
		}
	}
	tl.add(cat, n)
}

// compareKeyed matches records on key and compares them.
func compareKeyed(t testing.TB, tl tally, cat, key string, want, got []record) {
	t.Helper()
	byKey := map[string]record{}
	for _, g := range got {
		byKey[g[key]] = g
	}
	seen := map[string]bool{}
	for _, w := range want {
		g, ok := byKey[w[key]]
		if !ok {
			t.Errorf("%s %s=%s: expected by ethereum-etl, not produced", cat, key, w[key])
			continue
		}
		compareRecord(t, tl, cat, key+"="+clip(w[key]), w, g)
		seen[w[key]] = true
	}
	for k := range byKey {
		if !seen[k] {
			t.Errorf("%s %s=%s: produced, not expected by ethereum-etl", cat, key, k)
		}
	}
}

func clip(s string) string {
	if len(s) > 90 {
		return s[:90] + "…"
	}
	return s
}

// ---- our records in ethereum-etl's columns ----------------------------------

func fmtAddr(a *common.Address) string {
	if a == nil {
		return ""
	}
	return strings.ToLower(a.Hex())
}

func fmtHash(h *common.Hash) string {
	if h == nil {
		return ""
	}
	return h.Hex()
}

func fmtBytes(b []byte) string {
	if b == nil {
		return ""
	}
	return hexutil.Encode(b)
}

func fmtU64(p *hexutil.Uint64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatUint(uint64(*p), 10)
}

func fmtU256(p *hexutil.U256) string {
	if p == nil {
		return ""
	}
	return (*uint256.Int)(p).Dec()
}

func fmtPtr(p *uint64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatUint(*p, 10)
}

func blockRecord(b *Block) record {
	var nonce string
	if b.Nonce != nil {
		nonce = hexutil.Encode(*b.Nonce)
	}
	var withdrawals string
	if len(b.Withdrawals) > 0 {
		parts := make([]string, len(b.Withdrawals))
		for i, w := range b.Withdrawals {
			parts[i] = fmt.Sprintf(`{"index": %d, "validator_index": %d, "address": "%s", "amount": %d}`, w.Index, w.ValidatorIndex, fmtAddr(&w.Address), w.Amount)
		}
		withdrawals = strings.Join(parts, ",")
	}
	miner := b.Miner
	return record{
		"number": strconv.FormatUint(uint64(b.Number), 10), "hash": b.Hash.Hex(), "parent_hash": b.ParentHash.Hex(),
		"nonce": nonce, "sha3_uncles": b.Sha3Uncles.Hex(), "logs_bloom": fmtBytes(b.LogsBloom),
		"transactions_root": b.TransactionsRoot.Hex(), "state_root": b.StateRoot.Hex(), "receipts_root": b.ReceiptsRoot.Hex(),
		"miner": fmtAddr(&miner), "difficulty": fmtU256(b.Difficulty), "total_difficulty": fmtU256(b.TotalDifficulty),
		"size": strconv.FormatUint(uint64(b.Size), 10), "extra_data": fmtBytes(b.ExtraData),
		"gas_limit": strconv.FormatUint(uint64(b.GasLimit), 10), "gas_used": strconv.FormatUint(uint64(b.GasUsed), 10),
		"timestamp": strconv.FormatUint(uint64(b.Timestamp), 10), "transaction_count": strconv.Itoa(len(b.Transactions)),
		"base_fee_per_gas": fmtU256(b.BaseFeePerGas), "withdrawals_root": fmtHash(b.WithdrawalsRoot), "withdrawals": withdrawals,
	}
}

func txRecord(b *Block, tx *Transaction) record {
	from := tx.From
	v := tx.Value
	return record{
		"hash": tx.Hash.Hex(), "nonce": strconv.FormatUint(uint64(tx.Nonce), 10),
		"block_hash": fmtHash(tx.BlockHash), "block_number": fmtU64(tx.BlockNumber),
		"transaction_index": fmtU64(tx.TransactionIndex), "from_address": fmtAddr(&from), "to_address": fmtAddr(tx.To),
		"value": fmtU256(&v), "gas": strconv.FormatUint(uint64(tx.Gas), 10), "gas_price": fmtU256(tx.GasPrice),
		"input": fmtBytes(tx.Input), "block_timestamp": strconv.FormatUint(uint64(b.Timestamp), 10),
		"max_fee_per_gas": fmtU256(tx.MaxFeePerGas), "max_priority_fee_per_gas": fmtU256(tx.MaxPriorityFeePerGas),
		"transaction_type": fmtU64(tx.Type),
	}
}

func receiptRecord(r *Receipt, prefix string) record {
	var root string
	if r.Root != nil {
		root = hexutil.Encode(*r.Root)
	}
	rec := record{
		"cumulative_gas_used": strconv.FormatUint(uint64(r.CumulativeGasUsed), 10),
		"gas_used":            strconv.FormatUint(uint64(r.GasUsed), 10),
		"contract_address":    fmtAddr(r.ContractAddress), "root": root, "status": fmtU64(r.Status),
		"effective_gas_price": fmtU256(r.EffectiveGasPrice),
	}
	out := record{}
	for k, v := range rec {
		out[prefix+k] = v
	}
	if prefix == "" {
		bh := r.BlockHash
		out["transaction_hash"] = r.TransactionHash.Hex()
		out["transaction_index"] = strconv.FormatUint(uint64(r.TransactionIndex), 10)
		out["block_hash"] = fmtHash(&bh)
		out["block_number"] = strconv.FormatUint(uint64(r.BlockNumber), 10)
	}
	return out
}

func logRecord(l *Log) record {
	topics := make([]string, len(l.Topics))
	for i, tp := range l.Topics {
		topics[i] = tp.Hex()
	}
	addr := l.Address
	return record{
		"log_index": strconv.FormatUint(uint64(l.LogIndex), 10), "transaction_hash": l.TransactionHash.Hex(),
		"transaction_index": strconv.FormatUint(uint64(l.TransactionIndex), 10), "block_hash": l.BlockHash.Hex(),
		"block_number": strconv.FormatUint(uint64(l.BlockNumber), 10), "address": fmtAddr(&addr),
		"data": fmtBytes(l.Data), "topics": strings.Join(topics, ","),
		"key": l.TransactionHash.Hex() + "/" + strconv.FormatUint(uint64(l.LogIndex), 10),
	}
}

// tokenTransferRecords decodes the logs as ethereum-etl's token transfer
// extractor sees them: Transfer events only.
func tokenTransferRecords(t testing.TB, logs []Log) []record {
	t.Helper()
	var out []record
	for i := range logs {
		l := &logs[i]
		ev, err := DecodeValueLog(l)
		if errors.Is(err, ErrNotValueLog) {
			continue
		}
		if err != nil {
			t.Errorf("log %d of tx %s: %v", l.LogIndex, l.TransactionHash, err)
			continue
		}
		if ev.Kind != ERC20Transfer && ev.Kind != ERC721Transfer {
			continue // ethereum-etl has no Deposit/Withdrawal transfers
		}
		value := ev.Amount.Dec()
		if ev.Kind == ERC721Transfer {
			// ethereum-etl reports the token id as the value; see
			// docs/ingest-eth.md, "Deliberate differences from ethereum-etl".
			value = ev.TokenID.Dec()
		}
		out = append(out, record{
			"token_address": fmtAddr(&ev.Token), "from_address": fmtAddr(&ev.From), "to_address": fmtAddr(&ev.To),
			"value": value, "transaction_hash": l.TransactionHash.Hex(),
			"log_index": strconv.FormatUint(uint64(l.LogIndex), 10), "block_number": strconv.FormatUint(uint64(l.BlockNumber), 10),
		})
	}
	return out
}

// ---- ethereum-etl conformance: blocks, transactions, receipts, logs, token transfers

func TestConformanceETLBlocks(t *testing.T) {
	res := etlResources(t)
	tl := tally{}
	for _, tc := range []struct {
		dir    string
		extra  []string // further recordings served (receipts of the same block)
		fetch  []uint64 // fetched with FetchBlock: block, receipts and all
		decode []uint64 // only the block is recorded: decoded with DecodeBlock
	}{
		{dir: "test_export_blocks_job/blocks_with_transactions", decode: []uint64{47218, 47219}},
		{dir: "test_export_blocks_job/block_without_transactions", fetch: []uint64{0}},
		{dir: "test_export_blocks_job/block_with_logs", extra: []string{"test_export_receipts_job/receipts_with_logs", "test_export_token_transfers_job/block_with_transfers"}, fetch: []uint64{483920}},
		{dir: "test_stream/blocks_1755634_1755635", fetch: []uint64{1755634, 1755635}},
		{dir: "test_export_blocks_job/blocks_with_transactions_and_withdrawals"},
		{dir: "test_stream/blocks_17173049_17173050"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			if len(tc.fetch)+len(tc.decode) == 0 {
				t.Skip("expected outputs only: ethereum-etl recorded no responses for these blocks (its test reads a live node)")
			}
			dirs := []string{filepath.Join(res, tc.dir)}
			for _, e := range tc.extra {
				dirs = append(dirs, filepath.Join(res, e))
			}
			srv := newReplayServer(t, dirs...)
			ctx := context.Background()
			c := NewClient(srv.URL, fastOpts(0))
			var blocks []*BlockData
			for _, n := range tc.decode {
				raw, err := c.Call(ctx, "eth_getBlockByNumber", hexutil.EncodeUint64(n), true)
				if err != nil {
					t.Fatal(err)
				}
				b, err := DecodeBlock(raw)
				if err != nil {
					t.Fatalf("block %d: %v", n, err)
				}
				blocks = append(blocks, &BlockData{Block: *b})
			}
			if len(tc.fetch) > 0 {
				f, err := NewFetcher(c, FetchOptions{Receipts: ReceiptsAuto, Traces: TracesNone})
				if err != nil {
					t.Fatal(err)
				}
				if err := f.Detect(ctx, tc.fetch[0]); err != nil {
					t.Fatal(err)
				}
				if f.Receipts() != ReceiptsTx {
					t.Fatalf("receipts mode %s, want tx: ethereum-etl recorded per-transaction receipts", f.Receipts())
				}
				for _, n := range tc.fetch {
					d, err := f.FetchBlock(ctx, n)
					if err != nil {
						t.Fatalf("FetchBlock(%d): %v", n, err)
					}
					if n == 0 && d.Genesis != nil {
						t.Errorf("genesis allocations %v from a node without debug_accountRange/debug_dumpBlock", d.Genesis)
					}
					blocks = append(blocks, d)
				}
			}
			compareBlockData(t, tl, filepath.Join(res, tc.dir), blocks)
			// The receipts job's own expectations for the same block.
			for _, e := range tc.extra {
				compareBlockData(t, tl, filepath.Join(res, e), blocks)
			}
		})
	}
	tl.log(t)
}

// compareBlockData compares everything dir expects with what was fetched.
func compareBlockData(t *testing.T, tl tally, dir string, blocks []*BlockData) {
	t.Helper()
	var gotBlocks, gotTxs, gotReceipts, gotLogs []record
	var logs []Log
	haveReceipts := false
	for _, d := range blocks {
		b := &d.Block
		gotBlocks = append(gotBlocks, blockRecord(b))
		for i := range b.Transactions {
			rec := txRecord(b, &b.Transactions[i])
			if d.Receipts != nil {
				haveReceipts = true
				r := &d.Receipts[i]
				for k, v := range receiptRecord(r, "receipt_") {
					rec[k] = v
				}
				gotReceipts = append(gotReceipts, receiptRecord(r, ""))
				for j := range r.Logs {
					logs = append(logs, r.Logs[j])
					gotLogs = append(gotLogs, logRecord(&r.Logs[j]))
				}
			}
			gotTxs = append(gotTxs, rec)
		}
	}
	if want, files := readExpected(t, dir, "blocks"); files != nil {
		compareKeyed(t, tl, "blocks", "number", want, gotBlocks)
	}
	if want, files := readExpected(t, dir, "transactions"); files != nil {
		compareKeyed(t, tl, "transactions", "hash", want, gotTxs)
	}
	if !haveReceipts {
		return
	}
	if want, files := readExpected(t, dir, "receipts"); files != nil {
		compareKeyed(t, tl, "receipts", "transaction_hash", want, gotReceipts)
	}
	if want, files := readExpected(t, dir, "logs"); files != nil {
		for _, w := range want {
			w["key"] = w["transaction_hash"] + "/" + w["log_index"]
		}
		compareKeyed(t, tl, "logs", "key", want, gotLogs)
	}
	if want, files := readExpected(t, dir, "token_transfers"); files != nil {
		compareKeyed(t, tl, "token_transfers", "log_index", want, tokenTransferRecords(t, logs))
	}
}

// TestConformanceETLFilterLogs decodes the Transfer logs ethereum-etl's
// token transfer export got from eth_getFilterLogs.
func TestConformanceETLFilterLogs(t *testing.T) {
	dir := filepath.Join(etlResources(t), "test_export_token_transfers_job", "block_with_transfers")
	srv := newReplayServer(t, dir)
	raw, err := NewClient(srv.URL, fastOpts(0)).Call(context.Background(), "eth_getFilterLogs", "0x0")
	if err != nil {
		t.Fatal(err)
	}
	var logs []Log
	if err := json.Unmarshal(raw, &logs); err != nil {
		t.Fatal(err)
	}
	tl := tally{}
	want, _ := readExpected(t, dir, "token_transfers")
	compareKeyed(t, tl, "token_transfers", "log_index", want, tokenTransferRecords(t, logs))
	tl.log(t)
}

// ---- Fetcher against a scripted node ------------------------------------------

// fakeNode is a scripted JSON-RPC node: handlers by method; a missing
// method answers -32601. It counts HTTP requests and calls per method.
type fakeNode struct {
	*httptest.Server
	mu       sync.Mutex
	handlers map[string]func(params []json.RawMessage) (any, *rpcErrorObject)
	requests int
	calls    map[string]int
}

func newFakeNode(t testing.TB, handlers map[string]func(params []json.RawMessage) (any, *rpcErrorObject)) *fakeNode {
	t.Helper()
	n := &fakeNode{handlers: handlers, calls: map[string]int{}}
	n.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n.mu.Lock()
		n.requests++
		n.mu.Unlock()
		type req struct {
			ID     json.RawMessage   `json:"id"`
			Method string            `json:"method"`
			Params []json.RawMessage `json:"params"`
		}
		answer := func(q req) map[string]any {
			n.mu.Lock()
			n.calls[q.Method]++
			h := n.handlers[q.Method]
			n.mu.Unlock()
			out := map[string]any{"jsonrpc": "2.0", "id": q.ID}
			if h == nil {
				out["error"] = &rpcErrorObject{Code: -32601, Message: "the method " + q.Method + " does not exist/is not available"}
				return out
			}
			res, e := h(q.Params)
			if e != nil {
				out["error"] = e
			} else {
				out["result"] = res
			}
			return out
		}
		if bytes.HasPrefix(body, []byte("[")) {
			var qs []req
			json.Unmarshal(body, &qs)
			out := make([]map[string]any, len(qs))
			for i, q := range qs {
				out[i] = answer(q)
			}
			json.NewEncoder(w).Encode(out)
			return
		}
		var q req
		json.Unmarshal(body, &q)
		json.NewEncoder(w).Encode(answer(q))
	}))
	t.Cleanup(n.Close)
	return n
}

func (n *fakeNode) stats() (requests int, calls map[string]int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := map[string]int{}
	for k, v := range n.calls {
		c[k] = v
	}
	return n.requests, c
}

func (n *fakeNode) set(method string, h func([]json.RawMessage) (any, *rpcErrorObject)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.handlers[method] = h
}

func (n *fakeNode) reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.requests = 0
	n.calls = map[string]int{}
}

func paramUint(p json.RawMessage) uint64 {
	var v hexutil.Uint64
	json.Unmarshal(p, &v)
	return uint64(v)
}

// synthNode serves a synthetic block through whichever methods are listed.
func synthNode(t testing.TB, s *synthBlock, methods ...string) *fakeNode {
	block, receipts, calls, parity := s.raw()
	num := uint64(s.block.Number)
	byHash := map[string]json.RawMessage{}
	var rs []json.RawMessage
	json.Unmarshal(receipts, &rs)
	for i := range s.receipts {
		byHash[s.receipts[i].TransactionHash.Hex()] = rs[i]
	}
	at := func(res json.RawMessage) func([]json.RawMessage) (any, *rpcErrorObject) {
		return func(p []json.RawMessage) (any, *rpcErrorObject) {
			if paramUint(p[0]) != num {
				return nil, nil
			}
			return res, nil
		}
	}
	all := map[string]func([]json.RawMessage) (any, *rpcErrorObject){
		"eth_getBlockByNumber": at(block),
		"eth_getBlockReceipts": at(receipts),
		"eth_getTransactionReceipt": func(p []json.RawMessage) (any, *rpcErrorObject) {
			var h string
			json.Unmarshal(p[0], &h)
			return byHash[h], nil
		},
		"debug_traceBlockByNumber": func(p []json.RawMessage) (any, *rpcErrorObject) {
			if len(p) != 2 || !strings.Contains(string(p[1]), `"callTracer"`) {
				return nil, &rpcErrorObject{Code: -32602, Message: "want the callTracer"}
			}
			return at(calls)(p)
		},
		"trace_block":     at(parity),
		"eth_chainId":     func([]json.RawMessage) (any, *rpcErrorObject) { return "0x1", nil },
		"eth_blockNumber": func([]json.RawMessage) (any, *rpcErrorObject) { return hexutil.EncodeUint64(num + 5), nil },
	}
	h := map[string]func([]json.RawMessage) (any, *rpcErrorObject){}
	for _, m := range methods {
		h[m] = all[m]
	}
	return newFakeNode(t, h)
}

func TestFetcherBlockReceiptsAndDebugTraces(t *testing.T) {
	s := newSynthBlock(30, 11)
	node := synthNode(t, s, "eth_getBlockByNumber", "eth_getBlockReceipts", "eth_getTransactionReceipt", "debug_traceBlockByNumber", "trace_block", "eth_chainId", "eth_blockNumber")
	ctx := context.Background()
	f, err := NewFetcher(NewClient(node.URL, fastOpts(0)), FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.FetchBlock(ctx, 1_000_000); err == nil || !strings.Contains(err.Error(), "call Detect first") {
		t.Fatalf("FetchBlock before Detect: %v", err)
	}
	if err := f.Detect(ctx, 1_000_000); err != nil {
		t.Fatal(err)
	}
	if f.Receipts() != ReceiptsBlock || f.Traces() != TracesDebug {
		t.Fatalf("modes %s/%s, want block/debug", f.Receipts(), f.Traces())
	}
	node.reset()
	d, err := f.FetchBlock(ctx, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Receipts) != 30 || len(d.CallTraces) != 30 || d.ParityTraces != nil || d.Genesis != nil {
		t.Fatalf("fetched %d receipts, %d call traces, parity %v", len(d.Receipts), len(d.CallTraces), d.ParityTraces != nil)
	}
	if reqs, _ := node.stats(); reqs != 1 {
		t.Errorf("FetchBlock made %d HTTP requests, want 1 batch", reqs)
	}
	// RawBlock is what FetchBlock decodes: replaying it gives the same.
	block, receipts, traces, err := f.RawBlock(ctx, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := DecodeBlockData(block, receipts, traces, f.Traces())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(reencode(t, d), reencode(t, d2)) {
		t.Error("RawBlock + DecodeBlockData differs from FetchBlock")
	}
	if id, err := f.ChainID(ctx); err != nil || id != 1 {
		t.Errorf("ChainID = %d, %v", id, err)
	}
	if h, err := f.Head(ctx); err != nil || h != 1_000_005 {
		t.Errorf("Head = %d, %v", h, err)
	}
	if _, err := f.FetchBlock(ctx, 2_000_000); !errors.Is(err, ErrNotFound) {
		t.Errorf("FetchBlock of a block the node lacks: %v, want ErrNotFound", err)
	}
}

func TestFetcherTxReceiptsAndParityTraces(t *testing.T) {
	s := newSynthBlock(25, 12)
	node := synthNode(t, s, "eth_getBlockByNumber", "eth_getTransactionReceipt", "trace_block")
	ctx := context.Background()
	f, _ := NewFetcher(NewClient(node.URL, fastOpts(0)), FetchOptions{Receipts: "auto", Traces: "auto"})
	if err := f.Detect(ctx, 1_000_000); err != nil {
		t.Fatal(err)
	}
	if f.Receipts() != ReceiptsTx || f.Traces() != TracesParity {
		t.Fatalf("modes %s/%s, want tx/parity", f.Receipts(), f.Traces())
	}
	node.reset()
	d, err := f.FetchBlock(ctx, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Receipts) != 25 || d.CallTraces != nil || len(d.ParityTraces) != len(s.parity) {
		t.Fatalf("fetched %d receipts, %d parity traces", len(d.Receipts), len(d.ParityTraces))
	}
	reqs, calls := node.stats()
	if reqs != 2 || calls["eth_getTransactionReceipt"] != 25 {
		t.Errorf("%d HTTP requests, %d receipt calls; want 2 requests (block+traces, then all receipts)", reqs, calls["eth_getTransactionReceipt"])
	}
}

func TestFetcherSplitsLargeReceiptBatches(t *testing.T) {
	s := newSynthBlock(maxBatch+3, 16)
	node := synthNode(t, s, "eth_getBlockByNumber", "eth_getTransactionReceipt")
	f, _ := NewFetcher(NewClient(node.URL, fastOpts(0)), FetchOptions{Receipts: ReceiptsTx, Traces: TracesNone})
	d, err := f.FetchBlock(context.Background(), 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if reqs, _ := node.stats(); len(d.Receipts) != maxBatch+3 || reqs != 3 {
		t.Fatalf("%d receipts in %d HTTP requests, want %d in 3", len(d.Receipts), reqs, maxBatch+3)
	}
}

func TestFetcherDetectNoTraces(t *testing.T) {
	s := newSynthBlock(3, 13)
	node := synthNode(t, s, "eth_getBlockByNumber", "eth_getBlockReceipts")
	node.set("debug_traceBlockByNumber", func([]json.RawMessage) (any, *rpcErrorObject) {
		return nil, &rpcErrorObject{Code: -32000, Message: "historical state 0xabc is not available"}
	})
	f, _ := NewFetcher(NewClient(node.URL, fastOpts(0)), FetchOptions{})
	err := f.Detect(context.Background(), 1_000_000)
	if err == nil {
		t.Fatal("Detect succeeded on a node without usable traces")
	}
	for _, want := range []string{"supports neither", "debug_traceBlockByNumber", "historical state 0xabc is not available", "trace_block", "does not exist", "--traces none", node.URL} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	t.Logf("%v", err)
	// With traces none the same node is fine.
	f, _ = NewFetcher(NewClient(node.URL, fastOpts(0)), FetchOptions{Traces: "none"})
	if err := f.Detect(context.Background(), 1_000_000); err != nil {
		t.Fatal(err)
	}
	d, err := f.FetchBlock(context.Background(), 1_000_000)
	if err != nil || d.CallTraces != nil || d.ParityTraces != nil {
		t.Fatalf("FetchBlock with traces none: %v", err)
	}
}

func TestFetcherDetectNodeDown(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer srv.Close()
	f, _ := NewFetcher(NewClient(srv.URL, fastOpts(1)), FetchOptions{})
	err := f.Detect(context.Background(), 5)
	if err == nil || !strings.Contains(err.Error(), "detect receipts mode") || !strings.Contains(err.Error(), "http 502") {
		t.Fatalf("err = %v", err)
	}
	if f.Receipts() != ReceiptsAuto {
		t.Errorf("receipts resolved to %s although the node never answered", f.Receipts())
	}
}

func TestNewFetcherValidatesModes(t *testing.T) {
	c := NewClient("http://127.0.0.1:1", fastOpts(0))
	for _, o := range []FetchOptions{{Receipts: "blocks"}, {Traces: "geth"}, {Receipts: "Block"}} {
		if _, err := NewFetcher(c, o); err == nil {
			t.Errorf("NewFetcher(%+v) accepted", o)
		} else {
			t.Logf("%v", err)
		}
	}
	if _, err := NewFetcher(nil, FetchOptions{}); err == nil {
		t.Error("nil client accepted")
	}
}

func TestFetcherRetriesInconsistentBlock(t *testing.T) {
	s := newSynthBlock(4, 14)
	block, receipts, _, _ := s.raw()
	other := newSynthBlock(4, 15)
	_, otherReceipts, _, _ := other.raw()
	var served int
	var mu sync.Mutex
	node := newFakeNode(t, map[string]func([]json.RawMessage) (any, *rpcErrorObject){
		"eth_getBlockByNumber": func([]json.RawMessage) (any, *rpcErrorObject) { return block, nil },
		"eth_getBlockReceipts": func([]json.RawMessage) (any, *rpcErrorObject) {
			mu.Lock()
			defer mu.Unlock()
			served++
			if served == 1 {
				return otherReceipts, nil // a reorg between the calls
			}
			return receipts, nil
		},
	})
	f, _ := NewFetcher(NewClient(node.URL, fastOpts(0)), FetchOptions{Receipts: "block", Traces: "none"})
	if _, err := f.FetchBlock(context.Background(), 1_000_000); err != nil {
		t.Fatalf("FetchBlock after one inconsistent answer: %v", err)
	}
	node.set("eth_getBlockReceipts", func([]json.RawMessage) (any, *rpcErrorObject) { return otherReceipts, nil })
	_, err := f.FetchBlock(context.Background(), 1_000_000)
	if err == nil || !strings.Contains(err.Error(), "block 1000000: eth_getBlockReceipts: receipt 0 has blockHash") || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("err = %v", err)
	}
	node.set("eth_getBlockReceipts", func([]json.RawMessage) (any, *rpcErrorObject) { return receipts, nil })
	if _, err := f.FetchBlock(context.Background(), 999); err == nil || !strings.Contains(err.Error(), "node returned block 1000000") {
		t.Fatalf("wrong block number: %v", err)
	}
}

func TestFetcherGenesisAllocations(t *testing.T) {
	genesis := json.RawMessage(`{"number":"0x0","hash":"0x` + strings.Repeat("11", 32) + `","parentHash":"0x` + strings.Repeat("00", 32) + `","transactions":[],"uncles":[]}`)
	pages := []string{
		`{"root":"ab","accounts":{"0x00000000000000000000000000000000000000bb":{"balance":"1000000000000000000000","nonce":0,"root":"0x56","codeHash":"0xc5","address":"0x00000000000000000000000000000000000000bb","key":"0x01"},"0x00000000000000000000000000000000000000Aa":{"balance":"5","nonce":0,"root":"0x56","codeHash":"0xc5","address":"0x00000000000000000000000000000000000000aa","key":"0x02"}},"next":"0x03"}`,
		`{"root":"ab","accounts":{"0x00000000000000000000000000000000000000cc":{"balance":"0","nonce":1,"root":"0x56","codeHash":"0xc5","address":"0x00000000000000000000000000000000000000cc","key":"0x04"}}}`,
	}
	handlers := func() map[string]func([]json.RawMessage) (any, *rpcErrorObject) {
		return map[string]func([]json.RawMessage) (any, *rpcErrorObject){
			"eth_getBlockByNumber": func([]json.RawMessage) (any, *rpcErrorObject) { return genesis, nil },
			"debug_traceBlockByNumber": func([]json.RawMessage) (any, *rpcErrorObject) {
				return nil, &rpcErrorObject{Code: -32000, Message: "genesis is not traceable"}
			},
			"eth_getBlockReceipts": func([]json.RawMessage) (any, *rpcErrorObject) { return json.RawMessage("[]"), nil },
		}
	}
	ctx := context.Background()

	h := handlers()
	h["debug_accountRange"] = func(p []json.RawMessage) (any, *rpcErrorObject) {
		var start string
		json.Unmarshal(p[1], &start)
		if start == "0x03" {
			return json.RawMessage(pages[1]), nil
		}
		return json.RawMessage(pages[0]), nil
	}
	node := newFakeNode(t, h)
	f, _ := NewFetcher(NewClient(node.URL, fastOpts(0)), FetchOptions{})
	if err := f.Detect(ctx, 0); err != nil {
		t.Fatal(err) // the genesis probe fails in a way that still proves debug works
	}
	if f.Traces() != TracesDebug {
		t.Fatalf("traces %s, want debug", f.Traces())
	}
	node.reset()
	d, err := f.FetchBlock(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(d.Genesis)
	want := fmt.Sprint([]GenesisAccount{
		{Address: common.HexToAddress("0xaa"), Balance: *u256P(5)},
		{Address: common.HexToAddress("0xbb"), Balance: hexutil.U256(*uint256.MustFromDecimal("1000000000000000000000"))},
		{Address: common.HexToAddress("0xcc")},
	})
	if got != want {
		t.Fatalf("genesis %s, want %s", got, want)
	}
	if _, calls := node.stats(); calls["debug_traceBlockByNumber"]+calls["eth_getBlockReceipts"] != 0 || calls["debug_accountRange"] != 2 {
		t.Errorf("calls for block 0: %v", calls)
	}

	// Accounts the node cannot name make the allocations unusable.
	h = handlers()
	h["debug_accountRange"] = func([]json.RawMessage) (any, *rpcErrorObject) {
		return json.RawMessage(`{"root":"ab","accounts":{"pre(0x1234)":{"balance":"7","key":"0x1234"}}}`), nil
	}
	f, _ = NewFetcher(NewClient(newFakeNode(t, h).URL, fastOpts(0)), FetchOptions{Receipts: "block", Traces: "debug"})
	if _, err := f.FetchBlock(ctx, 0); err == nil || !strings.Contains(err.Error(), "--cache.preimages") {
		t.Fatalf("missing preimages: %v", err)
	}

	// debug_dumpBlock is the fallback; a truncated dump is an error.
	h = handlers()
	h["debug_dumpBlock"] = func([]json.RawMessage) (any, *rpcErrorObject) { return json.RawMessage(pages[1]), nil }
	f, _ = NewFetcher(NewClient(newFakeNode(t, h).URL, fastOpts(0)), FetchOptions{Receipts: "block", Traces: "debug"})
	if d, err := f.FetchBlock(ctx, 0); err != nil || len(d.Genesis) != 1 {
		t.Fatalf("dumpBlock fallback: %v, %v", d, err)
	}
	h["debug_dumpBlock"] = func([]json.RawMessage) (any, *rpcErrorObject) { return json.RawMessage(pages[0]), nil }
	f, _ = NewFetcher(NewClient(newFakeNode(t, h).URL, fastOpts(0)), FetchOptions{Receipts: "block", Traces: "debug"})
	if _, err := f.FetchBlock(ctx, 0); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated dump: %v", err)
	}
}

func TestFetcherBlockHash(t *testing.T) {
	hdr := `{"number":"0x10","hash":"0x` + strings.Repeat("aa", 32) + `","parentHash":"0x` + strings.Repeat("bb", 32) + `","transactions":["0x` + strings.Repeat("cc", 32) + `"]}`
	node := newFakeNode(t, map[string]func([]json.RawMessage) (any, *rpcErrorObject){
		"eth_getBlockByNumber": func(p []json.RawMessage) (any, *rpcErrorObject) {
			if string(p[1]) != "false" {
				return nil, &rpcErrorObject{Code: -32602, Message: "want false"}
			}
			if paramUint(p[0]) == 0x10 {
				return json.RawMessage(hdr), nil
			}
			return nil, nil
		},
	})
	f, _ := NewFetcher(NewClient(node.URL, fastOpts(0)), FetchOptions{})
	hash, parent, err := f.BlockHash(context.Background(), 16)
	if err != nil || hash != common.HexToHash("0x"+strings.Repeat("aa", 32)) || parent != common.HexToHash("0x"+strings.Repeat("bb", 32)) {
		t.Fatalf("BlockHash = %s %s %v", hash, parent, err)
	}
	if _, _, err := f.BlockHash(context.Background(), 17); !errors.Is(err, ErrNotFound) {
		t.Fatalf("BlockHash of a missing block: %v", err)
	}
}

// ---- against a real go-ethereum node ------------------------------------------------

// TestFetcherAgainstGeth runs the scenario workload (value transfers,
// contract calls that forward, revert and self-destruct, ERC-20, WETH,
// ERC-721) on an in-process go-ethereum node and fetches every block over
// HTTP in both receipt modes, checking what only a real node can show:
// that Detect picks block receipts and debug traces, that genesis comes
// with its allocations, that both modes agree, and that the call traces,
// receipts and logs are consistent with one another.
func TestFetcherAgainstGeth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a go-ethereum node")
	}
	ctx := context.Background()
	node, err := scenario.NewNode(scenario.NodeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close() })
	res, err := scenario.RunWorkload(ctx, node, scenario.WorkloadConfig{Txs: 120, TxsPerBlock: 15, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(node.URL(), fastOpts(2))
	auto, err := NewFetcher(c, FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	head, err := auto.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := auto.Detect(ctx, head); err != nil {
		t.Fatal(err)
	}
	if auto.Receipts() != ReceiptsBlock || auto.Traces() != TracesDebug {
		t.Fatalf("modes on geth: %s/%s, want block/debug", auto.Receipts(), auto.Traces())
	}
	if id, err := auto.ChainID(ctx); err != nil || id != node.ChainID().Uint64() {
		t.Fatalf("ChainID = %d, %v", id, err)
	}
	perTx, _ := NewFetcher(c, FetchOptions{Receipts: ReceiptsTx, Traces: TracesDebug})
	// geth will not trace genesis; probing there must still find debug.
	fromZero, _ := NewFetcher(c, FetchOptions{})
	if err := fromZero.Detect(ctx, 0); err != nil || fromZero.Traces() != TracesDebug {
		t.Fatalf("Detect at genesis: %v, traces %s", err, fromZero.Traces())
	}
	if _, err := auto.FetchBlock(ctx, head+1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("FetchBlock past the head: %v, want ErrNotFound", err)
	}

	genesis, err := auto.FetchBlock(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	funded := map[common.Address]bool{}
	for _, g := range genesis.Genesis {
		if (*uint256.Int)(&g.Balance).ToBig().Cmp(scenario.Funding()) == 0 {
			funded[g.Address] = true
		}
	}
	for _, a := range node.Addresses() {
		if !funded[a] {
			t.Errorf("genesis allocations lack %s with its funding", a)
		}
	}

	var txs, traces, events, suicides int
	for n := uint64(1); n <= head; n++ {
		d, err := auto.FetchBlock(ctx, n)
		if err != nil {
			t.Fatalf("FetchBlock(%d): %v", n, err)
		}
		d2, err := perTx.FetchBlock(ctx, n)
		if err != nil {
			t.Fatalf("FetchBlock(%d) with per-transaction receipts: %v", n, err)
		}
		if !bytes.Equal(reencode(t, d), reencode(t, d2)) {
			t.Errorf("block %d: block and tx receipt modes differ", n)
		}
		hash, parent, err := auto.BlockHash(ctx, n)
		if err != nil || hash != d.Block.Hash || parent != d.Block.ParentHash {
			t.Errorf("BlockHash(%d) = %s, %s, %v", n, hash, parent, err)
		}
		flat := FlattenCallTraces(&d.Block, d.CallTraces)
		traces += len(flat)
		for _, ft := range flat {
			r := &d.Receipts[ft.TxIndex]
			if len(ft.TraceAddress) == 0 && r.Status != nil && uint64(*r.Status) != uint64(ft.Status) {
				t.Errorf("block %d tx %d: receipt status %d, top trace status %d (%s)", n, ft.TxIndex, *r.Status, ft.Status, ft.Error)
			}
			if ft.TxHash == nil || *ft.TxHash != d.Block.Transactions[ft.TxIndex].Hash {
				t.Errorf("block %d tx %d: trace names transaction %v", n, ft.TxIndex, ft.TxHash)
			}
			if ft.Type == "suicide" {
				suicides++
				if ft.From == nil || ft.To == nil {
					t.Errorf("block %d tx %d: self-destruct without from/to: %+v", n, ft.TxIndex, ft)
				}
			}
		}
		for i := range d.Receipts {
			txs++
			for j := range d.Receipts[i].Logs {
				_, err := DecodeValueLog(&d.Receipts[i].Logs[j])
				var mal *MalformedLogError
				switch {
				case err == nil:
					events++
				case errors.As(err, &mal):
					t.Errorf("block %d: %v", n, err)
				}
			}
		}
	}
	if want := len(res.TxHashes); txs != want {
		t.Errorf("fetched %d transactions, the workload sent %d", txs, want)
	}
	if events == 0 || suicides == 0 {
		t.Errorf("%d value events and %d self-destructs: the workload makes both", events, suicides)
	}
	t.Logf("fetched %d blocks, %d transactions, %d flat traces (%d self-destructs), %d value events, %d genesis accounts", head, txs, traces, suicides, events, len(genesis.Genesis))
}
