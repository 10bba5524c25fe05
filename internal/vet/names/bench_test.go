package names

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkScreen10k screens 10,000 generated candidates (every name and
// alias of each, with date of birth and nationality) against the full SDN
// list's individuals and entities, one after another, and reports the
// whole batch's time and the 50th and 99th percentile of one candidate's
// search.
func BenchmarkScreen10k(b *testing.B) {
	ix, _ := sdnIndex(b)
	pop := population(10_000, 7)
	adj := DefaultAdjustments()
	lat := make([]time.Duration, len(pop))
	b.ResetTimer()
	var batch time.Duration
	for range b.N {
		start := time.Now()
		for i, p := range pop {
			t0 := time.Now()
			ix.Screen(Query{Names: p.names, Birthdate: p.birthdate, Nationalities: []string{p.nationality}}, DefaultThreshold, adj)
			lat[i] = time.Since(t0)
		}
		batch = time.Since(start)
	}
	slices.Sort(lat)
	b.ReportMetric(batch.Seconds(), "s/batch")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
	b.ReportMetric(float64(ix.Len()), "list-names")
}

// BenchmarkNewIndex indexes the full SDN list's individuals and entities.
func BenchmarkNewIndex(b *testing.B) {
	_, entries := sdnIndex(b)
	b.ResetTimer()
	for range b.N {
		NewIndex(entries)
	}
}
