package btcnode

import (
	"context"
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// ReorgConfig configures Node.Reorg.
type ReorgConfig struct {
	// Depth is the number of blocks taken off the tip, at least 1.
	Depth int
	// NewBlocks is the number of blocks mined on the fork point; 0 means
	// Depth+1, so the new branch is the longer one as in a natural reorg.
	NewBlocks int
	// Conflicts are harness transactions of the disconnected blocks to
	// double-spend on the new branch. Each is replaced (BIP125) by a
	// transaction spending its first input to MiningScript, paying more
	// fee than it and its descendants, so it and every descendant vanish
	// from the chain while the rest of the old branch is mined again.
	Conflicts []chainhash.Hash
}

// ReorgResult tells what a Reorg changed.
type ReorgResult struct {
	ForkHeight int64            // last block both branches share
	Old        []chainhash.Hash // disconnected blocks, from ForkHeight+1 up
	New        []chainhash.Hash // blocks of the new branch, from ForkHeight+1 up
	// Replacements maps every conflicted txid to its replacement's.
	Replacements map[chainhash.Hash]chainhash.Hash
	// Dropped lists the non-coinbase transactions of the old branch that
	// the new chain does not hold, in old-chain order: the conflicted
	// ones, their descendants, and any the mempool refused to take back
	// (for example spends of coinbases that are immature again).
	Dropped []chainhash.Hash
}

// Reorg makes the node reorganise: it invalidates the block at height
// tip-Depth+1 (invalidateblock), which disconnects it and its descendants
// and returns their transactions to the mempool; replaces the Conflicts;
// mines NewBlocks on the fork point, which take the mempool; and, when the
// new branch is longer, lets the old blocks be valid again
// (reconsiderblock), so they stay known to the node as a stale branch, as
// after a reorg on a live network.
//
// Block hashes at every height above the fork point change, as do the
// coinbases; the other transactions keep their txids but move to new
// blocks, all into the first one.
func (n *Node) Reorg(ctx context.Context, cfg ReorgConfig) (*ReorgResult, error) {
	if err := n.sync(ctx); err != nil {
		return nil, err
	}
	n.mu.Lock()
	tip := int64(len(n.chain) - 1)
	if cfg.Depth < 1 || int64(cfg.Depth) > tip {
		n.mu.Unlock()
		return nil, fmt.Errorf("btcnode: reorg depth %d: want 1 to the height %d", cfg.Depth, tip)
	}
	if cfg.NewBlocks <= 0 {
		cfg.NewBlocks = cfg.Depth + 1
	}
	res := &ReorgResult{ForkHeight: tip - int64(cfg.Depth), Replacements: map[chainhash.Hash]chainhash.Hash{}}
	var oldTxs []chainhash.Hash
	for _, rec := range n.chain[res.ForkHeight+1:] {
		res.Old = append(res.Old, rec.hash)
		oldTxs = append(oldTxs, rec.txids[1:]...)
	}
	// Check the conflicts before touching the node, so a bad argument
	// does not leave it half reorganised.
	for _, txid := range cfg.Conflicts {
		if _, ok := n.sent[txid]; !ok || !slices.Contains(oldTxs, txid) {
			n.mu.Unlock()
			return nil, fmt.Errorf("btcnode: reorg: conflict %s is not a harness transaction in the top %d blocks", txid, cfg.Depth)
		}
	}
	n.mu.Unlock()

	if err := n.Call(ctx, "invalidateblock", nil, res.Old[0].String()); err != nil {
		return nil, fmt.Errorf("btcnode: reorg at height %d: %w", res.ForkHeight+1, err)
	}
	if err := n.sync(ctx); err != nil {
		return nil, err
	}
	for _, txid := range cfg.Conflicts {
		repl, err := n.replace(ctx, txid)
		if err != nil {
			return nil, fmt.Errorf("btcnode: reorg: conflict with %s: %w", txid, err)
		}
		res.Replacements[txid] = repl
	}
	var err error
	if res.New, err = n.Generate(ctx, cfg.NewBlocks); err != nil {
		return nil, fmt.Errorf("btcnode: reorg: mine new branch: %w", err)
	}
	if cfg.NewBlocks > cfg.Depth {
		if err := n.Call(ctx, "reconsiderblock", nil, res.Old[0].String()); err != nil {
			return nil, fmt.Errorf("btcnode: reorg: %w", err)
		}
		best, err := n.BlockHash(ctx, res.ForkHeight+int64(cfg.NewBlocks))
		if err != nil {
			return nil, err
		}
		if best != res.New[len(res.New)-1] {
			return nil, fmt.Errorf("btcnode: reorg: after reconsiderblock the best chain holds %s, not the new tip %s", best, res.New[len(res.New)-1])
		}
	}
	if err := n.sync(ctx); err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, txid := range oldTxs {
		if !n.onChainLocked(txid, res.ForkHeight+1) {
			res.Dropped = append(res.Dropped, txid)
		}
	}
	return res, nil
}

// onChainLocked reports whether txid is in a scanned block at or above
// from. n.mu must be held.
func (n *Node) onChainLocked(txid chainhash.Hash, from int64) bool {
	for _, rec := range n.chain[from:] {
		if slices.Contains(rec.txids, txid) {
			return true
		}
	}
	return false
}

// replace broadcasts a transaction conflicting with the harness
// transaction txid, which must be in the mempool, and returns its txid.
func (n *Node) replace(ctx context.Context, txid chainhash.Hash) (chainhash.Hash, error) {
	n.mu.Lock()
	pool, err := n.mempoolLocked(ctx)
	if err != nil {
		n.mu.Unlock()
		return chainhash.Hash{}, err
	}
	orig, ok := n.sent[txid]
	if !ok || !slices.Contains(pool, orig) {
		n.mu.Unlock()
		return chainhash.Hash{}, fmt.Errorf("not a harness transaction in the mempool")
	}
	evicted := descendantFees(orig, pool)
	n.mu.Unlock()

	tx, fee, err := n.build(orig.coins[:1], nil, n.mining, evicted)
	if err != nil {
		return chainhash.Hash{}, err
	}
	if err := n.broadcast(ctx, tx, fee, orig.coins[:1]); err != nil {
		return chainhash.Hash{}, err
	}
	return tx.TxHash(), nil
}

// descendantFees sums the fees of root and of every transaction in pool
// that spends its outputs, directly or not: what a replacement of root
// must outbid.
func descendantFees(root *sentTx, pool []*sentTx) int64 {
	evicted := map[chainhash.Hash]bool{root.tx.TxHash(): true}
	sum := root.fee
	for grew := true; grew; {
		grew = false
		for _, st := range pool {
			h := st.tx.TxHash()
			if evicted[h] {
				continue
			}
			if slices.ContainsFunc(st.tx.TxIn, func(in *wire.TxIn) bool { return evicted[in.PreviousOutPoint.Hash] }) {
				evicted[h] = true
				sum += st.fee
				grew = true
			}
		}
	}
	return sum
}
