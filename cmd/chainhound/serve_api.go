package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/chainhound/chainhound/internal/api"
	"github.com/chainhound/chainhound/internal/apikey"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/ingest/btc"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
	"github.com/chainhound/chainhound/internal/ledger"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/trace"
	"github.com/holiman/uint256"
)

// Limits of the trace and path endpoints: one request must not run
// forever or take the machine.
const (
	apiMaxHops        = 12
	apiMaxSeeds       = 1000
	traceRequestBytes = 256 << 10
)

// lookups serves the store over HTTP with the same code the CLI commands
// use. The stores are opened once, read-only, when serve starts (Pebble
// locks a store directory, so ingest into the same --data waits for serve
// to stop); a missing one makes its endpoints answer 503 (404 for a
// missing clustering, as the entity is then unknown).
type lookups struct {
	e      *env
	data   string
	st     *store.DB
	chains map[string]chain.Chain // CAIP-2 -> the chain the store binds to it
	intel  *intel.Store
	ix     *intel.Index
	// clusters are the clusterings present, one per chain (Bitcoin:
	// co-spend and change; Ethereum: deposit-address reuse).
	clusters map[chain.Chain]*cluster.DB
	// policy is the trace policy of /v1/trace and /v1/paths (exit
	// categories, stop_at, freezing venues, freezable assets).
	policy trace.Policy

	// snaps are the trace snapshots of serve --trace-snapshot (nil
	// without): POST /v1/trace runs forward traces over them while they
	// hold the store's head.
	snaps *serveSnapshots

	traceTimeout time.Duration
	slots        chan struct{}  // traces and paths running at once
	running      sync.WaitGroup // traces still running, so Close waits for them
}

// openLookups opens what exists under data; absences are logged, not errors.
func openLookups(e *env, data string, traceTimeout time.Duration, cacheMB int, policy trace.Policy) (*lookups, error) {
	l := &lookups{e: e, data: data, chains: map[string]chain.Chain{}, clusters: map[chain.Chain]*cluster.DB{}, traceTimeout: traceTimeout, policy: policy,
		slots: make(chan struct{}, runtime.GOMAXPROCS(0)), ix: intel.NewIndex()}
	if _, err := os.Stat(data); err == nil {
		if st, err := store.Open(data, store.Options{ReadOnly: true, CacheBytes: int64(cacheMB) << 20}); err == nil {
			l.st = st
		} else {
			e.log.Warn("no chain store: the address, tx, trace and path endpoints answer 503", "dir", data, "err", err)
		}
	} else {
		e.log.Warn("no data directory: the lookup endpoints answer 503", "dir", data)
	}
	if l.st != nil {
		for _, c := range knownChains {
			net, ok, err := l.st.Network(c)
			if err != nil {
				l.Close()
				return nil, err
			}
			if ok {
				l.chains[net.CAIP2] = c
			}
		}
	}
	if _, err := os.Stat(intelDir(data)); err == nil {
		ist, err := intel.Open(intelDir(data), true)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("intelligence store: %w", err)
		}
		l.intel = ist
		if l.ix, err = intel.Load(ist); err != nil {
			l.Close()
			return nil, fmt.Errorf("intelligence store: %w", err)
		}
	}
	if l.st != nil {
		cls, err := openClusterings(data, l.st)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.clusters = cls
	}
	return l, nil
}

// Close waits for traces still running, then closes the stores.
func (l *lookups) Close() {
	l.running.Wait()
	for _, cl := range l.clusters {
		cl.Close()
	}
	if l.intel != nil {
		l.intel.Close()
	}
	if l.st != nil {
		l.st.Close()
	}
}

func (l *lookups) heldChains() string {
	var cs []string
	for c := range l.chains {
		cs = append(cs, c)
	}
	sort.Strings(cs)
	if len(cs) == 0 {
		return "none"
	}
	return strings.Join(cs, ", ")
}

