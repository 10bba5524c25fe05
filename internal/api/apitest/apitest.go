// Package apitest checks a running chainhound API against its own OpenAPI
// document: it fetches /openapi.json, checks its structure, and validates
// answers against the schema documented for their operation, status and
// content type with a JSON Schema 2020-12 validator. It records which
// operations and statuses were exercised, so a test can require that every
// documented operation was tried. Tests use it; the server does not.
package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const docURL = "https://chainhound.invalid/openapi.json"

// Checker validates answers against one OpenAPI document.
type Checker struct {
	Doc      map[string]any
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema
	seen     map[string][]int // "GET /path" -> statuses checked
}

// Fetch reads base+"/openapi.json" and checks that it is an OpenAPI 3.1
// document: openapi 3.1.x, info with title and version, paths whose
// operations each have responses, components with the Problem schema and
// the security schemes the operations name.
func Fetch(base string) (*Checker, error) {
	resp, err := http.Get(base + "/openapi.json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return nil, fmt.Errorf("/openapi.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return New(b)
}

// New checks the document b and prepares to validate against it.
func New(b []byte) (*Checker, error) {
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	if err := structure(doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, inst); err != nil {
		return nil, err
	}
	return &Checker{Doc: doc, compiler: c, schemas: map[string]*jsonschema.Schema{}, seen: map[string][]int{}}, nil
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func structure(doc map[string]any) error {
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		return fmt.Errorf("openapi %q, want 3.1.x", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if t, _ := info["title"].(string); t == "" {
		return fmt.Errorf("info.title missing")
	}
	if v, _ := info["version"].(string); v == "" {
		return fmt.Errorf("info.version missing")
	}
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	if _, ok := schemas["Problem"].(map[string]any); !ok {
		return fmt.Errorf("components.schemas.Problem missing")
	}
	secs, _ := comps["securitySchemes"].(map[string]any)
	paths, ok := doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		return fmt.Errorf("no paths")
	}
	ids := map[string]string{}
	for p, item := range paths {
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("path %q does not start with /", p)
		}
		ops, _ := item.(map[string]any)
		for m, o := range ops {
			if !slices.Contains(methods, m) {
				return fmt.Errorf("%s: %q is not an HTTP method", p, m)
			}
			op, _ := o.(map[string]any)
			where := strings.ToUpper(m) + " " + p
			id, _ := op["operationId"].(string)
			if id == "" || ids[id] != "" {
				return fmt.Errorf("%s: operationId %q missing or also used by %s", where, id, ids[id])
			}
			ids[id] = where
			resps, _ := op["responses"].(map[string]any)
			if len(resps) == 0 {
				return fmt.Errorf("%s: no responses", where)
			}
			for code, r := range resps {
				if n, err := strconv.Atoi(code); err != nil || n < 100 || n > 599 {
					return fmt.Errorf("%s: response %q is not a status", where, code)
				}
				if d, _ := r.(map[string]any)["description"].(string); d == "" {
					return fmt.Errorf("%s %s: no description", where, code)
				}
			}
			for _, pr := range asSlice(op["parameters"]) {
				pm, _ := pr.(map[string]any)
				in, _ := pm["in"].(string)
				name, _ := pm["name"].(string)
				if name == "" || !slices.Contains([]string{"path", "query", "header", "cookie"}, in) {
					return fmt.Errorf("%s: parameter %v", where, pm)
				}
				if in == "path" && (pm["required"] != true || !strings.Contains(p, "{"+name+"}")) {
					return fmt.Errorf("%s: path parameter %s not required or not in the path", where, name)
				}
			}
			for _, req := range asSlice(op["security"]) {
				for scheme := range req.(map[string]any) {
					if _, ok := secs[scheme]; !ok {
						return fmt.Errorf("%s: security scheme %q not in components", where, scheme)
					}
				}
			}
		}
	}
	return nil
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// Operations lists the documented operations as "GET /path".
func (c *Checker) Operations() []string {
	var out []string
	for p, item := range c.Doc["paths"].(map[string]any) {
		for m := range item.(map[string]any) {
			out = append(out, strings.ToUpper(m)+" "+p)
		}
	}
	sort.Strings(out)
	return out
}

// Check validates one answer of the operation "METHOD /template": its
// status must be documented, its content type the documented one, and its
// body valid against the documented schema.
func (c *Checker) Check(op string, status int, contentType string, body []byte) error {
	method, path, _ := strings.Cut(op, " ")
	item, ok := c.Doc["paths"].(map[string]any)[path].(map[string]any)
	if !ok || item[strings.ToLower(method)] == nil {
		return fmt.Errorf("%s is not documented", op)
	}
	resps := item[strings.ToLower(method)].(map[string]any)["responses"].(map[string]any)
	r, ok := resps[strconv.Itoa(status)].(map[string]any)
	if !ok {
		return fmt.Errorf("%s answered %d, which is not documented (body %.300s)", op, status, body)
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	content, _ := r["content"].(map[string]any)
	if _, ok := content[mt]; !ok {
		return fmt.Errorf("%s %d: content type %q, documented %v", op, status, contentType, keys(content))
	}
	c.seen[op] = append(c.seen[op], status)
	loc := docURL + "#/paths/" + escape(path) + "/" + strings.ToLower(method) + "/responses/" + strconv.Itoa(status) + "/content/" + escape(mt) + "/schema"
	sch, err := c.schema(loc)
	if err != nil {
		return fmt.Errorf("%s %d: compile schema: %w", op, status, err)
	}
	var inst any
	if mt == "text/plain" {
		inst = string(body)
	} else if inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(body)); err != nil {
		return fmt.Errorf("%s %d: body is not JSON: %v: %.300s", op, status, err, body)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%s %d: body does not match the documented schema: %v\nbody: %.2000s", op, status, err, body)
	}
	return nil
}

// CheckRequest validates a request body against the operation's
// documented request schema.
func (c *Checker) CheckRequest(op string, body []byte) error {
	method, path, _ := strings.Cut(op, " ")
	loc := docURL + "#/paths/" + escape(path) + "/" + strings.ToLower(method) + "/requestBody/content/application~1json/schema"
	sch, err := c.schema(loc)
	if err != nil {
		return fmt.Errorf("%s: request schema: %w", op, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// Seen returns the statuses checked for op.
func (c *Checker) Seen(op string) []int { return c.seen[op] }

func (c *Checker) schema(loc string) (*jsonschema.Schema, error) {
	if s := c.schemas[loc]; s != nil {
		return s, nil
	}
	s, err := c.compiler.Compile(loc)
	if err != nil {
		return nil, err
	}
	c.schemas[loc] = s
	return s, nil
}

func escape(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1") }

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Do sends a request and checks the answer against op; it returns the
// status, the headers and the body.
func (c *Checker) Do(req *http.Request, op string) (int, http.Header, []byte, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, b, c.Check(op, resp.StatusCode, resp.Header.Get("Content-Type"), b)
}
