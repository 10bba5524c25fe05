// Package store keeps chainhound's value-flow graph: transfers of every
// ingested chain with their per-address and per-transaction indexes, in an
// embedded Pebble database in one directory.
//
// Writes come one block at a time (ApplyBlock), each as one atomic batch that
// also moves the chain's cursor and records an undo entry, so a process killed
// at any instant reopens at a block boundary with nothing lost or doubled.
// Rollback undoes blocks down to a fork point. The key layout is in keys.go.
package store

import (
	"errors"
	"fmt"
	"iter"

	"github.com/chainhound/chainhound/internal/chain"
)

// Row is a transfer as read back from the store, with its chain and the
// time of its block.
type Row struct {
	Chain chain.Chain
	chain.Transfer
	Time int64
}

// Query selects transfers. Zero values mean "no restriction".
type Query struct {
	Chain      chain.Chain
	FromBlock  uint64
	ToBlock    uint64 // inclusive, when HasToBlock; otherwise up to the cursor
	HasToBlock bool
	Address    *chain.Address
	Kinds      []chain.Kind
}

// TxInfo is what the store knows of one transaction.
type TxInfo struct {
	Chain     chain.Chain
	Hash      chain.Hash
	Block     uint64
	BlockHash chain.Hash
	Index     uint32
	Success   bool
	Time      int64
	Transfers []Row
}

// Reader is the read side that analysis and the surfaces depend on.
type Reader interface {
	// Network returns the network chain c is bound to.
	Network(c chain.Chain) (chain.Network, bool, error)
	// Cursor returns the last block applied to chain c.
	Cursor(c chain.Chain) (Cursor, bool, error)
	// BlockHash returns the stored hash of block h of chain c.
	BlockHash(c chain.Chain, h uint64) (chain.Hash, bool, error)
	// Transfers yields the transfers matching q in chain order
	// (block, tx index, seq).
	Transfers(q Query) iter.Seq2[Row, error]
	// Tx returns a transaction and its transfers.
	Tx(c chain.Chain, hash chain.Hash) (TxInfo, bool, error)
}

// Writer is the write side used by ingestion.
type Writer interface {
	// Bind ties chain c to network n. The first call for a chain only
	// remembers n; it is written with the first block, so a run that fails
	// before storing anything leaves the store as it was. A store already
	// bound to another network returns a *NetworkMismatchError.
	Bind(c chain.Chain, n chain.Network) error
	// ApplyBlock stores b atomically. b must extend the cursor: its height is
	// the cursor's plus one and its parent hash the cursor's hash (the first
	// block of a chain may have any height). Otherwise it returns a
	// *ParentMismatchError or *GapError and stores nothing.
	ApplyBlock(b *chain.Block) error
	// Rollback undoes blocks of chain c, newest first, until the cursor is
	// at height h (or the chain is empty), one atomic batch per block.
	Rollback(c chain.Chain, h uint64) error
}

// NetworkMismatchError says a data directory belongs to another network.
type NetworkMismatchError struct {
	Chain       chain.Chain
	Have, Given chain.Network
}

func (e *NetworkMismatchError) Error() string {
	return fmt.Sprintf("this data directory holds %s chain %s (genesis %s), not %s (genesis %s): use another --data directory",
		e.Chain, e.Have.CAIP2, e.Have.Genesis, e.Given.CAIP2, e.Given.Genesis)
}

// ParentMismatchError says a block does not extend the stored chain: the
// sign of a reorganisation.
type ParentMismatchError struct {
	Chain  chain.Chain
	Height uint64
	Parent chain.Hash // the block's parent hash
	Stored chain.Hash // the stored hash at Height-1
}

func (e *ParentMismatchError) Error() string {
	return fmt.Sprintf("%s block %d: parent %s does not match stored block %d %s",
		e.Chain, e.Height, e.Parent, e.Height-1, e.Stored)
}

// GapError says a block is not the next one after the cursor.
type GapError struct {
	Chain        chain.Chain
	Height, Next uint64
}

func (e *GapError) Error() string {
	return fmt.Sprintf("%s block %d: the store expects block %d next", e.Chain, e.Height, e.Next)
}

// ErrCorrupt marks a stored record that cannot be decoded.
var ErrCorrupt = errCorrupt

// IsReorg reports whether err is a parent mismatch.
func IsReorg(err error) bool {
	var pm *ParentMismatchError
	return errors.As(err, &pm)
}
