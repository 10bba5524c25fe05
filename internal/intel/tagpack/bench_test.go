package tagpack

import (
	"path/filepath"
	"runtime"
	"testing"
)

// BenchmarkImportAllPacks reads, validates and converts every public
// TagPack, one file at a time, as an importer would (tags are dropped
// after each file). Reports tags/s and the peak heap in use.
func BenchmarkImportAllPacks(b *testing.B) {
	files, err := Files(filepath.Join(sharedDir(b, "graphsense-tagpacks"), "packs"))
	if err != nil {
		b.Fatal(err)
	}
	c := NewChecker()
	var peak uint64
	var ms runtime.MemStats
	tags := 0
	b.ResetTimer()
	for range b.N {
		tags = 0
		for _, f := range files {
			r, err := c.ImportFile(f, SkipInvalidTags)
			if err != nil {
				continue // usdt_blacklist.yaml: see TestRealPacksImport
			}
			tags += len(r.Tags)
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	b.ReportMetric(float64(tags)*float64(b.N)/b.Elapsed().Seconds(), "tags/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(tags), "tags")
}
