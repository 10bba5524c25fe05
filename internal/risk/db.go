package risk

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/chainhound/chainhound/internal/trace"
	"github.com/cockroachdb/pebble/v2"
	pebblebloom "github.com/cockroachdb/pebble/v2/bloom"
)

// The exposure store (DATA/risk) is a Pebble database beside the chain
// store:
//
//	M <caip2>                          chain meta: last block covered, its hash, policy and seed fingerprints
//	S <caip2> 0 <category>             the category's trace state at that block (account chains)
//	E <caip2> 0 <category> 0 <address> what the address received from the category (record)
//	R <caip2> 0 <address>              what an exposed address received in all (totals)
//	D                                  an update in progress: present at open means a crash, and the next update rebuilds
const (
	pMeta   = 'M'
	pState  = 'S'
	pExpo   = 'E'
	pTotals = 'R'
	kDirty  = "D"
	sep     = "\x00"
)

func metaKey(caip2 string) []byte { return []byte(string(pMeta) + caip2) }
func stateKey(caip2, cat string) []byte {
	return []byte(string(pState) + caip2 + sep + cat)
}
func expoPrefix(caip2, cat string) []byte { return []byte(string(pExpo) + caip2 + sep + cat + sep) }
func expoKey(caip2, cat, addr string) []byte {
	return append(expoPrefix(caip2, cat), addr...)
}
func totalsPrefix(caip2 string) []byte { return []byte(string(pTotals) + caip2 + sep) }
func totalsKey(caip2, addr string) []byte {
	return append(totalsPrefix(caip2), addr...)
}

func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// chainMeta is what the exposure store covers of one chain.
type chainMeta struct {
	CAIP2   string               `json:"caip2"`
	Block   uint64               `json:"block"`
	First   uint64               `json:"first_block"` // the chain store's first block: another start is another history
	Hash    string               `json:"hash"`
	Time    int64                `json:"time"` // the block's time
	Policy  string               `json:"policy"`
	Exits   string               `json:"exits"` // fingerprint of the services the traces stop at
	Updated string               `json:"updated"`
	Cats    map[string]seedsMeta `json:"categories"`
	// Format is the layout of the chain's records: an older one is
	// rebuilt.
	Format int `json:"format"`
	// Entities is which clustering, and which of its blocks, the entity
	// figures follow; nil without a clustering.
	Entities *entityMeta `json:"entities,omitempty"`
}

// storeFormat is the layout written now: 2 adds the flow edges (x, y)
// that entity exposure needs.
const storeFormat = 2

type seedsMeta struct {
	Seeds       int    `json:"seeds"`
	Fingerprint string `json:"fingerprint"`
	Exposed     int    `json:"exposed"`
}

// record is what one address received from one category's addresses.
type record struct {
	Hop    int         `json:"hop"` // the fewest hops
	Assets []assetHops `json:"assets"`
	Via    Step        `json:"via"`   // the largest flow into it at its fewest hop
	First  []Step      `json:"first"` // per hop (index 0: hop 1), the earliest flow into it at that hop
}

// explain is the path that explains an exposure: from rec's Via back to
// a seed, each step the earliest flow at one hop fewer into the previous
// step's sender, which therefore came before that step (an address's hop
// only falls, so when it paid at hop h it had been reached at hop h-1).
// prev reads another address's record.
func explain(rec *record, prev func(addr string) (*record, error)) ([]Step, error) {
	path := []Step{rec.Via}
	for step := rec.Via; step.Hop > 1; {
		r, err := prev(step.From)
		if err != nil {
			return nil, err
		}
		if r == nil || len(r.First) < step.Hop-1 || r.First[step.Hop-2].Hop != step.Hop-1 {
			break // cannot happen in a consistent store: show what is known
		}
		step = r.First[step.Hop-2]
		path = append(path, step)
	}
	slices.Reverse(path)
	return path, nil
}

// assetHops is the tainted amount received in one asset, per hop (index
// 0 is hop 1).
type assetHops struct {
	Asset string   `json:"asset"` // CAIP-19
	ByHop []string `json:"by_hop"`
}

