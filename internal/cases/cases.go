// Package cases keeps investigation cases: what an analyst saved from the
// workspace's canvas (nodes with positions, flows, trace overlay, notes,
// annotations), one JSON file per case under a directory, each written
// atomically (temporary file, fsync, rename, fsync of the directory), so a
// process killed at any instant leaves every case either as it was or as
// it was saved, never torn. Server deployments will keep cases in
// PostgreSQL (ARCHITECTURE.md); the Store's methods are the interface
// such a backend would implement.
package cases

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Version is the case format version this package writes and reads.
const Version = 1

// Limits of one case, so that an imported file cannot take the server.
const (
	MaxBytes       = 8 << 20
	MaxNodes       = 20000
	MaxEdges       = 100000
	MaxAnnotations = 1000
	MaxExits       = 10000
	maxText        = 10000 // notes, annotation text
	maxName        = 200
	maxID          = 300 // node ids: CAIP-10 accounts, tx ids, entity keys
)

// Case is a saved canvas.
type Case struct {
	Version     int          `json:"version"`
	ID          string       `json:"id,omitempty"` // assigned by the store
	Name        string       `json:"name"`
	Created     string       `json:"created,omitempty"` // RFC 3339, by the store
	Updated     string       `json:"updated,omitempty"` // RFC 3339, by the store
	Notes       string       `json:"notes"`
	Nodes       []Node       `json:"nodes"`
	Edges       []Edge       `json:"edges"`
	Annotations []Annotation `json:"annotations"`
	Exits       []Exit       `json:"exits"` // the last trace's exits, as shown
	View        View         `json:"view"`
}

// Node is one node of the canvas: an address (CAIP-10), a transaction or
// an entity that addresses were collapsed into (Members).
type Node struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"` // address, entity, transaction
	Label    string   `json:"label"`
	Category string   `json:"category"`
	X        float64  `json:"x"`
	Y        float64  `json:"y"`
	Note     string   `json:"note"`
	Members  []string `json:"members,omitempty"` // an entity's collapsed addresses
	Tainted  string   `json:"tainted,omitempty"` // trace overlay: amount held or received
	Exit     string   `json:"exit,omitempty"`    // "", "exit" or "freezable"
}

// Edge is an aggregated flow between two nodes in one asset.
type Edge struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Asset  string `json:"asset"`
	Amount string `json:"amount"` // base units, decimal
	Count  int    `json:"count"`
	Taint  string `json:"taint,omitempty"` // tainted amount the trace moved along it
}

// Annotation is a free note placed on the canvas.
type Annotation struct {
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	Text string  `json:"text"`
}

// Exit is one exit of the trace shown with the case.
type Exit struct {
	Account   string `json:"account"`
	Service   string `json:"service"`
	Category  string `json:"category"`
	Asset     string `json:"asset"`
	Amount    string `json:"amount"`
	Freezable bool   `json:"freezable"`
	// FreezableBy names who can freeze it (the venue, the token's issuer).
	FreezableBy []string `json:"freezable_by,omitempty"`
}

// View is the canvas's pan and zoom.
type View struct {
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	Zoom float64 `json:"zoom"`
}

// Summary is a case as listed.
type Summary struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Created string `json:"created"`
	Updated string `json:"updated"`
	Nodes   int    `json:"nodes"`
}

