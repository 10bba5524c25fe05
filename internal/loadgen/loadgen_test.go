package loadgen

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// These tests run on loaded 2-core machines: they assert counts, lower
// bounds and orders of magnitude, never that something was fast.

func TestHistogramQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	var vals []time.Duration
	for range 100_000 {
		// log-uniform from 1 ns to about 100 s
		v := time.Duration(rng.ExpFloat64() * float64(rng.Int64N(int64(time.Second))) * 100)
		vals = append(vals, v)
		h.Record(v)
	}
	slices.Sort(vals)
	for _, q := range []float64{0.001, 0.5, 0.9, 0.99, 0.999, 1} {
		want := vals[max(0, int(q*float64(len(vals))+0.5)-1)]
		got := h.Quantile(q)
		if got < want || float64(got-want) > float64(want)/sub+1 {
			t.Errorf("q%v: %v, exact %v (want within 1/%d above)", q, got, want, sub)
		}
	}
	if h.Summary().Max != vals[len(vals)-1] || h.Count() != uint64(len(vals)) {
		t.Errorf("max %v count %d, want %v %d", h.Summary().Max, h.Count(), vals[len(vals)-1], len(vals))
	}
	// Every value lands in a bucket whose bound is at or above it.
	for _, v := range []uint64{0, 1, 127, 128, 129, 255, 256, 1 << 20, 1<<20 + 12345, 1 << 39, 1<<40 - 1} {
		if b := bucket(v); upper(b) < v || (b > 0 && upper(b-1) >= v) {
			t.Errorf("value %d in bucket %d with bound %d (previous bound %d)", v, b, upper(b), upper(b-1))
		}
	}
	var a, b Histogram
	a.Record(time.Millisecond)
	b.Record(time.Second)
	b.Record(2 * time.Second)
	a.Merge(&b)
	if s := a.Summary(); s.Count != 3 || s.Max != 2*time.Second || s.P50 < time.Second || s.P50 > time.Second+time.Second/sub {
		t.Errorf("merged: %+v", s)
	}
}

// sleeper answers after d; every failEvery-th request (if > 0) with a 500.
type sleeper struct {
	d         time.Duration
	failEvery int64
	n, failed atomic.Int64
	stallAt   int64 // the request of this number stalls for stall
	stall     time.Duration
}

func (s *sleeper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.n.Add(1)
	io.Copy(io.Discard, r.Body)
	time.Sleep(s.d)
	if n == s.stallAt {
		time.Sleep(s.stall)
	}
	if s.failEvery > 0 && n%s.failEvery == 0 {
		s.failed.Add(1)
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	}
	w.Write([]byte(`{"ok":true}`))
}

func get(url string) Factory { return func(int64) Request { return Request{URL: url} } }

