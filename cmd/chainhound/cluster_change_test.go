package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// TestClusterChangeAndLabels: `cluster build` merges a confident change
// output and records the payment as a cannot-link pair (stats count
// both); tags imported afterwards lift to entities, and an entity whose
// cluster-defining tags disagree is reported as a conflict by `cluster
// stats` and `entity`, not resolved; a rebuild with the tags refuses the
// merge; a config file sets the policy, is checked, and is pinned.
func TestClusterChangeAndLabels(t *testing.T) {
	data := t.TempDir()
	const (
		alice  = "1FDCgJ8m2xDyVmYuankk13XReVC2Zvs5cz"
		payee  = "3PayeeXxxxxxxxxxxxxxxxxxxxxxxxxxx"
		change = "1AliceChangeXxxxxxxxxxxxxxxxxxxxx"
		x, y   = "138cWsiAGpW9yqfjMVCCsFcnaiSHyoWMnJ", "1HxbaBMF2jXBVnagoHvaA6rLxmaYL8gb8T"
	)
	clusterStore(t, data,
		[]chain.Tx{{Hash: clusterHash("c-cb1"), Coinbase: true, Outputs: []chain.Output{out(alice, 10_000_000), out(payee, 1000), out(x, 500), out(y, 500)}}},
		[]chain.Tx{
			{Hash: clusterHash("c-cb2"), Coinbase: true, Outputs: []chain.Output{out(payee, 1)}},
			// a round payment to a known address of another type; odd change to a new one
			{Hash: clusterHash("c-pay"), Inputs: []chain.Input{in("c-cb1", 0)}, Outputs: []chain.Output{out(payee, 5_000_000), out(change, 4_989_000)}},
			{Hash: clusterHash("c-xy"), Inputs: []chain.Input{in("c-cb1", 2), in("c-cb1", 3)}, Outputs: []chain.Output{out(addrD, 900)}},
		})
	if got := mustCLI(t, "cluster", "build", "--data", data); !strings.Contains(got, "2 merges, 1 of them change") || !strings.Contains(got, "1 cannot-link pairs") {
		t.Fatalf("build:\n%s", got)
	}
	stats := func() statsOut {
		t.Helper()
		var s statsOut
		if err := json.Unmarshal([]byte(mustCLI(t, "cluster", "stats", "--data", data, "--output", "json")), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := stats(); !s.ChangeEnabled || s.ChangeMerges != 1 || s.ChangeFound != 1 || s.CannotLinks != 1 || s.Refused != 0 || s.Labelled != 0 || len(s.Conflicts) != 0 {
		t.Fatalf("stats: %+v", s)
	}

	labels := filepath.Join(t.TempDir(), "labels.csv")
	csv := "chain,address,label,category,confidence,source,date\n" +
		btcMainnet + "," + alice + ",Alice Exchange,exchange,,https://example.org/a,\n" +
		btcMainnet + "," + x + ",Binance,exchange,,https://example.org/b,\n" +
		btcMainnet + "," + y + ",Kraken,exchange,,https://example.org/c,\n"
	if err := os.WriteFile(labels, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, "intel", "import", "labels", "--format", "csv", labels, "--data", data)
	s := stats()
	if s.Labelled != 2 || len(s.Conflicts) != 1 || len(s.Conflicts[0].Labels) != 2 || s.Conflicts[0].Labels[0].Name != "Binance" || s.Conflicts[0].Labels[1].Name != "Kraken" {
		t.Fatalf("conflicts: %+v", s)
	}
	if table := mustCLI(t, "cluster", "stats", "--data", data); !strings.Contains(table, "Binance / Kraken") {
		t.Fatalf("stats table:\n%s", table)
	}
	entity := func(q string) entityOut {
		t.Helper()
		var e entityOut
		if err := json.Unmarshal([]byte(mustCLI(t, "entity", q, "--output", "json", "--data", data)), &e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	if e := entity(y); !e.Conflict || e.Label != "" || len(e.Labels) != 2 || len(e.Tags) != 2 {
		t.Fatalf("entity of y: %+v", e)
	}
	if table := mustCLI(t, "entity", x, "--data", data); !strings.Contains(table, "CONFLICT") || !strings.Contains(table, "Kraken ("+y+")") {
		t.Fatalf("entity table:\n%s", table)
	}
	if e := entity(change); e.Conflict || e.Label != "Alice Exchange" || e.Members != 2 || len(e.Tags) != 1 || !e.Tags[0].Inherited || !e.Tags[0].Defining {
		t.Fatalf("entity of the change: %+v", e)
	}

	// Rebuilt with the tags, the co-spend of two exchanges is refused.
	got, errs, code := cli(t, "cluster", "build", "--data", data)
	if code != 0 || !strings.Contains(got, "1 merges refused") || !containsAll(errs, "merge refused", "co-spend", "Binance") {
		t.Fatalf("rebuild: exit %d\n%s\n%s", code, got, errs)
	}
	if s := stats(); s.RefusedBy.CospendServices != 1 || len(s.Conflicts) != 0 || s.ChangeMerges != 1 {
		t.Fatalf("stats after the rebuild: %+v", s)
	}

	// Configuration: checked, named, pinned.
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct{ body, msg string }{
		{"change:\n  threshold: 0\n", "change.threshold"},
		{"change:\n  treshold: 4\n", "treshold"},
		{"deposit:\n  window_blocks: 0\n", "deposit.window_blocks"},
		{"change:\n  threshold: .nan\n", "change.threshold"},
		{"change:\n  round_digits: 2.5\n", "change.round_digits"},
		{"change:\n  margin: abc\n", "change.margin"},
	} {
		if _, errs, code := cli(t, "cluster", "build", "--data", data, "--config", write("bad.yaml", c.body)); code != 1 || !strings.Contains(errs, c.msg) {
			t.Errorf("%q: exit %d\n%s", c.body, code, errs)
		}
	}
	if s := stats(); s.ChangeMerges != 1 {
		t.Fatalf("a refused config changed the clustering: %+v", s)
	}
	strict := write("strict.yaml", "change:\n  threshold: 9\n")
	if _, errs, code := cli(t, "cluster", "update", "--data", data, "--config", strict); code != 1 || !strings.Contains(errs, "rebuild it") {
		t.Errorf("update with another policy: exit %d\n%s", code, errs)
	}
	if got := mustCLI(t, "cluster", "build", "--data", data, "--config", strict); !strings.Contains(got, "0 of them change") {
		t.Fatalf("build with threshold 9:\n%s", got)
	}
	mustCLI(t, "cluster", "update", "--data", data) // keeps the database's policy
	// A policy switched off, given again to the update, is the same policy.
	off := write("off.yaml", "change:\n  enabled: false\n")
	mustCLI(t, "cluster", "build", "--data", data, "--config", off)
	mustCLI(t, "cluster", "update", "--data", data, "--config", off)
	if got := mustCLI(t, "cluster", "config"); !strings.Contains(got, "threshold: 3.0") || !strings.Contains(got, "window_blocks: 3200") {
		t.Fatalf("config:\n%s", got)
	}
}

// TestClusterFingerprint: a payment whose change only the wallet
// fingerprint can decide waits, across the commands, for its outputs'
// spenders: `cluster build` leaves it waiting (stats say so), the block
// that spends its outputs, clustered by `cluster update` in another
// process, decides it with the kept state (the payer's program spends the
// change, the payee's the payment) and merges the change; a rebuild
// agrees.
func TestClusterFingerprint(t *testing.T) {
	data := t.TempDir()
	const (
		alice   = "bc1qalicexxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		payee   = "1FingerPayeexxxxxxxxxxxxxxxxxxxxx"
		change  = "bc1qalicechangexxxxxxxxxxxxxxxxxxxxxxxxxxx"
		onwards = "1FingerOnwardsxxxxxxxxxxxxxxxxxxx"
	)
	withPrint := func(tx chain.Tx, version int32, lockTime uint32) chain.Tx {
		tx.Version, tx.LockTime, tx.HasFingerprint = version, lockTime, true
		return tx
	}
	clusterStore(t, data,
		[]chain.Tx{{Hash: clusterHash("f-cb1"), Coinbase: true, Outputs: []chain.Output{out(alice, 10_000_000)}}},
		[]chain.Tx{
			{Hash: clusterHash("f-cb2"), Coinbase: true, Outputs: []chain.Output{out(onwards, 1)}},
			// both outputs new; round amount and script type point at the
			// change (2 points of 3): the spenders' programs decide
			withPrint(chain.Tx{Hash: clusterHash("f-pay"), Inputs: []chain.Input{in("f-cb1", 0)}, Outputs: []chain.Output{out(payee, 5_000_000), out(change, 4_989_000)}}, 2, 1),
		})
	stats := func() statsOut {
		t.Helper()
		var s statsOut
		if err := json.Unmarshal([]byte(mustCLI(t, "cluster", "stats", "--data", data, "--output", "json")), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	mustCLI(t, "cluster", "build", "--data", data)
	if fp := stats().Fingerprint; fp != (fingerprintOut{Deferred: 1, Waiting: 1, Window: 144}) {
		t.Fatalf("after the payment: %+v", fp)
	}
	clusterStore(t, data, []chain.Tx{
		{Hash: clusterHash("f-cb3"), Coinbase: true, Outputs: []chain.Output{out(onwards, 1)}},
		withPrint(chain.Tx{Hash: clusterHash("f-payee"), Inputs: []chain.Input{in("f-pay", 0)}, Outputs: []chain.Output{out(onwards, 4_999_000)}}, 1, 0),
		withPrint(chain.Tx{Hash: clusterHash("f-alice"), Inputs: []chain.Input{in("f-pay", 1)}, Outputs: []chain.Output{out(onwards, 4_988_000)}}, 2, 2),
	})
	if got := mustCLI(t, "cluster", "update", "--data", data); !strings.Contains(got, "1 of them change") || !strings.Contains(got, "1 cannot-link pairs") {
		t.Fatalf("update:\n%s", got)
	}
	want := fingerprintOut{Deferred: 1, Decided: 1, ChangeFound: 1, Window: 144}
	if s := stats(); s.Fingerprint != want || s.ChangeMerges != 1 {
		t.Fatalf("after the spends: %+v", s)
	}
	var e entityOut
	if err := json.Unmarshal([]byte(mustCLI(t, "entity", change, "--output", "json", "--data", data)), &e); err != nil {
		t.Fatal(err)
	}
	if e.Members != 2 {
		t.Fatalf("the change's entity: %+v", e)
	}
	if table := mustCLI(t, "cluster", "stats", "--data", data); !strings.Contains(table, "1 transactions waited for their outputs' spenders (up to 144 blocks): 1 decided") {
		t.Fatalf("stats table:\n%s", table)
	}
	mustCLI(t, "cluster", "build", "--data", data)
	if s := stats(); s.Fingerprint != want || s.ChangeMerges != 1 {
		t.Fatalf("rebuilt: %+v", s)
	}
}
