package btc

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// ErrNotFound marks an answer that says the block or transaction asked for
// does not exist (on this node: without -txindex, past transactions do not).
var ErrNotFound = errors.New("not found")

// Auth holds the credentials of a node's JSON-RPC interface: User and
// Password (rpcuser/rpcpassword or rpcauth), or CookieFile, the .cookie
// file bitcoind writes in its data directory at every start ("user:pass").
type Auth struct {
	User, Password string
	CookieFile     string
}

// RPCOption tunes an RPC client.
type RPCOption func(*rpcConfig)

type rpcConfig struct {
	timeout          time.Duration
	maxRetries       int
	backoffBase      time.Duration
	backoffMax       time.Duration
	httpClient       *http.Client
	maxResponseBytes int64
}

// WithTimeout bounds one HTTP attempt (default 60 s: a 4 MB block is 8 MB
// of hex), not a call with its retries.
func WithTimeout(d time.Duration) RPCOption { return func(c *rpcConfig) { c.timeout = d } }

// WithRetries sets how often a failed attempt is repeated (default 6; 0
// for none).
func WithRetries(n int) RPCOption { return func(c *rpcConfig) { c.maxRetries = max(n, 0) } }

// WithBackoff bounds the exponential backoff with full jitter between
// attempts: the n-th wait is uniform in [0, min(max, base*2^n)). Defaults
// 250 ms and 10 s.
func WithBackoff(base, max time.Duration) RPCOption {
	return func(c *rpcConfig) { c.backoffBase, c.backoffMax = base, max }
}

// WithHTTPClient sends requests through hc instead of a client of its own.
func WithHTTPClient(hc *http.Client) RPCOption { return func(c *rpcConfig) { c.httpClient = hc } }

// WithMaxResponseBytes caps a response body (default 64 MiB): a node that
// sends more is broken or hostile, and reading on would exhaust memory.
func WithMaxResponseBytes(n int64) RPCOption { return func(c *rpcConfig) { c.maxResponseBytes = n } }

// maxServerErrorRetries limits retries of an HTTP 500 without a JSON-RPC
// error in its body: it often means the request itself breaks the node.
const maxServerErrorRetries = 2

// RPC is a client of a bitcoind (or btcd) JSON-RPC interface over HTTP
// with basic auth and retries. It is safe for concurrent use.
type RPC struct {
	url    string
	shown  string // url without credentials, for messages
	auth   Auth
	cfg    rpcConfig
	nextID atomic.Uint64
	mu     sync.Mutex // guards user and pass, re-read from the cookie on 401
	user   string
	pass   string
}

// NewRPC returns a client for the node at rawURL (http://host:8332). With
// a cookie file the credentials are read now, and again whenever the node
// answers 401 (bitcoind writes a new cookie at every restart).
func NewRPC(rawURL string, auth Auth, opts ...RPCOption) (*RPC, error) {
	cfg := rpcConfig{timeout: 60 * time.Second, maxRetries: 6, backoffBase: 250 * time.Millisecond,
		backoffMax: 10 * time.Second, maxResponseBytes: 64 << 20}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.httpClient == nil {
		cfg.httpClient = &http.Client{}
	}
	cfg.backoffBase = max(cfg.backoffBase, time.Millisecond)
	cfg.backoffMax = max(cfg.backoffMax, cfg.backoffBase)
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("node URL %q: want http://host:port", redactURL(rawURL))
	}
	c := &RPC{url: rawURL, shown: redactURL(rawURL), auth: auth, cfg: cfg, user: auth.User, pass: auth.Password}
	if u.User != nil && auth.User == "" && auth.CookieFile == "" {
		c.user = u.User.Username()
		c.pass, _ = u.User.Password()
	}
	if auth.CookieFile != "" {
		if err := c.readCookie(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// readCookie loads user and password from the cookie file.
func (c *RPC) readCookie() error {
	data, err := os.ReadFile(c.auth.CookieFile)
	if err != nil {
		return fmt.Errorf("read RPC cookie: %w (is the node running, with this data directory and network?)", err)
	}
	user, pass, ok := strings.Cut(strings.TrimSpace(string(data)), ":")
	if !ok {
		return fmt.Errorf("RPC cookie %s: want user:password", c.auth.CookieFile)
	}
	c.mu.Lock()
	c.user, c.pass = user, pass
	c.mu.Unlock()
	return nil
}

// URL returns the node's address without credentials, for messages.
func (c *RPC) URL() string { return c.shown }

// redactURL hides the password of user:password@ and the query, since
// errors end up in logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable node URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		u.RawQuery = "xxxxx"
	}
	return u.String()
}

