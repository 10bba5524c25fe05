package cluster

import (
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster/change"
	"github.com/chainhound/chainhound/internal/cluster/coinjoin"
)

func wpkh(s string) chain.Address {
	return chain.Address{Chain: chain.Bitcoin, Raw: "bc1q" + s + "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"[:38-len(s)]}
}

func pkh(s string) chain.Address {
	return chain.Address{Chain: chain.Bitcoin, Raw: "1" + s + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"[:33-len(s)]}
}

func testChange() change.Config {
	return change.Config{Enabled: true, Threshold: 3, Margin: 1, NonChange: -3, RoundDigits: 4, PeelRatio: 10,
		Weights: change.Weights{OptimalChange: 1, FreshAddress: 1.5, RoundAmount: 1, ScriptType: 1, Fingerprint: 1, PeelChain: 0.5}}
}

// A transaction shaped like a CoinJoin (JoinMarket's shape, which the
// real detector recognises) that spends from two tagged exchanges does
// not merge them, even with CoinJoins linked and change detection on; nor
// does one the detector misses.
func TestCollapseCoinJoinShaped(t *testing.T) {
	for _, miss := range []bool{false, true} {
		c := New(Options{KeepCoinJoins: true, Change: testChange(), Services: map[uint32]string{1: "Binance", 2: "Kraken"}})
		tx := &chain.Tx{Hash: chain.Hash{7}, Inputs: []chain.Input{
			{Address: wpkh("binance"), Value: 3_000_000}, {Address: wpkh("kraken"), Value: 3_000_000}, {Address: wpkh("mallory"), Value: 3_000_000}}}
		for i, v := range []int64{2_000_000, 2_000_000, 2_000_000, 990_000, 995_000} {
			if miss && i == 2 {
				v-- // no longer three equal outputs: not a CoinJoin to the detector
			}
			tx.Outputs = append(tx.Outputs, chain.Output{Address: wpkh(string(rune('a' + i))), Value: v})
		}
		var d Delta
		kind := c.ApplyTx(tx, 800_000, TxIDs{In: []uint64{1, 2, 3}, Out: []uint64{4, 5, 6, 7, 8}}, &d)
		if wantKind := map[bool]coinjoin.Kind{false: coinjoin.JoinMarket, true: coinjoin.None}[miss]; kind != wantKind {
			t.Fatalf("miss=%v: detected %v", miss, kind)
		}
		if len(d.Links) != 0 || c.EntityOf(1) == c.EntityOf(2) || c.Counts.Refused != 1 || len(c.Refusals) != 1 || c.Refusals[0].Reason != "services" {
			t.Fatalf("miss=%v: two exchanges merged or not refused: links %v, counts %+v, refusals %+v", miss, d.Links, c.Counts, c.Refusals)
		}
	}
}

// A forced change merge across a cannot-link pair is refused, directly
// and through entities the pair's sides joined later; so is a co-spend
// across it, and a change merge into another service.
func TestCollapseCannotLink(t *testing.T) {
	forced := testChange()
	forced.Weights.Fingerprint = 100 // the spender's fingerprint decides alone
	c := New(Options{Change: forced, Services: map[uint32]string{20: "Kraken", 1: "Binance"}})
	var d Delta
	apply := func(ins []chain.Input, in []uint64, outs []chain.Output, out []uint64, f change.Features) {
		t.Helper()
		c.ApplyTx(&chain.Tx{Hash: chain.Hash{byte(len(d.Links) + len(d.CannotLinks))}, Inputs: ins, Outputs: outs}, 900_000, TxIDs{In: in, Out: out, Change: f}, &d)
	}
	// 1 (Binance) pays a round amount to 2, which the fingerprint calls
	// a payment with confidence, and takes change at 3.
	apply([]chain.Input{{Address: wpkh("one"), Value: 9_000_000}}, []uint64{1},
		[]chain.Output{{Address: pkh("two"), Value: 5_000_000}, {Address: wpkh("three"), Value: 3_990_000}}, []uint64{2, 3},
		change.Features{Fresh: []bool{false, true}, Fingerprint: []int8{-1, 1}})
	if c.EntityOf(3) != 1 || c.Counts.ChangeMerges != 1 || len(d.CannotLinks) != 1 || d.CannotLinks[0] != (Link{1, 2}) {
		t.Fatalf("first payment: entity(3)=%d, %+v, cannot-links %v", c.EntityOf(3), c.Counts, d.CannotLinks)
	}
	// 2 co-spends with 4: fine, 2's side grows.
	apply([]chain.Input{{Address: pkh("two"), Value: 1}, {Address: pkh("four"), Value: 1}}, []uint64{2, 4}, nil, nil, change.Features{})
	// 3 spends, and the forced score names 4 (now with 2) as its change.
	apply([]chain.Input{{Address: wpkh("three"), Value: 3_990_000}}, []uint64{3},
		[]chain.Output{{Address: pkh("four"), Value: 1_234_567}, {Address: wpkh("five"), Value: 2_000_000}}, []uint64{4, 5},
		change.Features{Fresh: []bool{false, true}, Fingerprint: []int8{1, -1}})
	if c.Counts.ChangeFound != 2 || c.Counts.ChangeRefusedCannot != 1 || c.EntityOf(4) == c.EntityOf(1) {
		t.Fatalf("forced change merge across the cannot-link: %+v, entity(4)=%d", c.Counts, c.EntityOf(4))
	}
	// A co-spend of 1's entity (via 3) and 2's (via 4) is refused too.
	apply([]chain.Input{{Address: wpkh("three"), Value: 1}, {Address: pkh("four"), Value: 1}}, []uint64{3, 4}, nil, nil, change.Features{})
	if c.Counts.RefusedCannotLink != 1 || c.EntityOf(4) == c.EntityOf(1) {
		t.Fatalf("co-spend across the cannot-link: %+v", c.Counts)
	}
	// Change into an address of another service (20: Kraken) is refused.
	apply([]chain.Input{{Address: wpkh("one"), Value: 9_000_000}}, []uint64{1},
		[]chain.Output{{Address: pkh("six"), Value: 5_000_000}, {Address: wpkh("kraken"), Value: 3_990_000}}, []uint64{6, 20},
		change.Features{Fresh: []bool{false, true}, Fingerprint: []int8{-1, 1}})
	if c.Counts.ChangeRefused != 1 || c.EntityOf(20) == c.EntityOf(1) {
		t.Fatalf("change merged Binance with Kraken: %+v", c.Counts)
	}
	reasons := ""
	for _, r := range c.Refusals {
		reasons += r.Heuristic + "/" + r.Reason + " "
	}
	if reasons != "change/cannot-link co-spend/cannot-link change/services " {
		t.Fatalf("refusals logged: %q", reasons)
	}
	// A clusterer rebuilt from the logs (merges, then pairs) keeps them apart.
	r := New(Options{Change: forced})
	r.Replay(d.Links)
	r.AddCannotLinks(d.CannotLinks)
	if !r.CannotLinked(3, 4) || !r.CannotLinked(1, 5) || r.CannotLinked(2, 5) {
		t.Fatal("replayed cannot-links wrong")
	}
}