// parseCAIP10 splits a CAIP-10 account id into its CAIP-2 chain and
// address, checking the syntax CAIP-10 gives each part (namespace 3-8 of
// [-a-z0-9], reference 1-32 of [-_a-zA-Z0-9], address 1-128 of
// [-.%a-zA-Z0-9]). It does not check the address for its chain.
func parseCAIP10(s string) (caip2, addr string, err error) {
	ns, rest, ok1 := strings.Cut(s, ":")
	ref, a, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return "", "", fmt.Errorf("%s is not a CAIP-10 account id (want chain:reference:address, e.g. eip155:1:0xab…)", quoteShort(s))
	}
	if err := checkCAIP2(ns, ref); err != nil {
		return "", "", err
	}
	if len(a) < 1 || len(a) > 128 || !allBytes(a, func(c byte) bool { return isAlnum(c) || c == '-' || c == '.' || c == '%' }) {
		return "", "", fmt.Errorf("address %s: want 1 to 128 characters of letters, digits, '-', '.', '%%'", quoteShort(a))
	}
	return ns + ":" + ref, a, nil
}

// parseCAIP2 checks a CAIP-2 chain id's syntax.
func parseCAIP2(s string) (string, error) {
	ns, ref, ok := strings.Cut(s, ":")
	if !ok {
		return "", fmt.Errorf("chain %s is not a CAIP-2 id (want namespace:reference, e.g. eip155:1)", quoteShort(s))
	}
	return s, checkCAIP2(ns, ref)
}

