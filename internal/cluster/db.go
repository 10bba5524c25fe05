package cluster

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster/change"
	"github.com/chainhound/chainhound/internal/cluster/deposit"
	"github.com/chainhound/chainhound/internal/cluster/unionfind"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/cockroachdb/pebble/v2"
)

// Source is what clustering reads from the chain store; *store.DB
// satisfies it.
type Source interface {
	Cursor(c chain.Chain) (store.Cursor, bool, error)
	FirstBlock(c chain.Chain) (uint64, bool, error)
	BlockHash(c chain.Chain, h uint64) (chain.Hash, bool, error)
	IO(c chain.Chain, h uint64, txi uint32) (chain.Tx, bool, error)
	AddressID(a chain.Address) (uint64, bool, error)
	Transfers(q store.Query) iter.Seq2[store.Row, error]
}

// Key layout of the cluster database (its own Pebble directory, normally
// DATA/cluster, so the chain store's layout is untouched):
//
//	prefix 'o'                       -> options: flags byte (bit 0:
//	                                    KeepCoinJoins, bit 1: change
//	                                    detection), then the change
//	                                    policy as JSON when bit 1 is set
//	  why: a database built with one setting must not be extended with
//	  another; the partition would mean neither.
//	prefix 'l', chain(1), height(8)  -> block record (see encodeRecord)
//	  why: the merges each clustered block made, with the block's hash and
//	  counts. The merges of all records form a spanning forest of the
//	  entities, at most one per address, so replaying them in order
//	  rebuilds the union-find; the last record is the cursor; a reorg
//	  deletes the records above the fork and replays the rest.
//	prefix 'c', chain(1), height(8)  -> cannot-link pairs the block
//	                                    recorded: count, then (a, b)
//	                                    uvarints
//	  why: a confident payment keeps its payee apart from the payer's
//	  entity for good, so every pair is loaded on open, also those of
//	  blocks below the snapshot (which holds only the forest). Deleted
//	  with the block's record on a reorg or a build.
//	prefix 'd', chain(1), height(8)  -> deposit anchors the block
//	                                    found: count, then (deposit
//	                                    address, first depositor) uvarints
//	  why: account chains: every later depositor of a deposit address
//	  joins its first one, however long after; loaded on open like the
//	  cannot-link pairs and deleted with the block's record.
//	prefix 'h', chain(1), height(8)  -> sweeps into hot wallets the block
//	                                    found from a new address, the
//	                                    first two per hot wallet: count,
//	                                    then (hot wallet, the address that
//	                                    swept to it) uvarints
//	  why: account chains: a hot wallet is never a depositor, and one
//	  that two deposit addresses swept to is no deposit address itself,
//	  however long after it was found; loaded on open and deleted with
//	  the block's record, like the anchors.
//	prefix 'f', chain(1), height(8)  -> transactions of the block whose
//	                                    change waits for its outputs'
//	                                    spenders (see Deferral): count,
//	                                    then per transaction index,
//	                                    txid(32), version (as uint32),
//	                                    lock kind(1), first input's id,
//	                                    outputs, then per output its id
//	                                    and score (float64 bits, 8)
//	                                    (uvarints but txid, kind, score)
//	prefix 'e', chain(1), height(8)  -> outputs of waiting transactions
//	                                    the block spent (see Spend):
//	                                    count, then (height, index,
//	                                    output, evidence+1) uvarints
//	  why: a deferred transaction is decided in a later block than its
//	  own, with evidence gathered over several blocks, so what is still
//	  waiting must survive a restart: on open the deferrals of the last
//	  change.fingerprint_blocks+1 blocks wait again, with the spends of
//	  their outputs since (one all of whose outputs were spent was
//	  decided then). Deleted with the block's record on a reorg or a
//	  build, so a replayed block defers and records its spends again.
//	  Kept for the last fingerprint_blocks+maxReorgDepth blocks only
//	  (enough to restore the waiting state after a reorg of up to
//	  maxReorgDepth blocks); older ones are pruned as blocks are added.
//	prefix 'p', chain(1)             -> the height below which 'f' and 'e'
//	                                    records are pruned (8)
//	  why: a reorg back to a block whose waiting state needs pruned
//	  records is refused (rebuild instead), however sparse the records.
//	prefix 'm', chain(1), height(8)  -> addresses the block's multi-owner
//	                                    CoinJoins paid, first so (with
//	                                    change.post_mix): count, then ids
//	                                    (uvarints)
//	  why: a later transaction spending from one of them gets no
//	  script-type evidence, however long after, so all are loaded on
//	  open, like the cannot-link pairs, and deleted with the block's
//	  record.
//	prefix 'B'                       -> generation: 8 random bytes
//	  why: written by every build from scratch, so that a consumer
//	  following the clustering block by block (the exposure store's entity
//	  figures) can tell that the merges it followed are void.
//	prefix 'S'                       -> snapshot header: height(8), hash(32),
//	                                    ids(8), counts (as in a record)
//	prefix 'G'                       -> the snapshot's generation(8)
//	prefix 'g', generation(8), chunk(4) -> the union-find's ids
//	                                    [chunk*snapChunk, +snapChunk):
//	                                    slot and rank per id
//	prefix 's', chunk(4)             -> the same, in databases written
//	                                    before generations (header without
//	                                    'G'); read, replaced by the next
//	                                    snapshot
//	  why: replaying every merge on open costs time in proportion to the
//	  history; a snapshot of the forest after block H lets open replay
//	  only the records above H. A reorg below H deletes the snapshot. A
//	  mainnet forest (6.5 GB) exceeds what one Pebble batch may hold, so
//	  a snapshot's chunks are written under a new generation in bounded
//	  batches, and one last synced batch switches to it ('S' and 'G')
//	  and deletes the old generation: a crash midway leaves the old
//	  snapshot in force and chunks of an unused generation, which the
//	  next snapshot deletes.
const (
	pOptions  = 'o'
	pRecord   = 'l'
	pCannot   = 'c'
	pAnchor   = 'd'
	pHot      = 'h'
	pDefer    = 'f'
	pSpent    = 'e'
	pMixed    = 'm'
	pPruned   = 'p'
	pSnapHead = 'S'
	pSnapGen  = 'G'
	pSnapPart = 'g'
	pSnap     = 's' // chunks before generations
)

