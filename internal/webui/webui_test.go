package webui

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Result()
}

// TestHandler serves the page and every asset it loads from the binary,
// with the security headers, and nothing else.
func TestHandler(t *testing.T) {
	h := Handler()
	res := get(t, h, "/")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no X-Content-Type-Options: nosniff")
	}
	// Every asset index.html loads is served, with its type.
	refs := regexp.MustCompile(`(?:src|href)="(/ui/[^"]+)"`).FindAllStringSubmatch(string(body), -1)
	if len(refs) < 2 {
		t.Fatalf("index.html loads %d assets from /ui/", len(refs))
	}
	types := map[string]string{".js": "text/javascript", ".css": "text/css"}
	for _, r := range refs {
		res := get(t, h, r[1])
		ext := r[1][strings.LastIndex(r[1], "."):]
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), types[ext]) {
			t.Errorf("GET %s: %d %s", r[1], res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	for _, p := range []string{"/ui/", "/ui/index.html", "/ui/missing.js", "/ui/../webui.go", "/webui.go"} {
		if res := get(t, h, p); res.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
}

// TestModulesResolve checks the ES modules' imports against the embedded
// files: a module that names a file not in the binary would fail only in
// the browser.
func TestModulesResolve(t *testing.T) {
	imp := regexp.MustCompile(`(?m)^\s*import\s[^;]*?from\s+'(\./[^']+)'`)
	n := 0
	fs.WalkDir(Assets(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, _ := fs.ReadFile(Assets(), p)
		for _, m := range imp.FindAllStringSubmatch(string(b), -1) {
			n++
			if _, err := fs.Stat(Assets(), strings.TrimPrefix(m[1], "./")); err != nil {
				t.Errorf("%s imports %s: not embedded", p, m[1])
			}
		}
		return nil
	})
	if n == 0 {
		t.Error("no import found: the pattern no longer matches app.js")
	}
}

// TestElementsExist checks that every element app.js looks up by id is in
// index.html: a renamed id would make a button silently dead.
func TestElementsExist(t *testing.T) {
	app, err := fs.ReadFile(Assets(), "app.js")
	if err != nil {
		t.Fatal(err)
	}
	page, err := fs.ReadFile(Assets(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\bid="([\w-]+)"`).FindAllStringSubmatch(string(page), -1) {
		ids[m[1]] = true
	}
	// Elements app.js makes itself (page parts) are looked up after it
	// wrote them; they are named here.
	made := map[string]bool{"node-note": true}
	used := regexp.MustCompile(`\$\('([\w-]+)'\)`).FindAllStringSubmatch(string(app), -1)
	if len(used) < 20 {
		t.Fatalf("app.js looks up %d elements by id: the pattern no longer matches", len(used))
	}
	for _, m := range used {
		if !ids[m[1]] && !made[m[1]] {
			t.Errorf("app.js uses #%s, which index.html lacks", m[1])
		}
	}
	// $('tab-' + t), $('panel-' + t)
	for _, t0 := range []string{"details", "trace", "case"} {
		if !ids["tab-"+t0] || !ids["panel-"+t0] {
			t.Errorf("tab %s: index.html lacks #tab-%s or #panel-%s", t0, t0, t0)
		}
	}
}
