package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"iter"
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/cockroachdb/pebble/v2"
)

// AddressID returns the interned id of a, if it was ever seen.
func (s *DB) AddressID(a chain.Address) (uint64, bool, error) {
	v, ok, err := s.get(addrKey(a))
	if err != nil || !ok {
		return 0, ok, err
	}
	if len(v) != 8 {
		return 0, false, fmt.Errorf("address %s: %w", a, errCorrupt)
	}
	return binary.BigEndian.Uint64(v), true, nil
}

// Address resolves an interned id.
func (s *DB) Address(id uint64) (chain.Address, error) {
	if id == 0 {
		return chain.Address{}, nil
	}
	s.mu.Lock()
	a, ok := s.addrs[id]
	s.mu.Unlock()
	if ok {
		return a, nil
	}
	v, ok, err := s.get(addrIDKey(id))
	if err != nil {
		return a, err
	}
	if !ok || len(v) < 1 {
		return a, fmt.Errorf("address id %d: %w", id, errCorrupt)
	}
	a = chain.Address{Chain: chain.Chain(v[0]), Raw: string(v[1:])}
	s.mu.Lock()
	if len(s.addrs) >= s.opts.InternCache {
		clear(s.addrs)
	}
	s.addrs[id] = a
	s.mu.Unlock()
	return a, nil
}

func (s *DB) asset(id uint32) (chain.Asset, error) {
	if id == 0 {
		return chain.NativeAsset, nil
	}
	s.mu.Lock()
	e, ok := s.assets[id]
	s.mu.Unlock()
	if ok {
		return e.asset, nil
	}
	v, ok, err := s.get(assetIDKey(id))
	if err != nil {
		return chain.Asset{}, err
	}
	if !ok || len(v) < 2 {
		return chain.Asset{}, fmt.Errorf("asset id %d: %w", id, errCorrupt)
	}
	c := chain.Chain(v[0])
	a := chain.Asset{Kind: chain.AssetKind(v[1]), Contract: chain.Address{Chain: c, Raw: string(v[2:])}}
	s.mu.Lock()
	s.assets[id] = assetEntry{chain: c, asset: a}
	s.mu.Unlock()
	return a, nil
}

// rowReader turns T records into Rows, caching the block and transaction
// records that consecutive transfers share.
type rowReader struct {
	s       *DB
	c       chain.Chain
	blockH  uint64
	block   blockRecord
	haveBlk bool
	txH     uint64
	txI     uint32
	txHash  chain.Hash
	haveTx  bool
}

func (r *rowReader) row(h uint64, txi, seq uint32, v []byte) (Row, error) {
	st, err := decodeTransfer(v)
	if err != nil {
		return Row{}, fmt.Errorf("%s transfer %d/%d/%d: %w", r.c, h, txi, seq, err)
	}
	row := Row{Chain: r.c}
	row.Block, row.TxIndex, row.Seq, row.Kind = h, txi, seq, st.kind
	row.Amount, row.TokenID = st.amount, st.tokenID
	if row.From, err = r.s.Address(st.from); err != nil {
		return row, err
	}
	if row.To, err = r.s.Address(st.to); err != nil {
		return row, err
	}
	if row.Asset, err = r.s.asset(st.asset); err != nil {
		return row, err
	}
	if !r.haveBlk || r.blockH != h {
		b, ok, err := r.s.blockRecord(r.c, h)
		if err != nil {
			return row, err
		}
		if !ok {
			return row, fmt.Errorf("%s block %d: header missing: %w", r.c, h, errCorrupt)
		}
		r.block, r.blockH, r.haveBlk = b, h, true
	}
	row.Time = r.block.time
	if txi != chain.BlockLevel {
		if !r.haveTx || r.txH != h || r.txI != txi {
			v, ok, err := r.s.get(txKey(r.c, h, txi))
			if err != nil {
				return row, err
			}
			if !ok || len(v) != 33 {
				return row, fmt.Errorf("%s tx %d/%d: %w", r.c, h, txi, errCorrupt)
			}
			copy(r.txHash[:], v[:32])
			r.txH, r.txI, r.haveTx = h, txi, true
		}
		row.TxHash = r.txHash
	}
	return row, nil
}

// Transfers implements Reader.
func (s *DB) Transfers(q Query) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		cur, ok, err := s.Cursor(q.Chain)
		if err != nil {
			yield(Row{}, err)
			return
		}
		if !ok {
			return
		}
		to := cur.Height
		if q.ToBlock != 0 && q.ToBlock < to {
			to = q.ToBlock
		}
		if q.FromBlock > to {
			return
		}
		if q.Address != nil {
			s.addressTransfers(q, to, yield)
			return
		}
		s.rangeTransfers(q, to, yield)
	}
}

