package intel

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// synthTags makes n tags over n/2 subjects, with the repetition of real
// packs: a few hundred labels, categories and sources.
func synthTags(n int) []Tag {
	out := make([]Tag, n)
	for i := range out {
		out[i] = Tag{
			Subject:    Account("eip155:1", fmt.Sprintf("0x%040x", i/2)),
			Label:      fmt.Sprintf("label %d", i%300),
			Category:   []string{"exchange", "mixing_service", "scam", "defi"}[i%4],
			Actor:      fmt.Sprintf("actor-%d", i%3000),
			Confidence: "web_crawl",
			Source:     fmt.Sprintf("https://example.org/source/%d", i%500),
			Origin:     fmt.Sprintf("tagpack:pack-%d.yaml", i%200),
			ValidFrom:  time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC),
		}
	}
	return out
}

func TestIndexFromStore(t *testing.T) {
	s := openTest(t)
	mustApply(t, s, listImport("2025-03-04", "0xa", "0xb"))
	mustApply(t, s, listImport("2025-11-19", "0xa"))
	ix, err := Load(s)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Has(Account("eip155:1", "0xb")) || !ix.Has(Account("eip155:1", "0xa")) || ix.Len() != 1 {
		t.Fatalf("index holds %d tags; delisted 0xb: %v", ix.Len(), ix.Has(Account("eip155:1", "0xb")))
	}
	got := ix.Tags(Account("eip155:1", "0xa"))
	if len(got) != 1 || got[0].Label != "party of 0xa" || got[0].Origin != "ofac-sdn" || got[0].ValidFrom.Format(time.DateOnly) != "2025-03-04" {
		t.Fatalf("tags of 0xa: %+v", got)
	}
	if subs := ix.Subjects("0xa"); !slices.Equal(subs, []Subject{"eip155:1:0xa"}) {
		t.Fatalf("subjects of 0xa: %v", subs)
	}
}

// TestIndexBytesPerTag reports the memory an index of 524,000 tags holds
// (the size of GraphSense's public TagPacks).
func TestIndexBytesPerTag(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ix := NewIndex()
	const n = 524_000
	for i := range n {
		// One tag at a time, as Load reads them: the index owns every
		// string it keeps, subjects included.
		tag := synthTags(1)[0]
		tag.Subject = Account("eip155:1", fmt.Sprintf("0x%040x", i/2))
		tag.Label, tag.Actor = fmt.Sprintf("label %d", i%300), fmt.Sprintf("actor-%d", i%3000)
		ix.Add(&tag)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(ix.Len())
	t.Logf("%d tags over %d subjects: %.0f bytes per tag held, subject strings included", ix.Len(), len(ix.subjects), per)
	if per <= 0 {
		t.Fatalf("measured %.0f bytes per tag: the measurement is broken", per)
	}
	runtime.KeepAlive(ix)
}

// BenchmarkIndexLookup looks up random subjects among 524,000 tags, half
// of them untagged; it reports the median of single lookups besides the
// mean.
func BenchmarkIndexLookup(b *testing.B) {
	tags := synthTags(524_000)
	ix := NewIndex()
	for i := range tags {
		ix.Add(&tags[i])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	probes := make([]Subject, 4096)
	for i := range probes {
		probes[i] = Account("eip155:1", fmt.Sprintf("0x%040x", rng.IntN(524_000)))
	}
	b.ResetTimer()
	n := 0
	for i := 0; b.Loop(); i++ {
		n += len(ix.Tags(probes[i%len(probes)]))
	}
	b.StopTimer()
	samples := make([]time.Duration, 20001)
	for i := range samples {
		p := probes[i%len(probes)]
		start := time.Now()
		n += len(ix.Tags(p))
		samples[i] = time.Since(start)
	}
	slices.Sort(samples)
	b.ReportMetric(float64(samples[len(samples)/2].Nanoseconds()), "median-ns")
	_ = n
}

// TestIndexSearch: a label, actor or category containing the query, in
// any case, one tag per subject, at most limit.
func TestIndexSearch(t *testing.T) {
	ix := NewIndex()
	for _, tg := range synthTags(2000) {
		ix.Add(&tg)
	}
	got := ix.Search("LABEL 17", 1000)
	seen := map[Subject]bool{}
	for _, g := range got {
		if !strings.Contains(g.Label, "label 17") {
			t.Errorf("%s: label %q does not contain the query", g.Subject, g.Label)
		}
		if seen[g.Subject] {
			t.Errorf("%s twice", g.Subject)
		}
		seen[g.Subject] = true
	}
	// label 17, 170-179: 11 labels of 300, each on 2000/300 tags, two tags per subject
	if len(got) < 11 {
		t.Errorf("%d subjects for label 17*, want more than 11", len(got))
	}
	if n := len(ix.Search("actor-29", 3)); n != 3 {
		t.Errorf("limit 3: %d", n)
	}
	if n := len(ix.Search("mixing", 5000)); n != 500 {
		t.Errorf("category mixing_service: %d subjects, want 500 (every other subject has one)", n)
	}
	if ix.Search("  ", 5) != nil || ix.Search("nothing like it", 5) != nil {
		t.Error("an empty or unmatched query found something")
	}
}
