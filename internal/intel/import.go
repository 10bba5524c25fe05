package intel

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Import is everything one import brings: one source's tags and actors,
// from one file or folder.
type Import struct {
	// Source is the logical source ("ofac-sdn", "tagpack:<file>"...).
	Source string
	// List marks a list source (a sanctions list): its tags keep history,
	// and a newer list closes, with its own date, the validity of every tag
	// it no longer names. Other sources are replaced whole on re-import.
	List bool
	// Date is the list's or pack's own date; a list older than the source's
	// last import is refused.
	Date time.Time
	// Assets, when not nil, says the list covers only these assets (a
	// directory of per-asset lists): an open tag is closed only when all of
	// its assets are covered, and keeps the assets and the attribution the
	// list does not speak of. Nil: the list is whole.
	Assets []string
	Kind   string // format: sdn-xml, sdn-csv, sdn-lists, tagpack, actorpack, labels-etherscan...
	File   string
	SHA256 string
	Tags   []Tag
	Actors []Actor
}

// ImportResult counts what an import changed.
type ImportResult struct {
	Added, Updated, Unchanged int // tags
	Closed                    int // list tags whose validity the import closed (delisted)
	Removed                   int // tags of a re-imported source that it no longer has
	Actors                    int
}

// Apply stores an import in one atomic batch: either all of it lands or
// nothing does. Re-applying the same import changes nothing.
func (s *Store) Apply(imp Import) (ImportResult, error) {
	ib := s.Begin()
	defer ib.Close()
	res, err := ib.Add(imp)
	if err != nil {
		return res, err
	}
	return res, ib.Commit()
}

// ImportBatch gathers imports that land together or not at all (Apply uses
// one per import). Each source comes once per batch, so an import
// reads the committed store, never what the batch added before it: the
// batch need not be indexed, which keeps it a plain buffer.
type ImportBatch struct {
	s       *Store
	b       *pebble.Batch
	sources map[string]bool
	done    bool
}

// Begin starts an import batch; Close it, after Commit or to discard it.
func (s *Store) Begin() *ImportBatch {
	return &ImportBatch{s: s, b: s.db.NewBatch(), sources: map[string]bool{}}
}

// Close discards the batch unless it was committed.
func (ib *ImportBatch) Close() {
	if !ib.done {
		ib.b.Close()
		ib.done = true
	}
}

// Commit makes every import of the batch durable at once.
func (ib *ImportBatch) Commit() error {
	if ib.done {
		return fmt.Errorf("import batch already closed")
	}
	err := ib.b.Commit(pebble.Sync)
	ib.b.Close()
	ib.done = true
	if err != nil {
		return fmt.Errorf("commit imports: %w", err)
	}
	return nil
}

// Add puts one import into the batch. A source may come once per batch.
func (ib *ImportBatch) Add(imp Import) (ImportResult, error) {
	var res ImportResult
	// Lists are dated by day; validity intervals are kept at that grain.
	imp.Date = imp.Date.UTC().Truncate(24 * time.Hour)
	if err := CheckImport(&imp); err != nil {
		return res, err
	}
	if ib.sources[imp.Source] {
		return res, fmt.Errorf("%s: source %s comes twice in one import", imp.File, imp.Source)
	}
	ib.sources[imp.Source] = true
	s, b := ib.s, ib.b
	prev, had, err := s.lastImport(s.db, imp.Source)
	if err != nil {
		return res, err
	}
	if imp.List && had && imp.Date.Before(prev.Date) {
		return res, fmt.Errorf("%s: the list is dated %s, older than the last imported one (%s, %s): import lists in date order", imp.File, day(imp.Date), day(prev.Date), prev.File)
	}
	want := merge(&imp)
	if imp.List {
		err = s.applyList(b, &imp, want, &res)
	} else {
		err = s.applyReplace(b, &imp, want, &res)
	}
	if err != nil {
		return res, err
	}
	for _, a := range imp.Actors {
		if err := setJSON(b, actorKey(a.ID), a); err != nil {
			return res, err
		}
		res.Actors++
	}
	rec := ImportRecord{Source: imp.Source, Kind: imp.Kind, File: imp.File, SHA256: imp.SHA256, Date: imp.Date, At: time.Now().UTC(), Tags: len(want), Actors: len(imp.Actors)}
	if had {
		rec.Previous = prev.Previous
		if !prev.Date.Equal(imp.Date) {
			rec.Previous = append(rec.Previous, day(prev.Date))
		}
	}
	return res, setJSON(b, importKey(imp.Source), rec)
}