// maxReorgDepth is the deepest reorg a clustering with the wallet
// fingerprint on follows: the waiting state's records ('f', 'e') are kept
// for the last fingerprint_blocks+maxReorgDepth blocks, and a reorg that
// would need older ones is refused (rebuild the clustering instead). It
// is the ingester's default bound on the fork search
// (ingest.Config.MaxReorgDepth). A variable for the tests.
var maxReorgDepth uint64 = 10_000

func prunedKey(c chain.Chain) []byte { return []byte{pPruned, byte(c)} }

// Snapshot chunking, variables for the tests: ids per chunk, and the
// bytes of chunks a batch takes before it is committed.
var (
	snapChunk      = 1 << 20
	snapBatchBytes = 64 << 20
	// snapCommitted, when set, is told of each batch of chunks
	// committed; an error stops the snapshot there, as a crash would.
	snapCommitted func(batches int) error
)

func snapPartKey(gen uint64, chunk uint32) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64([]byte{pSnapPart}, gen), chunk)
}

func recordKey(c chain.Chain, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pRecord, byte(c)}, h)
}

func cannotKey(c chain.Chain, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pCannot, byte(c)}, h)
}

func anchorKey(c chain.Chain, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pAnchor, byte(c)}, h)
}

func hotKey(c chain.Chain, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pHot, byte(c)}, h)
}

func deferKey(c chain.Chain, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pDefer, byte(c)}, h)
}

func spentKey(c chain.Chain, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pSpent, byte(c)}, h)
}

func mixedKey(c chain.Chain, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pMixed, byte(c)}, h)
}

// perBlock are the families kept per block beside its record, deleted
// with it.
var perBlock = []byte{pRecord, pCannot, pAnchor, pHot, pDefer, pSpent, pMixed}

func encodeIDs(ids []uint32) []byte {
	v := binary.AppendUvarint(nil, uint64(len(ids)))
	for _, id := range ids {
		v = binary.AppendUvarint(v, uint64(id))
	}
	return v
}

func decodeIDs(v []byte) ([]uint32, error) {
	n, m := binary.Uvarint(v)
	if m <= 0 || n > uint64(len(v)) {
		return nil, errCorrupt
	}
	v = v[m:]
	out := make([]uint32, n)
	for i := range out {
		x, m := binary.Uvarint(v)
		if m <= 0 || x == 0 || x > unionfind.MaxID {
			return nil, errCorrupt
		}
		out[i], v = uint32(x), v[m:]
	}
	if len(v) != 0 {
		return nil, errCorrupt
	}
	return out, nil
}

func encodeDeferrals(defs []Deferral) []byte {
	v := binary.AppendUvarint(nil, uint64(len(defs)))
	for _, d := range defs {
		v = binary.AppendUvarint(v, uint64(d.Index))
		v = append(v, d.Tx[:]...)
		v = binary.AppendUvarint(v, uint64(uint32(d.Print.Version)))
		v = append(v, byte(d.Print.Lock))
		v = binary.AppendUvarint(v, uint64(d.Anchor))
		v = binary.AppendUvarint(v, uint64(len(d.Out)))
		for i, id := range d.Out {
			v = binary.AppendUvarint(v, uint64(id))
			v = binary.BigEndian.AppendUint64(v, math.Float64bits(d.Scores[i]))
		}
	}
	return v
}

// maxOutputs bounds a deferred transaction's output count on decoding (a
// block holds at most 4 MB, an output at least 9 bytes).
const maxOutputs = 1 << 20

func decodeDeferrals(h uint64, v []byte) ([]Deferral, error) {
	next := func() (uint64, bool) {
		x, m := binary.Uvarint(v)
		if m <= 0 {
			return 0, false
		}
		v = v[m:]
		return x, true
	}
	n, ok := next()
	if !ok || n > uint64(len(v))/(32+2*9) {
		return nil, errCorrupt
	}
	out := make([]Deferral, 0, n)
	for range n {
		d := Deferral{Height: h}
		i, ok := next()
		if !ok || i > math.MaxUint32 || len(v) < 32 {
			return nil, errCorrupt
		}
		d.Index = uint32(i)
		copy(d.Tx[:], v)
		v = v[32:]
		ver, ok := next()
		if !ok || ver > math.MaxUint32 || len(v) < 1 || v[0] > byte(change.LockTimestamp) {
			return nil, errCorrupt
		}
		d.Print = change.Print{Version: int32(uint32(ver)), Lock: change.LockKind(v[0])}
		v = v[1:]
		anchor, ok1 := next()
		nOut, ok2 := next()
		if !ok1 || !ok2 || anchor == 0 || anchor > unionfind.MaxID || nOut < 2 || nOut > maxOutputs || nOut > uint64(len(v))/9 {
			return nil, errCorrupt
		}
		d.Anchor = uint32(anchor)
		d.Out, d.Scores = make([]uint32, nOut), make([]float64, nOut)
		for j := range d.Out {
			id, ok := next()
			if !ok || id == 0 || id > unionfind.MaxID || len(v) < 8 {
				return nil, errCorrupt
			}
			score := math.Float64frombits(binary.BigEndian.Uint64(v))
			if math.IsNaN(score) || math.IsInf(score, 0) {
				return nil, errCorrupt
			}
			d.Out[j], d.Scores[j], v = uint32(id), score, v[8:]
		}
		out = append(out, d)
	}
	if len(v) != 0 {
		return nil, errCorrupt
	}
	return out, nil
}

