package cluster

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/cockroachdb/pebble/v2"
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

// A database built by a version before the fingerprint feed and post_mix
// pinned a change policy without fingerprint_blocks, max_outputs,
// anti_snipe_blocks and post_mix (the options record below, as that
// version wrote it). `cluster update` opens it read-only for its policy
// and updates with that: nothing waits for fingerprints, no post-mix
// marks are kept, and the result equals a rebuild under the same policy. Given today's defaults instead, the update is
// refused naming the rebuild.
func TestOlderPolicyKeepsItsBehaviour(t *testing.T) {
	const older = "\x02" + `{"change":{"enabled":true,"threshold":3,"margin":1,"non_change":-2.5,` +
		`"weights":{"optimal_change":1,"fresh_address":1.5,"round_amount":1,"script_type":1,"fingerprint":1,"peel_chain":0.5},` +
		`"round_digits":4,"peel_ratio":10},"deposit":{"enabled":false,"amount_tolerance_wei":0,"window_blocks":0,"max_depositors":0}}`
	old, err := decodeOptions([]byte(older))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := &chainGen{r: rand.New(rand.NewPCG(41, 42)), tag: "older"}
	var parent chain.Hash
	grow := func(from, to uint64) {
		for h := from; h <= to; h++ {
			parent = g.block(t, st, h, parent).Hash
		}
	}
	grow(1, 20)
	path := filepath.Join(dir, "cluster")
	d, err := Create(path, chain.Bitcoin, old)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.db.Set([]byte{pOptions}, []byte(older), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	d.Close()
	grow(21, 30)

	ro, err := Open(path, chain.Bitcoin, Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	kept := ro.Options()
	ro.Close()
	if c := kept.Change; !c.Enabled || c.FingerprintBlocks != 0 || c.MaxOutputs != 0 || c.PostMix || c.AntiSnipeBlocks != 0 {
		t.Fatalf("the older policy read as %+v", c)
	}
	if _, err := Open(path, chain.Bitcoin, Options{Change: DefaultConfig().Change}, false); err == nil || !strings.Contains(err.Error(), "rebuild it (cluster build)") {
		t.Fatalf("today's defaults on the older database: %v", err)
	}
	d, err = Open(path, chain.Bitcoin, kept, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Update(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	full, err := Create(filepath.Join(t.TempDir(), "full"), chain.Bitcoin, old)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	if err := full.Build(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	k := d.c.Counts
	if k != full.c.Counts || k.Txs == 0 || k.Deferred != 0 || d.c.Pending() != 0 || d.c.MixedCount() != 0 {
		t.Fatalf("updated: %+v (%d waiting, %d post-mix marks); rebuilt: %+v", k, d.c.Pending(), d.c.MixedCount(), full.c.Counts)
	}
	for i := uint64(1); i < uint64(full.c.Forest.Len()); i++ {
		if d.c.EntityOf(i) != full.c.EntityOf(i) {
			t.Fatalf("id %d: entity %d, rebuilt %d", i, d.c.EntityOf(i), full.c.EntityOf(i))
		}
	}
	if v, closer, err := d.db.Get([]byte{pOptions}); err != nil || string(v) != older {
		t.Fatalf("the options record changed: %q %v", v, err)
	} else {
		closer.Close()
	}
}
