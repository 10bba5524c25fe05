package eth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// ClientOptions tunes a Client. Zero fields take the defaults below.
type ClientOptions struct {
	// Timeout bounds one HTTP attempt, not the whole call with its retries:
	// a slow trace must not eat the retry budget of the next attempt.
	Timeout time.Duration // default 30s
	// MaxRetries is how many times a failed attempt is repeated. Negative
	// means no retries.
	MaxRetries int // default 6
	// BackoffBase and BackoffMax bound the exponential backoff with full
	// jitter between attempts: the n-th wait is uniform in
	// [0, min(BackoffMax, BackoffBase*2^n)).
	BackoffBase time.Duration // default 250ms
	BackoffMax  time.Duration // default 10s
	// HTTPClient sends the requests; nil means a client of its own.
	HTTPClient *http.Client
	// MaxResponseBytes caps a response body. A debug trace of a busy block
	// is tens of megabytes; anything near the default is a hostile or
	// broken node, and reading more would exhaust memory.
	MaxResponseBytes int64 // default 512 MiB
}

// Defaults of ClientOptions.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxRetries  = 6
	DefaultBackoffBase = 250 * time.Millisecond
	DefaultBackoffMax  = 10 * time.Second
)

// DefaultMaxResponseBytes is the default of ClientOptions.MaxResponseBytes.
const DefaultMaxResponseBytes = 512 << 20

// maxServerErrorRetries limits retries of HTTP 500: unlike 502-504 it often
// means the request itself breaks the node, so retrying long only delays the
// report.
const maxServerErrorRetries = 2

// maxRetryAfter caps a server's Retry-After so that a bogus header cannot
// park the ingester for hours; the context still cancels earlier.
const maxRetryAfter = 5 * time.Minute

// Client is a JSON-RPC 2.0 client over HTTP with retries. It is safe for
// concurrent use.
type Client struct {
	url    string
	shown  string // url as errors print it: without secrets
	opts   ClientOptions
	http   *http.Client
	nextID atomic.Uint64
}

// NewClient returns a client for the node at url.
func NewClient(url string, opts ClientOptions) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = DefaultMaxRetries
	} else if opts.MaxRetries < 0 {
		opts.MaxRetries = 0
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = DefaultBackoffBase
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = DefaultBackoffMax
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if opts.BackoffMax < opts.BackoffBase {
		opts.BackoffMax = opts.BackoffBase
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{url: url, shown: redactURL(url), opts: opts, http: hc}
}

// URL returns the node address for messages: without password, query, or
// path segments that look like API keys.
func (c *Client) URL() string { return c.shown }

// redactURL hides what providers use as credentials, because errors end up
// in logs and tickets: the password of user:password@, the query (apikey=),
// and long random-looking path segments (Infura's /v3/<key>, Alchemy's
// /v2/<key>).
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
	segs := strings.Split(u.Path, "/")
	for i, s := range segs {
		if len(s) >= 16 && !strings.ContainsAny(s, ".-_~") {
			segs[i] = "xxxxx"
		}
	}
	u.Path, u.RawPath = strings.Join(segs, "/"), ""
	return u.String()
}

// Request is one call of a batch.
type Request struct {
	Method string
	Params []any
}

// RPCError is a JSON-RPC error object returned by the node for a call.
type RPCError struct {
	Method  string // the method called
	Params  string // the parameters, formatted for humans
	Code    int
	Message string
	Data    string // the error's optional data member, raw JSON; often a revert reason
}

