package main

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
)

func clusterHash(s string) chain.Hash { return chain.Hash(sha256.Sum256([]byte(s))) }

func caddr(s string) chain.Address {
	return chain.Address{Chain: chain.Bitcoin, Raw: s}
}

// clusterStore writes blocks 1..n of a small Bitcoin history straight
// into a store, as ingest would.
func clusterStore(t *testing.T, dir string, blocks ...[]chain.Tx) {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Bind(chain.Bitcoin, chain.Network{CAIP2: btcMainnet, Genesis: "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"}); err != nil {
		t.Fatal(err)
	}
	cur, _, _ := st.Cursor(chain.Bitcoin)
	parent := cur.Hash
	for _, txs := range blocks {
		h := cur.Height + 1
		b := &chain.Block{Chain: chain.Bitcoin, Height: h, Hash: clusterHash(string(rune('A' + h))), Parent: parent, Time: 1_600_000_000 + int64(h)*600}
		for i := range txs {
			txs[i].Index, txs[i].Success = uint32(i), true
		}
		b.Txs = txs
		if err := st.ResolveInputs(b); err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		if err := chain.UTXOTransfers(b); err != nil {
			t.Fatal(err)
		}
		if err := st.ApplyBlock(b); err != nil {
			t.Fatal(err)
		}
		parent, cur.Height = b.Hash, h
	}
}

func in(tx string, i uint32) chain.Input { return chain.Input{PrevTx: clusterHash(tx), PrevIndex: i} }

func out(a string, v int64) chain.Output { return chain.Output{Address: caddr(a), Value: v} }

const (
	addrA1 = "1ClusterA1xxxxxxxxxxxxxxxxxxxxxxx"
	addrA2 = "1ClusterA2xxxxxxxxxxxxxxxxxxxxxxx"
	addrB  = "1ClusterBxxxxxxxxxxxxxxxxxxxxxxxx"
	addrC  = "1ClusterCxxxxxxxxxxxxxxxxxxxxxxxx"
	addrD  = "1ClusterDxxxxxxxxxxxxxxxxxxxxxxxx"
)

