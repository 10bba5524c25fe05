package store

import (
	"encoding/binary"
	"fmt"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/cockroachdb/pebble/v2"
)

// MissingOutputError says an input spends an output the store does not hold:
// ingest started above genesis without the outputs it spends.
type MissingOutputError struct {
	Chain     chain.Chain
	Block     uint64
	Tx        chain.Hash
	Input     int
	PrevTx    chain.Hash
	PrevIndex uint32
}

func (e *MissingOutputError) Error() string {
	return fmt.Sprintf("%s block %d tx %s input %d: spends %s:%d, which the store does not hold (ingest from genesis, or let ingest fetch previous outputs from a node with -txindex)",
		e.Chain, e.Block, e.Tx, e.Input, e.PrevTx, e.PrevIndex)
}

// ResolveInputs fills every input of a UTXO block with the address and
// value of the output it spends: from the store, or from an earlier
// transaction of the same block. An input the source already resolved is
// checked against the output the store holds, if it holds one, and marked
// FromSource if it does not. A missing output is a *MissingOutputError; an
// output already spent (also by an earlier input of the same block), or one
// that disagrees with what the source says, is an error too.
func (s *DB) ResolveInputs(b *chain.Block) error {
	type outpoint struct {
		tx chain.Hash
		i  uint32
	}
	inBlock := map[outpoint]chain.Output{}
	spent := map[outpoint]bool{}
	for ti := range b.Txs {
		tx := &b.Txs[ti]
		for ii := range tx.Inputs {
			in := &tx.Inputs[ii]
			if tx.Coinbase {
				continue
			}
			op := outpoint{in.PrevTx, in.PrevIndex}
			if spent[op] {
				return fmt.Errorf("%s block %d tx %s input %d: output %s:%d is spent twice in this block", b.Chain, b.Height, tx.Hash, ii, in.PrevTx, in.PrevIndex)
			}
			spent[op] = true
			given := *in
			o, known := inBlock[op]
			if !known {
				var err error
				if o, known, err = s.unspentOutput(b, tx, ii); err != nil {
					return err
				}
			}
			switch {
			case known && given.Resolved && (o.Address != given.Address || o.Value != given.Value):
				return fmt.Errorf("%s block %d tx %s input %d: the source says %s:%d paid %d to %s; the store holds %d to %s",
					b.Chain, b.Height, tx.Hash, ii, in.PrevTx, in.PrevIndex, given.Value, given.Address, o.Value, o.Address)
			case known:
				in.Address, in.Value, in.Resolved = o.Address, o.Value, true
			case given.Resolved:
				in.FromSource = true
			default:
				return &MissingOutputError{Chain: b.Chain, Block: b.Height, Tx: tx.Hash, Input: ii, PrevTx: in.PrevTx, PrevIndex: in.PrevIndex}
			}
		}
		for oi, o := range tx.Outputs {
			inBlock[outpoint{tx.Hash, uint32(oi)}] = o
		}
	}
	return nil
}

// unspentOutput finds the output an input spends in the output cache or
// the store; known is false when neither holds it, and an output already
// spent is an error.
func (s *DB) unspentOutput(b *chain.Block, tx *chain.Tx, ii int) (chain.Output, bool, error) {
	in := &tx.Inputs[ii]
	s.mu.Lock()
	o, ok := s.outs.get(outPoint{b.Chain, in.PrevTx, in.PrevIndex})
	if ok {
		s.noteID(o.addr, o.id)
	}
	s.mu.Unlock()
	if ok {
		return chain.Output{Address: o.addr, Value: o.value}, true, nil
	}
	v, ok, err := s.get(outpointKey(pOutput, b.Chain, in.PrevTx, in.PrevIndex))
	if err != nil || !ok {
		return chain.Output{}, false, err
	}
	if len(v) == 32 {
		return chain.Output{}, false, fmt.Errorf("%s block %d tx %s input %d: output %s:%d was already spent in block %d",
			b.Chain, b.Height, tx.Hash, ii, in.PrevTx, in.PrevIndex, binary.BigEndian.Uint64(v[16:]))
	}
	if len(v) != 16 {
		return chain.Output{}, false, fmt.Errorf("output %s:%d: %w", in.PrevTx, in.PrevIndex, errCorrupt)
	}
	id := binary.BigEndian.Uint64(v)
	a, err := s.Address(id)
	if err != nil {
		return chain.Output{}, false, err
	}
	s.mu.Lock()
	s.noteID(a, id)
	s.mu.Unlock()
	return chain.Output{Address: a, Value: int64(binary.BigEndian.Uint64(v[8:]))}, true, nil
}

// noteID tells the interner of the next block a committed address id, which
// never changes once committed. Callers hold s.mu.
func (s *DB) noteID(a chain.Address, id uint64) {
	if a.None() {
		return
	}
	if len(s.blockIDs) >= s.opts.InternCache { // resolved without being applied, again and again
		clear(s.blockIDs)
	}
	s.blockIDs[a] = id
}

// outputValue is a P value: address id and value, then, once spent, the
// spender's height, transaction index and input index.
func outputValue(id uint64, value int64, spender []byte) []byte {
	v := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(make([]byte, 0, 32), id), uint64(value))
	return append(v, spender...)
}

