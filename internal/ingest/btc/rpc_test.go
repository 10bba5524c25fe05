package btc

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
)

// fakeNode serves handler for JSON-RPC 1.0 calls decoded from the body.
func fakeNode(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, method string, params []any)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Method string `json:"method"`
			Params []any  `json:"params"`
		}
		json.Unmarshal(body, &req)
		handler(w, r, req.Method, req.Params)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func fastRetries() RPCOption { return WithBackoff(time.Millisecond, 2*time.Millisecond) }

func TestRPCCookieAuthAndRotation(t *testing.T) {
	dir := t.TempDir()
	cookie := filepath.Join(dir, ".cookie")
	os.WriteFile(cookie, []byte("__cookie__:first\n"), 0o600)
	want := "__cookie__:first"
	srv := fakeNode(t, func(w http.ResponseWriter, r *http.Request, method string, params []any) {
		u, p, _ := r.BasicAuth()
		if u+":"+p != want {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"result":42,"error":null,"id":1}`)
	})
	c, err := NewRPC(srv.URL, Auth{CookieFile: cookie}, fastRetries())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := c.GetBlockCount(context.Background()); err != nil || n != 42 {
		t.Fatalf("getblockcount: %d %v", n, err)
	}
	// bitcoind restarted: new cookie; the client rereads it on 401.
	want = "__cookie__:second"
	os.WriteFile(cookie, []byte(want), 0o600)
	if n, err := c.GetBlockCount(context.Background()); err != nil || n != 42 {
		t.Fatalf("after cookie rotation: %d %v", n, err)
	}
	if _, err := NewRPC(srv.URL, Auth{CookieFile: filepath.Join(dir, "missing")}); err == nil || !strings.Contains(err.Error(), "is the node running") {
		t.Fatalf("missing cookie: %v", err)
	}
	bad, _ := NewRPC(srv.URL, Auth{User: "u", Password: "wrong"}, fastRetries())
	var he *HTTPError
	if _, err := bad.GetBlockCount(context.Background()); !errors.As(err, &he) || he.Status != 401 || !strings.Contains(err.Error(), "authentication failed") {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestRPCRetries(t *testing.T) {
	var calls atomic.Int32
	srv := fakeNode(t, func(w http.ResponseWriter, r *http.Request, method string, params []any) {
		switch n := calls.Add(1); {
		case n == 1:
			http.Error(w, "Work queue depth exceeded", http.StatusServiceUnavailable)
		case n == 2:
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"result":null,"error":{"code":-28,"message":"Loading block index…"},"id":1}`)
		default:
			fmt.Fprint(w, `{"result":7,"error":null,"id":1}`)
		}
	})
	c, _ := NewRPC(srv.URL, Auth{}, fastRetries())
	if n, err := c.GetBlockCount(context.Background()); err != nil || n != 7 || calls.Load() != 3 {
		t.Fatalf("got %d %v after %d calls", n, err, calls.Load())
	}
	// A transport failure (nothing listening) is retried, then reported.
	c2, _ := NewRPC("http://127.0.0.1:1", Auth{}, fastRetries(), WithRetries(2))
	if _, err := c2.GetBlockCount(context.Background()); err == nil || !strings.Contains(err.Error(), "after 2 retries") || !strings.Contains(err.Error(), "getblockcount()") {
		t.Fatalf("refused connection: %v", err)
	}
}

func TestRPCErrorsNameTheCall(t *testing.T) {
	var calls atomic.Int32
	srv := fakeNode(t, func(w http.ResponseWriter, r *http.Request, method string, params []any) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
		switch method {
		case "getblock":
			fmt.Fprint(w, `{"result":null,"error":{"code":-5,"message":"Block not found"},"id":1}`)
		case "getrawtransaction":
			fmt.Fprint(w, `{"result":null,"error":{"code":-5,"message":"No such mempool transaction. Use -txindex or provide a block hash to enable blockchain transaction queries."},"id":1}`)
		default:
			fmt.Fprint(w, `{"result":null,"error":{"code":-8,"message":"Block height out of range"},"id":1}`)
		}
	})
	c, _ := NewRPC(srv.URL, Auth{User: "u", Password: "p"}, fastRetries())
	ctx := context.Background()
	var h chainhash.Hash
	h[0] = 0xab
	_, err := c.GetBlockRaw(ctx, h)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "getblock("+h.String()+",0)") {
		t.Fatalf("getblock: %v", err)
	}
	_, err = c.GetBlockHash(ctx, 999999)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "getblockhash(999999)") {
		t.Fatalf("getblockhash: %v", err)
	}
	_, err = c.GetRawTransaction(ctx, h)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "-txindex=1") {
		t.Fatalf("getrawtransaction: %v", err)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d calls: answers with an error object must not be retried", calls.Load())
	}
}

