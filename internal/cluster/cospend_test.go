package cluster

import (
	"fmt"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster/coinjoin"
)

func TestApplyRules(t *testing.T) {
	kind := coinjoin.None
	c := New(Options{Detect: func(*chain.Tx, uint64) coinjoin.Kind { return kind }})
	tx := &chain.Tx{Inputs: make([]chain.Input, 3)}
	var log []Link
	// coinbase: nothing, not even counted
	if _, log = c.Apply(&chain.Tx{Coinbase: true}, 1, []uint64{1, 2}, log); len(log) != 0 || c.Counts.Txs != 0 {
		t.Fatalf("coinbase linked: %v %+v", log, c.Counts)
	}
	// inputs without an address (id 0) and repeats of one address do not link
	if _, log = c.Apply(tx, 1, []uint64{5, 0, 5}, log); len(log) != 0 || c.Counts.MultiInput != 0 {
		t.Fatalf("one address linked: %v", log)
	}
	if _, log = c.Apply(tx, 1, []uint64{7, 3, 9}, log); len(log) != 2 || c.EntityOf(9) != 3 || c.EntityOf(7) != 3 {
		t.Fatalf("co-spend: %v, entity(9)=%d", log, c.EntityOf(9))
	}
	// already one entity: no merge logged
	if _, log = c.Apply(tx, 1, []uint64{9, 7}, log); len(log) != 2 {
		t.Fatalf("redundant merge logged: %v", log)
	}
	kind = coinjoin.Wasabi1
	if k, log2 := c.Apply(tx, 1, []uint64{20, 21}, log); k != coinjoin.Wasabi1 || len(log2) != 2 || c.EntityOf(21) == c.EntityOf(20) {
		t.Fatalf("CoinJoin linked: %v", log2)
	}
	kind = coinjoin.WhirlpoolTx0 // single owner: links
	if _, log = c.Apply(tx, 1, []uint64{20, 21}, log); len(log) != 3 {
		t.Fatalf("tx0 not linked: %v", log)
	}
	want := Counts{Txs: 5, MultiInput: 4, Skipped: 1, Merges: 3}
	want.CoinJoins[coinjoin.None] = 3
	want.CoinJoins[coinjoin.Wasabi1] = 1
	want.CoinJoins[coinjoin.WhirlpoolTx0] = 1
	if c.Counts != want {
		t.Fatalf("counts %+v, want %+v", c.Counts, want)
	}
	if m, total := c.Members(3, 0, 10); total != 3 || len(m) != 3 || m[0] != 3 || m[2] != 9 {
		t.Fatalf("members of 3: %v of %d", m, total)
	}
	if m, total := c.Members(7, 0, 10); total != 0 || m != nil {
		t.Fatalf("7 is not an entity id: %v %d", m, total)
	}
	if m, total := c.Members(1000, 0, 10); total != 1 || len(m) != 1 {
		t.Fatalf("unlinked id: %v %d", m, total)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	r := record{height: 5, hash: chain.Hash{1}, links: []Link{{1, 2}, {3, 1 << 30}}}
	r.counts.Txs, r.counts.CoinJoins[3] = 7, 2
	f.Add(encodeRecord(&r))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, v []byte) {
		k := recordKey(chain.Bitcoin, 5)
		got, err := decodeRecord(k, v)
		if err != nil {
			return
		}
		again, err := decodeRecord(k, encodeRecord(&got))
		if err != nil || again.hash != got.hash || again.counts != got.counts || len(again.links) != len(got.links) {
			t.Fatalf("round trip: %v %+v %+v", err, again, got)
		}
	})
}

// The collapse case: transactions that would join two tagged exchanges,
// directly or through an untagged address, link nothing, even when they
// are shaped like a CoinJoin and CoinJoins are linked.
func TestServiceGuard(t *testing.T) {
	kind := coinjoin.None
	c := New(Options{KeepCoinJoins: true, Services: map[uint32]string{1: "Binance", 2: "Kraken", 5: "Binance"},
		Detect: func(*chain.Tx, uint64) coinjoin.Kind { return kind }})
	tx := &chain.Tx{Hash: chain.Hash{9}}
	var log []Link
	kind = coinjoin.JoinMarket
	if _, log = c.Apply(tx, 10, []uint64{1, 2}, log); len(log) != 0 {
		t.Fatalf("two exchanges in a CoinJoin-shaped tx merged: %v", log)
	}
	kind = coinjoin.None
	if _, log = c.Apply(tx, 11, []uint64{3, 1}, log); len(log) != 1 { // untagged 3 joins Binance
		t.Fatalf("untagged joining Binance: %v", log)
	}
	if _, log = c.Apply(tx, 12, []uint64{2, 3}, log); len(log) != 1 { // Kraken with Binance's 3
		t.Fatalf("Kraken joined Binance through 3: %v", log)
	}
	if _, log = c.Apply(tx, 13, []uint64{5, 3, 4}, log); len(log) != 3 { // Binance with Binance
		t.Fatalf("two Binance addresses kept apart: %v", log)
	}
	if c.Counts.Refused != 2 || len(c.Refusals) != 2 || c.Refusals[1].Height != 12 || fmt.Sprint(c.Refusals[1].Services) != "[Binance Kraken]" {
		t.Fatalf("refusals: %d %+v", c.Counts.Refused, c.Refusals)
	}
	if c.EntityOf(2) == c.EntityOf(1) || c.EntityOf(4) != 1 {
		t.Fatalf("entities: 1→%d 2→%d 4→%d", c.EntityOf(1), c.EntityOf(2), c.EntityOf(4))
	}
	// A clusterer rebuilt from the merges log keeps the labels: Kraken
	// still cannot join.
	d := New(Options{Services: c.Opts.Services})
	d.Replay(log)
	if _, l := d.Apply(tx, 14, []uint64{2, 4}, nil); len(l) != 0 || d.Counts.Refused != 1 {
		t.Fatalf("after replay, Kraken joined Binance: %v", l)
	}
}
