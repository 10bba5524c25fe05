package guard

import (
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/problem"
	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/internal/guard/calldata"
	"github.com/chainhound/chainhound/internal/guard/deployments"
)

func post(t *testing.T, srv *httptest.Server, path, body string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestHTTPSafe(t *testing.T) {
	srv := httptest.NewServer(Handler(&Service{Known: deployments.Official()}))
	defer srv.Close()
	attack, _ := json.Marshal(stsJSON(t, v111, implant, 0, calldata.Transfer(receiver, big.NewInt(0)), 1, 71, false))
	resp, b := post(t, srv, "/v1/guard/safe?version=1.1.1&chain_id=1", string(attack))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%s: %s", resp.Status, b)
	}
	var res SafeResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.MaxSeverity != "critical" || len(res.Reports) != 1 || res.Reports[0].Findings[0].Code != "delegatecall-unknown" {
		t.Errorf("%s", b)
	}
	// Same JSON as the library gives (what the CLI prints with --output json).
	txs, _ := ParseSTS(attack)
	want, _ := (&Service{Known: deployments.Official()}).CheckSafe(t.Context(), SafeRequest{Txs: txs, Version: "1.1.1", ChainID: big.NewInt(1)})
	wb, _ := json.MarshalIndent(want, "", "  ")
	if strings.TrimSpace(string(b)) != string(wb) {
		t.Errorf("HTTP answer differs from the library's:\n%s\n%s", b, wb)
	}

	for name, c := range map[string]struct {
		path, body string
		status     int
		detail     string
	}{
		"bad json":        {"/v1/guard/safe?version=1.1.1", "{", 400, "transaction JSON"},
		"operation 7":     {"/v1/guard/safe?version=1.1.1", strings.Replace(string(attack), `"operation":1`, `"operation":7`, 1), 400, "operation"},
		"bad chain id":    {"/v1/guard/safe?chain_id=x", string(attack), 400, "chain_id"},
		"unknown ver":     {"/v1/guard/safe?version=9.9.9", string(attack), 400, "unknown Safe version"},
		"simulate no rpc": {"/v1/guard/safe?simulate=true", string(attack), 400, "no node"},
		"audit no safes":  {"/v1/guard/audit", `{"safes":[]}`, 400, "at least one"},
		"audit bad addr":  {"/v1/guard/audit", `{"safes":["0x12"]}`, 400, "safes[0]"},
		"audit extra":     {"/v1/guard/audit", `{"safes":["` + common.Address{}.Hex() + `"],"x":1}`, 400, "unknown field"},
		"audit no node":   {"/v1/guard/audit", `{"safes":["` + bybitSafe.Hex() + `"]}`, 503, "no node"},
	} {
		resp, b := post(t, srv, c.path, c.body)
		var p problem.Details
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(b, &p) != nil || p.Status != c.status || !strings.Contains(p.Detail, c.detail) {
			t.Errorf("%s: %s %s %s", name, resp.Status, resp.Header.Get("Content-Type"), b)
		}
	}
	resp, err := http.Get(srv.URL + "/v1/guard/safe")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %s", resp.Status)
	}
	oversized := strings.Repeat(" ", MaxRequestBytes+1)
	if resp, _ := post(t, srv, "/v1/guard/safe", oversized); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %s", resp.Status)
	}
}
