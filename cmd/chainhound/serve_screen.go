package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync"

	"github.com/chainhound/chainhound/internal/api"
	"github.com/chainhound/chainhound/internal/apikey"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
	"github.com/chainhound/chainhound/internal/risk"
)

// Limits of the screening endpoints.
const (
	maxScreenBatch    = 10000   // addresses in one POST /v1/screen
	maxScreenOutBatch = 100     // ... when it asks for outgoing exposure, a trace each
	screenBodyBytes   = 2 << 20 // 10,000 CAIP-10 ids of Bitcoin's longest addresses fit in 1.3 MB
)

// screenRequest is the body of POST /v1/screen.
type screenRequest struct {
	Addresses []string `json:"addresses"`
	Direction string   `json:"direction,omitempty"`
	MaxHops   int      `json:"max_hops,omitempty"`
}

// screenResponse answers it, one result per address in order.
type screenResponse struct {
	Results []*risk.Result `json:"results"`
}

func screenRequestSchema() api.Schema {
	s := api.SchemaOf(screenRequest{})
	a := api.Prop(s, "addresses")
	a["minItems"], a["maxItems"] = 1, maxScreenBatch
	a["description"] = "CAIP-10 accounts (eip155:1:0x…); every one is checked for its chain"
	api.Prop(s, "direction")["enum"] = []string{"in", "out", "both"}
	api.Prop(s, "direction")["description"] = fmt.Sprintf("in (default: what it received, from the exposure store), out or both (a trace per address: at most %d addresses)", maxScreenOutBatch)
	api.Prop(s, "max_hops")["minimum"] = 0
	return s
}

// screenOptions is a checked screen request.
type screenOptions struct {
	accounts []string // CAIP-10, canonical
	opts     risk.Options
}

// errBatch marks a request whose batch is too large (413 would say the
// body; this is its content).
var errBatch = errors.New("batch too large")

// decodeScreenRequest reads and checks a screen request: every address
// must be a CAIP-10 id valid for its chain. The error names the field
// and, for an address, its index.
func decodeScreenRequest(body []byte, maxHops int) (screenOptions, error) {
	var req screenRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return screenOptions{}, fmt.Errorf("body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return screenOptions{}, errors.New("body: more than one JSON value")
	}
	if len(req.Addresses) == 0 {
		return screenOptions{}, errors.New("addresses: give at least one CAIP-10 account")
	}
	if len(req.Addresses) > maxScreenBatch {
		return screenOptions{}, fmt.Errorf("addresses: %d given, at most %d per request: %w", len(req.Addresses), maxScreenBatch, errBatch)
	}
	o := screenOptions{opts: risk.Options{Direction: req.Direction, MaxHops: req.MaxHops}}
	switch req.Direction {
	case "", "in":
	case "out", "both":
		if len(req.Addresses) > maxScreenOutBatch {
			return screenOptions{}, fmt.Errorf("direction %s runs a trace per address: at most %d addresses, %d given: %w", req.Direction, maxScreenOutBatch, len(req.Addresses), errBatch)
		}
	default:
		return screenOptions{}, fmt.Errorf("direction %s: want in, out or both", quoteShort(req.Direction))
	}
	if req.MaxHops < 0 || req.MaxHops > maxHops {
		return screenOptions{}, fmt.Errorf("max_hops %d: want 1 to %d (0: %d)", req.MaxHops, maxHops, maxHops)
	}
	o.accounts = make([]string, len(req.Addresses))
	for i, a := range req.Addresses {
		acct, err := checkAccount(a)
		if err != nil {
			return screenOptions{}, fmt.Errorf("addresses[%d]: %w", i, err)
		}
		o.accounts[i] = acct
	}
	return o, nil
}

// checkAccount checks a CAIP-10 id and its address for its chain, and
// returns it canonical.
func checkAccount(s string) (string, error) {
	caip2, raw, err := parseCAIP10(s)
	if err != nil {
		return "", err
	}
	canon, err := checkAddress(caip2, raw)
	if err != nil {
		return "", err
	}
	return caip2 + ":" + canon, nil
}