// Step is one hop of an explaining path: a flow of the trace.
type Step struct {
	Hop    int    `json:"hop"`
	From   string `json:"from"`
	To     string `json:"to"`
	Tx     string `json:"tx"`
	Block  uint64 `json:"block"`
	Asset  string `json:"asset"`
	Amount string `json:"amount"`
}

// totals is what an address received in all, per asset (CAIP-19 ->
// decimal amount).
type totals map[string]string

// DB is the exposure store.
type DB struct {
	db  *pebble.DB
	dir string
	// gen counts the updates committed through this handle: readers cache
	// chain metas by it (Pebble's lock keeps other processes out).
	gen atomic.Uint64
}

// Open opens (or, unless readOnly, creates) the exposure store in dir.
func Open(dir string, readOnly bool) (*DB, error) {
	if readOnly {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("no exposure store at %s: build it with chainhound risk rebuild", dir)
		}
	}
	cache := pebble.NewCache(256 << 20)
	defer cache.Unref()
	opts := &pebble.Options{ReadOnly: readOnly, Logger: quiet{}, Cache: cache}
	// A screen asks every category for a record, and most addresses have
	// none: bloom filters answer those misses without reading a block.
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = pebblebloom.FilterPolicy(10)
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open exposure store %s: %w", dir, err)
	}
	return &DB{db: db, dir: dir}, nil
}

type quiet struct{}

func (quiet) Infof(string, ...any)  {}
func (quiet) Errorf(string, ...any) {}
func (quiet) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

// Close closes the store.
func (d *DB) Close() error { return d.db.Close() }

// Dir is where the store lives.
func (d *DB) Dir() string { return d.dir }

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
		return false, fmt.Errorf("exposure store %s: key %q: %w", d.dir, k, err)
	}
	return true, nil
}

func setJSON(b *pebble.Batch, k []byte, v any) error {
	buf, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Set(k, buf, nil)
}

func (d *DB) meta(caip2 string) (chainMeta, bool, error) {
	var m chainMeta
	ok, err := d.getJSON(metaKey(caip2), &m)
	return m, ok, err
}

// Chains lists the chains the store covers.
func (d *DB) Chains() ([]chainMeta, error) {
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pMeta}, UpperBound: []byte{pMeta + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []chainMeta
	for it.First(); it.Valid(); it.Next() {
		var m chainMeta
		if err := json.Unmarshal(it.Value(), &m); err != nil {
			return nil, fmt.Errorf("exposure store %s: chain %q: %w", d.dir, it.Key()[1:], err)
		}
		out = append(out, m)
	}
	return out, it.Error()
}

func (d *DB) dirty() (bool, error) {
	_, closer, err := d.db.Get([]byte(kDirty))
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	closer.Close()
	return true, nil
}

// traceState is a category's trace state: one of the two is set.
type traceState struct {
	Account *trace.AccountState
	UTXO    *trace.UTXOState
}

func (d *DB) state(caip2, cat string) (*traceState, bool, error) {
	b, closer, err := d.db.Get(stateKey(caip2, cat))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	st := new(traceState)
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(st); err != nil || (st.Account == nil) == (st.UTXO == nil) {
		if err == nil {
			err = errors.New("neither or both kinds of state")
		}
		return nil, false, fmt.Errorf("exposure store %s: trace state of %s %s: %w", d.dir, caip2, cat, err)
	}
	return st, true, nil
}

func putState(b *pebble.Batch, caip2, cat string, st traceState) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(st); err != nil {
		return err
	}
	return b.Set(stateKey(caip2, cat), buf.Bytes(), nil)
}

// metaCache keeps chain metas between updates.
type metaCache struct {
	mu    sync.Mutex
	gen   uint64
	metas map[string]metaEntry
}

type metaEntry struct {
	m  chainMeta
	ok bool
}

func (c *metaCache) get(d *DB, caip2 string) (chainMeta, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g := d.gen.Load(); c.metas == nil || g != c.gen {
		c.metas, c.gen = map[string]metaEntry{}, g
	}
	if e, ok := c.metas[caip2]; ok {
		return e.m, e.ok, nil
	}
	m, ok, err := d.meta(caip2)
	if err == nil {
		c.metas[caip2] = metaEntry{m, ok}
	}
	return m, ok, err
}
