package store

import (
	"encoding/binary"
	"fmt"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/cockroachdb/pebble/v2"
)

// Key families of bridge memos (see keys.go for the whole layout):
//
//	prefix key                        value              why
//	'X'    X c h i                    memo list          a transaction's bridge memos (OP_RETURN text, router
//	                                                     events) in Index order (encodeMemos); found from a hash
//	                                                     through the H index, removed with the block by prefix
//	'R'    R ref(32) c h i            (empty)            the transactions whose memo names ref (OUT:/REFUND:
//	                                                     <hash>, chain.MemoRef): a deposit finds its payout on
//	                                                     another chain by its own hash
//
// Both families are additive: a store written before them opens as it is,
// and its older blocks simply have no memos until ingested again.
const (
	pMemo    = 'X'
	pMemoRef = 'R'
)

func memoKey(c chain.Chain, h uint64, txi uint32) []byte {
	k := make([]byte, 0, 14)
	k = append(k, pMemo, byte(c))
	k = binary.BigEndian.AppendUint64(k, h)
	return binary.BigEndian.AppendUint32(k, txi)
}

func memoRefKey(ref chain.Hash, c chain.Chain, h uint64, txi uint32) []byte {
	k := make([]byte, 0, 46)
	k = append(k, pMemoRef)
	k = append(k, ref[:]...)
	k = append(k, byte(c))
	k = binary.BigEndian.AppendUint64(k, h)
	return binary.BigEndian.AppendUint32(k, txi)
}

// TxRef locates a stored transaction.
type TxRef struct {
	Chain chain.Chain
	Block uint64
	Index uint32
	Hash  chain.Hash
}

// checkMemos rejects memos out of (TxIndex, Index) order, of a transaction
// the block does not hold, or longer than chain.MaxMemoLen.
func checkMemos(b *chain.Block) error {
	txs := make(map[uint32]bool, len(b.Txs))
	for i := range b.Txs {
		txs[b.Txs[i].Index] = true
	}
	for i := range b.Memos {
		m := &b.Memos[i]
		if !txs[m.TxIndex] {
			return fmt.Errorf("%s block %d: memo %d of unknown transaction %d", b.Chain, b.Height, i, m.TxIndex)
		}
		if len(m.Text) > chain.MaxMemoLen {
			return fmt.Errorf("%s block %d tx %d: memo of %d bytes, more than %d", b.Chain, b.Height, m.TxIndex, len(m.Text), chain.MaxMemoLen)
		}
		if i > 0 {
			p := &b.Memos[i-1]
			if m.TxIndex < p.TxIndex || (m.TxIndex == p.TxIndex && m.Index <= p.Index) {
				return fmt.Errorf("%s block %d: memos out of (tx index, index) order at %d", b.Chain, b.Height, i)
			}
		}
	}
	return nil
}

// writeMemos writes one X record per transaction with memos and an R entry
// for every memo that names another transaction.
func writeMemos(batch *sortedBatch, b *chain.Block) error {
	if err := checkMemos(b); err != nil {
		return err
	}
	var val []byte
	for i := 0; i < len(b.Memos); {
		j := i
		for j < len(b.Memos) && b.Memos[j].TxIndex == b.Memos[i].TxIndex {
			j++
		}
		val = encodeMemos(val[:0], b.Memos[i:j])
		txi := b.Memos[i].TxIndex
		if err := batch.Set(memoKey(b.Chain, b.Height, txi), val, nil); err != nil {
			return err
		}
		for _, m := range b.Memos[i:j] {
			if ref, ok := chain.MemoRef(m.Text); ok {
				if err := batch.Set(memoRefKey(ref, b.Chain, b.Height, txi), nil, nil); err != nil {
					return err
				}
			}
		}
		i = j
	}
	return nil
}

// deleteMemos removes what writeMemos wrote for block h, re-deriving the
// R entries from the stored memos.
func (s *DB) deleteMemos(batch *pebble.Batch, c chain.Chain, h uint64) error {
	p := heightPrefix(pMemo, c, h)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != 14 {
			return fmt.Errorf("memo key %x: %w", k, errCorrupt)
		}
		txi := binary.BigEndian.Uint32(k[10:])
		ms, err := decodeMemos(it.Value(), c, txi)
		if err != nil {
			return fmt.Errorf("memo record %x: %w", k, err)
		}
		for _, m := range ms {
			if ref, ok := chain.MemoRef(m.Text); ok {
				if err := batch.Delete(memoRefKey(ref, c, h, txi), nil); err != nil {
					return err
				}
			}
		}
		if err := batch.Delete(k, nil); err != nil {
			return err
		}
	}
	return it.Error()
}

