package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"

	"github.com/chainhound/chainhound/internal/bloom"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/cockroachdb/pebble/v2"
	pebblebloom "github.com/cockroachdb/pebble/v2/bloom"
)

// Options tune the store. The zero value is a good default.
type Options struct {
	// CacheBytes is Pebble's block cache size (default 64 MiB).
	CacheBytes int64
	// InternCache bounds the in-memory address id cache (default 1<<20
	// entries), which keeps memory flat whatever the chain length.
	InternCache int
	// OutputCache bounds the cache of recently created unspent outputs of
	// UTXO chains (default 1<<20 entries, about 150 bytes each; negative
	// disables it). Most outputs are spent soon after they are created; the
	// inputs spending them resolve from memory instead of the output index.
	OutputCache int
	// AddressFilterBytes bounds the in-memory Bloom filter that proves most
	// new addresses new without a database lookup (default 256 MiB, enough
	// for about 200 million addresses at a 1% false positive rate; negative
	// disables it). The filter starts small, is built from the stored
	// addresses on the first write and doubles as they grow; past the bound
	// it stays correct but sends more lookups to the database. A full
	// Bitcoin mainnet ingest (over a billion addresses) wants about 2 GiB.
	AddressFilterBytes int64
	// ReadOnly opens the store for reading only.
	ReadOnly bool
}

// DB is the Pebble-backed store. It implements Reader and Writer. Writes
// must come from one goroutine; reads may run concurrently with them.
type DB struct {
	db   *pebble.DB
	dir  string
	opts Options

	mu      sync.Mutex
	addrIDs map[string]uint64 // chain byte + raw -> id
	// blockIDs holds the ids of the addresses of the block about to be or
	// being written: committed ids learnt while resolving its inputs, and
	// ids the block interns. A small map per block is much cheaper to probe
	// than the large caches, and every address of a block is looked up
	// several times (its transfers, inputs and outputs). Cleared after
	// each ApplyBlock.
	blockIDs   map[chain.Address]uint64
	evmIDs     map[[20]byte]uint64 // Ethereum addresses: same cache, cheaper keys
	addrs      map[uint64]chain.Address
	assetIDs   map[string]uint32
	assets     map[uint32]assetEntry
	nextAddr   uint64
	nextAsset  uint32
	pending    map[chain.Chain]chain.Network // bindings waiting for the first block
	outs       *outputCache                  // recent unspent outputs (outcache.go)
	addrFilter *bloom.Filter                 // built on the first write (addrfilter.go)
	sorted     sortedBatch                   // the block being applied, reused between blocks
	outChange  outputChanges                 // the block being applied: its changes to outs
}

type assetEntry struct {
	chain chain.Chain
	asset chain.Asset
}

