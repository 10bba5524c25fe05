package api

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/chainhound/chainhound/internal/apikey"
)

// ProblemSchema is the JSON Schema of an RFC 9457 problem details body as
// this server writes it.
func ProblemSchema() Schema {
	return Schema{
		"type":        "object",
		"description": "RFC 9457 problem details",
		"required":    []string{"type", "title", "status"},
		"properties": Schema{
			"type":     Schema{"type": "string", "description": "a URI reference naming the problem type; about:blank: the title says it"},
			"title":    Schema{"type": "string", "description": "short summary of the problem type"},
			"status":   Schema{"type": "integer", "minimum": 100, "maximum": 599},
			"detail":   Schema{"type": "string", "description": "what went wrong with this request: the field and value at fault"},
			"instance": Schema{"type": "string"},
		},
	}
}

// Document is the OpenAPI 3.1 description of the mounted routes, built
// from them.
func (s *Server) Document() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.doc != nil {
		return s.doc
	}
	paths := map[string]any{}
	for _, r := range s.routes {
		item, _ := paths[r.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[r.Path] = item
		}
		item[strings.ToLower(r.Method)] = operation(&r.Route)
	}
	scopes := map[string]any{}
	for _, sc := range apikey.AllScopes {
		scopes[sc] = sc
	}
	s.doc = map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"info": map[string]any{
			"title":   "chainhound",
			"version": s.version,
			"description": "chainhound's HTTP API: lookups, traces and paths over the value-flow store, the Safe pre-sign guard. " +
				"Errors are RFC 9457 application/problem+json. Send an API key (chainhound apikey create) as " +
				"\"Authorization: Bearer KEY\" or \"X-API-Key: KEY\"; each operation names the scope it needs.",
			"license": map[string]any{"name": "see the repository"},
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": map[string]any{"Problem": ProblemSchema()},
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "Authorization: Bearer chk_<id>_<secret>"},
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "X-API-Key: chk_<id>_<secret>"},
			},
		},
	}
	return s.doc
}

func operation(r *Route) map[string]any {
	op := map[string]any{"operationId": r.ID, "summary": r.Summary}
	if r.ID == "" {
		op["operationId"] = operationID(r.Method, r.Path)
	}
	if r.Description != "" {
		op["description"] = r.Description
	}
	if len(r.Tags) > 0 {
		op["tags"] = r.Tags
	}
	if len(r.Params) > 0 {
		var ps []any
		for _, p := range r.Params {
			ps = append(ps, map[string]any{"name": p.Name, "in": p.In, "description": p.Description,
				"required": p.Required || p.In == "path", "schema": p.Schema})
		}
		op["parameters"] = ps
	}
	if r.RequestSchema != nil {
		op["requestBody"] = map[string]any{"required": true,
			"content": map[string]any{"application/json": map[string]any{"schema": r.RequestSchema}}}
	}
	ct := r.ContentType
	if ct == "" {
		ct = "application/json"
	}
	resp := map[string]any{}
	for code, sc := range r.Responses {
		resp[strconv.Itoa(code)] = map[string]any{"description": http.StatusText(code),
			"content": map[string]any{ct: map[string]any{"schema": sc}}}
	}
	for _, code := range problemStatuses(r) {
		pr := map[string]any{"description": http.StatusText(code),
			"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
		switch code {
		case http.StatusUnauthorized:
			pr["headers"] = map[string]any{"WWW-Authenticate": map[string]any{"schema": Schema{"type": "string"}}}
		case http.StatusTooManyRequests:
			pr["headers"] = map[string]any{"Retry-After": map[string]any{"description": "seconds to wait", "schema": Schema{"type": "integer"}}}
		}
		resp[strconv.Itoa(code)] = pr
	}
	op["responses"] = resp
	if r.Scope != "" {
		op["security"] = []any{map[string]any{"bearer": []string{r.Scope}}, map[string]any{"apiKey": []string{r.Scope}}}
	} else {
		op["security"] = []any{}
	}
	return op
}

// problemStatuses are the documented error statuses of a route.
func problemStatuses(r *Route) []int {
	set := map[int]bool{http.StatusInternalServerError: true}
	for _, c := range r.Problems {
		set[c] = true
	}
	if r.Scope != "" {
		set[http.StatusUnauthorized], set[http.StatusForbidden], set[http.StatusTooManyRequests] = true, true, true
	}
	if r.RequestSchema != nil {
		set[http.StatusRequestEntityTooLarge] = true
	}
	var out []int
	for c := range set {
		out = append(out, c)
	}
	sort.Ints(out)
	return out
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.Split(path, "/") {
		part = strings.Trim(part, "{}")
		if part == "" {
			continue
		}
		b.WriteByte('_')
		b.WriteString(part)
	}
	return b.String()
}

func (s *Server) serveDocument(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(s.Document())
}
