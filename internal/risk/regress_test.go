package risk

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

func rebuiltScreen(t *testing.T, w *world, n int, dir string) (*Result, *Result) {
	t.Helper()
	fresh, err := Open(filepath.Join(t.TempDir(), "risk"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fresh.Close() })
	w.update(fresh, true)
	a, b := w.screen(w.screener(w.db), n, dir), w.screen(w.screener(fresh), n, dir)
	a.Freshness.Updated, b.Freshness.Updated = "", ""
	return a, b
}

// A seed tagged before it first transacts is skipped by the first build
// (addressKnown) and never seeded by later resumes: its fingerprint does
// not change.
func TestRegressSeedAppearsLater(t *testing.T) {
	w := newWorld(t)
	w.block(xfer{0, 5, 100})
	w.tag("hack", map[int]string{1: "service_hack"}) // address 1 not on chain yet
	w.update(w.db, false)
	w.block(xfer{0, 1, 1000})
	w.block(xfer{1, 2, 100})
	w.update(w.db, false)
	a, b := rebuiltScreen(t, w, 2, "in")
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("incremental %+v\nrebuilt     %+v", a.Indirect, b.Indirect)
	}
}

// The explaining path of X: A's record explains A at hop 1 with a flow
// that came after A paid X (block 5 vs 4), and skips hop 2.
func TestRegressPathGoesBackInTime(t *testing.T) {
	w := newWorld(t)
	const T, B, A, X = 1, 2, 3, 4
	w.block(xfer{0, T, 1000}, xfer{0, A, 1000})
	w.block(xfer{T, B, 100})
	w.block(xfer{B, A, 100})
	w.block(xfer{A, X, 500})
	w.block(xfer{T, A, 100})
	w.tag("hack", map[int]string{T: "service_hack"})
	w.update(w.db, false)
	r := w.screen(w.screener(w.db), X, "in")
	if len(r.Indirect) != 1 {
		t.Fatalf("%+v", r.Indirect)
	}
	p := r.Indirect[0].Path
	for i := 1; i < len(p); i++ {
		if p[i].Block < p[i-1].Block || p[i].Hop != p[i-1].Hop+1 {
			t.Fatalf("path not causal: %+v", p)
		}
	}
}

// A self-transfer counts in the totals, not in the exposure: sending
// funds to oneself dilutes the share at will.
func TestRegressSelfTransferDilutes(t *testing.T) {
	w := newWorld(t)
	w.block(xfer{0, 1, 1000})
	w.block(xfer{1, 2, 100})
	w.tag("hack", map[int]string{1: "service_hack"})
	w.update(w.db, false)
	before := w.screen(w.screener(w.db), 2, "in")
	for range 20 {
		w.block(xfer{2, 2, 100})
	}
	w.update(w.db, false)
	after := w.screen(w.screener(w.db), 2, "in")
	if before.Severity != after.Severity || after.Indirect[0].Share != before.Indirect[0].Share {
		t.Fatalf("self-transfers changed the screen: %s %v -> %s %v (total %s)", before.Severity, before.Indirect[0].Share, after.Severity, after.Indirect[0].Share, after.Indirect[0].Amounts[0].Total)
	}
}

// The chain store rolled back below the exposure's block: a screen with
// the exposure as it is (screen --no-update) must not say it is fresh.
func TestRegressRollbackNotStale(t *testing.T) {
	w := newWorld(t)
	w.block(xfer{0, 1, 1000})
	w.block(xfer{1, 2, 100})
	w.block(xfer{2, 3, 100})
	w.tag("hack", map[int]string{1: "service_hack"})
	w.update(w.db, false)
	if err := w.st.Rollback(chain.Ethereum, 2); err != nil {
		t.Fatal(err)
	}
	r := w.screen(w.screener(w.db), 3, "in")
	if !r.Freshness.Stale {
		t.Fatalf("exposure at %d, store at %d, stale=%v, indirect %+v", r.Freshness.ExposureBlock, r.Freshness.IndexedBlock, r.Freshness.Stale, r.Indirect)
	}
}

// Tags imported after the last update: the exposure ignores the new seed,
// and a screen from the store as it is says nothing.
func TestRegressNewTagsNotStale(t *testing.T) {
	w := newWorld(t)
	w.block(xfer{0, 1, 1000})
	w.block(xfer{1, 2, 100})
	w.update(w.db, false)
	w.tag("hack", map[int]string{1: "service_hack"})
	r := w.screen(w.screener(w.db), 2, "in")
	if len(r.Indirect) == 0 && !r.Freshness.Stale {
		t.Fatalf("new seed not in the exposure, yet not stale: %+v", r.Freshness)
	}
}

