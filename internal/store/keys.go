package store

import (
	"encoding/binary"

	"github.com/chainhound/chainhound/internal/chain"
)

// Key layout of the Pebble store. This file is the single place that defines
// it: every key family, its value and the reason it exists.
//
// All integers in keys are fixed-width big-endian so that a prefix scan comes
// out in numeric order: transfers by (height, tx index, seq), an address's
// index entries by (height, tx index, seq). "c" below is the one-byte
// chain.Chain code, "h" an 8-byte height, "i" a 4-byte transaction index
// (chain.BlockLevel for block-level transfers), "s" a 4-byte sequence number
// within the transaction, "id" an 8-byte interned address id.
//
//	prefix key                    value                                  why
//	'M'    M name                 meta value (schema version, counters)  store-wide singletons
//	'N'    N c                    caip2 0x00 genesis                     the network a chain is bound to; refuses a node of another chain
//	'C'    C c                    h hash(32)                             ingest cursor: the last applied block
//	'B'    B c h                  hash parent time(8) ntx(4) ntr(4)      block header, for parent checks, reorg walk-back and timestamps
//	'U'    U c h                  flag(1) prevHeight(8) prevHash(32)     undo record: the cursor before this block; what the block
//	                                                                     added is found under its own B/T/X keys and the O/I/H keys
//	                                                                     derived from them, so rollback re-derives and deletes them
//	'T'    T c h i s              transfer (see encodeTransfer)          the value-flow edges, in chain order
//	'X'    X c h i                txhash(32) status(1)                   transactions of a block: tx hash and success for transfers
//	'H'    H c txhash(32)         h i                                    transaction lookup by hash
//	'O'    O id h i s             (empty)                                per-address outgoing edges, ordered by height
//	'I'    I id h i s             (empty)                                per-address incoming edges, ordered by height
//	'a'    a c raw                id                                     address interning: chain-scoped address -> dense id
//	'A'    A id                   c raw                                  reverse interning: id -> address
//	's'    s c kind raw           id(4)                                  asset interning: (kind, contract) -> dense id; 0 is native
//	'S'    S id(4)                c kind raw                             reverse asset interning
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
	pTx       = 'X'
	pTxHash   = 'H'
	pOut      = 'O'
	pIn       = 'I'
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
const schemaVersion = 1

func metaKey(name string) []byte { return append([]byte{pMeta}, name...) }

func networkKey(c chain.Chain) []byte { return []byte{pNetwork, byte(c)} }

func cursorKey(c chain.Chain) []byte { return []byte{pCursor, byte(c)} }

func blockKey(c chain.Chain, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pBlock, byte(c)}, h)
}

func undoKey(c chain.Chain, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pUndo, byte(c)}, h)
}

// transferKey is T c h i s; heightPrefix(pTransfer, c, h) is its block prefix.
func transferKey(c chain.Chain, h uint64, txi, seq uint32) []byte {
	k := make([]byte, 0, 18)
	k = append(k, pTransfer, byte(c))
	k = binary.BigEndian.AppendUint64(k, h)
	k = binary.BigEndian.AppendUint32(k, txi)
	return binary.BigEndian.AppendUint32(k, seq)
}

func txKey(c chain.Chain, h uint64, txi uint32) []byte {
	k := make([]byte, 0, 14)
	k = append(k, pTx, byte(c))
	k = binary.BigEndian.AppendUint64(k, h)
	return binary.BigEndian.AppendUint32(k, txi)
}

func txHashKey(c chain.Chain, hash chain.Hash) []byte {
	return append([]byte{pTxHash, byte(c)}, hash[:]...)
}

// heightPrefix is the prefix of all keys of family p (T or X) at height h.
func heightPrefix(p byte, c chain.Chain, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{p, byte(c)}, h)
}

// indexKey is O|I id h i s.
func indexKey(p byte, id uint64, h uint64, txi, seq uint32) []byte {
	k := make([]byte, 0, 25)
	k = append(k, p)
	k = binary.BigEndian.AppendUint64(k, id)
	k = binary.BigEndian.AppendUint64(k, h)
	k = binary.BigEndian.AppendUint32(k, txi)
	return binary.BigEndian.AppendUint32(k, seq)
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