// TestClusterCommands builds a clustering of a small history through the
// CLI, checks stats and entities (members, paging, totals), extends the
// store and updates, and refuses bad input.
func TestClusterCommands(t *testing.T) {
	data := t.TempDir()
	if _, errs, code := cli(t, "cluster", "stats", "--data", data); code != 1 || !strings.Contains(errs, "cluster build first") {
		t.Fatalf("stats before build: exit %d\n%s", code, errs)
	}
	cb := func(name string, outs ...chain.Output) chain.Tx {
		return chain.Tx{Hash: clusterHash(name), Coinbase: true, Outputs: outs}
	}
	clusterStore(t, data,
		[]chain.Tx{cb("cb1", out(addrA1, 1000), out(addrA1, 500), out(addrA2, 700), out(addrB, 400), out(addrC, 300), out(addrD, 100))},
		[]chain.Tx{
			cb("cb2", out(addrD, 1)),
			// a1 and a2 spend together: one owner
			{Hash: clusterHash("pay"), Inputs: []chain.Input{in("cb1", 0), in("cb1", 2)}, Outputs: []chain.Output{out(addrD, 1600)}},
			// b and c in an equal-output CoinJoin (BlockSci's rule): apart
			{Hash: clusterHash("join"), Inputs: []chain.Input{in("cb1", 3), in("cb1", 4)}, Outputs: []chain.Output{out("1JoinOut1xxxxxxxxxxxxxxxxxxxxxxxx", 300), out("1JoinOut2xxxxxxxxxxxxxxxxxxxxxxxx", 300), out(addrB, 90)}},
		})
	got := mustCLI(t, "cluster", "build", "--data", data)
	if !strings.Contains(got, "clustered to block 2") || !strings.Contains(got, "1 merges") || !strings.Contains(got, "1 CoinJoins left unlinked") {
		t.Fatalf("build:\n%s", got)
	}
	var stats statsOut
	if err := json.Unmarshal([]byte(mustCLI(t, "cluster", "stats", "--data", data, "--output", "json")), &stats); err != nil {
		t.Fatal(err)
	}
	if stats.Block != 2 || stats.Merges != 1 || stats.Entities != 1 || stats.Clustered != 2 || stats.CoinJoins["joinmarket"] != 1 || stats.Unlinked != 1 || stats.Transactions != 2 {
		t.Fatalf("stats: %+v", stats)
	}

	entity := func(args ...string) entityOut {
		t.Helper()
		var e entityOut
		raw := mustCLI(t, append([]string{"entity", "--data", data, "--output", "json"}, args...)...)
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			t.Fatalf("%v\n%s", err, raw)
		}
		return e
	}
	a2 := entity(addrA2)
	if a2.Members != 2 || len(a2.Listing) != 2 || a2.Listing[0].Address != addrA1 || a2.Listing[1].Address != addrA2 {
		t.Fatalf("entity of a2: %+v", a2)
	}
	if a2.Entity != a2.Listing[0].ID || a2.Received != "2200" || a2.Sent != "1700" || a2.FirstSeen == nil || a2.FirstSeen.Block != 1 || a2.LastSeen.Block != 2 {
		t.Fatalf("entity of a2: id %d, received %s, sent %s, seen %+v..%+v", a2.Entity, a2.Received, a2.Sent, a2.FirstSeen, a2.LastSeen)
	}
	for _, q := range []string{addrB, addrC} {
		if e := entity(q); e.Members != 1 {
			t.Errorf("%s was in the CoinJoin but has %d members", q, e.Members)
		}
	}

	// A later block links a1 (reused) with d; update picks it up.
	clusterStore(t, data, []chain.Tx{
		cb("cb3", out(addrC, 1)),
		{Hash: clusterHash("sweep"), Inputs: []chain.Input{in("cb1", 1), in("cb1", 5)}, Outputs: []chain.Output{out(addrB, 550)}},
	})
	if got := mustCLI(t, "cluster", "update", "--data", data); !strings.Contains(got, "clustered to block 3") {
		t.Fatalf("update:\n%s", got)
	}
	byID := entity(jsonNumber(a2.Entity))
	if byID.Members != 3 || byID.Entity != a2.Entity {
		t.Fatalf("entity by id after update: %+v", byID)
	}
	page1 := entity(jsonNumber(a2.Entity), "--limit", "2")
	if len(page1.Listing) != 2 || page1.NextAfter == 0 {
		t.Fatalf("page 1: %+v", page1)
	}
	page2 := entity(jsonNumber(a2.Entity), "--limit", "2", "--after", jsonNumber(page1.NextAfter))
	if len(page2.Listing) != 1 || page2.Listing[0].Address != addrD || page2.NextAfter != 0 {
		t.Fatalf("page 2: %+v", page2)
	}
	table := mustCLI(t, "entity", addrD, "--data", data)
	if !strings.Contains(table, "members       3") || !strings.Contains(table, addrA1) {
		t.Fatalf("table:\n%s", table)
	}

	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"entity", "1NeverSeenxxxxxxxxxxxxxxxxxxxxxxx"}, 1, "not in the store"},
		{[]string{"entity", "999999"}, 1, "no such address id"},
		{[]string{"entity"}, 2, "want exactly one"},
		{[]string{"entity", addrA1, "--output", "xml"}, 2, "--output"},
		{[]string{"cluster", "update", "--keep-coinjoins"}, 1, "rebuild it"},
		{[]string{"cluster", "build", "extra"}, 2, "unexpected argument"},
	} {
		if _, errs, code := cli(t, append(c.args, "--data", data)...); code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, want %d with %q\n%s", c.args, code, c.code, c.msg, errs)
		}
	}
	// build may change what update may not
	if got := mustCLI(t, "cluster", "build", "--keep-coinjoins", "--data", data); !strings.Contains(got, "0 CoinJoins left unlinked") || !strings.Contains(got, "3 merges") {
		t.Fatalf("rebuild keeping CoinJoins:\n%s", got)
	}
	if e := entity(addrB); e.Members != 2 {
		t.Fatalf("with CoinJoins linked, b has %d members", e.Members)
	}
	if _, errs, code := cli(t, "cluster", "build", "--data", filepath.Join(data, "nothing")); code != 1 || !strings.Contains(errs, "no store") {
		t.Errorf("build without a store: exit %d\n%s", code, errs)
	}
}

