package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/store"
)

// faultProxy forwards JSON-RPC to a real node. When a request (alone or in
// a batch) matches, either whole replaces the entire HTTP answer, or elem
// rewrites that request's element of the answer.
type faultProxy struct {
	node   string
	match  func(method string, params []json.RawMessage) bool
	whole  func(w http.ResponseWriter, real []byte)
	elem   func(t *testing.T, elem json.RawMessage) json.RawMessage
	t      *testing.T
	faults atomic.Int32
}

type rpcReq struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	batch := bytes.HasPrefix(bytes.TrimSpace(body), []byte("["))
	var reqs []rpcReq
	if batch {
		json.Unmarshal(body, &reqs)
	} else {
		var one rpcReq
		json.Unmarshal(body, &one)
		reqs = []rpcReq{one}
	}
	resp, err := http.Post(p.node, "application/json", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	real, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	w.Header().Set("Content-Type", "application/json")
	for _, q := range reqs {
		if !p.match(q.Method, q.Params) {
			continue
		}
		p.faults.Add(1)
		if p.whole != nil {
			p.whole(w, real)
			return
		}
		w.Write(p.rewrite(real, batch, q.ID))
		return
	}
	w.Write(real)
}

// rewrite applies elem to the answer element with the given id.
func (p *faultProxy) rewrite(real []byte, batch bool, id json.RawMessage) []byte {
	var elems []map[string]json.RawMessage
	if batch {
		if err := json.Unmarshal(real, &elems); err != nil {
			p.t.Fatalf("node answer: %v", err)
		}
	} else {
		elems = make([]map[string]json.RawMessage, 1)
		if err := json.Unmarshal(real, &elems[0]); err != nil {
			p.t.Fatalf("node answer: %v", err)
		}
	}
	for _, e := range elems {
		if bytes.Equal(e["id"], id) {
			e["result"] = p.elem(p.t, e["result"])
		}
	}
	var out []byte
	if batch {
		out, _ = json.Marshal(elems)
	} else {
		out, _ = json.Marshal(elems[0])
	}
	return out
}

// forBlock matches a method called for block n (first parameter).
func forBlock(method string, n uint64) func(string, []json.RawMessage) bool {
	want := fmt.Sprintf(`"0x%x"`, n)
	return func(m string, params []json.RawMessage) bool {
		return m == method && len(params) > 0 && string(params[0]) == want
	}
}

