package btcnode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
)

// RPCError is an error object returned by the node, for example the reason
// sendrawtransaction rejected a transaction.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("rpc error %d: %s", e.Code, e.Message) }

// rpcClient speaks btcd's JSON-RPC over plain HTTP with basic auth, the same
// protocol chainhound's ingester uses, so the harness exercises the wire
// format the product depends on rather than a library's view of it.
type rpcClient struct {
	url, user, pass string
	http            *http.Client
	id              atomic.Uint64
}

type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type rpcResponse struct {
	ID     uint64          `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *RPCError       `json:"error"`
}

// call runs method with params and decodes its result into result (which
// may be nil to discard it).
func (c *rpcClient) call(ctx context.Context, method string, result any, params ...any) error {
	if params == nil {
		params = []any{}
	}
	req := rpcRequest{JSONRPC: "1.0", ID: c.id.Add(1), Method: method, Params: params}
	var resp rpcResponse
	if err := c.post(ctx, req, &resp); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("%s: %w", method, resp.Error)
	}
	if result == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Result, result); err != nil {
		return fmt.Errorf("%s: decode result %.200s: %w", method, resp.Result, err)
	}
	return nil
}

// batchCall is one request of a batch; after batch returns, Result holds
// the raw result (JSON null when the node returned null) or Err the error.
type batchCall struct {
	Method string
	Params []any
	Result json.RawMessage
	Err    error
}

// batch sends calls as one JSON-RPC 2.0 batch: one HTTP round trip instead
// of len(calls). Per-call errors land in the calls; the returned error is
// for the batch as a whole.
func (c *rpcClient) batch(ctx context.Context, calls []*batchCall) error {
	if len(calls) == 0 {
		return nil
	}
	reqs := make([]rpcRequest, len(calls))
	byID := make(map[uint64]*batchCall, len(calls))
	for i, bc := range calls {
		params := bc.Params
		if params == nil {
			params = []any{}
		}
		reqs[i] = rpcRequest{JSONRPC: "2.0", ID: c.id.Add(1), Method: bc.Method, Params: params}
		byID[reqs[i].ID] = bc
	}
	var resps []rpcResponse
	if err := c.post(ctx, reqs, &resps); err != nil {
		return fmt.Errorf("batch of %d %s: %w", len(calls), calls[0].Method, err)
	}
	for _, r := range resps {
		bc, ok := byID[r.ID]
		if !ok {
			return fmt.Errorf("batch of %d %s: response with unknown id %d", len(calls), calls[0].Method, r.ID)
		}
		delete(byID, r.ID)
		if r.Error != nil {
			bc.Err = fmt.Errorf("%s: %w", bc.Method, r.Error)
			continue
		}
		bc.Result = r.Result
	}
	if len(byID) > 0 {
		return fmt.Errorf("batch of %d %s: %d responses missing", len(calls), calls[0].Method, len(byID))
	}
	return nil
}

func (c *rpcClient) post(ctx context.Context, body, out any) error {
	buf, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(buf))
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.user, c.pass)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	// btcd answers RPC errors with HTTP 500 and a JSON body; only a body
	// that is not JSON-RPC is a transport failure.
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("http %s: %.200s", resp.Status, bytes.TrimSpace(data))
	}
	return nil
}
