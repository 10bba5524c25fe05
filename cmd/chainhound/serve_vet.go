package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/chainhound/chainhound/internal/api"
	"github.com/chainhound/chainhound/internal/apikey"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/risk"
	"github.com/chainhound/chainhound/internal/vet"
	"github.com/chainhound/chainhound/internal/vet/names"
)

// Limits of POST /v1/vet/screen.
const (
	maxVetBatch  = 100     // ids plus inline candidates in one request
	vetBodyBytes = 4 << 20 // 100 candidates with CV texts
)

// vetScreenRequest is the body of POST /v1/vet/screen: stored records by
// id, and records given inline, which are screened (and linked with the
// stored ones) but not stored.
type vetScreenRequest struct {
	IDs        []string        `json:"ids,omitempty"`
	Candidates []vet.Candidate `json:"candidates,omitempty"`
}

type vetScreenResponse struct {
	Reports []*vet.Report `json:"reports"`
}

// vetService answers vet screening: the SDN list is indexed once when
// serve starts; the vet store is read per request (so that imports made
// while serve runs count, and serve never holds its lock).
type vetService struct {
	e       *env
	data    string
	cfg     vet.Config
	k       *vet.Keyer
	ix      *names.Index
	list    vet.ListInfo
	wallets vet.WalletScreen
	lk      *lookups // runs screenings that trace payout wallets in its bounded slots; nil: inline
	why     string   // set when vet screening is unavailable

	// The records as last read, and the state of the store's files then:
	// Pebble lets one process open a store once at a time, so requests
	// share one read and read again only after an import changed it.
	mu    sync.Mutex
	recs  []vet.Record
	scr   *vet.Screener // of recs, linked
	stamp string
}

// openVetService prepares vet screening from what serve has opened; a
// missing key makes the endpoint answer 503, not serve fail.
func openVetService(e *env, lk *lookups, sc *screening, data, configFile string) (*vetService, error) {
	v := &vetService{e: e, data: data, lk: lk}
	cfg, err := vet.LoadConfig(configFile)
	if err != nil {
		return nil, err
	}
	v.cfg = cfg
	key, err := vet.LoadKey(cfg)
	if err != nil {
		v.why = err.Error()
		e.log.Warn("POST /v1/vet/screen answers 503", "why", v.why)
		return v, nil
	}
	if v.k, err = vet.NewKeyer(key); err != nil {
		return nil, err
	}
	if lk.intel != nil {
		var actors []intel.Actor
		if err := lk.intel.EachActor(func(a intel.Actor) error {
			if a.Sanctions != nil {
				actors = append(actors, a)
			}
			return nil
		}); err != nil {
			return nil, err
		}
		if entries := names.FromActors(actors); len(entries) > 0 {
			v.ix = names.NewIndex(entries)
			v.list = vet.ListInfo{Source: "OFAC SDN list", Entries: len(entries), Names: v.ix.Len()}
			if rec, ok, err := lk.intel.LastImport("ofac-sdn"); err == nil && ok {
				v.list.Source = "OFAC SDN list of " + rec.Date.Format(time.DateOnly)
			}
		}
	}
	if sc.s != nil {
		v.wallets = func(addr string) (*risk.Result, error) {
			return sc.s.Screen(addr, "", risk.Options{Direction: cfg.Wallets.Direction})
		}
	}
	return v, nil
}

func vetRequestSchema() api.Schema {
	s := api.SchemaOf(vetScreenRequest{})
	ids := api.Prop(s, "ids")
	ids["maxItems"] = maxVetBatch
	ids["description"] = "ids of records in the vet store (chainhound vet import)"
	c := api.Prop(s, "candidates")
	c["maxItems"] = maxVetBatch
	c["description"] = "records screened as given (not stored), in the vet import JSON format"
	item := c["items"].(api.Schema)
	for _, f := range []string{"payout_wallets", "bank_accounts"} {
		acc := api.Prop(item, f)
		acc["items"] = api.Schema{"oneOf": []any{api.Schema{"type": "string"}, acc["items"]}}
	}
	return s
}

// mount registers POST /v1/vet/screen (scope screen).
func (v *vetService) mount(srv *api.Server) {
	srv.Route(api.Route{Method: "POST", Path: "/v1/vet/screen", Scope: apikey.ScopeScreen, Tags: []string{"vet"},
		Summary: fmt.Sprintf("contractor due diligence for up to %d candidates: names against the SDN list, payout wallets, identity links, indicators (chainhound vet screen --output json)", maxVetBatch),
		Description: "Screens stored records by id and records given inline (validated like vet import, linked with the stored ones, not stored). " +
			"A bad record fails the request naming its index and field.",
		RequestSchema: vetRequestSchema(), Responses: map[int]api.Schema{200: api.SchemaOf(vetScreenResponse{})},
		Problems: []int{400, 404, 413, 503}, MaxBodyBytes: vetBodyBytes, Handler: http.HandlerFunc(v.serveScreen)})
}

