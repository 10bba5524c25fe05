package intel

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Store is the intelligence store: tags by subject with their history,
// actors, and a record of every source's last import. Writes are one
// atomic batch per import; reads may run concurrently with them.
type Store struct {
	db  *pebble.DB
	dir string
}

// Open opens or creates the store in dir; readOnly opens an existing one
// for reading only.
func Open(dir string, readOnly bool) (*Store, error) {
	if readOnly {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("open intelligence store %s: %w (import something first: chainhound intel import ...)", dir, err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open intelligence store %s: %w", dir, err)
	}
	db, err := pebble.Open(dir, &pebble.Options{ReadOnly: readOnly, Logger: quietLogger{}})
	if err != nil {
		if strings.Contains(err.Error(), "lock") {
			return nil, fmt.Errorf("open intelligence store %s: it is in use by another process: %w", dir, err)
		}
		return nil, fmt.Errorf("open intelligence store %s: %w", dir, err)
	}
	s := &Store{db: db, dir: dir}
	if err := s.checkSchema(readOnly); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) checkSchema(readOnly bool) error {
	v, closer, err := s.db.Get([]byte{pMeta, 's'})
	if errors.Is(err, pebble.ErrNotFound) {
		if readOnly {
			return nil
		}
		return s.db.Set([]byte{pMeta, 's'}, []byte(schemaVersion), pebble.Sync)
	}
	if err != nil {
		return err
	}
	defer closer.Close()
	if string(v) != schemaVersion {
		return fmt.Errorf("intelligence store %s has schema %q; this chainhound reads %q", s.dir, v, schemaVersion)
	}
	return nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// quietLogger keeps Pebble's informational logging off stderr.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
	os.Exit(1)
}

// ImportRecord is what the store remembers of a source's last import.
type ImportRecord struct {
	Source   string    `json:"source"`
	Kind     string    `json:"kind"`
	File     string    `json:"file"`
	SHA256   string    `json:"sha256"`
	Date     time.Time `json:"date"` // the list's or pack's own date
	At       time.Time `json:"imported_at"`
	Tags     int       `json:"tags"`
	Actors   int       `json:"actors"`
	Previous []string  `json:"previous,omitempty"` // earlier dates of a list source
}

// get reads one key; ok is false when it is absent.
func (s *Store) get(r pebble.Reader, k []byte) ([]byte, bool, error) {
	v, closer, err := r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	return slices.Clone(v), true, nil
}

// LastImport returns the record of source's last import.
func (s *Store) LastImport(source string) (ImportRecord, bool, error) {
	return s.lastImport(s.db, source)
}

func (s *Store) lastImport(r pebble.Reader, source string) (ImportRecord, bool, error) {
	v, ok, err := s.get(r, importKey(source))
	if err != nil || !ok {
		return ImportRecord{}, ok, err
	}
	var rec ImportRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return rec, false, fmt.Errorf("import record of %s: %w", source, err)
	}
	return rec, true, nil
}

// Imports lists the last import of every source.
func (s *Store) Imports() ([]ImportRecord, error) {
	var out []ImportRecord
	err := s.scan(s.db, []byte{pImport}, func(k, v []byte) error {
		var rec ImportRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("import record %q: %w", k[1:], err)
		}
		out = append(out, rec)
		return nil
	})
	return out, err
}

// scan calls fn for every key with prefix p, in order.
func (s *Store) scan(r pebble.Reader, p []byte, fn func(k, v []byte) error) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// Actor returns an actor by id.
func (s *Store) Actor(id string) (Actor, bool, error) {
	v, ok, err := s.get(s.db, actorKey(id))
	if err != nil || !ok {
		return Actor{}, ok, err
	}
	var a Actor
	if err := json.Unmarshal(v, &a); err != nil {
		return a, false, fmt.Errorf("actor %s: %w", id, err)
	}
	return a, true, nil
}

// Tags returns subject's tags: those that hold now, or with history every
// tag it ever had, ordered by source and validity.
func (s *Store) Tags(subject Subject, history bool) ([]Tag, error) {
	var out []Tag
	err := s.scan(s.db, subjectPrefix(subject), func(k, v []byte) error {
		var t Tag
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("tag %q: %w", k, err)
		}
		if history || t.Listed(time.Time{}) {
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

// SubjectsOf returns the subjects whose address is addr (in its canonical
// form), on any chain.
func (s *Store) SubjectsOf(addr string) ([]Subject, error) {
	var out []Subject
	p := rawPrefix(addr)
	err := s.scan(s.db, p, func(k, _ []byte) error {
		out = append(out, Subject(k[len(p):]))
		return nil
	})
	return out, err
}

// EachTag calls fn for every stored tag (with history), in subject order:
// for building the in-memory index and for exports.
func (s *Store) EachTag(fn func(Tag) error) error {
	return s.scan(s.db, []byte{pTag}, func(k, v []byte) error {
		var t Tag
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("tag %q: %w", k, err)
		}
		return fn(t)
	})
}

// SourceTags returns every tag a source holds (with history), through the
// source index rather than a scan of all tags.
func (s *Store) SourceTags(source string) ([]Tag, error) {
	var out []Tag
	err := s.scan(s.db, sourcePrefix(source), func(k, _ []byte) error {
		src, subject, label, from, ok := splitSourceKey(k)
		if !ok {
			return fmt.Errorf("source index key %q: malformed", k)
		}
		v, found, err := s.get(s.db, tagKey(subject, src, label, from))
		if err != nil || !found {
			return fmt.Errorf("tag of %s under %s: missing (%v)", subject, src, err)
		}
		var t Tag
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("tag of %s: %w", subject, err)
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

// EachActor calls fn for every stored actor, in id order.
func (s *Store) EachActor(fn func(Actor) error) error {
	return s.scan(s.db, []byte{pActor}, func(k, v []byte) error {
		var a Actor
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("actor %q: %w", k[1:], err)
		}
		return fn(a)
	})
}
