package sdn

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// Feature types that describe a person rather than an address: screening
// names needs them to tell a namesake from the listed party.
const (
	birthdateFeature   = "Birthdate"
	nationalityFeature = "Nationality Country"
	citizenFeature     = "Citizenship Country"
)

type locationXML struct {
	ID      string `xml:"ID,attr"`
	Country []struct {
		ID string `xml:"CountryID,attr"`
	} `xml:"LocationCountry"`
	Parts []string `xml:"LocationPart>LocationPartValue>Value"`
}

// location keeps the country of one <Location>: the ISO 3166-1 alpha-2 code
// of its LocationCountry, else (a location given only as text, as many
// nationality locations are) the code of the country of that name, else the
// text. Addresses' other parts are not kept.
func (p *advParser) location(t xml.StartElement) error {
	var l locationXML
	if err := p.decode(&l, t); err != nil {
		return err
	}
	if len(l.Country) > 0 {
		c, err := p.ref("Country", l.Country[0].ID)
		if err != nil {
			return err
		}
		if iso := c.attr("ISO2"); iso != "" {
			p.locations[l.ID] = iso
			return nil
		}
		p.locations[l.ID] = c.Text
		return nil
	}
	if len(l.Parts) == 1 {
		text := strings.TrimSpace(l.Parts[0])
		for _, c := range p.refs["Country"] {
			if strings.EqualFold(c.Text, text) && c.attr("ISO2") != "" {
				text = c.attr("ISO2")
				break
			}
		}
		p.locations[l.ID] = text
	}
	return nil
}

type dateXML struct {
	Year, Month, Day int
}

func (d dateXML) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

type birthXML struct {
	Periods []struct {
		StartFrom dateXML `xml:"Start>From"`
		EndTo     dateXML `xml:"End>To"`
	} `xml:"FeatureVersion>DatePeriod"`
	Locations []struct {
		ID string `xml:"LocationID,attr"`
	} `xml:"FeatureVersion>VersionLocation"`
}

// personFeature records a birthdate or a nationality/citizenship country
// of an individual; ok is false for any other feature type.
func (p *advParser) personFeature(pt *party, typ string, t xml.StartElement) (ok bool, err error) {
	if typ != birthdateFeature && typ != nationalityFeature && typ != citizenFeature {
		return false, nil
	}
	var f birthXML
	if err := p.decode(&f, t); err != nil {
		return true, err
	}
	if typ == birthdateFeature {
		for _, d := range f.Periods {
			if s := birthdate(d.StartFrom, d.EndTo); s != "" {
				pt.birth = appendNew(pt.birth, s)
			}
		}
		return true, nil
	}
	for _, l := range f.Locations {
		if c := p.locations[l.ID]; c != "" {
			pt.countries = appendNew(pt.countries, c)
		}
	}
	return true, nil
}

// birthdate writes a date period as one day, a whole year, or a range.
func birthdate(from, to dateXML) string {
	switch {
	case from.Year == 0:
		return ""
	case from == to:
		return from.String()
	case from.Year == to.Year && from.Month == 1 && from.Day == 1 && to.Month == 12 && to.Day == 31:
		return fmt.Sprintf("%04d", from.Year)
	case to.Year == 0:
		return from.String()
	}
	return from.String() + "/" + to.String()
}

func appendNew(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}
