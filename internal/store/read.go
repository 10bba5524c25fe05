package store

import (
	"cmp"
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

// rowReader turns stored transfers into Rows, caching the block record that
// consecutive transfers share.
type rowReader struct {
	s       *DB
	r       pebble.Reader
	c       chain.Chain
	blockH  uint64
	block   blockRecord
	haveBlk bool
}

func (r *rowReader) row(h uint64, txi uint32, txHash chain.Hash, st *storedTransfer) (Row, error) {
	row := Row{Chain: r.c}
	row.Block, row.TxIndex, row.Seq, row.Kind, row.TxHash = h, txi, st.seq, st.kind, txHash
	row.Amount, row.TokenID = st.amount, st.tokenID
	var err error
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
		b, ok, err := blockRecordIn(r.r, r.c, h)
		if err != nil {
			return row, err
		}
		if !ok {
			return row, fmt.Errorf("%s block %d: header missing: %w", r.c, h, errCorrupt)
		}
		r.block, r.blockH, r.haveBlk = b, h, true
	}
	row.Time = r.block.time
	return row, nil
}

// Transfers implements Reader. Each query reads one snapshot of the store,
// so a block applied or rolled back meanwhile is wholly in or wholly out.
func (s *DB) Transfers(q Query) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		snap := s.db.NewSnapshot()
		defer snap.Close()
		v, ok, err := getIn(snap, cursorKey(q.Chain))
		var cur Cursor
		if err == nil && ok {
			cur, err = decodeCursor(v)
		}
		if err != nil {
			yield(Row{}, err)
			return
		}
		if !ok {
			return
		}
		to := cur.Height
		if q.HasToBlock && q.ToBlock < to {
			to = q.ToBlock
		}
		if q.FromBlock > to {
			return
		}
		if q.Address != nil {
			s.addressTransfers(snap, q, to, yield)
			return
		}
		s.rangeTransfers(snap, q, to, yield)
	}
}

func (s *DB) rangeTransfers(snap pebble.Reader, q Query, to uint64, yield func(Row, error) bool) {
	lo := heightPrefix(pTransfer, q.Chain, q.FromBlock)
	hi := prefixEnd(heightPrefix(pTransfer, q.Chain, to))
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		yield(Row{}, err)
		return
	}
	defer it.Close()
	rr := rowReader{s: s, r: snap, c: q.Chain}
	var list []storedTransfer
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != 14 {
			yield(Row{}, fmt.Errorf("transfer key %x: %w", k, errCorrupt))
			return
		}
		h, txi := binary.BigEndian.Uint64(k[2:10]), binary.BigEndian.Uint32(k[10:14])
		var hash chain.Hash
		if hash, _, list, err = decodeTx(it.Value(), list[:0]); err != nil {
			yield(Row{}, fmt.Errorf("%s transaction %d/%d: %w", q.Chain, h, txi, err))
			return
		}
		for i := range list {
			if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, list[i].kind) {
				continue
			}
			row, err := rr.row(h, txi, hash, &list[i])
			if !yield(row, err) || err != nil {
				return
			}
		}
	}
	if err := it.Error(); err != nil {
		yield(Row{}, err)
	}
}

