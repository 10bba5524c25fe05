package sdn

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"github.com/chainhound/chainhound/internal/intel"
)

type aliasXML struct {
	Primary bool `xml:"Primary,attr"`
	Names   []struct {
		Parts []string `xml:"DocumentedNamePart>NamePartValue"`
	} `xml:"DocumentedName"`
}

type featureXML struct {
	Details []string `xml:"FeatureVersion>VersionDetail"`
}

// distinctParty reads one <DistinctParty>: its uid, type, names and
// digital-currency address features; other features are skipped unread.
func (p *advParser) distinctParty(start xml.StartElement) error {
	uid, err := strconv.Atoi(attr(start, "FixedRef"))
	if err != nil || uid <= 0 {
		return p.errAt(err, "DistinctParty FixedRef %q is not a positive number", attr(start, "FixedRef"))
	}
	pt := &party{uid: uid}
	var primary string
	var others []string
	for {
		tok, err := p.d.Token()
		if err != nil {
			return p.errAt(err, "read DistinctParty %d", uid)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "Profile":
				if err := p.profile(pt, t); err != nil {
					return err
				}
			case "Alias":
				var a aliasXML
				if err := p.decode(&a, t); err != nil {
					return err
				}
				names := aliasNames(a)
				if a.Primary && primary == "" && len(names) > 0 {
					primary = strings.Join(names, " ")
					if len(names) > 1 { // the same name in other scripts
						others = append(others, names...)
					}
				} else {
					others = append(others, names...)
				}
			case "Feature":
				if err := p.feature(pt, t); err != nil {
					return err
				}
			}
		case xml.EndElement:
			if t.Name.Local != "DistinctParty" {
				continue
			}
			if primary == "" || pt.profileID == "" {
				return p.errAt(nil, "DistinctParty %d has no primary name or no Profile", uid)
			}
			pt.names = dedupe(append([]string{primary}, others...))
			p.parties = append(p.parties, pt)
			return nil
		}
	}
}

