package watch

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/cockroachdb/pebble/v2"
)

// Key layout of the watch store (DATA/watch), one Pebble database apart
// from the chain store so that a watcher never writes to the chain index:
//
//	'a' id                       -> Alert JSON. Every alert ever raised.
//	'c' chain                    -> cursor JSON: the last block of the chain
//	                                whose rules ran, written in the same
//	                                batch as that block's alerts and case
//	                                states, so a restart resumes exactly
//	                                after it (nothing lost, nothing doubled).
//	's' case 0x00 chain          -> case state, gob (trace state, joins).
//	'q' sink 0x00 seq(8, BE)     -> delivery JSON: an alert waiting for a
//	                                sink, in raise order. Written in the
//	                                block's batch; deleted once delivered.
//	'p' sink 0x00 seq(8, BE)     -> delivery JSON: an alert the sink
//	                                refused MaxAttempts times: parked, kept
//	                                until redelivered (chainhound watch
//	                                redeliver).
//	'h' chain height(8, BE)      -> the hash of the block the watcher
//	                                evaluated at that height, the last
//	                                keepHashes blocks: on start, the fork
//	                                point of a reorganisation that happened
//	                                while it was down is the highest block
//	                                whose hash the chain store still has.
//	'n'                          -> the next delivery sequence number.
const (
	pAlert  = 'a'
	pCursor = 'c'
	pState  = 's'
	pQueue  = 'q'
	pParked = 'p'
	pHash   = 'h'
	kSeq    = "n"
)

// keepHashes is how many evaluated block hashes are kept per chain: as
// deep as the ingester searches for a fork point (ingest.Config's
// MaxReorgDepth default).
const keepHashes = 10000

// DB is the watch store: alerts, their delivery queues, cursors and case
// states.
type DB struct {
	db  *pebble.DB
	mu  sync.Mutex // serialises read-modify-write of alerts and the sequence
	seq uint64
}

// Open opens (creating) the watch store in dir.
func Open(dir string) (*DB, error) {
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		return nil, fmt.Errorf("watch store %s: %w", dir, err)
	}
	d := &DB{db: db}
	v, closer, err := db.Get([]byte(kSeq))
	if err == nil {
		d.seq = binary.BigEndian.Uint64(v)
		closer.Close()
	} else if !errors.Is(err, pebble.ErrNotFound) {
		db.Close()
		return nil, err
	}
	return d, nil
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

// Close closes the store.
func (d *DB) Close() error { return d.db.Close() }

// Cursor is the last block whose rules ran.
type Cursor struct {
	Height uint64 `json:"height"`
	Hash   string `json:"hash"`
}

func cursorKey(c chain.Chain) []byte { return []byte{pCursor, byte(c)} }

func stateKey(name string, c chain.Chain) []byte {
	return append(append([]byte{pState}, name...), 0, byte(c))
}

func queueKey(p byte, sink string, seq uint64) []byte {
	k := append(append([]byte{p}, sink...), 0)
	return binary.BigEndian.AppendUint64(k, seq)
}

func alertKey(id string) []byte { return append([]byte{pAlert}, id...) }

func hashKey(c chain.Chain, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pHash, byte(c)}, h)
}

// evaluated returns the hash of the block at height h of chain c when the
// watcher evaluated it (false: not evaluated, or longer ago than
// keepHashes blocks, or by a watcher that kept no hashes).
func (d *DB) evaluated(c chain.Chain, h uint64) (string, bool, error) {
	v, closer, err := d.db.Get(hashKey(c, h))
	if errors.Is(err, pebble.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer closer.Close()
	return string(v), true, nil
}

// Cursor returns the watcher's cursor on chain c.
func (d *DB) Cursor(c chain.Chain) (Cursor, bool, error) {
	var cur Cursor
	ok, err := d.getJSON(cursorKey(c), &cur)
	return cur, ok, err
}

func (d *DB) getJSON(k []byte, v any) (bool, error) {
	b, closer, err := d.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer closer.Close()
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("watch store: key %q: %w", k, err)
	}
	return true, nil
}

