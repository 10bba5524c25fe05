package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/risk"
	"github.com/chainhound/chainhound/internal/vet"
)

type vetOut struct {
	Reports []vet.Report `json:"reports"`
}

// findings returns the report's findings of one check.
func findings(r vet.Report, check string) []vet.Finding {
	var out []vet.Finding
	for _, f := range r.Findings {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

const vetCandidates = `[
 {"id": "cand-1", "names": ["Jong Un Kim", "K. J. Un"], "birthdate": "1984-01-08", "nationality": ["KP"], "location": "Austin, US",
  "emails": ["jun.kim@example.com"], "phones": ["+1 512 555 0101"]},
 {"id": "cand-2", "names": ["Maria Lopez"], "birthdate": "1990-04-02", "nationality": ["ES"], "location": "Madrid, ES",
  "emails": ["maria@example.org"], "payout_wallets": ["0x4000000000000000000000000000000000000004"]},
 {"id": "cand-3", "names": ["Daniel Park"], "birthdate": "1992-03-03", "location": "Seattle, US", "timezone": "America/Los_Angeles",
  "emails": ["dpark.dev@example.net"], "phones": ["+44 56 1234 5678"], "devices": ["FP-aa11bb22cc33"],
  "payout_wallets": [{"number": "0x5000000000000000000000000000000000000005", "provider": "Binance", "holder": "Li Wei"}],
  "cv_text": "Senior blockchain engineer with eight years of experience building DeFi protocols, smart contract audits and high throughput indexers in Go and Rust for trading firms",
  "activity": ["2025-11-03T01:10:00Z","2025-11-03T02:00:00Z","2025-11-03T03:30:00Z","2025-11-03T04:00:00Z","2025-11-03T05:15:00Z",
               "2025-11-04T01:00:00Z","2025-11-04T02:20:00Z","2025-11-04T03:00:00Z","2025-11-04T06:00:00Z","2025-11-04T07:00:00Z"]},
 {"id": "cand-4", "names": ["Kevin Ross"], "birthdate": "1988-08-08", "location": "Denver, US",
  "emails": ["kross@example.com"], "devices": ["fp-AA11BB22CC33"], "login_ips": ["203.0.113.7"],
  "cv_text": "Senior blockchain engineer with eight years of experience building DeFi protocols, smart contract audits and high throughput indexers in Go and Rust for trading companies"},
 {"id": "staff-1", "kind": "staff", "names": ["Alex Chen"], "birthdate": "1985-05-05", "location": "Boston, US",
  "emails": ["alex.chen@corp.example"], "phones": ["+44 (0)56 1234 5678"], "login_ips": ["203.0.113.99"]},
 {"id": "cand-5", "names": ["Emily Clarke"], "birthdate": "1995-09-09", "location": "Leeds, GB", "emails": ["emily@example.co.uk"]},
 {"id": "cand-6", "names": ["Sam Hill"], "birthdate": "1991-01-01", "location": "Austin, US",
  "payout_wallets": ["eip155:1:0x6000000000000000000000000000000000000006"]}
]`

// TestVetCLI: with the real SDN list and a small chain store, vet import
// stores the records; vet screen finds the romanised DPRK name with its
// list entry, the payout wallet that received funds from a sanctioned
// (Lazarus) address with the path, the cluster of a candidate with
// another candidate and a staff member sharing a device, a phone and
// near-duplicate CV text, and the indicators (VoIP, time zone, payout
// holder); vet links lists the shared attributes; html writes a page.
func TestVetCLI(t *testing.T) {
	xml := sharedPath(t, "ofac-brave/sdn_advanced.xml.bz2")
	t.Setenv(vet.KeyEnv, "0123456789abcdef0123456789abcdef-test")
	dir := t.TempDir()
	const (
		lazarus = "0x098b716b8aaf21512996dc57eb0615e2383e2f96"
		payout  = "0x4000000000000000000000000000000000000004"
		other   = "0x6000000000000000000000000000000000000006"
	)
	edges := filepath.Join(dir, "edges.csv")
	os.WriteFile(edges, []byte("source,target,amount,time\n"+
		other+","+lazarus+",5000,1\n"+lazarus+","+payout+",700,2\n"+other+","+payout+",300,3\n"), 0o644)
	data := filepath.Join(dir, "data")
	mustCLI(t, "ingest", "edges", edges, "--chain", "eip155:1", "--data", data)
	mustCLI(t, "intel", "import", "sdn", xml, "--data", data)
	cands := filepath.Join(dir, "cands.json")
	os.WriteFile(cands, []byte(vetCandidates), 0o600)
	out := mustCLI(t, "vet", "import", cands, "--data", data)
	if !strings.Contains(out, "imported 7 records") {
		t.Fatalf("import: %s", out)
	}
	// the store keeps no raw private identifier
	for _, secret := range []string{"jun.kim@example.com", "FP-aa11bb22cc33", "5121234", "203.0.113", "Senior blockchain"} {
		if grepDir(t, filepath.Join(data, "vet"), secret) {
			t.Errorf("the vet store holds %q in clear", secret)
		}
	}

	out, errs, code := cli(t, "vet", "screen", "--output", "json", "--fail-on", "high", "--data", data)
	var res vetOut
	if code != exitPolicy || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	byID := map[string]vet.Report{}
	for _, r := range res.Reports {
		byID[r.ID] = r
	}
	if len(res.Reports) != 6 { // candidates only, not staff
		t.Fatalf("%d reports", len(res.Reports))
	}
	// names: the DPRK leader, reordered, with his list entry
	nf := findings(byID["cand-1"], vet.CheckSanctionsName)
	if len(nf) == 0 || !strings.Contains(nf[0].Summary, "Kim Jong Un") || byID["cand-1"].Severity != risk.Severe {
		t.Fatalf("cand-1: %+v", byID["cand-1"])
	}
	// payout wallet: funds from the Lazarus address, with the path
	wf := findings(byID["cand-2"], vet.CheckPayoutWallet)
	if len(wf) != 1 || wf[0].Severity < risk.High {
		t.Fatalf("cand-2: %+v", byID["cand-2"])
	}
	ev, _ := json.Marshal(wf[0].Evidence)
	var wr risk.Result
	json.Unmarshal(ev, &wr)
	if len(wr.Indirect) == 0 || len(wr.Indirect[0].Path) == 0 || wr.Indirect[0].Path[0].From != lazarus || wr.Indirect[0].Path[0].To != payout {
		t.Fatalf("cand-2 wallet evidence: %s", ev)
	}
	// the linked cluster: cand-3, cand-4 (device, CV) and staff-1 (phone)
	lf := findings(byID["cand-3"], vet.CheckIdentityLink)
	if len(lf) != 1 || !strings.Contains(lf[0].Summary, "cand-4") || !strings.Contains(lf[0].Summary, "staff-1") {
		t.Fatalf("cand-3 links: %+v", byID["cand-3"].Findings)
	}
	for _, check := range []string{vet.CheckVoIPPhone, vet.CheckTimezone, vet.CheckPayoutHolder} {
		if len(findings(byID["cand-3"], check)) != 1 {
			t.Errorf("cand-3: no %s finding: %+v", check, byID["cand-3"].Findings)
		}
	}
	// a payout wallet that sent funds on to the Lazarus address
	of := findings(byID["cand-6"], vet.CheckPayoutWallet)
	if len(of) != 1 {
		t.Fatalf("cand-6: %+v", byID["cand-6"])
	}
	ev, _ = json.Marshal(of[0].Evidence)
	wr = risk.Result{}
	json.Unmarshal(ev, &wr)
	if len(wr.Indirect) == 0 || wr.Indirect[0].Direction != "out" || len(wr.Indirect[0].Path) == 0 {
		t.Errorf("cand-6 wallet evidence: %s", ev)
	}
	if r := byID["cand-5"]; r.Severity != risk.None || len(r.Findings) != 0 {
		t.Errorf("clean candidate: %+v", r)
	}

	links := mustCLI(t, "vet", "links", "cand-4", "--data", data)
	for _, want := range []string{"claiming 3 different people", "device", "phone", "cv", "staff-1", "cand-3"} {
		if !strings.Contains(links, want) {
			t.Errorf("vet links: no %q in\n%s", want, links)
		}
	}
	html := mustCLI(t, "vet", "screen", "cand-1", "--output", "html", "--data", data)
	if !strings.Contains(html, "<!DOCTYPE html>") || !strings.Contains(html, "Kim Jong Un") || strings.Contains(html, "<script") {
		t.Errorf("html report:\n%s", html)
	}
	table := mustCLI(t, "vet", "screen", "cand-2", "--data", data)
	if !strings.Contains(table, "payout_wallet") && !strings.Contains(table, "payout wallet") {
		t.Errorf("table:\n%s", table)
	}
}

// grepDir reports whether any file under dir contains s.
func grepDir(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			found = found || strings.Contains(string(b), s)
		}
		return nil
	})
	return found
}

