package cluster_test

import (
	"context"
	"maps"
	"math/big"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/ingest/eth"
	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/store"
)

// exchangeScript plays an exchange on the in-process node: key 0 is its
// hot wallet, keys 1-4 deposit addresses (one per customer) that sweep
// what they receive, less a little, to the hot wallet. Customers A (keys
// 5-7), B (8-9) and C (10-12) pay their deposit address from several
// accounts each; D (13) has one account. Besides: the hot wallet pays
// withdrawals (one of which a customer deposits again in full, as later a
// payment from E), and A pays B directly.
type exchangeScript struct {
	t   *testing.T
	ctx context.Context
	n   *scenario.Node
}

const wei = 1_000_000_000_000_000 // milli-ether

func (s *exchangeScript) pay(from, to int, milli int64) {
	s.t.Helper()
	a := s.n.Address(to)
	if _, err := s.n.Send(s.ctx, from, &a, new(big.Int).Mul(big.NewInt(milli), big.NewInt(wei)), nil, 21_000); err != nil {
		s.t.Fatal(err)
	}
}

func (s *exchangeScript) commit() {
	s.t.Helper()
	if _, err := s.n.Commit(); err != nil {
		s.t.Fatal(err)
	}
}

// sweep forwards a deposit address's takings, less 1 milli-ether (its gas,
// as exchanges deduct it), to the hot wallet.
func (s *exchangeScript) sweep(dep int, milli int64) { s.pay(dep, 0, milli-1) }

// owners is the ground truth: the customer of each account key.
var owners = map[int]string{5: "A", 6: "A", 7: "A", 8: "B", 9: "B", 10: "C", 11: "C", 12: "C", 13: "D", 14: "E"}

func (s *exchangeScript) rounds() []func() {
	return []func(){
		func() {
			s.pay(5, 1, 1000)
			s.pay(8, 2, 2000)
			s.pay(10, 3, 500)
			s.commit()
			s.sweep(1, 1000)
			s.sweep(2, 2000)
			s.sweep(3, 500)
			s.commit()
		},
		func() {
			s.pay(0, 9, 5000) // a withdrawal to B
			s.pay(6, 1, 1500)
			s.pay(7, 1, 700)
			s.commit()
			s.pay(9, 2, 3000) // B deposits part of it
			s.pay(11, 3, 1000)
			s.pay(0, 13, 1000) // a withdrawal to D...
			s.commit()
			s.pay(13, 4, 1000) // ...deposited again in full
			s.sweep(1, 2200)
			s.sweep(2, 3000)
			s.commit()
			s.sweep(3, 1000)
			s.sweep(4, 1000)
			s.commit()
		},
		func() {
			s.pay(12, 3, 200)
			s.pay(5, 8, 300) // A pays B directly
			s.commit()
			s.sweep(3, 200)
			s.commit()
		},
		func() {
			// E pays D, who forwards it in full to its deposit address as
			// it did the withdrawal: D's account looks like a deposit
			// address again, now with E as depositor. The hot wallet,
			// which paid D the first time, is no customer: E must not
			// join it.
			s.pay(14, 13, 400)
			s.commit()
			s.pay(13, 4, 400)
			s.commit()
			s.sweep(4, 400)
			s.commit()
		},
	}
}

