package clustersim

import (
	"testing"

	"github.com/chainhound/chainhound/internal/cluster"
)

// TestPrecision clusters the default simulation with co-spend alone and
// with change merging on, and holds change merging to the goal:
// pairwise precision of at least 99.9%.
func TestPrecision(t *testing.T) {
	x := Run(DefaultConfig)
	t.Log(x)
	cospend := Score(x, cluster.Options{})
	cfg := cluster.DefaultConfig()
	both := Score(x, cluster.Options{Change: cfg.Change})
	t.Logf("co-spend only:     %v", cospend.Pairwise)
	t.Logf("co-spend + change: %v", both.Pairwise)
	t.Logf("change links: %d, %d between one owner's addresses; verdicts on %d true change outputs: %d found, %d right; cannot-link pairs %d (%d wrong)",
		both.ChangeLinks, both.ChangeLinksCorrect, both.ChangeTruth, both.ChangeFound, both.ChangeRight, both.CannotLinks, both.CannotWrong)
	t.Logf("counts: %+v", both.Counts)
	if cospend.Pairwise.Precision() < 0.999 || both.Counts.Skipped == 0 {
		t.Errorf("co-spend: precision %.5f, %d CoinJoins left out", cospend.Pairwise.Precision(), both.Counts.Skipped)
	}
	if both.ChangeLinks == 0 || both.CannotLinks == 0 || both.Pairwise.Recall() <= cospend.Pairwise.Recall() {
		t.Errorf("change merging added nothing: %d links, %d cannot-links, recall %.4f", both.ChangeLinks, both.CannotLinks, both.Pairwise.Recall())
	}
	// The simulation has teeth: linking CoinJoins' inputs, or merging
	// change on weak evidence, costs precision.
	if p := Score(x, cluster.Options{KeepCoinJoins: true}).Pairwise.Precision(); p >= 0.999 {
		t.Errorf("with CoinJoins linked, precision is still %.5f", p)
	}
	weak := cfg.Change
	weak.Threshold, weak.Margin = 1, 0
	if p := Score(x, cluster.Options{Change: weak}).Pairwise.Precision(); p >= 0.999 {
		t.Errorf("with change merged on one heuristic's word, precision is still %.5f", p)
	}
	if both.Pairwise.Precision() < 0.999 {
		t.Errorf("pairwise precision with change merging %.5f, goal >= 0.999", both.Pairwise.Precision())
	}
}
