package eth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fastOpts retries quickly so that failure paths take milliseconds.
func fastOpts(retries int) ClientOptions {
	return ClientOptions{MaxRetries: retries, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, Timeout: 5 * time.Second}
}

// rpcEcho answers every single call with result = the method name.
func rpcEcho(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%q}`, req.ID, req.Method)
}

func TestClientRetries429ThenSucceeds(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		rpcEcho(w, r)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, fastOpts(6))
	res, err := c.Call(context.Background(), "eth_blockNumber")
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	if string(res) != `"eth_blockNumber"` || calls.Load() != 3 {
		t.Fatalf("got %s after %d calls, want the echo after 3", res, calls.Load())
	}
}

func TestClientHonoursRetryAfter(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		rpcEcho(w, r)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, fastOpts(6))
	start := time.Now()
	if _, err := c.Call(context.Background(), "eth_chainId"); err != nil {
		t.Fatal(err)
	}
	// The backoff alone is at most 5ms, so a wait near a second is the header's.
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Fatalf("retried after %v, want the 1s of Retry-After", waited)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2025, 2, 21, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		h    string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"-3", 0}, {"2", 2 * time.Second}, {"junk", 0},
		{"Fri, 21 Feb 2025 12:00:07 GMT", 7 * time.Second},
		{"Fri, 21 Feb 2025 11:00:00 GMT", 0},
		{"86400", maxRetryAfter},
	} {
		if got := retryAfter(tc.h, now); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.h, got, tc.want)
		}
	}
}

func TestClient500ForeverNamesMethodAndStatus(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "internal trouble: database is locked", http.StatusInternalServerError)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, fastOpts(6))
	_, err := c.Call(context.Background(), "eth_getBlockByNumber", "0x10", true)
	if err == nil {
		t.Fatal("want an error")
	}
	t.Logf("error: %v", err)
	msg := err.Error()
	for _, want := range []string{"eth_getBlockByNumber(0x10,true)", "http 500 from " + srv.URL, "database is locked", "after 2 retries"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 500 {
		t.Errorf("error is not an *HTTPError with status 500: %#v", err)
	}
	if got := calls.Load(); got != 1+maxServerErrorRetries {
		t.Errorf("%d attempts, want %d", got, 1+maxServerErrorRetries)
	}
}

func TestClient503RetriesUpToMax(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, fastOpts(4))
	_, err := c.Call(context.Background(), "eth_blockNumber")
	if err == nil || !strings.Contains(err.Error(), "http 503") || !strings.Contains(err.Error(), "after 4 retries") {
		t.Fatalf("err = %v", err)
	}
	if calls.Load() != 5 {
		t.Fatalf("%d attempts, want 5", calls.Load())
	}
}

func TestClientTruncatedBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":[{"blockHash":"0x`)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, fastOpts(2))
	_, err := c.Call(context.Background(), "eth_getBlockReceipts", "0x10")
	if err == nil {
		t.Fatal("want an error")
	}
	t.Logf("error: %v", err)
	for _, want := range []string{"eth_getBlockReceipts(0x10)", "truncated or invalid JSON response", "unexpected end of JSON input"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestClientGarbageJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html><body>Welcome to nginx!</body></html>")
	}))
	defer srv.Close()
	c := NewClient(srv.URL, fastOpts(2))
	_, err := c.Call(context.Background(), "eth_chainId")
	if err == nil || !strings.Contains(err.Error(), "eth_chainId(): truncated or invalid JSON response") || !strings.Contains(err.Error(), "nginx") {
		t.Fatalf("err = %v", err)
	}
}

