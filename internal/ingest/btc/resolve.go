package btc

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// maxBatch bounds the calls of one JSON-RPC batch: bitcoind serves a batch
// on one worker thread, and huge batches starve its other clients.
const maxBatch = 100

// ResolveInputs returns the outputs that tx's inputs spend, in input
// order, fetched with getrawtransaction (the node needs -txindex=1) and
// classified for net. The coinbase input spends nothing: its entry is the
// zero Output. Ingest that starts above genesis, without its own output
// index for the earlier blocks, resolves inputs this way.
func (c *RPC) ResolveInputs(ctx context.Context, tx *Tx, net Network) ([]Output, error) {
	out := make([]Output, len(tx.Inputs))
	if tx.Coinbase {
		return out, nil
	}
	var ids []chainhash.Hash
	seen := map[chainhash.Hash]bool{}
	for _, in := range tx.Inputs {
		if !seen[in.PrevTxid] {
			seen[in.PrevTxid] = true
			ids = append(ids, in.PrevTxid)
		}
	}
	prev, err := c.getRawTransactions(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("resolve inputs of %s: %w", tx.Txid, err)
	}
	for i, in := range tx.Inputs {
		p := prev[in.PrevTxid]
		if int64(in.PrevVout) >= int64(len(p.TxOut)) {
			return nil, fmt.Errorf("resolve inputs of %s: input %d spends %s:%d, which has %d outputs", tx.Txid, i, in.PrevTxid, in.PrevVout, len(p.TxOut))
		}
		o := p.TxOut[in.PrevVout]
		out[i] = Output{Value: o.Value, Script: o.PkScript}
		out[i].Type, out[i].Address = ClassifyScript(o.PkScript, net)
	}
	return out, nil
}

// getRawTransactions fetches transactions in batches and decodes them,
// checking each txid.
func (c *RPC) getRawTransactions(ctx context.Context, ids []chainhash.Hash) (map[chainhash.Hash]*wire.MsgTx, error) {
	out := make(map[chainhash.Hash]*wire.MsgTx, len(ids))
	for start := 0; start < len(ids); start += maxBatch {
		chunk := ids[start:min(start+maxBatch, len(ids))]
		params := make([][]any, len(chunk))
		for i, id := range chunk {
			params[i] = []any{id.String(), 0} // verbosity as a number: btcd refuses a bool
		}
		res, err := c.Batch(ctx, "getrawtransaction", params)
		if err != nil {
			if strings.Contains(err.Error(), "txindex") {
				err = fmt.Errorf("%w (the node needs -txindex=1 to serve transactions of past blocks)", err)
			}
			return nil, err
		}
		for i, r := range res {
			desc := callDesc{"getrawtransaction", formatParams(params[i])}
			raw, err := hexResult(desc, r)
			if err != nil {
				return nil, err
			}
			mtx, err := decodeTx(raw, chunk[i])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", desc, err)
			}
			out[chunk[i]] = mtx
		}
	}
	return out, nil
}

// Batch calls method once per element of params in one JSON-RPC batch and
// returns the results in the order of params. The first element that
// failed fails the batch, with its own method and parameters named.
func (c *RPC) Batch(ctx context.Context, method string, params [][]any) ([]json.RawMessage, error) {
	if len(params) == 0 {
		return nil, nil
	}
	n := uint64(len(params))
	first := c.nextID.Add(n) - n + 1
	reqs := make([]rpcRequest, len(params))
	for i, p := range params {
		if p == nil {
			p = []any{}
		}
		reqs[i] = rpcRequest{JSONRPC: "1.0", ID: first + uint64(i), Method: method, Params: p}
	}
	desc := callDesc{method, fmt.Sprintf("batch of %d, first %s", len(params), formatParams(params[0]))}
	body, err := json.Marshal(reqs)
	if err != nil {
		return nil, fmt.Errorf("%s: encode request: %w", desc, err)
	}
	var out []json.RawMessage
	_, err = c.retry(ctx, desc, func() (json.RawMessage, time.Duration, bool, error) {
		data, wait, retry, err := c.post(ctx, desc, body)
		if err != nil {
			return nil, wait, retry, err
		}
		out, retry, err = matchBatch(data, desc, method, params, first)
		return nil, 0, retry, err
	})
	return out, err
}

// matchBatch orders a batch response by id and surfaces element errors.
func matchBatch(data []byte, desc callDesc, method string, params [][]any, first uint64) ([]json.RawMessage, bool, error) {
	var rs []rpcResponse
	if err := json.Unmarshal(data, &rs); err != nil {
		// A node refusing the batch as a whole answers one error object.
		if r, perr := parseResponse(data); perr == nil && r.Error != nil {
			re := &RPCError{Method: method, Params: desc.params, Code: r.Error.Code, Message: r.Error.Message}
			return nil, re.Code == rpcInWarmup, re
		}
		return nil, false, fmt.Errorf("%s: invalid JSON-RPC batch response: %w (%d bytes, starting %q)", desc, err, len(data), truncate(string(data), 80))
	}
	out := make([]json.RawMessage, len(params))
	for _, r := range rs {
		id, err := strconv.ParseUint(strings.Trim(string(r.ID), `"`), 10, 64)
		if err != nil || id < first || id-first >= uint64(len(params)) || out[id-first] != nil {
			return nil, false, fmt.Errorf("%s: response with unexpected or repeated id %s", desc, truncate(string(r.ID), 40))
		}
		i := id - first
		if r.Error != nil {
			re := &RPCError{Method: method, Params: formatParams(params[i]), Code: r.Error.Code, Message: r.Error.Message}
			return nil, re.Code == rpcInWarmup, re
		}
		if r.Result == nil {
			r.Result = json.RawMessage("null")
		}
		out[i] = r.Result
	}
	for i, r := range out {
		if r == nil {
			return nil, false, fmt.Errorf("%s: no response for element %d (%s)", desc, i, formatParams(params[i]))
		}
	}
	return out, false, nil
}