// Open opens or creates the store in dir.
func Open(dir string, opts Options) (*DB, error) {
	if opts.CacheBytes == 0 {
		opts.CacheBytes = 64 << 20
	}
	if opts.InternCache == 0 {
		opts.InternCache = 1 << 20
	}
	if opts.AddressFilterBytes == 0 {
		opts.AddressFilterBytes = 256 << 20
	}
	if opts.OutputCache == 0 {
		opts.OutputCache = 1 << 20
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open store %s: %w", dir, err)
		}
	} else if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	cache := pebble.NewCache(opts.CacheBytes)
	defer cache.Unref()
	popts := &pebble.Options{
		Cache:              cache,
		ReadOnly:           opts.ReadOnly,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             quietLogger{},
		// Measured on synthetic full Bitcoin blocks (chainhound bench
		// ingest-btc, 500 blocks, one core): a 64 MiB memtable, L0
		// compactions from 8 files and a 256 MiB base level raise
		// throughput by a third over Pebble's defaults (32 MiB, 4 files,
		// 64 MiB), because bulk ingest then rewrites the same keys through
		// fewer compactions; the price is up to 64 MiB more memory.
		MemTableSize:          64 << 20,
		L0CompactionThreshold: 8,
		L0StopWritesThreshold: 24,
		LBaseMaxBytes:         256 << 20,
	}
	// Interning looks up every new address before assigning it an id; bloom
	// filters answer most of those misses without reading a data block.
	for i := range popts.Levels {
		popts.Levels[i].FilterPolicy = pebblebloom.FilterPolicy(10)
	}
	pdb, err := pebble.Open(dir, popts)
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) || (err != nil && strings.Contains(err.Error(), "lock held")) {
		return nil, fmt.Errorf("open store %s: it is in use by another process (one chainhound process at a time per --data directory): %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	s := &DB{db: pdb, dir: dir, opts: opts, pending: map[chain.Chain]chain.Network{}, outs: newOutputCache(max(opts.OutputCache, 0))}
	s.resetCaches()
	if err := s.loadMeta(); err != nil {
		pdb.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	return s, nil
}

// quietLogger keeps Pebble's informational messages off the user's terminal;
// errors reach the caller through return values.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

// Close flushes and closes the store.
func (s *DB) Close() error { return s.db.Close() }

// Dir returns the store's directory.
func (s *DB) Dir() string { return s.dir }

func (s *DB) resetCaches() {
	s.addrIDs = make(map[string]uint64)
	s.blockIDs = make(map[chain.Address]uint64)
	s.evmIDs = make(map[[20]byte]uint64)
	s.addrs = make(map[uint64]chain.Address)
	s.assetIDs = make(map[string]uint32)
	s.assets = make(map[uint32]assetEntry)
}

func (s *DB) loadMeta() error {
	v, ok, err := s.get(metaKey(metaSchema))
	if err != nil {
		return err
	}
	if ok {
		if len(v) != 8 || binary.BigEndian.Uint64(v) != schemaVersion {
			return fmt.Errorf("store schema %x is not the supported version %d", v, schemaVersion)
		}
	} else if !s.opts.ReadOnly {
		if err := s.db.Set(metaKey(metaSchema), binary.BigEndian.AppendUint64(nil, schemaVersion), pebble.Sync); err != nil {
			return err
		}
	}
	s.nextAddr, s.nextAsset = 1, 1
	// A counter of the wrong size must not fall back to 1: new ids would
	// then alias existing addresses and merge their histories.
	if v, ok, err := s.get(metaKey(metaNextAddr)); err != nil {
		return err
	} else if ok {
		if len(v) != 8 {
			return fmt.Errorf("address id counter of %d bytes: %w", len(v), errCorrupt)
		}
		s.nextAddr = binary.BigEndian.Uint64(v)
	}
	if v, ok, err := s.get(metaKey(metaNextAsset)); err != nil {
		return err
	} else if ok {
		if len(v) != 4 {
			return fmt.Errorf("asset id counter of %d bytes: %w", len(v), errCorrupt)
		}
		s.nextAsset = binary.BigEndian.Uint32(v)
	}
	return nil
}

// get returns a copy of the value at k.
func (s *DB) get(k []byte) ([]byte, bool, error) { return getIn(s.db, k) }

// getIn returns a copy of the value at k in r (the database or a snapshot).
func getIn(r pebble.Reader, k []byte) ([]byte, bool, error) {
	v, closer, err := r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, true, nil
}

// Network implements Reader.
func (s *DB) Network(c chain.Chain) (chain.Network, bool, error) {
	v, ok, err := s.get(networkKey(c))
	if err != nil || !ok {
		return chain.Network{}, ok, err
	}
	caip2, genesis, found := bytes.Cut(v, []byte{0})
	if !found {
		return chain.Network{}, false, fmt.Errorf("network record of %s: %w", c, errCorrupt)
	}
	return chain.Network{CAIP2: string(caip2), Genesis: string(genesis)}, true, nil
}

// Bind implements Writer.
func (s *DB) Bind(c chain.Chain, n chain.Network) error {
	have, ok, err := s.Network(c)
	if err != nil {
		return err
	}
	if ok {
		if have != n {
			return &NetworkMismatchError{Chain: c, Have: have, Given: n}
		}
		return nil
	}
	s.mu.Lock()
	s.pending[c] = n
	s.mu.Unlock()
	return nil
}

// Cursor implements Reader.
func (s *DB) Cursor(c chain.Chain) (Cursor, bool, error) {
	v, ok, err := s.get(cursorKey(c))
	if err != nil || !ok {
		return Cursor{}, ok, err
	}
	cur, err := decodeCursor(v)
	return cur, err == nil, err
}

// BlockHash implements Reader.
func (s *DB) BlockHash(c chain.Chain, h uint64) (chain.Hash, bool, error) {
	r, ok, err := s.blockRecord(c, h)
	return r.hash, ok, err
}

func (s *DB) blockRecord(c chain.Chain, h uint64) (blockRecord, bool, error) {
	return blockRecordIn(s.db, c, h)
}

func blockRecordIn(r pebble.Reader, c chain.Chain, h uint64) (blockRecord, bool, error) {
	v, ok, err := getIn(r, blockKey(c, h))
	if err != nil || !ok {
		return blockRecord{}, ok, err
	}
	rec, err := decodeBlock(v)
	if err != nil {
		return rec, false, fmt.Errorf("%s block %d: %w", c, h, err)
	}
	return rec, true, nil
}

// WriteStats is what the store's database has written so far, from
// Pebble's metrics: how much work a stream of blocks cost below the batch.
type WriteStats struct {
	WALBytes       uint64 // written to the write-ahead log
	FlushedBytes   uint64 // table bytes written by memtable flushes
	CompactedBytes uint64 // table bytes written by compactions
	IngestedBytes  uint64 // table bytes ingested
	LiveBytes      uint64 // table bytes the database holds now
}

// WriteStats returns the database's write statistics.
func (s *DB) WriteStats() WriteStats {
	m := s.db.Metrics()
	t := m.Total()
	return WriteStats{
		WALBytes:       m.WAL.BytesWritten,
		FlushedBytes:   t.TableBytesFlushed,
		CompactedBytes: t.TableBytesCompacted,
		IngestedBytes:  t.TableBytesIngested,
		LiveBytes:      uint64(t.AggregateSize()),
	}
}
