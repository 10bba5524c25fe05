package api

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/apikey"
	"golang.org/x/time/rate"
)

// Route is one operation of the API: how it is reached, who may call it,
// what it takes and answers (for /openapi.json), and the handler. A
// feature mounts an operation with one Server.Route call, so the document
// and the server cannot disagree about which operations exist.
type Route struct {
	Method string // GET, POST, ...
	// Path in OpenAPI template form, which is also http.ServeMux's
	// wildcard syntax: "/v1/addresses/{caip10}".
	Path string
	// Scope an API key needs ("screen", "lookup", "trace", "guard"; see
	// package apikey). "" leaves the route open: no key, no rate limit.
	Scope       string
	ID          string // operationId; default derived from method and path
	Summary     string
	Description string
	Tags        []string
	Params      []Param
	// RequestSchema is the JSON body's schema; nil for no body.
	RequestSchema Schema
	// Responses are the success answers' body schemas by status.
	Responses map[int]Schema
	// ContentType of the success answers; default application/json.
	ContentType string
	// Problems lists the error statuses the handler itself answers with
	// problem+json (400, 404, 503, ...). 401, 403 and 429 (routes with a
	// scope), 413 (routes with a body) and 500 are added.
	Problems []int
	// MaxBodyBytes lowers the server's body limit for this route.
	MaxBodyBytes int64
	Handler      http.Handler
}

// Param is a path, query or header parameter.
type Param struct {
	Name        string
	In          string // path, query or header
	Description string
	Required    bool // path parameters are always required
	Schema      Schema
}

// route is a mounted Route with its counters.
type route struct {
	Route
	m *routeMetrics
}

// Route mounts rt. It panics on a route that cannot work (no handler, an
// unknown scope, a pattern the mux refuses), as http.ServeMux does: these
// are mistakes in the program, not in a request.
func (s *Server) Route(rt Route) {
	if rt.Handler == nil || rt.Method == "" || !strings.HasPrefix(rt.Path, "/") {
		panic(fmt.Sprintf("api: route %s %s: want a method, a path and a handler", rt.Method, rt.Path))
	}
	if rt.Scope != "" && !slices.Contains(apikey.AllScopes, rt.Scope) {
		panic(fmt.Sprintf("api: route %s %s: unknown scope %q", rt.Method, rt.Path, rt.Scope))
	}
	r := &route{Route: rt, m: s.metrics.route(rt.Path, rt.Method)}
	s.mux.Handle(rt.Method+" "+rt.Path, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.serveRoute(r, w, req)
	}))
	s.mu.Lock()
	s.routes = append(s.routes, r)
	s.doc = nil
	s.mu.Unlock()
}

// recorder remembers the status a handler answers with.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) serveRoute(rt *route, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	returned := false
	defer func() {
		status := rec.status
		switch {
		case status == 0 && returned:
			status = http.StatusOK // net/http answers 200 for a handler that wrote nothing
		case status == 0:
			status = http.StatusInternalServerError // a panic, answered by ServeHTTP
		}
		rt.m.observe(status, time.Since(start))
	}()
	if !sameOrigin(r) {
		returned = true
		WriteProblem(rec, http.StatusForbidden, "Cross-origin request refused",
			fmt.Sprintf("%s %s from a page of another origin (%s): the API takes requests that change or compute from its own workspace or from clients that are not browsers", r.Method, r.URL.Path, origin(r)))
		return
	}
	if rt.Scope != "" && !s.noAuth && !s.authorize(rec, r, rt.Scope) {
		returned = true
		return
	}
	if rt.MaxBodyBytes > 0 {
		r.Body = http.MaxBytesReader(rec, r.Body, rt.MaxBodyBytes)
	}
	rt.Handler.ServeHTTP(rec, r)
	returned = true
}

// keyring is the keys the server accepts and their rate limiters. It is
// replaced whole on reload and never changed, so requests read it without
// a lock.
type keyring struct {
	v        *apikey.Verifier
	limiters map[string]*rate.Limiter
}

