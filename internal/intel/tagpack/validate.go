package tagpack

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/chainhound/chainhound/internal/intel"
)

// Checker validates and converts packs. It holds the schemas, taxonomies
// and currency table; make one with NewChecker and reuse it.
type Checker struct {
	// newConcepts takes concept ids the embedded taxonomy does not know as
	// written (see AcceptNewConcepts).
	newConcepts bool
	tax         Taxonomies
	tags        Schema
	actors      Schema
	chains      map[string]chain
	byCAIP2     map[string]chain
	levels      map[string]int
	ctxTypes    map[string]FieldType
}

// NewChecker returns a Checker with the taxonomies and rules embedded in
// this package.
func NewChecker() *Checker {
	t := currencyTable()
	return &Checker{
		tax: NewTaxonomies(), tags: TagPackSchema(), actors: ActorPackSchema(),
		chains: t, byCAIP2: chainCodes(t), levels: ConfidenceLevels(),
		ctxTypes: actorContextSchema(),
	}
}

// validatePack applies a schema's rules to the header and to every entry
// (with the header's defaults), stopping at the first violation.
func (c *Checker) validatePack(p *Pack, s Schema, subject func(Entry) string) error {
	fail := func(e Entry, isHeader bool, field string, line int, format string, args ...any) error {
		pr := Problem{File: p.File, Field: field, Line: line, Msg: fmt.Sprintf(format, args...)}
		if !isHeader {
			pr.Entry, pr.Index, pr.Subject = s.Entry, e.Index, subject(e)
		}
		return &Error{pr}
	}
	for _, name := range sortedKeys(s.Header) {
		if _, ok := p.Header[name]; s.Header[name].Mandatory && !ok && !(name == s.List && p.Entries != nil) {
			return fail(Entry{}, true, name, 0, "mandatory %s field missing", s.Kind)
		}
	}
	for _, name := range sortedKeys(p.Header) {
		v := p.Header[name]
		f, ok := s.Header[name]
		if !ok {
			if f, ok = s.Body[name]; !ok {
				return fail(Entry{}, true, name, v.Line, "field not allowed in a %s header", s.Kind)
			}
		}
		if msg := c.checkValue(f, v); msg != "" {
			return fail(Entry{}, true, name, v.Line, "%s", msg)
		}
	}
	if len(p.Entries) == 0 {
		return fail(Entry{}, true, s.List, p.Line, "no %ss: the list is empty", s.Entry)
	}
	var mandatory []string
	for _, name := range sortedKeys(s.Body) {
		if s.Body[name].Mandatory {
			mandatory = append(mandatory, name)
		}
	}
	for _, e := range p.Entries {
		for _, name := range sortedKeys(e.Fields) {
			v := e.Fields[name]
			f, ok := s.Body[name]
			if !ok {
				return fail(e, false, name, v.Line, "field not allowed in a %s", s.Entry)
			}
			if msg := c.checkValue(f, v); msg != "" {
				return fail(e, false, name, v.Line, "%s", msg)
			}
		}
		for _, name := range mandatory {
			if !has(p, e, name) && !optional(s, name, p, e) {
				return fail(e, false, name, e.Line, "mandatory %s field missing (in the %s and the header)", s.Entry, s.Entry)
			}
		}
	}
	return nil
}

// optional lists the schema's mandatory fields the TagPack tool fills
// itself: currency and network from each other, confidence with its
// lowest level (DefaultConfidence).
func optional(s Schema, name string, p *Pack, e Entry) bool {
	if s.Entry != "tag" {
		return false
	}
	switch name {
	case "currency":
		return has(p, e, "network")
	case "network":
		return has(p, e, "currency")
	case "confidence":
		return true
	}
	return false
}

func has(p *Pack, e Entry, name string) bool {
	if _, ok := e.Fields[name]; ok {
		return true
	}
	_, ok := p.Header[name]
	return ok
}

