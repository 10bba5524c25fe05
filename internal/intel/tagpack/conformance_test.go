package tagpack

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestToolTestPacks runs the TagPack tool's own test packs through
// ReadFile and Validate. Which are invalid was worked out from their names
// and contents; want is a fragment of the expected reason, "" for valid.
func TestToolTestPacks(t *testing.T) {
	root := filepath.Join(sharedDir(t, "graphsense-tagpack-schema"), "tests", "testfiles")
	want := map[string]string{
		"simple/ex_addr_tagpack.yaml":                                         "",
		"simple/multiple_tags_for_address.yaml":                               "",
		"simple/with_concepts.yaml":                                           "",
		"simple/duplicate_tag.yaml":                                           "", // valid: the duplicate is a warning (see Convert)
		"simple/empty_tag_list.yaml":                                          "no tags: the list is empty",
		"yaml_inclusion/2021/01/20210101.yaml":                                "",
		"yaml_inclusion/2021/01/20210102.yaml":                                "",
		"yaml_inclusion/2021/01/special/20210106-special.yaml":                "",
		"yaml_inclusion/2021/02/20210201.yaml":                                "field entity: field not allowed in a tag",
		"yaml_inclusion_multiple/2021/01/20210101.yaml":                       "",
		"yaml_inclusion_multiple/2021/01/20210102.yaml":                       "",
		"yaml_inclusion_multiple/2021/01/special/20210106-special.yaml":       "",
		"yaml_inclusion_multiple/2021/02/20210201.yaml":                       "field entity: field not allowed in a tag",
		"yaml_inclusion_missing_header/2021/01/20210101.yaml":                 "include header.yaml",
		"yaml_inclusion_missing_header/2021/01/20210102.yaml":                 "include header.yaml",
		"yaml_inclusion_missing_header/2021/01/special/20210106-special.yaml": "include header.yaml",
		"yaml_inclusion_missing_header/2021/02/20210201.yaml":                 "include header.yaml",
	}
	c := NewChecker()
	var seen []string
	for _, dir := range []string{"simple", "yaml_inclusion", "yaml_inclusion_multiple", "yaml_inclusion_missing_header"} {
		files, err := Files(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			rel, _ := filepath.Rel(root, f.Path)
			seen = append(seen, rel)
			exp, listed := want[rel]
			if !listed {
				t.Errorf("%s: not listed in the test", rel)
				continue
			}
			tp, err := ReadFile(f)
			if err == nil {
				err = c.Validate(tp)
			}
			switch {
			case exp == "" && err != nil:
				t.Errorf("%s: valid pack rejected: %v", rel, err)
			case exp != "" && err == nil:
				t.Errorf("%s: invalid pack accepted, want %q", rel, exp)
			case exp != "" && !strings.Contains(err.Error(), exp):
				t.Errorf("%s: rejected with %v, want %q", rel, err, exp)
			case exp != "":
				t.Logf("%s: rejected: %v", rel, err)
			}
		}
	}
	if len(seen) != len(want) {
		t.Errorf("found %d packs, listed %d", len(seen), len(want))
	}
}