// RPCError is an error object the node answered a call with.
type RPCError struct {
	Method  string
	Params  string // formatted for humans
	Code    int
	Message string
}

// Error implements error.
func (e *RPCError) Error() string {
	return fmt.Sprintf("%s(%s): rpc error %d: %s", e.Method, e.Params, e.Code, e.Message)
}

// Is makes errors.Is(err, ErrNotFound) true for Bitcoin Core's "not
// found" answers: RPC_INVALID_ADDRESS_OR_KEY (-5: block or transaction
// not found) and "Block height out of range" (-8).
func (e *RPCError) Is(target error) bool {
	if target != ErrNotFound {
		return false
	}
	return e.Code == -5 || e.Code == -8 && strings.Contains(strings.ToLower(e.Message), "out of range")
}

// rpcInWarmup is RPC_IN_WARMUP: the node is still loading its indexes and
// answers every call with it for a while after start.
const rpcInWarmup = -28

// HTTPError is a non-2xx HTTP status without a JSON-RPC error in the body.
type HTTPError struct {
	Method, Params, URL string
	Status              int
	Body                string // the first 200 bytes
}

// Error implements error.
func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s(%s): http %d from %s", e.Method, e.Params, e.Status, e.URL)
	switch e.Status {
	case http.StatusUnauthorized:
		s += ": authentication failed (check rpcuser/rpcpassword or the cookie file)"
	case http.StatusForbidden:
		s += ": forbidden (is this client's address allowed by the node's rpcallowip?)"
	}
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type rpcErrorObject struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type rpcResponse struct {
	Result json.RawMessage `json:"result"`
	Error  *rpcErrorObject `json:"error"`
	ID     json.RawMessage `json:"id"`
}

// Call invokes method and returns its raw JSON result.
func (c *RPC) Call(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	if params == nil {
		params = []any{}
	}
	desc := callDesc{method, formatParams(params)}
	id := c.nextID.Add(1)
	body, err := json.Marshal(rpcRequest{JSONRPC: "1.0", ID: id, Method: method, Params: params})
	if err != nil {
		return nil, fmt.Errorf("%s: encode request: %w", desc, err)
	}
	return c.retry(ctx, desc, func() (json.RawMessage, time.Duration, bool, error) {
		data, wait, retry, err := c.post(ctx, desc, body)
		if err != nil {
			return nil, wait, retry, err
		}
		r, err := parseResponse(data)
		if err != nil {
			return nil, 0, false, fmt.Errorf("%s: invalid JSON-RPC response: %w (%d bytes, starting %q)", desc, err, len(data), truncate(string(data), 80))
		}
		if r.Error != nil {
			re := &RPCError{Method: method, Params: desc.params, Code: r.Error.Code, Message: r.Error.Message}
			return nil, 0, re.Code == rpcInWarmup, re
		}
		return r.Result, 0, false, nil
	})
}

// callDesc names a call in errors: getblock(0000…,0).
type callDesc struct{ method, params string }

func (d callDesc) String() string { return d.method + "(" + d.params + ")" }

