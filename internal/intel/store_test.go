package intel

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "intel"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func listImport(d string, addrs ...string) Import {
	imp := Import{Source: "ofac-sdn", List: true, Date: date(d), Kind: "test", File: "list-" + d}
	for _, a := range addrs {
		imp.Tags = append(imp.Tags, Tag{Subject: Account("eip155:1", a), Label: "party of " + a, Confidence: "authority_data", Source: "OFAC"})
	}
	return imp
}

func mustApply(t *testing.T, s *Store, imp Import) ImportResult {
	t.Helper()
	res, err := s.Apply(imp)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// dump renders every tag with its validity, for comparing whole stores.
func dump(t *testing.T, s *Store) string {
	t.Helper()
	var b strings.Builder
	if err := s.EachTag(func(tag Tag) error {
		fmt.Fprintf(&b, "%s %s %q %s..%s\n", tag.Origin, tag.Subject, tag.Label, day(tag.ValidFrom), day(tag.ValidTo))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestListHistory: a newer list closes, at its date, what it no longer
// names; an address listed again gets a new interval beside the old one;
// re-importing a list changes nothing; an older list is refused.
func TestListHistory(t *testing.T) {
	s := openTest(t)
	if r := mustApply(t, s, listImport("2025-03-04", "0xa", "0xb", "0xc")); r.Added != 3 {
		t.Fatalf("first list: %+v", r)
	}
	r := mustApply(t, s, listImport("2025-11-19", "0xa", "0xd"))
	if r.Closed != 2 || r.Added != 1 || r.Unchanged != 1 {
		t.Fatalf("second list: %+v", r)
	}
	now, err := s.Tags(Account("eip155:1", "0xb"), false)
	if err != nil || len(now) != 0 {
		t.Fatalf("delisted 0xb still listed: %+v %v", now, err)
	}
	hist, _ := s.Tags(Account("eip155:1", "0xb"), true)
	if len(hist) != 1 || day(hist[0].ValidFrom) != "2025-03-04" || day(hist[0].ValidTo) != "2025-11-19" {
		t.Fatalf("0xb history: %+v", hist)
	}
	still, _ := s.Tags(Account("eip155:1", "0xa"), false)
	if len(still) != 1 || day(still[0].ValidFrom) != "2025-03-04" || !still[0].ValidTo.IsZero() {
		t.Fatalf("0xa listed on both lists: %+v", still)
	}
	before := dump(t, s)
	if r := mustApply(t, s, listImport("2025-11-19", "0xa", "0xd")); r.Unchanged != 2 || r.Added+r.Updated+r.Closed != 0 {
		t.Fatalf("re-import: %+v", r)
	}
	if dump(t, s) != before {
		t.Fatal("re-importing the same list changed the store")
	}
	if _, err := s.Apply(listImport("2024-05-03", "0xa")); err == nil || !strings.Contains(err.Error(), "older than the last imported") {
		t.Fatalf("older list: %v", err)
	}
	mustApply(t, s, listImport("2026-01-01", "0xa", "0xb", "0xd"))
	hist, _ = s.Tags(Account("eip155:1", "0xb"), true)
	if len(hist) != 2 || !hist[1].ValidTo.IsZero() || day(hist[1].ValidFrom) != "2026-01-01" {
		t.Fatalf("relisted 0xb: %+v", hist)
	}
	subs, err := s.SubjectsOf("0xb")
	if err != nil || !slices.Equal(subs, []Subject{"eip155:1:0xb"}) {
		t.Fatalf("bare address index: %v %v", subs, err)
	}
}

// TestReplaceSource: re-importing a pack replaces its tags; other sources
// are untouched.
func TestReplaceSource(t *testing.T) {
	s := openTest(t)
	pack := func(labels ...string) Import {
		imp := Import{Source: "tagpack:x.yaml", Kind: "tagpack", File: "x.yaml"}
		for _, l := range labels {
			imp.Tags = append(imp.Tags, Tag{Subject: Account("eip155:1", "0x1"), Label: l})
		}
		return imp
	}
	mustApply(t, s, listImport("2025-03-04", "0x1"))
	mustApply(t, s, pack("exchange", "hot wallet"))
	r := mustApply(t, s, pack("exchange", "deposit"))
	if r.Removed != 1 || r.Added != 1 || r.Unchanged != 1 {
		t.Fatalf("replace: %+v", r)
	}
	tags, _ := s.Tags(Account("eip155:1", "0x1"), false)
	var got []string
	for _, tag := range tags {
		got = append(got, tag.Origin+"/"+tag.Label)
	}
	want := []string{"ofac-sdn/party of 0x1", "tagpack:x.yaml/deposit", "tagpack:x.yaml/exchange"}
	if !slices.Equal(got, want) {
		t.Fatalf("tags %v, want %v", got, want)
	}
}

// TestFailedImportChangesNothing: an import refused half-way leaves the
// store as it was, also after reopening.
func TestFailedImportChangesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "intel")
	s, err := Open(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, s, listImport("2025-03-04", "0xa"))
	before := dump(t, s)
	bad := listImport("2025-11-19", "0xb", "0xc")
	bad.Tags[1].Subject = "eip155:1:0x\x00c"
	if _, err := s.Apply(bad); err == nil || !strings.Contains(err.Error(), "tag 1") {
		t.Fatalf("bad import: %v", err)
	}
	if rec, _, _ := s.LastImport("ofac-sdn"); day(rec.Date) != "2025-03-04" {
		t.Errorf("import record moved to %s", day(rec.Date))
	}
	s.Close()
	if s, err = Open(dir, true); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := dump(t, s); got != before {
		t.Fatalf("store changed:\n%s\nwant\n%s", got, before)
	}
}

// TestMergeDuplicateSubjects: a list that names one address twice (under
// two assets, for two parties) keeps one tag with both in its fields.
func TestMergeDuplicateSubjects(t *testing.T) {
	s := openTest(t)
	imp := listImport("2025-11-19")
	sub := Account("eip155:1", "0xe")
	imp.Tags = []Tag{
		{Subject: sub, Label: "A", Actor: "ofac-sdn:1", Fields: map[string]string{"asset": "ETH"}},
		{Subject: sub, Label: "A", Actor: "ofac-sdn:1", Fields: map[string]string{"asset": "USDT"}},
		{Subject: sub, Label: "B", Actor: "ofac-sdn:2", Fields: map[string]string{"asset": "ETH"}},
	}
	mustApply(t, s, imp)
	tags, _ := s.Tags(sub, false)
	if len(tags) != 1 || tags[0].Fields["asset"] != "ETH;USDT" || tags[0].Fields["actors"] != "ofac-sdn:1;ofac-sdn:2" {
		t.Fatalf("merged: %+v", tags)
	}
}

// TestListRefreshKeepsAttribution: per-asset lists (no party) imported
// after the XML (parties) must not erase who an address belongs to, and a
// directory of some assets' lists must not delist the other assets.
func TestListRefreshKeepsAttribution(t *testing.T) {
	s := openTest(t)
	xml := listImport("2025-11-19")
	xml.Tags = []Tag{
		{Subject: Account("eip155:1", "0xa"), Label: "Lazarus Group", Actor: "ofac-sdn:27307", Fields: map[string]string{"asset": "ETH", "programs": "DPRK3"}},
		{Subject: Account("bip122:x", "1abc"), Label: "Someone", Actor: "ofac-sdn:1", Fields: map[string]string{"asset": "XBT"}},
	}
	mustApply(t, s, xml)
	lists := listImport("2025-11-19")
	lists.Assets = []string{"ETH"}
	lists.Tags = []Tag{{Subject: Account("eip155:1", "0xa"), Label: "OFAC SDN listed address", Fields: map[string]string{"asset": "ETH"}}}
	if r := mustApply(t, s, lists); r.Closed != 0 {
		t.Fatalf("ETH lists closed %d tags of other assets", r.Closed)
	}
	got, _ := s.Tags(Account("eip155:1", "0xa"), false)
	if len(got) != 1 || got[0].Actor != "ofac-sdn:27307" || got[0].Label != "Lazarus Group" || got[0].Fields["programs"] != "DPRK3" {
		t.Fatalf("attribution after the lists: %+v", got)
	}
	if btc, _ := s.Tags(Account("bip122:x", "1abc"), false); len(btc) != 1 {
		t.Fatalf("XBT tag closed by ETH lists: %+v", btc)
	}
	// A later XML that drops the XBT address closes it.
	later := listImport("2026-01-01")
	later.Tags = xml.Tags[:1]
	if r := mustApply(t, s, later); r.Closed != 1 {
		t.Fatalf("later XML: %+v", r)
	}
}

// TestImportBatchAllOrNothing: imports added to one batch land together;
// one that fails discards all of them.
func TestImportBatchAllOrNothing(t *testing.T) {
	s := openTest(t)
	pack := func(name string, addrs ...string) Import {
		imp := Import{Source: "tagpack:" + name, Kind: "tagpack", File: name}
		for _, a := range addrs {
			imp.Tags = append(imp.Tags, Tag{Subject: Account("eip155:1", a), Label: name})
		}
		return imp
	}
	ib := s.Begin()
	if _, err := ib.Add(pack("a.yaml", "0x1", "0x2")); err != nil {
		t.Fatal(err)
	}
	bad := pack("b.yaml", "0x3")
	bad.Tags[0].Label = "bad\x00label"
	if _, err := ib.Add(bad); err == nil {
		t.Fatal("a NUL in a label was accepted")
	}
	ib.Close()
	if dump(t, s) != "" {
		t.Fatalf("a discarded batch left tags:\n%s", dump(t, s))
	}
	ib = s.Begin()
	for _, p := range []Import{pack("a.yaml", "0x1"), pack("b.yaml", "0x1", "0x3")} {
		if _, err := ib.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ib.Add(pack("a.yaml", "0x9")); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("one source twice in a batch: %v", err)
	}
	if err := ib.Commit(); err != nil {
		t.Fatal(err)
	}
	ib.Close()
	if tags, _ := s.Tags(Account("eip155:1", "0x1"), false); len(tags) != 2 {
		t.Fatalf("0x1 after the batch: %+v", tags)
	}
}

// TestSharedAddressActors: an address two parties share is found under
// both, and merged fields hold each value once.
func TestSharedAddressActors(t *testing.T) {
	s := openTest(t)
	imp := listImport("2025-11-19")
	sub := Account("bip122:x", "LeK")
	imp.Tags = []Tag{
		{Subject: sub, Label: "A", Actor: "ofac-sdn:30518", Fields: map[string]string{"programs": "CYBER2;ELECTION-EO13848"}},
		{Subject: sub, Label: "B", Actor: "ofac-sdn:30520", Fields: map[string]string{"programs": "CYBER2;ELECTION-EO13848"}},
	}
	mustApply(t, s, imp)
	ix, err := Load(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"ofac-sdn:30518", "ofac-sdn:30520"} {
		if got := ix.ByActor(a); len(got) != 1 || got[0].Subject != sub {
			t.Errorf("actor %s: %+v", a, got)
		}
	}
	tags, _ := s.Tags(sub, false)
	if tags[0].Fields["programs"] != "CYBER2;ELECTION-EO13848" {
		t.Errorf("programs %q", tags[0].Fields["programs"])
	}
}

// TestWholeListReplacesAttribution: a newer whole list (the XML) says who
// holds an address now; nothing of an older party survives.
func TestWholeListReplacesAttribution(t *testing.T) {
	s := openTest(t)
	sub := Account("eip155:1", "0xa")
	xml := func(d string, tags ...Tag) Import {
		imp := listImport(d)
		imp.Tags = tags
		return imp
	}
	mustApply(t, s, xml("2025-01-01",
		Tag{Subject: sub, Label: "A", Actor: "ofac-sdn:1", Fields: map[string]string{"asset": "ETH", "programs": "P1"}},
		Tag{Subject: sub, Label: "B", Actor: "ofac-sdn:2", Fields: map[string]string{"asset": "ETH", "programs": "P1"}}))
	mustApply(t, s, xml("2025-02-01", Tag{Subject: sub, Label: "C", Actor: "ofac-sdn:3", Fields: map[string]string{"asset": "ETH", "programs": "P3"}}))
	tags, _ := s.Tags(sub, false)
	if len(tags) != 1 || tags[0].Actor != "ofac-sdn:3" || tags[0].Fields["actors"] != "" || tags[0].Fields["programs"] != "P3" {
		t.Fatalf("after the newer XML: %+v", tags)
	}
	ix, _ := Load(s)
	if len(ix.ByActor("ofac-sdn:1")) != 0 || len(ix.ByActor("ofac-sdn:3")) != 1 {
		t.Fatalf("actor index: 1 -> %v, 3 -> %v", ix.ByActor("ofac-sdn:1"), ix.ByActor("ofac-sdn:3"))
	}
}

// TestPartialListsAndSharedAssets: an address listed under ETH and USDT
// stays listed while one of the two lists still names it, and is closed
// once neither does.
func TestPartialListsAndSharedAssets(t *testing.T) {
	s := openTest(t)
	sub := Account("eip155:1", "0xa")
	xml := listImport("2025-01-01")
	xml.Tags = []Tag{{Subject: sub, Label: "A", Actor: "ofac-sdn:1", Fields: map[string]string{"asset": "ETH;USDT"}}}
	mustApply(t, s, xml)
	lists := func(d string, assets []string, named bool) ImportResult {
		imp := listImport(d)
		imp.Assets = assets
		if named {
			imp.Tags = []Tag{{Subject: sub, Label: "OFAC SDN listed address", Fields: map[string]string{"asset": assets[0]}}}
		}
		return mustApply(t, s, imp)
	}
	if r := lists("2025-02-01", []string{"ETH"}, true); r.Closed != 0 {
		t.Fatalf("ETH list naming it: %+v", r)
	}
	tags, _ := s.Tags(sub, false)
	if len(tags) != 1 || tags[0].Fields["asset"] != "ETH;USDT" || tags[0].Actor != "ofac-sdn:1" {
		t.Fatalf("after the ETH list: %+v", tags)
	}
	if r := lists("2025-03-01", []string{"ETH"}, false); r.Closed != 0 {
		t.Fatalf("ETH list without it closed a USDT-listed address: %+v", r)
	}
	if tags, _ = s.Tags(sub, false); len(tags) != 1 || tags[0].Fields["asset"] != "USDT" {
		t.Fatalf("after the ETH list dropped it: %+v", tags)
	}
	if r := lists("2025-04-01", []string{"USDT"}, false); r.Closed != 1 {
		t.Fatalf("USDT list without it: %+v", r)
	}
}