func (s *DB) rangeTransfers(q Query, to uint64, yield func(Row, error) bool) {
	lo := heightPrefix(pTransfer, q.Chain, q.FromBlock)
	hi := prefixEnd(heightPrefix(pTransfer, q.Chain, to))
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		yield(Row{}, err)
		return
	}
	defer it.Close()
	rr := rowReader{s: s, c: q.Chain}
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != 18 {
			yield(Row{}, fmt.Errorf("transfer key %x: %w", k, errCorrupt))
			return
		}
		if len(q.Kinds) > 0 && len(it.Value()) > 0 && !slices.Contains(q.Kinds, chain.Kind(it.Value()[0])) {
			continue
		}
		row, err := rr.row(binary.BigEndian.Uint64(k[2:10]), binary.BigEndian.Uint32(k[10:14]), binary.BigEndian.Uint32(k[14:18]), it.Value())
		if !yield(row, err) || err != nil {
			return
		}
	}
	if err := it.Error(); err != nil {
		yield(Row{}, err)
	}
}

// addressTransfers merges the address's out and in index, both ordered by
// (height, tx index, seq); a transfer to oneself appears in both and is
// yielded once.
func (s *DB) addressTransfers(q Query, to uint64, yield func(Row, error) bool) {
	id, ok, err := s.AddressID(*q.Address)
	if err != nil || !ok {
		if err != nil {
			yield(Row{}, err)
		}
		return
	}
	var its [2]*pebble.Iterator
	for i, p := range []byte{pOut, pIn} {
		lo := indexKey(p, id, q.FromBlock, 0, 0)
		hi := prefixEnd(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64([]byte{p}, id), to))
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
		if err != nil {
			yield(Row{}, err)
			return
		}
		defer it.Close()
		it.First()
		its[i] = it
	}
	rr := rowReader{s: s, c: q.Address.Chain}
	for {
		var pos []byte
		for _, it := range its {
			if it.Valid() && (pos == nil || bytes.Compare(it.Key()[9:], pos) < 0) {
				pos = append(pos[:0], it.Key()[9:]...)
			}
		}
		if pos == nil {
			break
		}
		for _, it := range its {
			if it.Valid() && bytes.Equal(it.Key()[9:], pos) {
				it.Next()
			}
		}
		h, txi, seq := binary.BigEndian.Uint64(pos[0:8]), binary.BigEndian.Uint32(pos[8:12]), binary.BigEndian.Uint32(pos[12:16])
		v, ok, err := s.get(transferKey(rr.c, h, txi, seq))
		if err == nil && !ok {
			err = fmt.Errorf("index entry %d/%d/%d without transfer: %w", h, txi, seq, errCorrupt)
		}
		if err != nil {
			yield(Row{}, err)
			return
		}
		if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, chain.Kind(v[0])) {
			continue
		}
		row, err := rr.row(h, txi, seq, v)
		if !yield(row, err) || err != nil {
			return
		}
	}
	for _, it := range its {
		if err := it.Error(); err != nil {
			yield(Row{}, err)
			return
		}
	}
}

// Tx implements Reader.
func (s *DB) Tx(c chain.Chain, hash chain.Hash) (TxInfo, bool, error) {
	loc, ok, err := s.get(txHashKey(c, hash))
	if err != nil || !ok {
		return TxInfo{}, ok, err
	}
	if len(loc) != 12 {
		return TxInfo{}, false, fmt.Errorf("tx %s location: %w", hash, errCorrupt)
	}
	info := TxInfo{Chain: c, Hash: hash, Block: binary.BigEndian.Uint64(loc), Index: binary.BigEndian.Uint32(loc[8:])}
	v, ok, err := s.get(txKey(c, info.Block, info.Index))
	if err != nil {
		return info, false, err
	}
	if !ok || len(v) != 33 {
		return info, false, fmt.Errorf("tx %s record: %w", hash, errCorrupt)
	}
	info.Success = v[32] == 1
	b, ok, err := s.blockRecord(c, info.Block)
	if err != nil || !ok {
		return info, false, fmt.Errorf("tx %s block %d: %w", hash, info.Block, errCorrupt)
	}
	info.Time, info.BlockHash = b.time, b.hash
	p := append(heightPrefix(pTransfer, c, info.Block), loc[8:12]...)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return info, false, err
	}
	defer it.Close()
	rr := rowReader{s: s, c: c}
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		row, err := rr.row(info.Block, info.Index, binary.BigEndian.Uint32(k[14:18]), it.Value())
		if err != nil {
			return info, false, err
		}
		info.Transfers = append(info.Transfers, row)
	}
	return info, true, it.Error()
}
