// Package webui is the investigation workspace: static pages and ES
// modules embedded in the binary, so `go build` alone yields a working UI
// with no Node.js and no network at run time. The pages call the /v1
// operations of `chainhound serve`; see docs/ui.md.
package webui

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed assets
var assets embed.FS

// Assets is the workspace's files (index.html, *.js, *.css).
func Assets() fs.FS {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree always has assets/
	}
	return sub
}

// Handler serves the workspace: / is index.html, /ui/NAME the asset NAME.
// Answers carry a strict Content-Security-Policy: everything the page
// loads comes from this server.
func Handler() http.Handler {
	files := http.FileServerFS(Assets())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		if r.URL.Path == "/" {
			serveIndex(w, r)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, "/ui/")
		if !ok || name == "" || name == "index.html" {
			http.NotFound(w, r)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		files.ServeHTTP(w, r2)
	})
}

// serveIndex serves index.html itself: http.FileServer would redirect
// /index.html to /.
func serveIndex(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(Assets(), "index.html")
	if err != nil {
		http.Error(w, "workspace missing from this build", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b)
}
