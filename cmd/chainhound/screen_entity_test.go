package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/api/apitest"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/risk"
	"github.com/chainhound/chainhound/internal/scenario/btcnode"
	"github.com/chainhound/chainhound/internal/store"
)

// TestScreenEntityOnRegtest: on a btcd regtest node, a stolen-funds
// address S pays P; P and A later spend together (one owner). Ingested,
// clustered by co-spend and screened through the CLI and the API, A is
// clean as an address and high through its entity, whose exposure names
// P and the path from S; what the updates kept equals a rebuild.
func TestScreenEntityOnRegtest(t *testing.T) {
	n := startBTC(t)
	ctx := context.Background()
	script := func(key int) *btcnode.Script {
		t.Helper()
		s, err := n.Script(btcnode.P2WPKH, key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	S, P, A, Y := script(1), script(2), script(3), script(4)
	if err := n.Watch(ctx, S, P, A, Y); err != nil {
		t.Fatal(err)
	}
	mine := func(k int) {
		t.Helper()
		if _, err := n.Generate(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	coin := func(s *btcnode.Script) btcnode.UTXO {
		t.Helper()
		us, err := n.UTXOs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			if bytes.Equal(u.Script.PkScript, s.PkScript) {
				return u
			}
		}
		t.Fatalf("no coin of %s", s.Address)
		return btcnode.UTXO{}
	}
	send := func(from []btcnode.UTXO, to []btcnode.Output, change *btcnode.Script) {
		t.Helper()
		if _, err := n.Send(ctx, from, to, change); err != nil {
			t.Fatal(err)
		}
		mine(1)
	}
	mine(101)
	if _, err := n.Pay(ctx, []btcnode.Output{S.Pay(100_000_000), A.Pay(200_000_000)}, nil); err != nil {
		t.Fatal(err)
	}
	mine(1)
	send([]btcnode.UTXO{coin(S)}, []btcnode.Output{P.Pay(50_000_000)}, S)

	data := t.TempDir()
	mustCLI(t, btcIngestArgs(n, data)...)
	mustCLI(t, "cluster", "build", "--data", data)
	st, err := store.Open(data, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	net, _, _ := st.Network(chain.Bitcoin)
	st.Close()
	caip2 := net.CAIP2
	// (label files name mainnet and testnet chains, not regtest: the tag
	// goes into the attribution store as an import would put it)
	ist, err := intel.Open(intelDir(data), false)
	if err != nil {
		t.Fatal(err)
	}
	imp := intel.Import{Source: "labels:hack.csv", Kind: "labels", File: "hack.csv", Date: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		Tags: []intel.Tag{{Subject: intel.Subject(caip2 + ":" + S.Address), Label: "Regtest heist", Category: "service_hack", Source: "case notes", Confidence: "authority_data"}}}
	if _, err := ist.Apply(imp); err != nil {
		t.Fatal(err)
	}
	ist.Close()
	screenJSON := func(args ...string) risk.Result {
		t.Helper()
		var out screenOut
		raw := mustCLI(t, append([]string{"screen", "--output", "json", "--data", data}, args...)...)
		if err := json.Unmarshal([]byte(raw), &out); err != nil || len(out.Results) != 1 {
			t.Fatalf("%v\n%s", err, raw)
		}
		return out.Results[0]
	}
	if r := screenJSON(caip2 + ":" + A.Address); r.Entity != nil || r.Severity != risk.None {
		t.Fatalf("A before the co-spend: %+v", r)
	}

	// P and A spend together
	send([]btcnode.UTXO{coin(P), coin(A)}, []btcnode.Output{Y.Pay(249_990_000)}, nil)
	mustCLI(t, btcIngestArgs(n, data)...)
	if out := mustCLI(t, "risk", "update", "--data", data); !strings.Contains(out, "entities (co-spend) unchanged") {
		t.Fatalf("risk update before the clustering moved:\n%s", out)
	}
	mustCLI(t, "cluster", "update", "--data", data)
	r := screenJSON(caip2+":"+A.Address, "--no-update")
	if !r.Freshness.Stale || !strings.Contains(r.Freshness.StaleReason, "clustering") {
		t.Fatalf("entity figures behind the clustering, not stale: %+v", r.Freshness)
	}
	out := mustCLI(t, "risk", "update", "--data", data)
	if !strings.Contains(out, "entities (co-spend) followed") || !strings.Contains(out, "1 merges") {
		t.Fatalf("risk update after the clustering moved:\n%s", out)
	}
	r = screenJSON(caip2 + ":" + A.Address)
	e := r.Entity
	if len(r.Indirect) != 0 || len(r.Direct) != 0 || e == nil || e.Members != 2 || e.Clustering != "co-spend" || r.Freshness.Stale {
		t.Fatalf("A: %+v, entity %+v", r, e)
	}
	// from outside: A's 2 BTC and P's 0.5 from S; 0.5 from S
	if len(e.Received) != 1 || e.Received[0].Amount != "250000000" || len(e.Indirect) != 1 {
		t.Fatalf("entity: %+v", e)
	}
	x := e.Indirect[0]
	if x.Category != "stolen_funds" || x.Amounts[0].Amount != "50000000" || x.Share != 0.2 || x.Severity != risk.High || r.Severity != risk.High ||
		x.Carriers[0].Member != P.Address || len(x.Path) != 1 || x.Path[0].From != S.Address || !strings.Contains(x.Explanation, P.Address) {
		t.Fatalf("entity exposure: %+v", x)
	}
	if _, errs, code := cli(t, "screen", caip2+":"+A.Address, "--fail-on", "high", "--data", data); code != exitPolicy {
		t.Fatalf("--fail-on high: exit %d\n%s", code, errs)
	}
	table := mustCLI(t, "screen", caip2+":"+A.Address, "--data", data)
	if !containsAll(table, "entity (in): 20% of what entity", "stolen_funds", "member "+P.Address, "hop 1  "+S.Address+" -> "+P.Address) {
		t.Fatalf("table:\n%s", table)
	}
	// reported only, by policy
	pol := writeFile(t, t.TempDir(), "policy.yaml", "entity_exposure: report\n")
	if r := screenJSON(caip2+":"+A.Address, "--policy", pol); r.Severity != risk.None || r.Entity == nil || r.Entity.Graded {
		t.Fatalf("reported, not graded: %+v", r)
	}
	if _, errs, code := cli(t, "risk", "policy", "--policy", writeFile(t, t.TempDir(), "bad.yaml", "entity_exposure: maybe\n")); code == 0 || !strings.Contains(errs, "entity_exposure") {
		t.Fatalf("a bad entity_exposure: exit %d\n%s", code, errs)
	}

	// incremental equals rebuilt
	kept := mustCLI(t, "screen", caip2+":"+A.Address, caip2+":"+P.Address, caip2+":"+Y.Address, "--no-update", "--output", "json", "--data", data)
	mustCLI(t, "risk", "rebuild", "--data", data)
	rebuilt := mustCLI(t, "screen", caip2+":"+A.Address, caip2+":"+P.Address, caip2+":"+Y.Address, "--no-update", "--output", "json", "--data", data)
	if withoutUpdated(t, kept) != withoutUpdated(t, rebuilt) {
		t.Fatalf("kept up to date:\n%s\nrebuilt:\n%s", kept, rebuilt)
	}

	// The API answers the same, within its documented schema.
	key := strings.TrimSpace(mustCLI(t, "apikey", "create", "--name", "s", "--scopes", "screen", "--data", data))
	base, stop, _ := startServe(t, "--data", data)
	defer stop()
	c, err := apitest.Fetch(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct{ op, method, path, body string }{
		{"GET /v1/addresses/{caip10}/risk", "GET", "/v1/addresses/" + caip2 + ":" + A.Address + "/risk", ""},
		{"POST /v1/screen", "POST", "/v1/screen", `{"addresses":["` + caip2 + ":" + A.Address + `","` + caip2 + ":" + Y.Address + `"]}`},
	} {
		var body *strings.Reader
		if q.body != "" {
			body = strings.NewReader(q.body)
		} else {
			body = strings.NewReader("")
		}
		req, _ := http.NewRequest(q.method, base+q.path, body)
		req.Header.Set("Authorization", "Bearer "+key)
		status, _, b, err := c.Do(req, q.op)
		if err != nil || status != 200 {
			t.Fatalf("%s: %d %v\n%s", q.op, status, err, b)
		}
		var got risk.Result
		if q.method == "GET" {
			err = json.Unmarshal(b, &got)
		} else {
			var res screenOut
			if err = json.Unmarshal(b, &res); err == nil {
				got = res.Results[0]
			}
		}
		if err != nil || got.Entity == nil || got.Entity.Indirect[0].Carriers[0].Member != P.Address || got.Severity != risk.High {
			t.Fatalf("%s: %v\n%s", q.op, err, b)
		}
	}
}

// withoutUpdated drops the update times from screen results.
func withoutUpdated(t *testing.T, raw string) string {
	t.Helper()
	var out screenOut
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatal(err)
	}
	for i := range out.Results {
		out.Results[i].Freshness.Updated = ""
	}
	b, _ := json.Marshal(out)
	return string(b)
}