// TestToolTestPackDetails checks what the tool's tests check of the
// parsed packs: header inclusion, nearest header, overriding.
func TestToolTestPackDetails(t *testing.T) {
	root := filepath.Join(sharedDir(t, "graphsense-tagpack-schema"), "tests", "testfiles")
	files, err := Files(filepath.Join(root, "yaml_inclusion_multiple"))
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{}
	for _, f := range files {
		tp, err := ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f.Path)
		labels[rel] = tp.Header["label"].Str
		if rel == "yaml_inclusion_multiple/2021/01/20210101.yaml" && tp.Header["lastmod"].Time.Format("2006-01-02") != "2020-01-03" {
			t.Errorf("the file's lastmod must override the header's")
		}
	}
	if got := labels["yaml_inclusion_multiple/2021/01/special/20210106-special.yaml"]; got != "Special_BadHack" {
		t.Errorf("special pack takes the nearest header: label %q", got)
	}
	if got := labels["yaml_inclusion_multiple/2021/02/20210201.yaml"]; got != "BadHack" {
		t.Errorf("2021/02 takes the root header: label %q", got)
	}
	// Convert is stricter than the tool: the test packs' made-up addresses
	// are rejected with their position.
	c := NewChecker()
	tp, err := ReadFile(File{Path: filepath.Join(root, "simple", "ex_addr_tagpack.yaml"), HeaderDir: filepath.Join(root, "simple")})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Convert(tp)
	if err == nil || !strings.Contains(err.Error(), "tag 0 (address 1bacdeddg32dsfk5692dmn23, line 9): field address: invalid BTC address") {
		t.Errorf("made-up address: got %v", err)
	}
	// The bech32 address with a broken checksum in the special pack.
	tp, _ = ReadFile(File{Path: filepath.Join(root, "yaml_inclusion", "2021/01/special/20210106-special.yaml"), HeaderDir: filepath.Join(root, "yaml_inclusion")})
	if _, _, err = c.Convert(tp); err == nil || !strings.Contains(err.Error(), "bech32: 'b' at position 41: invalid character") {
		t.Errorf("bad bech32: got %v", err)
	}
	tp, _ = ReadFile(File{Path: filepath.Join(root, "yaml_inclusion", "2021/01/20210101.yaml"), HeaderDir: filepath.Join(root, "yaml_inclusion")})
	tags, _, err := c.Convert(tp)
	if err != nil || len(tags) != 1 || tags[0].Subject != "bip122:000000000019d6689c085ae165831e93:bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh" || tags[0].Fields["abuse"] != "scam" {
		t.Errorf("20210101: %v %+v", err, tags)
	}
}

// TestToolActorPack accepts the tool's test ActorPack.
func TestToolActorPack(t *testing.T) {
	path := filepath.Join(sharedDir(t, "graphsense-tagpack-schema"), "tests", "testfiles", "actors", "ex.actorpack.yaml")
	ap, err := ReadActorFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := NewChecker()
	if err := c.ValidateActors(ap); err != nil {
		t.Fatal(err)
	}
	actors, err := c.ConvertActors(ap)
	if err != nil || len(actors) != 2 || actors[1].ID != "binance" || !slices.Equal(actors[1].Jurisdictions, []string{"US", "AT"}) || actors[0].Fields["lastmod"] != "2022-11-29" {
		t.Errorf("%v %+v", err, actors)
	}
}

// TestTaxonomyMatchesTool compares the taxonomies written in taxonomy.go
// with the tool's files, so a change upstream is noticed.
func TestTaxonomyMatchesTool(t *testing.T) {
	db := filepath.Join(sharedDir(t, "graphsense-tagpack-schema"), "src", "tagpack", "db")
	tax := NewTaxonomies()
	var concepts map[string]struct {
		ID string `yaml:"id"`
	}
	data, err := os.ReadFile(filepath.Join(db, "concepts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &concepts); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for k, v := range concepts {
		if k != "scheme" {
			ids = append(ids, v.ID)
		}
	}
	sameSet(t, "concepts", ids, tax[TaxConcept])
	rows := readCSV(t, filepath.Join(db, "confidence.csv"))
	levels := ConfidenceLevels()
	ids = nil
	for _, r := range rows {
		ids = append(ids, r["id"])
		if got := levels[r["id"]]; strings.TrimSpace(r["level"]) != itoa(got) {
			t.Errorf("confidence %s: level %d, tool says %s", r["id"], got, r["level"])
		}
	}
	sameSet(t, "confidence", ids, tax[TaxConfidence])
	for file, tx := range map[string]Taxonomy{"tag_types.csv": TaxTagType, "countries.csv": TaxCountry} {
		ids = nil
		for _, r := range readCSV(t, filepath.Join(db, file)) {
			ids = append(ids, r["id"])
		}
		sameSet(t, file, ids, tax[tx])
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func sameSet(t *testing.T, name string, tool []string, ours map[string]bool) {
	t.Helper()
	if len(tool) != len(ours) {
		t.Errorf("%s: tool has %d ids, we have %d", name, len(tool), len(ours))
	}
	for _, id := range tool {
		if !ours[id] {
			t.Errorf("%s: tool id %q missing here", name, id)
		}
	}
}

func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out
}
