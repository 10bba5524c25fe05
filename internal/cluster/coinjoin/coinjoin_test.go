package coinjoin

import (
	"fmt"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// addr makes a distinct address of the given kind ("wpkh", "tr", "pkh").
func addr(kind string, i int) chain.Address {
	b := make([]byte, 0, 59)
	for n := i; len(b) < 8; n /= 32 {
		b = append(b, charset[n%32])
	}
	pad := func(n int) string {
		for len(b) < n {
			b = append(b, 'q')
		}
		return string(b)
	}
	switch kind {
	case "wpkh":
		return chain.Address{Chain: chain.Bitcoin, Raw: "bc1q" + pad(38)}
	case "tr":
		return chain.Address{Chain: chain.Bitcoin, Raw: "bc1p" + pad(58)}
	}
	return chain.Address{Chain: chain.Bitcoin, Raw: fmt.Sprintf("1Legacy%026d", i)}
}

type shape struct {
	ins, outs   []int64
	inKind      string
	outKind     string
	sameInputs  bool // all inputs from one address
	opReturn    bool
	extraOutput *chain.Output
}

func (s shape) tx() *chain.Tx {
	tx := &chain.Tx{}
	for i, v := range s.ins {
		a := addr(s.inKind, i)
		if s.sameInputs {
			a = addr(s.inKind, 0)
		}
		tx.Inputs = append(tx.Inputs, chain.Input{Address: a, Value: v, Resolved: true})
	}
	for i, v := range s.outs {
		tx.Outputs = append(tx.Outputs, chain.Output{Address: addr(s.outKind, 1000+i), Value: v})
	}
	if s.opReturn {
		tx.Outputs = append(tx.Outputs, chain.Output{Value: 0})
	}
	if s.extraOutput != nil {
		tx.Outputs = append(tx.Outputs, *s.extraOutput)
	}
	return tx
}

func repeat(v int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func cat(xs ...[]int64) []int64 {
	var out []int64
	for _, x := range xs {
		out = append(out, x...)
	}
	return out
}

// descending values from start, each step smaller
func desc(start int64, n int, step int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = start - int64(i)*step
	}
	return out
}

func TestDetect(t *testing.T) {
	const h = 800_000
	coord := chain.Output{Address: chain.Address{Chain: chain.Bitcoin, Raw: wasabiCoordAddresses[0]}, Value: 123_456}
	cases := []struct {
		name   string
		s      shape
		height uint64
		want   Kind
	}{
		{"plain payment 1-in 2-out", shape{ins: []int64{100_000}, outs: []int64{60_000, 39_000}, inKind: "pkh", outKind: "pkh"}, h, None},
		{"consolidation 5-in 1-out", shape{ins: repeat(10_000, 5), outs: []int64{49_000}, inKind: "wpkh", outKind: "wpkh"}, h, None},
		// Whirlpool: 5 inputs, one exactly at the pool value, the others
		// (remixers pay no fee) with premix fees of at most 0.0011 BTC.
		{"whirlpool 0.01 mix", shape{ins: []int64{1_000_000, 1_000_000, 1_000_170, 1_000_170, 1_000_300}, outs: repeat(1_000_000, 5), inKind: "wpkh", outKind: "wpkh"}, h, WhirlpoolMix},
		{"whirlpool 0.05 mix of 8", shape{ins: cat(repeat(5_000_000, 3), repeat(5_000_500, 5)), outs: repeat(5_000_000, 8), inKind: "wpkh", outKind: "wpkh"}, h, WhirlpoolMix},
		{"whirlpool shape before Samourai existed", shape{ins: []int64{1_000_000, 1_000_000, 1_000_170, 1_000_170, 1_000_300}, outs: repeat(1_000_000, 5), inKind: "wpkh", outKind: "wpkh"}, 560_000, None}, // BlockSci's rule wants (5+1)/2 = 3 equal outputs, not 5
		{"whirlpool shape off-pool value", shape{ins: repeat(2_000_000, 5), outs: repeat(2_000_000, 5), inKind: "wpkh", outKind: "wpkh"}, h, None},
		{"whirlpool shape with an input far above the pool", shape{ins: []int64{1_000_000, 1_000_000, 1_000_170, 1_000_170, 1_200_000}, outs: repeat(1_000_000, 5), inKind: "wpkh", outKind: "wpkh"}, h, None},
		{"whirlpool shape with legacy inputs", shape{ins: repeat(1_000_000, 5), outs: repeat(1_000_000, 5), inKind: "pkh", outKind: "wpkh"}, h, None},
		{"whirlpool shape 4 inputs", shape{ins: repeat(1_000_000, 4), outs: repeat(1_000_000, 4), inKind: "wpkh", outKind: "wpkh"}, h, None},
		// Wasabi 1.x after the coordinator address era: >=10 outputs near 0.1
		// BTC, at least as many inputs, 2+ unique outputs (change, fee).
		{"wasabi1 round", shape{ins: desc(15_000_000, 14, 100_000), outs: cat(repeat(10_050_000, 12), []int64{3_000_000, 2_500_000, 40_000}), inKind: "wpkh", outKind: "wpkh"}, 620_000, Wasabi1},
		{"wasabi1 round denomination off by 0.05", shape{ins: desc(25_000_000, 14, 100_000), outs: cat(repeat(15_000_000, 12), []int64{3_000_000, 2_500_000}), inKind: "wpkh", outKind: "wpkh"}, 620_000, None},
		{"wasabi1 round too few equal outputs", shape{ins: desc(15_000_000, 14, 100_000), outs: cat(repeat(10_050_000, 9), []int64{3_000_000, 2_500_000, 40_000}), inKind: "wpkh", outKind: "wpkh"}, 620_000, None},
		{"wasabi1 early round pays the coordinator", shape{ins: desc(15_000_000, 6, 100_000), outs: repeat(10_000_000, 3), inKind: "pkh", outKind: "pkh", extraOutput: &coord}, 540_000, Wasabi1},
		// without the coordinator it is still a 3-participant equal-output join
		{"wasabi1 early shape without coordinator", shape{ins: desc(15_000_000, 6, 100_000), outs: cat(repeat(10_000_000, 3), []int64{123_456, 777}), inKind: "pkh", outKind: "pkh"}, 540_000, JoinMarket},
		// WabiSabi: 20+ P2WPKH/P2TR inputs, values descending on both sides,
		// >80% of outputs at standard denominations.
		{"wabisabi round", shape{ins: desc(90_000_000, 25, 1_000_000), outs: cat(repeat(33_554_432, 8), repeat(20_000_000, 10), repeat(1_594_323, 6), []int64{1_234_567}), inKind: "tr", outKind: "wpkh"}, h, WabiSabi},
		{"wabisabi shape before Wasabi 2", shape{ins: desc(90_000_000, 25, 1_000_000), outs: cat(repeat(33_554_432, 8), repeat(20_000_000, 10), repeat(1_594_323, 6), []int64{1_234_567}), inKind: "tr", outKind: "wpkh"}, 700_000, None},
		{"wabisabi shape outputs not sorted", shape{ins: desc(90_000_000, 25, 1_000_000), outs: cat(repeat(20_000_000, 10), repeat(33_554_432, 8), repeat(1_594_323, 6), []int64{1_234_567}), inKind: "tr", outKind: "wpkh"}, h, None},
		{"wabisabi shape mostly odd values", shape{ins: desc(90_000_000, 25, 1_000_000), outs: cat(repeat(33_554_432, 8), desc(19_000_000, 16, 1_001)), inKind: "wpkh", outKind: "wpkh"}, h, None},
		// BlockSci's rule: p = (outputs+1)/2 participants, the most frequent
		// value exactly p times, p distinct input addresses.
		{"joinmarket 3 participants", shape{ins: []int64{5_000_000, 7_000_000, 9_000_000, 1_000_000}, outs: []int64{4_000_000, 4_000_000, 4_000_000, 990_000, 2_990_000, 5_990_000}, inKind: "pkh", outKind: "wpkh"}, 500_000, JoinMarket},
		{"joinmarket taker sweep (no taker change)", shape{ins: []int64{5_000_000, 7_000_000, 4_100_000}, outs: []int64{4_000_000, 4_000_000, 4_000_000, 990_000, 2_990_000}, inKind: "pkh", outKind: "pkh"}, 500_000, JoinMarket},
		{"equal outputs from one input address", shape{ins: []int64{5_000_000, 7_000_000, 9_000_000}, outs: []int64{4_000_000, 4_000_000, 4_000_000, 990_000, 2_990_000, 5_990_000}, inKind: "pkh", outKind: "pkh", sameInputs: true}, 500_000, None},
		{"equal dust outputs", shape{ins: []int64{5_000, 7_000, 9_000}, outs: []int64{546, 546, 546, 990, 2_990, 5_990}, inKind: "pkh", outKind: "pkh"}, 500_000, None},
		{"equal outputs one too many", shape{ins: []int64{5_000_000, 7_000_000, 9_000_000, 1_000_000}, outs: []int64{4_000_000, 4_000_000, 4_000_000, 4_000_000, 2_990_000, 5_990_000}, inKind: "pkh", outKind: "pkh"}, 500_000, None},
		// tx0: one owner, OP_RETURN, premix outputs of pool + fees, change,
		// coordinator fee.
		{"whirlpool tx0", shape{ins: []int64{30_000_000}, outs: cat(repeat(5_000_270, 5), []int64{4_500_000, 42_500}), inKind: "wpkh", outKind: "wpkh", opReturn: true}, h, WhirlpoolTx0},
		{"tx0 shape without OP_RETURN", shape{ins: []int64{30_000_000}, outs: cat(repeat(5_000_270, 5), []int64{4_500_000, 42_500}), inKind: "wpkh", outKind: "wpkh"}, h, None},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Detect(c.s.tx(), c.height, DefaultOptions); got != c.want {
				t.Errorf("Detect = %s, want %s", got, c.want)
			}
		})
	}
}

func TestMultiOwner(t *testing.T) {
	for k, want := range map[Kind]bool{None: false, WabiSabi: true, Wasabi1: true, WhirlpoolMix: true, JoinMarket: true, WhirlpoolTx0: false} {
		if k.MultiOwner() != want {
			t.Errorf("%s.MultiOwner() = %v", k, !want)
		}
	}
}

func TestWabiSabiDenominations(t *testing.T) {
	for _, v := range []int64{5_000, 8_192, 6_561, 13_122, 10_000, 20_000, 50_000, 100_000_000, 134_375_000_000, 34_359_738_368} {
		if !IsWabiSabiDenomination(v) {
			t.Errorf("%d should be a denomination", v)
		}
	}
	for _, v := range []int64{4_096, 4_999, 30_000, 1_234_567, 134_375_000_001, 200_000_000_000} {
		if IsWabiSabiDenomination(v) {
			t.Errorf("%d should not be a denomination", v)
		}
	}
}
