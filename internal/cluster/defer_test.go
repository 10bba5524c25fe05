package cluster

import (
	"slices"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster/change"
	"github.com/chainhound/chainhound/internal/cluster/coinjoin"
)

// fpChain feeds a clusterer block by block as cluster update does.
type fpChain struct {
	t   *testing.T
	c   *Clusterer
	d   Delta
	ids map[chain.Hash]TxIDs
}

func newFPChain(t *testing.T, o Options) *fpChain {
	return &fpChain{t: t, c: New(o), ids: map[chain.Hash]TxIDs{}}
}

// block applies txs as block h (expiring first).
func (f *fpChain) block(h uint64, txs ...*chain.Tx) {
	f.c.Expire(h, &f.d)
	for i, tx := range txs {
		tx.Index = uint32(i + 1) // after a coinbase
		f.c.Resolve(tx, h, &f.d)
		f.c.ApplyTx(tx, h, f.ids[tx.Hash], &f.d)
	}
}

// mk makes a transaction with a fingerprint (version, locktime; version
// 0: unknown) spending outpoints, with input ids in, output ids out and
// the outputs' freshness.
func mk(name string, version int32, lockTime uint32, ins []chain.Input, in []uint64, outs []chain.Output, out []uint64, fresh []bool, f *fpChain) *chain.Tx {
	tx := &chain.Tx{Hash: hashOf(name), Inputs: ins, Outputs: outs, Version: version, LockTime: lockTime, HasFingerprint: version != 0}
	f.ids[tx.Hash] = TxIDs{In: in, Out: out, Change: change.Features{Fresh: fresh}}
	return tx
}

func spendOf(tx *chain.Tx, i uint32, a chain.Address, v int64) chain.Input {
	return chain.Input{PrevTx: tx.Hash, PrevIndex: i, Address: a, Value: v, Resolved: true}
}

func fpOpts() Options {
	c := testChange()
	c.MaxOutputs, c.FingerprintBlocks, c.AntiSnipeBlocks = 2, 10, 100
	return Options{Change: c}
}

// payment: id 1 (P2WPKH) pays a round amount to a fresh P2PKH address (2)
// and takes odd change at a fresh P2WPKH address (3): round amount and
// script type point at output 1 (2 points, short of the threshold of 3),
// so only the spenders' fingerprints can decide it.
func payment(f *fpChain, name string) *chain.Tx {
	return mk(name, 2, 99, []chain.Input{{Address: wpkh("one"), Value: 5_000_000, Resolved: true}}, []uint64{1},
		[]chain.Output{{Address: pkh("two"), Value: 2_000_000}, {Address: wpkh("three"), Value: 2_998_000}}, []uint64{2, 3}, []bool{true, true}, f)
}

// spender spends outputs of earlier transactions with a fingerprint.
func spender(f *fpChain, name string, version int32, lockTime uint32, ins ...chain.Input) *chain.Tx {
	ids := make([]uint64, len(ins))
	for i, in := range ins {
		ids[i] = 10 + uint64(len(in.Address.Raw)+i) // any id: co-spend of the spender's inputs does not matter here
		if in.Address == pkh("two") {
			ids[i] = 2
		} else if in.Address == wpkh("three") {
			ids[i] = 3
		}
	}
	return mk(name, version, lockTime, ins, ids, []chain.Output{{Address: pkh("sink-" + name), Value: 1_000}}, []uint64{50}, []bool{true}, f)
}

// The payer's software (v2, anti-fee-sniping) spends the change, the
// payee's (v1, locktime 0) the payment: the change is decided in the
// block of the last spend, merged, and the payment becomes a cannot-link
// pair; in the other order of habits nothing merges.
func TestDeferredDecision(t *testing.T) {
	for _, swap := range []bool{false, true} {
		f := newFPChain(t, fpOpts())
		p := payment(f, "pay")
		f.block(100, p)
		if f.c.Counts.Deferred != 1 || f.c.Pending() != 1 || len(f.d.Deferred) != 1 || f.c.Counts.ChangeFound != 0 {
			t.Fatalf("not deferred: %+v, %d waiting", f.c.Counts, f.c.Pending())
		}
		if def := f.d.Deferred[0]; def.Print != (change.Print{Version: 2, Lock: change.LockAntiSnipe}) || def.Anchor != 1 || !slices.Equal(def.Out, []uint32{2, 3}) || !slices.Equal(def.Scores, []float64{-2, 2}) {
			t.Fatalf("deferral %+v", def)
		}
		payee, payer := spender(f, "payee", 1, 0, spendOf(p, 0, pkh("two"), 2_000_000)), spender(f, "payer", 2, 104, spendOf(p, 1, wpkh("three"), 2_998_000))
		if swap {
			payee.Version, payee.LockTime, payer.Version, payer.LockTime = 2, 104, 1, 0
		}
		f.block(105, payee)
		if f.c.Pending() != 1 || len(f.d.Spent) != 1 || f.d.Spent[0] != (Spend{100, 1, 0, map[bool]int8{false: -1, true: 1}[swap]}) {
			t.Fatalf("swap %v: after the first spend: %d waiting, spends %+v", swap, f.c.Pending(), f.d.Spent)
		}
		f.block(110, payer) // the window's last block
		k := f.c.Counts
		if f.c.Pending() != 0 || k.DeferResolved != 1 || k.DeferLate != 0 {
			t.Fatalf("swap %v: not decided at the last spend: %+v", swap, k)
		}
		if swap {
			if k.ChangeFound != 0 || f.c.EntityOf(3) == f.c.EntityOf(1) || k.CannotLinks != 0 {
				t.Fatalf("the payee's habit on the change: merged anyway: %+v", k)
			}
			continue
		}
		if k.DeferChange != 1 || k.ChangeMerges != 1 || f.c.EntityOf(3) != f.c.EntityOf(1) || f.c.EntityOf(2) == f.c.EntityOf(1) {
			t.Fatalf("change not merged: %+v", k)
		}
		if len(f.d.Found) != 1 || f.d.Found[0] != (Found{p.Hash, 1, 110}) || len(f.d.CannotLinks) != 1 || f.d.CannotLinks[0] != (Link{1, 2}) {
			t.Fatalf("found %+v, cannot-links %v", f.d.Found, f.d.CannotLinks)
		}
	}
}