// SetKeys makes keys the ones the server accepts (revoked keys excluded).
// A key kept across a reload with the same rate keeps its limiter, so a
// reload does not refill its bucket.
func (s *Server) SetKeys(keys []apikey.Key) {
	old := s.keys.Load()
	kr := &keyring{v: apikey.NewVerifier(keys), limiters: map[string]*rate.Limiter{}}
	for _, k := range keys {
		if k.Revoked != nil {
			continue
		}
		if old != nil {
			if l := old.limiters[k.ID]; l != nil && l.Limit() == rate.Limit(k.Rate) && l.Burst() == k.Burst {
				kr.limiters[k.ID] = l
				continue
			}
		}
		kr.limiters[k.ID] = rate.NewLimiter(rate.Limit(k.Rate), k.Burst)
	}
	s.keys.Store(kr)
}

// KeyCount is the number of keys the server accepts.
func (s *Server) KeyCount() int {
	if kr := s.keys.Load(); kr != nil {
		return kr.v.Len()
	}
	return 0
}

// DisableAuth opens every route: no key is asked for and nothing is rate
// limited. For a server only the local machine reaches.
func (s *Server) DisableAuth() { s.noAuth = true }

const authRealm = `Bearer realm="chainhound"`

// authorize checks the request's key, its scope and its rate, and answers
// the problem itself when one fails.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, scope string) bool {
	tok, present, err := apikey.FromHeader(r.Header.Get("Authorization"), r.Header.Get("X-API-Key"))
	if !present {
		w.Header().Set("WWW-Authenticate", authRealm)
		WriteProblem(w, http.StatusUnauthorized, "API key required",
			"send the key as \"Authorization: Bearer KEY\" or \"X-API-Key: KEY\" (create one with chainhound apikey create)")
		return false
	}
	kr := s.keys.Load()
	var e *apikey.Entry
	if err == nil && kr != nil {
		e = kr.v.Verify(tok)
	}
	if e == nil {
		w.Header().Set("WWW-Authenticate", authRealm+`, error="invalid_token"`)
		detail := "the API key is unknown, revoked or wrong"
		if err != nil {
			detail = err.Error()
		}
		WriteProblem(w, http.StatusUnauthorized, "Invalid API key", detail)
		return false
	}
	if !e.HasScope(scope) {
		w.Header().Set("WWW-Authenticate", authRealm+`, error="insufficient_scope", scope="`+scope+`"`)
		WriteProblem(w, http.StatusForbidden, "Insufficient scope",
			fmt.Sprintf("key %s (%s) lacks scope %q, which %s %s needs", e.ID, e.Name, scope, r.Method, r.URL.Path))
		return false
	}
	if l := kr.limiters[e.ID]; l != nil && !l.Allow() {
		wait := 1.0
		if lim := float64(l.Limit()); lim > 0 {
			wait = math.Max(1, math.Ceil((1-l.Tokens())/lim))
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(wait)))
		WriteProblem(w, http.StatusTooManyRequests, "Rate limit exceeded",
			fmt.Sprintf("key %s allows %g requests per second with bursts of %d", e.ID, e.Rate, e.Burst))
		return false
	}
	return true
}

// sameOrigin refuses what a page of another origin makes a browser send
// (cross-site request forgery): a POST, PUT or DELETE that a browser marks
// as coming from another site or origin. Without API keys (--no-auth, the
// demo), any page the analyst visits could otherwise save, delete or
// duplicate cases and start traces on the server on their behalf; with
// keys, the key is not sent by the browser on its own. Reading stays open:
// a page of another origin cannot read the answers (no CORS). Clients that
// are not browsers send neither header and pass.
func sameOrigin(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin" || site == "none" // none: typed or bookmarked by the user
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false // "null": a sandboxed frame, a file
	}
	return strings.EqualFold(u.Host, r.Host) || strings.EqualFold(u.Host, r.Header.Get("X-Forwarded-Host"))
}

// origin names where a refused request came from.
func origin(r *http.Request) string {
	if o := r.Header.Get("Origin"); o != "" {
		return "Origin " + o
	}
	return "Sec-Fetch-Site " + r.Header.Get("Sec-Fetch-Site")
}