// TestVetBadInput: a malformed record fails the import with its row and
// field and leaves the store as it was; without a key vet refuses to run;
// usage mistakes exit 2.
func TestVetBadInput(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("id,names,emails\nc1,Ann Lee,ann@example.com\nc2,Bo Yang,bo@example.com\n"), 0o600)
	if _, errs, code := cli(t, "vet", "import", good, "--data", data); code != exitError || !strings.Contains(errs, vet.KeyEnv) {
		t.Fatalf("no key: exit %d\n%s", code, errs)
	}
	t.Setenv(vet.KeyEnv, "0123456789abcdef0123456789abcdef-test")
	mustCLI(t, "vet", "import", good, "--data", data)
	for _, c := range []struct{ file, body, want string }{
		{"bad.csv", "id,names,emails\nc3,New Person,new@example.com\nc4,Other Person,not-an-email\n", "row 3 (id c4): field emails"},
		{"bad2.csv", "id,names,phone_number\nc3,New Person,+15550100\n", "field phone_number: unknown column"},
		{"bad.json", `[{"id":"c3","names":["New Person"]},{"id":"c4","names":["X"],"birthdate":"1990-13-01"}]`, "row 2 (id c4): field birthdate"},
		{"bad2.json", `[{"id":"c3","names":["New Person"]},{"id":"c4","names":"X"}]`, "row 2 (id c4): field names"},
		{"bad3.json", `[{"id":"c3","names":["New Person"]},{"id":"c1","names":["Y"],"login_ips":["300.1.1.1"]}]`, "row 2 (id c1): field login_ips"},
	} {
		p := filepath.Join(dir, c.file)
		os.WriteFile(p, []byte(c.body), 0o600)
		_, errs, code := cli(t, "vet", "import", p, "--data", data)
		if code != exitError || !strings.Contains(errs, c.want) || !strings.Contains(errs, "nothing imported") {
			t.Errorf("%s: exit %d, want 1 and %q\n%s", c.file, code, c.want, errs)
		}
		if strings.Contains(errs, "not-an-email") || strings.Contains(errs, "300.1.1.1") {
			t.Errorf("%s: the error repeats the raw value:\n%s", c.file, errs)
		}
	}
	out := mustCLI(t, "vet", "links", "c1", "--output", "json", "--data", data)
	if _, errs, code := cli(t, "vet", "links", "c3", "--data", data); code != exitUsage {
		t.Errorf("c3 imported by a failed import? exit %d\n%s\n%s", code, out, errs)
	}
	// another key is refused, not silently mismatched
	t.Setenv(vet.KeyEnv, "another key, also long enough to be accepted")
	if _, errs, code := cli(t, "vet", "links", "c1", "--data", data); code != exitError || !strings.Contains(errs, "another hashing key") {
		t.Errorf("other key: exit %d\n%s", code, errs)
	}
	t.Setenv(vet.KeyEnv, "0123456789abcdef0123456789abcdef-test")
	if out := mustCLI(t, "vet", "config"); !strings.Contains(out, "threshold: 0.86") || !strings.Contains(out, "max_shared: 15") {
		t.Errorf("vet config:\n%s", out)
	}
	bad := writeFile(t, dir, "bad.yaml", "names:\n  treshold: 0.9\n")
	if _, errs, code := cli(t, "vet", "config", "--config", bad); code != exitError || !strings.Contains(errs, "treshold") {
		t.Errorf("vet config with a misspelt key: exit %d\n%s", code, errs)
	}
	for _, args := range [][]string{{"vet", "import"}, {"vet", "import", good, "--format", "xml"}, {"vet", "screen", "--output", "csv"},
		{"vet", "screen", "nobody"}, {"vet", "links"}, {"vet", "screen", "--output", "html"}, {"vet", "screen", "--fail-on", "bad"}} {
		if _, errs, code := cli(t, append(args, "--data", data)...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errs)
		}
	}
}
