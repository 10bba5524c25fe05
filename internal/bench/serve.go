package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/api"
	"github.com/chainhound/chainhound/internal/loadgen"
)

// ServeTarget is one endpoint the serving benchmark measures.
type ServeTarget struct {
	Name string
	// Mount adds the endpoint's handler to the in-process server (nil when
	// the server has the route anyway). It is not called against an
	// external server (ServeConfig.URL), which must serve the route itself.
	Mount func(srv *api.Server)
	// Request returns the i-th request, its URL relative to the server: a
	// path and query such as "/v1/addresses/eip155:1:0xabc/risk".
	Request loadgen.Factory
	// Rate is this target's open-loop rate (0: ServeConfig.Rate): a batch
	// of 10,000 addresses is measured at a few requests a second, not
	// thousands.
	Rate float64
	// Concurrency is this target's open-loop workers (0:
	// ServeConfig.Concurrency).
	Concurrency int
}

// TrivialTarget is the server's own /healthz, which answers "ok" without
// touching anything: the ceiling of the HTTP stack on this machine, to
// which the other targets' throughput is compared.
func TrivialTarget() ServeTarget {
	return ServeTarget{Name: "trivial", Request: func(int64) loadgen.Request { return loadgen.Request{URL: "/healthz"} }}
}

// CyclePath returns a factory of GET requests to path with every
// "{address}" in it replaced by ids in turn (CAIP-10 account ids, say), so
// successive requests ask about successive addresses. Without ids, or
// without the placeholder, every request is the same.
func CyclePath(path string, ids []string) loadgen.Factory {
	if len(ids) == 0 || !strings.Contains(path, "{address}") {
		return func(int64) loadgen.Request { return loadgen.Request{URL: path} }
	}
	urls := make([]string, len(ids))
	for k, id := range ids {
		urls[k] = strings.ReplaceAll(path, "{address}", id)
	}
	return func(i int64) loadgen.Request { return loadgen.Request{URL: urls[i%int64(len(urls))]} }
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// BatchBody returns a factory of POST requests to path, each with a JSON
// body {"addresses": [...]} of n of ids, successive requests taking
// successive slices of ids (wrapping round). Up to 16 bodies are encoded
// up front, so the generator does not spend its time encoding JSON.
func BatchBody(path string, ids []string, n int) (loadgen.Factory, error) {
	if n <= 0 || len(ids) == 0 {
		return nil, fmt.Errorf("a batch of %d from %d addresses", n, len(ids))
	}
	var bodies [][]byte
	for k := 0; k < 16 && (k == 0 || k*n < len(ids)); k++ {
		batch := make([]string, n)
		for j := range batch {
			batch[j] = ids[(k*n+j)%len(ids)]
		}
		b, err := json.Marshal(struct {
			Addresses []string `json:"addresses"`
		}{batch})
		if err != nil {
			return nil, err
		}
		bodies = append(bodies, b)
	}
	return func(i int64) loadgen.Request {
		return loadgen.Request{Method: http.MethodPost, URL: path, Body: bodies[i%int64(len(bodies))], Header: jsonHeader}
	}, nil
}

// ServeConfig shapes the serving benchmark.
type ServeConfig struct {
	Targets []ServeTarget
	// URL is an external server's base URL ("http://127.0.0.1:8080");
	// empty runs an api.Server in-process on 127.0.0.1:0 with the targets
	// mounted.
	URL            string
	Modes          []string      // "rate" (open loop), "max" (closed loop); default both
	Rate           float64       // open-loop rate (default 5,000/s)
	Duration       time.Duration // per run (default 10 s)
	Concurrency    int           // open-loop workers (default 64)
	MaxConcurrency int           // closed-loop workers (default 16)
	Ramp           []float64     // if set, open-loop rates stepped through per target after the other runs
	MaxP99         time.Duration // the ramp's latency bound (default 2 ms)
	Timeout        time.Duration // per request (default 10 s)
	Key            string        // sent as "Authorization: Bearer KEY"
	Log            *slog.Logger  // the in-process server's log (nil: discarded)
	Progress       io.Writer     // one line per run; nil: none
}

// ServeRow is one run of one target.
type ServeRow struct {
	Target string `json:"target"`
	Ramp   bool   `json:"ramp,omitempty"` // a step of the ramp
	*loadgen.Result
	// Ratio is this max-throughput run's throughput over the trivial
	// target's (closed-loop rows, when trivial ran).
	Ratio float64 `json:"ratio,omitempty"`
}

// ServeResult is the whole report.
type ServeResult struct {
	Machine    string     `json:"machine"`
	GOMAXPROCS int        `json:"gomaxprocs"`
	URL        string     `json:"url"`
	InProcess  bool       `json:"in_process"`
	Addresses  int        `json:"addresses,omitempty"` // the sample the targets cycle over (set by the caller)
	Note       string     `json:"note,omitempty"`      // where the addresses came from (set by the caller)
	Rows       []ServeRow `json:"rows"`
	// Sustained is, per ramped target, the highest rate whose p99 stayed
	// within MaxP99 with no errors and nothing unsent.
	Sustained map[string]float64 `json:"sustained,omitempty"`
	MaxP99    time.Duration      `json:"max_p99_ns,omitempty"`
}

// Serve runs the benchmark: every target in every mode, then the ramps.
func Serve(ctx context.Context, cfg ServeConfig) (*ServeResult, error) {
	if len(cfg.Modes) == 0 {
		cfg.Modes = []string{"rate", "max"}
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 5000
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.MaxConcurrency <= 0 {
		cfg.MaxConcurrency = 16
	}
	if cfg.MaxP99 <= 0 {
		cfg.MaxP99 = 2 * time.Millisecond
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	res := &ServeResult{Machine: Machine(), GOMAXPROCS: runtime.GOMAXPROCS(0), URL: cfg.URL}
	if cfg.URL == "" {
		url, stop, err := serveInProcess(ctx, cfg)
		if err != nil {
			return nil, err
		}
		defer stop()
		res.URL, res.InProcess = url, true
	}
	base := strings.TrimRight(res.URL, "/")
	var header http.Header
	if cfg.Key != "" {
		header = http.Header{"Authorization": {"Bearer " + cfg.Key}}
	}
	logf := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format+"\n", args...)
		}
	}
	trivialMax := 0.0
	for _, t := range cfg.Targets {
		lc := loadgen.Config{Request: relative(base, t.Request), Duration: cfg.Duration, Timeout: cfg.Timeout, Header: header}
		for _, mode := range cfg.Modes {
			c := lc
			switch mode {
			case "rate":
				c.Rate, c.Concurrency = cmpOr(t.Rate, cfg.Rate), cmpOr(t.Concurrency, cfg.Concurrency)
			case "max":
				c.Concurrency = cfg.MaxConcurrency
			default:
				return res, fmt.Errorf("mode %q: want rate or max", mode)
			}
			r, err := loadgen.Run(ctx, c)
			if err != nil {
				return res, fmt.Errorf("%s %s: %w", t.Name, mode, err)
			}
			row := ServeRow{Target: t.Name, Result: r}
			if mode == "max" && t.Name == "trivial" {
				trivialMax = r.Throughput
			}
			logf("%s", row.line())
			res.Rows = append(res.Rows, row)
		}
		if len(cfg.Ramp) > 0 {
			steps, best, err := loadgen.Ramp(ctx, loadgen.Config{Request: lc.Request, Duration: cfg.Duration, Timeout: cfg.Timeout, Header: header,
				Concurrency: cmpOr(t.Concurrency, cfg.Concurrency)}, cfg.Ramp, cfg.MaxP99)
			for _, s := range steps {
				row := ServeRow{Target: t.Name, Ramp: true, Result: s}
				logf("%s", row.line())
				res.Rows = append(res.Rows, row)
			}
			if err != nil {
				return res, fmt.Errorf("%s ramp: %w", t.Name, err)
			}
			if res.Sustained == nil {
				res.Sustained = map[string]float64{}
			}
			res.Sustained[t.Name] = best
			res.MaxP99 = cfg.MaxP99
		}
	}
	if trivialMax > 0 {
		for k := range res.Rows {
			if r := &res.Rows[k]; r.Mode == "max" {
				r.Ratio = r.Throughput / trivialMax
			}
		}
	}
	return res, nil
}

