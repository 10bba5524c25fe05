package tagpack

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRealPacksWithNewConcepts: with AcceptNewConcepts (what `chainhound
// intel import tagpack` does unless --strict) every public pack imports;
// the one concept id newer than the embedded taxonomy is reported once.
func TestRealPacksWithNewConcepts(t *testing.T) {
	files, err := Files(filepath.Join(sharedDir(t, "graphsense-tagpacks"), "packs"))
	if err != nil {
		t.Fatal(err)
	}
	c := NewChecker().AcceptNewConcepts()
	var tags int
	var newConcepts []string
	for _, f := range files {
		r, err := c.ImportFile(f, SkipInvalidTags)
		if err != nil {
			t.Fatalf("%v", err)
		}
		tags += len(r.Tags)
		for _, w := range r.Warnings {
			if strings.Contains(w.Msg, "not a concept id of the embedded taxonomy") {
				newConcepts = append(newConcepts, filepath.Base(w.File)+": "+w.Msg)
			}
		}
	}
	if len(files) != 86 || tags < 523_000 {
		t.Errorf("%d files, %d tags", len(files), tags)
	}
	if len(newConcepts) != 1 || !strings.Contains(newConcepts[0], `usdt_blacklist.yaml: "black_list"`) {
		t.Errorf("new concepts reported: %q", newConcepts)
	}
}
