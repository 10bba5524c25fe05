package sdn

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"

	"github.com/chainhound/chainhound/internal/intel"
)

// dcaPrefix starts the name of every feature type that holds a digital
// currency address; the asset code follows it.
const dcaPrefix = "Digital Currency Address - "

// ParseAdvanced reads an SDN Advanced XML document (sdn_advanced.xml,
// already decompressed) from r; name is used in errors. It streams: memory
// holds the reference tables, every party's names and listed addresses,
// relationships and programs, never the document tree.
func ParseAdvanced(r io.Reader, name string, opt Options) (*List, error) {
	p := &advParser{
		d:         xml.NewDecoder(r),
		name:      name,
		opt:       opt,
		list:      &List{},
		refs:      map[string]map[string]refValue{},
		profiles:  map[string]*party{},
		programs:  map[string][]string{},
		locations: map[string]string{},
	}
	if err := p.run(); err != nil {
		return nil, err
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.list, nil
}

// refValue is one entry of a ReferenceValueSets table, e.g.
// <PartySubType ID="3" PartyTypeID="2">Unknown</PartySubType>.
type refValue struct {
	Attrs []xml.Attr `xml:",any,attr"`
	Text  string     `xml:",chardata"`
}

func (v refValue) attr(name string) string {
	for _, a := range v.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// party is what the parser keeps of a DistinctParty until the sanctions
// entries (which come last) give its programs.
type party struct {
	uid       int
	profileID string
	partyType string
	names     []string
	birth     []string
	countries []string
	addrs     []listedAddr
	relations []intel.Relation
}

type listedAddr struct {
	asset, address string
	place          Placement
}

type pendingRelation struct {
	from, to, typeID string
	pos              *Error
}

type advParser struct {
	d         *xml.Decoder
	name      string
	opt       Options
	list      *List
	refs      map[string]map[string]refValue // element name -> ID -> value
	parties   []*party
	profiles  map[string]*party // Profile ID -> party
	relations []pendingRelation
	programs  map[string][]string // Profile ID -> program names
	locations map[string]string   // Location ID -> country (ISO2 or the list's text)
	dated     bool
}

// errAt builds an error at the decoder's current position.
func (p *advParser) errAt(err error, format string, args ...any) *Error {
	line, col := p.d.InputPos()
	return &Error{File: p.name, Line: line, Column: col, Offset: p.d.InputOffset(),
		Msg: fmt.Sprintf(format, args...), Err: err}
}

// run walks the document's tokens, handing the elements it needs to their
// readers and descending through all others.
func (p *advParser) run() error {
	depth, rootDone := 0, false
	for {
		tok, err := p.d.Token()
		if err == io.EOF {
			if !rootDone {
				return p.errAt(io.ErrUnexpectedEOF, "document ends before its root element closes")
			}
			return nil
		}
		if err != nil {
			return p.errAt(err, "read XML")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if rootDone {
				return p.errAt(nil, "element <%s> after the root element", t.Name.Local)
			}
			if depth == 0 && t.Name.Local != "Sanctions" {
				return p.errAt(nil, "root element is <%s>, want <Sanctions> (SDN Advanced XML)", t.Name.Local)
			}
			handled, err := p.element(t)
			if err != nil {
				return err
			}
			if !handled {
				depth++
			}
		case xml.EndElement:
			depth--
			rootDone = depth == 0
		}
	}
}

// element reads the elements chainhound uses; handled reports whether it
// consumed the element up to its end.
func (p *advParser) element(t xml.StartElement) (handled bool, err error) {
	switch t.Name.Local {
	case "DateOfIssue":
		return true, p.dateOfIssue(t)
	case "ReferenceValueSets":
		return true, p.referenceValues()
	case "Location":
		return true, p.location(t)
	case "DistinctParty":
		return true, p.distinctParty(t)
	case "ProfileRelationship":
		p.relations = append(p.relations, pendingRelation{
			from: attr(t, "From-ProfileID"), to: attr(t, "To-ProfileID"),
			typeID: attr(t, "RelationTypeID"), pos: p.errAt(nil, ""),
		})
		return true, p.skip()
	case "SanctionsEntry":
		return true, p.sanctionsEntry(t)
	}
	return false, nil
}

func (p *advParser) skip() error {
	if err := p.d.Skip(); err != nil {
		return p.errAt(err, "read XML")
	}
	return nil
}

func (p *advParser) decode(v any, t xml.StartElement) error {
	if err := p.d.DecodeElement(v, &t); err != nil {
		return p.errAt(err, "read <%s>", t.Name.Local)
	}
	return nil
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (p *advParser) dateOfIssue(t xml.StartElement) error {
	var d struct{ Year, Month, Day int }
	if err := p.decode(&d, t); err != nil {
		return err
	}
	date := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
	if d.Year < 1990 || date.Month() != time.Month(d.Month) || date.Day() != d.Day {
		return p.errAt(nil, "DateOfIssue %04d-%02d-%02d is not a date", d.Year, d.Month, d.Day)
	}
	p.list.Date, p.dated = date, true
	return nil
}

// referenceValues keeps every table of ReferenceValueSets (a few thousand
// small entries) keyed by element name and ID.
func (p *advParser) referenceValues() error {
	depth := 0
	for {
		tok, err := p.d.Token()
		if err != nil {
			return p.errAt(err, "read ReferenceValueSets")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 { // a table such as <FeatureTypeValues>
				depth++
				continue
			}
			var v refValue
			if err := p.decode(&v, t); err != nil {
				return err
			}
			tab := p.refs[t.Name.Local]
			if tab == nil {
				tab = map[string]refValue{}
				p.refs[t.Name.Local] = tab
			}
			tab[v.attr("ID")] = v
		case xml.EndElement:
			if depth == 0 {
				return nil
			}
			depth--
		}
	}
}

// ref looks up a reference value and fails naming the table and ID.
func (p *advParser) ref(table, id string) (refValue, error) {
	v, ok := p.refs[table][id]
	if !ok {
		return v, p.errAt(nil, "%s ID %q is not defined in ReferenceValueSets", table, id)
	}
	return v, nil
}