var (
	reAmount = regexp.MustCompile(`^[0-9]{1,80}$`)
	reID     = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

// ErrNotFound is returned for a case id the store does not hold.
var ErrNotFound = errors.New("no such case")

// ErrConflict is returned (as a *ConflictError) by UpdateIf when the case
// was saved again since the version the update was made on.
var ErrConflict = errors.New("case changed since")

// ConflictError says when the case was last saved.
type ConflictError struct {
	ID, Updated, Want string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("case %s was saved at %s, after the version this change was made on (%s)", e.ID, e.Updated, e.Want)
}

// Is makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Decode reads a case from outside (an import or a save), refusing
// anything but one JSON object of the documented shape within the
// limits. Every error names the field.
func Decode(b []byte) (*Case, error) {
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("case: %d bytes, the limit is %d", len(b), MaxBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Case
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("case: %w", err)
	}
	if dec.More() {
		return nil, errors.New("case: more than one JSON value")
	}
	if err := c.Check(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Check validates a case and fills the defaults (version, empty lists).
func (c *Case) Check() error {
	if c.Version == 0 {
		c.Version = Version
	}
	if c.Version != Version {
		return fmt.Errorf("version %d: this chainhound reads version %d", c.Version, Version)
	}
	if err := text("name", c.Name, maxName); err != nil {
		return err
	}
	if strings.TrimSpace(c.Name) == "" {
		return errors.New("name: empty")
	}
	if err := text("notes", c.Notes, maxText); err != nil {
		return err
	}
	if len(c.Nodes) > MaxNodes || len(c.Edges) > MaxEdges || len(c.Annotations) > MaxAnnotations || len(c.Exits) > MaxExits {
		return fmt.Errorf("case: %d nodes, %d edges, %d annotations, %d exits; the limits are %d, %d, %d, %d",
			len(c.Nodes), len(c.Edges), len(c.Annotations), len(c.Exits), MaxNodes, MaxEdges, MaxAnnotations, MaxExits)
	}
	ids := make(map[string]bool, len(c.Nodes))
	for i := range c.Nodes {
		if err := c.Nodes[i].check(); err != nil {
			return fmt.Errorf("nodes[%d]: %w", i, err)
		}
		if ids[c.Nodes[i].ID] {
			return fmt.Errorf("nodes[%d]: id %q appears twice", i, c.Nodes[i].ID)
		}
		ids[c.Nodes[i].ID] = true
	}
	for i, e := range c.Edges {
		if !ids[e.From] || !ids[e.To] {
			return fmt.Errorf("edges[%d]: from %q and to %q must be nodes of the case", i, e.From, e.To)
		}
		if err := text("asset", e.Asset, maxID); err != nil {
			return fmt.Errorf("edges[%d]: %w", i, err)
		}
		if !reAmount.MatchString(e.Amount) || e.Taint != "" && !reAmount.MatchString(e.Taint) {
			return fmt.Errorf("edges[%d]: amount %q, taint %q: want whole numbers of base units", i, e.Amount, e.Taint)
		}
		if e.Count < 0 {
			return fmt.Errorf("edges[%d]: count %d", i, e.Count)
		}
	}
	for i, a := range c.Annotations {
		if !finite(a.X, a.Y) {
			return fmt.Errorf("annotations[%d]: position not finite", i)
		}
		if err := text("text", a.Text, maxText); err != nil {
			return fmt.Errorf("annotations[%d]: %w", i, err)
		}
	}
	for i, x := range c.Exits {
		for _, f := range []struct{ name, v string }{{"account", x.Account}, {"service", x.Service}, {"category", x.Category}, {"asset", x.Asset}} {
			if err := text(f.name, f.v, maxID); err != nil {
				return fmt.Errorf("exits[%d]: %w", i, err)
			}
		}
		if !reAmount.MatchString(x.Amount) {
			return fmt.Errorf("exits[%d]: amount %q: want a whole number of base units", i, x.Amount)
		}
		if len(x.FreezableBy) > 10 {
			return fmt.Errorf("exits[%d]: freezable_by: %d names, the limit is 10", i, len(x.FreezableBy))
		}
		for _, by := range x.FreezableBy {
			if err := text("freezable_by", by, maxName); err != nil {
				return fmt.Errorf("exits[%d]: %w", i, err)
			}
		}
	}
	if !finite(c.View.X, c.View.Y, c.View.Zoom) || c.View.Zoom < 0 || c.View.Zoom > 100 {
		return errors.New("view: want finite x and y and a zoom of 0 to 100")
	}
	if c.Nodes == nil {
		c.Nodes = []Node{}
	}
	if c.Edges == nil {
		c.Edges = []Edge{}
	}
	if c.Annotations == nil {
		c.Annotations = []Annotation{}
	}
	if c.Exits == nil {
		c.Exits = []Exit{}
	}
	return nil
}

func (n *Node) check() error {
	if n.ID == "" {
		return errors.New("id: empty")
	}
	if err := text("id", n.ID, maxID); err != nil {
		return err
	}
	switch n.Kind {
	case "address", "entity", "transaction":
	default:
		return fmt.Errorf("kind %q: want address, entity or transaction", n.Kind)
	}
	if !finite(n.X, n.Y) || math.Abs(n.X) > 1e9 || math.Abs(n.Y) > 1e9 {
		return errors.New("position: want finite x and y within ±1e9")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"label", n.Label, maxName}, {"category", n.Category, maxName}, {"note", n.Note, maxText}} {
		if err := text(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	if len(n.Members) > MaxNodes {
		return fmt.Errorf("members: %d, the limit is %d", len(n.Members), MaxNodes)
	}
	for i, m := range n.Members {
		if m == "" {
			return fmt.Errorf("members[%d]: empty", i)
		}
		if err := text("members", m, maxID); err != nil {
			return err
		}
	}
	if n.Tainted != "" && !reAmount.MatchString(n.Tainted) {
		return fmt.Errorf("tainted %q: want a whole number of base units", n.Tainted)
	}
	if n.Exit != "" && n.Exit != "exit" && n.Exit != "freezable" {
		return fmt.Errorf("exit %q: want \"\", exit or freezable", n.Exit)
	}
	return nil
}

func text(name, s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%s: %d bytes, the limit is %d", name, len(s), max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s: not UTF-8", name)
	}
	return nil
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// Store keeps cases as files in one directory, created on first write.
type Store struct {
	dir string
	mu  sync.Mutex // one writer at a time, so an id is never taken twice
	now func() time.Time
}

// Open returns the store of the cases under dir.
func Open(dir string) *Store { return &Store{dir: dir, now: time.Now} }

func (s *Store) path(id string) string { return filepath.Join(s.dir, id+".json") }

// List returns every case's summary, the most recently updated first.
// Files that are not cases (leftover temporaries, foreign files) are
// skipped.
func (s *Store) List() ([]Summary, error) {
	ents, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return []Summary{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	out := []Summary{}
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !reID.MatchString(id) {
			continue
		}
		c, err := s.Get(id)
		if err != nil {
			continue // unreadable: listed by nobody rather than failing the list
		}
		out = append(out, Summary{ID: c.ID, Name: c.Name, Created: c.Created, Updated: c.Updated, Nodes: len(c.Nodes)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Updated != out[j].Updated {
			return out[i].Updated > out[j].Updated
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Get reads one case.
func (s *Store) Get(id string) (*Case, error) {
	if !reID.MatchString(id) {
		return nil, ErrNotFound
	}
	b, err := os.ReadFile(s.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", id, err)
	}
	c, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", id, err)
	}
	c.ID = id
	return c, nil
}

// Create stores c as a new case with a fresh id (any id in c is ignored)
// and returns what it stored.
func (s *Store) Create(c *Case) (*Case, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	cc := *c
	cc.ID = hex.EncodeToString(raw[:])
	now := s.now().UTC().Format(time.RFC3339Nano)
	cc.Created, cc.Updated = now, now
	return &cc, s.write(&cc)
}

// Update replaces the case id with c, keeping its creation time.
func (s *Store) Update(id string, c *Case) (*Case, error) { return s.UpdateIf(id, c, "") }

// UpdateIf replaces the case id with c if it is still the version last
// saved at updated (its Updated; "" for whatever version), so that of two
// analysts who opened the same version, the second to save learns that
// the first did (a *ConflictError) instead of silently undoing their work.
// Every save gets a later Updated than the one before, so versions differ.
func (s *Store) UpdateIf(id string, c *Case, updated string) (*Case, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	if updated != "" && updated != old.Updated {
		return nil, &ConflictError{ID: id, Updated: old.Updated, Want: updated}
	}
	now := s.now().UTC()
	if last, err := time.Parse(time.RFC3339Nano, old.Updated); err == nil && !now.After(last) {
		now = last.Add(time.Nanosecond)
	}
	cc := *c
	cc.ID, cc.Created, cc.Updated = id, old.Created, now.Format(time.RFC3339Nano)
	return &cc, s.write(&cc)
}

// Duplicate stores a copy of case id under a new id and name.
func (s *Store) Duplicate(id, name string) (*Case, error) {
	c, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = "Copy of " + c.Name
		if len(name) > maxName {
			name = name[:maxName]
			for !utf8.ValidString(name) {
				name = name[:len(name)-1]
			}
		}
	}
	c.Name = name
	return s.Create(c)
}

// Delete removes case id.
func (s *Store) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.Get(id); err != nil {
		return err
	}
	if err := os.Remove(s.path(id)); err != nil {
		return fmt.Errorf("case %s: %w", id, err)
	}
	return syncDir(s.dir)
}

// write stores c atomically: a reader or a crash sees the old file or the
// new one, whole.
func (s *Store) write(c *Case) error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("cases: %w", err)
	}
	b, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.dir, ".case-*.tmp")
	if err != nil {
		return fmt.Errorf("cases: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename, a no-op
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("case %s: write: %w", c.ID, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("case %s: sync: %w", c.ID, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("case %s: %w", c.ID, err)
	}
	if err := os.Rename(tmp, s.path(c.ID)); err != nil {
		return fmt.Errorf("case %s: %w", c.ID, err)
	}
	return syncDir(s.dir)
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cases: sync %s: %w", dir, err)
	}
	return nil
}
