package trace

import (
	"fmt"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
)

// UTXOSnapshot is an in-memory copy of one UTXO chain's transactions (their
// resolved inputs and ordered outputs) and its output index, as the store
// held them. It answers Spender and IO exactly as the store does, so
// TraceUTXO over a snapshot gives the same Result as over the store. It
// does not follow later writes. Safe for concurrent reads.
type UTXOSnapshot struct {
	c      chain.Chain
	info   SnapshotInfo
	addrs  []chain.Address
	txs    []snapTx
	byHash map[chain.Hash]uint32
	first  []uint32 // per height, its first transaction in txs
	ins    []snapIn
	outs   []snapOut
	prevs  map[int]snapPrev // inputs spending an output the snapshot lacks
}

type snapTx struct {
	hash     chain.Hash
	height   uint64
	txi      uint32
	in0      uint32 // first input in ins; inputs run to the next tx's in0
	out0     uint32
	coinbase bool
}

type snapIn struct {
	prev  uint32 // the spent output's transaction, an index into txs
	vout  uint32
	addr  uint32
	value int64
}

type snapPrev struct {
	tx   chain.Hash
	vout uint32
}

const unspent = 1<<32 - 1

type snapOut struct {
	addr    uint32
	value   int64
	spender uint32 // spending transaction (index into txs), or unspent
	input   uint32
}

// UTXOReader is what a UTXO snapshot is built from; *store.DB implements it.
type UTXOReader interface {
	UTXOSource
	// Network returns the network chain c is bound to.
	Network(c chain.Chain) (chain.Network, bool, error)
	// Cursor returns the last block applied to chain c.
	Cursor(c chain.Chain) (store.Cursor, bool, error)
}

// NewUTXOSnapshot reads every transaction of UTXO chain c up to the
// store's cursor into memory. Transactions are read per block at indexes
// 0, 1, 2, ... until one is missing, as ingestion numbers them.
func NewUTXOSnapshot(r UTXOReader, c chain.Chain) (*UTXOSnapshot, error) {
	s := &UTXOSnapshot{c: c, addrs: []chain.Address{{}}, byHash: map[chain.Hash]uint32{}, prevs: map[int]snapPrev{}}
	ids := map[chain.Address]uint32{}
	intern := func(a chain.Address) uint32 {
		if a.None() {
			return 0
		}
		id, ok := ids[a]
		if !ok {
			id = uint32(len(s.addrs))
			ids[a] = id
			s.addrs = append(s.addrs, a)
		}
		return id
	}
	info, err := newSnapshotInfo(r, ModelUTXO, c)
	if err != nil {
		return nil, err
	}
	s.info = info
	if !info.HasHead {
		return s, nil
	}
	top := info.Head
	for h := uint64(0); h <= top.Height; h++ {
		s.first = append(s.first, uint32(len(s.txs)))
		for txi := uint32(0); ; txi++ {
			tx, ok, err := r.IO(c, h, txi)
			if err != nil {
				return nil, fmt.Errorf("snapshot %s block %d tx %d: %w", c, h, txi, err)
			}
			if !ok {
				break
			}
			n := uint32(len(s.txs))
			s.txs = append(s.txs, snapTx{hash: tx.Hash, height: h, txi: txi, in0: uint32(len(s.ins)), out0: uint32(len(s.outs)), coinbase: tx.Coinbase})
			for k, in := range tx.Inputs {
				x := snapIn{prev: unspent, vout: in.PrevIndex, addr: intern(in.Address), value: in.Value}
				if p, ok := s.byHash[in.PrevTx]; ok && int(in.PrevIndex) < s.outCount(p) {
					x.prev = p
					o := &s.outs[s.txs[p].out0+in.PrevIndex]
					o.spender, o.input = n, uint32(k)
				} else {
					s.prevs[len(s.ins)] = snapPrev{in.PrevTx, in.PrevIndex}
				}
				s.ins = append(s.ins, x)
			}
			for _, o := range tx.Outputs {
				s.outs = append(s.outs, snapOut{addr: intern(o.Address), value: o.Value, spender: unspent})
			}
			s.byHash[tx.Hash] = n // a repeated txid names the newer transaction, as in the output index
		}
	}
	return s, nil
}

// outCount is the number of outputs of transaction n (the last one's run
// to the end of outs).
func (s *UTXOSnapshot) outCount(n uint32) int {
	if int(n)+1 < len(s.txs) {
		return int(s.txs[n+1].out0 - s.txs[n].out0)
	}
	return len(s.outs) - int(s.txs[n].out0)
}

func (s *UTXOSnapshot) inCount(n uint32) int {
	if int(n)+1 < len(s.txs) {
		return int(s.txs[n+1].in0 - s.txs[n].in0)
	}
	return len(s.ins) - int(s.txs[n].in0)
}

// Spender implements UTXOSource.
func (s *UTXOSnapshot) Spender(c chain.Chain, txid chain.Hash, vout uint32) (store.Spend, bool, error) {
	n, ok := s.byHash[txid]
	if c != s.c || !ok || int(vout) >= s.outCount(n) {
		return store.Spend{}, false, nil
	}
	o := &s.outs[s.txs[n].out0+vout]
	sp := store.Spend{Address: s.addrs[o.addr], Value: o.value}
	if o.spender != unspent {
		t := &s.txs[o.spender]
		sp.Spent, sp.Height, sp.TxIndex, sp.Input = true, t.height, t.txi, o.input
	}
	return sp, true, nil
}

// IO implements UTXOSource.
func (s *UTXOSnapshot) IO(c chain.Chain, h uint64, txi uint32) (chain.Tx, bool, error) {
	if c != s.c || h >= uint64(len(s.first)) {
		return chain.Tx{}, false, nil
	}
	n := s.first[h] + txi
	if int(n) >= len(s.txs) || s.txs[n].height != h || s.txs[n].txi != txi {
		return chain.Tx{}, false, nil
	}
	t := &s.txs[n]
	tx := chain.Tx{Hash: t.hash, Index: txi, Success: true, Coinbase: t.coinbase}
	if k := s.inCount(n); k > 0 {
		tx.Inputs = make([]chain.Input, k)
		for j := range k {
			x := &s.ins[int(t.in0)+j]
			in := chain.Input{PrevIndex: x.vout, Address: s.addrs[x.addr], Value: x.value, Resolved: true}
			if x.prev != unspent {
				in.PrevTx = s.txs[x.prev].hash
			} else {
				in.PrevTx = s.prevs[int(t.in0)+j].tx
			}
			tx.Inputs[j] = in
		}
	}
	if k := s.outCount(n); k > 0 {
		tx.Outputs = make([]chain.Output, k)
		for j := range k {
			o := &s.outs[int(t.out0)+j]
			tx.Outputs[j] = chain.Output{Address: s.addrs[o.addr], Value: o.value}
		}
	}
	return tx, true, nil
}

// Addresses returns the number of distinct addresses in the snapshot.
func (s *UTXOSnapshot) Addresses() int { return len(s.addrs) - 1 }

// Len returns the number of transactions and outputs in the snapshot.
func (s *UTXOSnapshot) Len() (txs, outputs int) { return len(s.txs), len(s.outs) }