func TestRPCRejectsWrongAnswers(t *testing.T) {
	genesis := hex.EncodeToString(serializeBlock(t, mainnet(t).Params.GenesisBlock))
	srv := fakeNode(t, func(w http.ResponseWriter, r *http.Request, method string, params []any) {
		switch method {
		case "getblock":
			fmt.Fprintf(w, `{"result":%q,"error":null,"id":1}`, genesis)
		case "getrawtransaction":
			fmt.Fprintf(w, `{"result":%q,"error":null,"id":1}`, genesis[160+2:])
		case "getblockchaininfo":
			fmt.Fprint(w, `{"result":{"chain":"test","blocks":5},"error":null,"id":1}`)
		default:
			fmt.Fprint(w, `{"result":"zz","error":null,"id":1}`)
		}
	})
	c, _ := NewRPC(srv.URL, Auth{}, fastRetries())
	ctx := context.Background()
	if _, err := c.GetBlockRaw(ctx, chainhash.Hash{1}); err == nil || !strings.Contains(err.Error(), "the node sent block 000000000019d6") {
		t.Fatalf("wrong block: %v", err)
	}
	if raw, err := c.GetBlockRaw(ctx, *mainnet(t).Params.GenesisHash); err != nil || len(raw) != 285 {
		t.Fatalf("genesis: %d bytes, %v", len(raw), err)
	}
	if _, err := c.GetRawTransaction(ctx, chainhash.Hash{1}); err == nil || !strings.Contains(err.Error(), "the node sent transaction 4a5e1e4b") {
		t.Fatalf("wrong transaction: %v", err)
	}
	if _, err := c.GetBlockHash(ctx, 1); err == nil || !strings.Contains(err.Error(), "not a block hash") {
		t.Fatalf("bad hash: %v", err)
	}
	if err := c.CheckNetwork(ctx, mainnet(t)); err == nil || !strings.Contains(err.Error(), `chain "test", not mainnet`) {
		t.Fatalf("network check: %v", err)
	}
	if err := c.CheckNetwork(ctx, testnet3(t)); err != nil {
		t.Fatalf("testnet3 node: %v", err)
	}
	small, _ := NewRPC(srv.URL, Auth{}, WithMaxResponseBytes(100))
	if _, err := small.GetBlockRaw(ctx, *mainnet(t).Params.GenesisHash); err == nil || !strings.Contains(err.Error(), "exceeds the cap") {
		t.Fatalf("cap: %v", err)
	}
}

func TestRPCRedactsCredentials(t *testing.T) {
	c, err := NewRPC("http://alice:hunter2@127.0.0.1:1/?wallet=x", Auth{}, WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBlockCount(context.Background())
	if err == nil || strings.Contains(err.Error(), "hunter2") || c.URL() != "http://alice:xxxxx@127.0.0.1:1/?xxxxx" {
		t.Fatalf("URL %s, error %v", c.URL(), err)
	}
	if _, err := NewRPC("127.0.0.1:8332", Auth{}); err == nil {
		t.Fatal("accepted a URL without scheme")
	}
}

// parseResponse's fast path must agree with encoding/json wherever the
// latter accepts the body.
func TestParseResponseFastPath(t *testing.T) {
	for _, body := range []string{
		`{"result":"00ff","error":null,"id":1}`,
		`{"result":"00ff","id":1}` + "\n",
		`{"result":"00ff"}`,
		`{"result":"00\u0066","error":null,"id":1}`,
		`{"result":"00ff","error":{"code":-5,"message":"x"},"id":1}`,
		`{"result":"00ff","result":"11","id":1}`,
		`{"result" : "00ff", "error": null, "id": 1}`,
		`{"result":"00ff",}`,
		`{"result":"00ff"`,
	} {
		checkParseResponse(t, []byte(body))
	}
}

func checkParseResponse(t *testing.T, body []byte) {
	t.Helper()
	got, err := parseResponse(body)
	var want rpcResponse
	werr := json.Unmarshal(body, &want)
	if werr != nil {
		return // invalid JSON: either answer is fine, as long as nothing panics
	}
	if err != nil {
		t.Fatalf("%q: %v, encoding/json accepts it", body, err)
	}
	gs, ws := string(got.Result), string(want.Result)
	if gs != ws || (got.Error == nil) != (want.Error == nil) || got.Error != nil && *got.Error != *want.Error {
		t.Fatalf("%q: result %s error %+v, encoding/json %s %+v", body, gs, got.Error, ws, want.Error)
	}
}