func jsonNumber(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

const btcMainnet = "bip122:000000000019d6689c085ae165831e93"

// TestClusterServiceGuard is the collapse case through the CLI: a
// CoinJoin-shaped transaction spending from two exchanges tagged in the
// intelligence store does not merge them, even with --keep-coinjoins; the
// refusal is logged; an untagged co-spender joins its exchange, whose tag
// its entity then shows as inherited.
func TestClusterServiceGuard(t *testing.T) {
	data := t.TempDir()
	const binance, kraken, user = "138cWsiAGpW9yqfjMVCCsFcnaiSHyoWMnJ", "1HxbaBMF2jXBVnagoHvaA6rLxmaYL8gb8T", "1FDCgJ8m2xDyVmYuankk13XReVC2Zvs5cz"
	labels := filepath.Join(t.TempDir(), "labels.csv")
	csv := "chain,address,label,category,confidence,source,date\n" +
		btcMainnet + "," + binance + ",Binance,exchange,,https://example.org/a,\n" +
		btcMainnet + "," + kraken + ",Kraken,exchange,,https://example.org/b,\n"
	if err := os.WriteFile(labels, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, "intel", "import", "labels", "--format", "csv", labels, "--data", data)
	cb := chain.Tx{Hash: clusterHash("g-cb1"), Coinbase: true, Outputs: []chain.Output{out(binance, 1000), out(kraken, 1000), out(user, 500), out(binance, 10)}}
	clusterStore(t, data, []chain.Tx{cb}, []chain.Tx{
		{Hash: clusterHash("g-cb2"), Coinbase: true, Outputs: []chain.Output{out(user, 1)}},
		// equal outputs, one per exchange: JoinMarket-shaped
		{Hash: clusterHash("g-join"), Inputs: []chain.Input{in("g-cb1", 0), in("g-cb1", 1)}, Outputs: []chain.Output{out(addrA1, 900), out(addrA2, 900), out(addrB, 150)}},
		{Hash: clusterHash("g-sweep"), Inputs: []chain.Input{in("g-cb1", 2), in("g-cb1", 3)}, Outputs: []chain.Output{out(addrC, 500)}},
	})
	got, errs, code := cli(t, "cluster", "build", "--keep-coinjoins", "--data", data)
	if code != 0 || !strings.Contains(got, "1 merges,") || !strings.Contains(got, "1 merges refused (2 tagged service addresses)") || !containsAll(errs, "merge refused", "Binance", "Kraken") {
		t.Fatalf("build: exit %d\n%s\n%s", code, got, errs)
	}
	var e entityOut
	if err := json.Unmarshal([]byte(mustCLI(t, "entity", user, "--output", "json", "--data", data)), &e); err != nil {
		t.Fatal(err)
	}
	if e.Members != 2 || len(e.Tags) != 1 || e.Tags[0].Label != "Binance" || !e.Tags[0].Inherited || e.Tags[0].Address != binance {
		t.Fatalf("entity of the user: %+v", e)
	}
	if err := json.Unmarshal([]byte(mustCLI(t, "entity", kraken, "--output", "json", "--data", data)), &e); err != nil {
		t.Fatal(err)
	}
	if e.Members != 1 || len(e.Tags) != 1 || e.Tags[0].Inherited {
		t.Fatalf("entity of Kraken: %+v", e)
	}
}
