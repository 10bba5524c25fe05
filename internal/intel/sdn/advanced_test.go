package sdn

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/intel"
)

// sharedData is ../shared/data seen from this package's directory.
const sharedData = "../../../../shared/data"

// dataPath returns a file of ../shared/data, skipping the test when the
// folder is absent (a fresh clone without the shared data).
func dataPath(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(sharedData, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data %s absent (%v): this test reads ../shared/data in place", p, err)
	}
	return p
}

// The full XML takes seconds to parse; the tests share one parse.
var (
	braveOnce sync.Once
	braveList *List
	braveErr  error
)

func braveXML(t *testing.T) *List {
	t.Helper()
	path := dataPath(t, "ofac-brave/sdn_advanced.xml.bz2")
	braveOnce.Do(func() { braveList, braveErr = ReadFile(path, time.Time{}, Options{}) })
	if braveErr != nil {
		t.Fatal(braveErr)
	}
	return braveList
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// addressRows flattens a list into the derived CSV's columns: sdn_uid,
// primary_name, party_type, programs, asset, address.
func addressRows(l *List) [][]string {
	actors := map[string]*intel.Actor{}
	for i := range l.Actors {
		actors[l.Actors[i].ID] = &l.Actors[i]
	}
	var rows [][]string
	for _, tg := range l.Tags {
		a := actors[tg.Actor]
		rows = append(rows, []string{strconv.Itoa(a.Sanctions.UID), tg.Label, a.Sanctions.PartyType,
			tg.Fields["programs"], tg.Fields["asset"], tg.Fields["address"]})
	}
	return rows
}

func sortRows(rows [][]string) {
	slices.SortFunc(rows, func(a, b []string) int { return strings.Compare(strings.Join(a, "\x00"), strings.Join(b, "\x00")) })
}

func TestAdvancedMatchesDerivedCSV(t *testing.T) {
	l := braveXML(t)
	want := readCSV(t, dataPath(t, "ofac-brave/sdn_digital_currency_addresses_2025-11-19.csv"))
	if h := strings.Join(want[0], ","); h != "sdn_uid,primary_name,party_type,programs,asset,address" {
		t.Fatalf("header %s", h)
	}
	want = want[1:]
	got := addressRows(l)
	sortRows(want)
	sortRows(got)
	if len(got) != 761 || len(want) != 761 {
		t.Errorf("got %d rows, derived CSV has %d, want 761", len(got), len(want))
	}
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w []string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if !slices.Equal(g, w) {
			t.Errorf("row %d:\n got  %q\n want %q", i, g, w)
		}
	}
	if d := l.Date.Format(time.DateOnly); d != "2025-11-19" {
		t.Errorf("date %s", d)
	}
	t.Logf("%d parties, %d address tags, %d warnings", len(l.Actors), len(l.Tags), len(l.Warnings))
	for _, w := range l.Warnings {
		t.Logf("warning: %v", w)
	}
}

// TestEveryListedAddressHasItsForm checks the asset table on the real list:
// every address but the two OFAC filed wrongly has a form of its asset, and
// each asset lands on the chain the table names.
func TestEveryListedAddressHasItsForm(t *testing.T) {
	l := braveXML(t)
	chains := map[string]map[string]int{}
	for _, tg := range l.Tags {
		a := tg.Fields["asset"]
		if chains[a] == nil {
			chains[a] = map[string]int{}
		}
		s := string(tg.Subject)
		chains[a][s[:strings.LastIndexByte(s, ':')]]++
	}
	if len(l.Warnings) != 2 {
		t.Errorf("%d warnings, want 2 (XMR 64-hex of 29585, XBT T… of 45404): %v", len(l.Warnings), l.Warnings)
	}
	for a, m := range chains {
		t.Logf("%-4s %v", a, m)
	}
	if chains["USDT"]["eip155:1"] != 8 || chains["USDT"]["tron:728126428"] != 78 || chains["USDT"]["bip122:000000000019d6689c085ae165831e93"] != 7 {
		t.Errorf("USDT placement %v", chains["USDT"])
	}
}
