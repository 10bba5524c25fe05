package clustersim

import (
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/cluster/change"
)

// TestPrecision clusters the default simulation (wallet programs' nVersion
// and nLockTime habits included) with co-spend alone and with change
// merging on, with and without the fingerprint term, and holds change
// merging to the goal: pairwise precision of at least 99.9%.
// Precision and recall are reported for the whole clustering and apart
// for the pairs co-spend merges joined and those change merges added.
func TestPrecision(t *testing.T) {
	x := Run(DefaultConfig)
	t.Log(x)
	cospend := Score(x, cluster.Options{})
	cfg := cluster.DefaultConfig()
	both := Score(x, cluster.Options{Change: cfg.Change})
	noFP := cfg.Change
	noFP.FingerprintBlocks = 0
	without := Score(x, cluster.Options{Change: noFP})
	t.Logf("co-spend only:     %v", cospend.Pairwise)
	for _, r := range []struct {
		name string
		rep  Report
	}{{"without the fingerprint", without}, {"with the fingerprint", both}} {
		t.Logf("co-spend + change, %s: %v", r.name, r.rep.Pairwise)
		t.Logf("  pairs of co-spend merges: %v", r.rep.Cospend)
		t.Logf("  pairs change merges added: %v", r.rep.Change)
		t.Logf("  change links: %d, %d between one owner's addresses; verdicts on %d true change outputs: %d found, %d right; cannot-link pairs %d (%d wrong)",
			r.rep.ChangeLinks, r.rep.ChangeLinksCorrect, r.rep.ChangeTruth, r.rep.ChangeFound, r.rep.ChangeRight, r.rep.CannotLinks, r.rep.CannotWrong)
		t.Logf("  counts: %+v", r.rep.Counts)
	}
	t.Logf("the fingerprint: %d more true change outputs found (%d -> %d), change pairs' recall %.4f -> %.4f",
		both.ChangeFound-without.ChangeFound, without.ChangeFound, both.ChangeFound, without.Change.Recall(), both.Change.Recall())
	if cospend.Pairwise.Precision() < 0.999 || both.Counts.Skipped == 0 {
		t.Errorf("co-spend: precision %.5f, %d CoinJoins left out", cospend.Pairwise.Precision(), both.Counts.Skipped)
	}
	if both.ChangeLinks == 0 || both.CannotLinks == 0 || both.Pairwise.Recall() <= cospend.Pairwise.Recall() {
		t.Errorf("change merging added nothing: %d links, %d cannot-links, recall %.4f", both.ChangeLinks, both.CannotLinks, both.Pairwise.Recall())
	}
	if both.Counts.DeferChange == 0 || both.ChangeRight <= without.ChangeRight || both.Change.Recall() <= without.Change.Recall() {
		t.Errorf("the fingerprint found no more change: %d right with it, %d without; %+v", both.ChangeRight, without.ChangeRight, both.Counts)
	}
	if without.Counts.Deferred != 0 || Score(Run(withoutPrograms()), cluster.Options{Change: cfg.Change}).Counts.Deferred != 0 {
		t.Error("transactions waited for fingerprints that are off or unknown")
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
	for _, r := range []Report{both, without} {
		if r.Pairwise.Precision() < 0.999 {
			t.Errorf("pairwise precision with change merging %.5f, goal >= 0.999", r.Pairwise.Precision())
		}
	}
	// Batch payments (a second payee in one transaction): scored, they
	// cost precision (an odd payment to a fresh address looks like
	// change); max_outputs 2, the default, leaves them out.
	bx := DefaultConfig
	bx.Batch = 0.1
	batched := Run(bx)
	scored := cfg.Change
	scored.MaxOutputs = 0
	if p := Score(batched, cluster.Options{Change: scored}).Pairwise.Precision(); p >= 0.999 {
		t.Errorf("batches scored: precision still %.5f", p)
	}
	if r := Score(batched, cluster.Options{Change: cfg.Change}); r.Pairwise.Precision() < 0.999 {
		t.Errorf("batches left out: precision %.5f", r.Pairwise.Precision())
	} else {
		t.Logf("with 10%% of payments batched, max_outputs 2: %v", r.Pairwise)
	}
}

// TestPrecisionSeeds holds the other seeds the docs report (TestPrecision
// has seed 1) to the goal, with change merging on, fingerprint on and
// off, with and without 10% of payments batched (max_outputs at its
// default). Seeds 4 and 3 (batched) each had one wrong change link
// before post_mix (0.999988 and 0.99874): a reuser paying from a
// post-mix coin, the payment taken for the change.
func TestPrecisionSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("four more simulations")
	}
	cfg := cluster.DefaultConfig()
	noFP := cfg.Change
	noFP.FingerprintBlocks = 0
	for seed := uint64(2); seed <= 5; seed++ {
		for _, batch := range []float64{0, 0.1} {
			sc := DefaultConfig
			sc.Seed, sc.Batch = seed, batch
			x := Run(sc)
			for _, c := range []change.Config{cfg.Change, noFP} {
				r := Score(x, cluster.Options{Change: c})
				t.Logf("seed %d, batches %.1f, fingerprint window %d: %v; change merges' pairs %v", seed, batch, c.FingerprintBlocks, r.Pairwise, r.Change)
				if r.Pairwise.Precision() < 0.999 || r.ChangeLinks == 0 {
					t.Errorf("seed %d, batches %.1f, fingerprint window %d: precision %.6f (goal 0.999), %d change links", seed, batch, c.FingerprintBlocks, r.Pairwise.Precision(), r.ChangeLinks)
				}
			}
		}
	}
}

