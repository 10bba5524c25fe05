package tagpack

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// shared is where chainhound's tests find third-party data, relative to
// this package's directory.
const shared = "../../../../shared/data"

func sharedDir(t testing.TB, rel string) string {
	t.Helper()
	dir := filepath.Join(shared, rel)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared data %s absent (%v): skipping; it lives beside the repository in ../shared", dir, err)
	}
	return dir
}

// TestRealPacksImport reads, validates and converts every public TagPack.
func TestRealPacksImport(t *testing.T) {
	files, err := Files(filepath.Join(sharedDir(t, "graphsense-tagpacks"), "packs"))
	if err != nil {
		t.Fatal(err)
	}
	c := NewChecker()
	start := time.Now()
	var tags, warns, eip55 int
	for _, f := range files {
		r, err := c.ImportFile(f, SkipInvalidTags)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		tags += len(r.Tags)
		warns += len(r.Warnings)
		for _, p := range r.Rejected {
			t.Logf("rejected: %s", p)
		}
		for _, w := range r.Warnings {
			if testing.Verbose() && w.Msg != "duplicate tag dropped" {
				t.Logf("warning: %s", w)
			}
		}
	}
	t.Logf("%d files, %d tags, %d warnings (%d EIP-55) in %v", len(files), tags, warns, eip55, time.Since(start))
}