// Alert returns one alert.
func (d *DB) Alert(id string) (Alert, bool, error) {
	var a Alert
	ok, err := d.getJSON(alertKey(id), &a)
	return a, ok, err
}

// Filter selects alerts.
type Filter struct {
	Status, Rule, Case, Chain, Group string
	MinSeverity                      Severity
}

// Check refuses a status or severity that no alert has.
func (f Filter) Check() error {
	if f.Status != "" && f.Status != StatusOpen && f.Status != StatusAcknowledged && f.Status != StatusResolved {
		return fmt.Errorf("status %q: want open, acknowledged or resolved", f.Status)
	}
	if f.MinSeverity != "" && f.MinSeverity.rank() == 0 {
		return fmt.Errorf("severity %q: want info, low, medium, high or critical", f.MinSeverity)
	}
	return nil
}

// Alerts lists the alerts matching f, by group, then block.
func (d *DB) Alerts(f Filter) ([]Alert, error) {
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pAlert}, UpperBound: []byte{pAlert + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := []Alert{}
	for it.First(); it.Valid(); it.Next() {
		var a Alert
		if err := json.Unmarshal(it.Value(), &a); err != nil {
			return nil, fmt.Errorf("watch store: alert %s: %w", it.Key()[1:], err)
		}
		if (f.Status == "" || a.Status == f.Status) && (f.Rule == "" || a.Rule == f.Rule) && (f.Case == "" || a.Case == f.Case) &&
			(f.Chain == "" || a.Chain == f.Chain) && (f.Group == "" || a.Group == f.Group) && a.Severity.rank() >= f.MinSeverity.rank() {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y Alert) int {
		return cmp.Or(cmp.Compare(x.Block, y.Block), cmp.Compare(x.Group, y.Group), cmp.Compare(x.ID, y.ID))
	})
	return out, it.Error()
}

// ErrNoAlert is returned for an unknown alert id.
var ErrNoAlert = errors.New("no such alert")