func checkCAIP2(ns, ref string) error {
	if len(ns) < 3 || len(ns) > 8 || !allBytes(ns, func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' }) {
		return fmt.Errorf("chain namespace %s: want 3 to 8 of a-z, 0-9, '-'", quoteShort(ns))
	}
	if len(ref) < 1 || len(ref) > 32 || !allBytes(ref, func(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }) {
		return fmt.Errorf("chain reference %s: want 1 to 32 of letters, digits, '-', '_'", quoteShort(ref))
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func quoteShort(s string) string {
	if len(s) > 80 {
		return strconv.Quote(s[:80]) + "…"
	}
	return strconv.Quote(s)
}

// checkAddress validates addr for the chain caip2 and returns its
// canonical text: EVM addresses are 0x and 40 hex digits, with a matching
// EIP-55 checksum when in mixed case; Bitcoin addresses are base58check or
// bech32/bech32m with the network's prefixes.
func checkAddress(caip2, addr string) (string, error) {
	if addrcheck.Known(caip2) {
		canon, warn, err := addrcheck.Normalize(caip2, addr)
		if err != nil {
			return "", err
		}
		if warn != "" {
			return "", fmt.Errorf("%s address %s: %s", caip2, quoteShort(addr), warn)
		}
		return canon, nil
	}
	if net, ok := btc.NetworkOfCAIP2(caip2); ok { // regtest, signet, ... which addrcheck leaves out
		a, err := address.DecodeAddress(addr, net.Params)
		if err != nil || !a.IsForNet(net.Params) {
			return "", fmt.Errorf("%s address %s: not a valid %s address", caip2, quoteShort(addr), net.Name)
		}
		return a.String(), nil
	}
	return "", fmt.Errorf("chain %s: %w", quoteShort(caip2), addrcheck.ErrUnknownChain)
}

func problem(w http.ResponseWriter, status int, title, format string, args ...any) {
	api.WriteProblem(w, status, title, fmt.Sprintf(format, args...))
}

func writeAPIJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// account resolves the {caip10} of a request to a stored chain's address,
// answering the problem itself when it cannot.
func (l *lookups) account(w http.ResponseWriter, caip10 string) (chain.Chain, string, chain.Address, bool) {
	caip2, raw, err := parseCAIP10(caip10)
	if err != nil {
		problem(w, 400, "Invalid account", "caip10: %v", err)
		return 0, "", chain.Address{}, false
	}
	canon, err := checkAddress(caip2, raw)
	if errors.Is(err, addrcheck.ErrUnknownChain) {
		problem(w, 400, "Unknown chain", "caip10: chain %s is not one chainhound knows", caip2)
		return 0, "", chain.Address{}, false
	}
	if err != nil {
		problem(w, 400, "Invalid address", "caip10: %v", err)
		return 0, "", chain.Address{}, false
	}
	if l.st == nil {
		problem(w, 503, "Store unavailable", "no chain store at %s: ingest first", l.data)
		return 0, "", chain.Address{}, false
	}
	c, ok := l.chains[caip2]
	if !ok {
		problem(w, 404, "Chain not in the store", "caip10: chain %s is not in the store (it holds %s)", caip2, l.heldChains())
		return 0, "", chain.Address{}, false
	}
	a, err := chain.ParseAddress(c, canon)
	if err != nil {
		problem(w, 400, "Invalid address", "caip10: %v", err)
		return 0, "", chain.Address{}, false
	}
	return c, caip2, a, true
}

func (l *lookups) serveAddress(w http.ResponseWriter, r *http.Request) {
	_, caip2, a, ok := l.account(w, r.PathValue("caip10"))
	if !ok {
		return
	}
	acc, err := ledger.Summarize(l.st, a)
	if err != nil {
		problem(w, 500, "Store read failed", "%v", err)
		return
	}
	writeAPIJSON(w, accountJSON(caip2, acc))
}

func (l *lookups) serveTags(w http.ResponseWriter, r *http.Request) {
	caip2, raw, err := parseCAIP10(r.PathValue("caip10"))
	if err != nil {
		problem(w, 400, "Invalid account", "caip10: %v", err)
		return
	}
	canon, err := checkAddress(caip2, raw)
	if errors.Is(err, addrcheck.ErrUnknownChain) {
		problem(w, 400, "Unknown chain", "caip10: chain %s is not one chainhound knows", caip2)
		return
	}
	if err != nil {
		problem(w, 400, "Invalid address", "caip10: %v", err)
		return
	}
	history := false
	if v := r.URL.Query().Get("history"); v != "" {
		if history, err = strconv.ParseBool(v); err != nil {
			problem(w, 400, "Invalid parameter", "history %s: want true or false", quoteShort(v))
			return
		}
	}
	if l.intel == nil {
		problem(w, 503, "Intelligence store unavailable", "no intelligence store at %s: import something first (chainhound intel import ...)", intelDir(l.data))
		return
	}
	out, err := lookupOne(l.e, l.intel, caip2+":"+canon, history)
	if err != nil {
		problem(w, 500, "Intelligence store read failed", "%v", err)
		return
	}
	writeAPIJSON(w, out)
}

func (l *lookups) serveTx(w http.ResponseWriter, r *http.Request) {
	caip2, err := parseCAIP2(r.PathValue("caip2"))
	if err != nil {
		problem(w, 400, "Invalid chain", "caip2: %v", err)
		return
	}
	h, err := chain.ParseHash(r.PathValue("hash"))
	if err != nil {
		problem(w, 400, "Invalid transaction hash", "hash: %v", err)
		return
	}
	if l.st == nil {
		problem(w, 503, "Store unavailable", "no chain store at %s: ingest first", l.data)
		return
	}
	c, ok := l.chains[caip2]
	if !ok {
		problem(w, 404, "Chain not in the store", "caip2: chain %s is not in the store (it holds %s)", caip2, l.heldChains())
		return
	}
	info, found, err := l.st.Tx(c, h)
	if err != nil {
		problem(w, 500, "Store read failed", "%v", err)
		return
	}
	if !found {
		problem(w, 404, "Transaction not found", "hash: transaction %s is not in the store on %s", c.FormatHash(h), caip2)
		return
	}
	out, err := txJSON(l.st, c, caip2, info)
	if err != nil {
		problem(w, 500, "Store read failed", "%v", err)
		return
	}
	writeAPIJSON(w, out)
}

func (l *lookups) serveEntity(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	q := r.URL.Query()
	limit, after := 100, uint64(0)
	var err error
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 || limit > 10000 {
			problem(w, 400, "Invalid parameter", "limit %s: want 0 to 10000", quoteShort(v))
			return
		}
	}
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseUint(v, 10, 64); err != nil {
			problem(w, 400, "Invalid parameter", "after %s: want a member id", quoteShort(v))
			return
		}
	}
	// The chain: an address id's own; 0x and 40 hex digits, Ethereum;
	// else a Bitcoin address, checked for the store's network.
	c := chain.Bitcoin
	if _, perr := strconv.ParseUint(id, 10, 64); perr != nil || len(id) >= 20 {
		if reEVMLike.MatchString(id) {
			c = chain.Ethereum
			if _, err := checkAddress("eip155:1", id); err != nil { // the EIP-55 checksum, as for any EVM address
				problem(w, 400, "Invalid entity", "id: %s: %v", quoteShort(id), err)
				return
			}
		} else {
			net, ok, _ := l.storeNetwork(chain.Bitcoin)
			caip2 := addrcheck.Bitcoin
			if ok {
				caip2 = net
			}
			if _, err := checkAddress(caip2, id); err != nil {
				problem(w, 400, "Invalid entity", "id: %s is neither an address id, an Ethereum address nor a valid %s address: %v", quoteShort(id), caip2, err)
				return
			}
		}
	}
	if l.st == nil {
		problem(w, 503, "Store unavailable", "no chain store at %s: ingest first", l.data)
		return
	}
	if n, perr := strconv.ParseUint(id, 10, 64); perr == nil && len(id) < 20 {
		a, err := l.st.Address(n)
		if err != nil || n == 0 {
			problem(w, 404, "Entity not found", "id: no address id %s in the store", id)
			return
		}
		c = a.Chain
	}
	db := l.clusters[c]
	if db == nil {
		hint := "chainhound cluster build"
		if c != chain.Bitcoin {
			hint += " --chain " + c.String()
		}
		problem(w, 404, "No clustering", "no clustering of %s at %s: run %s first", c, clusterDirOf(l.data, c), hint)
		return
	}
	out, err := describeEntity(l.st, db, l.intel, id, limit, after, 10000)
	if err != nil {
		problem(w, 404, "Entity not found", "id: %v", err)
		return
	}
	writeAPIJSON(w, out)
}

