package api

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// latencyBuckets are the upper bounds, in seconds, of the request latency
// histogram: fine below 10 ms, where a lookup should answer.
var latencyBuckets = [...]float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// routeMetrics counts one route's answers with atomic counters only, so
// recording a request takes no lock and allocates nothing.
type routeMetrics struct {
	route, method string
	status        [500]atomic.Uint64 // index: status code - 100
	buckets       [len(latencyBuckets)]atomic.Uint64
	count         atomic.Uint64
	sumNanos      atomic.Uint64
}

func (m *routeMetrics) observe(status int, d time.Duration) {
	if status >= 100 && status < 600 {
		m.status[status-100].Add(1)
	}
	sec := d.Seconds()
	for i, le := range latencyBuckets {
		if sec <= le {
			m.buckets[i].Add(1)
			break
		}
	}
	m.count.Add(1)
	m.sumNanos.Add(uint64(d))
}

// metrics is the server's registry: per-route counters, requests in
// flight, and gauges features register.
type metrics struct {
	inFlight atomic.Int64
	mu       sync.Mutex // guards routes and gauges (registration and scrapes only)
	routes   []*routeMetrics
	gauges   []gauge
}

type gauge struct {
	name, help string
	collect    func(emit func(value float64, labels ...string))
}

func (m *metrics) route(route, method string) *routeMetrics {
	rm := &routeMetrics{route: route, method: method}
	m.mu.Lock()
	m.routes = append(m.routes, rm)
	m.mu.Unlock()
	return rm
}

// GaugeFunc registers a gauge read at each scrape of /metrics: collect
// emits one value per label set (labels as name, value pairs), e.g.
//
//	srv.GaugeFunc("chainhound_last_indexed_block", "Height of the last stored block.",
//		func(emit func(float64, ...string)) { emit(21895000, "chain", "eip155:1") })
//
// collect runs on the scraping request: it must be quick.
func (s *Server) GaugeFunc(name, help string, collect func(emit func(value float64, labels ...string))) {
	s.metrics.mu.Lock()
	defer s.metrics.mu.Unlock()
	s.metrics.gauges = append(s.metrics.gauges, gauge{name, help, collect})
}

// serveMetrics writes the Prometheus text exposition format (0.0.4).
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriter(w)
	s.metrics.write(bw)
	bw.Flush()
}

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	routes := append([]*routeMetrics(nil), m.routes...)
	gauges := append([]gauge(nil), m.gauges...)
	m.mu.Unlock()
	sort.SliceStable(routes, func(i, j int) bool {
		if routes[i].route != routes[j].route {
			return routes[i].route < routes[j].route
		}
		return routes[i].method < routes[j].method
	})
	fmt.Fprintln(w, "# HELP chainhound_http_requests_total Requests answered, by route pattern, method and status.")
	fmt.Fprintln(w, "# TYPE chainhound_http_requests_total counter")
	for _, rm := range routes {
		for i := range rm.status {
			if n := rm.status[i].Load(); n > 0 {
				fmt.Fprintf(w, "chainhound_http_requests_total{route=%s,method=%s,status=\"%d\"} %d\n", quoteLabel(rm.route), quoteLabel(rm.method), i+100, n)
			}
		}
	}
	fmt.Fprintln(w, "# HELP chainhound_http_request_duration_seconds Time from the request reaching the server to the answer, by route pattern and method.")
	fmt.Fprintln(w, "# TYPE chainhound_http_request_duration_seconds histogram")
	for _, rm := range routes {
		count := rm.count.Load()
		if count == 0 {
			continue
		}
		l := "route=" + quoteLabel(rm.route) + ",method=" + quoteLabel(rm.method)
		var cum uint64
		for i, le := range latencyBuckets {
			cum += rm.buckets[i].Load()
			fmt.Fprintf(w, "chainhound_http_request_duration_seconds_bucket{%s,le=\"%s\"} %d\n", l, formatFloat(le), cum)
		}
		fmt.Fprintf(w, "chainhound_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", l, count)
		fmt.Fprintf(w, "chainhound_http_request_duration_seconds_sum{%s} %s\n", l, formatFloat(float64(rm.sumNanos.Load())/1e9))
		fmt.Fprintf(w, "chainhound_http_request_duration_seconds_count{%s} %d\n", l, count)
	}
	fmt.Fprintln(w, "# HELP chainhound_http_requests_in_flight Requests being answered now.")
	fmt.Fprintln(w, "# TYPE chainhound_http_requests_in_flight gauge")
	fmt.Fprintf(w, "chainhound_http_requests_in_flight %d\n", m.inFlight.Load())
	for _, g := range gauges {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", g.name, g.help, g.name)
		g.collect(func(v float64, labels ...string) {
			var b strings.Builder
			for i := 0; i+1 < len(labels); i += 2 {
				if b.Len() > 0 {
					b.WriteByte(',')
				}
				b.WriteString(labels[i] + "=" + quoteLabel(labels[i+1]))
			}
			if b.Len() > 0 {
				fmt.Fprintf(w, "%s{%s} %s\n", g.name, b.String(), formatFloat(v))
			} else {
				fmt.Fprintf(w, "%s %s\n", g.name, formatFloat(v))
			}
		})
	}
}

// quoteLabel quotes a label value with the escapes the format defines.
func quoteLabel(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(v) + `"`
}

func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
