package risk

import (
	"context"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/ingest/eth"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/store"
)

// The deposit-reuse case on the in-process go-ethereum node: a thief
// pays one of a customer's two accounts; the customer pays its exchange
// deposit address from both, and the exchange sweeps it. The clustering
// (deposit-address reuse) puts the two accounts in one entity: the one
// the thief never paid is clean, its entity is not.
func TestEntityExposureDepositReuse(t *testing.T) {
	ctx := context.Background()
	n, err := scenario.NewNode(scenario.NodeConfig{Accounts: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	const hot, deposit, acct1, acct2, payer, thief = 0, 1, 5, 6, 14, 15
	milli := func(m int64) *big.Int { return new(big.Int).Mul(big.NewInt(m), big.NewInt(1e15)) }
	pay := func(from, to int, m int64) {
		t.Helper()
		a := n.Address(to)
		if _, err := n.Send(ctx, from, &a, milli(m), nil, 21_000); err != nil {
			t.Fatal(err)
		}
	}
	commit := func() {
		t.Helper()
		if _, err := n.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ist, err := intel.Open(filepath.Join(dir, "intel"), false)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(filepath.Join(dir, "risk"), false)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := cluster.Open(filepath.Join(dir, "cluster-eth"), chain.Ethereum, cluster.Options{Deposit: cluster.DefaultConfig().Deposit}, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close(); db.Close(); ist.Close(); st.Close() })
	w := &world{t: t, st: st, ist: ist, db: db, pol: DefaultPolicy(), clusters: map[chain.Chain]*cluster.DB{chain.Ethereum: cl}}
	ingest := func() {
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
			t.Fatal(err)
		}
		if err := cl.Update(ctx, st, nil); err != nil {
			t.Fatal(err)
		}
	}
	pay(thief, acct2, 50_000_000) // 50,000 ether
	pay(payer, acct1, 20_000_000)
	commit()
	ingest()
	net, _, _ := st.Network(chain.Ethereum)
	acct := func(i int) string { return net.CAIP2 + ":" + strings.ToLower(n.Address(i).Hex()) }
	imp := intel.Import{Source: "hack", Kind: "test", File: "hack"}
	imp.Tags = append(imp.Tags, intel.Tag{Subject: intel.Subject(acct(thief)), Label: "thief", Category: "service_hack", Source: "test"})
	if _, err := ist.Apply(imp); err != nil {
		t.Fatal(err)
	}
	w.update(db, false)
	screen := func(i int) *Result {
		t.Helper()
		r, err := w.screener(db).Screen(acct(i), "", Options{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := screen(acct1); r.Entity != nil || r.Severity != None {
		t.Fatalf("account 1 before it shares a deposit address: %+v", r)
	}
	// the customer deposits from both accounts; the exchange sweeps
	pay(acct1, deposit, 1500)
	pay(acct2, deposit, 700)
	commit()
	pay(deposit, hot, 2199)
	commit()
	ingest()
	if cl.Clusterer().Counts.DepositMerges == 0 {
		t.Fatal("the clustering found no deposit reuse")
	}
	w.update(db, false)
	r := screen(acct1)
	e := r.Entity
	if len(r.Indirect) != 0 || e == nil || e.Members != 2 || e.Clustering != "deposit-reuse" || r.Freshness.Stale {
		t.Fatalf("account 1: %+v, entity %+v", r, e)
	}
	// from outside: the genesis allocations (the node prefunds every
	// key), 20,000 ether from the payer, 50,000 from the thief; not the
	// deposits, which leave it
	want := milli(70_000_000)
	for _, i := range []int{acct1, acct2} {
		a, _ := chain.ParseEVMAddress(n.Address(i).Hex())
		for row, err := range st.Transfers(store.Query{Chain: chain.Ethereum, Address: &a, ToBlock: 0, HasToBlock: true}) {
			if err != nil {
				t.Fatal(err)
			}
			if row.To == a && row.Kind != chain.KindFee {
				want.Add(want, row.Amount.ToBig())
			}
		}
	}
	if len(e.Received) != 1 || e.Received[0].Amount != want.String() || len(e.Indirect) != 1 {
		t.Fatalf("entity: %+v, want received %s", e, want)
	}
	x := e.Indirect[0]
	if x.Category != "stolen_funds" || x.Hops != 1 || x.Amounts[0].Amount != milli(50_000_000).String() || x.Severity != High || r.Severity != High {
		t.Fatalf("entity exposure: %+v", x)
	}
	if x.Carriers[0].Member != strings.ToLower(n.Address(acct2).Hex()) || len(x.Path) != 1 || x.Path[0].From != strings.ToLower(n.Address(thief).Hex()) {
		t.Fatalf("carried by %+v along %+v", x.Carriers, x.Path)
	}
	// the deposit address and the hot wallet are the exchange's: no entity
	for _, i := range []int{deposit, hot} {
		if r := screen(i); r.Entity != nil {
			t.Fatalf("key %d: %+v", i, r.Entity)
		}
	}
	fresh, err := Open(filepath.Join(dir, "rebuilt"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	w.update(fresh, true)
	for _, i := range []int{acct1, acct2, deposit, hot, thief, payer} {
		a, err := w.screener(db).Screen(acct(i), "", Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := w.screener(fresh).Screen(acct(i), "", Options{})
		if err != nil {
			t.Fatal(err)
		}
		a.Freshness.Updated, b.Freshness.Updated = "", ""
		if !equalJSON(a, b) {
			t.Fatalf("key %d: incremental %+v\nrebuilt %+v", i, a, b)
		}
	}
}
