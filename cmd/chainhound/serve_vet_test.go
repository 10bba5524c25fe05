package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/risk"
	"github.com/chainhound/chainhound/internal/vet"
)

// TestServeVet: concurrent vet requests all answer (the store is read once
// and shared, Pebble letting a process open it once at a time), and a
// record imported while serve runs is screened by the next request.
func TestServeVet(t *testing.T) {
	t.Setenv(vet.KeyEnv, "0123456789abcdef0123456789abcdef-test")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	mustCLI(t, "vet", "import", writeFile(t, dir, "a.csv", "id,names,devices\nv1,Ann Lee,dev-1\nv2,Bo Yang,dev-2\n"), "--data", data)
	base, stop, stderr := startServe(t, "--data", data, "--no-auth")
	defer stop()
	post := func(body string) (int, string) {
		resp, err := http.Post(base+"/v1/vet/screen", "application/json", strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, b := post(`{"ids":["v1","v2"]}`); code != 200 {
				t.Errorf("concurrent request: %d %s", code, b)
			}
		}()
	}
	wg.Wait()
	mustCLI(t, "vet", "import", writeFile(t, dir, "b.csv", "id,names,devices\nv3,Cy Park,dev-1\n"), "--data", data)
	code, b := post(`{"ids":["v3"]}`)
	var vr vetScreenResponse
	if code != 200 || json.Unmarshal([]byte(b), &vr) != nil || vr.Reports[0].Cluster == nil || len(vr.Reports[0].Cluster.Members) != 2 {
		t.Fatalf("after an import: %d %s\n%s", code, b, stderr.String())
	}
}

// TestServeVetWalletTraceBounded: a vet request whose payout wallets are
// screened outgoing (a trace each) runs in serve's bounded trace slots
// with its timeout: with every slot busy it answers 503 without tracing,
// and with a slot free it answers.
func TestServeVetWalletTraceBounded(t *testing.T) {
	k, err := vet.NewKeyer([]byte("0123456789abcdef0123456789abcdef-test"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := vet.DefaultConfig()
	cfg.Wallets.Direction = "both"
	var mu sync.Mutex
	calls := 0
	lk := &lookups{traceTimeout: 50 * time.Millisecond, slots: make(chan struct{}, 1)}
	v := &vetService{data: t.TempDir(), cfg: cfg, k: k, lk: lk,
		wallets: func(addr string) (*risk.Result, error) {
			mu.Lock()
			calls++
			mu.Unlock()
			return &risk.Result{Account: addr}, nil
		}}
	body := `{"candidates":[{"id":"c1","names":["Ann Lee"],"payout_wallets":["0x098B716B8Aaf21512996dC57EB0615e2383E2f96"]}]}`
	post := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		v.serveScreen(rec, httptest.NewRequest("POST", "/v1/vet/screen", strings.NewReader(body)))
		return rec
	}
	lk.slots <- struct{}{} // every slot busy
	if rec := post(); rec.Code != 503 {
		t.Errorf("every trace slot busy: %d %s, want 503", rec.Code, rec.Body)
	}
	mu.Lock()
	if calls != 0 {
		t.Errorf("%d wallet traces ran with every slot busy", calls)
	}
	mu.Unlock()
	<-lk.slots
	if rec := post(); rec.Code != 200 {
		t.Errorf("a slot free: %d %s", rec.Code, rec.Body)
	}
	lk.running.Wait()
	// inline records without a wallet are linked with the whole store:
	// bounded too
	body = `{"candidates":[{"id":"c2","names":["Bo Yang"]}]}`
	lk.slots <- struct{}{}
	if rec := post(); rec.Code != 503 {
		t.Errorf("inline record, every trace slot busy: %d %s, want 503", rec.Code, rec.Body)
	}
	<-lk.slots
	// unknown ids still answer 404 before any trace
	rec := httptest.NewRecorder()
	v.serveScreen(rec, httptest.NewRequest("POST", "/v1/vet/screen", strings.NewReader(`{"ids":["nope"]}`)))
	if rec.Code != 404 {
		t.Errorf("unknown id: %d %s", rec.Code, rec.Body)
	}
}

// TestServeVetCachedLinks: stored records are linked once per state of the
// store and the links shared by requests (a request for stored ids does
// not link the whole store again, nor wait for a trace slot); an import
// links again.
func TestServeVetCachedLinks(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef-test"
	t.Setenv(vet.KeyEnv, key)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	mustCLI(t, "vet", "import", writeFile(t, dir, "a.csv", "id,names,devices\nv1,Ann Lee,dev-1\nv2,Bo Yang,dev-1\n"), "--data", data)
	k, err := vet.NewKeyer([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	lk := &lookups{traceTimeout: 50 * time.Millisecond, slots: make(chan struct{}, 1)}
	v := &vetService{data: data, cfg: vet.DefaultConfig(), k: k, lk: lk}
	_, s1, err := v.stored()
	if err != nil {
		t.Fatal(err)
	}
	_, s2, _ := v.stored()
	if s1 == nil || s1 != s2 {
		t.Fatalf("the store unchanged, linked again: %p %p", s1, s2)
	}
	lk.slots <- struct{}{} // every slot busy: stored ids still answer
	rec := httptest.NewRecorder()
	v.serveScreen(rec, httptest.NewRequest("POST", "/v1/vet/screen", strings.NewReader(`{"ids":["v1"]}`)))
	<-lk.slots
	var vr vetScreenResponse
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &vr) != nil || vr.Reports[0].Cluster == nil || len(vr.Reports[0].Cluster.Members) != 2 {
		t.Fatalf("stored ids: %d %s", rec.Code, rec.Body)
	}
	mustCLI(t, "vet", "import", writeFile(t, dir, "b.csv", "id,names,devices\nv3,Cy Park,dev-1\n"), "--data", data)
	recs, s3, _ := v.stored()
	if s3 == s1 || len(recs) != 3 {
		t.Fatalf("after an import: %d records, screener %p (was %p)", len(recs), s3, s1)
	}
}
