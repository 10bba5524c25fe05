package sdn

import (
	"slices"
	"testing"
)

// TestBirthdatesNationalities: the parser keeps individuals' dates of
// birth (a day, a year, a range) and nationality countries as ISO codes,
// as the list's own displays give them (values read off the XML).
func TestBirthdatesNationalities(t *testing.T) {
	l := braveXML(t)
	byName := map[string]*struct{ birth, nat []string }{}
	for _, a := range l.Actors {
		s := a.Sanctions
		byName[a.Label] = &struct{ birth, nat []string }{s.Birthdates, s.Nationalities}
	}
	for _, c := range []struct {
		name       string
		birth, nat []string
	}{
		{"Kim Jong Un", []string{"1984-01-08"}, nil},
		{"KIM Yong Chol", []string{"1947", "1946"}, nil},
		{"Kim Kyong Ok", []string{"1937-01-01/1938-12-31"}, nil},
		{"Ryu Jin", []string{"1965-08-07"}, []string{"KP"}},
		{"Sahin Huseyin", []string{"1957-04-01"}, []string{"TR"}},
	} {
		got := byName[c.name]
		if got == nil {
			t.Errorf("%s: not on the list", c.name)
			continue
		}
		if !slices.Equal(got.birth, c.birth) || !slices.Equal(got.nat, c.nat) {
			t.Errorf("%s: birthdates %q nationalities %q, want %q %q", c.name, got.birth, got.nat, c.birth, c.nat)
		}
	}
}
