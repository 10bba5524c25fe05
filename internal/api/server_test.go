package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestServer(t *testing.T) {
	notReady := errors.New("store closed")
	var readyErr error
	s := New(slog.New(slog.NewTextHandler(io.Discard, nil)), func(context.Context) error { return readyErr })
	release := make(chan struct{})
	s.Handle("POST /v1/echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			WriteProblem(w, http.StatusRequestEntityTooLarge, "Request body too large", "")
			return
		}
		w.Write(b)
	}))
	s.Handle("GET /v1/slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "done")
	}))
	s.Handle("GET /v1/panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	ctx, cancel := context.WithCancel(context.Background())
	bound := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, "127.0.0.1:0", 5*time.Second, bound) }()
	base := "http://" + (<-bound).String()

	get := func(method, path, body string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	problem := func(body string) Problem {
		var p Problem
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("not a problem: %q", body)
		}
		return p
	}
	if code, _, body := get("GET", "/healthz", ""); code != 200 || body != "ok\n" {
		t.Errorf("healthz %d %q", code, body)
	}
	if code, _, _ := get("GET", "/readyz", ""); code != 200 {
		t.Errorf("readyz %d", code)
	}
	readyErr = notReady
	if code, ct, body := get("GET", "/readyz", ""); code != 503 || ct != "application/problem+json" || problem(body).Detail != "store closed" {
		t.Errorf("readyz not ready: %d %s %q", code, ct, body)
	}
	if code, ct, body := get("GET", "/v1/nothing", ""); code != 404 || ct != "application/problem+json" || problem(body).Status != 404 {
		t.Errorf("unknown route: %d %s %q", code, ct, body)
	}
	if code, _, body := get("GET", "/v1/echo", ""); code != 405 || problem(body).Status != 405 {
		t.Errorf("wrong method: %d %q", code, body)
	}
	if code, _, body := get("POST", "/v1/echo", "hello"); code != 200 || body != "hello" {
		t.Errorf("echo: %d %q", code, body)
	}
	if code, _, body := get("POST", "/v1/echo", strings.Repeat("x", MaxBodyBytes+1)); code != 413 || problem(body).Status != 413 {
		t.Errorf("oversize body: %d %q", code, body[:min(len(body), 100)])
	}
	if code, _, body := get("GET", "/v1/panic", ""); code != 500 || problem(body).Status != 500 {
		t.Errorf("panic: %d %q", code, body)
	}
	// Graceful shutdown: a request in flight when the stop comes still gets
	// its answer, and Run returns without error.
	slow := make(chan string, 1)
	go func() { _, _, body := get("GET", "/v1/slow", ""); slow <- body }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	time.Sleep(100 * time.Millisecond)
	close(release)
	if body := <-slow; body != "done" {
		t.Errorf("in-flight request got %q", body)
	}
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestOpenServerHosts: a server without API keys answers requests
// addressed to an IP address, localhost or an allowed name, and refuses
// others (a DNS-rebinding page names its own site); every answer says
// nosniff. With keys, the Host is not checked.
func TestOpenServerHosts(t *testing.T) {
	for _, open := range []bool{true, false} {
		s := New(slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		s.Handle("GET /v1/x", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
		if open {
			s.DisableAuth()
			s.AllowHosts("Chainhound.Internal.")
		}
		for _, tc := range []struct {
			host string
			ok   bool
		}{
			{"127.0.0.1:8080", true}, {"[::1]:8080", true}, {"10.1.2.3", true}, {"localhost:8080", true}, {"LOCALHOST", true},
			{"app.localhost:1", true}, {"chainhound.internal:8080", true}, {"", true},
			{"evil.example:8080", false}, {"evil.example", false}, {"127.0.0.1.evil.example", false}, {"localhost.evil.example:80", false},
		} {
			r := httptest.NewRequest("GET", "/v1/x", nil)
			r.Host = tc.host
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			want := http.StatusOK
			if open && !tc.ok {
				want = http.StatusMisdirectedRequest
			}
			if w.Code != want {
				t.Errorf("open=%v Host %q: status %d, want %d (%s)", open, tc.host, w.Code, want, w.Body)
			}
			if want != http.StatusOK && !strings.Contains(w.Body.String(), "--allowed-host") {
				t.Errorf("Host %q refused without saying how to allow it: %s", tc.host, w.Body)
			}
			if w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("open=%v Host %q: no nosniff header", open, tc.host)
			}
		}
	}
}
