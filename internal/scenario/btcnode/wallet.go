package btcnode

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// UTXO is an unspent output the harness controls.
type UTXO struct {
	OutPoint wire.OutPoint
	Value    int64 // satoshis
	Script   *Script
	// Height of the block holding the output; -1 while its transaction
	// waits in the mempool.
	Height   int64
	Coinbase bool
}

// blockRecord is what the wallet learnt from one best-chain block, with
// enough to undo it when the node reorganises.
type blockRecord struct {
	hash    chainhash.Hash
	txids   []chainhash.Hash
	created []wire.OutPoint // wallet outputs the block created
	spent   []UTXO          // wallet outputs the block spent
}

// sentTx is a transaction the harness broadcast.
type sentTx struct {
	tx    *wire.MsgTx
	fee   int64
	coins []UTXO // the outputs it spends, in input order
	seq   int    // sending order
}

// Script derives the single-key script of type t for key index key and
// tracks outputs paying to it from now on. Register a script before paying
// to it: outputs mined earlier are only found by Watch.
func (n *Node) Script(t ScriptType, key int) (*Script, error) {
	if key < 0 || key >= len(n.keys) {
		return nil, fmt.Errorf("btcnode: %s script: key %d of %d", t, key, len(n.keys))
	}
	s, err := NewScript(n.params, t, n.keys[key])
	if err != nil {
		return nil, err
	}
	return n.register(s), nil
}

// Multisig derives an m-of-len(keys) multisig script of type t over the
// given key indices, in that order, and tracks outputs paying to it from
// now on.
func (n *Node) Multisig(t ScriptType, m int, keys ...int) (*Script, error) {
	privs := make([]*btcec.PrivateKey, len(keys))
	for i, k := range keys {
		if k < 0 || k >= len(n.keys) {
			return nil, fmt.Errorf("btcnode: %s script: key %d of %d", t, k, len(n.keys))
		}
		privs[i] = n.keys[k]
	}
	s, err := NewMultisig(n.params, t, m, privs...)
	if err != nil {
		return nil, err
	}
	return n.register(s), nil
}

// register adds s to the tracked scripts, or returns the script already
// tracked under the same PkScript.
func (n *Node) register(s *Script) *Script {
	n.mu.Lock()
	defer n.mu.Unlock()
	if old, ok := n.scripts[string(s.PkScript)]; ok {
		return old
	}
	n.scripts[string(s.PkScript)] = s
	return s
}

// Watch tracks outputs paying to scripts built elsewhere (with NewScript
// or NewMultisig) and rescans the chain from genesis, so outputs mined
// before the call are found too.
func (n *Node) Watch(ctx context.Context, scripts ...*Script) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, s := range scripts {
		if len(s.keys) == 0 {
			return fmt.Errorf("btcnode: watch %s %x: %w", s.Type, s.PkScript, errNoKeys)
		}
		if _, ok := n.scripts[string(s.PkScript)]; !ok {
			n.scripts[string(s.PkScript)] = s
		}
	}
	n.chain = nil
	clear(n.utxos)
	return n.syncLocked(ctx)
}

// UTXOs returns the outputs the harness can spend in the next block: those
// of its scripts on the best chain, coinbases once mature, plus outputs of
// its own transactions waiting in the mempool, less the outputs those
// transactions spend. Confirmed ones come first, by height, then by
// transaction and output order within the block; mempool ones follow in
// the order they were sent.
func (n *Node) UTXOs(ctx context.Context) ([]UTXO, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.syncLocked(ctx); err != nil {
		return nil, err
	}
	pool, err := n.mempoolLocked(ctx)
	if err != nil {
		return nil, err
	}
	tip := int64(len(n.chain) - 1)
	spent := map[wire.OutPoint]bool{}
	for _, st := range pool {
		for _, in := range st.tx.TxIn {
			spent[in.PreviousOutPoint] = true
		}
	}
	var out []UTXO
	for op, u := range n.utxos {
		if spent[op] || (u.Coinbase && tip+1-u.Height < int64(n.params.CoinbaseMaturity)) {
			continue
		}
		out = append(out, u)
	}
	n.sortConfirmed(out)
	for _, st := range pool {
		txid := st.tx.TxHash()
		for i, o := range st.tx.TxOut {
			op := wire.OutPoint{Hash: txid, Index: uint32(i)}
			if s, ok := n.scripts[string(o.PkScript)]; ok && !spent[op] {
				out = append(out, UTXO{OutPoint: op, Value: o.Value, Script: s, Height: -1})
			}
		}
	}
	return out, nil
}