// SetStatus acknowledges or resolves an alert, with an optional note.
func (d *DB) SetStatus(id, status, note string) (Alert, error) {
	if status != StatusAcknowledged && status != StatusResolved && status != StatusOpen {
		return Alert{}, fmt.Errorf("status %q: want open, acknowledged or resolved", status)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok, err := d.Alert(id)
	if err != nil {
		return a, err
	}
	if !ok {
		return a, fmt.Errorf("alert %s: %w", id, ErrNoAlert)
	}
	a.Status = status
	if note != "" {
		a.Note = note
	}
	a.UpdatedAt = time.Now().UTC().Format(time.RFC3339)
	b, _ := json.Marshal(a)
	return a, d.db.Set(alertKey(id), b, pebble.Sync)
}

// blockCommit is what evaluating one block writes, atomically.
type blockCommit struct {
	chain  chain.Chain
	cursor Cursor
	alerts []Alert
	states map[stateRef]*caseState
	sinks  []SinkConfig
	// evaluated says the cursor's block was evaluated: its hash is kept
	// (see pHash).
	evaluated bool
	// rewound says the cursor moved back to a fork point (a
	// reorganisation): the alerts of the chain raised in the blocks
	// above it are marked orphaned, and the hashes kept of those blocks
	// dropped.
	rewound bool
	caip2   string // the chain's CAIP-2, for rewound
	// orphanedN is set by commit: how many alerts it marked orphaned.
	orphanedN int
}

// commit writes a block's alerts (new ones queued to every sink whose
// severity they reach; known ones counted again), case states and the
// cursor in one synced batch. It returns the alerts that were new.
func (d *DB) commit(bc *blockCommit) ([]Alert, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b := d.db.NewBatch()
	defer b.Close()
	var fresh []Alert
	seen := map[string]int{}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	seq := d.seq
	for _, a := range bc.alerts {
		if i, ok := seen[a.ID]; ok { // the same hit twice in one block
			fresh[i].Count++
			continue
		}
		old, ok, err := d.Alert(a.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			old.Count++
			if old.Orphaned { // its transaction is back, in the new branch's block
				old.Orphaned = false
				old.Block, old.BlockTime, old.Tx, old.LastBlock = a.Block, a.BlockTime, a.Tx, a.Block
			}
			old.LastBlock = max(old.LastBlock, a.Block)
			old.Addresses, old.Amounts, old.Explanation = a.Addresses, a.Amounts, a.Explanation
			v, _ := json.Marshal(old)
			if err := b.Set(alertKey(a.ID), v, nil); err != nil {
				return nil, err
			}
			continue
		}
		a.RaisedAt = now
		seen[a.ID] = len(fresh)
		fresh = append(fresh, a)
	}
	if bc.rewound {
		// Read and written under d.mu, so that an acknowledgement made
		// meanwhile (the --listen API) is kept.
		n, err := d.orphan(b, bc.caip2, bc.cursor.Height)
		if err != nil {
			return nil, err
		}
		bc.orphanedN = n
		if err := b.DeleteRange(hashKey(bc.chain, bc.cursor.Height+1), hashKey(bc.chain+1, 0), nil); err != nil {
			return nil, err
		}
	}
	if bc.evaluated {
		if err := b.Set(hashKey(bc.chain, bc.cursor.Height), []byte(bc.cursor.Hash), nil); err != nil {
			return nil, err
		}
		if bc.cursor.Height >= keepHashes {
			if err := b.Delete(hashKey(bc.chain, bc.cursor.Height-keepHashes), nil); err != nil {
				return nil, err
			}
		}
	}
	for _, a := range fresh {
		v, _ := json.Marshal(a)
		if err := b.Set(alertKey(a.ID), v, nil); err != nil {
			return nil, err
		}
		for _, s := range bc.sinks {
			if a.Severity.rank() < s.MinSeverity.rank() {
				continue
			}
			q, _ := json.Marshal(Delivery{Alert: a, Sink: s.Name, Seq: seq})
			if err := b.Set(queueKey(pQueue, s.Name, seq), q, nil); err != nil {
				return nil, err
			}
			seq++
		}
	}
	for ref, st := range bc.states {
		var v bytes.Buffer
		if err := gob.NewEncoder(&v).Encode(st); err != nil {
			return nil, err
		}
		if err := b.Set(stateKey(ref.name, ref.c), v.Bytes(), nil); err != nil {
			return nil, err
		}
	}
	cur, _ := json.Marshal(bc.cursor)
	if err := b.Set(cursorKey(bc.chain), cur, nil); err != nil {
		return nil, err
	}
	if err := b.Set([]byte(kSeq), binary.BigEndian.AppendUint64(nil, seq), nil); err != nil {
		return nil, err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return nil, err
	}
	d.seq = seq
	return fresh, nil
}

// orphan marks the alerts of chain caip2 raised in blocks above h
// orphaned, in batch b. It returns how many it marked.
func (d *DB) orphan(b *pebble.Batch, caip2 string, h uint64) (int, error) {
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pAlert}, UpperBound: []byte{pAlert + 1}})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		var a Alert
		if err := json.Unmarshal(it.Value(), &a); err != nil {
			return 0, fmt.Errorf("watch store: alert %s: %w", it.Key()[1:], err)
		}
		if a.Chain != caip2 || a.Block <= h || a.Orphaned {
			continue
		}
		a.Orphaned = true
		v, _ := json.Marshal(a)
		if err := b.Set(alertKey(a.ID), v, nil); err != nil {
			return 0, err
		}
		n++
	}
	return n, it.Error()
}

// caseStateOf reads a case's state on a chain. States are gob, as
// internal/risk keeps trace states: addresses are raw bytes, which JSON
// would mangle.
func (d *DB) caseStateOf(name string, c chain.Chain) (*caseState, error) {
	v, closer, err := d.db.Get(stateKey(name, c))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	st := &caseState{}
	if err := gob.NewDecoder(bytes.NewReader(v)).Decode(st); err != nil {
		return nil, fmt.Errorf("watch store: case %s on %s: %w", name, c, err)
	}
	return st, nil
}

