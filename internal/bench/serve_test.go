package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/api"
)

// TestBenchServe runs the trivial target and a mounted one in both modes against
// the in-process server. Durations are short and no figure is asserted
// beyond counts: the machine may be busy.
func TestBenchServe(t *testing.T) {
	ids := []string{"eip155:1:0xa", "eip155:1:0xb", "eip155:1:0xc"}
	var mu sync.Mutex
	seen := map[string]int{}
	badKey := 0
	lookup := ServeTarget{
		Name: "lookup",
		Mount: func(srv *api.Server) {
			srv.Handle("GET /v1/lookup/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				// Not r.PathValue: api.Server dispatches through
				// mux.Handler, which does not set path values.
				seen[strings.TrimPrefix(r.URL.Path, "/v1/lookup/")]++
				if r.Header.Get("Authorization") != "Bearer sekrit" {
					badKey++
				}
				mu.Unlock()
				w.Write([]byte(`{}`))
			}))
		},
		Request: CyclePath("/v1/lookup/{address}", ids),
		Rate:    150,
	}
	res, err := Serve(context.Background(), ServeConfig{Targets: []ServeTarget{TrivialTarget(), lookup}, Rate: 300, Duration: 300 * time.Millisecond,
		Concurrency: 4, MaxConcurrency: 2, Key: "sekrit", Ramp: []float64{100, 200}, MaxP99: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + res.String())
	if !res.InProcess || !strings.HasPrefix(res.URL, "http://127.0.0.1:") {
		t.Errorf("server %q in process %v", res.URL, res.InProcess)
	}
	want := []struct {
		target, mode string
		ramp         bool
		rate         float64
	}{{"trivial", "rate", false, 300}, {"trivial", "max", false, 0}, {"trivial", "rate", true, 100}, {"trivial", "rate", true, 200},
		{"lookup", "rate", false, 150}, {"lookup", "max", false, 0}, {"lookup", "rate", true, 100}, {"lookup", "rate", true, 200}}
	if len(res.Rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(res.Rows), len(want))
	}
	lookups := int64(0)
	for k, w := range want {
		r := res.Rows[k]
		if r.Target != w.target || r.Mode != w.mode || r.Ramp != w.ramp || r.Rate != w.rate {
			t.Errorf("row %d: %s %s ramp=%v rate %v, want %+v", k, r.Target, r.Mode, r.Ramp, r.Rate, w)
		}
		if r.OK == 0 || r.OK != r.Sent || r.Errors() != 0 {
			t.Errorf("row %d (%s %s): ok %d of %d sent, errors %d (%s)", k, r.Target, r.Mode, r.OK, r.Sent, r.Errors(), r.FirstError)
		}
		if r.Mode == "max" && r.Ratio <= 0 || r.Mode == "rate" && r.Ratio != 0 {
			t.Errorf("row %d (%s %s): ratio %v", k, r.Target, r.Mode, r.Ratio)
		}
		if r.Target == "lookup" {
			lookups += r.Sent
		}
	}
	if res.Rows[1].Ratio != 1 {
		t.Errorf("trivial's own ratio %v, want 1", res.Rows[1].Ratio)
	}
	if res.Sustained["trivial"] != 200 || res.Sustained["lookup"] != 200 {
		t.Errorf("sustained %v under a one-minute bound, want 200 for both", res.Sustained)
	}
	// Requests cycle over the addresses and carry the key.
	mu.Lock()
	defer mu.Unlock()
	total := int64(0)
	for _, id := range ids {
		if seen[id] == 0 {
			t.Errorf("%s never asked for", id)
		}
		total += int64(seen[id])
	}
	if total != lookups || len(seen) != len(ids) || badKey != 0 {
		t.Errorf("server saw %v (%d requests, %d without the key), generator sent %d", seen, total, badKey, lookups)
	}
	if b, err := json.Marshal(res); err != nil || !strings.Contains(string(b), `"p99_ns"`) {
		t.Errorf("json: %v %.200s", err, b)
	}
}

func TestBenchServeBatchBody(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e"}
	f, err := BatchBody("/v1/screen", ids, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for i := range int64(3) {
		r := f(i)
		var body struct{ Addresses []string }
		if err := json.Unmarshal(r.Body, &body); err != nil || r.Method != http.MethodPost || r.URL != "/v1/screen" || r.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("request %d: %+v (%v)", i, r, err)
		}
		got = append(got, body.Addresses)
	}
	// Two distinct batches (5 addresses, 3 a batch), then round again.
	want := [][]string{{"a", "b", "c"}, {"d", "e", "a"}, {"a", "b", "c"}}
	for k := range want {
		if strings.Join(got[k], ",") != strings.Join(want[k], ",") {
			t.Errorf("batch %d: %v, want %v", k, got[k], want[k])
		}
	}
	if _, err := BatchBody("/v1/screen", nil, 3); err == nil {
		t.Error("a batch from no addresses accepted")
	}
	if r := CyclePath("/healthz", ids)(7); r.URL != "/healthz" {
		t.Errorf("a path without a placeholder: %q", r.URL)
	}
}