// What makes a spend say nothing, and the window's end.
func TestDeferredNoEvidence(t *testing.T) {
	cj := hashOf("coinjoin")
	o := fpOpts()
	o.Detect = func(tx *chain.Tx, h uint64) coinjoin.Kind {
		if tx.Hash == cj {
			return coinjoin.JoinMarket
		}
		return coinjoin.None
	}
	for _, k := range []struct {
		name   string
		change func(f *fpChain, p *chain.Tx) *chain.Tx // spends the change
		first  int8
	}{
		{"spender's fingerprint unknown", func(f *fpChain, p *chain.Tx) *chain.Tx {
			return spender(f, "unknown", 0, 0, spendOf(p, 1, wpkh("three"), 2_998_000))
		}, 0},
		{"spent in a CoinJoin", func(f *fpChain, p *chain.Tx) *chain.Tx {
			return spender(f, "coinjoin", 2, 104, spendOf(p, 1, wpkh("three"), 2_998_000)) // hashed as cj
		}, 0},
	} {
		f := newFPChain(t, o)
		p := payment(f, "pay")
		f.block(100, p)
		f.block(101, k.change(f, p), spender(f, "payee", 1, 0, spendOf(p, 0, pkh("two"), 2_000_000)))
		if len(f.d.Spent) != 2 || f.d.Spent[0].Ev != k.first || f.d.Spent[1].Ev != -1 {
			t.Fatalf("%s: spends %+v", k.name, f.d.Spent)
		}
		if c := f.c.Counts; c.DeferResolved != 1 || c.ChangeFound != 0 || f.c.EntityOf(3) == f.c.EntityOf(1) {
			t.Fatalf("%s: decided on no evidence: %+v", k.name, c)
		}
	}

	// One output spent within the window, the other after it: the
	// transaction stops waiting at block 111 and stays undecided.
	f := newFPChain(t, fpOpts())
	p := payment(f, "pay")
	f.block(100, p)
	f.block(101, spender(f, "payee", 1, 0, spendOf(p, 0, pkh("two"), 2_000_000)))
	f.block(110)
	if f.c.Pending() != 1 {
		t.Fatal("stopped waiting before the window's last block")
	}
	f.block(111, spender(f, "payer", 2, 110, spendOf(p, 1, wpkh("three"), 2_998_000)))
	if c := f.c.Counts; f.c.Pending() != 0 || c.DeferResolved != 0 || c.ChangeFound != 0 || len(f.d.Spent) != 1 {
		t.Fatalf("decided after the window: %+v, spends %+v", c, f.d.Spent)
	}

	// A transaction without its own fingerprint does not wait.
	f = newFPChain(t, fpOpts())
	p = payment(f, "pay")
	p.HasFingerprint = false
	f.block(100, p)
	if f.c.Counts.Deferred != 0 || f.c.Pending() != 0 {
		t.Fatalf("waits without its own fingerprint: %+v", f.c.Counts)
	}
}

// A batch (three outputs, no output limit) whose change and one payment
// were spent, the other payment not, is decided when its window ends, in
// the block after it.
func TestDeferredLate(t *testing.T) {
	o := fpOpts()
	o.Change.MaxOutputs = 0
	{
		f := newFPChain(t, o)
		p := mk("batch", 2, 0, []chain.Input{{Address: wpkh("one"), Value: 9_000_000, Resolved: true}}, []uint64{1},
			[]chain.Output{{Address: pkh("two"), Value: 2_000_000}, {Address: wpkh("three"), Value: 2_998_000}, {Address: pkh("four"), Value: 3_000_000}},
			[]uint64{2, 3, 4}, []bool{true, true, true}, f)
		f.block(100, p)
		if f.c.Pending() != 1 {
			t.Fatalf("batch not deferred: %+v", f.c.Counts)
		}
		f.block(103, spender(f, "payer", 2, 0, spendOf(p, 1, wpkh("three"), 2_998_000)), spender(f, "payee", 1, 0, spendOf(p, 0, pkh("two"), 2_000_000)))
		f.block(110)
		if f.c.Pending() != 1 || f.c.Counts.DeferResolved != 0 {
			t.Fatal("decided before the window ended")
		}
		f.block(111)
		c := f.c.Counts
		if f.c.Pending() != 0 || c.DeferLate != 1 || c.DeferResolved != 1 || c.DeferChange != 1 || f.c.EntityOf(3) != f.c.EntityOf(1) {
			t.Fatalf("not decided at the window's end: %+v", c)
		}
		if len(f.d.Found) != 1 || f.d.Found[0].Height != 111 || f.d.Found[0].Out != 1 {
			t.Fatalf("found %+v", f.d.Found)
		}
	}
}