func (l *lookups) storeNetwork(c chain.Chain) (string, bool, error) {
	if l.st == nil {
		return "", false, nil
	}
	net, ok, err := l.st.Network(c)
	return net.CAIP2, ok, err
}

// traceRequest is the body of POST /v1/trace: the trace command's flags.
type traceRequest struct {
	Seeds     []string  `json:"seeds"`
	Amount    string    `json:"amount,omitempty"`
	Asset     string    `json:"asset,omitempty"`
	Direction string    `json:"direction,omitempty"`
	Model     string    `json:"model,omitempty"`
	MaxHops   *int      `json:"max_hops,omitempty"`
	From      string    `json:"from,omitempty"`
	At        string    `json:"at,omitempty"`
	Until     string    `json:"until,omitempty"`
	MinAmount string    `json:"min_amount,omitempty"`
	StopAt    *[]string `json:"stop_at,omitempty"`
}

// traceRequestSchema documents traceRequest with the limits the decoder
// enforces.
func traceRequestSchema() api.Schema {
	s := api.SchemaOf(traceRequest{})
	api.Prop(s, "seeds")["minItems"], api.Prop(s, "seeds")["maxItems"] = 1, apiMaxSeeds
	api.Prop(s, "seeds")["description"] = "addresses (bare or CAIP-10), transactions (hash) or Bitcoin outputs (TXID:VOUT)"
	api.Prop(s, "direction")["enum"] = []string{"forward", "backward"}
	api.Prop(s, "model")["enum"] = []string{"fifo", "haircut", "tiho", "poison"}
	api.Prop(s, "max_hops")["minimum"], api.Prop(s, "max_hops")["maximum"] = 1, apiMaxHops
	api.Prop(s, "amount")["pattern"] = "^[0-9]+$"
	api.Prop(s, "min_amount")["pattern"] = "^[0-9]+$"
	api.Prop(s, "stop_at")["description"] = "exit categories to stop at; absent: the policy's; []: none"
	return s
}

