package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"sync"

	"github.com/chainhound/chainhound/internal/api"
	"github.com/chainhound/chainhound/internal/apikey"
	"github.com/chainhound/chainhound/internal/watch"
)

// alertsAPI serves the watcher's alerts. The watch store is opened on the
// first request and kept open; while a chainhound watch process holds it
// the operations answer 503 and the next request tries again.
type alertsAPI struct {
	data   string
	mu     sync.Mutex
	db     *watch.DB
	shared bool // db belongs to the watcher running in this process
}

func (a *alertsAPI) get(w http.ResponseWriter) *watch.DB {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.db != nil {
		return a.db
	}
	dir := watchDir(a.data)
	if _, err := os.Stat(dir); err != nil {
		problem(w, 503, "Watch store unavailable", "no watch store at %s: run chainhound watch first", dir)
		return nil
	}
	db, err := watch.Open(dir)
	if err != nil {
		problem(w, 503, "Watch store unavailable", "the watch store at %s cannot be opened (%v): a running chainhound watch holds it; use its --listen API", dir, err)
		return nil
	}
	a.db = db
	return db
}

// Close closes the watch store if it was opened.
func (a *alertsAPI) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.db == nil || a.shared {
		return nil
	}
	return a.db.Close()
}

// alertList is the answer of GET /v1/alerts.
type alertList struct {
	Alerts []watch.Alert `json:"alerts"`
}

// statusRequest is the optional body of ack and resolve.
type statusRequest struct {
	Note string `json:"note,omitempty"`
}

func (a *alertsAPI) mount(srv *api.Server) {
	str := api.Schema{"type": "string"}
	id := api.Param{Name: "id", In: "path", Description: "alert id (32 hex digits)", Schema: api.Schema{"type": "string", "pattern": "^[0-9a-f]{32}$"}}
	srv.Route(api.Route{Method: "GET", Path: "/v1/alerts", Scope: apikey.ScopeWatch, Tags: []string{"watch"},
		Summary: "the watcher's alerts, by block and group (chainhound watch alerts --output json)",
		Params: []api.Param{
			{Name: "status", In: "query", Description: "open, acknowledged or resolved", Schema: api.Schema{"type": "string", "enum": []string{"open", "acknowledged", "resolved"}}},
			{Name: "rule", In: "query", Description: "rule name", Schema: str},
			{Name: "case", In: "query", Description: "case name", Schema: str},
			{Name: "group", In: "query", Description: "alert group (alerts of one rule, case and address)", Schema: str},
			{Name: "min_severity", In: "query", Description: "least severity", Schema: api.Schema{"type": "string", "enum": []string{"info", "low", "medium", "high", "critical"}}}},
		Responses: map[int]api.Schema{200: api.SchemaOf(alertList{})}, Problems: []int{400, 503}, Handler: http.HandlerFunc(a.serveList)})
	srv.Route(api.Route{Method: "GET", Path: "/v1/alerts/{id}", Scope: apikey.ScopeWatch, Tags: []string{"watch"},
		Summary: "one alert", Params: []api.Param{id},
		Responses: map[int]api.Schema{200: api.SchemaOf(watch.Alert{})}, Problems: []int{404, 503}, Handler: http.HandlerFunc(a.serveGet)})
	for _, op := range []struct{ verb, status string }{{"ack", watch.StatusAcknowledged}, {"resolve", watch.StatusResolved}} {
		srv.Route(api.Route{Method: "POST", Path: "/v1/alerts/{id}/" + op.verb, Scope: apikey.ScopeWatch, Tags: []string{"watch"},
			Summary: "mark an alert " + op.status + ", with an optional note (chainhound watch " + op.verb + ")", Params: []api.Param{id},
			RequestSchema: api.SchemaOf(statusRequest{}), Responses: map[int]api.Schema{200: api.SchemaOf(watch.Alert{})},
			Problems: []int{400, 404, 503}, MaxBodyBytes: 16 << 10, Handler: a.statusHandler(op.status)})
	}
}

func (a *alertsAPI) serveList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := watch.Filter{Status: q.Get("status"), Rule: q.Get("rule"), Case: q.Get("case"), Group: q.Get("group"), MinSeverity: watch.Severity(q.Get("min_severity"))}
	if err := f.Check(); err != nil {
		problem(w, 400, "Invalid filter", "%v", err)
		return
	}
	db := a.get(w)
	if db == nil {
		return
	}
	alerts, err := db.Alerts(f)
	if err != nil {
		problem(w, 500, "Watch store error", "%v", err)
		return
	}
	writeAPIJSON(w, alertList{Alerts: alerts})
}

func (a *alertsAPI) serveGet(w http.ResponseWriter, r *http.Request) {
	db := a.get(w)
	if db == nil {
		return
	}
	al, ok, err := db.Alert(r.PathValue("id"))
	if err != nil {
		problem(w, 500, "Watch store error", "%v", err)
		return
	}
	if !ok {
		problem(w, 404, "No such alert", "no alert %s", r.PathValue("id"))
		return
	}
	writeAPIJSON(w, al)
}

func (a *alertsAPI) statusHandler(status string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req statusRequest
		if r.ContentLength != 0 {
			dec := json.NewDecoder(r.Body)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil {
				problem(w, 400, "Invalid body", "body: %v", err)
				return
			}
		}
		db := a.get(w)
		if db == nil {
			return
		}
		al, err := db.SetStatus(r.PathValue("id"), status, req.Note)
		if errors.Is(err, watch.ErrNoAlert) {
			problem(w, 404, "No such alert", "%v", err)
			return
		}
		if err != nil {
			problem(w, 500, "Watch store error", "%v", err)
			return
		}
		writeAPIJSON(w, al)
	})
}