// sortConfirmed orders confirmed outputs by chain position.
func (n *Node) sortConfirmed(us []UTXO) {
	pos := func(u UTXO) int {
		return slices.Index(n.chain[u.Height].txids, u.OutPoint.Hash)
	}
	slices.SortFunc(us, func(a, b UTXO) int {
		return cmp.Or(cmp.Compare(a.Height, b.Height), cmp.Compare(pos(a), pos(b)), cmp.Compare(a.OutPoint.Index, b.OutPoint.Index))
	})
}

// mempoolLocked returns the harness's transactions the node holds in its
// mempool, in sending order. n.mu must be held.
func (n *Node) mempoolLocked(ctx context.Context) ([]*sentTx, error) {
	var ids []string
	if err := n.rpc.call(ctx, "getrawmempool", &ids, false); err != nil {
		return nil, fmt.Errorf("btcnode: %w", err)
	}
	var pool []*sentTx
	for _, s := range ids {
		var h chainhash.Hash
		if err := chainhash.Decode(&h, s); err != nil {
			return nil, fmt.Errorf("btcnode: getrawmempool: txid %q: %w", s, err)
		}
		if st, ok := n.sent[h]; ok {
			pool = append(pool, st)
		}
	}
	slices.SortFunc(pool, func(a, b *sentTx) int { return cmp.Compare(a.seq, b.seq) })
	return pool, nil
}

// TxHeight returns the height of the best-chain block holding txid, as
// last scanned, and whether it is there.
func (n *Node) TxHeight(ctx context.Context, txid chainhash.Hash) (int64, bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.syncLocked(ctx); err != nil {
		return 0, false, err
	}
	for h := len(n.chain) - 1; h >= 0; h-- {
		if slices.Contains(n.chain[h].txids, txid) {
			return int64(h), true, nil
		}
	}
	return 0, false, nil
}

// sync brings the wallet to the node's best chain.
func (n *Node) sync(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.syncLocked(ctx)
}

// syncLocked undoes scanned blocks the node no longer has on its best
// chain, then scans the blocks above the fork point. n.mu must be held.
func (n *Node) syncLocked(ctx context.Context) error {
	if n.closed {
		return errClosed
	}
	tip, err := n.Height(ctx)
	if err != nil {
		return err
	}
	for len(n.chain) > 0 {
		h := int64(len(n.chain) - 1)
		if h <= tip {
			hash, err := n.BlockHash(ctx, h)
			if err != nil {
				return err
			}
			if hash == n.chain[h].hash {
				break
			}
		}
		n.undoTip()
	}
	for h := int64(len(n.chain)); h <= tip; h++ {
		hash, err := n.BlockHash(ctx, h)
		if err != nil {
			return err
		}
		b, err := n.Block(ctx, hash)
		if err != nil {
			return err
		}
		if h > 0 && b.Header.PrevBlock != n.chain[h-1].hash {
			// The node reorganised while we scanned; start over from the
			// new tip.
			return n.syncLocked(ctx)
		}
		n.apply(hash, h, b)
	}
	return nil
}

func (n *Node) apply(hash chainhash.Hash, height int64, b *wire.MsgBlock) {
	rec := blockRecord{hash: hash}
	for i, tx := range b.Transactions {
		txid := tx.TxHash()
		rec.txids = append(rec.txids, txid)
		if i > 0 {
			for _, in := range tx.TxIn {
				if u, ok := n.utxos[in.PreviousOutPoint]; ok {
					rec.spent = append(rec.spent, u)
					delete(n.utxos, in.PreviousOutPoint)
				}
			}
		}
		for vout, o := range tx.TxOut {
			s, ok := n.scripts[string(o.PkScript)]
			if !ok {
				continue
			}
			op := wire.OutPoint{Hash: txid, Index: uint32(vout)}
			n.utxos[op] = UTXO{OutPoint: op, Value: o.Value, Script: s, Height: height, Coinbase: i == 0}
			rec.created = append(rec.created, op)
		}
	}
	n.chain = append(n.chain, rec)
}

func (n *Node) undoTip() {
	rec := n.chain[len(n.chain)-1]
	n.chain = n.chain[:len(n.chain)-1]
	for _, op := range rec.created {
		delete(n.utxos, op)
	}
	for _, u := range rec.spent {
		n.utxos[u.OutPoint] = u
	}
}

func decodeHex(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("hex: %w", err)
	}
	return b, nil
}

// serialize returns tx in wire format with witnesses.
func serialize(tx *wire.MsgTx) []byte {
	var buf bytes.Buffer
	buf.Grow(tx.SerializeSize())
	_ = tx.Serialize(&buf) // writes to a bytes.Buffer cannot fail
	return buf.Bytes()
}
