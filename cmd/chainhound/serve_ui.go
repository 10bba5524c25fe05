package main

import (
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/api"
	"github.com/chainhound/chainhound/internal/apikey"
	"github.com/chainhound/chainhound/internal/cases"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/webui"
)

// The workspace's endpoints: search with suggestions, an address's
// neighbours as aggregated flows, and saved cases. The pages themselves
// are static files embedded in the binary (internal/webui).

const (
	searchMaxQuery    = 200
	neighborsMaxLimit = 500
)

// neighborsMaxScan bounds the transfers one neighbours request reads (and
// so its time and the memory of its per-counterparty sums): an exchange's
// hot wallet has millions. A variable for the tests.
var neighborsMaxScan = 1_000_000

var (
	reTxHash   = regexp.MustCompile(`^(0x)?[0-9a-fA-F]{64}$`)
	reEVMLike  = regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`)
	reDigitsID = regexp.MustCompile(`^[0-9]{1,19}$`)
)

// suggestion is one answer of GET /v1/search.
type suggestion struct {
	Kind     string `json:"kind"` // address, transaction, entity, actor, label
	ID       string `json:"id"`   // CAIP-10 account, CAIP-2/tx/hash, entity id, actor id
	Label    string `json:"label"`
	Detail   string `json:"detail"`
	Category string `json:"category,omitempty"`
	Account  string `json:"account,omitempty"` // for a label: the tagged account
	// Accounts are an actor's tagged accounts (at most searchActorAccounts
	// of Count), for the workspace to place on the canvas.
	Accounts []actorAccount `json:"accounts,omitempty"`
	Count    int            `json:"count,omitempty"`
}

// actorAccount is one tagged account of an actor.
type actorAccount struct {
	Account  string `json:"account"`
	Label    string `json:"label"`
	Category string `json:"category,omitempty"`
}

// searchActorAccounts bounds the accounts an actor suggestion lists.
const searchActorAccounts = 50

type searchOut struct {
	Query       string       `json:"query"`
	Suggestions []suggestion `json:"suggestions"`
}

func (l *lookups) serveSearch(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" || len(q) > searchMaxQuery {
		problem(w, 400, "Invalid parameter", "q: want 1 to %d characters, got %d", searchMaxQuery, len(q))
		return
	}
	limit := 10
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			problem(w, 400, "Invalid parameter", "limit %s: want 1 to 50", quoteShort(v))
			return
		}
		limit = n
	}
	out := searchOut{Query: q, Suggestions: []suggestion{}}
	add := func(s suggestion) {
		if len(out.Suggestions) < limit {
			out.Suggestions = append(out.Suggestions, s)
		}
	}
	if err := l.searchExact(q, add); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			problem(w, 400, "Invalid query", "q: %v", err)
			return
		}
		problem(w, 500, "Store read failed", "%v", err)
		return
	}
	if len(q) >= 2 {
		// An actor whose name matches is one suggestion with its tagged
		// accounts (not one per account, which would fill the list with
		// the same name); a tag whose label or category matches is a label
		// suggestion for its account.
		lq := strings.ToLower(q)
		actors := map[string]bool{}
		for _, t := range l.ix.Search(q, 5*limit) {
			if t.Actor != "" && strings.Contains(strings.ToLower(t.Actor), lq) && !actors[t.Actor] {
				actors[t.Actor] = true
				add(l.actorSuggestion(t.Actor))
			}
			if !strings.Contains(strings.ToLower(t.Label), lq) && !strings.Contains(strings.ToLower(t.Category), lq) {
				continue
			}
			acct := string(t.Subject)
			if intel.AddressOf(t.Subject) == "" {
				acct = ""
			}
			add(suggestion{Kind: "label", ID: string(t.Subject), Label: t.Label, Category: t.Category, Account: acct,
				Detail: strings.TrimSpace(fmt.Sprintf("%s · %s · %s", t.Subject, t.Source, t.Confidence))})
		}
	}
	writeAPIJSON(w, out)
}

// searchExact suggests what q names exactly: an account, a transaction
// hash, an address on a chain of the store, an entity id.
func (l *lookups) searchExact(q string, add func(suggestion)) error {
	if strings.Count(q, ":") >= 2 {
		caip2, raw, err := parseCAIP10(q)
		if err != nil {
			return usagef("%v", err)
		}
		canon, err := checkAddress(caip2, raw)
		if err != nil {
			return usagef("%v", err)
		}
		return l.suggestAddress(caip2, canon, add)
	}
	if l.st == nil {
		return nil
	}
	caip2s := make([]string, 0, len(l.chains))
	for c := range l.chains {
		caip2s = append(caip2s, c)
	}
	sort.Strings(caip2s)
	if reTxHash.MatchString(q) {
		h, err := chain.ParseHash(q)
		if err != nil {
			return usagef("%v", err)
		}
		for _, caip2 := range caip2s {
			c := l.chains[caip2]
			info, found, err := l.st.Tx(c, h)
			if err != nil {
				return err
			}
			if found {
				add(suggestion{Kind: "transaction", ID: caip2 + "/tx/" + c.FormatHash(h), Label: c.FormatHash(h),
					Detail: fmt.Sprintf("%s block %d, %d transfers", caip2, info.Block, len(info.Transfers))})
			}
		}
		return nil
	}
	for _, caip2 := range caip2s {
		if reEVMLike.MatchString(q) != strings.HasPrefix(caip2, "eip155:") {
			continue
		}
		canon, err := checkAddress(caip2, q)
		if err != nil {
			if reEVMLike.MatchString(q) {
				return usagef("%v", err) // a typo in a checksummed address
			}
			continue
		}
		if err := l.suggestAddress(caip2, canon, add); err != nil {
			return err
		}
	}
	if reDigitsID.MatchString(q) {
		n, _ := strconv.ParseUint(q, 10, 64)
		if a, err := l.st.Address(n); err == nil && n != 0 && l.clusters[a.Chain] != nil {
			ent := l.clusters[a.Chain].Clusterer().EntityOf(n)
			add(suggestion{Kind: "entity", ID: strconv.FormatUint(ent, 10), Label: fmt.Sprintf("entity %d", ent),
				Detail: fmt.Sprintf("%s cluster of address id %d (%s)", a.Chain, n, a)})
		}
	}
	return nil
}

// actorSuggestion is the suggestion of one actor: its tagged accounts.
func (l *lookups) actorSuggestion(actor string) suggestion {
	s := suggestion{Kind: "actor", ID: actor, Label: actor}
	seen := map[string]bool{}
	for _, t := range l.ix.ByActor(actor) {
		if intel.AddressOf(t.Subject) == "" || seen[string(t.Subject)] {
			continue
		}
		seen[string(t.Subject)] = true
		if s.Category == "" {
			s.Category = t.Category
		}
		if len(s.Accounts) < searchActorAccounts {
			s.Accounts = append(s.Accounts, actorAccount{Account: string(t.Subject), Label: t.Label, Category: t.Category})
		}
	}
	s.Count = len(seen)
	s.Detail = fmt.Sprintf("actor · %d tagged addresses", s.Count)
	return s
}

// suggestAddress suggests an address, with its first tag's label, and,
// where its chain is clustered, the entity it belongs to.
func (l *lookups) suggestAddress(caip2, canon string, add func(suggestion)) error {
	s := suggestion{Kind: "address", ID: caip2 + ":" + canon, Label: canon, Detail: caip2 + ": never seen in the store"}
	var entity *suggestion
	if c, ok := l.chains[caip2]; ok && l.st != nil {
		if a, err := chain.ParseAddress(c, canon); err == nil {
			if id, seen, err := l.st.AddressID(a); err != nil {
				return err
			} else if seen {
				s.Detail = caip2
				if cl := l.clusters[c]; cl != nil {
					ent := cl.Clusterer().EntityOf(id)
					if _, n := cl.Clusterer().Members(ent, 0, 0); n > 1 {
						entity = &suggestion{Kind: "entity", ID: strconv.FormatUint(ent, 10), Label: fmt.Sprintf("entity %d", ent),
							Detail: fmt.Sprintf("%s: the %d addresses clustered with %s", caip2, n, canon)}
					}
				}
			}
		}
	}
	if tags := l.ix.Tags(intel.Account(caip2, canon)); len(tags) > 0 {
		s.Label, s.Category = tags[0].Label+" ("+canon+")", tags[0].Category
	}
	add(s)
	if entity != nil {
		add(*entity)
	}
	return nil
}

// neighbor is one counterparty of an address in one asset and direction:
// the transfers between them aggregated.
type neighbor struct {
	Account   string   `json:"account"` // CAIP-10
	Direction string   `json:"direction"`
	Asset     string   `json:"asset"` // CAIP-19, or native
	Amount    string   `json:"amount"`
	Count     int      `json:"count"`
	First     seenJSON `json:"first"`
	Last      seenJSON `json:"last"`
	Label     string   `json:"label,omitempty"`
	Category  string   `json:"category,omitempty"`
	Entity    string   `json:"entity,omitempty"` // cluster:N, actor:ID or label:NAME
}

type neighborsOut struct {
	Account   string     `json:"account"`
	Label     string     `json:"label,omitempty"`
	Category  string     `json:"category,omitempty"`
	Entity    string     `json:"entity,omitempty"`
	Neighbors []neighbor `json:"neighbors"`
	Total     int        `json:"total"` // neighbours that passed the filters, before limit
	Scanned   int        `json:"transfers_scanned"`
	// Truncated says the address has more transfers in the range than one
	// request reads (neighborsMaxScan): the neighbours are those of the
	// transfers up to block ScannedTo; ask again from the next block.
	Truncated bool   `json:"truncated,omitempty"`
	ScannedTo uint64 `json:"scanned_to_block,omitempty"`
}

type neighborFilter struct {
	direction  string
	asset      string
	fromBlock  uint64
	untilBlock uint64
	hasUntil   bool
	minAmount  *big.Int
	limit      int
}

// parseNeighborFilter reads the query of GET .../neighbors. Times are
// block heights or RFC 3339 dates, resolved against the store's blocks.
func (l *lookups) parseNeighborFilter(c chain.Chain, caip2 string, r *http.Request) (neighborFilter, error) {
	q := r.URL.Query()
	f := neighborFilter{direction: "both", limit: 50, minAmount: new(big.Int)}
	if v := q.Get("direction"); v != "" {
		if v != "in" && v != "out" && v != "both" {
			return f, fmt.Errorf("direction %s: want in, out or both", quoteShort(v))
		}
		f.direction = v
	}
	if v := q.Get("asset"); v != "" {
		f.asset = v
	}
	if v := q.Get("min_amount"); v != "" {
		if _, ok := f.minAmount.SetString(v, 10); !ok || f.minAmount.Sign() < 0 || len(v) > 80 {
			return f, fmt.Errorf("min_amount %s: want a whole number of base units", quoteShort(v))
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > neighborsMaxLimit {
			return f, fmt.Errorf("limit %s: want 1 to %d", quoteShort(v), neighborsMaxLimit)
		}
		f.limit = n
	}
	for _, p := range []struct {
		name string
		dst  *uint64
		set  *bool
	}{{"from", &f.fromBlock, nil}, {"until", &f.untilBlock, &f.hasUntil}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			*p.dst = n
		} else {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				if t, err = time.Parse("2006-01-02", v); err != nil {
					return f, fmt.Errorf("%s %s: want a block height or an RFC 3339 time", p.name, quoteShort(v))
				}
				if p.name == "until" {
					t = t.Add(24*time.Hour - time.Second)
				}
			}
			h, ok, err := l.st.BlockAtTime(c, t.Unix())
			if err != nil {
				return f, err
			}
			switch {
			case ok:
				*p.dst = h
			case p.name == "until":
				*p.dst = 0 // before the first block: nothing
			}
		}
		if p.set != nil {
			*p.set = true
		}
	}
	return f, nil
}

func (l *lookups) serveNeighbors(w http.ResponseWriter, r *http.Request) {
	c, caip2, a, ok := l.account(w, r.PathValue("caip10"))
	if !ok {
		return
	}
	f, err := l.parseNeighborFilter(c, caip2, r)
	if err != nil {
		problem(w, 400, "Invalid parameter", "%v", err)
		return
	}
	out, err := l.neighbors(c, caip2, a, f)
	if err != nil {
		problem(w, 500, "Store read failed", "%v", err)
		return
	}
	writeAPIJSON(w, out)
}

// neighbors aggregates the address's transfers by counterparty, asset and
// direction. Fees and burns have no counterparty and are left out (a fee
// goes to the block's fee recipient, which would otherwise be a
// counterparty of every address that ever paid one).
func (l *lookups) neighbors(c chain.Chain, caip2 string, a chain.Address, f neighborFilter) (neighborsOut, error) {
	out := neighborsOut{Account: a.CAIP10(caip2), Neighbors: []neighbor{}}
	out.Label, out.Category = l.tagOf(caip2, a)
	out.Entity = l.entityOf(caip2, a)
	q := store.Query{Chain: c, Address: &a, FromBlock: f.fromBlock, ToBlock: f.untilBlock, HasToBlock: f.hasUntil}
	type key struct {
		other, asset, dir string
	}
	type agg struct {
		sum         big.Int
		count       int
		first, last seenJSON
	}
	aggs := map[key]*agg{}
	var order []key
	for row, err := range l.st.Transfers(q) {
		if err != nil {
			return out, err
		}
		if out.Scanned >= neighborsMaxScan && row.Block != out.ScannedTo {
			out.Truncated = true // whole blocks only, so that from=ScannedTo+1 goes on
			break
		}
		out.Scanned++
		out.ScannedTo = row.Block
		if row.From.None() || row.To.None() || row.Kind == chain.KindFee || row.Kind == chain.KindBurn {
			continue // the block's fee recipient is no counterparty
		}
		var other chain.Address
		var dir string
		switch {
		case row.From == a && row.To == a:
			continue
		case row.From == a:
			other, dir = row.To, "out"
		default:
			other, dir = row.From, "in"
		}
		if f.direction != "both" && f.direction != dir {
			continue
		}
		asset := row.Asset.CAIP19(caip2)
		if f.asset != "" && f.asset != asset {
			continue
		}
		k := key{other.CAIP10(caip2), asset, dir}
		g := aggs[k]
		if g == nil {
			g = &agg{first: seenJSON{row.Block, isoTime(row.Time)}}
			aggs[k] = g
			order = append(order, k)
		}
		g.sum.Add(&g.sum, row.Amount.ToBig())
		g.count++
		g.last = seenJSON{row.Block, isoTime(row.Time)}
	}
	for _, k := range order {
		g := aggs[k]
		if g.sum.Cmp(f.minAmount) < 0 {
			continue
		}
		n := neighbor{Account: k.other, Direction: k.dir, Asset: k.asset, Amount: g.sum.String(), Count: g.count, First: g.first, Last: g.last}
		if other, err := chain.ParseAddress(c, k.other[len(caip2)+1:]); err == nil {
			n.Label, n.Category = l.tagOf(caip2, other)
			n.Entity = l.entityOf(caip2, other)
		}
		out.Neighbors = append(out.Neighbors, n)
	}
	out.Total = len(out.Neighbors)
	// The biggest flows first within each asset; assets by name.
	sort.SliceStable(out.Neighbors, func(i, j int) bool {
		x, y := out.Neighbors[i], out.Neighbors[j]
		if x.Asset != y.Asset {
			return x.Asset == "native" || y.Asset != "native" && x.Asset < y.Asset
		}
		bx, _ := new(big.Int).SetString(x.Amount, 10)
		by, _ := new(big.Int).SetString(y.Amount, 10)
		if d := bx.Cmp(by); d != 0 {
			return d > 0
		}
		return x.Account < y.Account
	})
	if len(out.Neighbors) > f.limit {
		out.Neighbors = out.Neighbors[:f.limit]
	}
	return out, nil
}

// tagOf is the first tag the index holds for an address: its label and
// category, for the canvas's badges.
func (l *lookups) tagOf(caip2 string, a chain.Address) (string, string) {
	tags := l.ix.Tags(intel.Account(caip2, a.String()))
	if len(tags) == 0 {
		return "", ""
	}
	return tags[0].Label, tags[0].Category
}

// entityOf names what the address belongs to, for collapsing addresses on
// the canvas: its co-spend cluster when the store is clustered on its
// chain, else the actor its tags name.
func (l *lookups) entityOf(caip2 string, a chain.Address) string {
	if cl := l.clusters[a.Chain]; cl != nil {
		if id, ok, err := l.st.AddressID(a); err == nil && ok {
			return fmt.Sprintf("cluster:%d", cl.Clusterer().EntityOf(id))
		}
	}
	for _, t := range l.ix.Tags(intel.Account(caip2, a.String())) {
		if t.Actor != "" {
			return "actor:" + t.Actor
		}
	}
	return ""
}

// caseAPI serves the saved cases.
type caseAPI struct{ st *cases.Store }

func (h caseAPI) list(w http.ResponseWriter, r *http.Request) {
	l, err := h.st.List()
	if err != nil {
		problem(w, 500, "Cases unreadable", "%v", err)
		return
	}
	writeAPIJSON(w, struct {
		Cases []cases.Summary `json:"cases"`
	}{l})
}

func (h caseAPI) decode(w http.ResponseWriter, r *http.Request) (*cases.Case, bool) {
	body, ok := readBody(w, r)
	if !ok {
		return nil, false
	}
	c, err := cases.Decode(body)
	if err != nil {
		problem(w, 400, "Invalid case", "%v", err)
		return nil, false
	}
	return c, true
}

func (h caseAPI) answer(w http.ResponseWriter, status int, c *cases.Case, err error) {
	switch {
	case errors.Is(err, cases.ErrNotFound):
		problem(w, 404, "Case not found", "id: no case %s", quoteShort(c0(c)))
	case errors.Is(err, cases.ErrConflict):
		problem(w, 412, "Case changed", "%v: GET it again, or PUT without If-Match to overwrite it", err)
	case err != nil:
		problem(w, 500, "Case not stored", "%v", err)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", strconv.Quote(c.Updated))
		w.WriteHeader(status)
		writeAPIJSON(w, c)
	}
}

// ifMatch is the version an If-Match header names: the Updated of the
// case as the client last read it ("" for none, or *).
func ifMatch(r *http.Request) string {
	v := strings.TrimPrefix(strings.TrimSpace(r.Header.Get("If-Match")), "W/")
	if v == "*" {
		return ""
	}
	if u, err := strconv.Unquote(v); err == nil {
		return u
	}
	return v
}

func c0(c *cases.Case) string {
	if c == nil {
		return ""
	}
	return c.ID
}

func (h caseAPI) create(w http.ResponseWriter, r *http.Request) {
	if c, ok := h.decode(w, r); ok {
		c, err := h.st.Create(c)
		h.answer(w, 201, c, err)
	}
}

func (h caseAPI) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, err := h.st.Get(id)
	if errors.Is(err, cases.ErrNotFound) {
		c = &cases.Case{ID: id}
	}
	h.answer(w, 200, c, err)
}

func (h caseAPI) update(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if c, ok := h.decode(w, r); ok {
		got, err := h.st.UpdateIf(id, c, ifMatch(r))
		if errors.Is(err, cases.ErrNotFound) {
			got = &cases.Case{ID: id}
		}
		h.answer(w, 200, got, err)
	}
}

func (h caseAPI) duplicate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	name := strings.TrimSpace(r.URL.Query().Get("name"))
	if len(name) > 200 {
		problem(w, 400, "Invalid parameter", "name: %d bytes, the limit is 200", len(name))
		return
	}
	c, err := h.st.Duplicate(id, name)
	if errors.Is(err, cases.ErrNotFound) {
		c = &cases.Case{ID: id}
	}
	h.answer(w, 201, c, err)
}

func (h caseAPI) remove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := h.st.Delete(id); err != nil {
		h.answer(w, 0, &cases.Case{ID: id}, err)
		return
	}
	writeAPIJSON(w, deletedOut{Deleted: id})
}

type deletedOut struct {
	Deleted string `json:"deleted"`
}

// casesDir is where serve keeps the workspace's cases.
func casesDir(data string) string { return filepath.Join(data, "cases") }

// mountWorkspace registers the workspace: its pages at / and /ui/, and
// its operations (search, neighbours with scope lookup; cases with scope
// cases).
func mountWorkspace(srv *api.Server, l *lookups, data string) {
	ui := webui.Handler()
	srv.Handle("GET /{$}", ui)
	srv.Handle("GET /ui/", ui)
	caip10 := api.Param{Name: "caip10", In: "path", Description: "CAIP-10 account", Schema: api.Schema{"type": "string", "pattern": "^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}:[-.%a-zA-Z0-9]{1,128}$"}}
	str := api.Schema{"type": "string"}
	srv.Route(api.Route{Method: "GET", Path: "/v1/search", Scope: apikey.ScopeLookup, Tags: []string{"workspace"},
		Summary:     "suggestions for what was typed: an account, an address on a stored chain, a transaction hash, an entity id, tag labels and actors",
		Description: "q is matched exactly as an address, hash or id, and as a case-insensitive substring of tag labels, actors and categories.",
		Params: []api.Param{{Name: "q", In: "query", Required: true, Description: "1 to 200 characters", Schema: api.Schema{"type": "string", "minLength": 1, "maxLength": searchMaxQuery}},
			{Name: "limit", In: "query", Description: "suggestions, 1 to 50 (default 10)", Schema: api.Schema{"type": "integer", "minimum": 1, "maximum": 50}}},
		Responses: map[int]api.Schema{200: api.SchemaOf(searchOut{})}, Problems: []int{400}, Handler: http.HandlerFunc(l.serveSearch)})
	srv.Route(api.Route{Method: "GET", Path: "/v1/addresses/{caip10}/neighbors", Scope: apikey.ScopeLookup, Tags: []string{"workspace"},
		Summary: "an address's counterparties: its transfers aggregated by counterparty, asset and direction, with their tags",
		Params: []api.Param{caip10,
			{Name: "direction", In: "query", Description: "in, out or both (default)", Schema: api.Schema{"type": "string", "enum": []string{"in", "out", "both"}}},
			{Name: "asset", In: "query", Description: "only this asset (CAIP-19, or native)", Schema: str},
			{Name: "from", In: "query", Description: "from this block height or RFC 3339 time", Schema: str},
			{Name: "until", In: "query", Description: "up to this block height or RFC 3339 time (a date: its end)", Schema: str},
			{Name: "min_amount", In: "query", Description: "only flows of at least this many base units", Schema: api.Schema{"type": "string", "pattern": "^[0-9]+$"}},
			{Name: "limit", In: "query", Description: "flows to list, 1 to 500 (default 50); the biggest first", Schema: api.Schema{"type": "integer", "minimum": 1, "maximum": neighborsMaxLimit}}},
		Responses: map[int]api.Schema{200: api.SchemaOf(neighborsOut{})}, Problems: []int{400, 404, 503}, Handler: http.HandlerFunc(l.serveNeighbors)})
	h := caseAPI{st: cases.Open(casesDir(data))}
	caseSchema := api.SchemaOf(cases.Case{})
	id := api.Param{Name: "id", In: "path", Description: "case id, 16 hex digits", Schema: api.Schema{"type": "string"}}
	route := func(method, path, summary string, params []api.Param, req api.Schema, status int, resp api.Schema, problems []int, fn http.HandlerFunc) {
		rt := api.Route{Method: method, Path: path, Scope: apikey.ScopeCases, Tags: []string{"cases"}, Summary: summary, Params: params,
			RequestSchema: req, Problems: problems, Handler: fn, Responses: map[int]api.Schema{status: resp}}
		if req != nil {
			rt.MaxBodyBytes = cases.MaxBytes
		}
		srv.Route(rt)
	}
	route("GET", "/v1/cases", "saved cases, the most recently updated first", nil, nil, 200,
		api.SchemaOf(struct {
			Cases []cases.Summary `json:"cases"`
		}{}), nil, h.list)
	route("POST", "/v1/cases", "save a canvas as a new case, or import an exported case (a new id is assigned)", nil, caseSchema, 201, caseSchema, []int{400}, h.create)
	route("GET", "/v1/cases/{id}", "a case, whole: what export JSON downloads (ETag: its version, the time it was saved)", []api.Param{id}, nil, 200, caseSchema, []int{404}, h.get)
	route("PUT", "/v1/cases/{id}", "replace a case with the canvas as it is now; with If-Match (the ETag it was read with), only if nobody saved it since (else 412)",
		[]api.Param{id, {Name: "If-Match", In: "header", Description: "the case's ETag as last read: refuse with 412 if it was saved since", Schema: str}},
		caseSchema, 200, caseSchema, []int{400, 404, 412}, h.update)
	route("DELETE", "/v1/cases/{id}", "delete a case", []api.Param{id}, nil, 200, api.SchemaOf(deletedOut{}), []int{404}, h.remove)
	route("POST", "/v1/cases/{id}/duplicate", "copy a case under a new id (name: the copy's name; default \"Copy of\" the original's)",
		[]api.Param{id, {Name: "name", In: "query", Description: "the copy's name", Schema: str}}, nil, 201, caseSchema, []int{400, 404}, h.duplicate)
}