// writeUTXO writes a UTXO transaction's inputs and outputs, its outputs to
// the output index, and marks the outputs its inputs spend. A coinbase
// output key that already exists is Bitcoin's duplicate txid (blocks 91842
// and 91880 repeat earlier coinbase txids, which BIP 30 then forbade): like
// Bitcoin Core, the newer output replaces the older, and the old value goes
// to the undo record. Other transactions cannot repeat a txid (they spend
// distinct outputs), so only coinbases pay for that check.
func (s *DB) writeUTXO(batch *sortedBatch, in *interner, b *chain.Block, tx *chain.Tx, undo *[]keyValue) error {
	io := storedIO{txid: tx.Hash, coinbase: tx.Coinbase, hasPrint: tx.HasFingerprint, version: tx.Version, lockTime: tx.LockTime}
	for ii, x := range tx.Inputs {
		if tx.Coinbase {
			break
		}
		if !x.Resolved {
			return fmt.Errorf("%s block %d tx %s input %d is not resolved", b.Chain, b.Height, tx.Hash, ii)
		}
		id, err := in.address(x.Address)
		if err != nil {
			return err
		}
		io.inputs = append(io.inputs, storedInput{prevTx: x.PrevTx, prevIndex: x.PrevIndex, addr: id, value: x.Value})
		spender := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(make([]byte, 0, 16), b.Height), tx.Index)
		spender = binary.BigEndian.AppendUint32(spender, uint32(ii))
		k := outpointKey(pOutput, b.Chain, x.PrevTx, x.PrevIndex)
		if err := batch.Set(k, outputValue(id, x.Value, spender), nil); err != nil {
			return err
		}
		if x.FromSource { // the store never held this output: a rollback forgets it
			*undo = append(*undo, keyValue{key: k})
		}
		s.outChange.spent = append(s.outChange.spent, outPoint{b.Chain, x.PrevTx, x.PrevIndex})
	}
	for oi, o := range tx.Outputs {
		id, err := in.address(o.Address)
		if err != nil {
			return err
		}
		io.outputs = append(io.outputs, storedOutput{addr: id, value: o.Value})
		k := outpointKey(pOutput, b.Chain, tx.Hash, uint32(oi))
		if tx.Coinbase {
			if err := s.remember(k, undo); err != nil {
				return err
			}
		}
		if err := batch.Set(k, outputValue(id, o.Value, nil), nil); err != nil {
			return err
		}
		s.outChange.created = append(s.outChange.created, outPoint{b.Chain, tx.Hash, uint32(oi)})
		s.outChange.outputs = append(s.outChange.outputs, cachedOutput{addr: o.Address, id: id, value: o.Value})
	}
	return batch.Set(ioKey(b.Chain, b.Height, tx.Index), encodeIO(nil, &io), nil)
}

// remember adds k's current value, if any, to the undo list. (An entry
// with an empty value means the key did not exist: P values never are
// empty.)
func (s *DB) remember(k []byte, undo *[]keyValue) error {
	old, ok, err := s.get(k)
	if err != nil || !ok {
		return err
	}
	*undo = append(*undo, keyValue{key: append([]byte(nil), k...), value: old})
	return nil
}

// deleteUTXO removes what writeUTXO wrote for the transactions of block h.
func (s *DB) deleteUTXO(batch *pebble.Batch, c chain.Chain, h uint64) error {
	p := heightPrefix(pIO, c, h)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	// Unspend what the block spent first, then delete what it created: an
	// output created and spent within the block must end deleted.
	var created [][]byte
	for it.First(); it.Valid(); it.Next() {
		io, err := decodeIO(it.Value())
		if err != nil {
			return fmt.Errorf("transaction inputs/outputs %x: %w", it.Key(), err)
		}
		for _, in := range io.inputs {
			if err := batch.Set(outpointKey(pOutput, c, in.prevTx, in.prevIndex), outputValue(in.addr, in.value, nil), nil); err != nil {
				return err
			}
		}
		s.mu.Lock()
		for oi := range io.outputs {
			created = append(created, outpointKey(pOutput, c, io.txid, uint32(oi)))
			// Dropped before the commit: a cache miss costs a read, an
			// entry for an output that is gone would resolve a bad input.
			s.outs.remove(outPoint{c, io.txid, uint32(oi)})
		}
		s.mu.Unlock()
		if err := batch.Delete(it.Key(), nil); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	for _, k := range created {
		if err := batch.Delete(k, nil); err != nil {
			return err
		}
	}
	return nil
}

// IO returns a stored UTXO transaction's inputs (with the addresses and
// values they spend) and outputs, in order.
func (s *DB) IO(c chain.Chain, h uint64, txi uint32) (chain.Tx, bool, error) {
	v, ok, err := s.get(ioKey(c, h, txi))
	if err != nil || !ok {
		return chain.Tx{}, ok, err
	}
	io, err := decodeIO(v)
	if err != nil {
		return chain.Tx{}, false, fmt.Errorf("%s transaction %d/%d inputs/outputs: %w", c, h, txi, err)
	}
	tx := chain.Tx{Hash: io.txid, Index: txi, Success: true, Coinbase: io.coinbase,
		HasFingerprint: io.hasPrint, Version: io.version, LockTime: io.lockTime}
	for _, in := range io.inputs {
		a, err := s.Address(in.addr)
		if err != nil {
			return tx, false, err
		}
		tx.Inputs = append(tx.Inputs, chain.Input{PrevTx: in.prevTx, PrevIndex: in.prevIndex, Address: a, Value: in.value, Resolved: true})
	}
	for _, o := range io.outputs {
		a, err := s.Address(o.addr)
		if err != nil {
			return tx, false, err
		}
		tx.Outputs = append(tx.Outputs, chain.Output{Address: a, Value: o.value})
	}
	return tx, true, nil
}

// isUTXO reports whether a block carries inputs and outputs to index.
func isUTXO(b *chain.Block) bool {
	for i := range b.Txs {
		if len(b.Txs[i].Outputs) > 0 || len(b.Txs[i].Inputs) > 0 || b.Txs[i].Coinbase {
			return true
		}
	}
	return false
}
