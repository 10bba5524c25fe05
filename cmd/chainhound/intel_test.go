package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/intel"
)

// sharedPath returns ../shared/data/<rel> or skips the test.
func sharedPath(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s absent: test skipped", p)
	}
	return p
}

func lookupJSON(t *testing.T, dir string, args ...string) []lookupOut {
	t.Helper()
	out := mustCLI(t, append([]string{"intel", "lookup", "--data", dir, "--output", "json"}, args...)...)
	var res []lookupOut
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return res
}

// TestIntelSDNHistory imports OFAC's per-asset lists of 2025-03-04, then the
// SDN Advanced XML of 2025-11-19: the Tornado Cash addresses delisted in
// between read as delisted with the newer list's date, the 134 added ones as
// listed from it, and a lookup of a Lazarus Group address names the group,
// the source and its date, program DPRK3 and confidence authority_data.
// Importing the XML again changes nothing; an older list is refused.
func TestIntelSDNHistory(t *testing.T) {
	snapshot := sharedPath(t, "ofac-brave/snapshot-2025-03-04")
	xml := sharedPath(t, "ofac-brave/sdn_advanced.xml.bz2")
	dir := t.TempDir()
	mustCLI(t, "intel", "import", "sdn-lists", snapshot, "--date", "2025-03-04", "--data", dir)
	mustCLI(t, "intel", "import", "sdn", xml, "--data", dir)

	st, err := intel.Open(intelDir(dir), true)
	if err != nil {
		t.Fatal(err)
	}
	added, closed := 0, 0
	var closedSubjects []string
	err = st.EachTag(func(tag intel.Tag) error {
		switch {
		case tag.Listed(time.Time{}) && tag.ValidFrom.Format(time.DateOnly) == "2025-11-19":
			added++
		case tag.ValidTo.Format(time.DateOnly) == "2025-11-19":
			closed++
			closedSubjects = append(closedSubjects, string(tag.Subject))
		}
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The lists count addresses per asset; the store counts subjects (one
	// address listed under ETH and USDT is one eip155:1 account).
	if added != 134 || closed != 90 {
		t.Errorf("%d subjects listed from 2025-11-19, %d delisted at it; want 134 and 90", added, closed)
	}

	// 37 of the 38 Tornado Cash contracts of GraphSense's tornado_cash pack
	// are among the delisted (Treasury lifted those sanctions in March 2025);
	// the 38th was not on the 2025-03-04 lists.
	tcPack := sharedPath(t, "graphsense-tagpacks/packs/tornado_cash.yaml")
	mustCLI(t, "intel", "import", "tagpack", tcPack, "--data", dir)
	st, err = intel.Open(intelDir(dir), true)
	if err != nil {
		t.Fatal(err)
	}
	tcDelisted := 0
	err = st.EachTag(func(tag intel.Tag) error {
		if tag.Origin != "tagpack:tornado_cash.yaml" {
			return nil
		}
		hist, err := st.Tags(tag.Subject, true)
		for _, h := range hist {
			if h.Origin == "ofac-sdn" && h.ValidTo.Format(time.DateOnly) == "2025-11-19" {
				tcDelisted++
			}
		}
		return err
	})
	st.Close()
	if err != nil || tcDelisted != 37 {
		t.Errorf("%d of the pack's Tornado Cash addresses delisted, want 37 (the 38th was never on the list) (%v)", tcDelisted, err)
	}

	// A Tornado Cash router, listed in 2022 and delisted in March 2025.
	tc := lookupJSON(t, dir, "--history", "0x8589427373D6D84E98730D7795D8f6f8731FDA16")[0]
	var sdnTag *tagOut
	for i := range tc.Tags {
		if tc.Tags[i].Origin == "ofac-sdn" {
			sdnTag = &tc.Tags[i]
		}
	}
	if sdnTag == nil || sdnTag.Status != "delisted" || sdnTag.ValidTo != "2025-11-19" || sdnTag.ValidFrom != "2025-03-04" {
		t.Errorf("Tornado Cash router: %+v", tc)
	}
	now := lookupJSON(t, dir, "0x8589427373D6D84E98730D7795D8f6f8731FDA16")[0]
	for _, tag := range now.Tags {
		if tag.Origin == "ofac-sdn" {
			t.Errorf("without --history a delisted SDN tag still shows: %+v", now)
		}
	}

	laz := lookupJSON(t, dir, "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", "eip155:1:0x098b716b8aaf21512996dc57eb0615e2383e2f96")
	for _, r := range laz {
		if r.Status != "listed" || len(r.Tags) != 1 {
			t.Fatalf("Lazarus address: %+v", r)
		}
		g := r.Tags[0]
		if g.ActorName != "Lazarus Group" || g.Actor != "ofac-sdn:27307" || strings.Join(g.Programs, ",") != "DPRK3" ||
			g.Confidence != "authority_data" || g.SourceDate != "2025-11-19" || !strings.Contains(g.Source, "OFAC") || g.Origin != "ofac-sdn" {
			t.Errorf("Lazarus address tag: %+v", g)
		}
	}
	table := mustCLI(t, "intel", "lookup", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", "--data", dir)
	if !containsAll(table, "LISTED", "Lazarus Group", "DPRK3", "authority_data", "2025-11-19") {
		t.Errorf("table:\n%s", table)
	}

	actor := mustCLI(t, "intel", "actor", "ofac-sdn:27307", "--data", dir)
	if !containsAll(actor, "Lazarus Group", "DPRK3", "addresses") {
		t.Errorf("actor:\n%s", actor)
	}

	again := mustCLI(t, "intel", "import", "sdn", xml, "--data", dir)
	if !strings.Contains(again, "0 added, 0 updated, 748 unchanged, 0 delisted") {
		t.Errorf("re-import: %s", again)
	}
	legacy := sharedPath(t, "ofac-sdn-legacy-csv/sdn_2024-05-03.csv")
	if _, errs, code := cli(t, "intel", "import", "sdn", legacy, "--data", dir); code != 1 || !strings.Contains(errs, "older than the last imported") {
		t.Errorf("older list: exit %d\n%s", code, errs)
	}
}

// TestIntelBadInput: broken files are refused with file and position, and
// the store is left as it was.
func TestIntelBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(t.TempDir(), "sdn.xml")
	os.WriteFile(bad, []byte("<?xml version=\"1.0\"?>\n<Sanctions><DateOfIssue><Year>2025</Year>\n<broken"), 0o644)
	if _, errs, code := cli(t, "intel", "import", "sdn", bad, "--data", dir); code != 1 || !containsAll(errs, "sdn.xml") {
		t.Errorf("broken XML: exit %d\n%s", code, errs)
	}
	if _, err := os.Stat(intelDir(dir)); !os.IsNotExist(err) {
		t.Errorf("a refused import created the store (%v)", err)
	}
	csv := filepath.Join(t.TempDir(), "labels.csv")
	os.WriteFile(csv, []byte("chain,address,label,category,confidence,source,date\neip155:1,0x12345,x,exchange,web_crawl,me,2025-01-01\n"), 0o644)
	if _, errs, code := cli(t, "intel", "import", "labels", "--format", "csv", csv, "--data", dir); code != 1 || !containsAll(errs, "labels.csv:2") {
		t.Errorf("bad address: exit %d\n%s", code, errs)
	}
	if _, errs, code := cli(t, "intel", "import", "labels", "--format", "bogus", csv, "--data", dir); code != 2 {
		t.Errorf("bad format: exit %d\n%s", code, errs)
	}
	if _, errs, code := cli(t, "intel", "lookup", "0xabc", "--data", dir); code != 1 || !strings.Contains(errs, "no intelligence store") {
		t.Errorf("lookup without a store: exit %d\n%s", code, errs)
	}
}

// intelDump renders every tag of a store.
func intelDump(t *testing.T, dir string) string {
	t.Helper()
	st, err := intel.Open(intelDir(dir), true)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var b strings.Builder
	if err := st.EachTag(func(tag intel.Tag) error {
		j, err := json.Marshal(tag)
		b.Write(j)
		b.WriteByte('\n')
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestIntelTagpackRoundTrip: real packs imported, exported and imported
// again into another store give the same tags.
func TestIntelTagpackRoundTrip(t *testing.T) {
	for _, name := range []string{"tornado_cash.yaml", "binance_hack.yaml", "exchange-wallets-huobi.yaml"} {
		pack := sharedPath(t, "graphsense-tagpacks/packs/"+name)
		first, second := t.TempDir(), t.TempDir()
		mustCLI(t, "intel", "import", "tagpack", pack, "--data", first)
		out := filepath.Join(t.TempDir(), name)
		mustCLI(t, "intel", "export", "tagpack", "--source", "tagpack:"+name, "--out", out, "--data", first)
		mustCLI(t, "intel", "import", "tagpack", out, "--data", second)
		a, b := intelDump(t, first), intelDump(t, second)
		if a != b || a == "" {
			t.Errorf("%s: tags after export and import differ:\n%.800s\nwant\n%.800s", name, b, a)
		}
	}
}

// TestIntelImportsKeepEachOther: per-asset lists imported after the XML
// keep the XML's attribution; a directory of one asset's list delists
// nothing of the others; packs of the same name in two folders are two
// sources; a directory with one bad pack changes nothing.
func TestIntelImportsKeepEachOther(t *testing.T) {
	xml := sharedPath(t, "ofac-brave/sdn_advanced.xml.bz2")
	lists := sharedPath(t, "ofac-brave")
	dir := t.TempDir()
	mustCLI(t, "intel", "import", "sdn", xml, "--data", dir)
	eth := t.TempDir()
	data, err := os.ReadFile(filepath.Join(lists, "sanctioned_addresses_ETH.txt"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(eth, "sanctioned_addresses_ETH.txt"), data, 0o644)
	out := mustCLI(t, "intel", "import", "sdn-lists", eth, "--date", "2025-11-20", "--data", dir)
	if !strings.Contains(out, " 0 delisted") {
		t.Errorf("one asset's list delisted others: %s", out)
	}
	mustCLI(t, "intel", "import", "sdn-lists", lists, "--date", "2025-11-21", "--data", dir)
	// An empty XMR list speaks of XMR only.
	xmr := t.TempDir()
	os.WriteFile(filepath.Join(xmr, "sanctioned_addresses_XMR.txt"), nil, 0o644)
	mustCLI(t, "intel", "import", "sdn-lists", xmr, "--date", "2025-11-22", "--data", dir)
	g := lookupJSON(t, dir, "0x098B716B8Aaf21512996dC57EB0615e2383E2f96")[0]
	if len(g.Tags) != 1 || g.Tags[0].ActorName != "Lazarus Group" || strings.Join(g.Tags[0].Programs, ",") != "DPRK3" {
		t.Errorf("attribution after the per-asset lists: %+v", g)
	}

	packs := t.TempDir()
	pack := "title: t\ncreator: c\nlabel: %s\nsource: https://example.org\ncurrency: ETH\nconfidence: web_crawl\ncategory: exchange\nlastmod: 2025-01-01\ntags:\n- address: '%s'\n"
	for i, sub := range []string{"x", "y"} {
		os.MkdirAll(filepath.Join(packs, sub), 0o755)
		addr := []string{"0x098b716b8aaf21512996dc57eb0615e2383e2f96", "0x8589427373d6d84e98730d7795d8f6f8731fda16"}[i]
		os.WriteFile(filepath.Join(packs, sub, "p.yaml"), []byte(fmt.Sprintf(pack, "exchange "+sub, addr)), 0o644)
	}
	mustCLI(t, "intel", "import", "tagpack", packs, "--data", dir)
	before := intelDump(t, dir)
	for _, a := range []string{"0x098b716b8aaf21512996dc57eb0615e2383e2f96", "0x8589427373d6d84e98730d7795d8f6f8731fda16"} {
		found := false
		for _, tag := range lookupJSON(t, dir, a)[0].Tags {
			found = found || strings.HasPrefix(tag.Origin, "tagpack:")
		}
		if !found {
			t.Errorf("%s lost its pack tag: same-named packs replaced each other", a)
		}
	}
	os.WriteFile(filepath.Join(packs, "y", "p.yaml"), []byte(fmt.Sprintf(pack, "\"bad\\0label\"", "0x8589427373d6d84e98730d7795d8f6f8731fda16")), 0o644)
	os.WriteFile(filepath.Join(packs, "x", "p.yaml"), []byte(fmt.Sprintf(pack, "changed", "0x098b716b8aaf21512996dc57eb0615e2383e2f96")), 0o644)
	if _, errs, code := cli(t, "intel", "import", "tagpack", packs, "--data", dir); code != 1 || !strings.Contains(errs, "p.yaml") {
		t.Errorf("directory with a bad pack: exit %d\n%s", code, errs)
	}
	if intelDump(t, dir) != before {
		t.Error("a refused directory import changed the store")
	}
}