func TestClientNeitherResultNorError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"jsonrpc":"2.0","id":1}`)
	}))
	defer srv.Close()
	_, err := NewClient(srv.URL, fastOpts(0)).Call(context.Background(), "eth_chainId")
	if err == nil || !strings.Contains(err.Error(), "neither result nor error") {
		t.Fatalf("err = %v", err)
	}
}

func TestClientConnectionRefusedNamesURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	c := NewClient(url, fastOpts(3))
	_, err = c.Call(context.Background(), "eth_blockNumber")
	if err == nil {
		t.Fatal("want an error")
	}
	t.Logf("error: %v", err)
	for _, want := range []string{"eth_blockNumber()", "connection refused", url, "after 3 retries"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestClientPerAttemptTimeoutIsRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			io.Copy(io.Discard, r.Body) // so the server notices the client hanging up
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		rpcEcho(w, r)
	}))
	defer srv.Close()
	opts := fastOpts(3)
	opts.Timeout = 100 * time.Millisecond
	if _, err := NewClient(srv.URL, opts).Call(context.Background(), "eth_blockNumber"); err != nil {
		t.Fatalf("Call: %v", err)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d attempts, want 2", calls.Load())
	}
}

func TestClientContextCancelStopsRetries(t *testing.T) {
	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		cancel() // the caller gives up while we fail
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	// Long backoff: if cancellation did not stop the loop, the test would
	// sit in it for minutes and make further attempts.
	c := NewClient(srv.URL, ClientOptions{MaxRetries: 6, BackoffBase: time.Minute, BackoffMax: time.Minute})
	_, err := c.Call(ctx, "eth_blockNumber")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d attempts after cancel, want 1", calls.Load())
	}
}

func TestClientRPCErrorAndMethodNotFound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		switch req.Method {
		case "trace_block":
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"the method trace_block does not exist/is not available"}}`, req.ID)
		case "eth_call":
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":3,"message":"execution reverted","data":"0x08c379a0"}}`, req.ID)
		default:
			// A 4xx carrying a JSON-RPC error, as some nodes send.
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32602,"message":"invalid argument 0"}}`, req.ID)
		}
	}))
	defer srv.Close()
	c := NewClient(srv.URL, fastOpts(2))
	_, err := c.Call(context.Background(), "trace_block", "0x1")
	var re *RPCError
	if !errors.As(err, &re) || re.Code != -32601 || re.Method != "trace_block" || re.Params != "0x1" || !IsMethodNotFound(err) {
		t.Fatalf("trace_block: err = %#v", err)
	}
	_, err = c.Call(context.Background(), "eth_call", map[string]string{"to": "0x00"}, "latest")
	if !errors.As(err, &re) || re.Code != 3 || IsMethodNotFound(err) || !strings.Contains(err.Error(), `eth_call({"to":"0x00"},latest): rpc error 3: execution reverted (data: "0x08c379a0")`) {
		t.Fatalf("eth_call: err = %v", err)
	}
	_, err = c.Call(context.Background(), "eth_getBalance", "zz")
	if !errors.As(err, &re) || re.Code != -32602 {
		t.Fatalf("eth_getBalance: err = %v", err)
	}
}

func TestIsMethodNotFound(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&RPCError{Code: -32601, Message: "whatever"}, true},
		{&RPCError{Code: -32000, Message: "the method debug_traceBlockByNumber does not exist/is not available"}, true}, // geth, erigon
		{&RPCError{Code: -32000, Message: "Method not found"}, true},                                                    // nethermind
		{&RPCError{Code: -32604, Message: "Method not enabled"}, true},                                                  // besu
		{&RPCError{Code: -32000, Message: "Unsupported method: trace_block. See available methods at https://docs"}, true},
		{&RPCError{Code: -32000, Message: "genesis is not traceable"}, false},
		{&RPCError{Code: -32000, Message: "block #5 does not exist"}, false},
		{fmt.Errorf("wrapped: %w", &RPCError{Code: -32601}), true},
		{errors.New("method not found"), false}, // not from the node
		{nil, false},
	} {
		if got := IsMethodNotFound(tc.err); got != tc.want {
			t.Errorf("IsMethodNotFound(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestRPCErrorNotFound(t *testing.T) {
	for _, tc := range []struct {
		err  *RPCError
		want bool
	}{
		{&RPCError{Code: -32000, Message: "header not found"}, true},
		{&RPCError{Code: -32000, Message: "block #7 not found"}, true},
		{&RPCError{Code: -32000, Message: "transaction not found"}, true},
		{&RPCError{Code: -39001, Message: "Unknown block"}, true},
		{&RPCError{Code: -32601, Message: "Method not found"}, false},
		{&RPCError{Code: -32000, Message: "genesis is not traceable"}, false},
	} {
		if got := errors.Is(fmt.Errorf("fetch: %w", tc.err), ErrNotFound); got != tc.want {
			t.Errorf("errors.Is(%v, ErrNotFound) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// batchServer answers batches through respond, which gets the decoded
// requests and returns the raw body.
func batchServer(t *testing.T, respond func(reqs []rpcRequest) string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var reqs []rpcRequest
		if err := json.NewDecoder(r.Body).Decode(&reqs); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		io.WriteString(w, respond(reqs))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBatchMatchesByID(t *testing.T) {
	srv := batchServer(t, func(reqs []rpcRequest) string {
		// Answer in reverse order, as nodes may.
		parts := make([]string, 0, len(reqs))
		for i := len(reqs) - 1; i >= 0; i-- {
			parts = append(parts, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"result":"%s-%s"}`, reqs[i].ID, reqs[i].Method, reqs[i].Params[0]))
		}
		return "[" + strings.Join(parts, ",") + "]"
	})
	c := NewClient(srv.URL, fastOpts(0))
	res, err := c.Batch(context.Background(), []Request{
		{Method: "a", Params: []any{"1"}}, {Method: "b", Params: []any{"2"}}, {Method: "c", Params: []any{"3"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{`"a-1"`, `"b-2"`, `"c-3"`} {
		if string(res[i]) != want {
			t.Errorf("result %d = %s, want %s", i, res[i], want)
		}
	}
	if res, err := c.Batch(context.Background(), nil); res != nil || err != nil {
		t.Errorf("empty batch = %v, %v", res, err)
	}
}

func TestBatchMissingAndDuplicateIDs(t *testing.T) {
	reqs := []Request{{Method: "eth_getTransactionReceipt", Params: []any{"0xaa"}}, {Method: "eth_getTransactionReceipt", Params: []any{"0xbb"}}}
	for _, tc := range []struct {
		name    string
		respond func([]rpcRequest) string
		want    string
	}{
		{"missing", func(r []rpcRequest) string {
			return fmt.Sprintf(`[{"jsonrpc":"2.0","id":%d,"result":null}]`, r[0].ID)
		}, "no response for id"},
		{"duplicate", func(r []rpcRequest) string {
			return fmt.Sprintf(`[{"jsonrpc":"2.0","id":%d,"result":null},{"jsonrpc":"2.0","id":%d,"result":null}]`, r[0].ID, r[0].ID)
		}, "duplicate response for id"},
		{"foreign", func(r []rpcRequest) string {
			return fmt.Sprintf(`[{"jsonrpc":"2.0","id":%d,"result":null},{"jsonrpc":"2.0","id":99999,"result":null}]`, r[0].ID)
		}, "unexpected id 99999"},
		{"element error", func(r []rpcRequest) string {
			return fmt.Sprintf(`[{"jsonrpc":"2.0","id":%d,"result":null},{"jsonrpc":"2.0","id":%d,"error":{"code":-32003,"message":"response too large"}}]`, r[0].ID, r[1].ID)
		}, "batch element 1: eth_getTransactionReceipt(0xbb): rpc error -32003: response too large"},
		{"refused whole", func(r []rpcRequest) string {
			return `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}}`
		}, "rpc error -32600: batch too large"},
		{"garbage", func(r []rpcRequest) string { return `[{"jsonrpc":"2.0","id":1,` }, "truncated or invalid JSON response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := batchServer(t, tc.respond)
			_, err := NewClient(srv.URL, fastOpts(0)).Batch(context.Background(), reqs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8545": "http://127.0.0.1:8545",
		"https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef": "https://mainnet.infura.io/v3/xxxxx",
		"https://eth-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOpQrStUv":   "https://eth-mainnet.g.alchemy.com/v2/xxxxx",
		"https://user:secret@node.example:8545/rpc":                     "https://user:xxxxx@node.example:8545/rpc",
		"https://node.example/rpc?apikey=s3cr3t":                        "https://node.example/rpc?xxxxx",
		"http://[::1]:8545/some-long-readable-path":                     "http://[::1]:8545/some-long-readable-path",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
	// Transport errors carry the redacted URL too.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = NewClient("http://"+addr+"/v3/0123456789abcdef0123456789abcdef", fastOpts(0)).Call(context.Background(), "eth_chainId")
	if err == nil || strings.Contains(err.Error(), "0123456789abcdef") || !strings.Contains(err.Error(), addr+"/v3/xxxxx") {
		t.Fatalf("err = %v", err)
	}
}

func TestClientResponseSizeCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":"`+strings.Repeat("ab", 1000)+`"}`)
	}))
	defer srv.Close()
	opts := fastOpts(3)
	opts.MaxResponseBytes = 1000
	_, err := NewClient(srv.URL, opts).Call(context.Background(), "eth_getCode", "0x00", "latest")
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("err = %v", err)
	}
}