// addressTransfers merges the address's out and in index, one entry per
// block each; a transfer to oneself appears in both and is yielded once.
func (s *DB) addressTransfers(snap pebble.Reader, q Query, to uint64, yield func(Row, error) bool) {
	id, ok, err := s.AddressID(*q.Address)
	if err != nil || !ok {
		if err != nil {
			yield(Row{}, err)
		}
		return
	}
	var its [2]*pebble.Iterator
	for i, p := range []byte{pOut, pIn} {
		lo := indexKey(p, id, q.FromBlock)
		hi := prefixEnd(indexKey(p, id, to))
		it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
		if err != nil {
			yield(Row{}, err)
			return
		}
		defer it.Close()
		it.First()
		its[i] = it
	}
	rr := rowReader{s: s, r: snap, c: q.Address.Chain}
	tr := txReader{r: snap, c: q.Address.Chain}
	var ps []position
	for {
		h, found := uint64(0), false
		for _, it := range its {
			if it.Valid() {
				if len(it.Key()) != 17 {
					yield(Row{}, fmt.Errorf("index key %x: %w", it.Key(), errCorrupt))
					return
				}
				if kh := binary.BigEndian.Uint64(it.Key()[9:17]); !found || kh < h {
					h, found = kh, true
				}
			}
		}
		if !found {
			break
		}
		ps = ps[:0]
		for _, it := range its {
			if it.Valid() && binary.BigEndian.Uint64(it.Key()[9:17]) == h {
				if ps, err = decodePositions(it.Value(), ps); err != nil {
					yield(Row{}, fmt.Errorf("index of address %d at %d: %w", id, h, err))
					return
				}
				it.Next()
			}
		}
		slices.SortFunc(ps, func(a, b position) int {
			if a.txi != b.txi {
				return cmp.Compare(a.txi, b.txi)
			}
			return cmp.Compare(a.seq, b.seq)
		})
		for i, p := range ps {
			if i > 0 && ps[i-1] == p {
				continue
			}
			st, err := tr.transfer(h, p)
			if err != nil {
				yield(Row{}, err)
				return
			}
			if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, st.kind) {
				continue
			}
			row, err := rr.row(h, p.txi, tr.hash, st)
			if !yield(row, err) || err != nil {
				return
			}
		}
	}
	for _, it := range its {
		if err := it.Error(); err != nil {
			yield(Row{}, err)
			return
		}
	}
}

// txReader fetches one transaction's transfer list and keeps it for the
// next lookup, since an address's positions in a block often share a tx.
type txReader struct {
	r    pebble.Reader
	c    chain.Chain
	h    uint64
	txi  uint32
	have bool
	hash chain.Hash
	list []storedTransfer
}

func (r *txReader) transfer(h uint64, p position) (*storedTransfer, error) {
	if !r.have || r.h != h || r.txi != p.txi {
		v, ok, err := getIn(r.r, transferKey(r.c, h, p.txi))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("index entry %d/%d without transfers: %w", h, p.txi, errCorrupt)
		}
		if r.hash, _, r.list, err = decodeTx(v, r.list[:0]); err != nil {
			return nil, fmt.Errorf("%s transaction %d/%d: %w", r.c, h, p.txi, err)
		}
		r.h, r.txi, r.have = h, p.txi, true
	}
	for i := range r.list {
		if r.list[i].seq == p.seq {
			return &r.list[i], nil
		}
	}
	return nil, fmt.Errorf("index entry %d/%d/%d without transfer: %w", h, p.txi, p.seq, errCorrupt)
}

// Tx implements Reader.
func (s *DB) Tx(c chain.Chain, hash chain.Hash) (TxInfo, bool, error) {
	snap := s.db.NewSnapshot()
	defer snap.Close()
	loc, ok, err := getIn(snap, txHashKey(c, hash))
	if err != nil || !ok {
		return TxInfo{}, ok, err
	}
	if len(loc) != 12 {
		return TxInfo{}, false, fmt.Errorf("tx %s location: %w", hash, errCorrupt)
	}
	info := TxInfo{Chain: c, Hash: hash, Block: binary.BigEndian.Uint64(loc), Index: binary.BigEndian.Uint32(loc[8:])}
	v, ok, err := getIn(snap, transferKey(c, info.Block, info.Index))
	if err != nil {
		return info, false, err
	}
	if !ok {
		return info, false, fmt.Errorf("tx %s record: %w", hash, errCorrupt)
	}
	_, success, list, err := decodeTx(v, nil)
	if err != nil {
		return info, false, fmt.Errorf("tx %s record: %w", hash, err)
	}
	info.Success = success
	b, ok, err := blockRecordIn(snap, c, info.Block)
	if err != nil || !ok {
		return info, false, fmt.Errorf("tx %s block %d: %w", hash, info.Block, errCorrupt)
	}
	info.Time, info.BlockHash = b.time, b.hash
	rr := rowReader{s: s, r: snap, c: c}
	for i := range list {
		row, err := rr.row(info.Block, info.Index, hash, &list[i])
		if err != nil {
			return info, false, err
		}
		info.Transfers = append(info.Transfers, row)
	}
	return info, true, nil
}