func cmpOr[T int | float64](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// relative prefixes a target's relative URLs with the server's base URL.
func relative(base string, f loadgen.Factory) loadgen.Factory {
	return func(i int64) loadgen.Request {
		r := f(i)
		r.URL = base + r.URL
		return r
	}
}

// serveInProcess starts an api.Server with the targets mounted on a free
// loopback port and returns its base URL and a function stopping it.
func serveInProcess(ctx context.Context, cfg ServeConfig) (string, func(), error) {
	srv := api.New(cfg.Log, nil)
	for _, t := range cfg.Targets {
		if t.Mount != nil {
			t.Mount(srv)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	bound := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() { errc <- srv.Run(ctx, "127.0.0.1:0", 5*time.Second, bound) }()
	select {
	case a := <-bound:
		return "http://" + a.String(), func() { cancel(); <-errc }, nil
	case err := <-errc:
		cancel()
		return "", nil, errors.Join(errors.New("in-process server"), err)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// line is a row as a progress line.
func (r *ServeRow) line() string {
	mode := r.Mode
	if r.Ramp {
		mode = "ramp"
	}
	return fmt.Sprintf("%s %s rate %.0f conc %d: %.0f/s, p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms, errors %d, unsent %d",
		r.Target, mode, r.Rate, r.Concurrency, r.Throughput, ms(r.Latency.P50), ms(r.Latency.P99), ms(r.Latency.P999), ms(r.Latency.Max), r.Errors(), r.Unsent)
}

// String formats the report as a table; latencies in milliseconds.
func (r *ServeResult) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "machine     %s, GOMAXPROCS=%d\n", r.Machine, r.GOMAXPROCS)
	where := "external"
	if r.InProcess {
		where = "in-process (generator and server share the machine)"
	}
	fmt.Fprintf(&sb, "server      %s, %s\n", r.URL, where)
	if r.Note != "" {
		fmt.Fprintf(&sb, "addresses   %d: %s\n", r.Addresses, r.Note)
	}
	fmt.Fprintf(&sb, "\n%-10s %-4s %7s %5s %9s %10s %8s %8s %8s %8s %9s %7s %7s %6s\n",
		"target", "mode", "rate/s", "conc", "sent", "achieved/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "unsent", "ratio")
	for _, x := range r.Rows {
		mode, rate, ratio := x.Mode, "-", "-"
		if x.Ramp {
			mode = "ramp"
		}
		if x.Rate > 0 {
			rate = fmt.Sprintf("%.0f", x.Rate)
		}
		if x.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f", x.Ratio)
		}
		fmt.Fprintf(&sb, "%-10s %-4s %7s %5d %9d %10.0f %8.3f %8.3f %8.3f %8.3f %9.3f %7d %7d %6s\n",
			x.Target, mode, rate, x.Concurrency, x.Sent, x.Throughput, ms(x.Latency.P50), ms(x.Latency.P90), ms(x.Latency.P99), ms(x.Latency.P999), ms(x.Latency.Max), x.Errors(), x.Unsent, ratio)
	}
	for _, x := range r.Rows {
		if x.FirstError != "" {
			fmt.Fprintf(&sb, "first error (%s %s): %s\n", x.Target, x.Mode, x.FirstError)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.Sustained)) {
		fmt.Fprintf(&sb, "ramp        %s: highest rate with p99 <= %s, no errors, nothing unsent: %.0f/s\n", name, r.MaxP99, r.Sustained[name])
	}
	return sb.String()
}
