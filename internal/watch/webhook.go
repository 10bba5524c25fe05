package watch

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook headers.
const (
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256, keyed by the
	// sink's secret, of the timestamp header's value, a dot and the body.
	HeaderSignature = "X-Chainhound-Signature"
	// HeaderTimestamp is the Unix time of the attempt, signed with the
	// body so that a captured request cannot be replayed later.
	HeaderTimestamp = "X-Chainhound-Timestamp"
	// HeaderIdempotency is the alert id: the same on every attempt and
	// after a restart, so a receiver drops what it already has.
	HeaderIdempotency = "Idempotency-Key"
)

func checkWebhook(s *SinkConfig) error {
	u, err := url.Parse(s.URL.Value)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("line %d: sink %s: url %q: want an http(s) URL", s.URL.Line, s.Name, s.URL.Value)
	}
	if len(s.AllowHosts) == 0 {
		return fmt.Errorf("line %d: sink %s: a webhook needs allow_hosts, the hosts it may post to", s.Type.Line, s.Name)
	}
	if !hostAllowed(u, s.AllowHosts) {
		return fmt.Errorf("line %d: sink %s: host %s is not in allow_hosts %v", s.URL.Line, s.Name, u.Host, s.AllowHosts)
	}
	if s.Secret == "" && s.SecretEnv == "" {
		return fmt.Errorf("line %d: sink %s: a webhook needs a secret or secret_env to sign with", s.Type.Line, s.Name)
	}
	return nil
}

func hostAllowed(u *url.URL, allow []string) bool {
	return slices.ContainsFunc(allow, func(h string) bool {
		return strings.EqualFold(h, u.Host) || strings.EqualFold(h, u.Hostname())
	})
}

type webhook struct {
	url    *url.URL
	secret []byte
	client *http.Client
}

func newWebhook(c *SinkConfig) (*webhook, error) {
	if err := checkWebhook(c); err != nil {
		return nil, err
	}
	u, _ := url.Parse(c.URL.Value)
	secret := c.Secret
	if c.SecretEnv != "" {
		if v := os.Getenv(c.SecretEnv); v != "" {
			secret = v
		}
	}
	if secret == "" {
		return nil, fmt.Errorf("sink %s: secret_env %s is empty", c.Name, c.SecretEnv)
	}
	client := &http.Client{
		Timeout: time.Duration(c.Timeout),
		// A redirect could send the signed alert to a host the allowlist
		// does not name: never follow one (a 3xx is a failed attempt).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &webhook{url: u, secret: []byte(secret), client: client}, nil
}

// Sign returns the signature header value of a body sent at ts.
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (w *webhook) Deliver(ctx context.Context, a *Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "chainhound-watch")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(w.secret, ts, body))
	req.Header.Set(HeaderIdempotency, a.ID)
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook %s: HTTP %s", w.url.Host, resp.Status)
	}
	return nil
}

func (w *webhook) Close() error { w.client.CloseIdleConnections(); return nil }
