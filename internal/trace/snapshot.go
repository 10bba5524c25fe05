package trace

import (
	"fmt"
	"iter"
	"slices"
	"sort"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// AccountSnapshot is an in-memory copy of one account chain's transfers as
// the store held them, laid out for tracing: transfers in chain order in
// flat arrays, and per address the positions of its transfers (compressed
// sparse rows). It answers Transfers exactly as the store does, so
// TraceAccount over a snapshot gives the same Result as over the store,
// without a database read per transfer. Building one reads the whole chain
// once; it does not follow later writes. Safe for concurrent reads.
type AccountSnapshot struct {
	c      chain.Chain
	cursor uint64
	addrs  []chain.Address // by snapshot id; 0 is none
	ids    map[chain.Address]uint32
	assets []chain.Asset
	rows   []snapRow
	hashes []chain.Hash         // per row
	tokens map[int]*uint256.Int // ERC-721 token ids, by row
	times  map[uint64]int64     // block times
	off    []uint32             // addr id -> its first entry in idx
	idx    []uint32             // rows of each address in chain order
}

type snapRow struct {
	amount   uint256.Int
	block    uint64
	txi, seq uint32
	from, to uint32
	asset    uint16
	kind     chain.Kind
}

// NewAccountSnapshot reads every transfer of chain c up to the store's
// cursor into memory.
func NewAccountSnapshot(r store.Reader, c chain.Chain) (*AccountSnapshot, error) {
	s := &AccountSnapshot{c: c, addrs: []chain.Address{{}}, ids: map[chain.Address]uint32{}, tokens: map[int]*uint256.Int{}, times: map[uint64]int64{}}
	cur, ok, err := r.Cursor(c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return s, nil
	}
	s.cursor = cur.Height
	assetIDs := map[chain.Asset]uint16{}
	var counts []uint32
	for row, err := range r.Transfers(store.Query{Chain: c, ToBlock: cur.Height, HasToBlock: true}) {
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", c, err)
		}
		a, ok := assetIDs[row.Asset]
		if !ok {
			if len(s.assets) > 0xffff {
				return nil, fmt.Errorf("snapshot %s: more than 65,536 assets", c)
			}
			a = uint16(len(s.assets))
			assetIDs[row.Asset] = a
			s.assets = append(s.assets, row.Asset)
		}
		from, to := s.intern(row.From), s.intern(row.To)
		for len(counts) < len(s.addrs) {
			counts = append(counts, 0)
		}
		counts[from]++
		if to != from {
			counts[to]++
		}
		if row.TokenID != nil {
			s.tokens[len(s.rows)] = new(uint256.Int).Set(row.TokenID)
		}
		s.times[row.Block] = row.Time
		s.rows = append(s.rows, snapRow{amount: row.Amount, block: row.Block, txi: row.TxIndex, seq: row.Seq, from: from, to: to, asset: a, kind: row.Kind})
		s.hashes = append(s.hashes, row.TxHash)
	}
	if len(s.rows) > 1<<32-1 {
		return nil, fmt.Errorf("snapshot %s: more than 2^32 transfers", c)
	}
	s.index(counts)
	return s, nil
}

func (s *AccountSnapshot) intern(a chain.Address) uint32 {
	if a.None() {
		return 0
	}
	id, ok := s.ids[a]
	if !ok {
		id = uint32(len(s.addrs))
		s.ids[a] = id
		s.addrs = append(s.addrs, a)
	}
	return id
}

// index lays out every address's rows, none (id 0) left out as the store's
// index leaves it out.
func (s *AccountSnapshot) index(counts []uint32) {
	for len(counts) < len(s.addrs) {
		counts = append(counts, 0)
	}
	counts[0] = 0
	s.off = make([]uint32, len(s.addrs)+1)
	for i, n := range counts {
		s.off[i+1] = s.off[i] + n
	}
	s.idx = make([]uint32, s.off[len(s.addrs)])
	fill := slices.Clone(s.off[:len(s.addrs)])
	for i := range s.rows {
		r := &s.rows[i]
		if r.from != 0 {
			s.idx[fill[r.from]] = uint32(i)
			fill[r.from]++
		}
		if r.to != 0 && r.to != r.from {
			s.idx[fill[r.to]] = uint32(i)
			fill[r.to]++
		}
	}
}

// Transfers implements AccountSource (and store.Reader's method of that
// name) over the snapshot: the transfers matching q, in chain order.
func (s *AccountSnapshot) Transfers(q store.Query) iter.Seq2[store.Row, error] {
	return func(yield func(store.Row, error) bool) {
		if q.Chain != s.c || len(s.rows) == 0 {
			return
		}
		to := s.cursor
		if q.HasToBlock && q.ToBlock < to {
			to = q.ToBlock
		}
		if q.FromBlock > to {
			return
		}
		var list []uint32
		if q.Address != nil {
			id, ok := s.ids[*q.Address]
			if !ok {
				return
			}
			list = s.idx[s.off[id]:s.off[id+1]]
		}
		n := len(s.rows)
		at := func(k int) int { return k }
		if list != nil {
			n, at = len(list), func(k int) int { return int(list[k]) }
		}
		k := sort.Search(n, func(k int) bool { return s.rows[at(k)].block >= q.FromBlock })
		for ; k < n; k++ {
			i := at(k)
			r := &s.rows[i]
			if r.block > to {
				return
			}
			if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, r.kind) {
				continue
			}
			if !yield(s.row(i), nil) {
				return
			}
		}
	}
}

func (s *AccountSnapshot) row(i int) store.Row {
	r := &s.rows[i]
	row := store.Row{Chain: s.c, Time: s.times[r.block]}
	row.Block, row.TxIndex, row.Seq, row.TxHash, row.Kind = r.block, r.txi, r.seq, s.hashes[i], r.kind
	row.From, row.To, row.Asset, row.Amount = s.addrs[r.from], s.addrs[r.to], s.assets[r.asset], r.amount
	if t := s.tokens[i]; t != nil {
		row.TokenID = new(uint256.Int).Set(t)
	}
	return row
}

// Degrees returns every address's number of transfers (sent or received,
// a transfer to itself counted once), in no particular order.
func (s *AccountSnapshot) Degrees() []int {
	out := make([]int, 0, len(s.addrs)-1)
	for id := 1; id < len(s.addrs); id++ {
		out = append(out, int(s.off[id+1]-s.off[id]))
	}
	return out
}

// Len returns the number of transfers and of addresses in the snapshot.
func (s *AccountSnapshot) Len() (transfers, addresses int) { return len(s.rows), len(s.addrs) - 1 }

// UTXOSnapshot is an in-memory copy of one UTXO chain's transactions (their
// resolved inputs and ordered outputs) and its output index, as the store
// held them. It answers Spender and IO exactly as the store does, so
// TraceUTXO over a snapshot gives the same Result as over the store. It
// does not follow later writes. Safe for concurrent reads.
type UTXOSnapshot struct {
	c      chain.Chain
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
	top, ok, err := r.Cursor(c)
	if err != nil || !ok {
		return s, err
	}
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

// Len returns the number of transactions and outputs in the snapshot.
func (s *UTXOSnapshot) Len() (txs, outputs int) { return len(s.txs), len(s.outs) }