// Delivery is an alert queued for one sink.
type Delivery struct {
	Alert    Alert  `json:"alert"`
	Sink     string `json:"sink"`
	Seq      uint64 `json:"seq"`
	Attempts int    `json:"attempts"`
	NextAt   int64  `json:"next_at,omitempty"` // unix ms of the next attempt
	LastErr  string `json:"last_error,omitempty"`
}

// Queue lists a sink's pending (or, with parked, parked) deliveries in order.
func (d *DB) Queue(sink string, parked bool) ([]Delivery, error) {
	p := byte(pQueue)
	if parked {
		p = pParked
	}
	lo := append(append([]byte{p}, sink...), 0)
	hi := append(append([]byte{p}, sink...), 1)
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Delivery
	for it.First(); it.Valid(); it.Next() {
		var dl Delivery
		if err := json.Unmarshal(it.Value(), &dl); err != nil {
			return nil, fmt.Errorf("watch store: delivery %x: %w", it.Key(), err)
		}
		out = append(out, dl)
	}
	return out, it.Error()
}

// delivered drops a delivery from the queue. The write is not synced:
// an fsync per alert made a sink deliver a block's hundred alerts a
// millisecond or more apart. A crash before the log reaches the disk
// (pebble writes it out within moments; the next synced write, a block's
// commit, or closing the store makes it durable) leaves the alert queued
// and delivers it again with the same id, which delivery at least once
// allows; it never loses an alert.
func (d *DB) delivered(dl *Delivery) error {
	return d.db.Delete(queueKey(pQueue, dl.Sink, dl.Seq), pebble.NoSync)
}

// failed records a failed attempt; past maxAttempts the delivery is
// parked.
func (d *DB) failed(dl *Delivery, maxAttempts int) (parked bool, err error) {
	v, _ := json.Marshal(dl)
	if dl.Attempts < maxAttempts {
		return false, d.db.Set(queueKey(pQueue, dl.Sink, dl.Seq), v, pebble.Sync)
	}
	b := d.db.NewBatch()
	defer b.Close()
	b.Delete(queueKey(pQueue, dl.Sink, dl.Seq), nil)
	b.Set(queueKey(pParked, dl.Sink, dl.Seq), v, nil)
	return true, b.Commit(pebble.Sync)
}

// Redeliver moves a sink's parked deliveries back to its queue, attempts
// reset. It returns how many.
func (d *DB) Redeliver(sink string) (int, error) {
	ps, err := d.Queue(sink, true)
	if err != nil {
		return 0, err
	}
	b := d.db.NewBatch()
	defer b.Close()
	for _, dl := range ps {
		b.Delete(queueKey(pParked, sink, dl.Seq), nil)
		dl.Attempts, dl.NextAt = 0, 0
		v, _ := json.Marshal(dl)
		b.Set(queueKey(pQueue, sink, dl.Seq), v, nil)
	}
	return len(ps), b.Commit(pebble.Sync)
}

// dropStates forgets the case states of chain c (after a reorganisation
// below them: the cases are traced again from their start).
func (d *DB) dropStates(c chain.Chain, names []string, cur Cursor) error {
	b := d.db.NewBatch()
	defer b.Close()
	for _, n := range names {
		b.Delete(stateKey(n, c), nil)
	}
	v, _ := json.Marshal(cur)
	b.Set(cursorKey(c), v, nil)
	b.Set(hashKey(c, cur.Height), []byte(cur.Hash), nil)
	return b.Commit(pebble.Sync)
}

// dropCursor forgets the cursor of chain c, and the block hashes kept:
// the next block evaluated is the store's first.
func (d *DB) dropCursor(c chain.Chain) error {
	b := d.db.NewBatch()
	defer b.Close()
	b.Delete(cursorKey(c), nil)
	b.DeleteRange(hashKey(c, 0), hashKey(c+1, 0), nil)
	return b.Commit(pebble.Sync)
}
