package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/api/apitest"
	"github.com/chainhound/chainhound/internal/risk"
	"github.com/chainhound/chainhound/internal/trace"
	"github.com/chainhound/chainhound/internal/vet"
)

// TestServeAPI runs `chainhound serve` on a store built from an edge list
// with attribution (exitCase), checks /openapi.json as an OpenAPI 3.1
// document, then sends every documented operation good and bad requests
// and validates each answer against the schema documented for its status.
// Lookups must answer what the CLI answers.
func TestServeAPI(t *testing.T) {
	dir := exitCase(t, "native")
	alerts := watchOnce(t, dir)
	alertID := alerts[0].ID
	all := strings.TrimSpace(mustCLI(t, "apikey", "create", "--name", "all", "--scopes", "screen,lookup,trace,guard,watch,cases", "--data", dir))
	lookupOnly := strings.TrimSpace(mustCLI(t, "apikey", "create", "--name", "lookup", "--scopes", "lookup", "--data", dir))
	slow := strings.TrimSpace(mustCLI(t, "apikey", "create", "--name", "slow", "--scopes", "lookup", "--rate", "0.001", "--burst", "1", "--data", dir))
	var rows []struct {
		TxHash string `json:"tx_hash"`
	}
	for _, l := range strings.Split(strings.TrimSpace(mustCLI(t, "export", "transfers", "--data", dir, "--output", "jsonl")), "\n") {
		var r struct {
			TxHash string `json:"tx_hash"`
		}
		json.Unmarshal([]byte(l), &r)
		rows = append(rows, r)
	}
	txHash := rows[0].TxHash
	eth := "eip155:1:"
	// The thief is on a stolen-funds list: A, one hop downstream, screens high.
	stolen := writeFile(t, dir, "stolen.csv", "chain,address,label,category,confidence,source,date\n"+
		"eip155:1,"+a20(1)+",Test heist,service_hack,authority_data,case notes,2025-02-21\n")
	mustCLI(t, "intel", "import", "labels", "--format", "csv", stolen, "--data", dir)
	screenBody := `{"addresses":["` + eth + a20(2) + `","` + eth + a20(0x77) + `"]}`
	var big strings.Builder
	big.WriteString(`{"addresses":[`)
	for i := range maxScreenBatch + 1 {
		if i > 0 {
			big.WriteString(",")
		}
		big.WriteString(`"` + eth + a20(2) + `"`)
	}
	big.WriteString("]}")
	// contractor due diligence: two stored candidates sharing a device
	t.Setenv(vet.KeyEnv, "0123456789abcdef0123456789abcdef-test")
	mustCLI(t, "vet", "import", writeFile(t, dir, "cands.csv", "id,names,devices,payout_wallets\n"+
		"v1,Ann Lee,dev-1,"+a20(2)+"\nv2,Bo Yang,dev-1,\n"), "--data", dir)
	var manyIDs strings.Builder
	manyIDs.WriteString(`{"ids":["v1"`)
	for range maxVetBatch {
		manyIDs.WriteString(`,"v1"`)
	}
	manyIDs.WriteString("]}")
	base, stop, stderr := startServe(t, "--data", dir)
	c, err := apitest.Fetch(base)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"DELETE /v1/cases/{id}", "GET /healthz", "GET /metrics", "GET /openapi.json", "GET /readyz",
		"GET /v1/addresses/{caip10}", "GET /v1/addresses/{caip10}/neighbors", "GET /v1/addresses/{caip10}/risk", "GET /v1/addresses/{caip10}/tags",
		"GET /v1/alerts", "GET /v1/alerts/{id}", "GET /v1/cases", "GET /v1/cases/{id}", "GET /v1/entities/{id}", "GET /v1/path", "GET /v1/search",
		"GET /v1/tx/{caip2}/{hash}", "POST /v1/alerts/{id}/ack", "POST /v1/alerts/{id}/resolve", "POST /v1/cases", "POST /v1/cases/{id}/duplicate",
		"POST /v1/guard/audit", "POST /v1/guard/safe", "POST /v1/screen", "POST /v1/trace", "POST /v1/vet/screen",
		"PUT /v1/cases/{id}"}
	if got := c.Operations(); !slices.Equal(got, want) {
		t.Fatalf("documented operations:\n%v\nwant\n%v", got, want)
	}
	mixed := "0x47666FAB8bd0ac7003bce3f5c3585383f09486e2" // mixed case, wrong EIP-55 checksum
	safeBody := `{"safe":"0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4","to":"0x96221423681A6d52E184D440a8eFCEbB105C7242","value":"0","operation":1,"nonce":71,` +
		`"data":"0xa9059cbb000000000000000000000000bdd077f651ebe7f7b3ce16fe5f2b025be29695160000000000000000000000000000000000000000000000000000000000000000"}`
	type req struct {
		op, method, path, body, key string
		status                      int
		detail                      string // in the problem's detail
	}
	// A case to read, change, copy and delete.
	caseBody := `{"name":"Test heist","notes":"n","nodes":[{"id":"` + eth + a20(1) + `","kind":"address","x":1,"y":2},` +
		`{"id":"` + eth + a20(2) + `","kind":"address","x":3,"y":4,"exit":"freezable","tainted":"5"}],` +
		`"edges":[{"from":"` + eth + a20(1) + `","to":"` + eth + a20(2) + `","asset":"native","amount":"5","count":1,"taint":"5"}],` +
		`"annotations":[{"x":0,"y":0,"text":"here"}],"exits":[{"account":"` + eth + a20(2) + `","service":"A","category":"exchange","asset":"native","amount":"5","freezable":true}],"view":{"x":0,"y":0,"zoom":1}}`
	cr, _ := http.NewRequest("POST", base+"/v1/cases", strings.NewReader(caseBody))
	cr.Header.Set("Authorization", "Bearer "+all)
	status, _, created, err := c.Do(cr, "POST /v1/cases")
	var made struct{ ID string }
	if err != nil || status != 201 || json.Unmarshal(created, &made) != nil || made.ID == "" {
		t.Fatalf("create a case: %d %v %s", status, err, created)
	}
	cid := made.ID
	nb := "/v1/addresses/" + eth + a20(1) + "/neighbors"
	cases := []req{
		{"GET /v1/search", "GET", "/v1/search?q=" + a20(1), "", all, 200, ""},
		{"GET /v1/search", "GET", "/v1/search?q=test+heist&limit=5", "", lookupOnly, 200, ""},
		{"GET /v1/search", "GET", "/v1/search?q=" + url.QueryEscape(eth+a20(2)), "", all, 200, ""},
		{"GET /v1/search", "GET", "/v1/search?q=", "", all, 400, "q"},
		{"GET /v1/search", "GET", "/v1/search?q=x&limit=99", "", all, 400, "limit"},
		{"GET /v1/search", "GET", "/v1/search?q=" + mixed, "", all, 400, "checksum"},
		{"GET /v1/search", "GET", "/v1/search?q=" + url.QueryEscape("foo:bar:baz"), "", all, 400, "foo:bar"},

		{"GET /v1/addresses/{caip10}/neighbors", "GET", nb, "", all, 200, ""},
		{"GET /v1/addresses/{caip10}/neighbors", "GET", nb + "?direction=out&asset=native&min_amount=1&from=0&until=2100-01-01&limit=5", "", lookupOnly, 200, ""},
		{"GET /v1/addresses/{caip10}/neighbors", "GET", nb + "?direction=sideways", "", all, 400, "direction"},
		{"GET /v1/addresses/{caip10}/neighbors", "GET", nb + "?min_amount=-1", "", all, 400, "min_amount"},
		{"GET /v1/addresses/{caip10}/neighbors", "GET", nb + "?from=yesterday", "", all, 400, "from"},
		{"GET /v1/addresses/{caip10}/neighbors", "GET", nb + "?limit=501", "", all, 400, "limit"},
		{"GET /v1/addresses/{caip10}/neighbors", "GET", "/v1/addresses/eip155:5:" + a20(1) + "/neighbors", "", all, 404, "eip155:5"},

		{"GET /v1/cases", "GET", "/v1/cases", "", all, 200, ""},
		{"GET /v1/cases", "GET", "/v1/cases", "", lookupOnly, 403, "cases"},
		{"POST /v1/cases", "POST", "/v1/cases", `{"name":"x"}`, all, 201, ""},
		{"POST /v1/cases", "POST", "/v1/cases", `{"name":"x","colour":1}`, all, 400, "colour"},
		{"POST /v1/cases", "POST", "/v1/cases", `{"name":"x","nodes":[{"id":"a","kind":"address","tainted":"1.5"}]}`, all, 400, "nodes[0]"},
		{"POST /v1/cases", "POST", "/v1/cases", `{"name":""}`, all, 400, "name"},
		{"GET /v1/cases/{id}", "GET", "/v1/cases/" + cid, "", all, 200, ""},
		{"GET /v1/cases/{id}", "GET", "/v1/cases/0000000000000000", "", all, 404, "0000000000000000"},
		{"GET /v1/cases/{id}", "GET", "/v1/cases/..%2f..%2fapikeys", "", all, 404, "no case"},
		{"PUT /v1/cases/{id}", "PUT", "/v1/cases/" + cid, strings.Replace(caseBody, `"notes":"n"`, `"notes":"m"`, 1), all, 200, ""},
		{"PUT /v1/cases/{id}", "PUT", "/v1/cases/" + cid, `{"name":"x","view":{"zoom":1000}}`, all, 400, "zoom"},
		{"PUT /v1/cases/{id}", "PUT", "/v1/cases/0000000000000000", `{"name":"x"}`, all, 404, "no case"},
		{"POST /v1/cases/{id}/duplicate", "POST", "/v1/cases/" + cid + "/duplicate?name=copy", "", all, 201, ""},
		{"POST /v1/cases/{id}/duplicate", "POST", "/v1/cases/" + cid + "/duplicate?name=" + strings.Repeat("x", 201), "", all, 400, "name"},
		{"POST /v1/cases/{id}/duplicate", "POST", "/v1/cases/0000000000000000/duplicate", "", all, 404, "no case"},
		{"DELETE /v1/cases/{id}", "DELETE", "/v1/cases/" + cid, "", all, 200, ""},
		{"DELETE /v1/cases/{id}", "DELETE", "/v1/cases/" + cid, "", all, 404, cid},

		{"GET /healthz", "GET", "/healthz", "", "", 200, ""},
		{"GET /readyz", "GET", "/readyz", "", "", 200, ""},
		{"GET /openapi.json", "GET", "/openapi.json", "", "", 200, ""},

		{"GET /v1/addresses/{caip10}", "GET", "/v1/addresses/" + eth + a20(2), "", all, 200, ""},
		{"GET /v1/addresses/{caip10}", "GET", "/v1/addresses/" + eth + a20(0x77), "", lookupOnly, 200, ""},
		{"GET /v1/addresses/{caip10}", "GET", "/v1/addresses/" + eth + "0x12", "", all, 400, "0x12"},
		{"GET /v1/addresses/{caip10}", "GET", "/v1/addresses/" + eth + mixed, "", all, 400, "checksum"},
		{"GET /v1/addresses/{caip10}", "GET", "/v1/addresses/0xabc", "", all, 400, "CAIP-10"},
		{"GET /v1/addresses/{caip10}", "GET", "/v1/addresses/eip155:5:" + a20(2), "", all, 404, "eip155:5"},
		{"GET /v1/addresses/{caip10}", "GET", "/v1/addresses/bip122:000000000019d6689c085ae165831e93:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "", all, 404, "not in the store"},
		{"GET /v1/addresses/{caip10}", "GET", "/v1/addresses/bip122:000000000019d6689c085ae165831e93:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "", all, 400, "checksum"},
		{"GET /v1/addresses/{caip10}", "GET", "/v1/addresses/foo:bar:baz", "", all, 400, "foo:bar"},
		{"GET /v1/addresses/{caip10}", "GET", "/v1/addresses/" + eth + a20(2), "", "", 401, "Authorization"},
		{"GET /v1/addresses/{caip10}", "GET", "/v1/addresses/" + eth + a20(2), "", "chk_0123456789abcdef_" + strings.Repeat("a", 52), 401, "unknown"},
		{"GET /v1/addresses/{caip10}", "GET", "/v1/addresses/" + eth + a20(2), "", slow, 200, ""},
		{"GET /v1/addresses/{caip10}", "GET", "/v1/addresses/" + eth + a20(2), "", slow, 429, "requests per second"},

		{"GET /v1/addresses/{caip10}/tags", "GET", "/v1/addresses/" + eth + a20(0xe) + "/tags", "", all, 200, ""},
		{"GET /v1/addresses/{caip10}/tags", "GET", "/v1/addresses/" + eth + a20(0xe) + "/tags?history=true", "", all, 200, ""},
		{"GET /v1/addresses/{caip10}/tags", "GET", "/v1/addresses/cosmos:hub:abc/tags", "", all, 400, "cosmos:hub"},
		{"GET /v1/addresses/{caip10}/tags", "GET", "/v1/addresses/" + eth + a20(0xe) + "/tags?history=maybe", "", all, 400, "history"},

		{"GET /v1/tx/{caip2}/{hash}", "GET", "/v1/tx/eip155:1/" + txHash, "", all, 200, ""},
		{"GET /v1/tx/{caip2}/{hash}", "GET", "/v1/tx/eip155:1/0x" + strings.Repeat("ab", 32), "", all, 404, "not in the store"},
		{"GET /v1/tx/{caip2}/{hash}", "GET", "/v1/tx/eip155:1/0x1234", "", all, 400, "hash"},
		{"GET /v1/tx/{caip2}/{hash}", "GET", "/v1/tx/eth/" + txHash, "", all, 400, "caip2"},
		{"GET /v1/tx/{caip2}/{hash}", "GET", "/v1/tx/eip155:137/" + txHash, "", all, 404, "eip155:137"},

		{"GET /v1/entities/{id}", "GET", "/v1/entities/1", "", all, 404, "cluster build --chain eth"},
		{"GET /v1/entities/{id}", "GET", "/v1/entities/" + a20(1), "", all, 404, "cluster build --chain eth"},
		{"GET /v1/entities/{id}", "GET", "/v1/entities/12", "", all, 404, "no address id 12"},
		{"GET /v1/entities/{id}", "GET", "/v1/entities/" + mixed, "", all, 400, "checksum"},
		{"GET /v1/entities/{id}", "GET", "/v1/entities/not-an-address", "", all, 400, "not-an-address"},
		{"GET /v1/entities/{id}", "GET", "/v1/entities/12?limit=-1", "", all, 400, "limit"},

		{"POST /v1/trace", "POST", "/v1/trace", `{"seeds":["` + a20(1) + `"],"model":"fifo"}`, all, 200, ""},
		{"POST /v1/trace", "POST", "/v1/trace", `{"seeds":["` + eth + a20(1) + `"],"model":"haircut","stop_at":[],"max_hops":3}`, all, 200, ""},
		{"POST /v1/trace", "POST", "/v1/trace", `{"seeds":["` + a20(1) + `"]`, all, 400, "body"},
		{"POST /v1/trace", "POST", "/v1/trace", `{"seeds":["` + a20(1) + `"],"colour":"red"}`, all, 400, "colour"},
		{"POST /v1/trace", "POST", "/v1/trace", `{"seeds":["` + a20(1) + `"],"max_hops":99}`, all, 400, "max_hops"},
		{"POST /v1/trace", "POST", "/v1/trace", `{"seeds":["` + a20(1) + `"],"model":"tiho"}`, all, 400, "UTXO"},
		{"POST /v1/trace", "POST", "/v1/trace", `{"seeds":["` + eth + mixed + `"]}`, all, 400, "checksum"},
		{"POST /v1/trace", "POST", "/v1/trace", `{"seeds":[]}`, all, 400, "seeds"},
		{"POST /v1/trace", "POST", "/v1/trace", `{"seeds":["` + a20(0x77) + `"]}`, all, 422, "holds no"},
		{"POST /v1/trace", "POST", "/v1/trace", `{"seeds":["` + strings.Repeat("x", 300<<10) + `"]}`, all, 413, "limit"},
		{"POST /v1/trace", "POST", "/v1/trace", `{"seeds":["` + a20(1) + `"]}`, lookupOnly, 403, "trace"},

		{"GET /v1/path", "GET", "/v1/path?from=" + url.QueryEscape(eth+a20(1)) + "&to=" + url.QueryEscape(eth+a20(5)) + "&max_hops=4", "", all, 200, ""},
		{"GET /v1/path", "GET", "/v1/path?from=" + url.QueryEscape(eth+a20(1)), "", all, 400, "to"},
		{"GET /v1/path", "GET", "/v1/path?from=" + url.QueryEscape(eth+a20(1)) + "&to=" + url.QueryEscape(eth+a20(5)) + "&max_hops=0", "", all, 400, "max_hops"},
		{"GET /v1/path", "GET", "/v1/path?from=" + url.QueryEscape("eip155:10:"+a20(1)) + "&to=" + url.QueryEscape(eth+a20(5)), "", all, 404, "eip155:10"},

		{"POST /v1/screen", "POST", "/v1/screen", screenBody, all, 200, ""},
		{"POST /v1/screen", "POST", "/v1/screen", `{"addresses":["` + eth + a20(2) + `","` + eth + mixed + `"]}`, all, 400, "addresses[1]"},
		{"POST /v1/screen", "POST", "/v1/screen", `{"addresses":["foo:bar:` + a20(2) + `"]}`, all, 400, "foo:bar"},
		{"POST /v1/screen", "POST", "/v1/screen", `{"addresses":[]}`, all, 400, "addresses"},
		{"POST /v1/screen", "POST", "/v1/screen", `{"addresses":["` + eth + a20(2) + `"],"max_hops":9}`, all, 400, "max_hops"},
		{"POST /v1/screen", "POST", "/v1/screen", big.String(), all, 413, "10000"},
		{"POST /v1/screen", "POST", "/v1/screen", screenBody, lookupOnly, 403, "screen"},
		{"GET /v1/addresses/{caip10}/risk", "GET", "/v1/addresses/" + eth + a20(2) + "/risk", "", all, 200, ""},
		{"GET /v1/addresses/{caip10}/risk", "GET", "/v1/addresses/" + eth + a20(2) + "/risk?direction=both&max_hops=2", "", all, 200, ""},
		{"GET /v1/addresses/{caip10}/risk", "GET", "/v1/addresses/" + eth + "0x12/risk", "", all, 400, "0x12"},
		{"GET /v1/addresses/{caip10}/risk", "GET", "/v1/addresses/" + eth + a20(2) + "/risk?max_hops=9", "", all, 400, "max_hops"},
		{"GET /v1/addresses/{caip10}/risk", "GET", "/v1/addresses/" + eth + a20(2) + "/risk?direction=up", "", all, 400, "direction"},
		{"GET /v1/addresses/{caip10}/risk", "GET", "/v1/addresses/" + eth + a20(2) + "/risk", "", lookupOnly, 403, "screen"},

		{"POST /v1/vet/screen", "POST", "/v1/vet/screen", `{"ids":["v1","v2"]}`, all, 200, ""},
		{"POST /v1/vet/screen", "POST", "/v1/vet/screen", `{"candidates":[{"id":"x1","names":["Jong Un Kim"],"devices":["dev-1"],"payout_wallets":[{"number":"` + a20(2) + `","provider":"Binance","holder":"Someone Else"}]}]}`, all, 200, ""},
		{"POST /v1/vet/screen", "POST", "/v1/vet/screen", `{"candidates":[{"id":"x1","names":["A B"],"emails":["nope"]}]}`, all, 400, "candidates[0]: field emails"},
		{"POST /v1/vet/screen", "POST", "/v1/vet/screen", `{"candidates":[{"id":"x1","names":["A B"],"shoe_size":44}]}`, all, 400, "shoe_size"},
		{"POST /v1/vet/screen", "POST", "/v1/vet/screen", `{"ids":["nobody"]}`, all, 404, "nobody"},
		{"POST /v1/vet/screen", "POST", "/v1/vet/screen", `{}`, all, 400, "ids and candidates"},
		{"POST /v1/vet/screen", "POST", "/v1/vet/screen", manyIDs.String(), all, 413, "want 1 to 100"},
		{"POST /v1/vet/screen", "POST", "/v1/vet/screen", `{"ids":["v1"]}`, lookupOnly, 403, "screen"},
		{"GET /v1/alerts", "GET", "/v1/alerts", "", all, 200, ""},
		{"GET /v1/alerts", "GET", "/v1/alerts?status=open&min_severity=high&case=heist", "", all, 200, ""},
		{"GET /v1/alerts", "GET", "/v1/alerts?status=closed", "", all, 400, "closed"},
		{"GET /v1/alerts", "GET", "/v1/alerts", "", lookupOnly, 403, "watch"},
		{"GET /v1/alerts/{id}", "GET", "/v1/alerts/" + alertID, "", all, 200, ""},
		{"GET /v1/alerts/{id}", "GET", "/v1/alerts/" + strings.Repeat("0", 32), "", all, 404, strings.Repeat("0", 32)},
		{"POST /v1/alerts/{id}/ack", "POST", "/v1/alerts/" + alertID + "/ack", `{"note":"exchange called"}`, all, 200, ""},
		{"POST /v1/alerts/{id}/ack", "POST", "/v1/alerts/" + alertID + "/ack", `{"colour":"red"}`, all, 400, "colour"},
		{"POST /v1/alerts/{id}/ack", "POST", "/v1/alerts/" + strings.Repeat("0", 32) + "/ack", "", all, 404, "no such alert"},
		{"POST /v1/alerts/{id}/resolve", "POST", "/v1/alerts/" + alertID + "/resolve", "", all, 200, ""},
		{"POST /v1/alerts/{id}/resolve", "POST", "/v1/alerts/" + alertID + "/resolve", "", lookupOnly, 403, "watch"},

		{"POST /v1/guard/safe", "POST", "/v1/guard/safe?chain_id=1&version=1.1.1", safeBody, all, 200, ""},
		{"POST /v1/guard/safe", "POST", "/v1/guard/safe?chain_id=x", safeBody, all, 400, "chain_id"},
		{"POST /v1/guard/safe", "POST", "/v1/guard/safe", safeBody, lookupOnly, 403, "guard"},
		{"POST /v1/guard/audit", "POST", "/v1/guard/audit", `{"safes":["0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4"]}`, all, 503, "node"},
		{"POST /v1/guard/audit", "POST", "/v1/guard/audit", `{}`, all, 400, "safes"},
	}
	answers := map[string][]byte{}
	for _, tc := range cases {
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		r, _ := http.NewRequest(tc.method, base+tc.path, body)
		if tc.key != "" {
			r.Header.Set("Authorization", "Bearer "+tc.key)
		}
		status, h, b, err := c.Do(r, tc.op)
		name := fmt.Sprintf("%s %.120s", tc.method, tc.path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if status != tc.status {
			t.Errorf("%s: %d, want %d: %.300s", name, status, tc.status, b)
			continue
		}
		if status >= 400 {
			var p struct {
				Type, Title, Detail string
				Status              int
			}
			if json.Unmarshal(b, &p) != nil || h.Get("Content-Type") != "application/problem+json" || p.Status != status || p.Title == "" || p.Type == "" ||
				!strings.Contains(p.Detail, tc.detail) {
				t.Errorf("%s: problem %s %+v, want detail with %q", name, h.Get("Content-Type"), p, tc.detail)
			}
		} else {
			answers[tc.method+" "+tc.path+" "+tc.body] = b
		}
	}
	// The inline candidate links to both stored ones through the device,
	// and pays out to an account held in another name.
	for k, b := range answers {
		if !strings.HasPrefix(k, "POST /v1/vet/screen {\"candidates") {
			continue
		}
		var vr vetScreenResponse
		if err := json.Unmarshal(b, &vr); err != nil || len(vr.Reports) != 1 {
			t.Fatalf("vet screen: %v %s", err, b)
		}
		got := map[string]bool{}
		for _, f := range vr.Reports[0].Findings {
			got[f.Check] = true
		}
		if cl := vr.Reports[0].Cluster; cl == nil || len(cl.Members) != 3 || !got[vet.CheckIdentityLink] || !got[vet.CheckPayoutHolder] {
			t.Errorf("vet screen of an inline candidate: %s", b)
		}
	}
	// Acknowledging and resolving change the stored alert.
	for path, want := range map[string]string{"/v1/alerts/" + alertID + "/ack " + `{"note":"exchange called"}`: `"status":"acknowledged"`, "/v1/alerts/" + alertID + "/resolve ": `"status":"resolved"`} {
		if b := answers["POST "+path]; !strings.Contains(string(b), want) || !strings.Contains(string(b), `"note":"exchange called"`) {
			t.Errorf("POST %s: %s, want %s and the note", path, b, want)
		}
	}
	// Every operation was tried, and every /v1 operation also with a 4xx.
	for _, op := range want {
		seen := c.Seen(op)
		if op == "GET /metrics" {
			continue // checked below, after the counts
		}
		ok2, ok4 := false, false
		for _, s := range seen {
			ok2 = ok2 || s < 300
			ok4 = ok4 || s >= 400 && s < 500
		}
		// No Bitcoin clustering in this store (entity: only its errors are
		// checked here) and no
		// node (audit: it reads the Safes from one).
		if !ok2 && op != "GET /v1/entities/{id}" && op != "POST /v1/guard/audit" {
			t.Errorf("%s: no success answer checked (%v)", op, seen)
		}
		if strings.HasPrefix(op, "GET /v1") || strings.HasPrefix(op, "POST /v1") {
			if !ok4 {
				t.Errorf("%s: no 4xx answer checked (%v)", op, seen)
			}
		}
	}
	// /metrics counts what was answered, and the store's height.
	r, _ := http.NewRequest("GET", base+"/metrics", nil)
	_, _, b, err := c.Do(r, "GET /metrics")
	if err != nil {
		t.Fatal(err)
	}
	m := string(b)
	for _, line := range []string{
		`chainhound_http_requests_total{route="/v1/trace",method="POST",status="200"} 2`,
		`chainhound_http_requests_total{route="/v1/addresses/{caip10}",method="GET",status="429"} 1`,
		`chainhound_last_indexed_block{chain="eip155:1"} 4`,
	} {
		if !strings.Contains(m, line+"\n") {
			t.Errorf("metrics lack %q", line)
		}
	}
	stop() // the CLI needs the store serve holds
	// Screening answers what the CLI answers: A one hop from the thief is
	// high with the path, the unknown address none.
	var sr screenOut
	json.Unmarshal(answers["POST /v1/screen "+screenBody], &sr)
	if len(sr.Results) != 2 || sr.Results[0].Severity != risk.High || len(sr.Results[0].Indirect) != 1 ||
		len(sr.Results[0].Indirect[0].Path) != 1 || sr.Results[0].Indirect[0].Path[0].From != a20(1) || sr.Results[1].Severity != risk.None {
		t.Errorf("screen: %+v", sr)
	}
	var cliScreen screenOut
	json.Unmarshal([]byte(mustCLI(t, "screen", eth+a20(2), eth+a20(0x77), "--data", dir, "--output", "json")), &cliScreen)
	for i := range cliScreen.Results {
		if len(sr.Results) == 2 {
			sr.Results[i].Freshness.Updated = ""
		}
		cliScreen.Results[i].Freshness.Updated = ""
	}
	if fmt.Sprint(sr) != fmt.Sprint(cliScreen) {
		t.Errorf("screen: API %+v\nCLI %+v", sr, cliScreen)
	}
	// The lookups answer what the CLI answers.
	same := func(name string, cli ...string) {
		t.Helper()
		var a, b any
		json.Unmarshal(answers[name+" "], &a)
		json.Unmarshal([]byte(mustCLI(t, cli...)), &b)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s answers\n%v\nthe CLI\n%v", name, a, b)
		}
	}
	same("GET /v1/addresses/"+eth+a20(2), "address", a20(2), "--data", dir, "--output", "json")
	same("GET /v1/tx/eip155:1/"+txHash, "tx", txHash, "--data", dir, "--output", "json")
	same("GET /v1/path?from="+url.QueryEscape(eth+a20(1))+"&to="+url.QueryEscape(eth+a20(5))+"&max_hops=4", "path", a20(1), a20(5), "--max-hops", "4", "--data", dir, "--output", "json")
	var tags []lookupOut
	json.Unmarshal([]byte(mustCLI(t, "intel", "lookup", eth+a20(0xe), "--data", dir, "--output", "json")), &tags)
	var apiTags lookupOut
	json.Unmarshal(answers["GET /v1/addresses/"+eth+a20(0xe)+"/tags "], &apiTags)
	if len(tags) != 1 || fmt.Sprint(tags[0]) != fmt.Sprint(apiTags) || len(apiTags.Tags) != 1 || apiTags.Tags[0].Label != "Exchange X" {
		t.Errorf("tags: API %+v, CLI %+v", apiTags, tags)
	}
	var rep trace.Report
	json.Unmarshal(answers[`POST /v1/trace {"seeds":["`+a20(1)+`"],"model":"fifo"}`], &rep)
	cliRep := traceJSON(t, "--seed", a20(1), "--model", "fifo", "--data", dir)
	rep.Stats.Seconds, cliRep.Stats.Seconds = 0, 0
	if len(rep.Exits) != 1 || rep.Exits[0].Amount != "110" || fmt.Sprint(rep) != fmt.Sprint(cliRep) {
		t.Errorf("trace: API %+v\nCLI %+v", rep, cliRep)
	}
	if t.Failed() {
		t.Log(stderr.String())
	}
}

// TestServeKeys: serve refuses to start without keys unless --no-auth; a
// key revoked while serve runs stops working; apikey list shows no secret.
func TestServeKeys(t *testing.T) {
	dir := t.TempDir()
	if _, errs, code := cli(t, "serve", "--listen", "127.0.0.1:0", "--data", dir); code != 1 || !strings.Contains(errs, "apikey create") || !strings.Contains(errs, "--no-auth") {
		t.Errorf("serve without keys: exit %d, stderr %q", code, errs)
	}
	base, _, _ := startServe(t, "--data", dir, "--no-auth")
	resp, err := http.Get(base + "/v1/addresses/eip155:1:" + a20(1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 { // open, but there is no store
		t.Errorf("--no-auth without a store: %d, want 503", resp.StatusCode)
	}

	dir = exitCase(t, "native")
	key := strings.TrimSpace(mustCLI(t, "apikey", "create", "--name", "ci bot", "--scopes", "lookup", "--data", dir))
	id := strings.Split(key, "_")[1]
	list := mustCLI(t, "apikey", "list", "--data", dir)
	if !strings.Contains(list, id) || !strings.Contains(list, "ci bot") || strings.Contains(list, key[len(key)-52:]) {
		t.Errorf("apikey list:\n%s", list)
	}
	for _, args := range [][]string{{"apikey", "create", "--name", "x", "--scopes", "admin"}, {"apikey", "create", "--scopes", "lookup"}, {"apikey", "revoke"}} {
		if _, _, code := cli(t, append(args, "--data", dir)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if _, _, code := cli(t, "apikey", "revoke", "0000000000000000", "--data", dir); code != 1 {
		t.Errorf("revoke unknown id: exit %d, want 1", code)
	}
	base, _, _ = startServe(t, "--data", dir)
	get := func() int {
		r, _ := http.NewRequest("GET", base+"/v1/addresses/eip155:1:"+a20(1), nil)
		r.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get(); s != 200 {
		t.Fatalf("valid key: %d", s)
	}
	mustCLI(t, "apikey", "revoke", id, "--data", dir)
	deadline := time.Now().Add(10 * time.Second)
	for get() != 401 {
		if time.Now().After(deadline) {
			t.Fatal("a revoked key still works after 10s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, errs, code := cli(t, "apikey", "revoke", id, "--data", dir); code != 0 || !strings.Contains(errs, "already revoked") {
		t.Fatalf("revoking twice: exit %d, %s", code, errs)
	}
}

// FuzzParseCAIP10: no input crashes the parser; what it accepts splits
// back into the input, and its chain passes parseCAIP2.
func FuzzParseCAIP10(f *testing.F) {
	for _, s := range []string{"eip155:1:0x47666fab8bd0ac7003bce3f5c3585383f09486e2", "bip122:000000000019d6689c085ae165831e93:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
		"", ":", "::", "a:b:c", "eip155::0x", "eip155:1:", strings.Repeat("x", 300), "EIP155:1:0x00", "cosmos:cosmoshub-3:cosmos1t2uflqwqe0fsj0shcfkrvpukewcw40yjj6hdc0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		caip2, addr, err := parseCAIP10(s)
		if err != nil {
			return
		}
		if caip2+":"+addr != s {
			t.Fatalf("%q split into %q and %q", s, caip2, addr)
		}
		if _, err := parseCAIP2(caip2); err != nil {
			t.Fatalf("%q: chain %q refused: %v", s, caip2, err)
		}
		checkAddress(caip2, addr) // must not panic
	})
}

// FuzzDecodeTraceRequest: no body crashes the decoder, and what it accepts
// is within the API's bounds.
func FuzzDecodeTraceRequest(f *testing.F) {
	for _, s := range []string{`{"seeds":["` + a20(1) + `"]}`, `{"seeds":["eip155:1:` + a20(1) + `"],"model":"fifo","max_hops":3,"stop_at":[]}`,
		`{"seeds":["4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b:0"],"amount":"5"}`, `{}`, `[]`, `null`, `{"seeds":[1]}`,
		`{"seeds":["x"],"max_hops":-1}`, `{"seeds":["` + a20(1) + `"]} {}`, `{"seeds":["` + a20(1) + `"],"min_amount":"1e5"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := decodeTraceRequest(b)
		if err != nil {
			if !strings.Contains(err.Error(), "") || !isUsage(err) {
				t.Fatalf("%q: error %v is not a usage error", b, err)
			}
			return
		}
		if len(o.specs) == 0 || len(o.specs) > apiMaxSeeds || o.maxHops < 1 || o.maxHops > apiMaxHops ||
			(o.direction != "forward" && o.direction != "backward") {
			t.Fatalf("%q accepted out of bounds: %+v", b, o)
		}
	})
}

func isUsage(err error) bool {
	_, ok := err.(usageError)
	return ok
}

// TestServeNeighbors checks the workspace's neighbours against the
// address lookup: what an address sent (received) per asset is the sum of
// its outgoing (incoming) flows, and the filters narrow what they say.
func TestServeNeighbors(t *testing.T) {
	dir := exitCase(t, "native")
	base, _, _ := startServe(t, "--data", dir, "--no-auth")
	for _, n := range []byte{1, 2, 0xe} {
		acct := "eip155:1:" + a20(n)
		var acc accountOut
		getJSON(t, base+"/v1/addresses/"+acct, &acc)
		for _, dir := range []string{"in", "out"} {
			var nb neighborsOut
			getJSON(t, base+"/v1/addresses/"+acct+"/neighbors?limit=500&direction="+dir, &nb)
			sums := map[string]*big.Int{}
			for _, x := range nb.Neighbors {
				if x.Direction != dir {
					t.Errorf("%s %s: a %s neighbour", acct, dir, x.Direction)
				}
				v, _ := new(big.Int).SetString(x.Amount, 10)
				if sums[x.Asset] == nil {
					sums[x.Asset] = new(big.Int)
				}
				sums[x.Asset].Add(sums[x.Asset], v)
			}
			for _, b := range acc.Balances {
				want := b.Received
				if dir == "out" {
					want = b.Sent
				}
				got := "0"
				if sums[b.Asset] != nil {
					got = sums[b.Asset].String()
				}
				if got != want {
					t.Errorf("%s %s %s: neighbours sum to %s, the address lookup says %s", acct, dir, b.Asset, got, want)
				}
			}
			if len(nb.Neighbors) == 0 {
				continue
			}
			// min_amount above the biggest flow leaves none; until block 0 none.
			top, _ := new(big.Int).SetString(nb.Neighbors[0].Amount, 10)
			var none neighborsOut
			getJSON(t, base+"/v1/addresses/"+acct+"/neighbors?direction="+dir+"&min_amount="+new(big.Int).Add(top, big.NewInt(1)).String(), &none)
			if len(none.Neighbors) != 0 {
				t.Errorf("%s: min_amount above the biggest flow still lists %d", acct, len(none.Neighbors))
			}
			var one neighborsOut
			getJSON(t, base+"/v1/addresses/"+acct+"/neighbors?limit=1&direction="+dir, &one)
			if len(one.Neighbors) != 1 || one.Total != nb.Total || one.Neighbors[0] != nb.Neighbors[0] {
				t.Errorf("%s: limit=1 gave %+v (total %d), want the biggest of %d", acct, one.Neighbors, one.Total, nb.Total)
			}
		}
	}
	// An address with more transfers than one request reads: the first
	// whole blocks, marked truncated with the last block read; from the
	// next block on, the rest. The exchange receives 60 in block 2, 50 in 3.
	defer func(n int) { neighborsMaxScan = n }(neighborsMaxScan)
	neighborsMaxScan = 1
	ex := "/v1/addresses/eip155:1:" + a20(0xe) + "/neighbors"
	var first, rest neighborsOut
	getJSON(t, base+ex, &first)
	if !first.Truncated || first.Scanned != 1 || first.ScannedTo != 2 || len(first.Neighbors) != 1 || first.Neighbors[0].Amount != "60" {
		t.Errorf("capped at one transfer: %+v", first)
	}
	getJSON(t, base+ex+"?from="+strconv.FormatUint(first.ScannedTo+1, 10), &rest)
	if rest.Truncated || len(rest.Neighbors) != 1 || rest.Neighbors[0].Amount != "50" {
		t.Errorf("from the next block: %+v", rest)
	}
}

// TestServeCaseVersions: a case's answers carry its version as an ETag; a
// PUT with If-Match lands only on the version it names, so a second
// analyst saving over a case the first saved since is refused with 412
// (problem+json naming when it was saved) instead of undoing that save.
func TestServeCaseVersions(t *testing.T) {
	base, _, _ := startServe(t, "--data", t.TempDir(), "--no-auth")
	do := func(method, path, body, match string) (int, http.Header, []byte) {
		t.Helper()
		r, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if match != "" {
			r.Header.Set("If-Match", match)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	status, h, b := do("POST", "/v1/cases", `{"name":"v1"}`, "")
	var c struct{ ID, Updated string }
	if json.Unmarshal(b, &c); status != 201 || h.Get("ETag") != strconv.Quote(c.Updated) {
		t.Fatalf("create: %d, ETag %q, updated %q", status, h.Get("ETag"), c.Updated)
	}
	first := h.Get("ETag")
	if status, h, _ := do("GET", "/v1/cases/"+c.ID, "", ""); status != 200 || h.Get("ETag") != first {
		t.Errorf("get: %d, ETag %q, want %q", status, h.Get("ETag"), first)
	}
	// Analyst A saves on the version both opened.
	status, h, _ = do("PUT", "/v1/cases/"+c.ID, `{"name":"A's"}`, first)
	second := h.Get("ETag")
	if status != 200 || second == first || second == "" {
		t.Fatalf("save on the current version: %d, ETag %q after %q", status, second, first)
	}
	// Analyst B saves on the same, now replaced, version: refused.
	status, h, b = do("PUT", "/v1/cases/"+c.ID, `{"name":"B's"}`, first)
	var p struct{ Title, Detail string }
	if json.Unmarshal(b, &p); status != 412 || h.Get("Content-Type") != "application/problem+json" || !strings.Contains(p.Detail, strings.Trim(second, `"`)) {
		t.Errorf("save on a replaced version: %d %s %+v, want 412 naming %s", status, h.Get("Content-Type"), p, second)
	}
	if _, _, b := do("GET", "/v1/cases/"+c.ID, "", ""); !strings.Contains(string(b), `"name":"A's"`) {
		t.Errorf("after the refused save the case is %s, want A's", b)
	}
	// B chooses to overwrite: If-Match *, or none.
	for _, m := range []string{"*", ""} {
		if status, _, b := do("PUT", "/v1/cases/"+c.ID, `{"name":"B's"}`, m); status != 200 {
			t.Errorf("If-Match %q: %d %s", m, status, b)
		}
	}
}
