package sdn

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// checkParse holds for every input: an error is an *Error naming the file,
// a success gives no partial nonsense (every tag has a subject, a label and
// an actor among the list's actors).
func checkParse(t *testing.T, l *List, err error, file string) {
	var e *Error
	if err != nil {
		if !errors.As(err, &e) || e.File != file {
			t.Fatalf("error %v (%T) does not name %s", err, err, file)
		}
		if l != nil {
			t.Fatal("list and error both returned")
		}
		return
	}
	ids := map[string]bool{}
	for _, a := range l.Actors {
		if a.Sanctions == nil || len(a.Sanctions.Names) == 0 {
			t.Fatalf("actor %+v", a)
		}
		ids[a.ID] = true
	}
	for _, tg := range l.Tags {
		if tg.Subject == "" || tg.Label == "" || !ids[tg.Actor] || strings.Count(string(tg.Subject), ":") < 2 {
			t.Fatalf("tag %+v", tg)
		}
	}
}

// Seeds are in testdata/fuzz/FuzzParseAdvanced.
func FuzzParseAdvanced(f *testing.F) {
	f.Add(mini(feature("345", "0x098b716b8aaf21512996dc57eb0615e2383e2f96")))
	f.Fuzz(func(t *testing.T, doc string) {
		for _, strict := range []bool{false, true} {
			l, err := ParseAdvanced(strings.NewReader(doc), "f.xml", Options{Strict: strict})
			checkParse(t, l, err, "f.xml")
		}
	})
}

// Seeds are in testdata/fuzz/FuzzParseLegacyCSV.
func FuzzParseLegacyCSV(f *testing.F) {
	f.Add(`27307,"LAZARUS GROUP",-0- ,"DPRK3",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"Digital Currency Address - ETH 0x098B716B8Aaf21512996dC57EB0615e2383E2f96; a.k.a. 'HIDDEN COBRA'."` + "\r\n\x1a")
	date := time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, doc string) {
		for _, strict := range []bool{false, true} {
			l, err := ParseLegacyCSV(strings.NewReader(doc), "f.csv", date, Options{Strict: strict})
			checkParse(t, l, err, "f.csv")
		}
	})
}