// formatParams renders params for messages: strings bare, the rest as JSON.
func formatParams(params []any) string {
	parts := make([]string, len(params))
	for i, p := range params {
		if s, ok := p.(string); ok {
			parts[i] = s
			continue
		}
		js, _ := json.Marshal(p)
		parts[i] = string(js)
	}
	return truncate(strings.Join(parts, ","), 200)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// parseResponse reads a JSON-RPC response. Bitcoin Core writes results of
// getblock and getrawtransaction at verbosity 0 as
// {"result":"<hex>","error":null,"id":N}; scanning megabytes of hex
// through encoding/json's state machine would cost more than decoding the
// block, so that shape takes a fast path: the hex string is located with
// one byte search and left for hex.Decode to validate.
func parseResponse(body []byte) (rpcResponse, error) {
	var r rpcResponse
	const prefix = `{"result":"`
	b := bytes.TrimSpace(body)
	if rest, ok := bytes.CutPrefix(b, []byte(prefix)); ok {
		if end := bytes.IndexByte(rest, '"'); end >= 0 && bytes.IndexByte(rest[:end], '\\') < 0 {
			tail := append([]byte{'{'}, bytes.TrimPrefix(rest[end+1:], []byte(","))...)
			if json.Unmarshal(tail, &r) == nil && r.Result == nil {
				r.Result = b[len(prefix)-1 : len(prefix)+end+1]
				return r, nil
			}
			r = rpcResponse{}
		}
	}
	err := json.Unmarshal(body, &r)
	return r, err
}

// retry runs attempt until it succeeds, fails for good, or the retries are
// spent, waiting with full-jitter backoff (or as the server asked) between.
func (c *RPC) retry(ctx context.Context, desc callDesc, attempt func() (json.RawMessage, time.Duration, bool, error)) (json.RawMessage, error) {
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", desc, err)
		}
		res, wait, retry, err := attempt()
		if err == nil {
			return res, nil
		}
		limit := c.cfg.maxRetries
		var he *HTTPError
		if errors.As(err, &he) && he.Status == http.StatusInternalServerError {
			limit = min(limit, maxServerErrorRetries)
		}
		if ctx.Err() != nil || !retry || n >= limit {
			if retry && n > 0 {
				return nil, fmt.Errorf("%w (after %d retries)", err, n)
			}
			return nil, err
		}
		if wait == 0 {
			wait = c.backoff(n)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%s: %w (last error: %v)", desc, ctx.Err(), err)
		case <-t.C:
		}
	}
}

func (c *RPC) backoff(n int) time.Duration {
	ceil := c.cfg.backoffMax
	if n < 30 {
		if d := c.cfg.backoffBase << n; d > 0 && d < ceil {
			ceil = d
		}
	}
	return time.Duration(rand.Int64N(int64(ceil)) + 1)
}

// post performs one HTTP exchange and returns the body of a 2xx answer, or
// of an error status whose body is a JSON-RPC response (bitcoind answers
// JSON-RPC 1.0 errors with 500 or 404 and the error object). Otherwise it
// says whether a retry may help and how long the server asked to wait.
func (c *RPC) post(ctx context.Context, desc callDesc, body []byte) ([]byte, time.Duration, bool, error) {
	data, status, header, err := c.exchange(ctx, body)
	if err == nil && status == http.StatusUnauthorized && c.auth.CookieFile != "" {
		// The node may have restarted with a new cookie: read it once more.
		if c.readCookie() == nil {
			data, status, header, err = c.exchange(ctx, body)
		}
	}
	if err != nil {
		return nil, 0, transient(ctx, err), fmt.Errorf("%s: %w", desc, err)
	}
	if status/100 == 2 {
		return data, 0, false, nil
	}
	if r, perr := parseResponse(data); perr == nil && r.Error != nil {
		return data, 0, false, nil
	}
	herr := &HTTPError{Method: desc.method, Params: desc.params, URL: c.shown, Status: status, Body: truncate(strings.TrimSpace(string(data)), 200)}
	switch {
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		// 503 is also bitcoind's "Work queue depth exceeded".
		return nil, retryAfter(header.Get("Retry-After")), true, herr
	case status == http.StatusInternalServerError || status == http.StatusBadGateway ||
		status == http.StatusGatewayTimeout || status == http.StatusRequestTimeout:
		return nil, 0, true, herr
	}
	return nil, 0, false, herr
}