// encodeSpends writes count, then per spend the deferred transaction's
// height and index, the output and the evidence plus one (uvarints).
func encodeSpends(spends []Spend) []byte {
	v := binary.AppendUvarint(nil, uint64(len(spends)))
	for _, s := range spends {
		v = binary.AppendUvarint(v, s.Height)
		v = binary.AppendUvarint(v, uint64(s.Index))
		v = binary.AppendUvarint(v, uint64(s.Out))
		v = binary.AppendUvarint(v, uint64(s.Ev+1))
	}
	return v
}

func decodeSpends(v []byte) ([]Spend, error) {
	n, m := binary.Uvarint(v)
	if m <= 0 || n > uint64(len(v))/4 {
		return nil, errCorrupt
	}
	v = v[m:]
	out := make([]Spend, n)
	for k := range out {
		var x [4]uint64
		for j := range x {
			y, m := binary.Uvarint(v)
			if m <= 0 {
				return nil, errCorrupt
			}
			x[j], v = y, v[m:]
		}
		if x[1] > math.MaxUint32 || x[2] >= maxOutputs || x[3] > 2 {
			return nil, errCorrupt
		}
		out[k] = Spend{x[0], uint32(x[1]), uint32(x[2]), int8(x[3]) - 1}
	}
	if len(v) != 0 {
		return nil, errCorrupt
	}
	return out, nil
}

func encodeLinks(links []Link) []byte {
	v := binary.AppendUvarint(nil, uint64(len(links)))
	for _, l := range links {
		v = binary.AppendUvarint(v, uint64(l.A))
		v = binary.AppendUvarint(v, uint64(l.B))
	}
	return v
}

func decodeLinks(v []byte) ([]Link, error) {
	n, m := binary.Uvarint(v)
	if m <= 0 || n > uint64(len(v)) {
		return nil, errCorrupt
	}
	v = v[m:]
	out := make([]Link, n)
	for i := range out {
		var ab [2]uint64
		for j := range ab {
			x, m := binary.Uvarint(v)
			if m <= 0 || x > unionfind.MaxID {
				return nil, errCorrupt
			}
			ab[j], v = x, v[m:]
		}
		out[i] = Link{uint32(ab[0]), uint32(ab[1])}
	}
	if len(v) != 0 {
		return nil, errCorrupt
	}
	return out, nil
}

// record is one clustered block.
type record struct {
	height uint64
	hash   chain.Hash
	counts Counts // this block's own counts
	links  []Link
	// maxSeen is the largest address id of the chain's blocks up to this
	// one: an id above it in the next block is an address seen first
	// there (ids are issued on first sight).
	maxSeen uint64
}

func encodeRecord(r *record) []byte {
	v := append(make([]byte, 0, 64+len(r.links)*8), r.hash[:]...)
	c := &r.counts
	for _, n := range []uint64{c.Txs, c.MultiInput, c.Skipped, c.Merges, c.Refused} {
		v = binary.AppendUvarint(v, n)
	}
	for _, n := range c.CoinJoins {
		v = binary.AppendUvarint(v, n)
	}
	v = binary.AppendUvarint(v, uint64(len(r.links)))
	for _, l := range r.links {
		v = binary.AppendUvarint(v, uint64(l.A))
		v = binary.AppendUvarint(v, uint64(l.B))
	}
	// Change detection's counts and maxSeen follow; records written
	// before change detection existed end here.
	for _, n := range []uint64{c.ChangeFound, c.ChangeMerges, c.CannotLinks, c.RefusedCannotLink, c.ChangeRefused, c.ChangeRefusedCannot, r.maxSeen,
		c.DepositForwards, c.DepositMerges} {
		v = binary.AppendUvarint(v, n)
	}
	// The fingerprint deferral's counts follow; records written before
	// it existed end here.
	for _, n := range []uint64{c.Deferred, c.DeferResolved, c.DeferLate, c.DeferChange} {
		v = binary.AppendUvarint(v, n)
	}
	return v
}

var errCorrupt = errors.New("corrupt cluster record")

func decodeRecord(k, v []byte) (record, error) {
	var r record
	if len(k) != 10 || len(v) < 32 {
		return r, errCorrupt
	}
	r.height = binary.BigEndian.Uint64(k[2:])
	copy(r.hash[:], v)
	v = v[32:]
	next := func() uint64 {
		if v == nil {
			return 0
		}
		n, m := binary.Uvarint(v)
		if m <= 0 {
			v = nil
			return 0
		}
		v = v[m:]
		return n
	}
	c := &r.counts
	c.Txs, c.MultiInput, c.Skipped, c.Merges, c.Refused = next(), next(), next(), next(), next()
	for i := range c.CoinJoins {
		c.CoinJoins[i] = next()
	}
	n := next()
	if v == nil || n > uint64(len(v))/2 {
		return r, fmt.Errorf("block %d: %w", r.height, errCorrupt)
	}
	r.links = make([]Link, n)
	for i := range r.links {
		a, b := next(), next()
		if v == nil || a > 1<<32-1 || b > 1<<32-1 {
			return r, fmt.Errorf("block %d link %d: %w", r.height, i, errCorrupt)
		}
		r.links[i] = Link{uint32(a), uint32(b)}
	}
	if len(v) != 0 {
		c.ChangeFound, c.ChangeMerges, c.CannotLinks, c.RefusedCannotLink = next(), next(), next(), next()
		c.ChangeRefused, c.ChangeRefusedCannot, r.maxSeen = next(), next(), next()
		c.DepositForwards, c.DepositMerges = next(), next()
		if v == nil {
			return r, fmt.Errorf("block %d: change counts: %w", r.height, errCorrupt)
		}
	}
	if len(v) != 0 {
		c.Deferred, c.DeferResolved, c.DeferLate, c.DeferChange = next(), next(), next(), next()
		if v == nil {
			return r, fmt.Errorf("block %d: deferral counts: %w", r.height, errCorrupt)
		}
	}
	if len(v) != 0 {
		return r, fmt.Errorf("block %d: %d trailing bytes: %w", r.height, len(v), errCorrupt)
	}
	return r, nil
}

