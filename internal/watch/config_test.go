package watch

import (
	"strings"
	"testing"
	"time"
)

// TestParseDefaults: an empty file is every rule on with its documented
// defaults and alerts on stdout.
func TestParseDefaults(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Rules
	if !r.TaintMovement.On() || !r.FanOut.On() || r.FanOut.MinRecipients != 20 || time.Duration(r.FanOut.Window) != 6*time.Hour ||
		r.FanOut.ToleranceBPS != 500 || r.Chunking.MinChunks != 3 || r.Exit.FreezableSeverity != "critical" || len(r.LargeTransfer.Thresholds) != 2 {
		t.Errorf("defaults %+v", r)
	}
	if len(c.Sinks) != 1 || c.Sinks[0].Name != "stdout" {
		t.Errorf("sinks %+v", c.Sinks)
	}
}

func TestParseFull(t *testing.T) {
	c, err := Parse([]byte(`
ethereum: {rpc: http://127.0.0.1:8545, confirmations: 2, poll: 500ms}
cases:
  - name: bybit
    seeds: ["eth:0x47666fab8bd0ac7003bce3f5c3585383f09486e2", "btc:bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"]
    start: {eth: 21895000}
    severity: high
rules:
  fan_out: {min_recipients: 10, window: 2h, tolerance_bps: 100}
  chunking: {enabled: false}
  large_transfer:
    thresholds:
      - {chain: eth, asset: "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7", amount: 1000000e6}
sinks:
  - {type: webhook, url: "https://hooks.example.com/x", secret_env: HOOK_SECRET, allow_hosts: [hooks.example.com]}
  - {type: webhook, name: second, url: "https://b.example.com/x", secret: s, allow_hosts: [b.example.com], min_severity: high}
  - {type: nats, url: "nats://127.0.0.1:4222", subject: alerts}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Cases[0].Model.Value != "haircut" || len(c.Cases[0].Seeds) != 2 || c.Cases[0].Start["eth"] != 21895000 {
		t.Errorf("case %+v", c.Cases[0])
	}
	if c.Rules.FanOut.MinRecipients != 10 || c.Rules.FanOut.Severity != "high" || c.Rules.Chunking.On() || !c.Rules.Exit.On() {
		t.Errorf("rules %+v", c.Rules)
	}
	if th := c.Rules.LargeTransfer.Thresholds; len(th) != 1 || th[0].Amount.Dec() != "1000000000000" {
		t.Errorf("thresholds %+v", th)
	}
	if c.Sinks[0].Name != "webhook" || c.Sinks[1].Name != "second" || c.Sinks[2].Stream != "CHAINHOUND_ALERTS" || c.Sinks[0].MaxAttempts != 8 {
		t.Errorf("sinks %+v", c.Sinks)
	}
}

// TestParseErrors: every mistake names its line (and what is wrong).
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"cases:\n  - name: a\n    seeds: [\"eth:0x12\"]\n", "line 3: address \"0x12\""},
		{"cases:\n  - name: a\n    seeds: [\"doge:DAbc\"]\n", "line 3:"},
		{"cases:\n  - name: a\n    seeds: [\"eth:0x47666fab8bd0ac7003bce3f5c3585383f09486e2\"]\n    model: tiho\n", "line 4: case \"a\""},
		{"cases:\n  - name: a\n    seeds: [\"eth:0x47666fab8bd0ac7003bce3f5c3585383f09486e2\"]\n  - name: a\n    seeds: [\"eth:0x47666fab8bd0ac7003bce3f5c3585383f09486e2\"]\n", "line 4: case \"a\" is already defined at line 2"},
		{"cases:\n  - name: a\n", "line 2: case \"a\" has no seeds"},
		{"cases:\n  - name: a\n    seeds: [\"eth:0x47666fab8bd0ac7003bce3f5c3585383f09486e2\"]\n    colour: red\n", "line 4: field colour not found"},
		{"rules:\n  fan_out:\n    window: soon\n", "line 3: duration \"soon\""},
		{"rules:\n  exit:\n    severity: urgent\n", "line 3: severity \"urgent\""},
		{"rules:\n  large_transfer:\n    thresholds:\n      - {chain: eth, asset: native, amount: lots}\n", "line 4: amount \"lots\""},
		{"rules:\n  large_transfer:\n    thresholds:\n      - {chain: doge, asset: native, amount: 1}\n", "line 4: threshold"},
		{"rules:\n  token_swap:\n    tokens: [\"usdt\"]\n", "line 3: token \"usdt\""},
		{"rules:\n  fan_out: {min_recipients: 1}\n", "line 2: rules.fan_out.min_recipients 1"},
		{"rules:\n  exit: {severity: high}\n  fan_out:\n    window: 1h\n    min_recipients: 1\n", "line 5: rules.fan_out.min_recipients 1"},
		{"rules:\n  fan_out:\n    tolerance_bps: 20000\n", "line 3: rules.fan_out.tolerance_bps"},
		{"rules:\n  chunking:\n    band_bps: 10001\n", "line 3: rules.chunking.band_bps"},
		{"rules:\n  chunking:\n    min_chunks: 1\n", "line 3: rules.chunking.min_chunks 1"},
		{"rules:\n  chunking:\n    max_sender_transfers: -1\n", "line 3: rules.chunking.max_sender_transfers"},
		{"rules:\n  large_transfer:\n    thresholds:\n      - asset: native\n        amount: 5\n", "line 4: threshold"},
		{"rules:\n  chunking:\n    thresholds:\n      - {chain: eth, asset: native, amount: 1}\n      - chain: btc\n        asset: native\n        amount: 0\n", "line 7: threshold for btc native: amount must be above zero"},
		{"cases:\n  - name: a\n    seeds: [\"eth:0x47666fab8bd0ac7003bce3f5c3585383f09486e2\"]\n  - seeds: [\"eth:0x47666fab8bd0ac7003bce3f5c3585383f09486e2\"]\n", "line 4: cases[1]: no name"},
		{"cases:\n  - name: a\n    seeds: [\"eth:0x47666fab8bd0ac7003bce3f5c3585383f09486e2\"]\n    start: {doge: 5}\n", "line 4: case \"a\": start"},
		{"cases:\n  - name: a\n    seeds: [\"eth:0x47666fab8bd0ac7003bce3f5c3585383f09486e2\"]\n    max_hops: -2\n", "line 4: case \"a\": max_hops"},
		{"sinks:\n  - type: pager\n", "line 2: sink type \"pager\""},
		{"sinks:\n  - type: webhook\n    url: https://evil.example.com/\n    secret: x\n    allow_hosts: [hooks.example.com]\n", "line 3: sink webhook: host evil.example.com is not in allow_hosts"},
		{"sinks:\n  - type: webhook\n    url: https://hooks.example.com/\n    allow_hosts: [hooks.example.com]\n", "line 2: sink webhook: a webhook needs a secret"},
		{"sinks:\n  - type: webhook\n    url: ftp://hooks.example.com/\n    secret: x\n    allow_hosts: [hooks.example.com]\n", "line 3: sink webhook: url"},
		{"sinks:\n  - type: file\n", "line 2: sink file: a file sink needs a path"},
		{"sinks:\n  - {type: nats, url: \"nats://x\"}\n", "line 2: sink nats: a nats sink needs a url and a subject"},
		{"cases: 7\n", "line 1:"},
		{"cases:\n  - name: [x]\n", "line 2: want a string"},
	} {
		_, err := Parse([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.doc, err, tc.want)
		}
	}
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]string{"1": "1", "1000e18": "1000000000000000000000", "1_000": "1000", "5E8": "500000000"} {
		v, err := ParseAmount(in)
		if err != nil || v.Dec() != want {
			t.Errorf("%s: %v %v, want %s", in, v, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.5", "1e", "1e-3", "1e99", "0x10", "1e+3"} {
		if _, err := ParseAmount(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// FuzzParse: no input makes the parser panic, and what it accepts has
// checked cases and sinks.
func FuzzParse(f *testing.F) {
	f.Add([]byte("cases:\n  - name: a\n    seeds: [\"eth:0x47666fab8bd0ac7003bce3f5c3585383f09486e2\"]\n"))
	f.Add([]byte("rules:\n  fan_out: {min_recipients: 5, window: 1h}\nsinks:\n  - {type: file, path: x}\n"))
	f.Add([]byte("rules:\n  large_transfer:\n    thresholds:\n      - {chain: eth, asset: native, amount: 1e18}\n"))
	f.Add([]byte("sinks:\n  - {type: webhook, url: \"https://a/\", secret: s, allow_hosts: [a]}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			return
		}
		for _, k := range c.Cases {
			if k.Name.Value == "" || len(k.Seeds) == 0 {
				t.Fatalf("accepted case %+v", k)
			}
		}
		if len(c.Sinks) == 0 {
			t.Fatal("no sink")
		}
		for _, s := range c.Sinks {
			if s.Name == "" || s.MaxAttempts <= 0 {
				t.Fatalf("accepted sink %+v", s)
			}
		}
	})
}