// Memos returns the bridge memos of a stored transaction, in Index order;
// ok is false when the store does not hold the transaction.
func (s *DB) Memos(c chain.Chain, hash chain.Hash) ([]chain.Memo, bool, error) {
	snap := s.db.NewSnapshot()
	defer snap.Close()
	loc, ok, err := getIn(snap, txHashKey(c, hash))
	if err != nil || !ok {
		return nil, ok, err
	}
	if len(loc) != 12 {
		return nil, false, fmt.Errorf("tx %s location: %w", hash, errCorrupt)
	}
	h, txi := binary.BigEndian.Uint64(loc), binary.BigEndian.Uint32(loc[8:])
	v, has, err := getIn(snap, memoKey(c, h, txi))
	if err != nil || !has {
		return nil, true, err
	}
	ms, err := decodeMemos(v, c, txi)
	if err != nil {
		return nil, true, fmt.Errorf("%s tx %s memos: %w", c, hash, err)
	}
	return ms, true, nil
}

// MemoRefs returns the stored transactions, on any chain, whose memo names
// ref (OUT:<ref> or REFUND:<ref>; see chain.MemoRef), in key order.
func (s *DB) MemoRefs(ref chain.Hash) ([]TxRef, error) {
	snap := s.db.NewSnapshot()
	defer snap.Close()
	p := append([]byte{pMemoRef}, ref[:]...)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []TxRef
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != 46 {
			return nil, fmt.Errorf("memo reference key %x: %w", k, errCorrupt)
		}
		r := TxRef{Chain: chain.Chain(k[33]), Block: binary.BigEndian.Uint64(k[34:]), Index: binary.BigEndian.Uint32(k[42:])}
		v, ok, err := getIn(snap, transferKey(r.Chain, r.Block, r.Index))
		if err != nil {
			return nil, err
		}
		if !ok || len(v) < txHeaderLen {
			return nil, fmt.Errorf("memo reference %x: transaction record missing: %w", k, errCorrupt)
		}
		copy(r.Hash[:], v)
		out = append(out, r)
	}
	return out, it.Error()
}

// encodeMemos appends a memo list: per memo kind(1), index uvarint,
// contract, from and to as length-prefixed raw addresses (the chain is the
// record's), asset kind(1) and contract, amount (appendU256) and the text,
// length-prefixed.
func encodeMemos(dst []byte, ms []chain.Memo) []byte {
	for i := range ms {
		m := &ms[i]
		dst = append(dst, byte(m.Kind))
		dst = binary.AppendUvarint(dst, uint64(m.Index))
		for _, a := range []chain.Address{m.Contract, m.From, m.To, m.Asset.Contract} {
			dst = binary.AppendUvarint(dst, uint64(len(a.Raw)))
			dst = append(dst, a.Raw...)
		}
		dst = append(dst, byte(m.Asset.Kind))
		dst = appendU256(dst, &m.Amount)
		dst = binary.AppendUvarint(dst, uint64(len(m.Text)))
		dst = append(dst, m.Text...)
	}
	return dst
}

func decodeMemos(v []byte, c chain.Chain, txi uint32) ([]chain.Memo, error) {
	var out []chain.Memo
	next := func() (string, bool) {
		n, k := binary.Uvarint(v)
		if k <= 0 || n > uint64(len(v)-k) {
			return "", false
		}
		s := string(v[k : k+int(n)])
		v = v[k+int(n):]
		return s, true
	}
	for len(v) > 0 {
		m := chain.Memo{TxIndex: txi, Kind: chain.MemoKind(v[0])}
		v = v[1:]
		idx, k := binary.Uvarint(v)
		if k <= 0 || idx > 1<<32-1 {
			return nil, errCorrupt
		}
		m.Index, v = uint32(idx), v[k:]
		var raws [4]string
		for i := range raws {
			s, ok := next()
			if !ok {
				return nil, errCorrupt
			}
			raws[i] = s
		}
		addr := func(raw string) chain.Address {
			if raw == "" {
				return chain.Address{}
			}
			return chain.Address{Chain: c, Raw: raw}
		}
		m.Contract, m.From, m.To = addr(raws[0]), addr(raws[1]), addr(raws[2])
		if len(v) < 1 {
			return nil, errCorrupt
		}
		m.Asset = chain.Asset{Kind: chain.AssetKind(v[0]), Contract: addr(raws[3])}
		var err error
		if v, err = readU256(v[1:], &m.Amount); err != nil {
			return nil, err
		}
		text, ok := next()
		if !ok {
			return nil, errCorrupt
		}
		m.Text = text
		out = append(out, m)
	}
	return out, nil
}