// decodeTraceRequest reads and checks a trace request. Every mistake is a
// usageError naming the field.
func decodeTraceRequest(body []byte) (traceOptions, error) {
	var req traceRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return traceOptions{}, usagef("body: %v", err)
	}
	if dec.More() {
		return traceOptions{}, usagef("body: more than one JSON value")
	}
	if len(req.Seeds) == 0 || len(req.Seeds) > apiMaxSeeds {
		return traceOptions{}, usagef("seeds: want 1 to %d seeds, got %d", apiMaxSeeds, len(req.Seeds))
	}
	o := traceOptions{asset: "native", direction: "forward", maxHops: 6, from: req.From, at: req.At, until: req.Until}
	for i, s := range req.Seeds {
		where := fmt.Sprintf("seeds[%d]", i)
		text := strings.TrimSpace(s)
		if strings.Count(text, ":") >= 2 { // a CAIP-10 account
			caip2, raw, err := parseCAIP10(text)
			if err != nil {
				return traceOptions{}, usagef("%s: %v", where, err)
			}
			if text, err = checkAddress(caip2, raw); err != nil {
				return traceOptions{}, usagef("%s: %v", where, err)
			}
		} else if reEVMAddr.MatchString(text) {
			if _, err := checkAddress(addrcheck.Ethereum, text); err != nil {
				return traceOptions{}, usagef("%s: %v", where, err)
			}
		}
		sp := seedSpec{text: text, where: where}
		if err := checkSeedForm(sp); err != nil {
			return traceOptions{}, err
		}
		o.specs = append(o.specs, sp)
	}
	if req.Amount != "" {
		if len(o.specs) != 1 {
			return traceOptions{}, usagef("amount applies to one seed; %d were given", len(o.specs))
		}
		v, err := uint256.FromDecimal(req.Amount)
		if err != nil || v.IsZero() {
			return traceOptions{}, usagef("amount %s: want a positive whole number of base units", quoteShort(req.Amount))
		}
		o.specs[0].amount = v
	}
	if req.Asset != "" {
		o.asset = req.Asset
	}
	if req.Direction != "" {
		if req.Direction != "forward" && req.Direction != "backward" {
			return traceOptions{}, usagef("direction %s: want forward or backward", quoteShort(req.Direction))
		}
		o.direction = req.Direction
	}
	model := "haircut"
	if req.Model != "" {
		model = req.Model
	}
	m, err := trace.ParseModel(model)
	if err != nil {
		return traceOptions{}, usagef("model: %v", err)
	}
	o.model = m
	if req.MaxHops != nil {
		if *req.MaxHops < 1 || *req.MaxHops > apiMaxHops {
			return traceOptions{}, usagef("max_hops %d: want 1 to %d", *req.MaxHops, apiMaxHops)
		}
		o.maxHops = *req.MaxHops
	}
	if req.MinAmount != "" {
		if err := o.minAmount.SetFromDecimal(req.MinAmount); err != nil {
			return traceOptions{}, usagef("min_amount %s: want a whole number of base units", quoteShort(req.MinAmount))
		}
	}
	if req.StopAt != nil {
		o.stops = []string{}
		for i, c := range *req.StopAt {
			if strings.TrimSpace(c) == "" {
				return traceOptions{}, usagef("stop_at[%d]: an empty category", i)
			}
			o.stops = append(o.stops, c)
		}
	}
	return o, nil
}

// bounded runs work (a trace or path search) in one of the slots, within
// the trace timeout. The search itself cannot be interrupted, so on timeout
// the answer is a 503 and the search finishes in the background, still
// holding its slot, so at most GOMAXPROCS searches run at once.
func (l *lookups) bounded(w http.ResponseWriter, r *http.Request, work func() (any, error)) {
	ctx, cancel := context.WithTimeout(r.Context(), l.traceTimeout)
	defer cancel()
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		w.Header().Set("Retry-After", "5")
		problem(w, 503, "Busy", "every trace slot (%d) stayed busy for %s", cap(l.slots), l.traceTimeout)
		return
	}
	type result struct {
		v   any
		err error
	}
	done := make(chan result, 1)
	l.running.Add(1)
	go func() {
		defer l.running.Done()
		defer func() { <-l.slots }()
		v, err := work()
		done <- result{v, err}
	}()
	select {
	case res := <-done:
		var ue usageError
		switch {
		case errors.As(res.err, &ue):
			problem(w, 400, "Invalid request", "%v", res.err)
		case res.err != nil:
			problem(w, 422, "Cannot answer from the store", "%v", res.err)
		default:
			writeAPIJSON(w, res.v)
		}
	case <-ctx.Done():
		w.Header().Set("Retry-After", "30")
		problem(w, 503, "Timed out", "the search ran longer than %s; lower max_hops or narrow the seeds", l.traceTimeout)
	}
}

