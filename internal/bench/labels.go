package bench

import (
	"encoding/csv"
	"fmt"
	"io"

	"github.com/chainhound/chainhound/internal/intel/labels"
	"github.com/chainhound/chainhound/internal/synth"
)

// ServeLabelCategories are the risk categories that WriteServeLabels tags,
// each on its own slice of the account graph's sampled alerts, in this
// order: the seeds of the exposure store that `bench serve` screens.
var ServeLabelCategories = []string{"service_hack", "sanction", "mixing_service"}

// WriteServeLabels writes the label file of the serving benchmark's store
// in chainhound's label CSV: the exchanges busiest address ranks tagged
// "exchange" (so traces stop there as at real services), then perCategory
// of the graph's sampled alert addresses for each of
// ServeLabelCategories. The same graph gives the same file, so the store
// that docs/bench-serve.md measures can be rebuilt.
func WriteServeLabels(w io.Writer, g *TraceGraph, exchanges, perCategory int) error {
	if g.Account == nil {
		return fmt.Errorf("serve labels: the graph has no account store")
	}
	alerts := g.Meta.AccountAlerts
	if need := perCategory * len(ServeLabelCategories); len(alerts) < need {
		return fmt.Errorf("serve labels: %d sampled alerts, need %d", len(alerts), need)
	}
	cw := csv.NewWriter(w)
	if _, err := io.WriteString(w, labels.CSVHeader+"\n"); err != nil {
		return err
	}
	row := func(addr, label, category string) error {
		return cw.Write([]string{synthEthereum.CAIP2, addr, label, category, "", "chainhound bench", ""})
	}
	seen := map[string]bool{} // an address gets one tag: an alert at a hub stays an exchange
	for i := range exchanges {
		a := synth.AccountAddress(i).String()
		seen[a] = true
		if err := row(a, fmt.Sprintf("exchange %d", i), "exchange"); err != nil {
			return err
		}
	}
	next := 0
	for _, cat := range ServeLabelCategories {
		for n := 0; n < perCategory; next++ {
			if next == len(alerts) {
				return fmt.Errorf("serve labels: too few distinct alert addresses for %d per category", perCategory)
			}
			a := alerts[next].Address.String()
			if seen[a] {
				continue
			}
			seen[a] = true
			if err := row(a, fmt.Sprintf("%s seed %d", cat, n), cat); err != nil {
				return err
			}
			n++
		}
	}
	cw.Flush()
	return cw.Error()
}