// Out: taint counted at every category address it passes through: 60 of
// 100 sent to one sanctioned address, which forwards it to another, reads
// as 120 of 100.
func TestRegressOutboundCountsTwice(t *testing.T) {
	w := newWorld(t)
	const A, S1, S2 = 1, 2, 3
	w.block(xfer{0, A, 100})
	w.block(xfer{A, S1, 60})
	w.block(xfer{S1, S2, 60})
	w.tag("sdn", map[int]string{S1: "sanction", S2: "sanction"})
	w.update(w.db, false)
	r := w.screen(w.screener(w.db), A, "out")
	if len(r.Indirect) != 1 {
		t.Fatalf("%+v", r.Indirect)
	}
	e := r.Indirect[0]
	if e.Share > 0.6 || e.EffectiveShare > 0.6 {
		t.Fatalf("sent 60 of 100 to sanctions; share %v effective %v amounts %+v", e.Share, e.EffectiveShare, e.Amounts)
	}
	if want := "indirect (out): 60% of what it sent went to sanctions, first at hop 1 (of at most 3)"; len(r.Reasons) != 1 || r.Reasons[0] != want {
		t.Fatalf("reasons %q, want %q", r.Reasons, want)
	}
}

func TestRegressReorgAndDelistRelist(t *testing.T) {
	w := newWorld(t)
	w.block(xfer{0, 1, 1000}, xfer{0, 5, 1000})
	w.block(xfer{1, 2, 100})
	w.tag("hack", map[int]string{1: "service_hack"})
	w.update(w.db, false)
	// reorg block 2 away: a different block 2 and 3
	if err := w.st.Rollback(chain.Ethereum, 1); err != nil {
		t.Fatal(err)
	}
	w.height = 1
	w.salt = 1
	w.parent = chain.Hash{}
	w.parent[0], w.parent[31] = 1, 1
	w.block(xfer{1, 3, 200})
	w.block(xfer{3, 4, 50})
	w.update(w.db, false)
	a, b := rebuiltScreen(t, w, 2, "in")
	if !reflect.DeepEqual(a, b) || len(a.Indirect) != 0 {
		t.Fatalf("after reorg: %+v\n%+v", a.Indirect, b.Indirect)
	}
	// delist, then list again
	w.tag("hack", map[int]string{5: "service_hack"})
	w.update(w.db, false)
	w.block(xfer{1, 4, 10})
	w.tag("hack", map[int]string{1: "service_hack"})
	w.update(w.db, false)
	for n := 1; n <= 5; n++ {
		a, b := rebuiltScreen(t, w, n, "in")
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("addr %d: %+v\n%+v", n, a.Indirect, b.Indirect)
		}
	}
}

// An update interrupted half way (its marker left behind) is followed by
// a rebuild; a change of the policy's hops rebuilds too; and so does a
// change of the services the traces stop at.
func TestUpdateRebuildsWhenItMust(t *testing.T) {
	w := newWorld(t)
	w.block(xfer{0, 1, 1000})
	w.block(xfer{1, 2, 100}, xfer{2, 3, 50})
	w.tag("hack", map[int]string{1: "service_hack"})
	w.update(w.db, false)
	rebuilt := func(why string) {
		t.Helper()
		rep, err := w.db.Update(context.Background(), w.inputs())
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Chains) != 1 || !rep.Chains[0].Rebuilt || !strings.Contains(rep.Chains[0].Reason, why) {
			t.Fatalf("want a rebuild (%s): %+v", why, rep.Chains)
		}
	}
	if err := w.db.db.Set([]byte(kDirty), nil, nil); err != nil {
		t.Fatal(err)
	}
	rebuilt("first build") // the interrupted update's leftovers are dropped first
	w.pol.MaxHops = 2
	rebuilt("policy")
	w.tag("ex", map[int]string{3: "exchange"})
	rebuilt("services")
	rep, err := w.db.Update(context.Background(), w.inputs())
	if err != nil || rep.Chains[0].Rebuilt || len(rep.Chains[0].Retraced) != 0 {
		t.Fatalf("nothing changed, yet %+v %v", rep.Chains, err)
	}
	a, b := rebuiltScreen(t, w, 3, "in")
	if !reflect.DeepEqual(a, b) || len(a.Indirect) != 1 {
		t.Fatalf("%+v\n%+v", a.Indirect, b.Indirect)
	}
}