func (c *Counts) add(d *Counts) {
	c.Txs += d.Txs
	c.MultiInput += d.MultiInput
	c.Skipped += d.Skipped
	c.Merges += d.Merges
	c.Refused += d.Refused
	c.ChangeFound += d.ChangeFound
	c.ChangeMerges += d.ChangeMerges
	c.CannotLinks += d.CannotLinks
	c.RefusedCannotLink += d.RefusedCannotLink
	c.ChangeRefused += d.ChangeRefused
	c.ChangeRefusedCannot += d.ChangeRefusedCannot
	c.DepositForwards += d.DepositForwards
	c.DepositMerges += d.DepositMerges
	c.Deferred += d.Deferred
	c.DeferResolved += d.DeferResolved
	c.DeferLate += d.DeferLate
	c.DeferChange += d.DeferChange
	for i := range c.CoinJoins {
		c.CoinJoins[i] += d.CoinJoins[i]
	}
}

// DB is a persistent clustering of one UTXO chain: the union-find in
// memory, the merges per block on disk.
type DB struct {
	db    *pebble.DB
	dir   string
	chain chain.Chain
	opts  Options
	c     *Clusterer
	// cursor: the last clustered block
	height uint64
	hash   chain.Hash
	has    bool
	// maxSeen: see record.maxSeen, as of the cursor
	maxSeen uint64
	// records applied or replayed above the snapshot (or from the start)
	sinceSnap int
	// pruned: the 'f' and 'e' records of blocks below it are deleted
	pruned uint64
	// dep follows deposit addresses on an account chain; nil until the
	// next update primes it from the blocks of the window.
	dep *deposit.Detector
}

// RecordsSinceSnapshot is the number of blocks an open would replay.
func (d *DB) RecordsSinceSnapshot() int { return d.sinceSnap }

// Open opens (creating if need be) the cluster database in dir for chain
// c and loads its union-find. A database built with other options is
// refused.
func Open(dir string, c chain.Chain, o Options, readOnly bool) (*DB, error) {
	pdb, err := pebble.Open(dir, &pebble.Options{ReadOnly: readOnly, Logger: quiet{}})
	if err != nil {
		return nil, fmt.Errorf("cluster database %s: %w", dir, err)
	}
	d := &DB{db: pdb, dir: dir, chain: c, opts: o}
	if err := d.checkOptions(readOnly); err != nil {
		pdb.Close()
		return nil, err
	}
	if err := d.load(); err != nil {
		pdb.Close()
		return nil, fmt.Errorf("cluster database %s: %w", dir, err)
	}
	return d, nil
}

// Create opens the cluster database in dir for a build from scratch: its
// records are deleted and its options set to o, whatever it held before.
func Create(dir string, c chain.Chain, o Options) (*DB, error) {
	pdb, err := pebble.Open(dir, &pebble.Options{Logger: quiet{}})
	if err != nil {
		return nil, fmt.Errorf("cluster database %s: %w", dir, err)
	}
	b := pdb.NewBatch()
	err = errors.Join(deleteBlocks(b, c, 0, math.MaxUint64), b.Delete(prunedKey(c), nil), deleteSnapshot(b), writeGeneration(b), b.Set([]byte{pOptions}, o.encode(), nil))
	if err == nil {
		err = b.Commit(pebble.Sync)
	}
	b.Close()
	if err != nil {
		pdb.Close()
		return nil, fmt.Errorf("cluster database %s: %w", dir, err)
	}
	d := &DB{db: pdb, dir: dir, chain: c, opts: o}
	if err := d.load(); err != nil {
		pdb.Close()
		return nil, err
	}
	return d, nil
}

type quiet struct{}

func (quiet) Infof(string, ...any)  {}
func (quiet) Errorf(string, ...any) {}
func (quiet) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

// policies are the options kept as JSON in the options record.
type policies struct {
	Change  change.Config  `json:"change"`
	Deposit deposit.Config `json:"deposit"`
}

// pinned is o as the options record keeps it: a policy switched off is
// kept as its zero value, whatever its other settings, so that an update
// given the build's own configuration file matches it.
func (o Options) pinned() Options {
	if !o.Change.Enabled {
		o.Change = change.Config{}
	}
	if !o.Deposit.Enabled {
		o.Deposit = deposit.Config{}
	}
	return o
}

// encode is the options record: what must not change between a build
// and its updates.
func (o Options) encode() []byte {
	o = o.pinned()
	var flags byte
	if o.KeepCoinJoins {
		flags |= 1
	}
	if !o.Change.Enabled && !o.Deposit.Enabled {
		return []byte{flags}
	}
	js, err := json.Marshal(policies{o.Change, o.Deposit})
	if err != nil {
		panic(err) // plain numbers and booleans
	}
	return append([]byte{flags | 2}, js...)
}

func decodeOptions(v []byte) (Options, error) {
	var o Options
	if len(v) < 1 || v[0]&^3 != 0 || (v[0]&2 == 0) != (len(v) == 1) {
		return o, errCorrupt
	}
	o.KeepCoinJoins = v[0]&1 == 1
	if v[0]&2 != 0 {
		var p policies
		if err := json.Unmarshal(v[1:], &p); err != nil || !p.Change.Enabled && !p.Deposit.Enabled {
			return o, errCorrupt
		}
		o.Change, o.Deposit = p.Change, p.Deposit
	}
	return o, nil
}

