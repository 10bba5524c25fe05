package btcnode

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// Unspent is one output of the node's unspent set as the node reports it.
type Unspent struct {
	OutPoint wire.OutPoint
	Height   int64 // of the block holding the output
	Coinbase bool
	Value    int64 // satoshis
	PkScript []byte
	// Type is btcd's script class: pubkey, pubkeyhash, scripthash,
	// multisig, witness_v0_keyhash, witness_v0_scripthash,
	// witness_v1_taproot or nonstandard.
	Type string
	// Address is the one address the node gives the output, empty when it
	// gives none or several. btcd gives P2PK outputs the P2PKH address of
	// their key.
	Address string
	// Addresses are all addresses the node decodes from the script; for
	// bare multisig the P2PKH address of every key.
	Addresses []string
}

// Balances is the node's unspent set at its best block.
//
// It is read from the node alone, not from the harness's wallet: every
// block of the best chain is fetched raw (getblockhash, getblock verbosity
// 0) and decoded to enumerate all outputs ever created, and each output is
// then asked for with gettxout (include_mempool false), which answers from
// btcd's UTXO set at the tip and returns null for spent and unspendable
// outputs. Scripts, types and addresses are those of gettxout's
// scriptPubKey; values are those of the raw block, checked equal to
// gettxout's value. The mempool plays no part. The tip is read before and
// after the walk, and the walk is repeated if it moved.
type Balances struct {
	Height  int64
	Hash    chainhash.Hash
	Unspent []Unspent // in chain order: height, transaction, output index
}

// ByAddress sums the unspent values by Unspent.Address, leaving out
// outputs without a single address (bare multisig, nonstandard).
func (b *Balances) ByAddress() map[string]int64 {
	m := map[string]int64{}
	for _, u := range b.Unspent {
		if u.Address != "" {
			m[u.Address] += u.Value
		}
	}
	return m
}

// ByScript sums the unspent values by hex-encoded scriptPubKey; it covers
// every output, with or without an address.
func (b *Balances) ByScript() map[string]int64 {
	m := map[string]int64{}
	for _, u := range b.Unspent {
		m[hex.EncodeToString(u.PkScript)] += u.Value
	}
	return m
}

// Total is the sum of all unspent values.
func (b *Balances) Total() int64 {
	var t int64
	for _, u := range b.Unspent {
		t += u.Value
	}
	return t
}

// Balances reads the node's unspent set at its best block; see the
// Balances type for how.
func (n *Node) Balances(ctx context.Context) (*Balances, error) {
	const attempts = 3
	for range attempts {
		b, moved, err := n.readBalances(ctx)
		if err != nil {
			return nil, err
		}
		if !moved {
			return b, nil
		}
	}
	return nil, fmt.Errorf("btcnode: balances: the best block moved during %d walks", attempts)
}

func (n *Node) readBalances(ctx context.Context) (b *Balances, moved bool, err error) {
	b = &Balances{}
	if b.Height, err = n.Height(ctx); err != nil {
		return nil, false, err
	}
	if b.Hash, err = n.BlockHash(ctx, b.Height); err != nil {
		return nil, false, err
	}
	for h := int64(0); h <= b.Height; h++ {
		hash, err := n.BlockHash(ctx, h)
		if err != nil {
			return nil, false, err
		}
		block, err := n.Block(ctx, hash)
		if err != nil {
			return nil, false, err
		}
		us, err := n.unspentOf(ctx, h, block)
		if err != nil {
			return nil, false, fmt.Errorf("btcnode: balances: block %d %s: %w", h, hash, err)
		}
		b.Unspent = append(b.Unspent, us...)
	}
	var best string
	if err := n.rpc.call(ctx, "getbestblockhash", &best); err != nil {
		return nil, false, fmt.Errorf("btcnode: %w", err)
	}
	return b, best != b.Hash.String(), nil
}

// txOutResult is gettxout's answer.
type txOutResult struct {
	Value        json.Number `json:"value"`
	Coinbase     bool        `json:"coinbase"`
	ScriptPubKey struct {
		Hex       string   `json:"hex"`
		Type      string   `json:"type"`
		Address   string   `json:"address"`
		Addresses []string `json:"addresses"`
	} `json:"scriptPubKey"`
}

// unspentOf asks the node, in one batch, which outputs of block are
// unspent.
func (n *Node) unspentOf(ctx context.Context, height int64, block *wire.MsgBlock) ([]Unspent, error) {
	var calls []*batchCall
	var ops []wire.OutPoint
	var outs []*wire.TxOut
	for _, tx := range block.Transactions {
		txid := tx.TxHash()
		for i, o := range tx.TxOut {
			calls = append(calls, &batchCall{Method: "gettxout", Params: []any{txid.String(), i, false}})
			ops = append(ops, wire.OutPoint{Hash: txid, Index: uint32(i)})
			outs = append(outs, o)
		}
	}
	if err := n.rpc.batch(ctx, calls); err != nil {
		return nil, err
	}
	var us []Unspent
	for i, c := range calls {
		if c.Err != nil {
			return nil, fmt.Errorf("output %s: %w", ops[i], c.Err)
		}
		if len(c.Result) == 0 || string(c.Result) == "null" {
			continue
		}
		var r txOutResult
		if err := json.Unmarshal(c.Result, &r); err != nil {
			return nil, fmt.Errorf("output %s: decode gettxout %.200s: %w", ops[i], c.Result, err)
		}
		u, err := unspentFrom(ops[i], height, outs[i], &r)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", ops[i], err)
		}
		us = append(us, u)
	}
	return us, nil
}

// unspentFrom combines the raw output with the node's view of it, failing
// if the two disagree.
func unspentFrom(op wire.OutPoint, height int64, raw *wire.TxOut, r *txOutResult) (Unspent, error) {
	script, err := decodeHex(r.ScriptPubKey.Hex)
	if err != nil {
		return Unspent{}, fmt.Errorf("gettxout scriptPubKey: %w", err)
	}
	if !bytes.Equal(script, raw.PkScript) {
		return Unspent{}, fmt.Errorf("gettxout script %x differs from the block's %x", script, raw.PkScript)
	}
	sats, err := btcToSatoshis(r.Value.String())
	if err != nil {
		return Unspent{}, fmt.Errorf("gettxout value: %w", err)
	}
	if sats != raw.Value {
		return Unspent{}, fmt.Errorf("gettxout value %s BTC differs from the block's %d sat", r.Value, raw.Value)
	}
	addrs := r.ScriptPubKey.Addresses
	if len(addrs) == 0 && r.ScriptPubKey.Address != "" {
		addrs = []string{r.ScriptPubKey.Address}
	}
	return Unspent{
		OutPoint:  op,
		Height:    height,
		Coinbase:  r.Coinbase,
		Value:     raw.Value,
		PkScript:  raw.PkScript,
		Type:      r.ScriptPubKey.Type,
		Address:   r.ScriptPubKey.Address,
		Addresses: addrs,
	}, nil
}

// btcToSatoshis converts a JSON number of bitcoins to satoshis exactly,
// refusing fractions of a satoshi. big.Rat parses decimal and exponent
// forms ("0.5", "1e-08") without going through a float.
func btcToSatoshis(s string) (int64, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	r.Mul(r, big.NewRat(100_000_000, 1))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, fmt.Errorf("%s BTC is not a whole number of satoshis", s)
	}
	return r.Num().Int64(), nil
}
