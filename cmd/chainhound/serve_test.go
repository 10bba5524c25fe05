package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeGuard starts `chainhound serve` in-process, asks the guard
// endpoint about the Bybit transaction as the signers' devices received it
// and about a plain transfer, checks the problem+json errors and the
// health endpoints, then stops it as a signal would: exit 0.
func TestServeGuard(t *testing.T) {
	// No store: serving only the guard needs none, and /readyz says ready.
	// A key with scope guard is all the guard endpoints need.
	dir := filepath.Join(t.TempDir(), "absent")
	key := strings.TrimSpace(mustCLI(t, "apikey", "create", "--name", "guard", "--scopes", "guard", "--data", dir))
	base, stop, stderr := startServe(t, "--data", dir)
	post := func(path, body string) (int, string, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		b, _ := io.ReadAll(resp.Body)
		json.Unmarshal(b, &v)
		return resp.StatusCode, resp.Header.Get("Content-Type"), v
	}
	const safe = "0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4"
	bybit := `{"safe":"` + safe + `","to":"0x96221423681A6d52E184D440a8eFCEbB105C7242","value":"0","operation":1,"nonce":71,` +
		`"data":"0xa9059cbb000000000000000000000000bdd077f651ebe7f7b3ce16fe5f2b025be29695160000000000000000000000000000000000000000000000000000000000000000"}`
	if status, _, v := post("/v1/guard/safe?chain_id=1&version=1.1.1", bybit); status != 200 || v["max_severity"] != "critical" {
		t.Errorf("bybit: %d %v", status, v)
	}
	plain := `{"safe":"` + safe + `","to":"0x00000000000000000000000000000000000000b0","value":"1000000000000000000","operation":0,"nonce":70}`
	if status, _, v := post("/v1/guard/safe?chain_id=1&version=1.1.1", plain); status != 200 || v["max_severity"] == "critical" || v["max_severity"] == "high" {
		t.Errorf("plain transfer: %d %v", status, v)
	}
	for _, tc := range []struct {
		path, body string
		status     int
	}{
		{"/v1/guard/safe?chain_id=1&version=1.1.1", `{"safe":`, 400},
		{"/v1/guard/safe?chain_id=1&version=9.9.9", plain, 400},
		{"/v1/guard/safe?chain_id=x", plain, 400},
		{"/v1/nothing", "{}", 404},
	} {
		if status, ct, v := post(tc.path, tc.body); status != tc.status || ct != "application/problem+json" || v["status"] != float64(tc.status) {
			t.Errorf("POST %s %q: %d %s %v, want %d problem+json", tc.path, tc.body, status, ct, v, tc.status)
		}
	}
	if resp, err := http.Get(base + "/readyz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("readyz: %v %v", resp, err)
	}
	if c := stop(); c != 0 {
		t.Errorf("stopped serve exited %d: %s", c, stderr.String())
	}
}

// startServe runs `chainhound serve` in-process on a free loopback port
// until the test ends; stop stops it as a signal would and returns its
// exit code.
func startServe(t *testing.T, args ...string) (base string, stop func() int, stderr *syncBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	stderr = &syncBuffer{}
	go func() { code <- runCtx(ctx, append([]string{"serve", "--listen", addr}, args...), io.Discard, stderr) }()
	base = "http://" + addr
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		select {
		case c := <-code:
			t.Fatalf("serve exited %d: %s", c, stderr.String())
		default:
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("serve did not come up: %s", stderr.String())
		}
	}
	stopped, exit := false, 0
	stop = func() int {
		if !stopped {
			stopped = true
			cancel()
			select {
			case exit = <-code:
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not stop")
			}
		}
		return exit
	}
	t.Cleanup(func() { stop() })
	return base, stop, stderr
}