func (d *DB) checkOptions(readOnly bool) error {
	v, closer, err := d.db.Get([]byte{pOptions})
	if errors.Is(err, pebble.ErrNotFound) {
		if readOnly {
			return nil
		}
		b := d.db.NewBatch()
		defer b.Close()
		if err := errors.Join(writeGeneration(b), b.Set([]byte{pOptions}, d.opts.encode(), nil)); err != nil {
			return err
		}
		return b.Commit(pebble.Sync)
	}
	if err != nil {
		return err
	}
	defer closer.Close()
	built, err := decodeOptions(v)
	if err != nil {
		return fmt.Errorf("cluster database %s: options record: %w", d.dir, err)
	}
	if readOnly {
		d.opts.KeepCoinJoins, d.opts.Change, d.opts.Deposit = built.KeepCoinJoins, built.Change, built.Deposit
		return nil
	}
	if built.KeepCoinJoins != d.opts.KeepCoinJoins {
		return fmt.Errorf("cluster database %s was built with keep-coinjoins=%v; rebuild it (cluster build) to change that", d.dir, built.KeepCoinJoins)
	}
	want := d.opts.pinned()
	if built.Change != want.Change {
		return fmt.Errorf("cluster database %s was built with another change policy (%+v); rebuild it (cluster build) to change that", d.dir, built.Change)
	}
	if built.Deposit != want.Deposit {
		return fmt.Errorf("cluster database %s was built with another deposit policy (%+v); rebuild it (cluster build) to change that", d.dir, built.Deposit)
	}
	return nil
}

// load restores the snapshot, if any, and replays the records above it
// into the union-find.
func (d *DB) load() error {
	d.c = New(d.opts)
	d.has, d.sinceSnap, d.maxSeen, d.dep, d.pruned = false, 0, 0, nil, 0
	if v, closer, err := d.db.Get(prunedKey(d.chain)); err == nil {
		ok := len(v) == 8
		if ok {
			d.pruned = binary.BigEndian.Uint64(v)
		}
		closer.Close()
		if !ok {
			return fmt.Errorf("pruning height: %w", errCorrupt)
		}
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return err
	}
	p := []byte{pRecord, byte(d.chain)}
	snap, ok, err := d.loadSnapshot()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if ok {
		p = recordKey(d.chain, snap+1)
	}
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: []byte{pRecord, byte(d.chain) + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		r, err := decodeRecord(it.Key(), it.Value())
		if err != nil {
			return err
		}
		merges := d.c.Counts.Merges
		d.c.Replay(r.links)
		if d.c.Counts.Merges-merges != uint64(len(r.links)) {
			return fmt.Errorf("block %d: a logged merge joined ids already together: %w", r.height, errCorrupt)
		}
		d.c.Counts.Merges = merges
		d.c.Counts.add(&r.counts)
		d.height, d.hash, d.has = r.height, r.hash, true
		d.maxSeen = r.maxSeen
		d.sinceSnap++
	}
	if err := it.Error(); err != nil {
		return err
	}
	return d.loadCannot()
}

// CannotLinks lists the cannot-link pairs on disk, in block order.
func (d *DB) CannotLinks() ([]Link, error) {
	var out []Link
	err := d.eachCannot(func(p []Link) { out = append(out, p...) })
	return out, err
}

// loadCannot gives the clusterer every cannot-link pair and deposit
// anchor on disk.
func (d *DB) loadCannot() error {
	if err := d.eachPair(pCannot, d.c.AddCannotLinks); err != nil {
		return err
	}
	if err := d.eachPair(pHot, d.c.AddHots); err != nil {
		return err
	}
	if err := d.eachPair(pAnchor, d.c.AddAnchors); err != nil {
		return err
	}
	if err := d.eachBlock(pMixed, 0, func(_ uint64, v []byte) error {
		ids, err := decodeIDs(v)
		d.c.AddMixed(ids)
		return err
	}); err != nil {
		return err
	}
	return d.loadPending()
}

// loadPending gives the clusterer the deferred transactions still
// waiting after the cursor block: those of the last fingerprint_blocks
// blocks, with the spends of their outputs since.
func (d *DB) loadPending() error {
	k := uint64(d.opts.Change.FingerprintBlocks)
	if !d.has || !d.opts.Change.Enabled || k == 0 {
		return nil
	}
	// A deferral at h waits through block h+k and its wait ends at the
	// start of block h+k+1 (when it may be decided with the spenders
	// seen): the next block, c+1, still concerns those from c-k on.
	lo := d.height - min(d.height, k)
	var defs []Deferral
	var spends []Spend
	err := d.eachBlock(pDefer, lo, func(h uint64, v []byte) error {
		x, err := decodeDeferrals(h, v)
		defs = append(defs, x...)
		return err
	})
	if err == nil {
		err = d.eachBlock(pSpent, lo, func(_ uint64, v []byte) error {
			x, err := decodeSpends(v)
			spends = append(spends, x...)
			return err
		})
	}
	if err != nil {
		return err
	}
	d.c.Restore(defs, spends)
	return nil
}

// eachBlock reads the records of one per-block family from block lo to
// the cursor, in block order.
func (d *DB) eachBlock(prefix byte, lo uint64, f func(h uint64, v []byte) error) error {
	key := func(h uint64) []byte { return binary.BigEndian.AppendUint64([]byte{prefix, byte(d.chain)}, h) }
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: key(lo), UpperBound: key(d.height + 1)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		if len(it.Key()) != 10 {
			return fmt.Errorf("record %x: %w", it.Key(), errCorrupt)
		}
		if err := f(binary.BigEndian.Uint64(it.Key()[2:]), it.Value()); err != nil {
			return fmt.Errorf("record %x: %w", it.Key(), err)
		}
	}
	return it.Error()
}

func (d *DB) eachCannot(f func([]Link)) error { return d.eachPair(pCannot, f) }

