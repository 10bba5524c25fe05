package tagpack

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/intel"
)

// TagPack is one parsed TagPack file. Its header holds the pack's own
// fields (title, creator...) and defaults for every tag field.
type TagPack struct{ Pack }

// Meta is a pack's descriptive header: what Encode writes above the list.
type Meta struct {
	Title, Creator, Description string
	Lastmod                     time.Time // ActorPacks only: default lastmod of the actors
}

// Decode parses a TagPack document. file names it in errors; include
// resolves "!include" (nil refuses includes). It does not validate.
func Decode(data []byte, file string, include Includer) (*TagPack, error) {
	p, err := decodePack(data, file, "tags", include)
	if err != nil {
		return nil, err
	}
	return &TagPack{*p}, nil
}

// ReadFile reads and parses a TagPack file found by Files.
func ReadFile(f File) (*TagPack, error) {
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, fmt.Errorf("read tagpack: %w", err)
	}
	return Decode(data, f.Path, DirIncluder(f.HeaderDir))
}

// Meta returns the pack's title, creator and description.
func (p *Pack) Meta() Meta {
	m := Meta{Title: p.Header["title"].Str, Creator: p.Header["creator"].Str, Description: p.Header["description"].Str}
	if v, ok := p.Header["lastmod"]; ok {
		m.Lastmod, _ = v.timeOf()
	}
	return m
}

// get returns a tag field, falling back to the header's default.
func (p *Pack) get(e Entry, name string) (Value, bool) {
	if v, ok := e.Fields[name]; ok {
		return v, true
	}
	v, ok := p.Header[name]
	return v, ok
}

func (p *Pack) str(e Entry, name string) string {
	v, _ := p.get(e, name)
	return v.Str
}

// tagSubject is the address or transaction hash a tag is about, as
// written, for messages.
func tagSubject(e Entry) string {
	if v, ok := e.Fields["address"]; ok {
		return "address " + v.Str
	}
	if v, ok := e.Fields["tx_hash"]; ok {
		return "tx_hash " + v.Str
	}
	return ""
}

// Validate checks the pack against the TagPack schema as the GraphSense
// tool does: header and tag fields known, mandatory ones present (in the
// tag or as a header default), types, and taxonomy ids for confidence,
// category, abuse, concepts and tag_type. Each tag must name exactly one
// subject, an address or a tx_hash. The first violation is returned as an
// *Error naming file, tag and field.
func (c *Checker) Validate(tp *TagPack) error {
	if err := c.validatePack(&tp.Pack, c.tags, tagSubject); err != nil {
		return err
	}
	for _, e := range tp.Entries {
		_, a := e.Fields["address"]
		_, t := e.Fields["tx_hash"]
		if a == t {
			msg := "a tag needs an address or a tx_hash"
			if a {
				msg = "a tag has either an address or a tx_hash, not both"
			}
			return &Error{Problem{File: tp.File, Entry: "tag", Index: e.Index, Subject: tagSubject(e), Line: e.Line, Field: "address", Msg: msg}}
		}
	}
	return nil
}

// Convert turns a validated pack's tags into the model. A tag whose
// address or transaction hash is not valid for its chain is left out and
// reported in the returned Rejected error, with every other such tag, so
// the caller chooses: refuse the pack (all or nothing) or import the valid
// tags and show the rejects. Warnings cover EIP-55 checksum mismatches,
// trimmed whitespace, a defaulted confidence and duplicate tags, which
// are dropped as the TagPack tool does (same subject, currency, network,
// label and source, ignoring case).
func (c *Checker) Convert(tp *TagPack) ([]intel.Tag, Warnings, error) {
	var warn Warnings
	var rejected Rejected
	if _, ok := tp.Header["confidence"]; !ok {
		warn = append(warn, Problem{File: tp.File, Field: "confidence", Msg: "some tags have no confidence: they get " + DefaultConfidence})
	}
	tags := make([]intel.Tag, 0, len(tp.Entries))
	seen := make(map[string]bool, len(tp.Entries))
	for _, e := range tp.Entries {
		t, key, w, err := c.convertTag(tp, e)
		warn = append(warn, w...)
		if err != nil {
			rejected = append(rejected, err.Problem)
			continue
		}
		if seen[key] {
			warn = append(warn, Problem{File: tp.File, Entry: "tag", Index: e.Index, Subject: tagSubject(e), Line: e.Line, Msg: "duplicate tag dropped"})
			continue
		}
		seen[key] = true
		tags = append(tags, t)
	}
	if rejected != nil {
		return tags, warn, rejected
	}
	return tags, warn, nil
}

// Rejected lists the tags of a pack that could not be converted, each
// with its position and reason.
type Rejected []Problem

func (r Rejected) Error() string {
	if len(r) == 1 {
		return r[0].String()
	}
	return fmt.Sprintf("%s (and %d more invalid tags)", r[0], len(r)-1)
}

