package eth

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// ---- round trip: every modelled member survives decoding -----------------

// jsonSubset checks that every member of the node's JSON that our type
// models (ours, re-encoded) has the same value. Members we do not model are
// counted in unmodelled. It is what "the field is present in the decoded
// struct" means, for every field at once.
func jsonSubset(t testing.TB, path string, raw, ours json.RawMessage, unmodelled map[string]int) int {
	t.Helper()
	raw, ours = bytes.TrimSpace(raw), bytes.TrimSpace(ours)
	if len(raw) == 0 {
		return 0
	}
	switch raw[0] {
	case '{':
		var r, o map[string]json.RawMessage
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := json.Unmarshal(ours, &o); err != nil || o == nil {
			t.Errorf("%s: decoded to %s, node sent an object", path, clip(string(ours)))
			return 0
		}
		n := 0
		for k, v := range r {
			ov, ok := o[k]
			if !ok {
				unmodelled[k]++
				continue
			}
			n += jsonSubset(t, path+"."+k, v, ov, unmodelled)
		}
		return n
	case '[':
		var r, o []json.RawMessage
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := json.Unmarshal(ours, &o); err != nil || len(o) != len(r) {
			t.Errorf("%s: decoded to %s, node sent %d elements", path, clip(string(ours)), len(r))
			return 0
		}
		n := 0
		for i := range r {
			n += jsonSubset(t, fmt.Sprintf("%s[%d]", path, i), r[i], o[i], unmodelled)
		}
		return n
	}
	if !bytes.Equal(raw, ours) && !equalHexQuantity(raw, ours) {
		t.Errorf("%s: decoded to %s, node sent %s", path, clip(string(ours)), clip(string(raw)))
	}
	return 1
}

// equalHexQuantity accepts differences in letter case only ("0xAbC" from
// checksumming nodes).
func equalHexQuantity(a, b []byte) bool {
	return bytes.EqualFold(a, b) && len(a) > 3 && a[0] == '"' && a[1] == '0' && a[2] == 'x'
}

func reencode(t testing.TB, v any) json.RawMessage {
	t.Helper()
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// ---- execution-apis: every block, receipt and trace response decodes -------

type ioExchange struct {
	file     string
	request  string
	response string
}

// readIOFiles reads execution-apis .io files: ">>" request lines each
// followed by a "<<" response line.
func readIOFiles(t testing.TB, pattern string) []ioExchange {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	var out []ioExchange
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		var req string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, ">>"):
				req = strings.TrimSpace(line[2:])
			case strings.HasPrefix(line, "<<"):
				out = append(out, ioExchange{file: filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f), request: req, response: strings.TrimSpace(line[2:])})
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return out
}