// readBody reads a request body, answering 413 above the route's limit.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			problem(w, 413, "Request body too large", "the limit is %d bytes", tooBig.Limit)
			return nil, false
		}
		problem(w, 400, "Unreadable request body", "%v", err)
		return nil, false
	}
	return body, true
}

func (l *lookups) serveTrace(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	o, err := decodeTraceRequest(body)
	if err != nil {
		problem(w, 400, "Invalid trace request", "%v", err)
		return
	}
	if l.st == nil {
		problem(w, 503, "Store unavailable", "no chain store at %s: ingest first", l.data)
		return
	}
	policy := l.policy
	if o.stops == nil {
		o.stops = policy.StopAt
	}
	if l.snaps != nil && o.direction == "forward" {
		o.snaps = l.snaps
	}
	l.bounded(w, r, func() (any, error) {
		return runTrace(context.Background(), l.e, l.st, l.ix, policy, o)
	})
}

func (l *lookups) servePath(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var ends [2]string
	for i, name := range []string{"from", "to"} {
		v := q.Get(name)
		caip2, raw, err := parseCAIP10(v)
		if err != nil {
			problem(w, 400, "Invalid account", "%s: %v", name, err)
			return
		}
		canon, err := checkAddress(caip2, raw)
		if err != nil {
			problem(w, 400, "Invalid address", "%s: %v", name, err)
			return
		}
		if l.st != nil {
			if _, ok := l.chains[caip2]; !ok {
				problem(w, 404, "Chain not in the store", "%s: chain %s is not in the store (it holds %s)", name, caip2, l.heldChains())
				return
			}
		}
		ends[i] = canon
	}
	maxHops, top := 4, 5
	for _, p := range []struct {
		name     string
		dst      *int
		min, max int
	}{{"max_hops", &maxHops, 1, apiMaxHops}, {"top", &top, 1, 100}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < p.min || n > p.max {
				problem(w, 400, "Invalid parameter", "%s %s: want %d to %d", p.name, quoteShort(v), p.min, p.max)
				return
			}
			*p.dst = n
		}
	}
	model := "haircut"
	if v := q.Get("model"); v != "" {
		model = v
	}
	m, err := trace.ParseModel(model)
	if err != nil {
		problem(w, 400, "Invalid parameter", "model: %v", err)
		return
	}
	if l.st == nil {
		problem(w, 503, "Store unavailable", "no chain store at %s: ingest first", l.data)
		return
	}
	policy := l.policy
	l.bounded(w, r, func() (any, error) {
		return runPath(l.e, l.st, l.ix, policy, ends[0], ends[1], maxHops, top, m, policy.StopAt)
	})
}