// TestBadNodeResponsesLeaveStoreUnchanged ingests a chain, lets the node
// seal one more block, then serves a broken answer for that block in several
// ways. Each run must fail with an error naming the method and the block,
// exit non-zero and leave the store exactly as it was.
func TestBadNodeResponsesLeaveStoreUnchanged(t *testing.T) {
	n := newNode(t, scenario.NodeConfig{})
	workload(t, n, 60, 5)
	dir := t.TempDir()
	mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", dir)
	before := export(t, dir)
	workload(t, n, 20, 6)                 // a new block the broken answers are about
	if _, err := n.Commit(); err != nil { // and one above it, where ingest probes the node's abilities
		t.Fatal(err)
	}
	next := mustCursor(t, dir) + 1

	truncate := func(w http.ResponseWriter, real []byte) { w.Write(real[:len(real)/2]) }
	garbage := func(w http.ResponseWriter, _ []byte) {
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{"number":[}`)
	}
	cases := []struct {
		name   string
		method string
		whole  func(w http.ResponseWriter, real []byte)
		elem   func(t *testing.T, e json.RawMessage) json.RawMessage
		want   []string
	}{
		{name: "garbage JSON", method: "eth_getBlockByNumber", whole: garbage, want: []string{"invalid JSON"}},
		{name: "HTTP 500", method: "eth_getBlockReceipts", whole: func(w http.ResponseWriter, _ []byte) { http.Error(w, "upstream exploded", 500) }, want: []string{"500"}},
		{name: "truncated body", method: "debug_traceBlockByNumber", whole: truncate, want: []string{"truncated"}},
		{name: "receipt missing", method: "eth_getBlockReceipts", elem: dropLast, want: []string{"eth_getBlockReceipts", "receipt"}},
		{name: "block hash mismatch", method: "eth_getBlockReceipts", elem: otherBlockHash, want: []string{"eth_getBlockReceipts", "blockHash"}},
		{name: "block null", method: "eth_getBlockByNumber", elem: func(*testing.T, json.RawMessage) json.RawMessage { return json.RawMessage("null") }, want: []string{"eth_getBlockByNumber", "not found"}},
		{name: "trace missing", method: "debug_traceBlockByNumber", elem: dropLast, want: []string{"debug_traceBlockByNumber"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &faultProxy{node: n.URL(), match: forBlock(c.method, next), whole: c.whole, elem: c.elem, t: t}
			srv := httptest.NewServer(p)
			defer srv.Close()
			_, errs, code := cli(t, "ingest", "eth", "--rpc", srv.URL, "--data", dir, "--retries", "1", "--workers", "1")
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s", code, errs)
			}
			if p.faults.Load() == 0 {
				t.Fatal("the fault was never served: the test is not testing anything")
			}
			for _, w := range append([]string{fmt.Sprintf("block %d", next)}, c.want...) {
				if !strings.Contains(errs, w) {
					t.Errorf("error does not mention %q:\n%s", w, errs)
				}
			}
			if after := export(t, dir); after != before {
				t.Fatal("a failed ingest changed the store")
			}
		})
	}
}

// dropLast removes the last element of an array result.
func dropLast(t *testing.T, e json.RawMessage) json.RawMessage {
	var arr []json.RawMessage
	if err := json.Unmarshal(e, &arr); err != nil || len(arr) == 0 {
		t.Fatalf("want a non-empty array, got %.200s (%v)", e, err)
	}
	out, _ := json.Marshal(arr[:len(arr)-1])
	return out
}

// otherBlockHash makes every receipt claim another (well-formed) block hash.
func otherBlockHash(t *testing.T, e json.RawMessage) json.RawMessage {
	var arr []map[string]json.RawMessage
	if err := json.Unmarshal(e, &arr); err != nil || len(arr) == 0 {
		t.Fatalf("want receipts, got %.200s (%v)", e, err)
	}
	for _, r := range arr {
		r["blockHash"] = json.RawMessage(`"0x` + strings.Repeat("ab", 32) + `"`)
	}
	out, _ := json.Marshal(arr)
	return out
}

func mustCursor(t *testing.T, dir string) uint64 {
	t.Helper()
	return cursorOf(t, dir, chain.Ethereum)
}

// cursorOf is the last block of chain c in the store at dir.
func cursorOf(t *testing.T, dir string, c chain.Chain) uint64 {
	t.Helper()
	st, err := store.Open(dir, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cur, ok, err := st.Cursor(c)
	if err != nil || !ok {
		t.Fatalf("cursor of %s: ok=%v err=%v", dir, ok, err)
	}
	return cur.Height
}

func TestUnreachableNode(t *testing.T) {
	dir := t.TempDir()
	_, errs, code := cli(t, "ingest", "eth", "--rpc", "http://127.0.0.1:1", "--data", dir, "--retries", "0")
	if code != 1 || !containsAll(errs, "127.0.0.1:1", "refused") {
		t.Fatalf("exit %d, want 1 with an error naming the node and the refusal:\n%s", code, errs)
	}
}

// TestStoreOfAnotherChain refuses to mix chains in one data directory: by
// chain id, and by genesis for the same chain id.
func TestStoreOfAnotherChain(t *testing.T) {
	a := newNode(t, scenario.NodeConfig{ChainID: 1337})
	workload(t, a, 20, 1)
	dir := t.TempDir()
	mustCLI(t, "ingest", "eth", "--rpc", a.URL(), "--data", dir)
	before := export(t, dir)

	b := newNode(t, scenario.NodeConfig{ChainID: 1338})
	_, errs, code := cli(t, "ingest", "eth", "--rpc", b.URL(), "--data", dir)
	if code != 1 || !containsAll(errs, "eip155:1337", "eip155:1338") {
		t.Fatalf("other chain id: exit %d, want 1 naming both chains:\n%s", code, errs)
	}
	c := newNode(t, scenario.NodeConfig{ChainID: 1337, Accounts: 3}) // same id, other genesis
	_, errs, code = cli(t, "ingest", "eth", "--rpc", c.URL(), "--data", dir)
	if code != 1 || !strings.Contains(errs, "genesis") {
		t.Fatalf("other genesis: exit %d, want 1 naming the genesis:\n%s", code, errs)
	}
	if after := export(t, dir); after != before {
		t.Fatal("a refused ingest changed the store")
	}
}

// TestUnreachableNodeLeavesNoStore: a run that cannot reach its node must not
// create or initialise the data directory.
func TestUnreachableNodeLeavesNoStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if _, _, code := cli(t, "ingest", "eth", "--rpc", "http://127.0.0.1:1", "--data", dir, "--retries", "0"); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a failed ingest created %s (%v)", dir, err)
	}
}