// eachPair reads the pair lists of one per-block family in block order.
func (d *DB) eachPair(prefix byte, f func([]Link)) error {
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefix, byte(d.chain)}, UpperBound: []byte{prefix, byte(d.chain) + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		pairs, err := decodeLinks(it.Value())
		if err != nil || len(it.Key()) != 10 {
			return fmt.Errorf("pair record %x: %w", it.Key(), errCorrupt)
		}
		f(pairs)
	}
	return it.Error()
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Cursor returns the last clustered block.
func (d *DB) Cursor() (height uint64, hash chain.Hash, ok bool) { return d.height, d.hash, d.has }

// Clusterer exposes the loaded union-find and counts (read only).
func (d *DB) Clusterer() *Clusterer { return d.c }

// Progress is told of each clustered block.
type Progress func(height, target uint64)

// Build discards the clustering and redoes it from the store's first block.
func (d *DB) Build(ctx context.Context, src Source, p Progress) error {
	b := d.db.NewBatch()
	defer b.Close()
	if err := errors.Join(deleteBlocks(b, d.chain, 0, math.MaxUint64), b.Delete(prunedKey(d.chain), nil)); err != nil {
		return err
	}
	if err := deleteSnapshot(b); err != nil {
		return err
	}
	if err := writeGeneration(b); err != nil {
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	if err := d.load(); err != nil {
		return err
	}
	return d.Update(ctx, src, p)
}

// Update clusters the blocks the store holds beyond the cursor, one batch
// per block. Blocks a reorg replaced are first undone.
func (d *DB) Update(ctx context.Context, src Source, p Progress) error {
	return d.UpdateTo(ctx, src, math.MaxUint64, p)
}

// UpdateTo is Update that stops after block to.
func (d *DB) UpdateTo(ctx context.Context, src Source, to uint64, p Progress) error {
	if err := d.unwindReorg(src); err != nil {
		return err
	}
	cur, ok, err := src.Cursor(d.chain)
	if err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("the store holds no %s blocks (ingest first)", d.chain)
		}
		return err
	}
	from := d.height + 1
	if !d.has {
		if from, _, err = src.FirstBlock(d.chain); err != nil {
			return err
		}
	}
	last := min(cur.Height, to)
	if err := d.primeDeposits(src, from); err != nil {
		return err
	}
	for h := from; h <= last; h++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Records go unsynced but the last: a crash loses a suffix of
		// records, and the next update redoes those blocks.
		if err := d.applyBlock(src, h, h == last); err != nil {
			return err
		}
		if p != nil {
			p(h, last)
		}
	}
	return nil
}

func (d *DB) applyBlock(src Source, h uint64, sync bool) error {
	hash, ok, err := src.BlockHash(d.chain, h)
	if err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("block %d is not stored", h)
		}
		return err
	}
	if accountModel(d.chain) {
		return d.applyAccountBlock(src, h, hash, sync)
	}
	r := record{height: h, hash: hash, maxSeen: d.maxSeen}
	before := d.c.Counts
	withChange := d.opts.Change.Enabled
	// ids above maxSeen that this block showed already: not fresh again
	seen := map[uint64]struct{}{}
	var delta Delta
	var ids TxIDs
	if withChange {
		d.c.Expire(h, &delta)
	}
	for txi := uint32(0); ; txi++ {
		tx, ok, err := src.IO(d.chain, h, txi)
		if err != nil {
			return fmt.Errorf("block %d tx %d: %w", h, txi, err)
		}
		if !ok {
			break
		}
		if ids.In, err = d.addressIDs(src, ids.In[:0], tx.Inputs, nil); err != nil {
			return fmt.Errorf("block %d tx %s: input %w", h, tx.Hash, err)
		}
		ids.Out, ids.Change.Fresh = ids.Out[:0], ids.Change.Fresh[:0]
		if withChange {
			if ids.Out, err = d.addressIDs(src, ids.Out, nil, tx.Outputs); err != nil {
				return fmt.Errorf("block %d tx %s: output %w", h, tx.Hash, err)
			}
			for _, id := range ids.Out {
				_, again := seen[id]
				ids.Change.Fresh = append(ids.Change.Fresh, id > d.maxSeen && !again)
			}
		}
		if withChange {
			d.c.Resolve(&tx, h, &delta)
		}
		d.c.ApplyTx(&tx, h, ids, &delta)
		for _, list := range [][]uint64{ids.In, ids.Out} {
			for _, id := range list {
				if id > d.maxSeen {
					seen[id] = struct{}{}
					r.maxSeen = max(r.maxSeen, id)
				}
			}
		}
	}
	r.links = delta.Links
	r.counts = d.c.Counts
	r.counts.sub(&before)
	return d.write(&r, delta, sync)
}

