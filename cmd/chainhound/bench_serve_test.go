package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestBenchServeBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--targets", "trivial,nope"}, `unknown target "nope"`},
		{[]string{"--targets", "path"}, "target path needs --path"},
		{[]string{"--targets", "path", "--path", "/v1/addresses/{address}/risk"}, "needs addresses: give --data"},
		{[]string{"--path", "v1/x"}, "want a path starting with /"},
		{[]string{"--modes", "rate,burst"}, `"burst" is neither rate nor max`},
		{[]string{"--rate", "0"}, "must be positive"},
		{[]string{"--ramp", "--ramp-rates", "1000,x"}, `"x" is not a positive rate`},
		{[]string{"--url", "127.0.0.1:8080"}, "want http://HOST:PORT"},
		{[]string{"--output", "csv"}, "want table or json"},
	} {
		out, errs, code := cli(t, append([]string{"bench", "serve"}, tc.args...)...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) {
			t.Errorf("bench serve %v: exit %d (want 2), stdout %q, stderr %q (want %q)", tc.args, code, out, errs, tc.want)
		}
	}
	if _, errs, code := cli(t, "bench", "serve", "--data", t.TempDir()+"/none"); code != 1 || !strings.Contains(errs, "no such directory") {
		t.Errorf("missing --data: exit %d, stderr %q", code, errs)
	}
}

// TestBenchServeTrivial loads the in-process server's trivial handler in
// both modes; only counts are checked, the machine may be busy.
func TestBenchServeTrivial(t *testing.T) {
	out := mustCLI(t, "bench", "serve", "--rate", "200", "--duration", "300ms", "--concurrency", "4", "--max-concurrency", "2", "--output", "json")
	var res struct {
		InProcess bool `json:"in_process"`
		Rows      []struct {
			Target, Mode string
			Scheduled    int64
			Sent, OK     int64
			Ratio        float64
			Latency      struct {
				P99 int64 `json:"p99_ns"`
			} `json:"latency"`
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !res.InProcess || len(res.Rows) != 2 {
		t.Fatalf("%s", out)
	}
	r, m := res.Rows[0], res.Rows[1]
	if r.Target != "trivial" || r.Mode != "rate" || r.Scheduled != 60 || r.OK != 60 || r.Latency.P99 <= 0 {
		t.Errorf("rate row %+v: want 60 scheduled and answered", r)
	}
	if m.Mode != "max" || m.OK == 0 || m.OK != m.Sent || m.Ratio != 1 {
		t.Errorf("max row %+v", m)
	}
}

// TestBenchServePath loads an external server (--url) through the path
// target, cycling over addresses sampled from a generated graph.
func TestBenchServePath(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, "bench", "trace", "--data", dir, "--transfers", "3000", "--addresses", "500", "--airdrop", "--utxo-txs", "0", "--generate-only")
	var mu sync.Mutex
	seen := map[string]int{}
	auth := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen[r.URL.Path]++
		auth[r.Header.Get("Authorization")]++
		w.Write([]byte(`{"risk":"low"}`))
	}))
	defer srv.Close()
	out := mustCLI(t, "bench", "serve", "--url", srv.URL, "--data", dir, "--sample", "7", "--targets", "path", "--path", "/v1/addresses/{address}/risk",
		"--key", "k1", "--modes", "rate", "--rate", "100", "--duration", "700ms", "--concurrency", "2")
	if !strings.Contains(out, "addresses   7: the first in key order of 500 in") || !strings.Contains(out, "external") {
		t.Errorf("table:\n%s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 7 || auth["Bearer k1"] != 70 || len(auth) != 1 {
		t.Errorf("the server saw %d paths (want 7), authorization %v (want 70 with Bearer k1)", len(seen), auth)
	}
	for p, n := range seen {
		if !strings.HasPrefix(p, "/v1/addresses/eip155:990099:0x") || !strings.HasSuffix(p, "/risk") || n != 10 {
			t.Errorf("path %s asked %d times (want a CAIP-10 id of the synthetic chain, 10 times)", p, n)
		}
	}
}

// TestBenchServeScreening runs the risk and batch targets in process on
// a small store with an exposure store: every request answered 200 (with
// the API key the targets create), none refused.
func TestBenchServeScreening(t *testing.T) {
	dir := exitCase(t, "native")
	if _, errs, code := cli(t, "bench", "serve", "--data", dir, "--targets", "risk"); code != 1 || !strings.Contains(errs, "risk update") {
		t.Fatalf("without an exposure store: exit %d\n%s", code, errs)
	}
	mustCLI(t, "risk", "update", "--data", dir)
	out := mustCLI(t, "bench", "serve", "--data", dir, "--targets", "trivial,risk,batch", "--modes", "rate", "--rate", "100", "--duration", "300ms",
		"--concurrency", "2", "--output", "json")
	var res struct {
		Rows []struct {
			Target    string
			Scheduled int64
			OK        int64
			Errors    map[string]int64 `json:"errors"`
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Rows) != 3 {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, r := range res.Rows {
		if r.Scheduled == 0 || r.OK != r.Scheduled {
			t.Errorf("%s: %d of %d answered 200 (%v)\n%s", r.Target, r.OK, r.Scheduled, r.Errors, out)
		}
	}
}
