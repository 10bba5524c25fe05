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