// convertTag builds one intel.Tag; key identifies duplicates.
func (c *Checker) convertTag(tp *TagPack, e Entry) (t intel.Tag, key string, warn Warnings, err *Error) {
	problem := func(field, format string, args ...any) Problem {
		return Problem{File: tp.File, Entry: "tag", Index: e.Index, Subject: tagSubject(e), Line: e.Line, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	subj, fields, w, err := c.subject(tp, e, problem)
	warn = append(warn, w...)
	if err != nil {
		return t, "", warn, err
	}
	t = intel.Tag{
		Subject: subj, Label: tp.str(e, "label"), Category: tp.str(e, "category"),
		Actor: tp.str(e, "actor"), Confidence: intel.Confidence(tp.str(e, "confidence")),
		Source: tp.str(e, "source"), Fields: fields,
	}
	if t.Confidence == "" {
		t.Confidence = DefaultConfidence
	}
	if v, ok := tp.get(e, "concepts"); ok {
		t.Concepts = v.List
	}
	if v, ok := tp.get(e, "lastmod"); ok {
		var terr error
		if t.SourceDate, terr = v.timeOf(); terr != nil {
			return t, "", warn, &Error{problem("lastmod", "%v", terr)}
		}
	}
	for _, name := range []string{"context", "abuse", "tag_type"} {
		if v, ok := tp.get(e, name); ok {
			t.Fields = setField(t.Fields, name, v.Str)
		}
	}
	if v, ok := tp.get(e, "is_cluster_definer"); ok {
		t.Fields = setField(t.Fields, "is_cluster_definer", fmt.Sprint(v.Bool))
	}
	key = strings.Join([]string{string(t.Subject), t.Fields["network"], t.Fields["currency"],
		strings.ToLower(t.Label), strings.ToLower(t.Source)}, "\x00")
	return t, key, warn, nil
}

func setField(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = make(map[string]string, 4)
	}
	m[k] = v
	return m
}

// subject makes the tag's CAIP-10 account or transaction subject. Fields
// keeps the network and currency codes as written when the chain's own
// code does not say them, so Encode can write them back.
func (c *Checker) subject(tp *TagPack, e Entry, problem func(string, string, ...any) Problem) (intel.Subject, map[string]string, Warnings, *Error) {
	var warn Warnings
	network, currency := tp.str(e, "network"), tp.str(e, "currency")
	if network == "" {
		network = currency
	}
	if currency == "" {
		currency = network
	}
	field, raw := "address", tp.str(e, "address")
	if raw == "" {
		field, raw = "tx_hash", tp.str(e, "tx_hash")
	}
	if trimmed := strings.TrimSpace(raw); trimmed != raw {
		warn = append(warn, problem(field, "surrounding whitespace trimmed from %q", raw))
		raw = trimmed
	}
	ch, err := c.chainFor(network, raw)
	if err != nil {
		return "", nil, warn, &Error{problem("currency", "%v", err)}
	}
	var fields map[string]string
	if network != ch.code {
		fields = setField(fields, "network", network)
	}
	if currency != network {
		fields = setField(fields, "currency", currency)
	}
	if field == "tx_hash" {
		h, err := ch.normalizeTx(raw)
		if err != nil {
			return "", nil, warn, &Error{problem(field, "%v on %s", err, network)}
		}
		return intel.Transaction(ch.caip2, h), fields, warn, nil
	}
	addr, w, err := ch.normalize(raw)
	if err != nil {
		return "", nil, warn, &Error{problem(field, "invalid %s address: %v", network, err)}
	}
	if w != "" {
		warn = append(warn, problem(field, "%s", w))
	}
	return intel.Account(ch.caip2, addr), fields, warn, nil
}

// chainFor finds the chain of a network code (and, for multi-chain
// tokens, of the address).
func (c *Checker) chainFor(network, addr string) (chain, error) {
	ch, ok := c.chains[strings.ToUpper(network)]
	switch {
	case !ok:
		return fallbackChain(network)
	case ch.kind == addrToken:
		return tokenChain(c.chains, strings.ToUpper(network), addr)
	}
	return ch, nil
}

// Result is one TagPack file read, validated and converted.
type Result struct {
	File     string
	Meta     Meta
	Tags     []intel.Tag
	Warnings Warnings
	// Rejected lists the tags left out because their subject is invalid
	// (only with SkipInvalidTags; otherwise they fail the import).
	Rejected Rejected
}

// Policy says what ImportFile does with tags whose address is invalid.
type Policy int

const (
	// AllOrNothing refuses a pack with any invalid tag.
	AllOrNothing Policy = iota
	// SkipInvalidTags imports the valid tags and reports the others.
	SkipInvalidTags
)

// ImportFile reads, validates and converts one TagPack file: the three
// steps an importer runs for each file Files finds. A pack that breaks the
// schema is always refused.
func (c *Checker) ImportFile(f File, policy Policy) (*Result, error) {
	tp, err := ReadFile(f)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(tp); err != nil {
		return nil, err
	}
	tags, warn, err := c.Convert(tp)
	warn = append(warn, c.newConceptWarnings(f.Path, tags)...)
	r := &Result{File: f.Path, Meta: tp.Meta(), Tags: tags, Warnings: warn}
	if err != nil {
		rej, ok := err.(Rejected)
		if !ok || policy == AllOrNothing {
			return nil, err
		}
		r.Rejected = rej
	}
	return r, nil
}