// write stores a clustered block's record and cannot-link pairs and
// moves the cursor.
func (d *DB) write(r *record, delta Delta, sync bool) error {
	h, hash := r.height, r.hash
	wo := pebble.NoSync
	if sync {
		wo = pebble.Sync
	}
	b := d.db.NewBatch()
	defer b.Close()
	err := b.Set(recordKey(d.chain, h), encodeRecord(r), nil)
	if err == nil && len(delta.CannotLinks) > 0 {
		err = b.Set(cannotKey(d.chain, h), encodeLinks(delta.CannotLinks), nil)
	}
	if err == nil && len(delta.Anchors) > 0 {
		err = b.Set(anchorKey(d.chain, h), encodeLinks(delta.Anchors), nil)
	}
	if err == nil && len(delta.Hots) > 0 {
		err = b.Set(hotKey(d.chain, h), encodeLinks(delta.Hots), nil)
	}
	if err == nil && len(delta.Deferred) > 0 {
		err = b.Set(deferKey(d.chain, h), encodeDeferrals(delta.Deferred), nil)
	}
	if err == nil && len(delta.Spent) > 0 {
		err = b.Set(spentKey(d.chain, h), encodeSpends(delta.Spent), nil)
	}
	if err == nil && len(delta.Mixed) > 0 {
		err = b.Set(mixedKey(d.chain, h), encodeIDs(delta.Mixed), nil)
	}
	// The waiting state's records of blocks no reorg followed reaches
	// again: a reorg back to block c needs those from c-k on.
	pruned := d.pruned
	if k := uint64(d.opts.Change.FingerprintBlocks); err == nil && d.opts.Change.Enabled && k > 0 {
		if cut := h - min(h, k+maxReorgDepth); cut > pruned {
			pruned = cut
			err = errors.Join(b.DeleteRange(deferKey(d.chain, d.pruned), deferKey(d.chain, cut), nil),
				b.DeleteRange(spentKey(d.chain, d.pruned), spentKey(d.chain, cut), nil),
				b.Set(prunedKey(d.chain), binary.BigEndian.AppendUint64(nil, cut), nil))
		}
	}
	if err == nil {
		err = b.Commit(wo)
	}
	if err != nil {
		return fmt.Errorf("block %d: write cluster record: %w", h, err)
	}
	d.height, d.hash, d.has, d.maxSeen, d.pruned = h, hash, true, r.maxSeen, pruned
	d.sinceSnap++
	return nil
}

