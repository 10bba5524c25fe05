// Package api is chainhound's HTTP server: routes registered with their
// OpenAPI description (served at /openapi.json), API keys with scopes and
// per-key rate limits, Prometheus metrics at /metrics, limits, errors as
// RFC 9457 problem details, health and readiness, graceful shutdown. The
// features (guard, lookups, screening) mount their operations with
// Server.Route; `chainhound serve` wires them.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chainhound/chainhound/internal/problem"
)

// MaxBodyBytes bounds every request body; a handler may set a lower limit.
const MaxBodyBytes = 8 << 20

// Problem is an RFC 9457 problem details object.
type Problem = problem.Details

// WriteProblem answers with a problem+json body.
func WriteProblem(w http.ResponseWriter, status int, title, detail string) {
	problem.Write(w, status, title, detail)
}

// Server routes requests to mounted handlers.
type Server struct {
	mux     *http.ServeMux
	log     *slog.Logger
	ready   func(context.Context) error
	version string

	noAuth  bool
	hosts   map[string]bool // names besides IP literals and localhost that an open server answers to (AllowHosts)
	keys    atomic.Pointer[keyring]
	metrics metrics
	// unmatched counts requests no route took (404, 405).
	unmatched *routeMetrics

	mu      sync.Mutex // guards routes, handled and doc
	routes  []*route
	handled []string       // patterns mounted with Handle, which the document does not describe
	doc     map[string]any // built on first request after a change
}

// New returns a server with its open routes: /healthz (the process
// answers), /readyz (ready reports nil: the store and what the features
// need are usable), /metrics and /openapi.json. Every other route needs an
// API key with its scope (SetKeys) unless DisableAuth is called; with no
// keys set, such routes answer 401.
func New(log *slog.Logger, ready func(context.Context) error) *Server {
	s := &Server{mux: http.NewServeMux(), log: log, ready: ready, version: "dev"}
	s.unmatched = s.metrics.route("unmatched", "any")
	text := Schema{"type": "string"}
	s.Route(Route{Method: "GET", Path: "/healthz", Summary: "liveness: the process answers", Tags: []string{"operations"},
		ContentType: "text/plain", Responses: map[int]Schema{200: text},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprintln(w, "ok")
		})})
	s.Route(Route{Method: "GET", Path: "/readyz", Summary: "readiness: the store and what the features need are usable", Tags: []string{"operations"},
		ContentType: "text/plain", Responses: map[int]Schema{200: text}, Problems: []int{http.StatusServiceUnavailable},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.ready != nil {
				if err := s.ready(r.Context()); err != nil {
					WriteProblem(w, http.StatusServiceUnavailable, "Not ready", err.Error())
					return
				}
			}
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprintln(w, "ready")
		})})
	s.Route(Route{Method: "GET", Path: "/metrics", Summary: "Prometheus metrics (text exposition format 0.0.4)", Tags: []string{"operations"},
		ContentType: "text/plain", Responses: map[int]Schema{200: text}, Handler: http.HandlerFunc(s.serveMetrics)})
	s.Route(Route{Method: "GET", Path: "/openapi.json", Summary: "this document (OpenAPI 3.1)", Tags: []string{"operations"},
		Responses: map[int]Schema{200: {"type": "object", "required": []string{"openapi", "info", "paths"}}}, Handler: http.HandlerFunc(s.serveDocument)})
	return s
}

// SetVersion sets the version /openapi.json reports.
func (s *Server) SetVersion(v string) {
	s.mu.Lock()
	s.version, s.doc = v, nil
	s.mu.Unlock()
}

// Handle mounts h on pattern (http.ServeMux syntax, e.g. "POST /v1/x")
// without a description, scope or rate limit: for tests and internal
// tools. Features mount operations with Route, which documents them.
func (s *Server) Handle(pattern string, h http.Handler) {
	m := s.metrics.route(pattern, "")
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		defer func() { m.observe(rec.status, time.Since(start)) }()
		h.ServeHTTP(rec, r)
	}))
	s.mu.Lock()
	s.handled = append(s.handled, pattern)
	s.mu.Unlock()
}

// Patterns lists every mounted pattern ("GET /v1/x"), documented or not.
func (s *Server) Patterns() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]string(nil), s.handled...)
	for _, r := range s.routes {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// ServeHTTP implements http.Handler: body limit, panics turned into 500
// problems, unknown routes and methods as problems.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.metrics.inFlight.Add(1)
	defer s.metrics.inFlight.Add(-1)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", v)
			WriteProblem(w, http.StatusInternalServerError, "Internal error", "")
		}
	}()
	// Every answer is of the type it says it is: no browser may guess
	// otherwise (a JSON answer holding hostile text rendered as HTML).
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if s.noAuth && !s.hostAllowed(r.Host) {
		// DNS rebinding: a page of another site whose name is made to
		// resolve to this machine is same-origin with itself, so the
		// browser lets it read the answers. An open server answers only
		// requests that name it by address or as localhost (or by a name
		// allowed with AllowHosts).
		s.unmatched.observe(http.StatusMisdirectedRequest, 0)
		WriteProblem(w, http.StatusMisdirectedRequest, "Host not allowed",
			fmt.Sprintf("this server runs without API keys and answers only requests addressed to an IP address or localhost, not %q (serve --allowed-host adds a name)", r.Host))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		// The mux's own 404 and 405 answers are plain text: answer a problem.
		start := time.Now()
		rec := &statusOnly{}
		h.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusMethodNotAllowed:
			WriteProblem(w, http.StatusMethodNotAllowed, "Method not allowed", fmt.Sprintf("%s %s", r.Method, r.URL.Path))
		default:
			rec.status = http.StatusNotFound
			WriteProblem(w, http.StatusNotFound, "Not found", fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path))
		}
		s.unmatched.observe(rec.status, time.Since(start))
		return
	}
	s.mux.ServeHTTP(w, r) // not h.ServeHTTP: the mux sets the path values
}

// AllowHosts adds names a server without API keys answers to, besides IP
// addresses and localhost (see ServeHTTP): the names it is reached by
// through a proxy or on a private network.
func (s *Server) AllowHosts(names ...string) {
	if s.hosts == nil {
		s.hosts = map[string]bool{}
	}
	for _, n := range names {
		s.hosts[strings.ToLower(strings.TrimSuffix(n, "."))] = true
	}
}

// hostAllowed reports whether a request's Host names this server as an
// open server accepts: an IP literal, localhost, or an allowed name. A
// request without Host (HTTP/1.0) passes: no browser sends one.
func (s *Server) hostAllowed(host string) bool {
	if host == "" {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	return s.hosts[host]
}

// statusOnly records the status a handler would have written.
type statusOnly struct {
	status int
	h      http.Header
}

func (s *statusOnly) Header() http.Header {
	if s.h == nil {
		s.h = http.Header{}
	}
	return s.h
}
func (s *statusOnly) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusOnly) WriteHeader(c int)           { s.status = c }

// Run serves on listen until ctx is cancelled, then shuts down gracefully:
// it stops accepting, lets requests in flight finish for up to grace, and
// returns. bound, if not nil, receives the address actually bound (for
// --listen with port 0).
func (s *Server) Run(ctx context.Context, listen string, grace time.Duration, bound chan<- net.Addr) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.log.Info("serving", "addr", ln.Addr().String())
	if bound != nil {
		bound <- ln.Addr()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