// exchange sends body once and reads the answer.
func (c *RPC) exchange(ctx context.Context, body []byte) ([]byte, int, http.Header, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, nil, fmt.Errorf("build request for %s: %w", c.shown, c.redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	c.mu.Lock()
	if c.user != "" || c.pass != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	c.mu.Unlock()
	resp, err := c.cfg.httpClient.Do(req)
	if err != nil {
		return nil, 0, nil, c.redact(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.maxResponseBytes+1))
	if err != nil {
		return nil, 0, nil, fmt.Errorf("read response from %s: %w", c.shown, c.redact(err))
	}
	if int64(len(data)) > c.cfg.maxResponseBytes {
		return nil, 0, nil, fmt.Errorf("response from %s exceeds the cap of %d bytes", c.shown, c.cfg.maxResponseBytes)
	}
	return data, resp.StatusCode, resp.Header, nil
}

// redact puts the redacted URL into the *url.Error net/http wraps
// transport failures in.
func (c *RPC) redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = c.shown
	}
	return err
}

// transient reports whether a transport error may go away on retry: not
// the caller's own cancellation, but refused or reset connections (a node
// restarting) and our per-attempt timeout.
func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return true
	}
	var oerr *net.OpError
	return errors.As(err, &oerr)
}

// retryAfter parses a Retry-After header in seconds, capped at a minute.
func retryAfter(h string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || secs <= 0 {
		return 0
	}
	return min(time.Duration(secs)*time.Second, time.Minute)
}

// GetBlockCount returns the height of the node's best chain.
func (c *RPC) GetBlockCount(ctx context.Context) (int64, error) {
	var n int64
	return n, c.callInto(ctx, &n, "getblockcount")
}

// GetBlockHash returns the hash of the best chain's block at height.
func (c *RPC) GetBlockHash(ctx context.Context, height int64) (chainhash.Hash, error) {
	var s string
	if err := c.callInto(ctx, &s, "getblockhash", height); err != nil {
		return chainhash.Hash{}, err
	}
	h, err := chainhash.NewHashFromStr(s)
	if err != nil || len(s) != 2*chainhash.HashSize {
		return chainhash.Hash{}, fmt.Errorf("getblockhash(%d): answer %q is not a block hash", height, truncate(s, 80))
	}
	return *h, nil
}

// GetBlockRaw returns the serialised block (getblock at verbosity 0),
// after checking that its header hashes to hash.
func (c *RPC) GetBlockRaw(ctx context.Context, hash chainhash.Hash) ([]byte, error) {
	raw, err := c.callHex(ctx, "getblock", hash.String(), 0)
	if err != nil {
		return nil, err
	}
	if len(raw) < headerSize {
		return nil, fmt.Errorf("getblock(%s,0): %d bytes, shorter than a block header", hash, len(raw))
	}
	if got := chainhash.DoubleHashH(raw[:headerSize]); got != hash {
		return nil, fmt.Errorf("getblock(%s,0): the node sent block %s", hash, got)
	}
	return raw, nil
}

// GetRawTransaction returns a serialised transaction (getrawtransaction
// with verbose false) after checking its txid. Transactions of past blocks
// need a node with -txindex=1.
func (c *RPC) GetRawTransaction(ctx context.Context, txid chainhash.Hash) ([]byte, error) {
	// Verbosity 0, a number: Bitcoin Core takes a number or a bool there,
	// btcd only a number.
	raw, err := c.callHex(ctx, "getrawtransaction", txid.String(), 0)
	if err != nil {
		var re *RPCError
		if errors.As(err, &re) && strings.Contains(re.Message, "txindex") {
			return nil, fmt.Errorf("%w (the node needs -txindex=1 to serve transactions of past blocks)", err)
		}
		return nil, err
	}
	if _, err := decodeTx(raw, txid); err != nil {
		return nil, fmt.Errorf("getrawtransaction(%s,false): %w", txid, err)
	}
	return raw, nil
}

// BlockchainInfo is the part of getblockchaininfo that ingest needs.
type BlockchainInfo struct {
	Chain                string `json:"chain"` // Core: main, test, testnet4, signet, regtest
	Blocks               int64  `json:"blocks"`
	Headers              int64  `json:"headers"`
	BestBlockHash        string `json:"bestblockhash"`
	InitialBlockDownload bool   `json:"initialblockdownload"`
	Pruned               bool   `json:"pruned"`
	PruneHeight          int64  `json:"pruneheight"`
}

