package names

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func sortedTokens(name string) []string {
	t := Tokens(name)
	slices.Sort(t)
	return t
}

// TestFalsePositives screens 10,000 generated ordinary people (with their
// dates of birth and nationalities, as candidate records carry them)
// against the real SDN list at the default threshold and reports the
// share flagged; the goal is under 0.5%. The share by name alone is
// reported too.
func TestFalsePositives(t *testing.T) {
	ix, _ := sdnIndex(t)
	pop := population(10_000, 42)
	flagged, byName := 0, 0
	adj := DefaultAdjustments()
	examples := 0
	for _, p := range pop {
		q := Query{Names: p.names, Birthdate: p.birthdate, Nationalities: []string{p.nationality}}
		if hs := ix.Screen(q, DefaultThreshold, adj); len(hs) > 0 {
			flagged++
			if examples < 10 {
				examples++
				t.Logf("flagged: %q %s %s -> %q (%s) %.3f %v", p.names, p.birthdate, p.nationality, hs[0].Name, hs[0].Entry.ID, hs[0].Score, hs[0].Notes)
			}
		}
		if hs := ix.Screen(Query{Names: p.names}, DefaultThreshold, adj); len(hs) > 0 {
			byName++
		}
	}
	// the share flagged at other thresholds, for docs/vet.md
	sweep := []float64{0.80, 0.83, 0.86, 0.90, 0.95}
	at := make([]int, len(sweep))
	for _, p := range pop {
		hs := ix.Screen(Query{Names: p.names, Birthdate: p.birthdate, Nationalities: []string{p.nationality}}, sweep[0], adj)
		for i, th := range sweep {
			if len(hs) > 0 && hs[0].Score >= th {
				at[i]++
			}
		}
	}
	for i, th := range sweep {
		t.Logf("threshold %.2f: %.2f%% flagged", th, 100*float64(at[i])/float64(len(pop)))
	}
	// the commonest Korean and Chinese names (part of the population)
	// apart: the ones most like the list's names
	common := commonest(rand.New(rand.NewPCG(1, 1)))
	cf, cn := 0, 0
	for _, p := range common {
		if len(ix.Screen(Query{Names: p.names, Birthdate: p.birthdate, Nationalities: []string{p.nationality}}, DefaultThreshold, adj)) > 0 {
			cf++
		}
		if hs := ix.Screen(Query{Names: p.names}, DefaultThreshold, adj); len(hs) > 0 {
			cn++
			t.Logf("commonest name flagged by name alone: %q -> %q (%s) %.3f", p.names[0], hs[0].Name, hs[0].Entry.ID, hs[0].Score)
		}
	}
	t.Logf("the %d commonest Korean and Chinese names: %d (%.1f%%) flagged with date of birth and nationality, %d (%.1f%%) by name alone",
		len(common), cf, 100*float64(cf)/float64(len(common)), cn, 100*float64(cn)/float64(len(common)))
	for _, want := range []string{"Kim Min-jun", "Li Wei", "Park Ji-hoon"} {
		in := false
		for _, p := range pop {
			if slices.Equal(sortedTokens(p.names[0]), sortedTokens(want)) || slices.Equal(sortedTokens(p.names[0]), sortedTokens(strings.ReplaceAll(want, "-", ""))) {
				in = true
			}
		}
		if !in {
			t.Errorf("%s is not in the population", want)
		}
	}
	share := float64(flagged) / float64(len(pop))
	t.Logf("false positives at threshold %.2f: %d of %d (%.2f%%) with date of birth and nationality; %d (%.2f%%) by name alone",
		DefaultThreshold, flagged, len(pop), 100*share, byName, 100*float64(byName)/float64(len(pop)))
	if share >= 0.005 {
		t.Errorf("%.2f%% of ordinary people flagged: goal is under 0.5%%", 100*share)
	}
}
