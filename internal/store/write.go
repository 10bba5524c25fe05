package store

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	"github.com/chainhound/chainhound/internal/bloom"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/cockroachdb/pebble/v2"
)

// ApplyBlock implements Writer.
func (s *DB) ApplyBlock(b *chain.Block) error {
	cur, had, err := s.Cursor(b.Chain)
	if err != nil {
		return err
	}
	if had {
		if b.Height != cur.Height+1 {
			return &GapError{Chain: b.Chain, Height: b.Height, Next: cur.Height + 1}
		}
		if b.Parent != cur.Hash {
			return &ParentMismatchError{Chain: b.Chain, Height: b.Height, Parent: b.Parent, Stored: cur.Hash}
		}
	}
	for i := 1; i < len(b.Txs); i++ {
		if b.Txs[i].Index <= b.Txs[i-1].Index {
			return fmt.Errorf("%s block %d: transactions out of index order at %d", b.Chain, b.Height, i)
		}
	}
	for i := 1; i < len(b.Transfers); i++ {
		p, t := &b.Transfers[i-1], &b.Transfers[i]
		if t.TxIndex < p.TxIndex || (t.TxIndex == p.TxIndex && t.Seq <= p.Seq) {
			return fmt.Errorf("%s block %d: transfers out of (tx index, seq) order at %d", b.Chain, b.Height, i)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer clear(s.blockIDs) // also after a failure: ids of an uncommitted batch must not outlive it
	filter, err := s.addressFilter()
	if err != nil {
		return err
	}
	sorted := &s.sorted
	sorted.reset()
	in := interner{s: s, batch: sorted, filter: filter, nextAddr: s.nextAddr, nextAsset: s.nextAsset}
	s.outChange.reset()
	if err := s.writeBlock(sorted, &in, b, cur, had); err != nil {
		in.forget()
		return err
	}
	batch := s.db.NewBatchWithSize(len(sorted.buf) + 16*len(sorted.ents))
	defer batch.Close()
	if err := sorted.writeTo(batch); err != nil {
		in.forget()
		return fmt.Errorf("%s block %d: build batch: %w", b.Chain, b.Height, err)
	}
	if err := batch.Commit(pebble.NoSync); err != nil {
		in.forget()
		// Whether a failed commit reached the memtable is unknown: drop
		// every cached output rather than risk naming a spent one unspent.
		s.outs = newOutputCache(s.outs.max)
		return fmt.Errorf("%s block %d: commit: %w", b.Chain, b.Height, err)
	}
	s.outs.apply(&s.outChange)
	s.nextAddr, s.nextAsset = in.nextAddr, in.nextAsset
	delete(s.pending, b.Chain)
	s.trimCaches()
	return nil
}

// trimCaches bounds memory whatever the chain length. It runs only between
// blocks, when every interned id is also in the database.
func (s *DB) trimCaches() {
	if len(s.evmIDs) >= s.opts.InternCache {
		clear(s.evmIDs)
	}
	if len(s.addrIDs) >= s.opts.InternCache {
		clear(s.addrIDs)
	}
	if len(s.assetIDs) >= s.opts.InternCache {
		clear(s.assetIDs)
	}
}

func (s *DB) writeBlock(batch *sortedBatch, in *interner, b *chain.Block, cur Cursor, had bool) error {
	if n, ok := s.pending[b.Chain]; ok {
		if err := batch.Set(networkKey(b.Chain), []byte(n.CAIP2+"\x00"+n.Genesis), nil); err != nil {
			return err
		}
	}
	var overwritten []keyValue
	if err := s.writeTransfers(batch, in, b, &overwritten); err != nil {
		return err
	}
	if err := writeMemos(batch, b); err != nil {
		return err
	}
	if isUTXO(b) {
		for i := range b.Txs {
			if err := s.writeUTXO(batch, in, b, &b.Txs[i], &overwritten); err != nil {
				return err
			}
		}
	}
	rec := blockRecord{hash: b.Hash, parent: b.Parent, time: b.Time, ntx: uint32(len(b.Txs)), ntr: uint32(len(b.Transfers))}
	if err := batch.Set(blockKey(b.Chain, b.Height), encodeBlock(rec), nil); err != nil {
		return err
	}
	if err := batch.Set(undoKey(b.Chain, b.Height), encodeUndo(cur, had, overwritten), nil); err != nil {
		return err
	}
	if err := in.saveCounters(); err != nil {
		return err
	}
	return batch.Set(cursorKey(b.Chain), encodeCursor(Cursor{Height: b.Height, Hash: b.Hash}), nil)
}

// writeTransfers writes one T record per transaction (and one for the
// block-level transfers, if any) with the hash index, and per address one out
// and one in index entry listing the address's positions in this block.
// Index keys are written in ascending order, which keeps the memtable's
// insertion search short.
func (s *DB) writeTransfers(batch *sortedBatch, in *interner, b *chain.Block, overwritten *[]keyValue) error {
	outs, ins := map[uint64][]position{}, map[uint64][]position{}
	var val []byte
	i := 0
	put := func(txi uint32, hash chain.Hash, success bool) error {
		val = appendTxHeader(val[:0], hash, success)
		for ; i < len(b.Transfers) && b.Transfers[i].TxIndex == txi; i++ {
			t := &b.Transfers[i]
			st := storedTransfer{seq: t.Seq, kind: t.Kind, amount: t.Amount, tokenID: t.TokenID}
			var err error
			if st.from, err = in.address(t.From); err != nil {
				return err
			}
			if st.to, err = in.address(t.To); err != nil {
				return err
			}
			if st.asset, err = in.asset(b.Chain, t.Asset); err != nil {
				return err
			}
			val = encodeTransfer(val, &st)
			if st.from != 0 {
				outs[st.from] = append(outs[st.from], position{txi, t.Seq})
			}
			if st.to != 0 {
				ins[st.to] = append(ins[st.to], position{txi, t.Seq})
			}
		}
		return batch.Set(transferKey(b.Chain, b.Height, txi), val, nil)
	}
	for _, tx := range b.Txs {
		if i < len(b.Transfers) && b.Transfers[i].TxIndex < tx.Index {
			return fmt.Errorf("%s block %d: transfer of unknown transaction %d", b.Chain, b.Height, b.Transfers[i].TxIndex)
		}
		if err := put(tx.Index, tx.Hash, tx.Success); err != nil {
			return err
		}
		loc := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(make([]byte, 0, 12), b.Height), tx.Index)
		if tx.Coinbase && isUTXO(b) { // Bitcoin's duplicate coinbase txids point the hash at the newer transaction
			if err := s.remember(txHashKey(b.Chain, tx.Hash), overwritten); err != nil {
				return err
			}
		}
		if err := batch.Set(txHashKey(b.Chain, tx.Hash), loc, nil); err != nil {
			return err
		}
	}
	if i < len(b.Transfers) {
		if b.Transfers[i].TxIndex != chain.BlockLevel {
			return fmt.Errorf("%s block %d: transfer of unknown transaction %d", b.Chain, b.Height, b.Transfers[i].TxIndex)
		}
		if err := put(chain.BlockLevel, chain.Hash{}, true); err != nil {
			return err
		}
	}
	for _, idx := range []struct {
		p byte
		m map[uint64][]position
	}{{pOut, outs}, {pIn, ins}} {
		for _, id := range slices.Sorted(maps.Keys(idx.m)) {
			if err := batch.Set(indexKey(idx.p, id, b.Height), appendPositions(val[:0], idx.m[id]), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// interner assigns ids inside one block's batch. Ids it creates enter the
// shared caches at once (later transfers of the same block need them); if
// the batch is not committed, forget takes them out again.
type interner struct {
	s                 *DB
	batch             *sortedBatch
	filter            *bloom.Filter // nil: look every address up
	nextAddr          uint64
	nextAsset         uint32
	newAddrs          []string
	newAssets         []string
	key               []byte // scratch for cache lookups
	addrDirty, asDirt bool
}

func (in *interner) address(a chain.Address) (uint64, error) {
	if a.None() {
		return 0, nil
	}
	s := in.s
	if id, ok := s.blockIDs[a]; ok {
		return id, nil
	}
	id, err := in.lookup(a)
	if err != nil {
		return 0, err
	}
	s.blockIDs[a] = id
	return id, nil
}

// lookup finds or assigns a's id through the caches and the database.
func (in *interner) lookup(a chain.Address) (uint64, error) {
	s := in.s
	in.key = append(append(in.key[:0], pAddr, byte(a.Chain)), a.Raw...)
	// The filter holds every address of the database and of this batch, so
	// "certainly not" skips the caches too: most addresses a UTXO block
	// pays are new, and a probe of a large map costs more than the filter's.
	// Ethereum addresses recur far more often, so their cache goes first.
	var evm [20]byte
	isEVM := a.Chain == chain.Ethereum && len(a.Raw) == 20
	if isEVM {
		copy(evm[:], a.Raw)
		if id, ok := s.evmIDs[evm]; ok {
			return id, nil
		}
	}
	seen := in.filter == nil || in.filter.MayContain(in.key)
	if !isEVM && seen {
		if id, ok := s.addrIDs[string(in.key[1:])]; ok { // no allocation: Go optimises string(bytes) map keys
			return id, nil
		}
	}
	var v []byte
	ok := false
	if seen {
		var err error
		if v, ok, err = s.get(in.key); err != nil {
			return 0, fmt.Errorf("look up address %s: %w", a, err)
		}
	}
	var id uint64
	ks := string(in.key[1:])
	if ok {
		if len(v) != 8 {
			return 0, fmt.Errorf("address %s: %w", a, errCorrupt)
		}
		id = binary.BigEndian.Uint64(v)
	} else {
		id = in.nextAddr
		in.nextAddr++
		in.addrDirty = true
		in.newAddrs = append(in.newAddrs, ks)
		if in.filter != nil {
			in.filter.Add(in.key)
		}
		var idv [8]byte
		binary.BigEndian.PutUint64(idv[:], id)
		if err := in.batch.Set(in.key, idv[:], nil); err != nil {
			return 0, err
		}
		if err := in.batch.Set(addrIDKey(id), in.key[1:], nil); err != nil {
			return 0, err
		}
	}
	// The caches may grow past their bound within a block and are trimmed
	// only between blocks (trimCaches): an id interned by this block's
	// uncommitted batch must stay findable, since the database cannot see it.
	if isEVM {
		s.evmIDs[evm] = id
		return id, nil
	}
	s.addrIDs[ks] = id
	return id, nil
}

func (in *interner) asset(c chain.Chain, a chain.Asset) (uint32, error) {
	if a.Kind == chain.Native {
		return 0, nil
	}
	s := in.s
	k := assetKey(c, a)
	if id, ok := s.assetIDs[string(k[1:])]; ok {
		return id, nil
	}
	v, ok, err := s.get(k)
	if err != nil {
		return 0, fmt.Errorf("look up asset %s: %w", a.Contract, err)
	}
	var id uint32
	if ok {
		if len(v) != 4 {
			return 0, fmt.Errorf("asset %s: %w", a.Contract, errCorrupt)
		}
		id = binary.BigEndian.Uint32(v)
	} else {
		id = in.nextAsset
		in.nextAsset++
		in.asDirt = true
		in.newAssets = append(in.newAssets, string(k[1:]))
		if err := in.batch.Set(k, binary.BigEndian.AppendUint32(nil, id), nil); err != nil {
			return 0, err
		}
		if err := in.batch.Set(assetIDKey(id), k[1:], nil); err != nil {
			return 0, err
		}
	}
	s.assetIDs[string(k[1:])] = id
	return id, nil
}

func (in *interner) saveCounters() error {
	if in.addrDirty {
		if err := in.batch.Set(metaKey(metaNextAddr), binary.BigEndian.AppendUint64(nil, in.nextAddr), nil); err != nil {
			return err
		}
	}
	if in.asDirt {
		return in.batch.Set(metaKey(metaNextAsset), binary.BigEndian.AppendUint32(nil, in.nextAsset), nil)
	}
	return nil
}

func (in *interner) forget() {
	for _, k := range in.newAddrs {
		delete(in.s.addrIDs, k)
		if len(k) == 21 && chain.Chain(k[0]) == chain.Ethereum {
			delete(in.s.evmIDs, [20]byte([]byte(k[1:])))
		}
	}
	for _, k := range in.newAssets {
		delete(in.s.assetIDs, k)
	}
}

// Rollback implements Writer.
func (s *DB) Rollback(c chain.Chain, h uint64) error {
	for {
		cur, ok, err := s.Cursor(c)
		if err != nil {
			return err
		}
		if !ok || cur.Height <= h {
			return nil
		}
		if err := s.undoBlock(c, cur.Height); err != nil {
			return fmt.Errorf("roll back %s block %d: %w", c, cur.Height, err)
		}
	}
}

// undoBlock removes block h, which must be the cursor, in one batch.
func (s *DB) undoBlock(c chain.Chain, h uint64) error {
	uv, ok, err := s.get(undoKey(c, h))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no undo record: %w", errCorrupt)
	}
	prev, had, overwritten, err := decodeUndo(uv)
	if err != nil {
		return err
	}
	batch := s.db.NewBatch()
	defer batch.Close()
	if err := s.deleteTransfers(batch, c, h); err != nil {
		return err
	}
	if err := s.deleteUTXO(batch, c, h); err != nil {
		return err
	}
	if err := s.deleteMemos(batch, c, h); err != nil {
		return err
	}
	for _, kv := range overwritten { // after the deletes: restore what the block replaced
		if len(kv.value) == 0 { // a key the block created where none was: delete it again
			err = batch.Delete(kv.key, nil)
		} else {
			err = batch.Set(kv.key, kv.value, nil)
		}
		if err != nil {
			return err
		}
	}
	for _, k := range [][]byte{blockKey(c, h), undoKey(c, h)} {
		if err := batch.Delete(k, nil); err != nil {
			return err
		}
	}
	if had {
		err = batch.Set(cursorKey(c), encodeCursor(prev), nil)
	} else {
		err = batch.Delete(cursorKey(c), nil)
	}
	if err != nil {
		return err
	}
	return batch.Commit(pebble.NoSync)
}

func (s *DB) deleteTransfers(batch *pebble.Batch, c chain.Chain, h uint64) error {
	p := heightPrefix(pTransfer, c, h)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	outs, ins := map[uint64]bool{}, map[uint64]bool{}
	var list []storedTransfer
	for it.First(); it.Valid(); it.Next() {
		var hash chain.Hash
		if hash, _, list, err = decodeTx(it.Value(), list[:0]); err != nil {
			return fmt.Errorf("transaction record %x: %w", it.Key(), err)
		}
		if !hash.IsZero() {
			if err := batch.Delete(txHashKey(c, hash), nil); err != nil {
				return err
			}
		}
		for _, st := range list {
			outs[st.from], ins[st.to] = true, true
		}
		if err := batch.Delete(it.Key(), nil); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	delete(outs, 0)
	delete(ins, 0)
	for id := range outs {
		if err := batch.Delete(indexKey(pOut, id, h), nil); err != nil {
			return err
		}
	}
	for id := range ins {
		if err := batch.Delete(indexKey(pIn, id, h), nil); err != nil {
			return err
		}
	}
	return nil
}

// Sync makes every applied block durable against a machine crash. Blocks are
// committed without fsync: a process killed meanwhile may lose the last few
// blocks, always whole ones and always with the cursor that names them, so a
// restart fetches them again. Ingestion calls Sync every few seconds and when
// it stops.
func (s *DB) Sync() error {
	return s.db.LogData(nil, pebble.Sync)
}