// A clusterer restored from the deferrals and spends a live one logged
// waits for exactly what the live one waits for, and decides as it does.
func TestDeferredRestore(t *testing.T) {
	o := fpOpts()
	o.Change.MaxOutputs = 0
	live := newFPChain(t, o)
	p := payment(live, "pay")
	q := mk("batch", 2, 0, []chain.Input{{Address: wpkh("one"), Value: 9_000_000, Resolved: true}}, []uint64{1},
		[]chain.Output{{Address: pkh("two"), Value: 2_000_000}, {Address: wpkh("three"), Value: 2_998_000}, {Address: pkh("four"), Value: 3_000_000}},
		[]uint64{2, 5, 4}, []bool{true, true, true}, live)
	r := payment(live, "pay again")
	live.block(100, p, q)
	live.block(101, r, spender(live, "a", 1, 0, spendOf(p, 0, pkh("two"), 1)), spender(live, "b", 2, 0, spendOf(q, 1, wpkh("three"), 1)))
	live.block(102, spender(live, "c", 2, 101, spendOf(p, 1, wpkh("three"), 1))) // p decided
	if live.c.Pending() != 2 || live.c.Counts.DeferResolved != 1 {
		t.Fatalf("%d waiting, %+v", live.c.Pending(), live.c.Counts)
	}
	back := newFPChain(t, o)
	back.ids = live.ids
	back.c.Restore(live.d.Deferred, live.d.Spent)
	if a, b := back.c.pendingDump(), live.c.pendingDump(); a != b {
		t.Fatalf("restored waiting:\n%s\nlive:\n%s", a, b)
	}
	// Both see q's payment spent by another habit, then its window end.
	for _, f := range []*fpChain{live, back} {
		f.block(105, spender(f, "d", 1, 0, spendOf(q, 0, pkh("two"), 1)))
		f.block(111)
	}
	if live.c.pendingDump() != back.c.pendingDump() || live.c.Pending() != 1 || back.c.EntityOf(5) != live.c.EntityOf(5) || live.c.EntityOf(5) != live.c.EntityOf(1) {
		t.Fatalf("restored decided otherwise: entity(5) %d, live %d; waiting %d", back.c.EntityOf(5), live.c.EntityOf(5), live.c.Pending())
	}
}

func FuzzDecodeDeferrals(f *testing.F) {
	f.Add(encodeDeferrals([]Deferral{{Index: 3, Tx: chain.Hash{9}, Print: change.Print{Version: -1, Lock: change.LockAntiSnipe}, Anchor: 7, Out: []uint32{8, 1 << 30}, Scores: []float64{-2.5, 2.5}},
		{Index: 70_000, Print: change.Print{Version: 2}, Anchor: 1, Out: []uint32{2, 3, 4}, Scores: []float64{0.1, -1e300, 3}}}))
	f.Add(encodeSpends([]Spend{{Height: 800_000, Index: 3, Out: 1, Ev: -1}, {Height: 1, Out: 0, Ev: 1}, {Ev: 0}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, v []byte) {
		if defs, err := decodeDeferrals(7, v); err == nil {
			again, err := decodeDeferrals(7, encodeDeferrals(defs))
			if err != nil || len(again) != len(defs) {
				t.Fatalf("deferrals round trip: %v", err)
			}
			for i := range defs {
				if a, b := again[i], defs[i]; a.Height != 7 || a.Index != b.Index || a.Tx != b.Tx || a.Print != b.Print || a.Anchor != b.Anchor ||
					!slices.Equal(a.Out, b.Out) || !slices.Equal(a.Scores, b.Scores) || len(a.Out) != len(a.Scores) || len(a.Out) < 2 {
					t.Fatalf("deferral %d: %+v, was %+v", i, a, b)
				}
			}
		}
		if spends, err := decodeSpends(v); err == nil {
			again, err := decodeSpends(encodeSpends(spends))
			if err != nil || !slices.Equal(again, spends) {
				t.Fatalf("spends round trip: %v %+v %+v", err, again, spends)
			}
			for _, s := range spends {
				if s.Ev < -1 || s.Ev > 1 {
					t.Fatalf("evidence %d decoded", s.Ev)
				}
			}
		}
	})
}