// Error implements error.
func (e *RPCError) Error() string {
	s := fmt.Sprintf("%s(%s): rpc error %d: %s", e.Method, e.Params, e.Code, e.Message)
	if e.Data != "" {
		s += " (data: " + truncate(e.Data, 200) + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrNotFound) true for the node's ways of saying
// that the block or transaction asked for is unknown ("header not found",
// "block #5 not found", "transaction not found", "unknown block"), so that
// callers treat them like a null result. A missing method is not that.
func (e *RPCError) Is(target error) bool {
	if target != ErrNotFound || isMethodNotFound(e) {
		return false
	}
	msg := strings.ToLower(e.Message)
	for _, s := range []string{"not found", "unknown block", "could not be found", "unknown transaction"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// IsMethodNotFound reports whether err says that the node does not offer the
// method called: code -32601 (-32604 "method not enabled" on Besu), or the
// wording nodes and providers use when they bend the code.
func IsMethodNotFound(err error) bool {
	var re *RPCError
	return errors.As(err, &re) && isMethodNotFound(re)
}

func isMethodNotFound(re *RPCError) bool {
	if re.Code == -32601 || re.Code == -32604 {
		return true
	}
	msg := strings.ToLower(re.Message)
	// Keep these specific: a match makes Detect fall back to another method
	// and genesis fetching give up quietly, so "block does not exist" must
	// not match.
	for _, s := range []string{
		"method not found",                // nethermind, besu, the spec's wording
		"does not exist/is not available", // geth, erigon, infura
		"method not enabled",              // besu with the namespace off
		"unsupported method",              // hosted providers
		"method not supported",            // hosted providers
		"method is not supported",         // hosted providers
		"method not implemented",          // older clients
		"is not whitelisted",              // hosted providers
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// HTTPError is a non-2xx HTTP status the node answered with.
type HTTPError struct {
	Method string // the method called, "batch" for batches
	Params string
	URL    string
	Status int
	Body   string // the first 200 bytes of the body
}

// Error implements error.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s(%s): http %d from %s: %s", e.Method, e.Params, e.Status, e.URL, e.Body)
}

// Call invokes method with params and returns the raw result, which may be
// the JSON literal null. A JSON-RPC error object comes back as *RPCError.
func (c *Client) Call(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	if params == nil {
		params = []any{}
	}
	id := c.nextID.Add(1)
	body, err := json.Marshal(rpcRequest{JSONRPC: "2.0", ID: id, Method: method, Params: params})
	if err != nil {
		return nil, fmt.Errorf("%s(%s): encode request: %w", method, formatParams(params), err)
	}
	desc := callDesc{method: method, params: params}
	resp, err := c.post(ctx, desc, body)
	if err != nil {
		return nil, err
	}
	r, err := parseResponse(resp)
	if err != nil {
		return nil, desc.invalidJSON(err, resp)
	}
	return r.result(desc, id)
}

// Batch sends reqs as one JSON-RPC batch and returns their results in the
// order of reqs, matched by id. Any element's error fails the whole batch:
// callers batch calls that only make sense together.
func (c *Client) Batch(ctx context.Context, reqs []Request) ([]json.RawMessage, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	first := c.nextID.Add(uint64(len(reqs))) - uint64(len(reqs)) + 1
	wire := make([]rpcRequest, len(reqs))
	for i, r := range reqs {
		params := r.Params
		if params == nil {
			params = []any{}
		}
		wire[i] = rpcRequest{JSONRPC: "2.0", ID: first + uint64(i), Method: r.Method, Params: params}
	}
	desc := callDesc{batch: reqs}
	body, err := json.Marshal(wire)
	if err != nil {
		return nil, fmt.Errorf("%s: encode request: %w", desc, err)
	}
	resp, err := c.post(ctx, desc, body)
	if err != nil {
		return nil, err
	}
	resp = bytes.TrimSpace(resp)
	if len(resp) > 0 && resp[0] == '{' {
		// Nodes answer a batch they refuse as a whole (too large, batches
		// disabled) with one error object instead of an array.
		r, err := parseResponse(resp)
		if err != nil {
			return nil, desc.invalidJSON(err, resp)
		}
		if r.Error != nil {
			return nil, r.Error.toError(desc.name(), desc.paramString())
		}
		return nil, fmt.Errorf("%s: node answered a batch with a single object, not an array", desc)
	}
	rs, err := parseBatchResponse(resp)
	if err != nil {
		return nil, desc.invalidJSON(err, resp)
	}
	out := make([]json.RawMessage, len(reqs))
	seen := make([]bool, len(reqs))
	for _, r := range rs {
		id, ok := r.intID()
		if !ok || id < first || id-first >= uint64(len(reqs)) {
			return nil, fmt.Errorf("%s: response with unexpected id %s", desc, truncate(string(r.ID), 40))
		}
		i := id - first
		if seen[i] {
			return nil, fmt.Errorf("%s: duplicate response for id %d (%s)", desc, id, reqs[i].Method)
		}
		seen[i] = true
		one := callDesc{method: reqs[i].Method, params: reqs[i].Params}
		res, err := r.result(one, id)
		if err != nil {
			return nil, fmt.Errorf("batch element %d: %w", i, err)
		}
		out[i] = res
	}
	for i, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("%s: no response for id %d (%s(%s))", desc, first+uint64(i), reqs[i].Method, formatParams(reqs[i].Params))
		}
	}
	return out, nil
}

type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type rpcResponse struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *rpcErrorObject `json:"error"`
}

type rpcErrorObject struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// parseResponse reads a response envelope. The result stays a slice of
// the body, not a copy: bodies are ours alone, and a trace result can be
// most of a hundred-megabyte body. The reader validates it on the way, as
// json.Unmarshal would.
func parseResponse(body []byte) (rpcResponse, error) {
	d := &jsonDecoder{data: body}
	var r rpcResponse
	err := d.envelope(&r)
	if err == nil {
		err = d.end()
	}
	return r, err
}

func parseBatchResponse(body []byte) ([]rpcResponse, error) {
	d := &jsonDecoder{data: body}
	if d.next() != '[' {
		return nil, d.mismatch("array")
	}
	var rs []rpcResponse
	err := d.array(func(i int) error {
		rs = append(rs, rpcResponse{})
		return inIndex(i, d.envelope(&rs[i]))
	})
	if err == nil {
		err = d.end()
	}
	return rs, err
}

var envelopeNames = []string{"id", "result", "error"}

func (d *jsonDecoder) envelope(r *rpcResponse) error {
	if d.next() != '{' {
		return d.mismatch("response object")
	}
	return d.object(func(key []byte) error { return d.envelopeMember(r, key) })
}

func (d *jsonDecoder) envelopeMember(r *rpcResponse, key []byte) error {
	switch string(key) {
	case "id":
		return d.span(&r.ID)
	case "result":
		return d.span(&r.Result)
	case "error":
		if null, err := d.null(); null || err != nil {
			r.Error = nil
			return err
		}
		var span json.RawMessage
		if err := d.span(&span); err != nil {
			return err
		}
		r.Error = new(rpcErrorObject)
		if err := json.Unmarshal(span, r.Error); err != nil {
			return fmt.Errorf("error member: %w", err)
		}
		return nil
	}
	if name := fieldName(key, envelopeNames); name != nil {
		return d.envelopeMember(r, name)
	}
	return d.skip()
}

// span skips a value and sets *m to its text.
func (d *jsonDecoder) span(m *json.RawMessage) error {
	d.ws()
	start := d.pos
	if err := d.skip(); err != nil {
		return err
	}
	*m = d.data[start:d.pos:d.pos]
	return nil
}

func (o *rpcErrorObject) toError(method, params string) *RPCError {
	e := &RPCError{Method: method, Params: params, Code: o.Code, Message: o.Message}
	if len(o.Data) > 0 && string(o.Data) != "null" {
		e.Data = string(o.Data)
	}
	return e
}

// intID reads the response id, which we always send as a number; some
// proxies echo it back as a string.
func (r *rpcResponse) intID() (uint64, bool) {
	s := strings.Trim(string(r.ID), `"`)
	id, err := strconv.ParseUint(s, 10, 64)
	return id, err == nil
}

func (r *rpcResponse) result(desc callDesc, id uint64) (json.RawMessage, error) {
	if r.Error != nil {
		return nil, r.Error.toError(desc.method, formatParams(desc.params))
	}
	if r.Result == nil {
		return nil, fmt.Errorf("%s: response for id %d has neither result nor error", desc, id)
	}
	return r.Result, nil
}

// callDesc names a call or batch in errors, e.g. "eth_getBlockByNumber(0x10,true)".
type callDesc struct {
	method string
	params []any
	batch  []Request
}

func (d callDesc) name() string {
	if d.batch != nil {
		return "batch"
	}
	return d.method
}

func (d callDesc) paramString() string {
	if d.batch == nil {
		return formatParams(d.params)
	}
	parts := make([]string, 0, 3)
	for i, r := range d.batch {
		if i == 2 {
			parts = append(parts, fmt.Sprintf("… %d calls", len(d.batch)))
			break
		}
		parts = append(parts, r.Method+"("+formatParams(r.Params)+")")
	}
	return strings.Join(parts, ",")
}

func (d callDesc) String() string { return d.name() + "(" + d.paramString() + ")" }

func (d callDesc) invalidJSON(err error, body []byte) error {
	return fmt.Errorf("%s: truncated or invalid JSON response: %w (%d bytes, starting %q)", d, err, len(body), truncate(string(body), 80))
}

// formatParams renders params for error messages: strings bare, everything
// else as compact JSON, capped so a batch of hashes stays readable.
func formatParams(params []any) string {
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte(',')
		}
		switch v := p.(type) {
		case string:
			b.WriteString(v)
		default:
			js, err := json.Marshal(v)
			if err != nil {
				fmt.Fprintf(&b, "%v", v)
			} else {
				b.Write(js)
			}
		}
	}
	return truncate(b.String(), 200)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// post sends body and returns the response body of the first attempt that
