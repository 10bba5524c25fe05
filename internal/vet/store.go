package vet

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Key layout of the vet store (DATA/vet), one family per prefix byte:
//
//	'm' "schema"  -> schema version: refuse a store of another layout
//	'm' "key"     -> Keyer.Fingerprint of the hashing key: refuse another
//	                 key, whose hashes would silently never link
//	'm' "seq"     -> uint64 BE, the last import's number
//	'r' id        -> JSON Record, one per candidate or staff member; an
//	                 import of the same id replaces it
//	'i' seq       -> JSON ImportRecord, one per import, for the audit trail
//
// An import is one Pebble batch committed with Sync: after a crash the
// store holds the whole import or none of it.
const (
	pMeta    = 'm'
	pRecord  = 'r'
	pImport  = 'i'
	schemaV1 = "vet-1"
)

// Store is the vet store.
type Store struct {
	db  *pebble.DB
	dir string
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

// Open opens (or, unless readOnly, creates) the store in dir for the key
// whose fingerprint is keyFP; a store written under another key is
// refused.
func Open(dir string, readOnly bool, keyFP string) (*Store, error) {
	if readOnly {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("open vet store %s: %w (import candidates first: chainhound vet import FILE)", dir, err)
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open vet store %s: %w", dir, err)
	}
	db, err := pebble.Open(dir, &pebble.Options{ReadOnly: readOnly, Logger: quietLogger{}})
	if err != nil {
		if strings.Contains(err.Error(), "lock") {
			return nil, fmt.Errorf("open vet store %s: it is in use by another process: %w", dir, err)
		}
		return nil, fmt.Errorf("open vet store %s: %w", dir, err)
	}
	s := &Store{db: db, dir: dir}
	if err := s.checkMeta(readOnly, keyFP); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) get(k []byte) ([]byte, bool, error) {
	v, closer, err := s.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	return append([]byte(nil), v...), true, nil
}

func metaKey(name string) []byte { return append([]byte{pMeta}, name...) }

func (s *Store) checkMeta(readOnly bool, keyFP string) error {
	v, ok, err := s.get(metaKey("schema"))
	if err != nil {
		return err
	}
	if ok && string(v) != schemaV1 {
		return fmt.Errorf("vet store %s has schema %q; this chainhound reads %q", s.dir, v, schemaV1)
	}
	fp, hasFP, err := s.get(metaKey("key"))
	if err != nil {
		return err
	}
	if hasFP && string(fp) != keyFP {
		return fmt.Errorf("vet store %s was written under another hashing key (%s): its hashes would never match; use that key, or a new --data directory", s.dir, KeyEnv)
	}
	if readOnly || (ok && hasFP) {
		return nil
	}
	b := s.db.NewBatch()
	defer b.Close()
	b.Set(metaKey("schema"), []byte(schemaV1), nil)
	b.Set(metaKey("key"), []byte(keyFP), nil)
	return b.Commit(pebble.Sync)
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// ImportRecord is the audit record of one import.
type ImportRecord struct {
	Seq      uint64    `json:"seq"`
	Source   string    `json:"source"`
	Time     time.Time `json:"time"`
	Records  int       `json:"records"`
	New      int       `json:"new"`
	Replaced int       `json:"replaced"`
}

// Import writes recs in one atomic batch: all of them or, on any error,
// none.
func (s *Store) Import(recs []Record, source string, now time.Time) (ImportRecord, error) {
	var seq uint64
	if v, ok, err := s.get(metaKey("seq")); err != nil {
		return ImportRecord{}, err
	} else if ok && len(v) == 8 {
		seq = binary.BigEndian.Uint64(v)
	}
	seq++
	imp := ImportRecord{Seq: seq, Source: source, Time: now.UTC(), Records: len(recs)}
	b := s.db.NewBatch()
	defer b.Close()
	for i := range recs {
		k := append([]byte{pRecord}, recs[i].ID...)
		_, existed, err := s.get(k)
		if err != nil {
			return ImportRecord{}, err
		}
		if existed {
			imp.Replaced++
		} else {
			imp.New++
		}
		v, err := json.Marshal(&recs[i])
		if err != nil {
			return ImportRecord{}, err
		}
		if err := b.Set(k, v, nil); err != nil {
			return ImportRecord{}, err
		}
	}
	var sq [8]byte
	binary.BigEndian.PutUint64(sq[:], seq)
	b.Set(metaKey("seq"), sq[:], nil)
	v, _ := json.Marshal(imp)
	b.Set(append([]byte{pImport}, sq[:]...), v, nil)
	if err := b.Commit(pebble.Sync); err != nil {
		return ImportRecord{}, fmt.Errorf("vet store %s: commit the import: %w", s.dir, err)
	}
	return imp, nil
}

// Records returns every stored record, in id order.
func (s *Store) Records() ([]Record, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pRecord}, UpperBound: []byte{pRecord + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Record
	for it.First(); it.Valid(); it.Next() {
		var r Record
		if err := json.Unmarshal(it.Value(), &r); err != nil {
			return nil, fmt.Errorf("vet store %s: record %q: %w", s.dir, it.Key()[1:], err)
		}
		out = append(out, r)
	}
	return out, it.Error()
}

// Imports returns the audit records of every import, oldest first.
func (s *Store) Imports() ([]ImportRecord, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pImport}, UpperBound: []byte{pImport + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []ImportRecord
	for it.First(); it.Valid(); it.Next() {
		var r ImportRecord
		if err := json.Unmarshal(it.Value(), &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, it.Error()
}
