package sdn

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

var legacyDate = time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)

func legacyList(t *testing.T) *List {
	t.Helper()
	l, err := ReadFile(dataPath(t, "ofac-sdn-legacy-csv/sdn_2024-05-03.csv"), legacyDate, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLegacyCSV(t *testing.T) {
	l := legacyList(t)
	t.Logf("%d entries, %d address tags, %d warnings", len(l.Actors), len(l.Tags), len(l.Warnings))
	for _, w := range l.Warnings {
		t.Logf("warning: %v", w)
	}
	if len(l.Actors) != 14965 {
		t.Errorf("%d entries, want 14965", len(l.Actors))
	}
	var laz []string
	for _, tg := range l.Tags {
		if tg.Actor == "ofac-sdn:27307" {
			laz = append(laz, string(tg.Subject))
			if tg.Label != "LAZARUS GROUP" || tg.Fields["programs"] != "DPRK3" {
				t.Errorf("tag %+v", tg)
			}
		}
	}
	if len(laz) != 8 || !slices.Contains(laz, "eip155:1:0x098b716b8aaf21512996dc57eb0615e2383e2f96") {
		t.Errorf("Lazarus in the legacy CSV: %v", laz)
	}
	for _, a := range l.Actors {
		if a.Sanctions.UID == 27307 && !slices.Contains(a.Aliases, "HIDDEN COBRA") {
			t.Errorf("Lazarus aliases %v", a.Aliases)
		}
		if a.Sanctions.UID == 306 && (a.Sanctions.PartyType != "Entity" || a.Aliases[0] != "BNC") {
			t.Errorf("Banco Nacional de Cuba %+v", a)
		}
	}
}

// TestLegacyVersusXML compares the addresses of the legacy CSV of
// 2024-05-03 with those of the XML of 2025-11-19 and prints the
// differences per asset, sorted into their causes: parties listed after
// 2024-05-03, parties delisted before 2025-11-19, addresses added to or
// removed from a party on both lists, and addresses lost to the legacy
// CSV's 1000-character Remarks cap.
func TestLegacyVersusXML(t *testing.T) {
	old, cur := legacyList(t), braveXML(t)
	key := func(asset, addr string) string { return asset + " " + addr }
	type side struct {
		addrs   map[string]string // asset+address -> actor
		parties map[string]bool
	}
	index := func(l *List) side {
		s := side{map[string]string{}, map[string]bool{}}
		for _, a := range l.Actors {
			s.parties[a.ID] = true
		}
		for _, tg := range l.Tags {
			s.addrs[key(tg.Fields["asset"], tg.Fields["address"])] = tg.Actor
		}
		return s
	}
	o, c := index(old), index(cur)
	cutAddrs := map[string]bool{} // party ids whose Remarks were cut
	for _, a := range old.Actors {
		if a.Fields["remarks_cut"] != "" {
			cutAddrs[a.ID] = true
		}
	}
	counts := map[string]map[string]int{} // cause -> asset -> n
	add := func(cause, k string) {
		if counts[cause] == nil {
			counts[cause] = map[string]int{}
		}
		counts[cause][strings.Fields(k)[0]]++
	}
	for k, actor := range c.addrs {
		if _, ok := o.addrs[k]; ok {
			continue
		}
		switch {
		case !o.parties[actor]:
			add("only in XML: party listed after 2024-05-03", k)
		case cutAddrs[actor]:
			add("only in XML: party's legacy Remarks cut at 1000 characters (address in sdn_comments.csv or added later)", k)
		default:
			add("only in XML: address added to a party on both lists", k)
		}
	}
	for k, actor := range o.addrs {
		if _, ok := c.addrs[k]; ok {
			continue
		}
		if !c.parties[actor] {
			t.Logf("only in legacy: %s of %s, a party no longer listed", k, actor)
			add("only in legacy: party delisted by 2025-11-19", k)
		} else {
			add("only in legacy: address removed from a party on both lists", k)
		}
	}
	causes := make([]string, 0, len(counts))
	for c := range counts {
		causes = append(causes, c)
	}
	sort.Strings(causes)
	for _, cause := range causes {
		var parts []string
		total := 0
		for asset, n := range counts[cause] {
			parts = append(parts, fmt.Sprintf("%s %d", asset, n))
			total += n
		}
		sort.Strings(parts)
		t.Logf("%s: %d (%s)", cause, total, strings.Join(parts, ", "))
	}
	t.Logf("legacy 2024-05-03: %d distinct asset+address pairs; XML 2025-11-19: %d; in both: %d",
		len(o.addrs), len(c.addrs), len(o.addrs)-sum(counts, "only in legacy"))
}

func sum(counts map[string]map[string]int, prefix string) int {
	n := 0
	for cause, m := range counts {
		if strings.HasPrefix(cause, prefix) {
			for _, v := range m {
				n += v
			}
		}
	}
	return n
}