// screening serves the screening endpoints from a screener.
type screening struct {
	s   *risk.Screener
	why string   // set when screening is unavailable
	lk  *lookups // runs outgoing screens (a trace each) in its bounded slots; nil: inline
}

func (sc *screening) ready(w http.ResponseWriter) bool {
	if sc.s == nil {
		problem(w, 503, "Screening unavailable", "%s", sc.why)
		return false
	}
	return true
}

// screenAll screens accounts, a large batch on every core when parallel;
// a bad address or chain is a usageError (the first in the batch's order).
func (sc *screening) screenAll(accounts []string, o risk.Options, parallel bool) ([]*risk.Result, error) {
	out := make([]*risk.Result, len(accounts))
	errs := make([]error, len(accounts))
	workers := 1
	if parallel {
		workers = min(runtime.GOMAXPROCS(0), (len(accounts)+255)/256)
	}
	run := func(k int) {
		for i := k; i < len(accounts); i += workers {
			out[i], errs[i] = sc.s.Screen(accounts[i], "", o)
		}
	}
	if workers == 1 { // a single screen: no goroutine to start and wake up for
		run(0)
	} else {
		var wg sync.WaitGroup
		for k := range workers {
			wg.Go(func() { run(k) })
		}
		wg.Wait()
	}
	for i, err := range errs {
		if err == nil {
			continue
		}
		var ce *risk.UnknownChainError
		var ae *risk.AddressError
		if errors.As(err, &ce) || errors.As(err, &ae) {
			return nil, usageError{fmt.Sprintf("%s: %v", accounts[i], err)}
		}
		return nil, fmt.Errorf("screen %s: %w", accounts[i], err)
	}
	return out, nil
}

// answer screens accounts and answers: inline for incoming exposure (a
// lookup), in the server's bounded trace slots with its timeout for
// outgoing exposure (a trace per address).
func (sc *screening) answer(w http.ResponseWriter, r *http.Request, accounts []string, o risk.Options, one bool) {
	shape := func(res []*risk.Result) any {
		if one {
			return res[0]
		}
		return screenResponse{Results: res}
	}
	if (o.Direction == "out" || o.Direction == "both") && sc.lk != nil {
		sc.lk.bounded(w, r, func() (any, error) {
			res, err := sc.screenAll(accounts, o, false) // traces: one slot, one at a time
			if err != nil {
				return nil, err
			}
			return shape(res), nil
		})
		return
	}
	res, err := sc.screenAll(accounts, o, true)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		problem(w, 400, "Invalid address", "%v", err)
	case err != nil:
		problem(w, 500, "Screening failed", "%v", err)
	default:
		writeAPIJSON(w, shape(res))
	}
}

func (sc *screening) serveScreen(w http.ResponseWriter, r *http.Request) {
	if !sc.ready(w) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	o, err := decodeScreenRequest(body, sc.s.Policy.MaxHops)
	if err != nil {
		status := 400
		if errors.Is(err, errBatch) {
			status = 413
		}
		problem(w, status, "Invalid screen request", "%v", err)
		return
	}
	sc.answer(w, r, o.accounts, o.opts, false)
}

func (sc *screening) serveRisk(w http.ResponseWriter, r *http.Request) {
	if !sc.ready(w) {
		return
	}
	acct, err := checkAccount(r.PathValue("caip10"))
	if err != nil {
		title := "Invalid address"
		if errors.Is(err, addrcheck.ErrUnknownChain) {
			title = "Unknown chain"
		}
		problem(w, 400, title, "caip10: %v", err)
		return
	}
	o := risk.Options{Direction: r.URL.Query().Get("direction")}
	switch o.Direction {
	case "", "in", "out", "both":
	default:
		problem(w, 400, "Invalid direction", "direction %s: want in, out or both", quoteShort(o.Direction))
		return
	}
	if v := r.URL.Query().Get("max_hops"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > sc.s.Policy.MaxHops {
			problem(w, 400, "Invalid max_hops", "max_hops %s: want 1 to %d", quoteShort(v), sc.s.Policy.MaxHops)
			return
		}
		o.MaxHops = n
	}
	sc.answer(w, r, []string{acct}, o, true)
}