// gets a 2xx, retrying transport failures, 429 and 5xx with backoff.
func (c *Client) post(ctx context.Context, desc callDesc, body []byte) ([]byte, error) {
	var lastErr error
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", desc, err)
		}
		resp, wait, retry, err := c.attempt(ctx, desc, body)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w (last error: %v)", desc, ctx.Err(), err)
		}
		lastErr = err
		limit := c.opts.MaxRetries
		var he *HTTPError
		if errors.As(err, &he) && he.Status == http.StatusInternalServerError {
			limit = min(limit, maxServerErrorRetries)
		}
		if !retry || attempt >= limit {
			if retry && attempt > 0 {
				return nil, fmt.Errorf("%w (after %d retries)", lastErr, attempt)
			}
			return nil, lastErr
		}
		if wait == 0 {
			wait = c.backoff(attempt)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%s: %w (last error: %v)", desc, ctx.Err(), lastErr)
		case <-t.C:
		}
	}
}

// backoff is the full-jitter wait before retry n+1: uniform random up to an
// exponentially growing cap, so that many clients hitting one overloaded
// node spread out instead of retrying in lockstep.
func (c *Client) backoff(n int) time.Duration {
	ceil := c.opts.BackoffMax
	if n < 30 {
		if d := c.opts.BackoffBase << n; d > 0 && d < ceil {
			ceil = d
		}
	}
	return time.Duration(rand.Int64N(int64(ceil)) + 1)
}

