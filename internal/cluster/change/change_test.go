package change

import (
	"math/rand/v2"
	"slices"
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

// TestPostMix: a payment from a post-mix coin (the input's P2WPKH type
// set by the CoinJoin) to a fresh address of that type, odd, ten times
// the change, which goes back to the payer's reused P2SH address: fresh
// address, script type and peel chain agree on the payment (3.0 points),
// the simulator's wrong change link. With post_mix the script type says
// nothing there (2.0: no change); without post-mix inputs, or with the
// setting off, it speaks as before.
func TestPostMix(t *testing.T) {
	c := Config{Enabled: true, Threshold: 3, Margin: 1, NonChange: -2.5, RoundDigits: 4, PeelRatio: 10, PostMix: true,
		Weights: Weights{OptimalChange: 1, FreshAddress: 1.5, RoundAmount: 1, ScriptType: 1, Fingerprint: 1, PeelChain: 0.5}}
	tx := &chain.Tx{Inputs: []chain.Input{{Address: a(wpkh1), Value: 12_959_163, Resolved: true}},
		Outputs: []chain.Output{{Address: a(wpkh2), Value: 12_734_883}, {Address: a(sh1), Value: 223_280}}}
	fresh := []bool{true, false}
	mixed := Classify(tx, Features{Fresh: fresh, PostMix: true}, &c)
	if mixed.Change != -1 || mixed.Scores[0] != 2 || mixed.Scores[1] != -2 {
		t.Errorf("post-mix input: change %d, scores %v; want none, [2 -2]", mixed.Change, mixed.Scores)
	}
	off := c
	off.PostMix = false
	for name, v := range map[string]Verdict{"no post-mix input": Classify(tx, Features{Fresh: fresh}, &c),
		"post_mix off": Classify(tx, Features{Fresh: fresh, PostMix: true}, &off)} {
		if v.Change != 0 || v.Scores[0] != 3 || len(v.NonChange) != 1 {
			t.Errorf("%s: change %d, scores %v, non-change %v; want output 0 at 3 and output 1 a payment", name, v.Change, v.Scores, v.NonChange)
		}
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
		func(c *Config) { c.MaxOutputs = 1 }, func(c *Config) { c.MaxOutputs = -1 }, func(c *Config) { c.FingerprintBlocks = -1 },
		func(c *Config) { c.FingerprintBlocks = 100_001 }, func(c *Config) { c.AntiSnipeBlocks = -1 }, func(c *Config) { c.AntiSnipeBlocks = 10_001 },
	} {
		c := good
		bad(&c)
		if c.Check() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestPrintOf(t *testing.T) {
	const h = 800_000
	for _, k := range []struct {
		version  int32
		lockTime uint32
		known    bool
		want     Print
	}{
		{2, 0, true, Print{2, LockZero}},
		{1, h - 1, true, Print{1, LockAntiSnipe}},   // Bitcoin Core: the tip
		{2, h - 100, true, Print{2, LockAntiSnipe}}, // the one-in-ten random step back, at its edge
		{2, h - 101, true, Print{2, LockHeight}},    // older than anti-fee-sniping goes
		{2, h, true, Print{2, LockHeight}},          // not below the confirming block: not anti-fee-sniping
		{2, h + 5, true, Print{2, LockHeight}},      // a future height (confirmed late)
		{2, 500_000_000, true, Print{2, LockTimestamp}},
		{-7, 1_700_000_000, true, Print{-7, LockTimestamp}},
		{2, h - 1, false, Print{}},
	} {
		tx := chain.Tx{Version: k.version, LockTime: k.lockTime, HasFingerprint: k.known}
		got, ok := PrintOf(&tx, h, 100)
		if ok != k.known || got != k.want {
			t.Errorf("version %d locktime %d known %v: %+v %v, want %+v", k.version, k.lockTime, k.known, got, ok, k.want)
		}
	}
}

func fpConfig() Config {
	return Config{Enabled: true, Threshold: 3, Margin: 1, NonChange: -3, RoundDigits: 4, PeelRatio: 10, MaxOutputs: 2, FingerprintBlocks: 144, AntiSnipeBlocks: 100,
		Weights: Weights{OptimalChange: 1, FreshAddress: 1.5, RoundAmount: 1, ScriptType: 1, Fingerprint: 1, PeelChain: 0.5}}
}

// The fingerprint term speaks only when the spenders tell the outputs
// apart, and then adds its weight to the matching output and takes it
// from the others.
func TestFingerprintTerm(t *testing.T) {
	c := fpConfig()
	c.MaxOutputs = 0
	in := []chain.Input{{Address: a(wpkh1), Value: 9_000_000, Resolved: true}}
	tx := &chain.Tx{Inputs: in, Outputs: []chain.Output{{Address: a(pkh1), Value: 2_000_000}, {Address: a(wpkh2), Value: 2_998_000}, {Address: a(pkh2), Value: 3_000_000}}}
	fresh := []bool{true, true, true}
	base := Classify(tx, Features{Fresh: fresh}, &c).Scores
	for _, k := range []struct {
		fp   []int8
		want []float64 // added to the scores without the term
	}{
		{[]int8{-1, 1, 0}, []float64{-1, 1, 0}},
		{[]int8{-1, 1, -1}, []float64{-1, 1, -1}},
		{[]int8{1, 1, -1}, []float64{1, 1, -1}},
		{[]int8{0, 1, 0}, []float64{0, 0, 0}},   // one spender alone says nothing
		{[]int8{1, 1, 1}, []float64{0, 0, 0}},   // all of one habit: nothing
		{[]int8{-1, -1, 0}, []float64{0, 0, 0}}, // none matches: nothing
		{[]int8{-1, 1}, []float64{0, 0, 0}},     // not one per output: ignored
	} {
		s := Classify(tx, Features{Fresh: fresh, Fingerprint: k.fp}, &c).Scores
		for i := range s {
			if s[i]-base[i] != k.want[i] {
				t.Errorf("fingerprint %v: scores %v, without %v; want the term to add %v", k.fp, s, base, k.want)
				break
			}
		}
	}
	// The ambiguous payment of TestClassify: both outputs fresh, round
	// and script type point at output 1 (2 points, short of 3).
	two := &chain.Tx{Inputs: []chain.Input{{Address: a(wpkh1), Value: 5_000_000, Resolved: true}},
		Outputs: []chain.Output{{Address: a(pkh1), Value: 2_000_000}, {Address: a(wpkh2), Value: 2_998_000}}}
	f := Features{Fresh: []bool{true, true}}
	if v := Classify(two, f, &c); v.Change != -1 {
		t.Fatalf("decided without the fingerprint: %+v", v)
	}
	for _, k := range []struct {
		fp     []int8
		change int
	}{{[]int8{-1, 1}, 1}, {[]int8{1, -1}, -1}, {[]int8{0, 1}, -1}, {[]int8{1, 1}, -1}} {
		f.Fingerprint = k.fp
		if v := Classify(two, f, &c); v.Change != k.change {
			t.Errorf("fingerprint %v: change %d (scores %v), want %d", k.fp, v.Change, v.Scores, k.change)
		}
	}
}

func TestNeedsFingerprint(t *testing.T) {
	c := fpConfig()
	in := func(v int64) []chain.Input { return []chain.Input{{Address: a(wpkh1), Value: v, Resolved: true}} }
	out := func(addr string, v int64) chain.Output { return chain.Output{Address: a(addr), Value: v} }
	needs := func(tx *chain.Tx, f Features, c *Config) bool { return NeedsFingerprint(Classify(tx, f, c), c) }
	amb := chain.Tx{Inputs: in(5_000_000), Outputs: []chain.Output{out(pkh1, 2_000_000), out(wpkh2, 2_998_000)}, HasFingerprint: true, Version: 2}
	both := Features{Fresh: []bool{true, true}}
	if !needs(&amb, both, &c) {
		t.Error("two points for output 1: the fingerprint's +1/-1 would decide it, but it does not wait")
	}
	off := c
	off.FingerprintBlocks = 0
	if needs(&amb, both, &off) {
		t.Error("waits with fingerprint_blocks 0")
	}
	off = c
	off.Weights.Fingerprint = 0
	if needs(&amb, both, &off) {
		t.Error("waits with the fingerprint weighted 0")
	}
	// Decided already: output 1 fresh, output 0 reused.
	if needs(&amb, Features{Fresh: []bool{false, true}}, &c) {
		t.Error("waits though the other heuristics decide")
	}
	// Too little evidence for the fingerprint to tip: an odd payment to
	// another script type, nothing fresh; one point at most.
	weak := chain.Tx{Inputs: in(5_000_000), Outputs: []chain.Output{out(pkh1, 2_000_123), out(wpkh2, 2_998_000)}, HasFingerprint: true}
	if needs(&weak, Features{Fresh: []bool{false, false}}, &c) {
		t.Error("waits though even a decisive fingerprint could not reach the threshold")
	}
	// Enough for the threshold but not the margin: with the fingerprint,
	// output 1 scores 3 and output 0 -3, and a margin of 7 is wanted.
	wide := c
	wide.Margin = 7
	if needs(&amb, both, &wide) {
		t.Error("waits though no fingerprint could clear the margin")
	}
	// Paid back to the input's address: the change is known.
	self := chain.Tx{Inputs: in(5_000_000), Outputs: []chain.Output{out(pkh1, 2_000_000), out(wpkh1, 2_998_000)}, HasFingerprint: true}
	if needs(&self, both, &c) {
		t.Error("waits though the change pays an input's address")
	}
	// A batch of three outputs is beyond max_outputs 2.
	batch := chain.Tx{Inputs: in(9_000_000), Outputs: []chain.Output{out(pkh1, 2_000_000), out(wpkh2, 2_998_000), out(pkh2, 3_000_000)}, HasFingerprint: true}
	if v := Classify(&batch, Features{Fresh: []bool{false, true, false}}, &c); v.Scores != nil || needs(&batch, Features{Fresh: []bool{true, true, true}}, &c) {
		t.Errorf("a 3-output transaction scored with max_outputs 2: %+v", v)
	}
}

// Decide on the scores without the fingerprint, given the spenders'
// evidence, is Classify given it: what a deferred decision relies on.
func TestDecideIsClassify(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	c := fpConfig()
	c.MaxOutputs = 0
	addrs := []string{pkh1, pkh2, sh1, wpkh1, wpkh2, wpkh3, tr1}
	decided := 0
	for n := 0; n < 20_000; n++ {
		tx := &chain.Tx{}
		for range 1 + r.IntN(3) {
			tx.Inputs = append(tx.Inputs, chain.Input{Address: a(addrs[r.IntN(len(addrs))]), Value: 1 + r.Int64N(5)*1_000_000, Resolved: true})
		}
		k := 2 + r.IntN(2)
		f := Features{Fresh: make([]bool, k), Fingerprint: make([]int8, k)}
		for i := range k {
			v := 10_000 + r.Int64N(3_000_000)
			if r.IntN(2) == 0 {
				v = v / 10_000 * 10_000
			}
			tx.Outputs = append(tx.Outputs, chain.Output{Address: a(addrs[r.IntN(len(addrs))]), Value: v})
			f.Fresh[i], f.Fingerprint[i] = r.IntN(2) == 0, int8(r.IntN(3)-1)
		}
		want := Classify(tx, f, &c)
		base := Classify(tx, Features{Fresh: f.Fresh}, &c)
		if base.Self || base.Scores == nil {
			continue
		}
		got := Decide(base.Scores, f.Fingerprint, &c)
		if got.Change != want.Change || !slices.Equal(got.NonChange, want.NonChange) || !slices.Equal(got.Scores, want.Scores) {
			t.Fatalf("%+v with %+v: Decide %+v, Classify %+v", tx, f, got, want)
		}
		if got.Change >= 0 {
			decided++
		}
	}
	if decided < 100 {
		t.Fatalf("only %d decided: the test says little", decided)
	}
}
