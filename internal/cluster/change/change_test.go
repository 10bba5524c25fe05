package change

import (
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

func a(s string) chain.Address { return chain.Address{Chain: chain.Bitcoin, Raw: s} }

const (
	pkh1  = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
	pkh2  = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
	sh1   = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
	wpkh1 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
	wpkh2 = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
	wpkh3 = "bc1qc7slrfxkknqcq2jevvvkdgvrt8080852dfjewde450xdlk4ugp7szw5tk9"
	tr1   = "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"
)

func TestScriptType(t *testing.T) {
	for addr, want := range map[string]string{pkh1: "p2pkh", sh1: "p2sh", wpkh1: "p2wpkh", wpkh3: "p2wsh", tr1: "p2tr",
		"mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn": "p2pkh", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx": "p2wpkh", "": "", "xyz": ""} {
		if got := ScriptType(a(addr)); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	c := Config{Enabled: true, Threshold: 3, Margin: 1, NonChange: -3, RoundDigits: 4, PeelRatio: 10,
		Weights: Weights{OptimalChange: 1, FreshAddress: 1.5, RoundAmount: 1, ScriptType: 1, Fingerprint: 1, PeelChain: 0.5}}
	tx := func(ins []chain.Input, outs ...chain.Output) *chain.Tx { return &chain.Tx{Inputs: ins, Outputs: outs} }
	in := func(addr string, v int64) chain.Input { return chain.Input{Address: a(addr), Value: v, Resolved: true} }
	out := func(addr string, v int64) chain.Output { return chain.Output{Address: a(addr), Value: v} }
	for _, k := range []struct {
		name      string
		tx        *chain.Tx
		f         Features
		change    int
		nonChange []int
	}{
		// round payment to a reused address of another type; odd fresh change of the inputs' type
		{"clear", tx([]chain.Input{in(wpkh1, 5_000_000)}, out(pkh1, 2_000_000), out(wpkh2, 2_998_000)),
			Features{Fresh: []bool{false, true}}, 1, []int{0}},
		// the same but both fresh: round and script type alone (2 + 0.5 peel-less) stay below 3
		{"ambiguous", tx([]chain.Input{in(wpkh1, 5_000_000)}, out(pkh1, 2_000_000), out(wpkh2, 2_998_000)),
			Features{Fresh: []bool{true, true}}, -1, nil},
		// optimal change adds the third piece of evidence
		{"optimal", tx([]chain.Input{in(wpkh1, 5_000_000), in(wpkh1, 4_000_000)}, out(pkh1, 7_000_000), out(wpkh2, 1_998_123)),
			Features{Fresh: []bool{true, true}}, 1, []int{0}},
		// paid back to an input's address: that is the change, no merge needed
		{"self", tx([]chain.Input{in(wpkh1, 5_000_000)}, out(pkh1, 2_000_000), out(wpkh1, 2_998_000)),
			Features{Fresh: []bool{false, false}}, -1, nil},
		// the fingerprint of the spender tips an undecided transaction
		{"fingerprint", tx([]chain.Input{in(wpkh1, 5_000_000)}, out(pkh1, 2_000_000), out(wpkh2, 2_998_000)),
			Features{Fresh: []bool{true, true}, Fingerprint: []int8{-1, 1}}, 1, []int{0}},
		// one output: nothing to tell apart
		{"one output", tx([]chain.Input{in(wpkh1, 5_000_000)}, out(pkh1, 4_990_000)), Features{}, -1, nil},
		// OP_RETURN output: left alone
		{"op_return", tx([]chain.Input{in(wpkh1, 5_000_000)}, out(pkh1, 2_000_000), chain.Output{Value: 0}), Features{}, -1, nil},
	} {
		v := Classify(k.tx, k.f, &c)
		if v.Change != k.change || len(v.NonChange) != len(k.nonChange) || len(k.nonChange) > 0 && v.NonChange[0] != k.nonChange[0] {
			t.Errorf("%s: change %d, non-change %v (scores %v); want %d, %v", k.name, v.Change, v.NonChange, v.Scores, k.change, k.nonChange)
		}
	}
	off := c
	off.Enabled = false
	if v := Classify(tx([]chain.Input{in(wpkh1, 5_000_000)}, out(pkh1, 2_000_000), out(wpkh2, 2_998_000)), Features{Fresh: []bool{false, true}}, &off); v.Change != -1 {
		t.Error("disabled change detection found a change")
	}
}

func TestCheck(t *testing.T) {
	good := Config{Enabled: true, Threshold: 3, Margin: 1, NonChange: -3, RoundDigits: 4, PeelRatio: 10}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []func(*Config){
		func(c *Config) { c.Threshold = 0 }, func(c *Config) { c.NonChange = 1 }, func(c *Config) { c.RoundDigits = 0 },
		func(c *Config) { c.PeelRatio = 0.5 }, func(c *Config) { c.Weights.FreshAddress = -1 }, func(c *Config) { c.Margin = -1 },
	} {
		c := good
		bad(&c)
		if c.Check() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