// TestDepositReuseOnNode: clustering the node's chain by deposit-address
// reuse links exactly the ground-truth customers' accounts (pairwise
// precision and recall 1), block by block as in a rebuild.
func TestDepositReuseOnNode(t *testing.T) {
	ctx := context.Background()
	n, err := scenario.NewNode(scenario.NodeConfig{Accounts: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ingestNode := func() {
		t.Helper()
		f, err := eth.NewFetcher(eth.NewClient(n.URL(), eth.ClientOptions{}), eth.FetchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Detect(ctx, 1); err != nil {
			t.Fatal(err)
		}
		ing, err := eth.NewIngester(f, st, eth.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ing.Run(ctx); err != nil {
			t.Fatalf("ingest: %v", err)
		}
	}
	opts := cluster.Options{Deposit: cluster.DefaultConfig().Deposit}
	incDir := filepath.Join(t.TempDir(), "inc")
	inc, err := cluster.Open(incDir, chain.Ethereum, opts, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { inc.Close() }()
	s := &exchangeScript{t: t, ctx: ctx, n: n}
	var afterFirst uint64 // the store's cursor after the first round
	for i, round := range s.rounds() {
		round()
		ingestNode()
		if err := inc.Update(ctx, st, nil); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			cur, _, err := st.Cursor(chain.Ethereum)
			if err != nil {
				t.Fatal(err)
			}
			afterFirst = cur.Height
		}
		if i == 0 {
			// reopened: the deposit anchors come from disk, the receipts
			// of the window from the store
			inc.Close()
			if inc, err = cluster.Open(incDir, chain.Ethereum, opts, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	// rebuilt compares inc with a clustering rebuilt from the store:
	// counts, every id's entity, deposit anchors and hot wallets.
	rebuilt := func(what string) *cluster.DB {
		t.Helper()
		full, err := cluster.Create(filepath.Join(t.TempDir(), "full"), chain.Ethereum, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { full.Close() })
		if err := full.Build(ctx, st, nil); err != nil {
			t.Fatal(err)
		}
		if inc.Clusterer().Counts != full.Clusterer().Counts {
			t.Fatalf("%s: counts %+v, rebuilt %+v", what, inc.Clusterer().Counts, full.Clusterer().Counts)
		}
		n := max(inc.Clusterer().Forest.Len(), full.Clusterer().Forest.Len())
		for i := uint64(1); i < uint64(n); i++ {
			if a, b := inc.Clusterer().EntityOf(i), full.Clusterer().EntityOf(i); a != b {
				t.Fatalf("%s: id %d: entity %d, rebuilt %d", what, i, a, b)
			}
		}
		ia, ih := inc.DepositState()
		fa, fh := full.DepositState()
		if !maps.Equal(ia, fa) || !maps.EqualFunc(ih, fh, slices.Equal) {
			t.Fatalf("%s: anchors %v, hot wallets %v; rebuilt %v, %v", what, ia, ih, fa, fh)
		}
		return full
	}
	// Reorg: the store rolls back to the first round's end and takes the
	// other rounds back; the clustering follows, and equals a rebuild at
	// each step.
	if err := st.Rollback(chain.Ethereum, afterFirst); err != nil {
		t.Fatal(err)
	}
	if err := inc.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	rebuilt("after a rollback")
	ingestNode()
	if err := inc.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	full := rebuilt("after the blocks came back")
	entity := map[int]uint64{}
	for k := 0; k <= 14; k++ {
		id, ok, err := st.AddressID(chain.EVMAddress(n.Address(k)))
		if err != nil || !ok {
			t.Fatalf("account %d (%s) not in the store: %v", k, n.Address(k), err)
		}
		entity[k] = inc.Clusterer().EntityOf(id)
		if e := full.Clusterer().EntityOf(id); e != entity[k] {
			t.Fatalf("account %d: entity %d, rebuilt %d", k, entity[k], e)
		}
	}
	var predicted, actual, correct int
	for a := 0; a <= 14; a++ {
		for b := a + 1; b <= 14; b++ {
			same := entity[a] == entity[b]
			truth := owners[a] != "" && owners[a] == owners[b]
			if same {
				predicted++
			}
			if truth {
				actual++
			}
			if same && truth {
				correct++
			}
		}
	}
	k := inc.Clusterer().Counts
	t.Logf("deposit reuse: %d forwards, %d merges; pairwise precision %d/%d, recall %d/%d", k.DepositForwards, k.DepositMerges, correct, predicted, correct, actual)
	if predicted != correct || correct != actual || actual != 3+1+3 {
		t.Fatalf("entities %v: precision %d/%d, recall %d/%d", entity, correct, predicted, correct, actual)
	}
	if k.DepositForwards < 8 {
		t.Fatalf("only %d forwards found", k.DepositForwards)
	}
}

// TestDepositPrimeWindowEdge: a database reopened just before a sweep
// whose receipt lies exactly window_blocks back primes its detector with
// that receipt, so the update finds the sweep as a rebuild does.
func TestDepositPrimeWindowEdge(t *testing.T) {
	ctx := context.Background()
	n, err := scenario.NewNode(scenario.NodeConfig{Accounts: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ingestNode := func() {
		t.Helper()
		f, err := eth.NewFetcher(eth.NewClient(n.URL(), eth.ClientOptions{}), eth.FetchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Detect(ctx, 1); err != nil {
			t.Fatal(err)
		}
		ing, err := eth.NewIngester(f, st, eth.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ing.Run(ctx); err != nil {
			t.Fatalf("ingest: %v", err)
		}
	}
	opts := cluster.Options{Deposit: cluster.DefaultConfig().Deposit}
	opts.Deposit.WindowBlocks = 3
	s := &exchangeScript{t: t, ctx: ctx, n: n}
	// Filler blocks first, so that the window does not reach back to the
	// store's first block (where priming would start anyway).
	for range 5 {
		s.commit()
	}
	s.pay(2, 1, 1000) // block r: the receipt
	s.commit()
	s.pay(3, 1, 500) // blocks r+1, r+2: another depositor
	s.commit()
	s.commit()
	ingestNode()
	dir := filepath.Join(t.TempDir(), "inc")
	inc, err := cluster.Open(dir, chain.Ethereum, opts, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := inc.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	inc.Close()
	s.sweep(1, 1500) // block r+3: exactly window_blocks after the receipt
	s.commit()
	ingestNode()
	if inc, err = cluster.Open(dir, chain.Ethereum, opts, false); err != nil {
		t.Fatal(err)
	}
	defer inc.Close()
	if err := inc.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	full, err := cluster.Create(filepath.Join(t.TempDir(), "full"), chain.Ethereum, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	if err := full.Build(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	k := inc.Clusterer().Counts
	if k != full.Clusterer().Counts || k.DepositForwards != 1 || k.DepositMerges != 1 {
		t.Fatalf("counts %+v, rebuilt %+v; want the one sweep and its merge", k, full.Clusterer().Counts)
	}
}
