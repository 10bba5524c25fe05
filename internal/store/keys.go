package store

import (
	"encoding/binary"

	"github.com/chainhound/chainhound/internal/chain"
)

// Key layout of the Pebble store. This file is the single place that defines
// it: every key family, its value and the reason it exists.
//
// All integers in keys are fixed-width big-endian so that a prefix scan comes
// out in numeric order: transactions by (height, tx index), an address's
// index entries by height. "c" below is the one-byte chain.Chain code, "h" an
// 8-byte height, "i" a 4-byte transaction index (chain.BlockLevel for
// block-level transfers such as withdrawals), "id" an 8-byte interned
// address id.
//
//	prefix key                    value                                  why
//	'M'    M name                 meta value (schema version, counters)  store-wide singletons
//	'N'    N c                    caip2 0x00 genesis                     the network a chain is bound to; refuses a node of another chain
//	'C'    C c                    h hash(32)                             ingest cursor: the last applied block
//	'B'    B c h                  hash parent time(8) ntx(4) ntr(4)      block header, for parent checks, reorg walk-back and timestamps
//	'U'    U c h                  flag(1) prevHeight(8) prevHash(32)     undo record: the cursor before this block, then the old values
//	                              [n (key, old value)...]                of keys the block overwrote (Bitcoin's duplicate txids; an empty old
//	                                                                     value: the key did not exist, as for an output a source resolved
//	                                                                     that the store never held, so rollback deletes it); what the block
//	                                                                     added is found under its own B/T keys and the O/I/H keys
//	                                                                     derived from them, so rollback re-derives and deletes them
//	'T'    T c h i                txhash(32) status(1) transfer list     one transaction: its hash, success and value-flow edges in seq
//	                                                                     order (encodeTransfer); i = BlockLevel has a zero hash
//	'H'    H c txhash(32)         h i                                    transaction lookup by hash
//	'O'    O id h                 (i, seq) list (uvarints)               per-address outgoing edges in one block, ordered by height
//	'I'    I id h                 (i, seq) list (uvarints)               per-address incoming edges in one block, ordered by height
//	'P'    P c txid(32) vout(4)   id(8) value(8) [h i input(4)]          UTXO chains: the output index, so every input resolves to its
//	                                                                     source address and value without the node's -txindex; the
//	                                                                     spending input follows once spent (one read answers both)
//	'W'    W c h i                txid flags(1) [version(4) locktime(4)] UTXO chains: a transaction's inputs (spent outpoint, resolved
//	                              inputs outputs                         id and value) and outputs (id, value) in order (encodeIO), and
//	                                                                     its nVersion and nLockTime (change detection's wallet
//	                                                                     fingerprint). flags: bit 0 coinbase, bit 1 version and locktime
//	                                                                     follow; records written before they were kept have bit 1
//	                                                                     clear and decode with the fingerprint unknown (no schema bump)
//	'a'    a c raw                id                                     address interning: chain-scoped address -> dense id
//	'A'    A id                   c raw                                  reverse interning: id -> address
//	's'    s c kind raw           id(4)                                  asset interning: (kind, contract) -> dense id; 0 is native
//	'S'    S id(4)                c kind raw                             reverse asset interning
//	'X'    X c h i                memo list                              a transaction's bridge memos (memo.go)
//	'R'    R ref(32) c h i        (empty)                                transactions whose memo names ref (memo.go)
//
// Transfers are grouped per transaction and index entries per (address,
// block) rather than one key per transfer: a mainnet block has ~150
// transactions but ~500 transfers, and the block producer receives a fee
// from every transaction. Fewer, larger keys cut memtable inserts, flushes
// and compactions by more than half, and reads of an address still find
// each block's entries with one seek.
//
// Address and asset ids are never reused or deleted, also not on rollback:
// an id interned by a block that a reorg removed stays valid and harmless, and
// deleting it would need reference counting for no gain.
const (
	pMeta     = 'M'
	pNetwork  = 'N'
	pCursor   = 'C'
	pBlock    = 'B'
	pUndo     = 'U'
	pTransfer = 'T'
	pTxHash   = 'H'
	pOut      = 'O'
	pIn       = 'I'
	pOutput   = 'P'
	pIO       = 'W'
	pAddr     = 'a'
	pAddrID   = 'A'
	pAsset    = 's'
	pAssetID  = 'S'
)

// Meta names under pMeta.
const (
	metaSchema    = "schema"
	metaNextAddr  = "next-addr"
	metaNextAsset = "next-asset"
)

// schemaVersion is bumped whenever the layout above changes incompatibly.
const schemaVersion = 4

func metaKey(name string) []byte { return append([]byte{pMeta}, name...) }

func networkKey(c chain.Chain) []byte { return []byte{pNetwork, byte(c)} }

func cursorKey(c chain.Chain) []byte { return []byte{pCursor, byte(c)} }

func blockKey(c chain.Chain, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pBlock, byte(c)}, h)
}

func undoKey(c chain.Chain, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pUndo, byte(c)}, h)
}

// transferKey is T c h i: the transfers of one transaction.
func transferKey(c chain.Chain, h uint64, txi uint32) []byte {
	k := make([]byte, 0, 14)
	k = append(k, pTransfer, byte(c))
	k = binary.BigEndian.AppendUint64(k, h)
	return binary.BigEndian.AppendUint32(k, txi)
}

func txHashKey(c chain.Chain, hash chain.Hash) []byte {
	return append([]byte{pTxHash, byte(c)}, hash[:]...)
}

// heightPrefix is the prefix of all keys of family p (T) at height h.
func heightPrefix(p byte, c chain.Chain, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{p, byte(c)}, h)
}

// indexKey is O|I id h.
func indexKey(p byte, id uint64, h uint64) []byte {
	k := make([]byte, 0, 17)
	k = append(k, p)
	k = binary.BigEndian.AppendUint64(k, id)
	return binary.BigEndian.AppendUint64(k, h)
}

// outpointKey is P|Q c txid vout.
func outpointKey(p byte, c chain.Chain, txid chain.Hash, vout uint32) []byte {
	k := make([]byte, 0, 38)
	k = append(k, p, byte(c))
	k = append(k, txid[:]...)
	return binary.BigEndian.AppendUint32(k, vout)
}

func ioKey(c chain.Chain, h uint64, txi uint32) []byte {
	k := make([]byte, 0, 14)
	k = append(k, pIO, byte(c))
	k = binary.BigEndian.AppendUint64(k, h)
	return binary.BigEndian.AppendUint32(k, txi)
}

func addrKey(a chain.Address) []byte {
	return append([]byte{pAddr, byte(a.Chain)}, a.Raw...)
}

func addrIDKey(id uint64) []byte { return binary.BigEndian.AppendUint64([]byte{pAddrID}, id) }

func assetKey(c chain.Chain, a chain.Asset) []byte {
	return append([]byte{pAsset, byte(c), byte(a.Kind)}, a.Contract.Raw...)
}

func assetIDKey(id uint32) []byte { return binary.BigEndian.AppendUint32([]byte{pAssetID}, id) }

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil // p is all 0xff: no upper bound
}