// CheckImport refuses what the key layout cannot hold (an empty subject, a
// NUL byte in a subject, label or source name), so that a caller storing
// several imports can check them all before storing any.
func CheckImport(imp *Import) error {
	if imp.Source == "" || strings.Contains(imp.Source, sep) {
		return fmt.Errorf("%s: bad source name %q", imp.File, imp.Source)
	}
	for i := range imp.Tags {
		t := &imp.Tags[i]
		if t.Subject == "" || strings.Contains(string(t.Subject), sep) || strings.Contains(t.Label, sep) {
			return fmt.Errorf("%s: tag %d (%q): empty subject or a NUL byte in subject or label", imp.File, i, t.Subject)
		}
	}
	for _, a := range imp.Actors {
		if a.ID == "" {
			return fmt.Errorf("%s: an actor without id", imp.File)
		}
	}
	return nil
}

// tagID is a tag's identity within its source: a list names a subject
// once (whatever label it gives it), other sources may give one subject
// several labels.
type tagID struct {
	subject Subject
	label   string
}

// merge returns the import's tags by identity. A list that names one
// subject twice (an address listed under two assets, or for two parties)
// keeps one tag holding the first label and actor, with every asset and
// actor in its fields.
func merge(imp *Import) map[tagID]Tag {
	out := make(map[tagID]Tag, len(imp.Tags))
	for _, t := range imp.Tags {
		t.Origin = imp.Source
		id := tagID{t.Subject, t.Label}
		if imp.List {
			id.label = ""
		}
		old, dup := out[id]
		if !dup {
			out[id] = t
			continue
		}
		old.Fields = maps.Clone(old.Fields)
		if old.Fields == nil {
			old.Fields = map[string]string{}
		}
		for k, v := range t.Fields {
			old.Fields[k] = joinDistinct(old.Fields[k], v)
		}
		if t.Actor != "" && t.Actor != old.Actor {
			old.Fields["actors"] = joinDistinct(joinDistinct(old.Fields["actors"], old.Actor), t.Actor)
		}
		out[id] = old
	}
	return out
}

// joinDistinct adds the ";"-separated items of v to those of list that it
// does not hold yet.
func joinDistinct(list, v string) string {
	items := splitList(list)
	for _, x := range splitList(v) {
		if !slices.Contains(items, x) {
			items = append(items, x)
		}
	}
	return strings.Join(items, ";")
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ";")
}

// applyReplace makes the source hold exactly the new tags.
func (s *Store) applyReplace(b *pebble.Batch, imp *Import, want map[tagID]Tag, res *ImportResult) error {
	seen := map[tagID]bool{}
	err := s.scan(s.db, sourcePrefix(imp.Source), func(k, _ []byte) error {
		_, subject, label, from, ok := splitSourceKey(k)
		if !ok {
			return fmt.Errorf("source index key %q: malformed", k)
		}
		id := tagID{subject, label}
		if _, keep := want[id]; keep {
			seen[id] = true
			return nil
		}
		res.Removed++
		return s.deleteTag(b, imp.Source, subject, label, from)
	})
	if err != nil {
		return err
	}
	for id, t := range want {
		if err := s.putTag(b, imp.Source, id.label, "", t, seen[id], res); err != nil {
			return err
		}
	}
	return nil
}