// ioServer answers each recorded request (matched on method and params)
// with its recorded response.
func ioServer(t testing.TB, xs []ioExchange) *httptest.Server {
	t.Helper()
	answers := map[string]string{}
	for _, x := range xs {
		var req struct {
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
		}
		if err := json.Unmarshal([]byte(x.request), &req); err != nil {
			t.Fatalf("%s: request: %v", x.file, err)
		}
		answers[ioKey(req.Method, req.Params)] = x.response
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp, ok := answers[ioKey(req.Method, req.Params)]
		if !ok {
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"no recording"}}`, req.ID)
			return
		}
		var env map[string]json.RawMessage
		json.Unmarshal([]byte(resp), &env)
		env["id"] = req.ID
		json.NewEncoder(w).Encode(env)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func ioKey(method string, params json.RawMessage) string {
	var buf bytes.Buffer
	json.Compact(&buf, params)
	return method + " " + buf.String()
}

// TestExecutionAPIsResponsesDecode sends every recorded eth_getBlockBy*,
// eth_getBlockReceipts, debug_trace* (and, for the typed transaction
// fields, eth_getTransactionBy* and eth_getTransactionReceipt) request
// through the Client and decodes the answer.
func TestExecutionAPIsResponsesDecode(t *testing.T) {
	dir := sharedData(t, "execution-apis-rpc-tests/tests")
	var xs []ioExchange
	for _, m := range []string{"eth_getBlockByHash", "eth_getBlockByNumber", "eth_getBlockReceipts", "debug_traceBlockByHash",
		"debug_traceBlockByNumber", "debug_traceTransaction", "eth_getTransactionByHash", "eth_getTransactionByBlockHashAndIndex",
		"eth_getTransactionByBlockNumberAndIndex", "eth_getTransactionReceipt"} {
		xs = append(xs, readIOFiles(t, filepath.Join(dir, m, "*.io"))...)
	}
	if len(xs) == 0 {
		t.Fatalf("no .io files under %s", dir)
	}
	c := NewClient(ioServer(t, xs).URL, fastOpts(0))
	seen := map[string]int{} // field -> times found set
	unmodelled := map[string]int{}
	var decoded, notFound, rpcErrors, notFoundErrors, compared int
	for _, x := range xs {
		var req struct {
			Method string `json:"method"`
			Params []any  `json:"params"`
		}
		json.Unmarshal([]byte(x.request), &req)
		raw, err := c.Call(context.Background(), req.Method, req.Params...)
		if err != nil {
			var re *RPCError
			if !errors.As(err, &re) || re.Method != req.Method || re.Message == "" || !strings.Contains(err.Error(), re.Message) {
				t.Errorf("%s: error %v is not a clear *RPCError", x.file, err)
				continue
			}
			if strings.Contains(re.Message, "not found") != errors.Is(err, ErrNotFound) {
				t.Errorf("%s: errors.Is(%v, ErrNotFound) = %v", x.file, err, errors.Is(err, ErrNotFound))
			}
			if errors.Is(err, ErrNotFound) {
				notFoundErrors++
			}
			rpcErrors++
			continue
		}
		var v any
		switch {
		case strings.HasPrefix(req.Method, "eth_getBlockBy"):
			v, err = DecodeBlock(raw)
		case req.Method == "eth_getBlockReceipts":
			v, err = DecodeReceipts(raw)
		case req.Method == "eth_getTransactionReceipt":
			v, err = DecodeReceipt(raw)
		case strings.HasPrefix(req.Method, "eth_getTransactionBy"):
			v, err = DecodeTransaction(raw)
		case req.Method == "debug_traceTransaction":
			v, err = DecodeOpcodeTrace(raw)
		case strings.Contains(x.request, `"callTracer"`):
			v, err = DecodeCallTraces(raw)
		default:
			v, err = DecodeOpcodeTraces(raw)
		}
		if isNull(raw) {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: null result decoded to %v, want a not-found error", x.file, err)
			}
			notFound++
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", x.file, err)
			continue
		}
		decoded++
		ours := reencode(t, v)
		if b, ok := v.(*Block); ok && b.TransactionHashes != nil {
			// Hash-only blocks: the hashes live outside the JSON shape.
			var m map[string]json.RawMessage
			json.Unmarshal(ours, &m)
			m["transactions"] = reencode(t, b.TransactionHashes)
			ours = reencode(t, m)
		}
		compared += jsonSubset(t, x.file, raw, ours, unmodelled)
		noteForkFields(v, seen)
	}
	t.Logf("%d responses decoded, %d null results gave ErrNotFound, %d error objects gave *RPCError (%d of them ErrNotFound); %d values compared after decoding", decoded, notFound, rpcErrors, notFoundErrors, compared)
	keys := make([]string, 0, len(unmodelled))
	for k := range unmodelled {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("members not modelled (ignored): %v", keys)
	t.Logf("fork fields seen decoded: %v", seen)
	// These forks' fields are in the recorded chain; they must have come
	// through.
	for _, f := range []string{"baseFeePerGas", "withdrawals", "withdrawalsRoot", "blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot",
		"requestsHash", "tx.authorizationList", "tx.blobVersionedHashes", "tx.maxFeePerBlobGas", "receipt.blobGasUsed", "receipt.blobGasPrice"} {
		if seen[f] == 0 {
			t.Errorf("no decoded response had %s set", f)
		}
	}
}

// noteForkFields counts fork-specific fields set in a decoded value.
func noteForkFields(v any, seen map[string]int) {
	note := func(name string, set bool) {
		if set {
			seen[name]++
		}
	}
	tx := func(t *Transaction) {
		note("tx.authorizationList", len(t.AuthorizationList) > 0)
		note("tx.blobVersionedHashes", len(t.BlobVersionedHashes) > 0)
		note("tx.maxFeePerBlobGas", t.MaxFeePerBlobGas != nil)
		note("tx.accessList", len(t.AccessList) > 0)
	}
	receipt := func(r *Receipt) {
		note("receipt.blobGasUsed", r.BlobGasUsed != nil)
		note("receipt.blobGasPrice", r.BlobGasPrice != nil)
	}
	switch x := v.(type) {
	case *Block:
		note("baseFeePerGas", x.BaseFeePerGas != nil)
		note("withdrawals", len(x.Withdrawals) > 0)
		note("withdrawalsRoot", x.WithdrawalsRoot != nil)
		note("blobGasUsed", x.BlobGasUsed != nil)
		note("excessBlobGas", x.ExcessBlobGas != nil)
		note("parentBeaconBlockRoot", x.ParentBeaconBlockRoot != nil)
		note("requestsHash", x.RequestsHash != nil)
		for i := range x.Transactions {
			tx(&x.Transactions[i])
		}
	case *Transaction:
		tx(x)
	case *Receipt:
		receipt(x)
	case []Receipt:
		for i := range x {
			receipt(&x[i])
		}
	}
}

// TestETLRecordingsDecode decodes every block, receipt and trace ethereum-etl
// recorded and checks each modelled member against the node's JSON.
func TestETLRecordingsDecode(t *testing.T) {
	res := etlResources(t)
	files, _ := filepath.Glob(filepath.Join(res, "*", "*", "web3_response.*.json"))
	more, _ := filepath.Glob(filepath.Join(res, "test_export_tokens_job", "*", "eth_getBlockByNumber.json"))
	files = append(files, more...)
	unmodelled := map[string]int{}
	counts := map[string]int{}
	compared := 0
	for _, f := range files {
		base := filepath.Base(f)
		var decode func(json.RawMessage) (any, error)
		switch {
		case strings.Contains(base, "eth_getBlockByNumber"):
			decode = func(r json.RawMessage) (any, error) { return DecodeBlock(r) }
		case strings.Contains(base, "eth_getTransactionReceipt"):
			decode = func(r json.RawMessage) (any, error) { return DecodeReceipt(r) }
		case strings.Contains(base, "debug_traceBlockByNumber"):
			decode = func(r json.RawMessage) (any, error) { return DecodeCallTraces(r) }
		case strings.Contains(base, "trace_block"):
			decode = func(r json.RawMessage) (any, error) { return DecodeParityTraces(r) }
		default:
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(data, &env); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		v, err := decode(env.Result)
		if err != nil {
			t.Errorf("%s: %v", base, err)
			continue
		}
		ours := reencode(t, v)
		if b, ok := v.(*Block); ok && b.TransactionHashes != nil {
			var m map[string]json.RawMessage
			json.Unmarshal(ours, &m)
			m["transactions"] = reencode(t, b.TransactionHashes)
			ours = reencode(t, m)
		}
		compared += jsonSubset(t, base, env.Result, ours, unmodelled)
		counts[strings.SplitN(strings.TrimPrefix(base, "web3_response."), "_0x", 2)[0]]++
	}
	t.Logf("decoded %v; %d values compared; unmodelled members: %v", counts, compared, unmodelled)
}

// ---- DecodeBlock corner cases ------------------------------------------------

func TestDecodeNotFoundAndJunk(t *testing.T) {
	for name, dec := range map[string]func(json.RawMessage) error{
		"block":         func(r json.RawMessage) error { _, err := DecodeBlock(r); return err },
		"receipt":       func(r json.RawMessage) error { _, err := DecodeReceipt(r); return err },
		"receipts":      func(r json.RawMessage) error { _, err := DecodeReceipts(r); return err },
		"call traces":   func(r json.RawMessage) error { _, err := DecodeCallTraces(r); return err },
		"parity traces": func(r json.RawMessage) error { _, err := DecodeParityTraces(r); return err },
		"transaction":   func(r json.RawMessage) error { _, err := DecodeTransaction(r); return err },
	} {
		if err := dec(json.RawMessage("null")); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: null gave %v", name, err)
		}
		for _, junk := range []string{`{}`, `[`, `"x"`, `[{"a":1}]`, `{"hash":"0x12"}`, `[null]`} {
			if err := dec(json.RawMessage(junk)); err == nil && !(strings.Contains(name, "traces") && junk == `[{"a":1}]`) {
				t.Errorf("%s: %s decoded without error", name, junk)
			}
		}
	}
}

func TestDecodeErrorsSayWhere(t *testing.T) {
	h := `"0x` + strings.Repeat("ab", 32) + `"`
	for _, tc := range []struct{ in, want string }{
		{`{"hash":` + h + `,"transactions":[{"hash":` + h + `,"value":"0x01"}]}`, "transactions[0].value: hex number with leading zero digits"},
		{`{"hash":` + h + `,"transactions":[],"":[}`, "invalid character '}'"},
		{`{"hash":` + h + `,"transactions":[],"uncles":[` + h + `,"0x12"]}`, "uncles[1]: hex string has length 2, want 64 for common.Hash"},
		{`{"hash":` + h + `,"transactions":[]`, "unexpected end of JSON input"},
	} {
		_, err := DecodeBlock(json.RawMessage(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeBlock(%s) = %v, want %q", clip(tc.in), err, tc.want)
		}
	}
}

func TestDecodeHashOnlyBlock(t *testing.T) {
	raw := json.RawMessage(`{"number":"0x5","hash":"0x` + strings.Repeat("ab", 32) + `","transactions":["0x` + strings.Repeat("01", 32) + `","0x` + strings.Repeat("02", 32) + `"]}`)
	b, err := DecodeBlock(raw)
	if err != nil {
		t.Fatal(err)
	}
	if b.Transactions != nil || len(b.TransactionHashes) != 2 || b.TransactionHashes[1] != common.HexToHash("0x"+strings.Repeat("02", 32)) {
		t.Fatalf("transactions %v, hashes %v", b.Transactions, b.TransactionHashes)
	}
	_, err = DecodeBlockData(raw, json.RawMessage("[]"), nil, TracesNone)
	if err == nil || !strings.Contains(err.Error(), "block 5: eth_getBlockByNumber: block lists transaction hashes") {
		t.Fatalf("DecodeBlockData of a hash-only block: %v", err)
	}
}

// ---- DecodeBlockData consistency checks ---------------------------------------

func TestDecodeBlockDataChecks(t *testing.T) {
	base := newSynthBlock(12, 1)
	if d, err := base.decode(TracesDebug); err != nil {
		t.Fatalf("consistent block: %v", err)
	} else if len(d.CallTraces) != 12 || len(d.Receipts) != 12 {
		t.Fatalf("decoded %d receipts, %d call traces", len(d.Receipts), len(d.CallTraces))
	}
	if _, err := base.decode(TracesParity); err != nil {
		t.Fatalf("consistent block with parity traces: %v", err)
	}
	other := common.HexToHash("0xbad")
	for _, tc := range []struct {
		name   string
		kind   string
		mutate func(s *synthBlock)
		want   string
	}{
		{"receipt count", TracesNone, func(s *synthBlock) { s.receipts = s.receipts[:11] }, "block 1000000: receipts: 11 receipts for 12 transactions"},
		{"receipt block hash", TracesNone, func(s *synthBlock) { s.receipts[3].BlockHash = other }, "block 1000000: receipts: receipt 3 has blockHash"},
		{"receipt order", TracesNone, func(s *synthBlock) { s.receipts[2], s.receipts[3] = s.receipts[3], s.receipts[2] }, "block 1000000: receipts: receipt 2 is for transaction"},
		{"null receipt", TracesNone, func(s *synthBlock) { s.nullReceipt = 4 }, "block 1000000: receipts: decode receipts: receipt 4 is null"},
		{"tx block hash", TracesNone, func(s *synthBlock) { s.block.Transactions[5].BlockHash = &other }, "block 1000000: eth_getBlockByNumber: transaction 5"},
		{"call trace count", TracesDebug, func(s *synthBlock) { s.calls = s.calls[1:] }, "block 1000000: debug_traceBlockByNumber: 11 call traces for 12 transactions"},
		{"call trace hash", TracesDebug, func(s *synthBlock) { s.calls[7].TxHash = &other }, "block 1000000: debug_traceBlockByNumber: call trace 7 is for transaction"},
		{"tracer error", TracesDebug, func(s *synthBlock) { s.calls[2].Result, s.calls[2].Error = nil, "execution timeout" }, "call trace 2 (transaction"},
		{"opcode traces", TracesDebug, func(s *synthBlock) {
			s.rawCalls = json.RawMessage(`[{"result":{"gas":1,"failed":false,"returnValue":"0x","structLogs":[]}}]`)
		}, "dropped the tracer option"},
		{"parity block hash", TracesParity, func(s *synthBlock) { s.parity[0].BlockHash = other }, "block 1000000: trace_block: trace 0 has blockHash"},
		{"parity position", TracesParity, func(s *synthBlock) { p := uint64(12); s.parity[1].TransactionPosition = &p }, "block 1000000: trace_block: trace 1 has transactionPosition 12, block has 12 transactions"},
		{"traces kind", "vm", func(s *synthBlock) {}, `unknown traces kind "vm"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSynthBlock(12, 1)
			tc.mutate(s)
			_, err := s.decode(tc.kind)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			t.Logf("%v", err)
		})
	}
}

