package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/api"
	"github.com/chainhound/chainhound/internal/api/apitest"
	"github.com/chainhound/chainhound/internal/apikey"
)

type echoOut struct {
	Name  string   `json:"name"`
	Items []string `json:"items"`
	Note  string   `json:"note,omitempty"`
}

// start runs s on a loopback port until the test ends.
func start(t *testing.T, s *api.Server) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	bound := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, "127.0.0.1:0", 5*time.Second, bound) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return "http://" + (<-bound).String()
}

func testServer(t *testing.T, broken bool) (*api.Server, string, map[string]string) {
	s := api.New(slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	s.Route(api.Route{Method: "GET", Path: "/v1/echo/{name}", Scope: apikey.ScopeLookup, Summary: "echo",
		Params:    []api.Param{{Name: "name", In: "path", Schema: api.Schema{"type": "string"}}},
		Responses: map[int]api.Schema{200: api.SchemaOf(echoOut{})}, Problems: []int{400},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.PathValue("name") == "bad" {
				api.WriteProblem(w, 400, "Bad name", "name \"bad\"")
				return
			}
			out := echoOut{Name: r.PathValue("name"), Items: []string{}}
			if broken {
				out.Items = nil // encodes as null: not the documented array
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(out)
		})})
	tokens := map[string]string{}
	var keys []apikey.Key
	for _, k := range []struct {
		name, scopes string
		rate         float64
		burst        int
	}{{"lookup", "lookup", 1000, 1000}, {"guard", "guard", 1000, 1000}, {"slow", "lookup", 0.001, 2}, {"revoked", "lookup", 10, 10}} {
		sc, _ := apikey.ParseScopes(k.scopes)
		key, tok, err := apikey.New(k.name, sc, k.rate, k.burst, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if k.name == "revoked" {
			now := time.Now()
			key.Revoked = &now
		}
		keys = append(keys, key)
		tokens[k.name] = tok
	}
	s.SetKeys(keys)
	return s, start(t, s), tokens
}

// TestRouteAuthLimitsMetrics: keys, scopes and rate limits answer the
// right problem, every answer matches the document, and /metrics counts
// them in a format Prometheus parses.
func TestRouteAuthLimitsMetrics(t *testing.T) {
	_, base, tok := testServer(t, false)
	c, err := apitest.Fetch(base)
	if err != nil {
		t.Fatal(err)
	}
	const op = "GET /v1/echo/{name}"
	// What is mounted is what is documented, and the reverse.
	s, _, _ := testServer(t, false)
	mounted := s.Patterns()
	sort.Strings(mounted)
	if got := c.Operations(); strings.Join(got, ",") != strings.Join(mounted, ",") {
		t.Errorf("documented %v, mounted %v", got, mounted)
	}
	for _, tc := range []struct {
		path, auth, xkey string
		status           int
		title            string
	}{
		{"/v1/echo/x", "Bearer " + tok["lookup"], "", 200, ""},
		{"/v1/echo/x", "", tok["lookup"], 200, ""},
		{"/v1/echo/bad", "Bearer " + tok["lookup"], "", 400, "Bad name"},
		{"/v1/echo/x", "", "", 401, "API key required"},
		{"/v1/echo/x", "Basic dXNlcjpwYXNz", "", 401, "Invalid API key"},
		{"/v1/echo/x", "Bearer " + flipLast(tok["lookup"]), "", 401, "Invalid API key"},
		{"/v1/echo/x", "Bearer " + tok["revoked"], "", 401, "Invalid API key"},
		{"/v1/echo/x", "Bearer " + tok["guard"], "", 403, "Insufficient scope"},
		{"/v1/echo/x", "", tok["slow"], 200, ""},
		{"/v1/echo/x", "", tok["slow"], 200, ""},
		{"/v1/echo/x", "", tok["slow"], 429, "Rate limit exceeded"},
	} {
		req, _ := http.NewRequest("GET", base+tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		if tc.xkey != "" {
			req.Header.Set("X-API-Key", tc.xkey)
		}
		status, h, body, err := c.Do(req, op)
		if err != nil {
			t.Errorf("%+v: %v", tc, err)
			continue
		}
		var p api.Problem
		json.Unmarshal(body, &p)
		if status != tc.status || p.Title != tc.title {
			t.Errorf("%s auth %q key %q: %d %q, want %d %q", tc.path, tc.auth, tc.xkey, status, p.Title, tc.status, tc.title)
		}
		if status == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("401 without WWW-Authenticate")
		}
		if status == 429 && h.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After")
		}
	}
	// The open routes need no key and match the document.
	for _, op := range []string{"GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.json"} {
		req, _ := http.NewRequest("GET", base+strings.TrimPrefix(op, "GET "), nil)
		if status, _, _, err := c.Do(req, op); err != nil || status != 200 {
			t.Errorf("%s: %d %v", op, status, err)
		}
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	samples := parseMetrics(t, string(b))
	for k, want := range map[string]string{
		`chainhound_http_requests_total{route="/v1/echo/{name}",method="GET",status="200"}`:               "4",
		`chainhound_http_requests_total{route="/v1/echo/{name}",method="GET",status="401"}`:               "4",
		`chainhound_http_requests_total{route="/v1/echo/{name}",method="GET",status="429"}`:               "1",
		`chainhound_http_request_duration_seconds_count{route="/v1/echo/{name}",method="GET"}`:            "11",
		`chainhound_http_request_duration_seconds_bucket{route="/v1/echo/{name}",method="GET",le="+Inf"}`: "11",
		`chainhound_http_requests_in_flight`:                                                              "1",
	} {
		if samples[k] != want {
			t.Errorf("%s = %q, want %s", k, samples[k], want)
		}
	}
}

// flipLast changes a token's last character to another valid one.
func flipLast(tok string) string {
	if tok[len(tok)-1] == 'q' {
		return tok[:len(tok)-1] + "a"
	}
	return tok[:len(tok)-1] + "q"
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})?) (\S+)$`)

// parseMetrics checks every line of the exposition format and returns the
// samples by name and labels.
func parseMetrics(t *testing.T, text string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("metrics line %q is not name{labels} value", line)
			continue
		}
		out[m[1]] = m[4]
	}
	return out
}

// TestDocumentCatchesDrift: an answer whose shape differs from the
// document (null where an array is documented) fails the check.
func TestDocumentCatchesDrift(t *testing.T) {
	_, base, tok := testServer(t, true)
	c, err := apitest.Fetch(base)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", base+"/v1/echo/x", nil)
	req.Header.Set("X-API-Key", tok["lookup"])
	if _, _, _, err := c.Do(req, "GET /v1/echo/{name}"); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("a null array passed the check: %v", err)
	}
	if err := c.Check("GET /v1/echo/{name}", 418, "application/problem+json", []byte(`{}`)); err == nil {
		t.Error("an undocumented status passed")
	}
	if err := c.Check("GET /v1/echo/{name}", 400, "application/problem+json", []byte(`{"title":"x"}`)); err == nil {
		t.Error("a problem without type and status passed")
	}
}

// TestNoAuth: with auth disabled, a scoped route answers without a key.
func TestNoAuth(t *testing.T) {
	s := api.New(slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	s.DisableAuth()
	s.Route(api.Route{Method: "GET", Path: "/v1/x", Scope: apikey.ScopeTrace, Summary: "x", Responses: map[int]api.Schema{204: {}},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })})
	base := start(t, s)
	resp, err := http.Get(base + "/v1/x")
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
}

// TestCrossOrigin: without API keys, a page of another origin must not be
// able to make the analyst's browser change or compute anything on the
// server (a POST, PUT or DELETE); the server's own pages, clients that are
// not browsers, and reads pass.
func TestCrossOrigin(t *testing.T) {
	s := api.New(slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	s.DisableAuth()
	calls := 0
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		s.Route(api.Route{Method: m, Path: "/v1/x", Scope: apikey.ScopeCases, Summary: "x", Responses: map[int]api.Schema{204: {}},
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++; w.WriteHeader(204) })})
	}
	base := start(t, s)
	for _, tc := range []struct {
		method  string
		headers map[string]string
		want    int
	}{
		{"POST", nil, 204}, // curl, Go, Python
		{"POST", map[string]string{"Origin": base, "Sec-Fetch-Site": "same-origin"}, 204},                  // the workspace
		{"PUT", map[string]string{"Origin": base}, 204},                                                    // a browser without Sec-Fetch-*
		{"POST", map[string]string{"Origin": "https://ws.example", "X-Forwarded-Host": "ws.example"}, 204}, // behind a proxy
		{"POST", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
		{"DELETE", map[string]string{"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-site"}, 403},
		{"POST", map[string]string{"Origin": "https://evil.example"}, 403},
		{"PUT", map[string]string{"Origin": "null"}, 403},
		{"GET", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 204}, // the answer stays unreadable to it
	} {
		r, _ := http.NewRequest(tc.method, base+"/v1/x", strings.NewReader(`{}`))
		r.Header.Set("Content-Type", "text/plain") // what a form or a no-cors fetch may send
		for k, v := range tc.headers {
			r.Header.Set(k, v)
		}
		before := calls
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s with %v: %d, want %d: %s", tc.method, tc.headers, resp.StatusCode, tc.want, b)
		}
		if tc.want == 403 && (calls != before || resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(b), "another origin")) {
			t.Errorf("%s with %v: handler ran %d times, answer %s %s", tc.method, tc.headers, calls-before, resp.Header.Get("Content-Type"), b)
		}
	}
}