// AcceptNewConcepts makes c take concept ids its embedded taxonomy does not
// know as written, instead of refusing the pack: the community's packs move
// on with the taxonomy (usdt_blacklist.yaml uses "black_list", newer than
// the taxonomy embedded here), and a sanctions or freeze list must not be
// lost over a word. ImportFile reports each such id once per file as a
// warning. It returns c.
func (c *Checker) AcceptNewConcepts() *Checker {
	c.newConcepts = true
	return c
}

func (c *Checker) tolerated(tax Taxonomy) bool { return c.newConcepts && tax == TaxConcept }

// newConceptWarnings lists, once each, the concept ids of tags that the
// embedded taxonomy does not know.
func (c *Checker) newConceptWarnings(file string, tags []intel.Tag) Warnings {
	if !c.newConcepts {
		return nil
	}
	var out Warnings
	seen := map[string]bool{}
	for i, t := range tags {
		for _, id := range append([]string{t.Category}, t.Concepts...) {
			if id == "" || seen[id] || c.tax.Has(TaxConcept, id) {
				continue
			}
			seen[id] = true
			out = append(out, Problem{File: file, Entry: "tag", Index: i, Subject: string(t.Subject), Field: "category", Msg: fmt.Sprintf("%q is not a concept id of the embedded taxonomy: taken as written", id)})
		}
	}
	return out
}

// checkValue returns why v breaks rule f, or "".
func (c *Checker) checkValue(f Field, v Value) string {
	if v.Kind == KindNull {
		return "empty value (null)"
	}
	switch f.Type {
	case Text:
		if v.Kind != KindString {
			return fmt.Sprintf("must be text, not a %s", v.Kind)
		}
		if strings.TrimSpace(v.Str) == "" {
			return "empty text"
		}
		if f.Taxonomy != "" && !c.tax.Has(f.Taxonomy, v.Str) && !c.tolerated(f.Taxonomy) {
			return fmt.Sprintf("%q is not a known %s id", v.Str, f.Taxonomy)
		}
	case Boolean:
		if v.Kind != KindBool {
			return fmt.Sprintf("must be true or false, not a %s", v.Kind)
		}
	case Datetime:
		if _, err := v.timeOf(); err != nil {
			return fmt.Sprintf("must be a date: %v", err)
		}
	case List:
		return c.checkList(f, v)
	case JSONText:
		return c.checkJSON(v)
	}
	return ""
}

func (c *Checker) checkList(f Field, v Value) string {
	if v.Kind != KindList {
		return fmt.Sprintf("must be a list, not a %s", v.Kind)
	}
	if f.Taxonomy == "" && v.ListKinds == KindNull {
		return "" // the entry lists ("tags", "actors") are checked entry by entry
	}
	if v.ListKinds != KindNull {
		return fmt.Sprintf("list items must be text, found a %s", v.ListKinds)
	}
	for _, item := range v.List {
		if f.Taxonomy != "" && !c.tax.Has(f.Taxonomy, item) && !c.tolerated(f.Taxonomy) {
			return fmt.Sprintf("%q is not a known %s id", item, f.Taxonomy)
		}
	}
	return ""
}

// checkJSON checks an actor context: JSON text (or a YAML mapping, kept
// as JSON) holding an object whose known keys have their schema types.
func (c *Checker) checkJSON(v Value) string {
	if v.Kind != KindString && v.Kind != KindMap {
		return fmt.Sprintf("must be JSON text or a mapping, not a %s", v.Kind)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(v.Str), &obj); err != nil {
		return fmt.Sprintf("invalid JSON object: %v", err)
	}
	for _, k := range sortedKeys(obj) {
		t, known := c.ctxTypes[k]
		if !known {
			continue
		}
		switch x := obj[k].(type) {
		case string:
			if t != Text {
				return fmt.Sprintf("context key %s must be a list", k)
			}
		case []any:
			if t != List {
				return fmt.Sprintf("context key %s must be text", k)
			}
			for _, it := range x {
				if _, ok := it.(string); !ok {
					return fmt.Sprintf("context key %s: items must be text", k)
				}
			}
		default:
			return fmt.Sprintf("context key %s must be %s", k, t)
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
