// Package api is chainhound's HTTP server: routing, limits, errors as RFC
// 9457 problem details, health and readiness, graceful shutdown. The
// features (guard, and later screening and lookups) mount their handlers on
// it; `chainhound serve` wires them.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
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
	mux   *http.ServeMux
	log   *slog.Logger
	ready func(context.Context) error
}

// New returns a server with /healthz (the process answers) and /readyz
// (ready reports nil: the store and what the features need are usable).
func New(log *slog.Logger, ready func(context.Context) error) *Server {
	s := &Server{mux: http.NewServeMux(), log: log, ready: ready}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if s.ready != nil {
			if err := s.ready(r.Context()); err != nil {
				WriteProblem(w, http.StatusServiceUnavailable, "Not ready", err.Error())
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ready")
	})
	return s
}

// Handle mounts h on pattern (http.ServeMux syntax, e.g. "POST /v1/guard/safe").
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ServeHTTP implements http.Handler: body limit, panics turned into 500
// problems, unknown routes and methods as problems.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", v)
			WriteProblem(w, http.StatusInternalServerError, "Internal error", "")
		}
	}()
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		// The mux's own 404 and 405 answers are plain text: answer a problem.
		rec := &statusOnly{}
		h.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusMethodNotAllowed:
			WriteProblem(w, http.StatusMethodNotAllowed, "Method not allowed", fmt.Sprintf("%s %s", r.Method, r.URL.Path))
		default:
			WriteProblem(w, http.StatusNotFound, "Not found", fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path))
		}
		return
	}
	h.ServeHTTP(w, r)
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