// mount registers the screening operations (scope screen).
func (sc *screening) mount(srv *api.Server) {
	caip10 := api.Param{Name: "caip10", In: "path", Description: "CAIP-10 account: eip155:1:0xab… or bip122:000000000019d6689c085ae165831e93:1A1z…",
		Schema: api.Schema{"type": "string", "pattern": "^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}:[-.%a-zA-Z0-9]{1,128}$"}}
	srv.Route(api.Route{Method: "POST", Path: "/v1/screen", Scope: apikey.ScopeScreen, Tags: []string{"screening"},
		Summary: fmt.Sprintf("screen up to %d addresses: severity, score, direct hits, indirect exposure per category with paths, freshness (chainhound screen --output json)", maxScreenBatch),
		Description: "Every address is checked for its chain; one bad address fails the request with its index named. " +
			"A batch over the limit answers 413.",
		RequestSchema: screenRequestSchema(), Responses: map[int]api.Schema{200: api.SchemaOf(screenResponse{})},
		Problems: []int{400, 413, 422, 503}, MaxBodyBytes: screenBodyBytes, Handler: http.HandlerFunc(sc.serveScreen)})
	srv.Route(api.Route{Method: "GET", Path: "/v1/addresses/{caip10}/risk", Scope: apikey.ScopeScreen, Tags: []string{"screening"},
		Summary: "screen one address (chainhound screen ADDR --output json)",
		Params: []api.Param{caip10,
			{Name: "direction", In: "query", Description: "in (default), out or both", Schema: api.Schema{"type": "string", "enum": []string{"in", "out", "both"}}},
			{Name: "max_hops", In: "query", Description: "hops of indirect exposure (default: the policy's)", Schema: api.Schema{"type": "integer", "minimum": 1}}},
		Responses: map[int]api.Schema{200: api.SchemaOf(risk.Result{})}, Problems: []int{400, 422, 503}, Handler: http.HandlerFunc(sc.serveRisk)})
}

// openScreening brings the exposure store up to the chain store (which
// serve holds read-only, so it stays current while serve runs) and
// prepares the screener; without a chain store the endpoints answer 503.
func openScreening(ctx context.Context, e *env, lk *lookups, data, policyFile string) (*screening, func(), error) {
	sc := &screening{lk: lk}
	pol := risk.DefaultPolicy()
	if policyFile != "" {
		p, err := risk.LoadPolicy(policyFile)
		if err != nil {
			return nil, nil, err
		}
		pol = p
	}
	if lk.st == nil {
		sc.why = fmt.Sprintf("no chain store at %s: ingest first", data)
		return sc, func() {}, nil
	}
	db, err := risk.Open(riskDir(data), false)
	if err != nil {
		return nil, nil, err
	}
	rep, err := db.Update(ctx, risk.Inputs{Store: lk.st, Intel: lk.intel, Index: lk.ix, Policy: pol, Log: e.log, Clusters: lk.clusters})
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("exposure store: %w", err)
	}
	for _, cu := range rep.Chains {
		e.log.Info("exposure up to date", "chain", cu.CAIP2, "block", cu.To, "exposed", cu.Exposed, "rebuilt", cu.Rebuilt)
	}
	if sc.s, err = risk.NewScreener(db, lk.st, lk.ix, lk.intel, pol); err != nil {
		db.Close()
		return nil, nil, err
	}
	if err := liftToEntities(sc.s, lk.st, lk.clusters, lk.intel); err != nil {
		db.Close()
		return nil, nil, err
	}
	return sc, func() { db.Close() }, nil
}