// GetBlockchainInfo returns the node's chain name, heights and pruning.
func (c *RPC) GetBlockchainInfo(ctx context.Context) (*BlockchainInfo, error) {
	var info BlockchainInfo
	if err := c.callInto(ctx, &info, "getblockchaininfo"); err != nil {
		return nil, err
	}
	return &info, nil
}

// CheckNetwork fails unless the node follows net.
func (c *RPC) CheckNetwork(ctx context.Context, net Network) error {
	info, err := c.GetBlockchainInfo(ctx)
	if err != nil {
		return err
	}
	got, err := ParseNetwork(info.Chain)
	if err != nil || got.Name != net.Name {
		return fmt.Errorf("node %s follows chain %q, not %s", c.shown, info.Chain, net.Name)
	}
	return nil
}

// CheckTxIndex fails unless the node serves transactions of past blocks
// (-txindex=1), which an ingest that starts above genesis needs for the
// outputs earlier blocks created. It asks for block 1's coinbase: in no
// mempool, and (unlike the genesis coinbase) in every transaction index.
// A chain without block 1 has nothing to look up and passes.
func (c *RPC) CheckTxIndex(ctx context.Context, net Network) error {
	b, err := c.BlockAt(ctx, 1, net)
	var re *RPCError
	if errors.As(err, &re) && re.Code == -8 { // block height out of range
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := c.GetRawTransaction(ctx, b.Txs[0].Txid); err != nil {
		return fmt.Errorf("node %s cannot serve past transactions: %w", c.shown, err)
	}
	return nil
}

// BlockAt fetches and decodes the best chain's block at height.
func (c *RPC) BlockAt(ctx context.Context, height int64, net Network) (*Block, error) {
	hash, err := c.GetBlockHash(ctx, height)
	if err != nil {
		return nil, err
	}
	raw, err := c.GetBlockRaw(ctx, hash)
	if err != nil {
		return nil, err
	}
	b, err := DecodeBlock(raw, net)
	if err != nil {
		return nil, fmt.Errorf("block %d from %s: %w", height, c.shown, err)
	}
	b.Height = height
	return b, nil
}

// callInto calls method and decodes its JSON result into v.
func (c *RPC) callInto(ctx context.Context, v any, method string, params ...any) error {
	res, err := c.Call(ctx, method, params...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(res, v); err != nil {
		return fmt.Errorf("%s(%s): result %q: %w", method, formatParams(params), truncate(string(res), 80), err)
	}
	return nil
}

// callHex calls method and decodes its result, a hex string, to bytes.
func (c *RPC) callHex(ctx context.Context, method string, params ...any) ([]byte, error) {
	res, err := c.Call(ctx, method, params...)
	if err != nil {
		return nil, err
	}
	return hexResult(callDesc{method, formatParams(params)}, res)
}

func hexResult(desc callDesc, res json.RawMessage) ([]byte, error) {
	if len(res) < 2 || res[0] != '"' || res[len(res)-1] != '"' {
		return nil, fmt.Errorf("%s: result %q is not a hex string", desc, truncate(string(res), 80))
	}
	out := make([]byte, (len(res)-2)/2)
	if _, err := hex.Decode(out, res[1:len(res)-1]); err != nil {
		return nil, fmt.Errorf("%s: result is not hex: %w", desc, err)
	}
	return out, nil
}

// decodeTx deserialises one transaction and checks that it is txid.
func decodeTx(raw []byte, txid chainhash.Hash) (*wire.MsgTx, error) {
	var mtx wire.MsgTx
	r := bytes.NewReader(raw)
	if err := mtx.Deserialize(r); err != nil {
		return nil, fmt.Errorf("decode transaction: %w", err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("decode transaction: %d bytes after it", r.Len())
	}
	if got := mtx.TxHash(); got != txid {
		return nil, fmt.Errorf("the node sent transaction %s", got)
	}
	return &mtx, nil
}