// addressIDs appends the store's id of each input's (or output's)
// address to dst, 0 for none.
func (d *DB) addressIDs(src Source, dst []uint64, ins []chain.Input, outs []chain.Output) ([]uint64, error) {
	one := func(a chain.Address) error {
		var id uint64
		if !a.None() {
			var err error
			// an address the store does not know stays 0: left out
			if id, _, err = src.AddressID(a); err != nil {
				return fmt.Errorf("address %s: %w", a, err)
			}
		}
		dst = append(dst, id)
		return nil
	}
	for _, in := range ins {
		if err := one(in.Address); err != nil {
			return dst, err
		}
	}
	for _, o := range outs {
		if err := one(o.Address); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func (c *Counts) sub(d *Counts) {
	c.Txs -= d.Txs
	c.MultiInput -= d.MultiInput
	c.Skipped -= d.Skipped
	c.Merges -= d.Merges
	c.Refused -= d.Refused
	c.ChangeFound -= d.ChangeFound
	c.ChangeMerges -= d.ChangeMerges
	c.CannotLinks -= d.CannotLinks
	c.RefusedCannotLink -= d.RefusedCannotLink
	c.ChangeRefused -= d.ChangeRefused
	c.ChangeRefusedCannot -= d.ChangeRefusedCannot
	c.DepositForwards -= d.DepositForwards
	c.DepositMerges -= d.DepositMerges
	c.Deferred -= d.Deferred
	c.DeferResolved -= d.DeferResolved
	c.DeferLate -= d.DeferLate
	c.DeferChange -= d.DeferChange
	for i := range c.CoinJoins {
		c.CoinJoins[i] -= d.CoinJoins[i]
	}
}

// unwindReorg deletes the records of blocks the store no longer holds
// under the same hash, then reloads the union-find from what remains.
func (d *DB) unwindReorg(src Source) error {
	if !d.has {
		return nil
	}
	// from: the lowest height whose record goes
	from := d.height + 1
	for h := d.height; ; h-- {
		r, ok, err := d.record(h)
		if err != nil {
			return err
		}
		if !ok {
			break // below the first record
		}
		hash, ok, err := src.BlockHash(d.chain, h)
		if err != nil {
			return err
		}
		if ok && hash == r.hash {
			break
		}
		from = h
		if h == 0 {
			break
		}
	}
	if from == d.height+1 {
		return nil
	}
	// The clustering goes back to block from-1 (if it has a record): the
	// transactions waiting then are restored from the records of blocks
	// from-1-k on, which must not have been pruned.
	remains := false
	if from > 0 {
		_, ok, err := d.record(from - 1)
		if err != nil {
			return err
		}
		remains = ok
	}
	if k := uint64(d.opts.Change.FingerprintBlocks); remains && d.opts.Change.Enabled && k > 0 && from-1-min(from-1, k) < d.pruned {
		return fmt.Errorf("cluster database %s: a reorg of %d blocks (back to block %d) is deeper than the %d blocks the wallet fingerprint's waiting state is kept for "+
			"(pruned below block %d): rebuild the clustering (chainhound cluster build)", d.dir, d.height+1-from, from-1, maxReorgDepth, d.pruned)
	}
	b := d.db.NewBatch()
	defer b.Close()
	if err := deleteBlocks(b, d.chain, from, d.height+1); err != nil {
		return err
	}
	if !remains {
		if err := b.Delete(prunedKey(d.chain), nil); err != nil {
			return err
		}
	}
	if snap, ok, err := d.snapshotHeight(); err != nil {
		return err
	} else if ok && snap >= from {
		if err := deleteSnapshot(b); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	return d.load()
}

func (d *DB) record(h uint64) (record, bool, error) {
	k := recordKey(d.chain, h)
	v, closer, err := d.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return record{}, false, nil
	}
	if err != nil {
		return record{}, false, err
	}
	defer closer.Close()
	r, err := decodeRecord(k, v)
	return r, err == nil, err
}

// Options returns the options the database was built with.
func (d *DB) Options() Options { return d.opts }

// deleteBlocks deletes what blocks [from, to) of chain c keep (their
// records and every per-block family); to MaxUint64 for all.
func deleteBlocks(b *pebble.Batch, c chain.Chain, from, to uint64) error {
	for _, p := range perBlock {
		hi := binary.BigEndian.AppendUint64([]byte{p, byte(c)}, to)
		if to == math.MaxUint64 {
			hi = []byte{p, byte(c) + 1}
		}
		if err := b.DeleteRange(binary.BigEndian.AppendUint64([]byte{p, byte(c)}, from), hi, nil); err != nil {
			return err
		}
	}
	return nil
}

func deleteSnapshot(b *pebble.Batch) error {
	return errors.Join(b.Delete([]byte{pSnapHead}, nil), b.Delete([]byte{pSnapGen}, nil),
		b.DeleteRange([]byte{pSnap}, []byte{pSnap + 1}, nil), b.DeleteRange([]byte{pSnapPart}, []byte{pSnapPart + 1}, nil))
}

func (d *DB) snapshotHeight() (uint64, bool, error) {
	v, closer, err := d.db.Get([]byte{pSnapHead})
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer closer.Close()
	if len(v) < 48 {
		return 0, false, errCorrupt
	}
	return binary.BigEndian.Uint64(v), true, nil
}

// snapshotGen is the generation of the snapshot in force: false for
// none, or one written before generations (chunks under 's').
func (d *DB) snapshotGen() (uint64, bool, error) {
	v, closer, err := d.db.Get([]byte{pSnapGen})
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, false, errCorrupt
	}
	return binary.BigEndian.Uint64(v), true, nil
}

// Snapshot writes the union-find as it stands after the cursor block, so
// that later opens replay only the records above it. Only the chain this
// database clusters is snapshotted (one chain per database in practice).
// The chunks go under a new generation in batches of about
// snapBatchBytes; the last batch, synced, switches the header to them and
// deletes the previous generation, so that a crash midway leaves the
// previous snapshot in force.
func (d *DB) Snapshot() error {
	if !d.has {
		return nil
	}
	f := d.c.Forest
	old, _, err := d.snapshotGen()
	if err != nil {
		return err
	}
	gen := old + 1
	b := d.db.NewBatch()
	defer func() { b.Close() }()
	// chunks of generations a crash cut off
	if err := b.DeleteRange(snapPartKey(gen, 0), []byte{pSnapPart + 1}, nil); err != nil {
		return err
	}
	var buf []byte
	batches := 0
	for i := 0; i*snapChunk < f.Len(); i++ {
		buf = f.AppendChunk(buf[:0], i*snapChunk, min((i+1)*snapChunk, f.Len()))
		if err := b.Set(snapPartKey(gen, uint32(i)), buf, nil); err != nil {
			return err
		}
		if len(b.Repr()) >= snapBatchBytes {
			if err := b.Commit(pebble.NoSync); err != nil {
				return err
			}
			b.Close()
			b = d.db.NewBatch()
			batches++
			if snapCommitted != nil {
				if err := snapCommitted(batches); err != nil {
					return err
				}
			}
		}
	}
	head := binary.BigEndian.AppendUint64(nil, d.height)
	head = append(head, d.hash[:]...)
	head = binary.BigEndian.AppendUint64(head, uint64(f.Len()))
	head = append(head, encodeRecord(&record{counts: d.c.Counts})[32:]...)
	err = errors.Join(b.Set([]byte{pSnapHead}, head, nil), b.Set([]byte{pSnapGen}, binary.BigEndian.AppendUint64(nil, gen), nil),
		b.DeleteRange([]byte{pSnapPart}, snapPartKey(gen, 0), nil), b.DeleteRange([]byte{pSnap}, []byte{pSnap + 1}, nil))
	if err == nil {
		err = b.Commit(pebble.Sync)
	}
	if err != nil {
		return err
	}
	if snapCommitted != nil {
		if err := snapCommitted(batches + 1); err != nil {
			return err
		}
	}
	d.sinceSnap = 0
	return nil
}

// loadSnapshot restores the forest and counts from the snapshot, when
// there is one and the record of its block agrees with it.
func (d *DB) loadSnapshot() (uint64, bool, error) {
	v, closer, err := d.db.Get([]byte{pSnapHead})
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	head := append([]byte(nil), v...)
	closer.Close()
	if len(head) < 48 {
		return 0, false, errCorrupt
	}
	h := binary.BigEndian.Uint64(head)
	var hash chain.Hash
	copy(hash[:], head[8:40])
	n := binary.BigEndian.Uint64(head[40:48])
	r, ok, err := d.record(h)
	if err != nil || !ok || r.hash != hash {
		return 0, false, errors.Join(err, fmt.Errorf("snapshot of block %d has no matching record: %w", h, errCorrupt))
	}
	counts, err := decodeRecord(recordKey(d.chain, h), append(hash[:], head[48:]...))
	if err != nil {
		return 0, false, err
	}
	if n > unionfind.MaxID+1 {
		return 0, false, errCorrupt
	}
	gen, ok, err := d.snapshotGen()
	if err != nil {
		return 0, false, err
	}
	lo, hi, prefix := []byte{pSnap}, []byte{pSnap + 1}, 1
	if ok {
		lo, hi, prefix = snapPartKey(gen, 0), snapPartKey(gen+1, 0), 9
	}
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	f := &unionfind.Forest{}
	chunk := uint32(0)
	for it.First(); it.Valid(); it.Next() {
		if k := it.Key(); len(k) != prefix+4 || binary.BigEndian.Uint32(k[prefix:]) != chunk {
			return 0, false, fmt.Errorf("snapshot chunk %x, want chunk %d: %w", k, chunk, errCorrupt)
		}
		chunk++
		if err := f.LoadChunk(it.Value(), int(n)); err != nil {
			return 0, false, err
		}
	}
	if err := it.Error(); err != nil {
		return 0, false, err
	}
	if uint64(f.Len()) != n {
		return 0, false, fmt.Errorf("snapshot holds %d of %d ids: %w", f.Len(), n, errCorrupt)
	}
	d.c.Forest, d.c.Counts = f, counts.counts
	d.height, d.hash, d.has, d.maxSeen = h, hash, true, r.maxSeen
	return h, true, nil
}

// Chain is the chain the database clusters.
func (d *DB) Chain() chain.Chain { return d.chain }
