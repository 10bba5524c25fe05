package cluster

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// A non-finite number passes the range checks (every comparison with NaN
// is false) and then cannot be pinned as JSON: it must be refused by
// name when the configuration is read.
func TestConfigRejectsNonFinite(t *testing.T) {
	for _, tc := range []struct{ yaml, key string }{
		{"change:\n  threshold: .nan\n", "change.threshold"},
		{"change:\n  threshold: .inf\n", "change.threshold"},
		{"change:\n  margin: .nan\n", "change.margin"},
		{"change:\n  non_change: .nan\n", "change.non_change"},
		{"change:\n  non_change: -.inf\n", "change.non_change"},
		{"change:\n  peel_ratio: .inf\n", "change.peel_ratio"},
		{"change:\n  weights:\n    round_amount: .nan\n", "change.weights.round_amount"},
	} {
		_, err := ParseConfig([]byte(tc.yaml), DefaultConfig())
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%q: error %v, want one naming %s", tc.yaml, err, tc.key)
		}
	}
}

// A policy switched off is pinned as off, whatever its other settings:
// an update with the same configuration file as the build must open.
func TestDisabledPolicyReopens(t *testing.T) {
	cfg, err := ParseConfig([]byte("change:\n  enabled: false\ndeposit:\n  enabled: false\n"), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		chain chain.Chain
		o     Options
	}{
		{chain.Bitcoin, Options{Change: cfg.Change}},
		{chain.Ethereum, Options{Deposit: cfg.Deposit}},
	} {
		dir := filepath.Join(t.TempDir(), "cl")
		d, err := Create(dir, c.chain, c.o)
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		d, err = Open(dir, c.chain, c.o, false)
		if err != nil {
			t.Fatalf("%s: reopen with the build's own configuration: %v", c.chain, err)
		}
		d.Close()
	}
}

// A value of the wrong kind is refused naming its key, and a fraction
// for a whole-number setting is refused, not truncated.
func TestConfigErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct{ yaml, key string }{
		{"change:\n  threshold: abc\n", "change.threshold"},
		{"change:\n  enabled: maybe\n", "change.enabled"},
		{"change:\n  round_digits: 2.5\n", "change.round_digits"},
		{"change:\n  weights:\n    peel_chain: [1]\n", "change.weights.peel_chain"},
		{"deposit:\n  window_blocks: -5\n", "deposit.window_blocks"},
		{"deposit:\n  max_depositors: 2.5\n", "deposit.max_depositors"},
		{"deposit:\n  amount_tolerance_wei: 100000000000000000000\n", "deposit.amount_tolerance_wei"},
		{"deposit: 5\n", "deposit"},
	} {
		_, err := ParseConfig([]byte(tc.yaml), DefaultConfig())
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%q: error %v, want one naming %s", tc.yaml, err, tc.key)
		}
	}
	// A whole number written as a float is one.
	c, err := ParseConfig([]byte("deposit:\n  amount_tolerance_wei: 1e16\n"), DefaultConfig())
	if err != nil || c.Deposit.AmountToleranceWei != 1e16 {
		t.Fatalf("1e16 wei: %v, %d", err, c.Deposit.AmountToleranceWei)
	}
	// The defaults themselves pass.
	if _, err := ParseConfig(DefaultYAML(), Config{}); err != nil {
		t.Fatal(err)
	}
}
