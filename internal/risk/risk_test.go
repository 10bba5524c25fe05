package risk

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/trace"
	"github.com/holiman/uint256"
)

const caip2 = "eip155:1"

// world is a chain store, an attribution store and an exposure store in
// one temporary directory.
type world struct {
	t      testing.TB
	st     *store.DB
	ist    *intel.Store
	db     *DB
	height uint64
	parent chain.Hash
	pol    Policy
	salt   byte // varies block hashes, for a reorganisation
	// clusters are the clusterings the exposure follows (entity figures)
	clusters map[chain.Chain]*cluster.DB
	// src, when set, is the chain store as the updates see it
	src Source
}

func newWorld(t testing.TB) *world {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Bind(chain.Ethereum, chain.Network{CAIP2: caip2, Genesis: "test"}); err != nil {
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
	t.Cleanup(func() { db.Close(); ist.Close(); st.Close() })
	return &world{t: t, st: st, ist: ist, db: db, pol: DefaultPolicy()}
}

func addr(n int) chain.Address {
	var b [20]byte
	b[0], b[19] = 0xab, byte(n)
	b[18] = byte(n >> 8)
	return chain.EVMAddress(b)
}

type xfer struct {
	from, to int // 0: minted
	amount   uint64
}

// block stores one block, each transfer its own transaction.
func (w *world) block(xs ...xfer) {
	w.t.Helper()
	w.height++
	b := &chain.Block{Chain: chain.Ethereum, Height: w.height, Parent: w.parent, Time: 1700000000 + int64(w.height)*12}
	b.Hash[0], b.Hash[1] = byte(w.height), byte(w.height>>8)
	b.Hash[31] = 1
	b.Hash[2] = w.salt
	for i, x := range xs {
		var h chain.Hash
		h[0], h[1], h[2] = byte(w.height), byte(i), 7
		b.Txs = append(b.Txs, chain.Tx{Hash: h, Index: uint32(i), Success: true})
		tr := chain.Transfer{Block: w.height, TxIndex: uint32(i), TxHash: h, Kind: chain.KindNative, To: addr(x.to), Asset: chain.NativeAsset, Amount: *uint256.NewInt(x.amount)}
		if x.from != 0 {
			tr.From = addr(x.from)
		}
		b.Transfers = append(b.Transfers, tr)
	}
	if err := w.st.ApplyBlock(b); err != nil {
		w.t.Fatalf("block %d: %v", w.height, err)
	}
	w.parent = b.Hash
}

// tag imports one source's tags: address number -> tag category.
func (w *world) tag(source string, tags map[int]string) {
	w.t.Helper()
	imp := intel.Import{Source: source, Kind: "test", File: source, Date: time.Date(2025, 2, 26, 0, 0, 0, 0, time.UTC)}
	for n, cat := range tags {
		imp.Tags = append(imp.Tags, intel.Tag{Subject: intel.Account(caip2, addr(n).String()), Label: fmt.Sprintf("%s %d", cat, n), Category: cat, Source: "test:" + source, Confidence: "authority_data"})
	}
	if _, err := w.ist.Apply(imp); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) inputs() Inputs {
	ix, err := intel.Load(w.ist)
	if err != nil {
		w.t.Fatal(err)
	}
	var src Source = w.st
	if w.src != nil {
		src = w.src
	}
	return Inputs{Store: src, Intel: w.ist, Index: ix, Policy: w.pol, Clusters: w.clusters}
}

func (w *world) update(db *DB, rebuild bool) {
	w.t.Helper()
	var err error
	if rebuild {
		_, err = db.Rebuild(context.Background(), w.inputs())
	} else {
		_, err = db.Update(context.Background(), w.inputs())
	}
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) screener(db *DB) *Screener {
	in := w.inputs()
	s, err := NewScreener(db, w.st, in.Index, w.ist, w.pol)
	if err != nil {
		w.t.Fatal(err)
	}
	if w.clusters != nil {
		if err := s.SetClusterings(w.clusters); err != nil {
			w.t.Fatal(err)
		}
	}
	return s
}

func (w *world) screen(s *Screener, n int, dir string) *Result {
	w.t.Helper()
	r, err := s.Screen(addr(n).String(), "", Options{Direction: dir})
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// The scenario: a sanctioned address screens severe with its
// reason, a wallet one hop downstream of a stolen-funds seed high with
// the path, an unrelated one none.
func TestScreenScenario(t *testing.T) {
	w := newWorld(t)
	const thief, mule, mule2, sanctioned, clean, exchange = 1, 2, 3, 4, 5, 6
	w.block(xfer{0, thief, 1000}, xfer{0, clean, 500}, xfer{0, sanctioned, 70}, xfer{0, mule, 300})
	w.block(xfer{thief, mule, 100}, xfer{clean, exchange, 50})
	w.block(xfer{mule, mule2, 200}, xfer{sanctioned, clean + 10, 7})
	w.tag("fbi", map[int]string{thief: "service_hack"})
	w.tag("ofac-sdn", map[int]string{sanctioned: "sanction"})
	w.tag("exchanges", map[int]string{exchange: "exchange"})
	w.update(w.db, false)
	s := w.screener(w.db)

	r := w.screen(s, sanctioned, "in")
	if r.Severity != Severe || len(r.Direct) != 1 || r.Direct[0].Category != "sanctions" || r.Direct[0].Origin != "ofac-sdn" || r.Direct[0].ListDate != "2025-02-26" {
		t.Fatalf("sanctioned address: %+v", r)
	}
	r = w.screen(s, mule, "in")
	if r.Severity != High || len(r.Indirect) != 1 {
		t.Fatalf("one hop from the thief: severity %s, %+v", r.Severity, r.Indirect)
	}
	e := r.Indirect[0]
	// 100 of the 400 it received came from the thief: a quarter.
	if e.Category != "stolen_funds" || e.Hops != 1 || e.Share != 0.25 || e.Amounts[0].Amount != "100" || e.Amounts[0].Total != "400" {
		t.Fatalf("exposure: %+v", e)
	}
	if len(e.Path) != 1 || e.Path[0].From != addr(thief).String() || e.Path[0].To != addr(mule).String() || e.Path[0].Block != 2 {
		t.Fatalf("path: %+v", e.Path)
	}
	// two hops: the mule paid 200 of its 400 (a quarter tainted) on: 50.
	r = w.screen(s, mule2, "in")
	if len(r.Indirect) != 1 || r.Indirect[0].Hops != 2 || r.Indirect[0].Amounts[0].ByHop[1] != "50" || len(r.Indirect[0].Path) != 2 {
		t.Fatalf("two hops: %+v", r.Indirect)
	}
	if r.Indirect[0].Severity != High { // 25% at hop 2, halved: 12.5% ≥ 1%
		t.Fatalf("two hops: severity %s", r.Indirect[0].Severity)
	}
	// The reason states the share of what it received and the hop, not
	// the decayed 12.5% as if it were the share; that is said as the
	// weight graded.
	want := "indirect (in): 25% of what it received came from stolen_funds, first at hop 2 (of at most 3); graded on 12.5% after the hop decay"
	if len(r.Reasons) != 1 || r.Reasons[0] != want {
		t.Fatalf("two hops: reasons %q, want %q", r.Reasons, want)
	}
	if r = w.screen(s, mule, "in"); len(r.Reasons) != 1 || r.Reasons[0] != "indirect (in): 25% of what it received came from stolen_funds, first at hop 1 (of at most 3)" {
		t.Fatalf("one hop: reasons %q", r.Reasons)
	}
	r = w.screen(s, clean, "in")
	if r.Severity != None || r.Score != 0 || len(r.Direct)+len(r.Indirect) != 0 {
		t.Fatalf("unrelated address: %+v", r)
	}
	if r.Freshness.IndexedBlock != 3 || r.Freshness.ExposureBlock != 3 || r.Freshness.Stale {
		t.Fatalf("freshness: %+v", r.Freshness)
	}
	// out: the thief's funds reached the exchange? no; the mule's reached mule2 (no category).
	r = w.screen(s, mule, "out")
	if len(r.Indirect) != 0 {
		t.Fatalf("mule out: %+v", r.Indirect)
	}
	// A new block the exposure does not cover yet shows as stale.
	w.block(xfer{mule2, clean, 1})
	r = w.screen(s, clean, "in")
	if !r.Freshness.Stale || r.Freshness.BehindBlocks != 1 {
		t.Fatalf("after a new block: %+v", r.Freshness)
	}
}

func TestScreenRefusesBadInput(t *testing.T) {
	w := newWorld(t)
	w.block(xfer{0, 1, 10})
	w.update(w.db, false)
	s := w.screener(w.db)
	for _, in := range []string{"0x12", "0xZZ8B716B8Aaf21512996dC57EB0615e2383E2f96", "0x098B716B8Aaf21512996dC57EB0615e2383E2f97", "foo:bar:0x098b716b8aaf21512996dc57eb0615e2383e2f96", "", "bip122:000000000019d6689c085ae165831e93:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"} {
		if _, err := s.Screen(in, "", Options{}); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if _, err := s.Screen(addr(1).String(), "", Options{MaxHops: 9}); err == nil {
		t.Error("more hops than the store keeps accepted")
	}
	if _, err := s.Screen(addr(1).String(), "", Options{Direction: "sideways"}); err == nil {
		t.Error("unknown direction accepted")
	}
}

// randomWorld plays random transfers among n addresses over blocks.
func randomWorld(w *world, rng *rand.Rand, n, blocks int) {
	bal := make([]uint64, n+1)
	for b := 0; b < blocks; b++ {
		var xs []xfer
		for range 1 + rng.IntN(6) {
			from := rng.IntN(n + 1)
			to := 1 + rng.IntN(n)
			var amt uint64
			if from == 0 {
				amt = 1 + rng.Uint64N(1000)
			} else {
				amt = rng.Uint64N(bal[from] + 1)
			}
			if from != 0 {
				bal[from] -= amt
			}
			bal[to] += amt
			xs = append(xs, xfer{from, to, amt})
		}
		w.block(xs...)
	}
}

// Every indirect exposure is the trace engine's haircut result for the
// same seeds and bounds: the flows into each address, summed per hop.
func TestExposureIsTheTraceEngines(t *testing.T) {
	for g := range 8 {
		rng := rand.New(rand.NewPCG(uint64(g), 3))
		w := newWorld(t)
		randomWorld(w, rng, 12, 25)
		w.tag("hack", map[int]string{1 + rng.IntN(12): "service_hack"})
		w.tag("ex", map[int]string{1 + rng.IntN(12): "exchange"})
		w.update(w.db, false)
		s := w.screener(w.db)
		in := w.inputs()
		var seeds []trace.AccountSeed
		for n := 1; n <= 12; n++ {
			for _, tg := range in.Index.Tags(intel.Account(caip2, addr(n).String())) {
				if tg.Category == "service_hack" {
					seeds = append(seeds, trace.AccountSeed{Address: addr(n), FromBlock: 1})
				}
			}
		}
		exits, _ := trace.DefaultPolicy().Exits(caip2, func(cats []string) trace.Services {
			return &trace.IntelServices{Index: in.Index, CAIP2: caip2, Categories: cats, Freezing: trace.DefaultPolicy().FreezingVenues}
		}, nil)
		exits.SkipRemaining = true // as the engine runs it
		res, err := trace.TraceAccount(w.st, chain.Ethereum, trace.Haircut, trace.Bounds{MaxHops: w.pol.MaxHops, Exits: exits}, seeds)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int][]uint64{}
		for _, f := range res.Flows {
			if f.Hop > w.pol.MaxHops || f.To.None() || f.Amount.IsZero() {
				continue
			}
			for n := 1; n <= 12; n++ {
				if f.To == addr(n) {
					if want[n] == nil {
						want[n] = make([]uint64, w.pol.MaxHops)
					}
					want[n][f.Hop-1] += f.Amount.Uint64()
				}
			}
		}
		checked := 0
		for n := 1; n <= 12; n++ {
			r := w.screen(s, n, "in")
			var got []uint64
			for _, e := range r.Indirect {
				if e.Category == "stolen_funds" {
					got = make([]uint64, w.pol.MaxHops)
					for h, v := range e.Amounts[0].ByHop {
						fmt.Sscan(v, &got[h])
					}
				}
			}
			if !reflect.DeepEqual(got, want[n]) {
				t.Fatalf("graph %d address %d: exposure by hop %v, the trace gives %v", g, n, got, want[n])
			}
			if got != nil {
				checked++
			}
		}
		if g == 0 && checked == 0 {
			t.Fatalf("graph %d: no address exposed; the test checks nothing", g)
		}
	}
}

// Streaming blocks and tag imports through Update gives what a rebuild
// from scratch gives.
func TestIncrementalEqualsRebuilt(t *testing.T) {
	exposedSeen := 0
	defer func(v int) { scanAll = v }(scanAll)
	for g := range 8 {
		rng := rand.New(rand.NewPCG(uint64(g), 11))
		scanAll = []int{64, 0}[g%2] // totals read per address, or by one scan of the chain
		w := newWorld(t)
		for stage := range 6 {
			randomWorld(w, rng, 15, 6+rng.IntN(6))
			switch stage { // tags change at some stages; only blocks arrive at the others
			case 1:
				w.tag("hack", map[int]string{1 + rng.IntN(15): "service_hack"})
			case 2:
				w.tag("sdn", map[int]string{1 + rng.IntN(15): "sanction", 1 + rng.IntN(15): "mixing_service"})
				w.tag("ex", map[int]string{1 + rng.IntN(15): "exchange"})
			case 4:
				w.tag("hack", map[int]string{1 + rng.IntN(15): "service_hack", 1 + rng.IntN(15): "exploit"})
			}
			w.update(w.db, false)
			if rng.IntN(2) == 0 { // and an update with nothing new
				w.update(w.db, false)
			}
		}
		fresh, err := Open(filepath.Join(t.TempDir(), "risk"), false)
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		w.update(fresh, true)
		inc, reb := w.screener(w.db), w.screener(fresh)
		for n := 1; n <= 15; n++ {
			a, b := w.screen(inc, n, "in"), w.screen(reb, n, "in")
			a.Freshness.Updated, b.Freshness.Updated = "", ""
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("graph %d address %d:\nincremental %+v\nrebuilt     %+v", g, n, a, b)
			}
			exposedSeen += len(a.Indirect)
		}
	}
	if exposedSeen == 0 {
		t.Fatal("no exposure in any graph: the test compares nothing")
	}
}

func TestPolicy(t *testing.T) {
	p := DefaultPolicy()
	if p.MaxHops != 3 || p.Of("sanction").Name != "sanctions" || p.Of("service_hack").Direct != Severe || p.Of("exchange") != nil {
		t.Fatalf("defaults: %+v", p)
	}
	if got := p.Of("service_hack").grade(0.01); got != High {
		t.Fatalf("1%% indirect stolen funds is %s, want high", got)
	}
	q, err := ParsePolicy([]byte("max_hops: 2\nhop_decay: 1\n"), p)
	if err != nil || q.MaxHops != 2 || len(q.Categories) != len(p.Categories) || q.Fingerprint() == p.Fingerprint() {
		t.Fatalf("override: %+v %v", q, err)
	}
	for _, bad := range []string{"max_hop: 2", "max_hops: 0", "hop_decay: 0", "categories: []",
		"categories: [{name: a, tags: [x], direct: high, indirect: [{share: 0.1, severity: low}, {share: 0.2, severity: high}]}]",
		"categories: [{name: a, tags: [x], direct: bogus}]",
		"categories: [{name: a, tags: [x]}, {name: b, tags: [x]}]"} {
		if _, err := ParsePolicy([]byte(bad), p); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// An exposed address's totals take in what later blocks pay it, so its
// share falls as clean funds arrive.
func TestTotalsTakeInNewBlocks(t *testing.T) {
	defer func(v int) { scanAll = v }(scanAll)
	for _, scanAll = range []int{64, 0} {
		totalsTakeInNewBlocks(t)
	}
}

func totalsTakeInNewBlocks(t *testing.T) {
	w := newWorld(t)
	w.block(xfer{0, 1, 1000}, xfer{0, 3, 100})
	w.block(xfer{1, 2, 100})
	w.tag("hack", map[int]string{1: "service_hack"})
	w.update(w.db, false)
	w.block(xfer{3, 2, 50})
	w.block(xfer{3, 2, 50})
	w.update(w.db, false)
	r := w.screen(w.screener(w.db), 2, "in")
	if len(r.Indirect) != 1 || r.Indirect[0].Amounts[0].Total != "200" || r.Indirect[0].Share != 0.5 {
		t.Fatalf("after 100 clean on top of 100 stolen: %+v", r.Indirect)
	}
}