// mount registers the lookup operations.
func (l *lookups) mount(srv *api.Server) {
	str := api.Schema{"type": "string"}
	caip10 := api.Param{Name: "caip10", In: "path", Description: "CAIP-10 account: eip155:1:0xab… or bip122:000000000019d6689c085ae165831e93:1A1z…",
		Schema: api.Schema{"type": "string", "pattern": "^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}:[-.%a-zA-Z0-9]{1,128}$"}}
	srv.Route(api.Route{Method: "GET", Path: "/v1/addresses/{caip10}", Scope: apikey.ScopeLookup, Tags: []string{"lookups"},
		Summary:     "an address: balance per asset rebuilt from transfers, first and last seen, counts (chainhound address)",
		Description: "found is false for a valid address the store never saw.",
		Params:      []api.Param{caip10}, Responses: map[int]api.Schema{200: api.SchemaOf(accountOut{})},
		Problems: []int{400, 404, 503}, Handler: http.HandlerFunc(l.serveAddress)})
	srv.Route(api.Route{Method: "GET", Path: "/v1/addresses/{caip10}/tags", Scope: apikey.ScopeLookup, Tags: []string{"lookups"},
		Summary: "what the intelligence store says of an address: tags with source, confidence, dates and status (chainhound intel lookup)",
		Params: []api.Param{caip10, {Name: "history", In: "query", Description: "also tags that no longer hold (delisted)",
			Schema: api.Schema{"type": "boolean"}}},
		Responses: map[int]api.Schema{200: api.SchemaOf(lookupOut{})}, Problems: []int{400, 503}, Handler: http.HandlerFunc(l.serveTags)})
	srv.Route(api.Route{Method: "GET", Path: "/v1/tx/{caip2}/{hash}", Scope: apikey.ScopeLookup, Tags: []string{"lookups"},
		Summary: "a stored transaction and the transfers it made; UTXO inputs and outputs (chainhound tx)",
		Params: []api.Param{{Name: "caip2", In: "path", Description: "CAIP-2 chain: eip155:1, bip122:000000000019d6689c085ae165831e93",
			Schema: api.Schema{"type": "string"}}, {Name: "hash", In: "path", Description: "transaction hash, 64 hex digits (0x optional)", Schema: str}},
		Responses: map[int]api.Schema{200: api.SchemaOf(txOut{})}, Problems: []int{400, 404, 503}, Handler: http.HandlerFunc(l.serveTx)})
	srv.Route(api.Route{Method: "GET", Path: "/v1/entities/{id}", Scope: apikey.ScopeLookup, Tags: []string{"lookups"},
		Summary: "the entity (co-spend cluster) of a Bitcoin address or address id: members, tags, first/last seen, totals (chainhound entity)",
		Params: []api.Param{{Name: "id", In: "path", Description: "a Bitcoin address, or an address id (digits)", Schema: str},
			{Name: "limit", In: "query", Description: "members to list (default 100)", Schema: api.Schema{"type": "integer", "minimum": 0, "maximum": 10000}},
			{Name: "after", In: "query", Description: "list members with an id above this (the previous page's next_after)", Schema: api.Schema{"type": "integer", "minimum": 0}}},
		Responses: map[int]api.Schema{200: api.SchemaOf(entityOut{})}, Problems: []int{400, 404, 503}, Handler: http.HandlerFunc(l.serveEntity)})
	srv.Route(api.Route{Method: "POST", Path: "/v1/trace", Scope: apikey.ScopeTrace, Tags: []string{"trace"},
		Summary:       "follow funds forward or backward under a taint model to the exits (chainhound trace --output json)",
		Description:   fmt.Sprintf("max_hops is 1 to %d (default 6); a trace that runs longer than the server's --trace-timeout answers 503.", apiMaxHops),
		RequestSchema: traceRequestSchema(), Responses: map[int]api.Schema{200: api.SchemaOf(trace.Report{})},
		Problems: []int{400, 422, 503}, MaxBodyBytes: traceRequestBytes, Handler: http.HandlerFunc(l.serveTrace)})
	srv.Route(api.Route{Method: "GET", Path: "/v1/path", Scope: apikey.ScopeTrace, Tags: []string{"trace"},
		Summary: "the paths that carried the most value from one address to another (chainhound path --output json)",
		Params: []api.Param{
			{Name: "from", In: "query", Required: true, Description: "CAIP-10 account the value leaves", Schema: caip10.Schema},
			{Name: "to", In: "query", Required: true, Description: "CAIP-10 account it reaches, on the same chain", Schema: caip10.Schema},
			{Name: "max_hops", In: "query", Description: "longest path, 1 to 12 (default 4)", Schema: api.Schema{"type": "integer", "minimum": 1, "maximum": apiMaxHops}},
			{Name: "top", In: "query", Description: "paths to list, 1 to 100 (default 5)", Schema: api.Schema{"type": "integer", "minimum": 1, "maximum": 100}},
			{Name: "model", In: "query", Description: "taint model (default haircut)", Schema: api.Schema{"type": "string", "enum": []string{"fifo", "haircut", "tiho", "poison"}}}},
		Responses: map[int]api.Schema{200: api.SchemaOf(pathsOut{})}, Problems: []int{400, 404, 422, 503}, Handler: http.HandlerFunc(l.servePath)})
	srv.GaugeFunc("chainhound_last_indexed_block", "Height of the last block in the store, per chain.", func(emit func(float64, ...string)) {
		if l.st == nil {
			return
		}
		for caip2, c := range l.chains {
			if cur, ok, err := l.st.Cursor(c); err == nil && ok {
				emit(float64(cur.Height), "chain", caip2)
			}
		}
	})
}