// ---- synthetic blocks ------------------------------------------------------------

// synthBlock is a self-consistent post-Cancun block with receipts and both
// kinds of traces, shaped like a busy mainnet block: a third plain
// transfers, the rest contract calls with logs and nested calls.
type synthBlock struct {
	block       Block
	receipts    []Receipt
	calls       []TxCallTrace
	parity      []ParityTrace
	nullReceipt int             // >= 0: that receipt is sent as null
	rawCalls    json.RawMessage // overrides calls when set
}

func newSynthBlock(ntx int, seed uint64) *synthBlock {
	rng := rand.New(rand.NewPCG(seed, 42))
	addr := func() common.Address {
		var a common.Address
		for i := range a {
			a[i] = byte(rng.IntN(256))
		}
		return a
	}
	hash := func() common.Hash {
		var h common.Hash
		for i := range h {
			h[i] = byte(rng.IntN(256))
		}
		return h
	}
	blob := func(n int) hexutil.Bytes {
		b := make(hexutil.Bytes, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	u := func(v uint64) *hexutil.U256 { return u256P(v) }
	u64 := func(v uint64) *hexutil.Uint64 { x := hexutil.Uint64(v); return &x }
	num := uint64(1_000_000)
	nonce := hexutil.Bytes(make([]byte, 8))
	s := &synthBlock{nullReceipt: -1}
	b := &s.block
	*b = Block{
		Number: hexutil.Uint64(num), Hash: hash(), ParentHash: hash(), Nonce: &nonce, Sha3Uncles: hash(), LogsBloom: blob(256),
		TransactionsRoot: hash(), StateRoot: hash(), ReceiptsRoot: hash(), Miner: addr(), Difficulty: u(0), Size: 120000,
		ExtraData: blob(12), GasLimit: 30_000_000, GasUsed: 15_000_000, Timestamp: 1_700_000_000, MixHash: ptrHash(hash()),
		Uncles: []common.Hash{}, BaseFeePerGas: u(20e9), WithdrawalsRoot: ptrHash(hash()), BlobGasUsed: u64(131072),
		ExcessBlobGas: u64(0), ParentBeaconBlockRoot: ptrHash(hash()), RequestsHash: ptrHash(hash()),
	}
	for i := 0; i < 16; i++ {
		b.Withdrawals = append(b.Withdrawals, Withdrawal{Index: hexutil.Uint64(1000 + i), ValidatorIndex: hexutil.Uint64(rng.IntN(1e6)), Address: addr(), Amount: hexutil.Uint64(rng.IntN(1e8))})
	}
	var cumulative uint64
	for i := 0; i < ntx; i++ {
		from, to := addr(), addr()
		typ := uint64(2)
		if i%7 == 0 {
			typ = 0
		}
		contract := i%3 != 0
		var input hexutil.Bytes = hexutil.Bytes{}
		if contract {
			input = blob(4 + 32*rng.IntN(12))
		}
		tx := Transaction{
			Hash: hash(), Nonce: hexutil.Uint64(rng.IntN(5000)), BlockHash: &b.Hash, BlockNumber: u64(num), TransactionIndex: u64(uint64(i)),
			From: from, To: &to, Value: *u(rng.Uint64N(1e18)), Gas: hexutil.Uint64(21000 + rng.IntN(500000)), GasPrice: u(25e9),
			Input: input, Type: u64(typ), ChainID: u(1), V: u(1), R: u(rng.Uint64()), S: u(rng.Uint64()), YParity: u64(1),
		}
		if typ == 2 {
			tx.MaxFeePerGas, tx.MaxPriorityFeePerGas = u(40e9), u(2e9)
			if i%5 == 0 {
				tx.AccessList = []AccessTuple{{Address: addr(), StorageKeys: []common.Hash{hash(), hash()}}}
			}
		}
		b.Transactions = append(b.Transactions, tx)
		gasUsed := 21000 + rng.Uint64N(200000)
		cumulative += gasUsed
		r := Receipt{
			TransactionHash: tx.Hash, TransactionIndex: hexutil.Uint64(i), BlockHash: b.Hash, BlockNumber: hexutil.Uint64(num),
			From: from, To: &to, CumulativeGasUsed: hexutil.Uint64(cumulative), GasUsed: hexutil.Uint64(gasUsed),
			Logs: []Log{}, LogsBloom: blob(256), Status: u64(1), EffectiveGasPrice: u(22e9), Type: u64(typ),
		}
		root := &CallFrame{Type: "CALL", From: from, To: &to, Value: &tx.Value, Gas: tx.Gas, GasUsed: hexutil.Uint64(gasUsed), Input: input, Output: hexutil.Bytes{}}
		pos := uint64(i)
		ptx := func(typ string, addr []int, a ParityAction, res *ParityResult, sub int) ParityTrace {
			return ParityTrace{Action: a, Result: res, Subtraces: sub, TraceAddress: addr, TransactionHash: &tx.Hash, TransactionPosition: &pos, BlockNumber: num, BlockHash: b.Hash, Type: typ}
		}
		rootGas := tx.Gas
		s.parity = append(s.parity, ptx("call", []int{}, ParityAction{CallType: "call", From: &from, To: &to, Value: &tx.Value, Gas: &rootGas, Input: input}, &ParityResult{GasUsed: u64(gasUsed), Output: hexutil.Bytes{}}, 0))
		rootIdx := len(s.parity) - 1
		if contract {
			for j := 0; j < rng.IntN(6); j++ {
				token := addr()
				r.Logs = append(r.Logs, Log{
					Address: token, Topics: []common.Hash{TopicTransfer, common.BytesToHash(from[:]), common.BytesToHash(addr().Bytes())},
					Data: blob(32), BlockNumber: hexutil.Uint64(num), BlockHash: b.Hash, TransactionHash: tx.Hash,
					TransactionIndex: hexutil.Uint64(i), LogIndex: hexutil.Uint64(j),
				})
			}
			for j := 0; j < rng.IntN(5); j++ {
				callee := addr()
				child := CallFrame{Type: []string{"CALL", "STATICCALL", "DELEGATECALL"}[rng.IntN(3)], From: to, To: &callee, Gas: hexutil.Uint64(rng.IntN(100000)), GasUsed: hexutil.Uint64(rng.IntN(50000)), Input: blob(4 + 32*rng.IntN(4)), Output: blob(32)}
				if child.Type == "CALL" {
					child.Value = u(rng.Uint64N(1e15))
				}
				if rng.IntN(3) == 0 {
					leaf := addr()
					child.Calls = []CallFrame{{Type: "STATICCALL", From: callee, To: &leaf, Gas: 5000, GasUsed: 2000, Input: blob(36), Output: blob(32)}}
				}
				root.Calls = append(root.Calls, child)
				cg := child.Gas
				s.parity = append(s.parity, ptx("call", []int{j}, ParityAction{CallType: strings.ToLower(child.Type), From: &to, To: &callee, Value: u(0), Gas: &cg, Input: child.Input}, &ParityResult{GasUsed: u64(uint64(child.GasUsed)), Output: child.Output}, len(child.Calls)))
				s.parity[rootIdx].Subtraces++
			}
		}
		s.receipts = append(s.receipts, r)
		s.calls = append(s.calls, TxCallTrace{TxHash: &tx.Hash, Result: root})
	}
	miner := b.Miner
	s.parity = append(s.parity, ParityTrace{Action: ParityAction{Author: &miner, Value: u(2e18), RewardType: "block"}, Subtraces: 0, TraceAddress: []int{}, BlockNumber: num, BlockHash: b.Hash, Type: "reward"})
	return s
}

func ptrHash(h common.Hash) *common.Hash { return &h }

// raw encodes the block's responses as a node would send them.
func (s *synthBlock) raw() (block, receipts, calls, parity json.RawMessage) {
	must := func(v any) json.RawMessage {
		js, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return js
	}
	rs := make([]any, len(s.receipts))
	for i := range s.receipts {
		rs[i] = &s.receipts[i]
		if i == s.nullReceipt {
			rs[i] = nil
		}
	}
	calls = s.rawCalls
	if calls == nil {
		calls = must(s.calls)
	}
	return must(&s.block), must(rs), calls, must(s.parity)
}

func (s *synthBlock) decode(kind string) (*BlockData, error) {
	block, receipts, calls, parity := s.raw()
	traces := calls
	if kind == TracesParity {
		traces = parity
	}
	return DecodeBlockData(block, receipts, traces, kind)
}

// ---- benchmark -------------------------------------------------------------------

// BenchmarkDecodeBlockData decodes a synthetic 200-transaction block with
// receipts, logs and call traces, and reports throughput over the raw JSON.
func BenchmarkDecodeBlockData(b *testing.B) {
	for _, tc := range []struct {
		name string
		kind string
	}{{"callTracer", TracesDebug}, {"parity", TracesParity}} {
		b.Run(tc.name, func(b *testing.B) {
			s := newSynthBlock(200, 7)
			block, receipts, calls, parity := s.raw()
			traces := calls
			if tc.kind == TracesParity {
				traces = parity
			}
			b.SetBytes(int64(len(block) + len(receipts) + len(traces)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := DecodeBlockData(block, receipts, traces, tc.kind); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// The same work through encoding/json, for comparison.
	b.Run("callTracer-encoding-json", func(b *testing.B) {
		block, receipts, calls, _ := newSynthBlock(200, 7).raw()
		b.SetBytes(int64(len(block) + len(receipts) + len(calls)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := stdDecodeBlock(block); err != nil {
				b.Fatal(err)
			}
			if _, err := stdDecodeReceipts(receipts); err != nil {
				b.Fatal(err)
			}
			if _, err := stdDecodeCallTraces(calls); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// ---- fuzzing ---------------------------------------------------------------------

// addSharedSeeds adds the results of recorded responses of method found
// under ../shared/data, when it is there.
func addSharedSeeds(f *testing.F, methods ...string) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "shared", "data"))
	if err != nil {
		return
	}
	for _, m := range methods {
		files, _ := filepath.Glob(filepath.Join(dir, "execution-apis-rpc-tests", "tests", m, "*.io"))
		for _, x := range readIOFiles(f, filepath.Join(dir, "execution-apis-rpc-tests", "tests", m, "*.io")) {
			var env struct {
				Result json.RawMessage `json:"result"`
			}
			if json.Unmarshal([]byte(x.response), &env) == nil && len(env.Result) > 0 && len(env.Result) < 64<<10 {
				f.Add([]byte(env.Result))
			}
		}
		_ = files
		etl, _ := filepath.Glob(filepath.Join(dir, "ethereum-etl-tests", "tests", "resources", "*", "*", "web3_response."+m+"_*.json"))
		for _, p := range etl {
			data, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			var env struct {
				Result json.RawMessage `json:"result"`
			}
			if json.Unmarshal(data, &env) == nil && len(env.Result) > 0 {
				f.Add([]byte(env.Result))
			}
		}
	}
}

func FuzzDecodeBlock(f *testing.F) {
	s := newSynthBlock(2, 3)
	block, _, _, _ := s.raw()
	f.Add([]byte(block))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"hash":"0x` + strings.Repeat("00", 31) + `01","number":"0x1","transactions":["0x` + strings.Repeat("11", 32) + `"]}`))
	f.Add([]byte(`{"hash":"0x` + strings.Repeat("00", 31) + `01","transactions":[{"hash":"0x12","value":"0x01"}]}`))
	addSharedSeeds(f, "eth_getBlockByNumber", "eth_getBlockByHash")
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBlock(data)
		if err != nil {
			return
		}
		if b.Hash == (common.Hash{}) {
			t.Fatal("decoded a block without hash")
		}
		if b.Transactions != nil && len(b.TransactionHashes) > 0 {
			t.Fatal("both full transactions and hashes")
		}
		// Whatever decodes must re-encode and decode to the same block.
		js, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if b.TransactionHashes == nil {
			b2, err := DecodeBlock(js)
			if err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			js2, _ := json.Marshal(b2)
			if !bytes.Equal(js, js2) {
				t.Fatalf("round trip differs:\n%s\n%s", js, js2)
			}
		}
	})
}

func FuzzDecodeReceipts(f *testing.F) {
	s := newSynthBlock(3, 4)
	_, receipts, _, _ := s.raw()
	f.Add([]byte(receipts))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[null]`))
	f.Add([]byte(`[{"transactionHash":"0x` + strings.Repeat("ab", 32) + `","logs":[{"topics":["0x01"],"data":"0x"}]}]`))
	addSharedSeeds(f, "eth_getBlockReceipts")
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := DecodeReceipts(data)
		if err != nil {
			return
		}
		for i := range rs {
			if rs[i].TransactionHash == (common.Hash{}) {
				t.Fatalf("receipt %d without transaction hash", i)
			}
			for j := range rs[i].Logs {
				DecodeValueLog(&rs[i].Logs[j]) // must not panic either
			}
		}
	})
}

func FuzzDecodeCallTraces(f *testing.F) {
	s := newSynthBlock(3, 5)
	_, _, calls, _ := s.raw()
	f.Add([]byte(calls))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"result":{"type":"SELFDESTRUCT"}}]`))
	f.Add([]byte(`[{"txHash":"0x` + strings.Repeat("ab", 32) + `","error":"execution timeout"}]`))
	addSharedSeeds(f, "debug_traceBlockByNumber")
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := DecodeCallTraces(data)
		if err != nil {
			return
		}
		flat := FlattenCallTraces(nil, ts)
		for _, ft := range flat {
			if ft.Status != 0 && ft.Status != 1 {
				t.Fatalf("status %d", ft.Status)
			}
		}
	})
}

// ---- the reference: the same decoders on encoding/json ------------------------------

// The std* functions decode with encoding/json and the hexutil types'
// UnmarshalJSON methods, the obvious and slow way. The reader in decode.go
// must agree with them on every input: same success, same values.

func stdDecodeBlock(raw json.RawMessage) (*Block, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("block: %w (null result)", ErrNotFound)
	}
	b := new(Block)
	if err := json.Unmarshal(raw, b); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || !strings.HasPrefix(te.Field, "transactions") || te.Value != "string" {
			return nil, err
		}
		var w struct {
			Block
			Transactions []common.Hash `json:"transactions"`
		}
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, err
		}
		*b = w.Block
		b.Transactions, b.TransactionHashes = nil, w.Transactions
	}
	var probe struct {
		Transactions json.RawMessage `json:"transactions"`
	}
	json.Unmarshal(raw, &probe)
	if err := checkBlockFields(b, probe.Transactions != nil); err != nil {
		return nil, err
	}
	return b, nil
}

func stdDecodeReceipts(raw json.RawMessage) ([]Receipt, error) {
	if isNull(raw) {
		return nil, ErrNotFound
	}
	var rs []*Receipt
	if err := json.Unmarshal(raw, &rs); err != nil {
		return nil, err
	}
	out := make([]Receipt, len(rs))
	for i, r := range rs {
		if r == nil || r.TransactionHash == (common.Hash{}) {
			return nil, errors.New("null or hashless receipt")
		}
		out[i] = *r
	}
	return out, nil
}

func stdDecodeCallTraces(raw json.RawMessage) ([]TxCallTrace, error) {
	if isNull(raw) {
		return nil, ErrNotFound
	}
	var ts []TxCallTrace
	if err := json.Unmarshal(raw, &ts); err != nil {
		return nil, err
	}
	for i := range ts {
		if ts[i].Result == nil && ts[i].Error == "" {
			return nil, errors.New("neither result nor error")
		}
	}
	return ts, nil
}

func stdDecodeParityTraces(raw json.RawMessage) ([]ParityTrace, error) {
	if isNull(raw) {
		return nil, ErrNotFound
	}
	var ts []ParityTrace
	if err := json.Unmarshal(raw, &ts); err != nil {
		return nil, err
	}
	for i := range ts {
		if ts[i].Type == "" {
			return nil, errors.New("no type")
		}
	}
	return ts, nil
}

// stdDecodeHashed decodes one object with encoding/json and requires its
// hash, as the fast decoder does for transactions and receipts.
func stdDecodeHashed[T any](raw json.RawMessage, hash func(*T) common.Hash) (*T, error) {
	if isNull(raw) {
		return nil, ErrNotFound
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, err
	}
	if hash(v) == (common.Hash{}) {
		return nil, errors.New("no hash")
	}
	return v, nil
}

func stdDecodeTransaction(raw json.RawMessage) (*Transaction, error) {
	return stdDecodeHashed(raw, func(t *Transaction) common.Hash { return t.Hash })
}

func stdDecodeReceipt(raw json.RawMessage) (*Receipt, error) {
	return stdDecodeHashed(raw, func(r *Receipt) common.Hash { return r.TransactionHash })
}

// hasDuplicateKeys reports whether some object in data repeats a key
// (compared the way encoding/json matches names, case-insensitively).
// JSON leaves the meaning of that open, and the two decoders differ.
func hasDuplicateKeys(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		keys   []string
		key    bool // the next token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if s, ok := tok.(string); ok {
				for _, k := range top.keys {
					if strings.EqualFold(k, s) || bytes.EqualFold([]byte(k), []byte(s)) {
						return true
					}
				}
				top.keys = append(top.keys, s)
				top.key = false
				continue
			}
		}
		if top != nil && top.object && !top.key {
			top.key = true // after this value
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, key: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].key = true
			}
		}
	}
}

// checkSameDecoding fails when the reader and encoding/json disagree on data.
func checkSameDecoding[T any](t *testing.T, what string, data []byte, fast, std func(json.RawMessage) (T, error)) {
	t.Helper()
	got, errFast := fast(data)
	want, errStd := std(data)
	if errFast != nil {
		_ = errFast.Error() // formatting the error must not panic either
	}
	if hasDuplicateKeys(data) {
		return
	}
	if (errFast == nil) != (errStd == nil) {
		t.Fatalf("%s of %q:\nreader:        %v\nencoding/json: %v", what, clip(string(data)), errFast, errStd)
	}
	if errFast == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s of %q differs:\nreader:        %s\nencoding/json: %s", what, clip(string(data)), reencode(t, got), reencode(t, want))
	}
}

func checkAllDecoders(t *testing.T, data []byte) {
	checkSameDecoding(t, "DecodeBlock", data, DecodeBlock, stdDecodeBlock)
	checkSameDecoding(t, "DecodeReceipts", data, DecodeReceipts, stdDecodeReceipts)
	checkSameDecoding(t, "DecodeReceipt", data, DecodeReceipt, stdDecodeReceipt)
	checkSameDecoding(t, "DecodeTransaction", data, DecodeTransaction, stdDecodeTransaction)
	checkSameDecoding(t, "DecodeCallTraces", data, DecodeCallTraces, stdDecodeCallTraces)
	checkSameDecoding(t, "DecodeParityTraces", data, DecodeParityTraces, stdDecodeParityTraces)
}

// TestDecodersMatchEncodingJSON runs the differential check over every real
// response at hand and over hand-made corner cases.
func TestDecodersMatchEncodingJSON(t *testing.T) {
	for _, c := range decoderCorpus(t) {
		checkAllDecoders(t, c)
	}
}

// decoderCorpus is real responses (when ../shared is there), synthetic
// blocks and corner cases of the hex and JSON rules.
func decoderCorpus(t testing.TB) [][]byte {
	var out [][]byte
	s := newSynthBlock(20, 9)
	block, receipts, calls, parity := s.raw()
	out = append(out, block, receipts, calls, parity)
	h := `"0x` + strings.Repeat("ab", 32) + `"`
	for _, v := range []string{`""`, `"0x"`, `"0x0"`, `"0x00"`, `"0x01"`, `"0X1"`, `"0x1g"`, `"1"`, `null`, `1`, `"0x` + strings.Repeat("f", 16) + `"`,
		`"0x1` + strings.Repeat("0", 16) + `"`, `"0x` + strings.Repeat("f", 64) + `"`, `"0x1` + strings.Repeat("0", 64) + `"`, `"0x\u0031"`, `{}`, `[]`, `true`} {
		for _, f := range []string{"number", "value", "gasPrice", "input", "nonce", "to", "from", "hash", "NUMBER", "vaLue"} {
			out = append(out, []byte(`{"hash":`+h+`,"transactions":[],"`+f+`":`+v+`}`))
			out = append(out, []byte(`{"hash":`+h+`,"transactions":[{"hash":`+h+`,"`+f+`":`+v+`}]}`))
		}
		for _, f := range []string{"type", "error", "subtraces", "traceAddress", "transactionPosition", "blockNumber", "gas", "output"} {
			out = append(out, []byte(`[{"type":"call","action":{},"`+f+`":`+v+`}]`))
			out = append(out, []byte(`[{"result":{"type":"CALL","calls":[{"`+f+`":`+v+`}]}}]`))
		}
	}
	for _, j := range []string{`null`, ` null `, "\fnull", `{}`, `[]`, `[null]`, `{"hash":` + h + `}`, `{"hash":` + h + `,"transactions":null}`,
		`{"hash":` + h + `,"transactions":[` + h + `]}`, `{"hash":` + h + `,"transactions":[` + h + `,{}]}`, `{"hash":` + h + `,"transactions":[null]}`,
		`{"hash":` + h + `,"transactions":[],"extra":{"a":[1,2.5e-3,-0,"\u00e9\n",true,false,null]}}`, `{"hash":` + h + `,"transactions":[]} x`,
		`{"hash":` + h + `,"transactions":[],}`, `{"hash":` + h + `,"transactions":[1]}`, `[{"subtraces":-0,"type":"x","traceAddress":[0,-1,1e2]}]`,
		`[{"type":"\u0063all","error":"bad \ud800 surrogate","action":{"callType":"caf\xc3"}}]`, `[{"result":{"type":"CALL"},"error":"x"}]`,
		`{"hash":` + h + `,"transactions":[],"\u0068ash":` + h + `}`, `{"hash":` + h + `,"transactions":[],"uncles":[` + h + `,null]}`,
		`[{"transactionHash":` + h + `,"logs":[{"removed":true,"topics":[]}],"status":null}]`, `[{"transactionHash":` + h + `,"logs":null,"root":"0x"}]`,
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001), `[{"type":"x","blockNumber":18446744073709551616}]`, `[{"type":"x","subtraces":1.0}]`,
	} {
		out = append(out, []byte(j))
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "shared", "data"))
	if err != nil {
		return out
	}
	for _, m := range []string{"eth_getBlockByNumber", "eth_getBlockByHash", "eth_getBlockReceipts", "debug_traceBlockByNumber", "eth_getTransactionByHash", "eth_getTransactionReceipt"} {
		for _, x := range readIOFiles(t, filepath.Join(dir, "execution-apis-rpc-tests", "tests", m, "*.io")) {
			var env struct {
				Result json.RawMessage `json:"result"`
			}
			if json.Unmarshal([]byte(x.response), &env) == nil && len(env.Result) > 0 {
				out = append(out, env.Result)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "ethereum-etl-tests", "tests", "resources", "*", "*", "web3_response.*.json"))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var env struct {
			Result json.RawMessage `json:"result"`
		}
		if json.Unmarshal(data, &env) == nil && len(env.Result) > 0 {
			out = append(out, env.Result)
		}
	}
	return out
}

// FuzzDecodersMatchEncodingJSON looks for inputs on which the reader and
// encoding/json disagree. Neither may panic.
func FuzzDecodersMatchEncodingJSON(f *testing.F) {
	for _, c := range decoderCorpus(f) {
		if len(c) < 8<<10 { // big seeds make each run and any minimisation slow
			f.Add(c)
		}
	}
	f.Fuzz(checkAllDecoders)
}
