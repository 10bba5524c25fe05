// Package loadgen is the HTTP load generator behind `chainhound bench
// serve`.
//
// Its open-loop mode sends at a fixed rate whatever the server does, from a
// bounded pool of workers, and measures each request's latency from the
// time it was due, not from when a worker got round to sending it. A
// generator that waits for answers before sending more (and measures from
// the actual send) sends less while the server stalls and so never records
// the requests that would have waited: "coordinated omission", which hides
// exactly the stalls a latency goal is about. Here a stall shows in the
// tail as it would for clients arriving on their own schedule. The
// closed-loop mode has every worker send back to back, which finds the
// maximum throughput; Ramp steps the open-loop rate up until the p99
// exceeds a bound.
package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one HTTP request to send.
type Request struct {
	Method string // default GET
	URL    string
	Body   []byte
	Header http.Header // sent as is, beside Config.Header; it may be shared between requests and is never modified
}

// Factory returns the i-th request of a run (i from 0). Workers call it
// concurrently, so it must be safe for that; indexing a list with i modulo
// its length cycles over it.
type Factory func(i int64) Request

// Config is one run.
type Config struct {
	Request  Factory
	Rate     float64       // requests per second (open loop); 0: closed loop, every worker back to back
	Duration time.Duration // how long requests are sent (default 10 s)
	// Concurrency is the number of workers, each with at most one request
	// in flight over its own keep-alive connection (default 64). In the
	// open loop it bounds the requests in flight: once all are busy, due
	// requests wait, and their waiting counts in their latency.
	Concurrency int
	Timeout     time.Duration // per request, body included (default 10 s); a timeout is a transport error
	Header      http.Header   // added to every request, e.g. Authorization
	Client      *http.Client  // default NewClient(Concurrency, Timeout)
}

// Result is what a run measured. Latency counts every request whatever
// its outcome (an error answered fast or a timeout are latencies too), so
// read it beside the error counts.
type Result struct {
	Mode        string  `json:"mode"`           // "rate" (open loop) or "max" (closed loop)
	Rate        float64 `json:"rate,omitempty"` // the target rate, open loop
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"` // from the start to the last answer
	// Scheduled is how many requests fell due within the duration (open
	// loop); Sent of them were sent and Unsent were still waiting for a
	// free worker when the duration ended: the target rate was not
	// sustained. Unsent requests count in Latency with the time they had
	// waited by the end, a lower bound, so they are not silently dropped.
	Scheduled       int64         `json:"scheduled,omitempty"`
	Sent            int64         `json:"sent"`
	Unsent          int64         `json:"unsent"`
	OK              int64         `json:"ok"`               // 2xx answers
	Failed          int64         `json:"failed"`           // other answers
	TransportErrors int64         `json:"transport_errors"` // no answer: refused, reset, timed out
	Status          map[int]int64 `json:"status,omitempty"` // the other answers by status code
	FirstError      string        `json:"first_error,omitempty"`
	Throughput      float64       `json:"throughput"` // 2xx answers per second
	BytesRead       int64         `json:"bytes_read"` // response bodies
	// Latency runs from when a request was due (open loop) or sent (closed
	// loop) to the end of its answer's body: what a client sees.
	Latency Summary `json:"latency"`
	// Service runs from the actual send: the server's share plus the
	// network, without the wait for a free worker. Latency well above
	// Service means requests queued in the generator: too few workers, or
	// a server that stalled.
	Service Summary `json:"service"`
}

// Errors is the number of requests that failed: non-2xx answers and
// transport errors.
func (r *Result) Errors() int64 { return r.Failed + r.TransportErrors }

// NewClient returns a client keeping up to conns idle keep-alive
// connections to one host, so a pool of conns workers never reconnects.
func NewClient(conns int, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// Run sends cfg's requests for cfg.Duration and waits for the answers of
// those in flight. Cancelling ctx stops it early with ctx's error.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Request == nil {
		return nil, fmt.Errorf("loadgen: no request factory")
	}
	if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		return nil, fmt.Errorf("loadgen: rate %v: want a finite number >= 0", cfg.Rate)
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		c := NewClient(cfg.Concurrency, cfg.Timeout)
		defer c.CloseIdleConnections()
		cfg.Client = c
	}
	r := &run{cfg: cfg, ctx: ctx}
	res := &Result{Mode: "max", Concurrency: cfg.Concurrency, Status: map[int]int64{}}
	if cfg.Rate > 0 {
		res.Mode, res.Rate = "rate", cfg.Rate
		r.interval = float64(time.Second) / cfg.Rate
		r.scheduled = int64(math.Ceil(cfg.Duration.Seconds() * cfg.Rate))
		res.Scheduled = r.scheduled
	}
	workers := make([]worker, cfg.Concurrency)
	var wg sync.WaitGroup
	r.start = time.Now()
	r.end = r.start.Add(cfg.Duration)
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &workers[k]
			w.status = map[int]int64{}
			if cfg.Rate > 0 {
				r.open(w)
			} else {
				r.closed(w)
			}
		}()
	}
	wg.Wait()
	res.Seconds = time.Since(r.start).Seconds()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var lat, svc Histogram
	for k := range workers {
		w := &workers[k]
		lat.Merge(&w.latency)
		svc.Merge(&w.service)
		res.Sent += w.sent
		res.Unsent += w.unsent
		res.OK += w.ok
		res.TransportErrors += w.transport
		res.BytesRead += w.bytes
		for c, n := range w.status {
			res.Status[c] += n
			res.Failed += n
		}
		if res.FirstError == "" {
			res.FirstError = w.firstErr
		}
	}
	res.Latency, res.Service = lat.Summary(), svc.Summary()
	res.Throughput = float64(res.OK) / res.Seconds
	return res, nil
}