// attempt performs one HTTP exchange. It returns the body on success, or an
// error with whether it is worth retrying and how long the server asked us
// to wait (0 for our own backoff).
func (c *Client) attempt(ctx context.Context, desc callDesc, body []byte) ([]byte, time.Duration, bool, error) {
	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, false, fmt.Errorf("%s: build request for %s: %w", desc, c.shown, c.redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, c.transient(ctx, err), fmt.Errorf("%s: %w", desc, describeTransport(c.redact(err)))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxResponseBytes+1))
	if err != nil {
		return nil, 0, c.transient(ctx, err), fmt.Errorf("%s: read response from %s: %w", desc, c.shown, describeTransport(c.redact(err)))
	}
	if int64(len(data)) > c.opts.MaxResponseBytes {
		return nil, 0, false, fmt.Errorf("%s: response from %s exceeds the cap of %d bytes", desc, c.shown, c.opts.MaxResponseBytes)
	}
	if resp.StatusCode/100 == 2 {
		return data, 0, false, nil
	}
	herr := &HTTPError{Method: desc.name(), Params: desc.paramString(), URL: c.shown, Status: resp.StatusCode, Body: truncate(strings.TrimSpace(string(data)), 200)}
	switch st := resp.StatusCode; {
	case st == http.StatusTooManyRequests || st == http.StatusServiceUnavailable:
		return nil, retryAfter(resp.Header.Get("Retry-After"), time.Now()), true, herr
	case st == http.StatusInternalServerError || st == http.StatusBadGateway || st == http.StatusGatewayTimeout ||
		st == http.StatusRequestTimeout || st >= 520 && st <= 527: // 52x: CDN in front of the node
		return nil, 0, true, herr
	}
	// Some nodes put a JSON-RPC error object in a 4xx body; it says more
	// than the status line.
	if desc.batch == nil {
		if r, err := parseResponse(data); err == nil && r.Error != nil {
			return nil, 0, false, r.Error.toError(desc.method, formatParams(desc.params))
		}
	}
	return nil, 0, false, herr
}

// redact puts the redacted URL into the *url.Error that net/http wraps
// transport failures in.
func (c *Client) redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = c.shown
	}
	return err
}

// transient reports whether a transport error may go away on retry. The
// caller's own cancellation never does; our per-attempt timeout does.
func (c *Client) transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true // the per-attempt timeout
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTimeout || dnsErr.IsTemporary
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) ||
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

// describeTransport puts the reason first so that "connection refused" is
// what a reader sees, followed by Go's error which names the URL.
func describeTransport(err error) error {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("connection refused: %w", err)
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("connection reset: %w", err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("timeout: %w", err)
	}
	return err
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(h, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	if d <= 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}