func aliasNames(a aliasXML) []string {
	var out []string
	for _, n := range a.Names {
		if s := strings.Join(n.Parts, " "); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func dedupe(names []string) []string {
	seen := map[string]bool{}
	out := names[:0]
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// profile records the profile id and resolves the party type: the sub-type
// (Vessel, Aircraft) unless it is "Unknown", then the type (Individual,
// Entity).
func (p *advParser) profile(pt *party, t xml.StartElement) error {
	pt.profileID = attr(t, "ID")
	if pt.profileID == "" || p.profiles[pt.profileID] != nil {
		return p.errAt(nil, "Profile ID %q missing or repeated", pt.profileID)
	}
	p.profiles[pt.profileID] = pt
	sub, err := p.ref("PartySubType", attr(t, "PartySubTypeID"))
	if err != nil {
		return err
	}
	pt.partyType = sub.Text
	if sub.Text == "Unknown" {
		typ, err := p.ref("PartyType", sub.attr("PartyTypeID"))
		if err != nil {
			return err
		}
		pt.partyType = typ.Text
	}
	return nil
}

// feature keeps a "Digital Currency Address - <ASSET>" feature, a
// birthdate and a nationality or citizenship, and skips every other.
func (p *advParser) feature(pt *party, t xml.StartElement) error {
	ft, err := p.ref("FeatureType", attr(t, "FeatureTypeID"))
	if err != nil {
		return err
	}
	if ok, err := p.personFeature(pt, ft.Text, t); ok {
		return err
	}
	asset, ok := strings.CutPrefix(ft.Text, dcaPrefix)
	if !ok {
		return p.skip()
	}
	pos := p.errAt(nil, "")
	var f featureXML
	if err := p.decode(&f, t); err != nil {
		return err
	}
	asset = strings.TrimSpace(asset)
	n := 0
	for _, d := range f.Details {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		n++
		if err := p.address(pt, asset, d, pos); err != nil {
			return err
		}
	}
	if n == 0 {
		pos.Msg = fmt.Sprintf("party %d: %s%s feature without an address", pt.uid, dcaPrefix, asset)
		return pos
	}
	return nil
}

func (p *advParser) address(pt *party, asset, addr string, pos *Error) error {
	pl, err := Place(asset, addr)
	if err != nil {
		e := *pos
		e.Msg, e.Err = fmt.Sprintf("party %d", pt.uid), err
		return &e
	}
	if pl.Problem != "" {
		w := *pos
		w.Msg = fmt.Sprintf("party %d: %s", pt.uid, pl.Problem)
		if err := p.list.warn(p.opt, &w); err != nil {
			return err
		}
	}
	pt.addrs = append(pt.addrs, listedAddr{asset: asset, address: addr, place: pl})
	return nil
}

type entryXML struct {
	ProfileID string `xml:"ProfileID,attr"`
	Measures  []struct {
		TypeID  string `xml:"SanctionsTypeID,attr"`
		Comment string `xml:"Comment"`
	} `xml:"SanctionsMeasure"`
}

// sanctionsEntry collects the programs of one entry: the comments of its
// measures of sanctions type "Program".
func (p *advParser) sanctionsEntry(t xml.StartElement) error {
	var e entryXML
	if err := p.decode(&e, t); err != nil {
		return err
	}
	if p.profiles[e.ProfileID] == nil {
		return p.errAt(nil, "SanctionsEntry for Profile %q, which no DistinctParty has", e.ProfileID)
	}
	for _, m := range e.Measures {
		st, err := p.ref("SanctionsType", m.TypeID)
		if err != nil {
			return err
		}
		if prog := strings.TrimSpace(m.Comment); st.Text == "Program" && prog != "" {
			p.programs[e.ProfileID] = append(p.programs[e.ProfileID], prog)
		}
	}
	return nil
}

// finish resolves relationships and programs and builds actors and tags.
func (p *advParser) finish() error {
	if !p.dated {
		return &Error{File: p.name, Offset: -1, Msg: "no DateOfIssue: not an SDN Advanced XML list"}
	}
	for _, r := range p.relations {
		from, to := p.profiles[r.from], p.profiles[r.to]
		typ, ok := p.refs["RelationType"][r.typeID]
		if from == nil || to == nil || !ok {
			r.pos.Msg = fmt.Sprintf("ProfileRelationship %s -> %s of type %s: unknown profile or type", r.from, r.to, r.typeID)
			return r.pos
		}
		from.relations = append(from.relations, intel.Relation{Type: typ.Text, UID: to.uid, Name: to.names[0]})
	}
	for _, pt := range p.parties {
		// Programs keep the list's order (the derived CSV and OFAC's own
		// displays do), without repeats.
		progs := dedupe(p.programs[pt.profileID])
		a := newActor(pt.uid, pt.partyType, pt.names, progs, pt.relations)
		a.Sanctions.Birthdates, a.Sanctions.Nationalities = pt.birth, pt.countries
		p.list.Actors = append(p.list.Actors, a)
		joined := strings.Join(progs, ";")
		for _, ad := range pt.addrs {
			p.list.Tags = append(p.list.Tags, newTag(ad.place, ad.asset, ad.address, pt.names[0], a.ID, joined, p.list.Date))
		}
	}
	return nil
}

// newActor builds the actor of an SDN party.
func newActor(uid int, partyType string, names, programs []string, rel []intel.Relation) intel.Actor {
	return intel.Actor{
		ID:         ActorPrefix + strconv.Itoa(uid),
		Label:      names[0],
		Aliases:    names[1:],
		Categories: []string{Category},
		URI:        "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=" + strconv.Itoa(uid),
		Sanctions: &intel.Sanctioned{
			UID: uid, PartyType: partyType, Names: names, Programs: programs, Relations: rel,
		},
	}
}