func TestOpenLoopRate(t *testing.T) {
	h := &sleeper{d: time.Millisecond}
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := Run(context.Background(), Config{Request: get(srv.URL), Rate: 400, Duration: time.Second, Concurrency: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.Mode != "rate" || res.Scheduled != 400 || res.Sent+res.Unsent != 400 {
		t.Errorf("scheduled %d, sent %d + unsent %d: want 400 in all", res.Scheduled, res.Sent, res.Unsent)
	}
	if res.Sent != h.n.Load() || res.OK != res.Sent || res.Errors() != 0 {
		t.Errorf("sent %d, ok %d, errors %d; the server saw %d", res.Sent, res.OK, res.Errors(), h.n.Load())
	}
	// The generator must not send faster than asked: 400 due over one second
	// cannot be done in much less; nor, with 16 workers and a 1 ms handler,
	// take many times longer.
	if res.Seconds < 0.99 || res.Throughput > 410 || res.Throughput < 40 {
		t.Errorf("%d answers in %.2f s: %.0f/s for 400/s", res.OK, res.Seconds, res.Throughput)
	}
	if res.Latency.Count != 400 || res.Latency.P50 < time.Millisecond || res.Service.P50 < time.Millisecond {
		t.Errorf("latency %+v, service %+v: want 400 samples of at least the handler's 1 ms", res.Latency, res.Service)
	}
	if res.Latency.P99 < res.Service.P50 || res.Latency.Max < res.Latency.P999 || res.Latency.P999 < res.Latency.P99 || res.Latency.P99 < res.Latency.P90 || res.Latency.P90 < res.Latency.P50 {
		t.Errorf("quantiles out of order: %+v", res.Latency)
	}
	if res.BytesRead != 400*int64(len(`{"ok":true}`)) {
		t.Errorf("read %d bytes, want %d", res.BytesRead, 400*len(`{"ok":true}`))
	}
}

func TestErrorsCounted(t *testing.T) {
	h := &sleeper{failEvery: 5}
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := Run(context.Background(), Config{Request: get(srv.URL), Rate: 500, Duration: 500 * time.Millisecond, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != h.failed.Load() || res.Status[500] != res.Failed || res.Failed < 40 || res.OK+res.Failed != h.n.Load() || res.TransportErrors != 0 {
		t.Errorf("failed %d (status %v), ok %d, transport %d; the server failed %d of %d", res.Failed, res.Status, res.OK, res.TransportErrors, h.failed.Load(), h.n.Load())
	}
	if res.FirstError == "" {
		t.Error("no first error reported")
	}
	// Nothing listens: every request is a transport error.
	srv.Close()
	res, err = Run(context.Background(), Config{Request: get(srv.URL), Rate: 200, Duration: 200 * time.Millisecond, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK != 0 || res.TransportErrors != res.Sent || res.Sent == 0 || res.FirstError == "" {
		t.Errorf("closed server: ok %d, transport errors %d of %d sent, first error %q", res.OK, res.TransportErrors, res.Sent, res.FirstError)
	}
}

// A server that stalls once for a second while requests keep falling due:
// with one worker, a generator measuring from the send would record one slow
// request; measured from the due time, the whole backlog is slow.
func TestCoordinatedOmission(t *testing.T) {
	const stall = time.Second
	h := &sleeper{stallAt: 40, stall: stall}
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := Run(context.Background(), Config{Request: get(srv.URL), Rate: 200, Duration: 2 * time.Second, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("latency %+v\nservice %+v\nsent %d unsent %d", res.Latency, res.Service, res.Sent, res.Unsent)
	if res.Sent+res.Unsent != 400 || res.Latency.Count != 400 {
		t.Fatalf("sent %d + unsent %d, %d latencies: want 400", res.Sent, res.Unsent, res.Latency.Count)
	}
	// The 200 requests due during the stall wait for it to end: the first
	// of them about a second, so at least the top 10% waited half of it.
	if res.Latency.P90 < stall/2 || res.Latency.Max < stall {
		t.Errorf("latency p90 %v, max %v: the stall does not show in the tail", res.Latency.P90, res.Latency.Max)
	}
	// Measured from the send, only the stalled request is slow.
	if res.Service.Max < stall || res.Service.P90 >= stall/2 {
		t.Errorf("service time p90 %v, max %v: want only the stalled request slow", res.Service.P90, res.Service.Max)
	}
}

func TestClosedLoop(t *testing.T) {
	h := &sleeper{d: time.Millisecond}
	srv := httptest.NewServer(h)
	defer srv.Close()
	f := func(i int64) Request {
		return Request{Method: http.MethodPost, URL: srv.URL + "/x", Body: []byte(`{}`), Header: http.Header{"X-Seq": {"1"}}}
	}
	res, err := Run(context.Background(), Config{Request: f, Duration: 500 * time.Millisecond, Concurrency: 4, Header: http.Header{"Authorization": {"Bearer k"}}})
	if err != nil {
		t.Fatal(err)
	}
	// Four workers, each waiting at least 1 ms per answer, cannot exceed
	// 4,000 answers a second.
	if res.Mode != "max" || res.OK == 0 || res.OK != h.n.Load() || res.Throughput > 4000 || res.Latency.P50 < time.Millisecond || res.Unsent != 0 {
		t.Errorf("%+v", res)
	}
}

func TestHeadersAndFactory(t *testing.T) {
	var bad atomic.Int64
	var seen [3]atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer k" || r.Header.Get("Content-Type") != "application/json" || string(b) != `{"i":"`+r.URL.Query().Get("i")+`"}` {
			bad.Add(1)
		}
		switch r.URL.Query().Get("i") {
		case "0":
			seen[0].Add(1)
		case "1":
			seen[1].Add(1)
		case "2":
			seen[2].Add(1)
		}
	}))
	defer srv.Close()
	list := []string{"0", "1", "2"}
	f := func(i int64) Request {
		s := list[i%int64(len(list))]
		return Request{Method: http.MethodPost, URL: srv.URL + "/?i=" + s, Body: []byte(`{"i":"` + s + `"}`), Header: http.Header{"Content-Type": {"application/json"}}}
	}
	res, err := Run(context.Background(), Config{Request: f, Rate: 300, Duration: 300 * time.Millisecond, Concurrency: 4, Header: http.Header{"Authorization": {"Bearer k"}}})
	if err != nil {
		t.Fatal(err)
	}
	if bad.Load() != 0 || res.OK != 90 {
		t.Errorf("%d malformed requests, %d ok of 90", bad.Load(), res.OK)
	}
	for k := range seen {
		if seen[k].Load() != 30 {
			t.Errorf("request %d sent %d times, want 30 (the factory cycles)", k, seen[k].Load())
		}
	}
}

func TestRamp(t *testing.T) {
	h := &sleeper{d: time.Millisecond}
	srv := httptest.NewServer(h)
	defer srv.Close()
	cfg := Config{Request: get(srv.URL), Duration: 200 * time.Millisecond, Concurrency: 8}
	steps, best, err := Ramp(context.Background(), cfg, []float64{100, 200}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || best != 200 || steps[0].Rate != 100 || steps[1].Rate != 200 {
		t.Errorf("ramp under a generous bound: %d steps, best %v", len(steps), best)
	}
	// No answer of a 1 ms handler is under 100 µs: the first step misses
	// and the ramp stops there.
	steps, best, err = Ramp(context.Background(), cfg, []float64{100, 200}, 100*time.Microsecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || best != 0 {
		t.Errorf("ramp under an impossible bound: %d steps, best %v", len(steps), best)
	}
}

func TestCancel(t *testing.T) {
	srv := httptest.NewServer(&sleeper{d: time.Millisecond})
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, Config{Request: get(srv.URL), Rate: 100, Duration: time.Hour})
	if err == nil || time.Since(start) > time.Minute {
		t.Errorf("cancelled run: err %v after %v", err, time.Since(start))
	}
}
