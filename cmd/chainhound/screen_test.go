package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/risk"
)

type screenOut struct {
	Results []risk.Result `json:"results"`
}

// TestScreenCLI: with OFAC's SDN list imported, the Lazarus Group address
// of the issue screens severe with the SDN reason (and --fail-on gates
// with exit 3); a wallet one hop downstream of a stolen-funds seed in an
// edge-list scenario screens high with the path; an unrelated one none.
func TestScreenCLI(t *testing.T) {
	xml := sharedPath(t, "ofac-brave/sdn_advanced.xml.bz2")
	dir := t.TempDir()
	const (
		thief  = "0x1000000000000000000000000000000000000001"
		mule   = "0x2000000000000000000000000000000000000002"
		clean  = "0x3000000000000000000000000000000000000003"
		other  = "0x4000000000000000000000000000000000000004"
		lazrus = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
	)
	edges := filepath.Join(dir, "edges.csv")
	os.WriteFile(edges, []byte("source,target,amount,time\n"+
		other+","+thief+",1000,1\n"+other+","+mule+",300,1\n"+other+","+clean+",50,1\n"+
		thief+","+mule+",100,2\n"+strings.ToLower(lazrus)+","+other+",1,3\n"), 0o644)
	labels := filepath.Join(dir, "labels.csv")
	os.WriteFile(labels, []byte("chain,address,label,category,confidence,source,date\n"+
		"eip155:1,"+thief+",Test heist,service_hack,authority_data,test,2025-02-26\n"), 0o644)
	data := filepath.Join(dir, "data")
	mustCLI(t, "ingest", "edges", edges, "--chain", "eip155:1", "--data", data)
	mustCLI(t, "intel", "import", "sdn", xml, "--data", data)
	mustCLI(t, "intel", "import", "labels", "--format", "csv", labels, "--data", data)

	out, errs, code := cli(t, "screen", lazrus, "--fail-on", "high", "--output", "json", "--data", data)
	var res screenOut
	if code != exitPolicy || json.Unmarshal([]byte(out), &res) != nil || len(res.Results) != 1 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	r := res.Results[0]
	if r.Severity != risk.Severe || len(r.Direct) == 0 || r.Direct[0].Origin != "ofac-sdn" || r.Direct[0].Category != "sanctions" || r.Direct[0].ListDate == "" {
		t.Fatalf("Lazarus address: %+v", r)
	}
	if !strings.Contains(strings.Join(r.Reasons, " "), "sanctions") {
		t.Fatalf("reasons: %v", r.Reasons)
	}

	out = mustCLI(t, "screen", mule, clean, "--output", "json", "--data", data)
	res = screenOut{}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Results) != 2 {
		t.Fatalf("%v\n%s", err, out)
	}
	m := res.Results[0]
	if m.Severity != risk.High || len(m.Indirect) != 1 || m.Indirect[0].Category != "stolen_funds" || m.Indirect[0].Amounts[0].Amount != "100" || m.Indirect[0].Amounts[0].Total != "400" {
		t.Fatalf("mule: %+v", m)
	}
	if p := m.Indirect[0].Path; len(p) != 1 || p[0].From != thief || p[0].To != mule || p[0].Tx == "" {
		t.Fatalf("mule path: %+v", p)
	}
	if c := res.Results[1]; c.Severity != risk.None || c.Score != 0 || c.Freshness.Stale {
		t.Fatalf("unrelated: %+v", c)
	}
	table := mustCLI(t, "screen", mule, "--data", data)
	if !strings.Contains(table, "stolen_funds") || !strings.Contains(table, "hop 1") {
		t.Fatalf("table:\n%s", table)
	}
	// bad input: usage errors, exit 2
	for _, args := range [][]string{{"screen", "0x12"}, {"screen", "0x098B716B8Aaf21512996dC57EB0615e2383E2f97"}, {"screen", "nope:x:0x098b716b8aaf21512996dc57eb0615e2383e2f96"},
		{"screen", mule, "--fail-on", "bogus"}, {"screen", mule, "--direction", "up"}, {"screen"}} {
		if _, errs, code := cli(t, append(args, "--data", data)...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errs)
		}
	}
}