// applyList opens a tag for every subject the list names that has no open
// tag, refreshes the open ones, and closes, at the list's date, every open
// tag the list no longer names (only of its assets, when it names them).
// A refresh keeps what the older tag knew and the newer one does not say:
// per-asset lists name no party, and must not erase the XML's attribution.
func (s *Store) applyList(b *pebble.Batch, imp *Import, want map[tagID]Tag, res *ImportResult) error {
	type openTag struct {
		from string
		tag  Tag
	}
	open := map[tagID]openTag{}
	err := s.scan(s.db, sourcePrefix(imp.Source), func(k, _ []byte) error {
		_, subject, _, from, ok := splitSourceKey(k)
		if !ok {
			return fmt.Errorf("source index key %q: malformed", k)
		}
		v, found, err := s.get(s.db, tagKey(subject, imp.Source, "", from))
		if err != nil || !found {
			return fmt.Errorf("tag of %s under %s: missing (%v)", subject, imp.Source, err)
		}
		var t Tag
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("tag of %s: %w", subject, err)
		}
		if !t.ValidTo.IsZero() {
			return nil // history
		}
		id := tagID{subject: subject}
		if _, still := want[id]; still {
			open[id] = openTag{from, t}
			return nil
		}
		if imp.Assets != nil {
			assets := splitList(t.Fields["asset"])
			left := without(assets, imp.Assets)
			if len(left) == len(assets) {
				return nil // no asset this list speaks of
			}
			if len(left) > 0 { // still listed under assets this list does not speak of
				t.Fields = maps.Clone(t.Fields)
				t.Fields["asset"] = strings.Join(left, ";")
				res.Updated++
				return setJSON(b, tagKey(subject, imp.Source, "", from), t)
			}
		}
		t.ValidTo = imp.Date
		res.Closed++
		return setJSON(b, tagKey(subject, imp.Source, "", from), t)
	})
	if err != nil {
		return err
	}
	for id, t := range want {
		o, isOpen := open[id]
		from := o.from
		if isOpen {
			t = refresh(t, o.tag, imp.Assets)
			t.ValidFrom, _ = time.Parse(time.DateOnly, from)
		} else {
			t.ValidFrom = imp.Date
			from = day(imp.Date)
		}
		if err := s.putTag(b, imp.Source, "", from, t, isOpen, res); err != nil {
			return err
		}
	}
	return nil
}

// without returns the items of list that are not in drop.
func without(list, drop []string) []string {
	var out []string
	for _, x := range list {
		if !slices.Contains(drop, x) {
			out = append(out, x)
		}
	}
	return out
}

// refresh makes t, the newer list's tag for a subject, replace old, its
// open tag. A whole list (scope nil) says everything there is to say. A
// list of some assets (the per-asset lists) names no party and speaks of
// no other asset, so the party, label and programs it lacks, and the
// assets it does not cover, are kept from old.
func refresh(t, old Tag, scope []string) Tag {
	if scope == nil {
		return t
	}
	fields := maps.Clone(t.Fields)
	if fields == nil {
		fields = map[string]string{}
	}
	if t.Actor == "" && old.Actor != "" {
		t.Actor, t.Label = old.Actor, old.Label
		for _, k := range []string{"programs", "actors"} {
			if v, ok := old.Fields[k]; ok {
				fields[k] = v
			}
		}
	}
	fields["asset"] = joinDistinct(fields["asset"], strings.Join(without(splitList(old.Fields["asset"]), scope), ";"))
	t.Fields = fields
	return t
}

// putTag writes a tag with its index entries, counting it as added,
// updated or unchanged.
func (s *Store) putTag(b *pebble.Batch, source, label, from string, t Tag, existed bool, res *ImportResult) error {
	k := tagKey(t.Subject, source, label, from)
	v, err := json.Marshal(t)
	if err != nil {
		return err
	}
	switch old, ok, err := s.get(s.db, k); {
	case err != nil:
		return err
	case ok && string(old) == string(v):
		res.Unchanged++
		return nil
	case ok || existed:
		res.Updated++
	default:
		res.Added++
	}
	if err := b.Set(k, v, nil); err != nil {
		return err
	}
	if err := b.Set(sourceKey(source, t.Subject, label, from), nil, nil); err != nil {
		return err
	}
	if addr := AddressOf(t.Subject); addr != "" {
		return b.Set(rawKey(addr, t.Subject), nil, nil)
	}
	return nil
}

// deleteTag removes a tag and its source entry; the bare-address entry
// stays while other sources may still tag the subject (a stale one only
// costs a lookup that finds nothing).
func (s *Store) deleteTag(b *pebble.Batch, source string, subject Subject, label, from string) error {
	if err := b.Delete(tagKey(subject, source, label, from), nil); err != nil {
		return err
	}
	return b.Delete(sourceKey(source, subject, label, from), nil)
}

func setJSON(b *pebble.Batch, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Set(k, data, nil)
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }
