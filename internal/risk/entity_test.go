package risk

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"iter"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/cockroachdb/pebble/v2"
)

// clustered gives the world a co-spend clustering of its Bitcoin chain
// (internal/cluster, in its own database), which the exposure follows.
func (u *utxoWorld) clustered() *cluster.DB {
	u.t.Helper()
	db, err := cluster.Open(filepath.Join(u.t.TempDir(), "cluster"), chain.Bitcoin, cluster.Options{}, false)
	if err != nil {
		u.t.Fatal(err)
	}
	u.t.Cleanup(func() { db.Close() })
	u.clusters = map[chain.Chain]*cluster.DB{chain.Bitcoin: db}
	return db
}

// clusterUpdate clusters the blocks stored since.
func (u *utxoWorld) clusterUpdate() {
	u.t.Helper()
	if err := u.clusters[chain.Bitcoin].Update(context.Background(), u.st, nil); err != nil {
		u.t.Fatal(err)
	}
}

func (u *utxoWorld) screenU(s *Screener, n int) *Result {
	u.t.Helper()
	r, err := s.Screen(btcCAIP2+":"+uaddr(n).Raw, "", Options{})
	if err != nil {
		u.t.Fatal(err)
	}
	return r
}

// entityDump is every entity's figures, by entity id (handles differ
// between a store kept up to date and one rebuilt).
type entityDump struct {
	Rec     entityRec
	Members []string
	Cats    map[string]entCatRec
	Parts   map[string]map[string][]assetHops
}

func dumpEntities(t testing.TB, d *DB, caip2 string, cats []string) map[uint64]entityDump {
	t.Helper()
	out := map[uint64]entityDump{}
	lo := chainFamilyPrefix(pEntity, caip2, "")
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	members := 0
	for it.First(); it.Valid(); it.Next() {
		handle := binary.BigEndian.Uint64(it.Key()[len(lo):])
		var e entityDump
		if err := json.Unmarshal(it.Value(), &e.Rec); err != nil {
			t.Fatal(err)
		}
		o := &entOps{d: d, r: d.db, caip2: caip2, maxHops: DefaultPolicy().MaxHops}
		ms, err := o.members(handle)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			e.Members = append(e.Members, m.addr)
			if h, err := o.memberOf(m.addr); err != nil || h != handle {
				t.Fatalf("member %s of %d: its entry names %d (%v)", m.addr, handle, h, err)
			}
		}
		members += len(ms)
		if uint64(len(ms)) != e.Rec.Members {
			t.Fatalf("entity %d (handle %d) counts %d members, lists %v", e.Rec.ID, handle, e.Rec.Members, e.Members)
		}
		e.Cats, e.Parts = map[string]entCatRec{}, map[string]map[string][]assetHops{}
		for _, cat := range cats {
			var cr entCatRec
			if ok, err := d.getJSON(entCatKey(caip2, cat, handle), &cr); err != nil {
				t.Fatal(err)
			} else if ok {
				e.Cats[cat] = cr
			}
			parts, err := o.parts(cat, handle)
			if err != nil {
				t.Fatal(err)
			}
			if len(parts) > 0 {
				e.Parts[cat] = map[string][]assetHops{}
				for m, p := range parts {
					e.Parts[cat][m] = p.encode()
				}
			}
		}
		if _, dup := out[e.Rec.ID]; dup {
			t.Fatalf("two records of entity %d", e.Rec.ID)
		}
		out[e.Rec.ID] = e
	}
	// no member entry without its entity
	glo := chainFamilyPrefix(pMember, caip2, "")
	git, err := d.db.NewIter(&pebble.IterOptions{LowerBound: glo, UpperBound: prefixEnd(glo)})
	if err != nil {
		t.Fatal(err)
	}
	defer git.Close()
	n := 0
	for git.First(); git.Valid(); git.Next() {
		n++
	}
	if n != members {
		t.Fatalf("%d member entries, %d members listed by the entities", n, members)
	}
	return out
}

func catNames(p Policy) []string {
	var out []string
	for _, c := range p.Categories {
		out = append(out, c.Name)
	}
	return out
}

// sameAsRebuilt checks that the world's exposure store, kept up to date,
// holds what a rebuild from scratch holds: every address's screen, and
// every entity's figures; with the entities computed in one pass over
// the chain, and one by one from their members' histories.
func (u *utxoWorld) sameAsRebuilt(what string, addrs int) {
	u.t.Helper()
	u.sameAsRebuiltWith(what+" (one pass)", addrs)
	defer func(v uint64) { fullScanMax = v }(fullScanMax)
	fullScanMax = 0
	u.sameAsRebuiltWith(what+" (entity by entity)", addrs)
}

func (u *utxoWorld) sameAsRebuiltWith(what string, addrs int) {
	u.t.Helper()
	fresh, err := Open(filepath.Join(u.t.TempDir(), "rebuilt"), false)
	if err != nil {
		u.t.Fatal(err)
	}
	defer fresh.Close()
	u.update(fresh, true)
	inc, reb := u.screener(u.db), u.screener(fresh)
	for n := 1; n <= addrs; n++ {
		a, b := u.screenU(inc, n), u.screenU(reb, n)
		a.Freshness.Updated, b.Freshness.Updated = "", ""
		if !reflect.DeepEqual(a, b) {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			u.t.Fatalf("%s: u%d:\nincremental %s\nrebuilt     %s", what, n, ja, jb)
		}
	}
	if a, b := dumpEntities(u.t, u.db, btcCAIP2, catNames(u.pol)), dumpEntities(u.t, fresh, btcCAIP2, catNames(u.pol)); !reflect.DeepEqual(a, b) {
		u.t.Fatalf("%s: entity figures:\nincremental %+v\nrebuilt     %+v", what, a, b)
	}
}

// The co-spend case: S, a stolen-funds seed, pays P; P and A then spend
// together (one owner). A received nothing from S: as an address it is
// clean, but its entity received a sixth of its funds from S.
func TestEntityExposureCoSpend(t *testing.T) {
	u := newUTXOWorld(t)
	u.clustered()
	const S, P, A, Y, X = 1, 2, 3, 4, 9
	u.tagBTC("hack", map[int]string{S: "service_hack"})
	b1 := u.handBlock(S)                                                                                                            // S mines 5000
	b2 := u.handBlock(A, utx{ins: b1[0], outs: []chain.Output{{Address: uaddr(P), Value: 1000}, {Address: uaddr(S), Value: 3900}}}) // A mines 5000; S pays P 1000
	u.clusterUpdate()
	u.update(u.db, false)
	if r := u.screenU(u.screener(u.db), A); r.Entity != nil || r.Severity != None {
		t.Fatalf("A before the co-spend: %+v", r)
	}
	// P and A spend together, and the exposure is updated before the
	// clustering has seen it: the merge arrives afterwards.
	u.handBlock(X, utx{ins: []utxoCoin{b2[1][0], b2[0][0]}, outs: []chain.Output{{Address: uaddr(Y), Value: 5900}}})
	u.update(u.db, false)
	if r := u.screenU(u.screener(u.db), A); r.Entity != nil || r.Freshness.Stale {
		t.Fatalf("A before the clustering took the co-spend: %+v", r)
	}
	u.clusterUpdate()
	if r := u.screenU(u.screener(u.db), A); !r.Freshness.Stale || !strings.Contains(r.Freshness.StaleReason, "clustering") {
		t.Fatalf("the clustering moved, the figures did not: %+v", r.Freshness)
	}
	u.update(u.db, false)
	r := u.screenU(u.screener(u.db), A)
	pid, _, _ := u.st.AddressID(uaddr(P))
	aid, _, _ := u.st.AddressID(uaddr(A))
	e := r.Entity
	if r.Freshness.Stale || e == nil || e.ID != min(pid, aid) || e.Members != 2 || e.Clustering != "co-spend" || e.ClusteredBlock != 3 || !e.Graded {
		t.Fatalf("A's entity: %+v (fresh: %+v)", e, r.Freshness)
	}
	if len(r.Indirect) != 0 || len(r.Direct) != 0 {
		t.Fatalf("A itself is clean: %+v", r)
	}
	// received from outside: P's 1000 from S, A's 5000 mined
	if len(e.Received) != 1 || e.Received[0].Amount != "6000" || len(e.Indirect) != 1 {
		t.Fatalf("A's entity: %+v", e)
	}
	x := e.Indirect[0]
	if x.Category != "stolen_funds" || x.Hops != 1 || x.Amounts[0].Amount != "1000" || x.Amounts[0].Total != "6000" || x.Severity != High {
		t.Fatalf("entity exposure: %+v", x)
	}
	if len(x.Carriers) != 1 || x.Carriers[0].Member != uaddr(P).Raw || x.Carriers[0].Amount != "1000" {
		t.Fatalf("carriers: %+v", x.Carriers)
	}
	if len(x.Path) != 1 || x.Path[0].From != uaddr(S).Raw || x.Path[0].To != uaddr(P).Raw || !strings.Contains(x.Explanation, "member "+uaddr(P).Raw) ||
		!strings.Contains(x.Explanation, "enters the entity at hop 1") {
		t.Fatalf("path %+v, explanation %q", x.Path, x.Explanation)
	}
	if r.Severity != High || r.Score < 70 || !strings.Contains(r.Reasons[0], "entity") || !strings.Contains(r.Reasons[0], "stolen_funds") {
		t.Fatalf("A graded on its entity: %s %d %v", r.Severity, r.Score, r.Reasons)
	}
	// reported, not graded
	rep := u.pol
	rep.EntityExposure = EntityReport
	s, err := NewScreener(u.db, u.st, u.screener(u.db).Index, u.ist, rep)
	if err != nil {
		t.Fatal(err)
	}
	if r := u.screenU(s, A); r.Severity != None || r.Score != 0 || r.Entity == nil || r.Entity.Graded || r.Entity.Severity != High || !strings.Contains(r.Reasons[0], "not graded") {
		t.Fatalf("A with entity exposure reported: %+v", r)
	}
	u.sameAsRebuilt("after the merge", 9)

	// Within the entity: S pays P again; P pays A. What moves inside the
	// entity neither adds to what it received nor to its exposure.
	b4 := u.handBlock(A, utx{ins: b2[1][1:2], outs: []chain.Output{{Address: uaddr(P), Value: 1000}, {Address: uaddr(S), Value: 2800}}})
	u.handBlock(X, utx{ins: b4[1][:1], outs: []chain.Output{{Address: uaddr(A), Value: 900}}})
	u.clusterUpdate()
	u.update(u.db, false)
	r = u.screenU(u.screener(u.db), A)
	e = r.Entity
	if e == nil || e.Members != 2 || e.Received[0].Amount != "12000" || len(e.Indirect) != 1 || e.Indirect[0].Amounts[0].Amount != "2000" ||
		e.Indirect[0].Amounts[0].ByHop[1] != "0" || e.Indirect[0].Carriers[0].Amount != "2000" {
		t.Fatalf("after the internal payment: %+v", e)
	}
	// A itself now received from P, at hop 2: its own figures count it
	if len(r.Indirect) != 1 || r.Indirect[0].Hops != 2 || r.Indirect[0].Amounts[0].Amount != "900" || r.Indirect[0].Amounts[0].Total != "10900" {
		t.Fatalf("A's own exposure: %+v", r.Indirect)
	}
	// every member shows the same entity; fewer hops, fewer of them
	s2 := u.screener(u.db)
	if p := u.screenU(s2, P); !equalJSON(p.Entity, e) {
		t.Fatalf("P's entity %+v, A's %+v", p.Entity, e)
	}
	one, err := s2.Screen(btcCAIP2+":"+uaddr(A).Raw, "", Options{MaxHops: 1})
	if err != nil {
		t.Fatal(err)
	}
	if x := one.Entity.Indirect[0].Amounts[0]; len(x.ByHop) != 1 || x.Amount != "2000" || len(one.Indirect) != 0 {
		t.Fatalf("one hop: %+v, A's own %+v", one.Entity.Indirect, one.Indirect)
	}
	// Y, paid by the entity, is in no entity
	if r := u.screenU(u.screener(u.db), Y); r.Entity != nil || len(r.Indirect) != 1 {
		t.Fatalf("Y: %+v", r)
	}
	u.sameAsRebuilt("after the internal payment", 9)
}

// lagging is the chain store as an update sees it when blocks arrive
// while it runs: its cursor stays at block to.
type lagging struct {
	*store.DB
	to uint64
}

func (l lagging) Cursor(c chain.Chain) (store.Cursor, bool, error) {
	h, ok, err := l.DB.BlockHash(c, l.to)
	return store.Cursor{Height: l.to, Hash: h}, ok, err
}

func (l lagging) Transfers(q store.Query) iter.Seq2[store.Row, error] {
	if !q.HasToBlock || q.ToBlock > l.to {
		q.ToBlock, q.HasToBlock = l.to, true
	}
	return l.DB.Transfers(q)
}

// A reorg that takes a merge back. When the exposure covers the
// reorganised blocks it is rebuilt whole; when only the clustering had
// taken them (blocks that arrived while the exposure was updated), the
// entities the dropped merges made are computed again, and the new
// branch's merges are taken in: both as a rebuild has them.
func TestEntityReorgRollsMergeBack(t *testing.T) {
	const S, P, A, Y, X, Z = 1, 2, 3, 4, 5, 9
	for _, ahead := range []bool{false, true} {
		t.Run(fmt.Sprintf("clustering_ahead=%v", ahead), func(t *testing.T) {
			u := newUTXOWorld(t)
			u.clustered()
			u.tagBTC("hack", map[int]string{S: "service_hack"})
			b1 := u.handBlock(S)
			b2 := u.handBlock(A, utx{ins: b1[0], outs: []chain.Output{{Address: uaddr(P), Value: 1000}, {Address: uaddr(S), Value: 3900}}})
			u.clusterUpdate()
			u.update(u.db, false)
			fork, _, _ := u.st.BlockHash(chain.Bitcoin, 2)
			// block 3: P and A spend together
			u.handBlock(Z, utx{ins: []utxoCoin{b2[1][0], b2[0][0]}, outs: []chain.Output{{Address: uaddr(Y), Value: 5900}}})
			u.handBlock(Z)
			u.clusterUpdate()
			if ahead {
				u.src = lagging{u.st, 2} // the exposure takes the merge, not yet its block
			}
			u.update(u.db, false)
			u.src = nil
			if r := u.screenU(u.screener(u.db), A); r.Entity == nil || r.Entity.Members != 2 || len(r.Entity.Indirect) != 1 {
				t.Fatalf("A in P's entity: %+v", r.Entity)
			}
			// the reorg: block 3 never had the co-spend; A spends with X
			if err := u.st.Rollback(chain.Bitcoin, 2); err != nil {
				t.Fatal(err)
			}
			u.n, u.parent, u.salt = 2, fork, 1
			b3 := u.handBlock(X)
			u.handBlock(Z, utx{ins: []utxoCoin{b2[0][0], b3[0][0]}, outs: []chain.Output{{Address: uaddr(Y), Value: 9900}}})
			u.handBlock(Z)
			u.clusterUpdate()
			rep, err := u.db.Update(context.Background(), u.inputs())
			if err != nil {
				t.Fatal(err)
			}
			// how the figures followed: rebuilt with the chain, or the
			// dropped merges' entities computed again
			if cu := rep.Chains[0]; cu.Rebuilt == ahead || cu.Entities == nil || (ahead && (cu.Entities.How != "rolled-back" || cu.Entities.Recomputed != 1)) {
				t.Fatalf("update after the reorg: %+v %+v", cu, cu.Entities)
			}
			r := u.screenU(u.screener(u.db), A)
			xid, _, _ := u.st.AddressID(uaddr(X))
			aid, _, _ := u.st.AddressID(uaddr(A))
			if r.Freshness.Stale || r.Entity == nil || r.Entity.ID != min(xid, aid) || r.Entity.Members != 2 || len(r.Entity.Indirect) != 0 || r.Entity.Received[0].Amount != "10000" {
				t.Fatalf("A after the reorg: %+v %+v", r.Entity, r.Freshness)
			}
			if r := u.screenU(u.screener(u.db), P); r.Entity != nil {
				t.Fatalf("P after the reorg: %+v", r.Entity)
			}
			u.sameAsRebuilt("after the reorg", 9)
		})
	}
}

// Random UTXO chains, clustered by co-spend, with tags and clustering
// updates at random moments (the clustering sometimes behind, so merges
// arrive after the exposure of their blocks): what the updates keep
// equals a rebuild, screens and entity figures alike.
func TestEntityIncrementalEqualsRebuilt(t *testing.T) {
	merged, exposed := 0, 0
	const addrs = 30
	for g := range 6 {
		rng := rand.New(rand.NewPCG(uint64(g), 11))
		u := newUTXOWorld(t)
		cl := u.clustered()
		for stage := range 6 {
			u.blocks(rng, addrs, 3+rng.IntN(5))
			switch stage {
			case 1:
				u.tagBTC("hack", map[int]string{1 + rng.IntN(addrs): "service_hack"})
			case 3:
				u.tagBTC("sdn", map[int]string{1 + rng.IntN(addrs): "sanction"})
			case 4:
				u.tagBTC("hack", map[int]string{1 + rng.IntN(addrs): "service_hack", 1 + rng.IntN(addrs): "service_hack"})
			}
			if rng.IntN(3) > 0 {
				u.clusterUpdate()
			}
			u.update(u.db, false)
		}
		u.clusterUpdate()
		u.update(u.db, false)
		merged += int(cl.Clusterer().Counts.Merges)
		u.sameAsRebuilt(fmt.Sprintf("graph %d", g), addrs)
		s := u.screener(u.db)
		for n := 1; n <= addrs; n++ {
			if r := u.screenU(s, n); r.Entity != nil {
				exposed += len(r.Entity.Indirect)
			}
		}
	}
	t.Logf("%d merges, %d entity exposures", merged, exposed)
	if merged == 0 || exposed == 0 {
		t.Fatalf("%d merges, %d entity exposures: the test compares nothing", merged, exposed)
	}
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