func withoutPrograms() Config {
	c := DefaultConfig
	c.Fingerprints = false
	return c
}

// TestForks: a run with a fork shares the blocks before it with the run
// without, block for block, and differs from it at the fork (other block
// and transaction names, other payments of the same coins); a fork of
// the fork shares the first fork's blocks before its own; a fork at block 0
// shares no block.
func TestForks(t *testing.T) {
	cfg := DefaultConfig
	cfg.Wallets, cfg.Blocks, cfg.TxsPerBlk = 100, 20, 10
	base := Run(cfg)
	one := cfg
	one.Forks = []Fork{{At: 8, Seed: 5}}
	a := Run(one)
	two := cfg
	two.Forks = []Fork{{At: 8, Seed: 5}, {At: 14, Seed: 6}}
	b := Run(two)
	same := func(x, y *Sim, from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			if !reflect.DeepEqual(x.Blocks[i], y.Blocks[i]) {
				t.Fatalf("block %d differs", i)
			}
		}
	}
	same(base, a, 0, 8)
	same(a, b, 0, 14)
	spent := func(x *Sim, i int) map[chain.Hash]bool {
		out := map[chain.Hash]bool{}
		for _, tx := range x.Blocks[i].Txs {
			for _, in := range tx.Inputs {
				out[in.PrevTx] = true
			}
		}
		return out
	}
	for _, p := range []struct {
		x, y *Sim
		at   int
	}{{base, a, 8}, {a, b, 14}} {
		bx, by := p.x.Blocks[p.at], p.y.Blocks[p.at]
		if bx.Hash == by.Hash || bx.Parent != by.Parent || bx.Height != by.Height || bx.Txs[1].Hash == by.Txs[1].Hash {
			t.Fatalf("fork at %d: blocks %x and %x, parents %x and %x", p.at, bx.Hash[:4], by.Hash[:4], bx.Parent[:4], by.Parent[:4])
		}
		if reflect.DeepEqual(spent(p.x, p.at), spent(p.y, p.at)) {
			t.Fatalf("fork at %d spends what the other branch spends", p.at)
		}
	}
	if !reflect.DeepEqual(Run(two).Blocks, b.Blocks) {
		t.Fatal("a forked run is not reproducible")
	}
	zero := cfg
	zero.Forks = []Fork{{At: 0, Seed: 7}}
	if z := Run(zero); z.Blocks[0].Hash == base.Blocks[0].Hash || z.Blocks[0].Txs[1].Outputs[0].Address == base.Blocks[0].Txs[1].Outputs[0].Address {
		t.Fatal("a fork at block 0 shares the funding block")
	}
}
