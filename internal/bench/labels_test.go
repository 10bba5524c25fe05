package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/intel/labels"
	"github.com/chainhound/chainhound/internal/synth"
)

// TestWriteServeLabels checks the serving benchmark's label file: it parses
// as chainhound's label CSV, tags the busiest ranks as exchanges and
// distinct sampled alert addresses of the graph in each risk category, one
// tag per address, and is the same for the same graph.
func TestWriteServeLabels(t *testing.T) {
	g, err := OpenTraceGraph(context.Background(), t.TempDir(), TraceGraphConfig{AccountTransfers: 5000, Seed: 3}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	var a, b bytes.Buffer
	if err := WriteServeLabels(&a, g, 5, 4); err != nil {
		t.Fatal(err)
	}
	if err := WriteServeLabels(&b, g, 5, 4); err != nil || a.String() != b.String() {
		t.Fatalf("a second write differs (err %v)", err)
	}
	alerts := map[string]bool{}
	for _, al := range g.Meta.AccountAlerts {
		alerts[synthEthereum.CAIP2+":"+strings.ToLower(al.Address.String())] = true
	}
	byCat := map[string]int{}
	seen := map[string]bool{}
	_, err = labels.ReadCSV(&a, "serve-labels.csv", func(tag intel.Tag) error {
		subject := string(tag.Subject)
		if seen[subject] {
			t.Errorf("%s tagged twice", tag.Subject)
		}
		seen[subject] = true
		byCat[tag.Category]++
		if tag.Category != "exchange" && !alerts[subject] {
			t.Errorf("%s tag %s: not one of the graph's sampled alerts", tag.Category, tag.Subject)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if s := synthEthereum.CAIP2 + ":" + strings.ToLower(synth.AccountAddress(i).String()); !seen[s] {
			t.Errorf("rank %d (%s) not tagged", i, s)
		}
	}
	if byCat["exchange"] != 5 || byCat["service_hack"] != 4 || byCat["sanction"] != 4 || byCat["mixing_service"] != 4 {
		t.Errorf("tags per category %v", byCat)
	}
	if err := WriteServeLabels(&a, g, 5, len(g.Meta.AccountAlerts)); err == nil {
		t.Error("more seeds than alerts: no error")
	}
}