// run is the state the workers share.
type run struct {
	cfg        Config
	ctx        context.Context
	start, end time.Time
	interval   float64 // open loop: nanoseconds between due times
	scheduled  int64   // open loop: requests due before end
	next       atomic.Int64
}

// worker is one worker's tallies, merged once all have stopped.
type worker struct {
	latency, service                   Histogram
	sent, unsent, ok, transport, bytes int64
	status                             map[int]int64
	firstErr                           string
}

// open takes the next due request, waits until it is due and sends it,
// until every request due within the duration is taken. The due time of
// request i is start + i/rate whatever happened before, so a worker that
// comes back late sends at once and the lateness counts in the latency.
func (r *run) open(w *worker) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for r.ctx.Err() == nil {
		i := r.next.Add(1) - 1
		if i >= r.scheduled {
			return
		}
		due := r.start.Add(time.Duration(float64(i) * r.interval))
		now := time.Now()
		if !now.Before(r.end) {
			w.unsent++
			w.latency.Record(now.Sub(due))
			continue
		}
		if wait := due.Sub(now); wait > 0 {
			t.Reset(wait)
			select {
			case <-t.C:
			case <-r.ctx.Done():
				return
			}
		}
		r.send(w, i, due)
	}
}

// closed sends back to back until the duration ends.
func (r *run) closed(w *worker) {
	for r.ctx.Err() == nil && time.Now().Before(r.end) {
		r.send(w, r.next.Add(1)-1, time.Time{})
	}
}

// send sends request i and records it; a zero due time measures latency
// from the send.
func (r *run) send(w *worker, i int64, due time.Time) {
	q := r.cfg.Request(i)
	var body io.Reader
	if q.Body != nil {
		body = bytes.NewReader(q.Body)
	}
	method := q.Method
	if method == "" {
		method = http.MethodGet
	}
	sent := time.Now()
	if due.IsZero() {
		due = sent
	}
	w.sent++
	req, err := http.NewRequestWithContext(r.ctx, method, q.URL, body)
	if err != nil {
		w.fail(fmt.Errorf("request %d: %w", i, err))
		return
	}
	for k, v := range r.cfg.Header {
		req.Header[k] = v
	}
	for k, v := range q.Header {
		req.Header[k] = v
	}
	resp, err := r.cfg.Client.Do(req)
	if err == nil {
		var n int64
		n, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		w.bytes += n
	}
	done := time.Now()
	if r.ctx.Err() != nil {
		return // interrupted: not a measurement
	}
	w.latency.Record(done.Sub(due))
	w.service.Record(done.Sub(sent))
	switch {
	case err != nil:
		w.fail(err)
	case resp.StatusCode/100 == 2:
		w.ok++
	default:
		w.status[resp.StatusCode]++
		if w.firstErr == "" {
			w.firstErr = fmt.Sprintf("%s %s: %s", method, q.URL, resp.Status)
		}
	}
}

func (w *worker) fail(err error) {
	w.transport++
	if w.firstErr == "" {
		w.firstErr = err.Error()
	}
}

// Ramp runs cfg in the open loop at each of rates in turn and stops after
// the first step that misses: a p99 latency above maxP99, any error, or
// requests left unsent (the rate was not sustained). It returns every step
// run and the highest rate that passed (0 if none did).
func Ramp(ctx context.Context, cfg Config, rates []float64, maxP99 time.Duration) ([]*Result, float64, error) {
	var steps []*Result
	best := 0.0
	for _, rate := range rates {
		if rate <= 0 {
			return steps, best, fmt.Errorf("loadgen: ramp rate %v: want a positive rate", rate)
		}
		cfg.Rate = rate
		res, err := Run(ctx, cfg)
		if err != nil {
			return steps, best, err
		}
		steps = append(steps, res)
		if !Sustained(res, maxP99) {
			break
		}
		best = rate
	}
	return steps, best, nil
}

// Sustained reports whether an open-loop run held its rate within the
// latency bound: p99 at most maxP99, no errors, nothing left unsent.
func Sustained(r *Result, maxP99 time.Duration) bool {
	return r.Latency.P99 <= maxP99 && r.Errors() == 0 && r.Unsent == 0
}