func (v *vetService) serveScreen(w http.ResponseWriter, r *http.Request) {
	if v.k == nil {
		problem(w, 503, "Vet screening unavailable", "%s", v.why)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req vetScreenRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		problem(w, 400, "Invalid vet request", "body: %v", err)
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		problem(w, 400, "Invalid vet request", "body: more than one JSON value")
		return
	}
	if n := len(req.IDs) + len(req.Candidates); n == 0 || n > maxVetBatch {
		status := 400
		if n > maxVetBatch {
			status = 413
		}
		problem(w, status, "Invalid vet request", "ids and candidates: %d given, want 1 to %d", n, maxVetBatch)
		return
	}
	seen := map[string]bool{}
	for i, c := range req.Candidates {
		if seen[c.ID] {
			problem(w, 400, "Invalid candidate", "candidates[%d]: id %s given twice", i, quoteShort(c.ID))
			return
		}
		seen[c.ID] = true
	}
	now := time.Now()
	inline := make([]vet.Record, len(req.Candidates))
	for i := range req.Candidates {
		if err := req.Candidates[i].Validate(i + 1); err != nil {
			var fe *vet.FieldError
			if errors.As(err, &fe) {
				problem(w, 400, "Invalid candidate", "candidates[%d]: field %s: %s", i, fe.Field, fe.Msg)
				return
			}
			problem(w, 400, "Invalid candidate", "candidates[%d]: %v", i, err)
			return
		}
		inline[i] = vet.NewRecord(&req.Candidates[i], v.k, v.cfg, "request", now)
	}
	recs, scr, err := v.stored()
	if err != nil {
		problem(w, 503, "Vet store unavailable", "%v", err)
		return
	}
	if len(inline) > 0 {
		recs = mergeRecords(recs, inline) // a new slice: the cached one is shared
	}
	ids := append([]string(nil), req.IDs...)
	for _, c := range req.Candidates {
		ids = append(ids, c.ID)
	}
	byID := make(map[string]int, len(recs))
	for i, rec := range recs {
		byID[rec.ID] = i
	}
	traces := false // a payout wallet screened outgoing: a trace
	for _, id := range ids {
		i, ok := byID[id]
		if !ok {
			problem(w, 404, "Unknown candidate", "ids: %v", &vet.UnknownIDError{ID: id})
			return
		}
		traces = traces || len(recs[i].PayoutWallets) > 0
	}
	run := func() (any, error) {
		if len(inline) > 0 {
			// inline records are linked with every stored one: the links
			// are made again (a tenth of a second or more for 10,000
			// records)
			scr = vet.NewScreener(v.cfg, v.ix, v.list, v.wallets, recs)
		}
		out := vetScreenResponse{Reports: []*vet.Report{}}
		for _, id := range ids {
			rep, err := scr.Screen(id, now)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", id, err)
			}
			out.Reports = append(out.Reports, rep)
		}
		return out, nil
	}
	// Outgoing exposure of a payout wallet is a trace, and inline records
	// are linked with the whole store: such a request runs in the
	// server's bounded trace slots with its timeout, like POST /v1/screen
	// with direction out or both. Stored records only, their wallets
	// screened incoming, are screened at once from the cached links.
	traces = traces && v.wallets != nil && (v.cfg.Wallets.Direction == "out" || v.cfg.Wallets.Direction == "both")
	if v.lk != nil && (traces || len(inline) > 0) {
		v.lk.bounded(w, r, run)
		return
	}
	out, err := run()
	if err != nil {
		problem(w, 500, "Vet screening failed", "%v", err)
		return
	}
	writeAPIJSON(w, out)
}

// stored returns the vet store's records (none when it does not exist
// yet) and a screener of them, read and linked again only when the
// store's files changed since the last read. The screener is shared by
// concurrent requests: Screen only reads it.
func (v *vetService) stored() ([]vet.Record, *vet.Screener, error) {
	dir := vetDir(v.data)
	v.mu.Lock()
	defer v.mu.Unlock()
	stamp, err := dirStamp(dir)
	if err != nil {
		if !isNotExist(dir) {
			return nil, nil, err
		}
		stamp = "" // no store yet: no records
	}
	if stamp == v.stamp && v.scr != nil {
		return v.recs, v.scr, nil
	}
	var recs []vet.Record
	if stamp != "" {
		st, err := vet.Open(dir, true, v.k.Fingerprint())
		if err != nil {
			return nil, nil, err
		}
		defer st.Close()
		if recs, err = st.Records(); err != nil {
			return nil, nil, err
		}
	}
	v.recs, v.stamp, v.scr = recs, stamp, vet.NewScreener(v.cfg, v.ix, v.list, v.wallets, recs)
	return v.recs, v.scr, nil
}

// dirStamp sums up a directory's files (names, sizes, times) but Pebble's
// LOCK, which every open touches: it changes when a Pebble store in it is
// written.
func dirStamp(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range ents {
		if e.Name() == "LOCK" {
			continue // touched by every open, reading too
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed while listing: a compaction
		}
		fmt.Fprintf(&b, "%s %d %d\n", e.Name(), fi.Size(), fi.ModTime().UnixNano())
	}
	return b.String(), nil
}

// mergeRecords returns stored with inline records added, an inline record
// replacing a stored one of the same id.
func mergeRecords(stored, inline []vet.Record) []vet.Record {
	ids := map[string]bool{}
	for _, r := range inline {
		ids[r.ID] = true
	}
	out := make([]vet.Record, 0, len(stored)+len(inline))
	for _, r := range stored {
		if !ids[r.ID] {
			out = append(out, r)
		}
	}
	return append(out, inline...)
}

func isNotExist(p string) bool {
	_, err := os.Stat(p)
	return errors.Is(err, fs.ErrNotExist)
}
