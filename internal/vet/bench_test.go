package vet

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/intel/sdn"
	"github.com/chainhound/chainhound/internal/vet/names"
)

// BenchmarkScreener10k runs every check but the wallets (no chain store)
// for 10,000 generated candidate and staff records with planted operators
// against the full SDN list: linking all records, then one Screen per
// record. It reports the batch time (linking included) and the p50/p99
// of one record's Screen.
func BenchmarkScreener10k(b *testing.B) {
	p := filepath.Join("../../../shared/data", "ofac-brave", "sdn_advanced.xml.bz2")
	if _, err := os.Stat(p); err != nil {
		b.Skipf("shared data %s absent: this benchmark reads ../shared/data in place", p)
	}
	l, err := sdn.ReadFile(p, time.Time{}, sdn.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ix := names.NewIndex(names.FromActors(l.Actors))
	cfg := DefaultConfig()
	recs, _ := linkPopulation(testKeyer(b), cfg, 9_000, 150, 3)
	recs = recs[:min(len(recs), 10_000)]
	lat := make([]time.Duration, len(recs))
	now := time.Now()
	var batch time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		s := NewScreener(cfg, ix, ListInfo{Source: "bench"}, nil, recs)
		for i := range recs {
			t0 := time.Now()
			if _, err := s.Screen(recs[i].ID, now); err != nil {
				b.Fatal(err)
			}
			lat[i] = time.Since(t0)
		}
		batch = time.Since(start)
	}
	slices.Sort(lat)
	b.ReportMetric(batch.Seconds(), "s/batch")
	b.ReportMetric(float64(len(recs)), "records")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
