package synth

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// digest hashes every block a generator makes, transfers and UTXO inputs
// and outputs included.
func digest(next func() *chain.Block) [32]byte {
	h := sha256.New()
	var w [8]byte
	put := func(v uint64) { binary.BigEndian.PutUint64(w[:], v); h.Write(w[:]) }
	for b := next(); b != nil; b = next() {
		h.Write(b.Hash[:])
		h.Write(b.Parent[:])
		for _, t := range b.Transfers {
			put(uint64(t.TxIndex)<<32 | uint64(t.Seq))
			h.Write([]byte(t.From.Raw + "|" + t.To.Raw + "|" + t.Asset.Contract.Raw))
			h.Write(t.Amount.Bytes())
		}
		for _, tx := range b.Txs {
			h.Write(tx.Hash[:])
			for _, in := range tx.Inputs {
				h.Write(in.PrevTx[:])
				put(uint64(in.PrevIndex))
			}
			for _, o := range tx.Outputs {
				h.Write([]byte(o.Address.Raw))
				put(uint64(o.Value))
			}
		}
	}
	return [32]byte(h.Sum(nil))
}

func TestAccountGraphDeterministic(t *testing.T) {
	cfg := GraphConfig{Transfers: 20_000, Addresses: 3000, PerBlock: 500, Seed: 7}
	a, b := NewAccountGraph(cfg, 100), NewAccountGraph(cfg, 100)
	if digest(a.Next) != digest(b.Next) {
		t.Fatal("two account graphs from the same seed differ")
	}
	if !slices.EqualFunc(a.Alerts(), b.Alerts(), func(x, y AccountAlert) bool { return x == y }) {
		t.Fatal("alerts differ between two runs from the same seed")
	}
	cfg.Seed = 8
	if digest(NewAccountGraph(cfg, 100).Next) == digest(NewAccountGraph(GraphConfig{Transfers: 20_000, Addresses: 3000, PerBlock: 500, Seed: 7}, 100).Next) {
		t.Fatal("seeds 7 and 8 make the same account graph")
	}
}

func TestUTXOGraphDeterministic(t *testing.T) {
	cfg := GraphConfig{Transfers: 10_000, Addresses: 3000, PerBlock: 400, Seed: 7}
	a, b := NewUTXOGraph(cfg, 100), NewUTXOGraph(cfg, 100)
	if digest(a.Next) != digest(b.Next) {
		t.Fatal("two UTXO graphs from the same seed differ")
	}
	if !slices.Equal(a.Alerts(), b.Alerts()) {
		t.Fatal("alerts differ between two runs from the same seed")
	}
	cfg.Seed = 8
	if digest(NewUTXOGraph(cfg, 100).Next) == digest(NewUTXOGraph(GraphConfig{Transfers: 10_000, Addresses: 3000, PerBlock: 400, Seed: 7}, 100).Next) {
		t.Fatal("seeds 7 and 8 make the same UTXO graph")
	}
}

// degrees counts each address's transfers (sent plus received) over a
// graph, sorted from the busiest down, with the addresses never used.
func degrees(t *testing.T, n int, next func() *chain.Block) []int {
	t.Helper()
	deg := map[chain.Address]int{}
	for b := next(); b != nil; b = next() {
		for _, tr := range b.Transfers {
			for _, a := range []chain.Address{tr.From, tr.To} {
				if !a.None() {
					deg[a]++
				}
			}
		}
	}
	out := make([]int, 0, n)
	for _, d := range deg {
		out = append(out, d)
	}
	for len(out) < n {
		out = append(out, 0)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

// checkPowerLaw asserts the shape of a heavy-tailed degree distribution:
// the top 1% of addresses take a large share of all transfer endpoints,
// the busiest address alone a few percent, and the median address a
// handful; and the tail is straight on a log-log plot, as a power law is:
// the count of addresses with degree >= k falls by a similar factor each
// time k grows tenfold.
func checkPowerLaw(t *testing.T, deg []int) {
	t.Helper()
	total := 0
	for _, d := range deg {
		total += d
	}
	top := 0
	for _, d := range deg[:len(deg)/100] {
		top += d
	}
	share := float64(top) / float64(total)
	t.Logf("addresses %d, endpoints %d, top 1%% share %.2f, max %d, median %d", len(deg), total, share, deg[0], deg[len(deg)/2])
	if share < 0.4 {
		t.Errorf("top 1%% of addresses hold %.2f of transfer endpoints, want >= 0.4", share)
	}
	if float64(deg[0]) < 0.02*float64(total) {
		t.Errorf("busiest address has %d of %d endpoints, want a hub with >= 2%%", deg[0], total)
	}
	if med := deg[len(deg)/2]; med > 10 {
		t.Errorf("median degree %d, want a handful (<= 10)", med)
	}
	atLeast := func(k int) int {
		n, _ := slices.BinarySearchFunc(deg, k, func(d, k int) int { return k - d }) // deg is descending
		for n < len(deg) && deg[n] >= k {
			n++
		}
		return n
	}
	r1 := float64(atLeast(10)) / float64(atLeast(100))
	r2 := float64(atLeast(100)) / float64(atLeast(1000))
	t.Logf("addresses with degree >= 10, 100, 1000: %d %d %d", atLeast(10), atLeast(100), atLeast(1000))
	if r1 < 3 || r2 < 3 || r1/r2 > 3 || r2/r1 > 3 {
		t.Errorf("tail counts fall by %.1f then %.1f per decade of degree: not a straight power-law tail", r1, r2)
	}
}

func TestAccountGraphPowerLaw(t *testing.T) {
	g := NewAccountGraph(GraphConfig{Transfers: 300_000, Seed: 1}, 0)
	checkPowerLaw(t, degrees(t, g.Config().Addresses, g.Next))
}

func TestUTXOGraphPowerLaw(t *testing.T) {
	g := NewUTXOGraph(GraphConfig{Transfers: 100_000, Seed: 1}, 0)
	checkPowerLaw(t, degrees(t, g.Config().Addresses, g.Next))
}
