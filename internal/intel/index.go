package intel

import (
	"strings"
	"time"
)

// Index is an in-memory view of the store for the hot paths (screening,
// watch): subject -> tags that hold now, bare address -> subjects, actor ->
// tags. It is built once (Load) and read without locks; strings that
// repeat across tags (labels, categories, sources, actors) are held once.
type Index struct {
	subjects map[Subject][]uint32
	byAddr   map[string][]Subject
	byActor  map[string][]uint32
	tags     []itag
	strs     []string
	strID    map[string]uint32
}

// itag is a tag held in the index: ids into Index.strs, dates as days.
type itag struct {
	subject                                 Subject
	label, category, actor, conf, src, orig uint32
	from, to                                int32 // days since 1970-01-01; 0: open
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{subjects: map[Subject][]uint32{}, byAddr: map[string][]Subject{}, byActor: map[string][]uint32{}, strs: []string{""}, strID: map[string]uint32{"": 0}}
}

// Load builds an index of the tags that hold now.
func Load(s *Store) (*Index, error) {
	ix := NewIndex()
	err := s.EachTag(func(t Tag) error {
		if t.Listed(time.Time{}) {
			ix.Add(&t)
		}
		return nil
	})
	return ix, err
}

func (ix *Index) str(s string) uint32 {
	if id, ok := ix.strID[s]; ok {
		return id
	}
	id := uint32(len(ix.strs))
	ix.strs = append(ix.strs, s)
	ix.strID[s] = id
	return id
}

func days(t time.Time) int32 {
	if t.IsZero() {
		return 0
	}
	return int32(t.Unix() / 86400)
}

// Add puts one tag into the index.
func (ix *Index) Add(t *Tag) {
	id := uint32(len(ix.tags))
	ix.tags = append(ix.tags, itag{
		subject: t.Subject, label: ix.str(t.Label), category: ix.str(t.Category), actor: ix.str(t.Actor),
		conf: ix.str(string(t.Confidence)), src: ix.str(t.Source), orig: ix.str(t.Origin),
		from: days(t.ValidFrom), to: days(t.ValidTo),
	})
	if _, seen := ix.subjects[t.Subject]; !seen {
		if addr := AddressOf(t.Subject); addr != "" {
			ix.byAddr[addr] = append(ix.byAddr[addr], t.Subject)
		}
	}
	ix.subjects[t.Subject] = append(ix.subjects[t.Subject], id)
	for _, a := range t.Actors() {
		ix.byActor[a] = append(ix.byActor[a], id)
	}
}

// Len is the number of tags held.
func (ix *Index) Len() int { return len(ix.tags) }

// Has reports whether subject has any tag: the cheapest screening question.
func (ix *Index) Has(subject Subject) bool { return len(ix.subjects[subject]) > 0 }

// Tags returns subject's tags (their stored detail is in the Store).
func (ix *Index) Tags(subject Subject) []IndexedTag {
	ids := ix.subjects[subject]
	out := make([]IndexedTag, len(ids))
	for i, id := range ids {
		out[i] = ix.view(id)
	}
	return out
}

// Subjects returns the subjects of a bare address (any chain).
func (ix *Index) Subjects(addr string) []Subject { return ix.byAddr[addr] }

// Addresses returns the addresses with a tag on network caip2 (the address
// part of their account subjects), in no particular order.
func (ix *Index) Addresses(caip2 string) []string {
	var out []string
	for addr, subs := range ix.byAddr {
		for _, sub := range subs {
			if len(sub) == len(caip2)+1+len(addr) && strings.HasPrefix(string(sub), caip2+":") {
				out = append(out, addr)
				break
			}
		}
	}
	return out
}

// ByActor returns the tags that name an actor.
func (ix *Index) ByActor(actor string) []IndexedTag {
	ids := ix.byActor[actor]
	out := make([]IndexedTag, len(ids))
	for i, id := range ids {
		out[i] = ix.view(id)
	}
	return out
}

// IndexedTag is a tag as the index holds it.
type IndexedTag struct {
	Subject                                            Subject
	Label, Category, Actor, Confidence, Source, Origin string
	ValidFrom                                          time.Time
}

func (ix *Index) view(id uint32) IndexedTag {
	t := &ix.tags[id]
	v := IndexedTag{Subject: t.subject, Label: ix.strs[t.label], Category: ix.strs[t.category], Actor: ix.strs[t.actor],
		Confidence: ix.strs[t.conf], Source: ix.strs[t.src], Origin: ix.strs[t.orig]}
	if t.from != 0 {
		v.ValidFrom = time.Unix(int64(t.from)*86400, 0).UTC()
	}
	return v
}

// Search returns up to limit tags whose label, actor or category contains
// q (case-insensitive), at most one per subject, in the order they were
// added: the workspace's suggestions for a name typed in its search box.
func (ix *Index) Search(q string, limit int) []IndexedTag {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" || limit <= 0 {
		return nil
	}
	match := make([]bool, len(ix.strs))
	for i, s := range ix.strs {
		match[i] = s != "" && strings.Contains(strings.ToLower(s), q)
	}
	var out []IndexedTag
	seen := map[Subject]bool{}
	for id := range ix.tags {
		t := &ix.tags[id]
		if seen[t.subject] || !(match[t.label] || match[t.actor] || match[t.category]) {
			continue
		}
		seen[t.subject] = true
		out = append(out, ix.view(uint32(id)))
		if len(out) == limit {
			break
		}
	}
	return out
}
