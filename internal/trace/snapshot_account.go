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
// the store held them, laid out for tracing: transfers in chain order,
// column by column, and per address the positions of its transfers
// (compressed sparse rows) with balance checkpoints along them. It answers
// Transfers exactly as the store does, so TraceAccount over a snapshot
// gives the same Result as over the store, without a database read per
// transfer; Trace and FastTrace run the forward scan of fastaccount.go
// over it. Building one reads the whole chain once; it does not follow
// later writes. Safe for concurrent reads.
type AccountSnapshot struct {
	c      chain.Chain
	cursor uint64
	info   SnapshotInfo
	addrs  []chain.Address // by snapshot id; 0 is none
	ids    map[chain.Address]uint32
	assets []chain.Asset

	// Rows (transfers) in chain order, one column per field: the forward
	// scan reads from and to of every row and the rest only of rows it
	// follows.
	from, to []uint32
	lo, hi   []uint64                // the amount, when it fits 128 bits
	big      map[uint32]*uint256.Int // amounts past 128 bits, by row
	asset    []uint16
	kind     []uint8 // chain.Kind, with rowToken and rowBig
	seq      []uint32
	tx       []uint32                // the row's transaction, an index into txs
	tokens   map[uint32]*uint256.Int // ERC-721 token ids, by row
	txs      []snapTx2
	blocks   []uint64 // distinct blocks holding rows, ascending
	times    []int64  // their times

	off []uint32 // addr id -> its first entry in idx
	idx []uint32 // rows of each address in chain order

	// Balance checkpoints: for an address with at least checkEvery
	// entries, its balance per asset before entries checkEvery,
	// 2·checkEvery, ... of its list, as the tracer's opening-balance
	// replay computes it (see openBalance).
	cpFirst []uint32 // addr id -> its first checkpoint in cpOff
	cpOff   []uint32 // checkpoint -> its first entry in cpAsset/cpBal
	cpAsset []uint16
	cpBal   []uint256.Int
	cpErr   error // a balance overflowed 256 bits while checkpointing: no fast path
}

// snapTx2 is one (block, transaction index) group of rows.
type snapTx2 struct {
	hash chain.Hash
	txi  uint32
	blk  uint32 // index into blocks
}

const (
	rowKind  = 0x3f // the chain.Kind bits of AccountSnapshot.kind
	rowToken = 0x80 // the row carries an ERC-721 token id
	rowBig   = 0x40 // the amount is past 128 bits: in big

	// checkEvery is the spacing of balance checkpoints along an address's
	// transfers: an opening balance replays fewer than this many.
	checkEvery = 32
)

// NewAccountSnapshot reads every transfer of chain c up to the store's
// cursor into memory.
func NewAccountSnapshot(r store.Reader, c chain.Chain) (*AccountSnapshot, error) {
	s := &AccountSnapshot{c: c, addrs: []chain.Address{{}}, ids: map[chain.Address]uint32{},
		big: map[uint32]*uint256.Int{}, tokens: map[uint32]*uint256.Int{}}
	info, err := newSnapshotInfo(r, ModelAccount, c)
	if err != nil {
		return nil, err
	}
	s.info = info
	if !info.HasHead {
		s.index(nil)
		s.cpErr = s.checkpoint()
		return s, nil
	}
	cur := info.Head
	s.cursor = cur.Height
	assetIDs := map[chain.Asset]uint16{}
	var counts []uint32
	for row, err := range r.Transfers(store.Query{Chain: c, ToBlock: cur.Height, HasToBlock: true}) {
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", c, err)
		}
		n := len(s.from)
		if n == 1<<32-1 {
			return nil, fmt.Errorf("snapshot %s: more than 2^32-1 transfers", c)
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
		if nb := len(s.blocks); nb == 0 || s.blocks[nb-1] != row.Block {
			s.blocks, s.times = append(s.blocks, row.Block), append(s.times, row.Time)
		}
		blk := uint32(len(s.blocks) - 1)
		if nt := len(s.txs); nt == 0 || s.txs[nt-1].blk != blk || s.txs[nt-1].txi != row.TxIndex {
			s.txs = append(s.txs, snapTx2{hash: row.TxHash, txi: row.TxIndex, blk: blk})
		} else if s.txs[nt-1].hash != row.TxHash {
			return nil, fmt.Errorf("snapshot %s: block %d transaction %d: transfers with two transaction hashes", c, row.Block, row.TxIndex)
		}
		from, to := s.intern(row.From), s.intern(row.To)
		for len(counts) < len(s.addrs) {
			counts = append(counts, 0)
		}
		counts[from]++
		if to != from {
			counts[to]++
		}
		k := uint8(row.Kind)
		if k > rowKind {
			return nil, fmt.Errorf("snapshot %s: transfer kind %d out of range", c, row.Kind)
		}
		if row.TokenID != nil {
			s.tokens[uint32(n)] = new(uint256.Int).Set(row.TokenID)
			k |= rowToken
		}
		var lo, hi uint64
		if row.Amount[2] != 0 || row.Amount[3] != 0 {
			s.big[uint32(n)] = new(uint256.Int).Set(&row.Amount)
			k |= rowBig
		} else {
			lo, hi = row.Amount[0], row.Amount[1]
		}
		s.from, s.to = append(s.from, from), append(s.to, to)
		s.lo, s.hi = append(s.lo, lo), append(s.hi, hi)
		s.asset, s.kind, s.seq = append(s.asset, a), append(s.kind, k), append(s.seq, row.Seq)
		s.tx = append(s.tx, uint32(len(s.txs)-1))
	}
	s.index(counts)
	s.cpErr = s.checkpoint()
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
	for i := range s.from {
		f, t := s.from[i], s.to[i]
		if f != 0 {
			s.idx[fill[f]] = uint32(i)
			fill[f]++
		}
		if t != 0 && t != f {
			s.idx[fill[t]] = uint32(i)
			fill[t]++
		}
	}
}

// amount returns row i's amount.
func (s *AccountSnapshot) amount(i uint32) uint256.Int {
	if s.kind[i]&rowBig != 0 {
		return *s.big[i]
	}
	return uint256.Int{s.lo[i], s.hi[i], 0, 0}
}

func (s *AccountSnapshot) block(i uint32) uint64 { return s.blocks[s.txs[s.tx[i]].blk] }

// Transfers implements AccountSource (and store.Reader's method of that
// name) over the snapshot: the transfers matching q, in chain order.
func (s *AccountSnapshot) Transfers(q store.Query) iter.Seq2[store.Row, error] {
	return func(yield func(store.Row, error) bool) {
		if q.Chain != s.c || len(s.from) == 0 {
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
		n := len(s.from)
		at := func(k int) uint32 { return uint32(k) }
		if list != nil {
			n, at = len(list), func(k int) uint32 { return list[k] }
		}
		k := sort.Search(n, func(k int) bool { return s.block(at(k)) >= q.FromBlock })
		for ; k < n; k++ {
			i := at(k)
			if s.block(i) > to {
				return
			}
			if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, chain.Kind(s.kind[i]&rowKind)) {
				continue
			}
			if !yield(s.row(i), nil) {
				return
			}
		}
	}
}

func (s *AccountSnapshot) row(i uint32) store.Row {
	tx := &s.txs[s.tx[i]]
	row := store.Row{Chain: s.c, Time: s.times[tx.blk]}
	row.Block, row.TxIndex, row.Seq, row.TxHash, row.Kind = s.blocks[tx.blk], tx.txi, s.seq[i], tx.hash, chain.Kind(s.kind[i]&rowKind)
	row.From, row.To, row.Asset, row.Amount = s.addrs[s.from[i]], s.addrs[s.to[i]], s.assets[s.asset[i]], s.amount(i)
	if s.kind[i]&rowToken != 0 {
		row.TokenID = new(uint256.Int).Set(s.tokens[i])
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
func (s *AccountSnapshot) Len() (transfers, addresses int) { return len(s.from), len(s.addrs) - 1 }

// Chain returns the chain the snapshot holds.
func (s *AccountSnapshot) Chain() chain.Chain { return s.c }

// balances is an address's balance per asset while its transfers are
// replayed: a few assets each, so a slice beats a map.
type balances []assetBalance

type assetBalance struct {
	asset uint16
	value uint256.Int
}

func (b *balances) at(a uint16) *uint256.Int {
	for i := range *b {
		if (*b)[i].asset == a {
			return &(*b)[i].value
		}
	}
	*b = append(*b, assetBalance{asset: a})
	return &(*b)[len(*b)-1].value
}

// replay applies row i to addr's balances as the tracer reads an address's
// history before taint reached it (accountTracer.track, apply): ERC-721
// transfers are skipped, a send above the balance is first topped up by
// the gap (the store lacks part of the history), a transfer to itself
// leaves the balance at least its amount. It fails only where a receipt
// would take a balance past 2^256, which the tracer refuses too.
func (s *AccountSnapshot) replay(b *balances, addr, i uint32) error {
	if s.kind[i]&rowToken != 0 {
		return nil
	}
	amt := s.amount(i)
	v := b.at(s.asset[i])
	if s.from[i] == addr {
		if v.Lt(&amt) {
			v.Set(&amt)
		}
		if s.to[i] != addr {
			v.Sub(v, &amt)
		}
		return nil
	}
	if _, over := v.AddOverflow(v, &amt); over {
		return fmt.Errorf("row %d: %w", i, ErrOverflow)
	}
	return nil
}

// checkpoint computes every busy address's balance checkpoints.
func (s *AccountSnapshot) checkpoint() error {
	s.cpFirst = make([]uint32, len(s.addrs)+1)
	s.cpOff = []uint32{0}
	var bal balances
	for id := range uint32(len(s.addrs)) {
		s.cpFirst[id] = uint32(len(s.cpOff) - 1)
		list := s.idx[s.off[id]:s.off[id+1]]
		if len(list) < checkEvery {
			continue
		}
		bal = bal[:0]
		for k, i := range list {
			if k > 0 && k%checkEvery == 0 {
				for _, x := range bal {
					if !x.value.IsZero() {
						s.cpAsset, s.cpBal = append(s.cpAsset, x.asset), append(s.cpBal, x.value)
					}
				}
				s.cpOff = append(s.cpOff, uint32(len(s.cpAsset)))
			}
			if err := s.replay(&bal, id, i); err != nil {
				return fmt.Errorf("snapshot %s: checkpoint %s: %w", s.c, s.addrs[id], err)
			}
		}
		if len(list)%checkEvery == 0 { // the checkpoint before the end, which a seed after the last row asks for
			for _, x := range bal {
				if !x.value.IsZero() {
					s.cpAsset, s.cpBal = append(s.cpAsset, x.asset), append(s.cpBal, x.value)
				}
			}
			s.cpOff = append(s.cpOff, uint32(len(s.cpAsset)))
		}
	}
	s.cpFirst[len(s.addrs)] = uint32(len(s.cpOff) - 1)
	return nil
}

// openBalance returns addr's balances before entry k of its list (its
// first k transfers replayed), from the checkpoint at or before k. It
// reports the entries it replayed.
func (s *AccountSnapshot) openBalance(b *balances, addr uint32, k int) (int, error) {
	*b = (*b)[:0]
	m := k / checkEvery // checkpoint m holds the balance before entry m·checkEvery
	if m > 0 {
		cp := s.cpFirst[addr] + uint32(m) - 1
		for e := s.cpOff[cp]; e < s.cpOff[cp+1]; e++ {
			*b = append(*b, assetBalance{asset: s.cpAsset[e], value: s.cpBal[e]})
		}
	}
	list := s.idx[s.off[addr]:s.off[addr+1]]
	for _, i := range list[m*checkEvery : k] {
		if err := s.replay(b, addr, i); err != nil {
			return 0, err
		}
	}
	return k - m*checkEvery, nil
}
