package sdn

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLazarusGroup(t *testing.T) {
	l := braveXML(t)
	var eth []string
	for _, tg := range l.Tags {
		if tg.Actor == "ofac-sdn:27307" && tg.Fields["asset"] == "ETH" {
			eth = append(eth, string(tg.Subject))
			if tg.Fields["programs"] != "DPRK3" || tg.Label != "Lazarus Group" || tg.Confidence != "authority_data" ||
				tg.Category != "sanction" || tg.Source != Source || !tg.SourceDate.Equal(time.Date(2025, 11, 19, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("tag %+v", tg)
			}
		}
	}
	if len(eth) != 8 || !slices.Contains(eth, "eip155:1:0x098b716b8aaf21512996dc57eb0615e2383e2f96") {
		t.Errorf("Lazarus ETH addresses %v, want 8 including 0x098B716B…", eth)
	}
	for _, a := range l.Actors {
		if a.ID != "ofac-sdn:27307" {
			continue
		}
		s := a.Sanctions
		if s.UID != 27307 || s.PartyType != "Entity" || !slices.Equal(s.Programs, []string{"DPRK3"}) ||
			s.Names[0] != "Lazarus Group" || !slices.Contains(s.Names, "Hidden Cobra") {
			t.Errorf("Lazarus actor %+v", s)
		}
		return
	}
	t.Error("no actor ofac-sdn:27307")
}

func TestRelationships(t *testing.T) {
	l := braveXML(t)
	for _, a := range l.Actors {
		if a.Sanctions.UID == 42496 { // Wu Huihui
			r := a.Sanctions.Relations
			if len(r) != 1 || r[0].Type != "Providing support to" || r[0].UID != 27307 || r[0].Name != "Lazarus Group" {
				t.Errorf("Wu Huihui relations %+v", r)
			}
			return
		}
	}
	t.Error("no party 42496")
}

// TestDPRKSubset reproduces sdn_digital_currency_addresses_2025-11-19_DPRK_subset.csv,
// reasons included, with DPRKQuery; the broader reading "in a DPRK program
// or related to a party that is" selects the same rows on this list.
func TestDPRKSubset(t *testing.T) {
	l := braveXML(t)
	want := readCSV(t, dataPath(t, "ofac-brave/sdn_digital_currency_addresses_2025-11-19_DPRK_subset.csv"))[1:]
	sortRows(want)
	for _, q := range []Query{DPRKQuery(), {ProgramPrefix: "DPRK", LinkedToProgram: true}} {
		why := map[string]string{}
		for _, m := range Select(l.Actors, q) {
			why[m.Actor.ID] = strings.Join(m.Reasons, "|")
		}
		var got [][]string
		for _, r := range addressRows(l) {
			if w, ok := why[ActorPrefix+r[0]]; ok {
				got = append(got, append(r, w))
			}
		}
		sortRows(got)
		if len(got) != 115 || len(want) != 115 {
			t.Errorf("%+v: %d rows, file has %d, want 115", q, len(got), len(want))
		}
		for i := range min(len(got), len(want)) {
			g, w := got[i], want[i]
			if !q.LinkedToProgram && !slices.Equal(g, w) || !slices.Equal(g[:6], w[:6]) {
				t.Errorf("%+v row %d:\n got  %q\n want %q", q, i, g, w)
			}
		}
	}
}

// TestPerAssetLists checks the XML against each sanctioned_addresses_<ASSET>.txt
// of the same date, and that those lists read as tags themselves.
func TestPerAssetLists(t *testing.T) {
	l := braveXML(t)
	dir := dataPath(t, "ofac-brave")
	fromXML := map[string][]string{}
	for _, tg := range l.Tags {
		fromXML[tg.Fields["asset"]] = append(fromXML[tg.Fields["asset"]], tg.Fields["address"])
	}
	lists, err := ReadAddressLists(dir, l.Date, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fromLists := map[string][]string{}
	for _, tg := range lists.Tags {
		fromLists[tg.Fields["asset"]] = append(fromLists[tg.Fields["asset"]], tg.Fields["address"])
		if tg.Actor != "" || tg.Source != Source || tg.Confidence != Confidence || !tg.SourceDate.Equal(l.Date) {
			t.Fatalf("list tag %+v", tg)
		}
	}
	if len(fromLists) != 19 {
		t.Errorf("%d assets in the lists, want 19", len(fromLists))
	}
	for asset, addrs := range fromXML {
		slices.Sort(addrs)
		addrs = slices.Compact(addrs)
		if !slices.Equal(addrs, fromLists[asset]) {
			t.Errorf("%s: XML has %d distinct addresses, sanctioned_addresses_%s.txt %d", asset, len(addrs), asset, len(fromLists[asset]))
		}
	}
	t.Logf("%d list tags, %d warnings", len(lists.Tags), len(lists.Warnings))
	if n := len(lists.Tags); n != 758 {
		t.Errorf("%d tags from the per-asset lists, want 758", n)
	}
}
