package watch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func hookConfig(url string) *SinkConfig {
	return &SinkConfig{Type: Text{Value: "webhook"}, Name: "webhook", URL: Text{Value: url}, Secret: "k",
		AllowHosts: []string{"127.0.0.1"}, Timeout: Duration(2 * time.Second)}
}

// TestWebhookSignsAndKeys: the request carries the alert, its id as the
// idempotency key and an HMAC over timestamp and body.
func TestWebhookSignsAndKeys(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body = make([]byte, r.ContentLength)
		r.Body.Read(body)
	}))
	defer srv.Close()
	h, err := newWebhook(hookConfig(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Deliver(context.Background(), &Alert{ID: "abc", Rule: RuleExit}); err != nil {
		t.Fatal(err)
	}
	if got.Header.Get(HeaderIdempotency) != "abc" || !strings.Contains(string(body), `"id":"abc"`) {
		t.Errorf("key %q body %s", got.Header.Get(HeaderIdempotency), body)
	}
	if want := Sign([]byte("k"), got.Header.Get(HeaderTimestamp), body); got.Header.Get(HeaderSignature) != want || !strings.HasPrefix(want, "sha256=") {
		t.Errorf("signature %q, want %q", got.Header.Get(HeaderSignature), want)
	}
	if Sign([]byte("other"), got.Header.Get(HeaderTimestamp), body) == got.Header.Get(HeaderSignature) {
		t.Error("the signature does not depend on the secret")
	}
}

// TestWebhookNoRedirect: a redirect is a failed delivery, and the host it
// points to is never contacted.
func TestWebhookNoRedirect(t *testing.T) {
	var hit atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit.Add(1) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/stolen", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	h, err := newWebhook(hookConfig(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	err = h.Deliver(context.Background(), &Alert{ID: "abc"})
	if err == nil || !strings.Contains(err.Error(), "307") {
		t.Errorf("redirect: %v, want a failure naming 307", err)
	}
	if hit.Load() != 0 {
		t.Error("the redirect was followed")
	}
}

// TestWebhookAllowlist: a URL whose host is not allowed is refused when
// the sink is built.
func TestWebhookAllowlist(t *testing.T) {
	c := hookConfig("https://evil.example/x")
	if _, err := newWebhook(c); err == nil || !strings.Contains(err.Error(), "allow_hosts") {
		t.Errorf("evil host: %v", err)
	}
	c = hookConfig("https://127.0.0.1:9/x")
	c.Secret, c.SecretEnv = "", "WATCH_TEST_UNSET_SECRET"
	if _, err := newWebhook(c); err == nil || !strings.Contains(err.Error(), "WATCH_TEST_UNSET_SECRET") {
		t.Errorf("empty secret_env: %v", err)
	}
}
