package risk

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// Screener answers screens from the exposure store, the attribution index
// and the chain store's cursors.
type Screener struct {
	DB     *DB
	Store  Source
	Index  *intel.Index
	Policy Policy
	Lists  []ListDate // the attribution sources in use, with their dates
	// chains maps a CAIP-2 id the chain store holds to its chain.
	chains map[string]chain.Chain
	policy string                       // the policy's fingerprint
	seeds  map[string]map[string]string // fingerprints of the tags' seeds per chain and category (and exits), to tell a stale exposure
	metas  metaCache
	filter exposedFilter
	// first caches the chain store's first block per chain, by cursor.
	firstMu sync.Mutex
	first   map[chain.Chain]firstEntry
	// entities, when set (SetEntities), lifts tags to co-spend entities.
	entities Entities
	entTags  map[entityKey][]intel.IndexedTag
	// clusterings, when set (SetClusterings), are the clusterings the
	// entity figures should follow, per CAIP-2 chain.
	clusterings map[string]clusteringState
	entCache    entityCache
}

// Entities resolves an address to its entity (a co-spend cluster,
// internal/cluster); ok is false for an address it does not cover.
type Entities interface {
	EntityOf(caip2 string, a chain.Address) (entity uint64, ok bool)
}

type entityKey struct {
	caip2  string
	entity uint64
}

// SetEntities makes direct hits include the tags of the other addresses
// of the screened address's entity. It reads the attribution store once
// to index the tags in a risk category by entity.
func (s *Screener) SetEntities(e Entities, ist *intel.Store) error {
	s.entities, s.entTags = e, map[entityKey][]intel.IndexedTag{}
	if ist == nil {
		return nil
	}
	return ist.EachTag(func(t intel.Tag) error {
		if !t.Listed(time.Time{}) || s.Policy.Of(t.Category) == nil {
			return nil
		}
		caip2 := intel.ChainOf(t.Subject)
		c, ok := s.chains[caip2]
		if !ok {
			return nil
		}
		a, err := chain.ParseAddress(c, intel.AddressOf(t.Subject))
		if err != nil {
			return nil
		}
		ent, ok := e.EntityOf(caip2, a)
		if !ok {
			return nil
		}
		k := entityKey{caip2, ent}
		it := intel.IndexedTag{Subject: t.Subject, Label: t.Label, Category: t.Category, Actor: t.Actor, Confidence: string(t.Confidence),
			Source: t.Source, Origin: t.Origin, ValidFrom: t.ValidFrom}
		s.entTags[k] = append(s.entTags[k], it)
		return nil
	})
}

// ListDate is an attribution source and the date of the list or pack
// in use.
type ListDate struct {
	Source   string `json:"source"`
	Date     string `json:"date,omitempty"`
	Imported string `json:"imported_at"`
}

// NewScreener prepares a screener; lists come from the attribution
// store's import records.
func NewScreener(db *DB, st Source, ix *intel.Index, ist *intel.Store, p Policy) (*Screener, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	s := &Screener{DB: db, Store: st, Index: ix, Policy: p, chains: map[string]chain.Chain{}, policy: p.Fingerprint()}
	for _, c := range []chain.Chain{chain.Ethereum, chain.Bitcoin} {
		n, ok, err := st.Network(c)
		if err != nil {
			return nil, err
		}
		if ok {
			s.chains[n.CAIP2] = c
		}
	}
	seeds, err := seedsOf(ist, &p)
	if err != nil {
		return nil, err
	}
	if _, err := s.filter.mayHave(db, ""); err != nil { // built now, not on the first request
		return nil, err
	}
	s.seeds = map[string]map[string]string{}
	for caip2, byCat := range seeds {
		s.seeds[caip2] = map[string]string{exitsKey: fingerprint(nil)}
		for k, v := range byCat {
			s.seeds[caip2][k] = fingerprint(v)
		}
	}
	if ist != nil {
		recs, err := ist.Imports()
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			l := ListDate{Source: r.Source, Imported: r.At.UTC().Format(time.RFC3339)}
			if !r.Date.IsZero() {
				l.Date = r.Date.UTC().Format(time.DateOnly)
			}
			s.Lists = append(s.Lists, l)
		}
	}
	return s, nil
}

// Chains lists the CAIP-2 ids the screener can screen on.
func (s *Screener) Chains() []string {
	out := make([]string, 0, len(s.chains))
	for k := range s.chains {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Options shape a screen.
type Options struct {
	Direction string // in, out or both (default in)
	MaxHops   int    // 0: the policy's
}

// Result is one address screened.
type Result struct {
	Account   string      `json:"account"` // CAIP-10
	Chain     string      `json:"chain"`
	Address   string      `json:"address"`
	Severity  Severity    `json:"severity"`
	Score     int         `json:"score"` // 0-100, ordered as severity, then share
	Direct    []DirectHit `json:"direct"`
	Indirect  []Exposure  `json:"indirect"`
	Reasons   []string    `json:"reasons"`
	Freshness Freshness   `json:"freshness"`
	// Entity is the exposure of the address's entity (its co-spend or
	// deposit-reuse cluster), when it is in one of two or more addresses.
	Entity *EntityResult `json:"entity,omitempty"`
}

// DirectHit is a tag on the screened address in a risk category.
type DirectHit struct {
	Category    string   `json:"category"`
	Severity    Severity `json:"severity"`
	TagCategory string   `json:"tag_category"`
	Label       string   `json:"label"`
	Actor       string   `json:"actor,omitempty"`
	Source      string   `json:"source"`
	Origin      string   `json:"origin"` // the store source: "ofac-sdn", "tagpack:...", "labels:..."
	Confidence  string   `json:"confidence,omitempty"`
	ValidFrom   string   `json:"valid_from,omitempty"`
	ListDate    string   `json:"list_date,omitempty"` // the date of the list the tag came in
	// Entity and Member are set for a tag on another address of the
	// screened address's entity (co-spend cluster): the entity's id and
	// the tagged member.
	Entity uint64 `json:"entity,omitempty"`
	Member string `json:"member,omitempty"`
}

// Exposure is the share of an address's funds linked to one category
// within the hops, in one direction.
type Exposure struct {
	Category  string   `json:"category"`
	Direction string   `json:"direction"` // in: received from the category; out: sent on to it
	Severity  Severity `json:"severity"`
	// Share is the largest share over the assets; EffectiveShare weighs
	// each hop's share by the policy's decay, and is what the thresholds
	// grade.
	Share          float64         `json:"share"`
	EffectiveShare float64         `json:"effective_share"`
	Hops           int             `json:"hops"` // the fewest
	Amounts        []AssetExposure `json:"amounts"`
	Path           []Step          `json:"path"` // from a category address to the screened one
}

// AssetExposure is the exposure in one asset.
type AssetExposure struct {
	Asset  string   `json:"asset"`
	Amount string   `json:"amount"` // tainted, within the hops
	Total  string   `json:"total"`  // all received (in) or sent (out)
	Share  float64  `json:"share"`
	ByHop  []string `json:"by_hop"` // amount at hop 1, 2, ...
}

// Freshness says how current a result is.
type Freshness struct {
	IndexedBlock  uint64     `json:"indexed_block"` // the chain store's last block
	ExposureBlock uint64     `json:"exposure_block"`
	ExposureTime  string     `json:"exposure_block_time,omitempty"`
	BehindBlocks  uint64     `json:"behind_blocks"`
	Stale         bool       `json:"stale"`                  // the exposure is not that of the indexed blocks and the tags in use
	StaleReason   string     `json:"stale_reason,omitempty"` // why
	NotIndexed    bool       `json:"not_indexed,omitempty"`  // the chain store holds no data of this chain: direct hits only
	Updated       string     `json:"exposure_updated,omitempty"`
	Lists         []ListDate `json:"lists"`
	// ClusteredBlock is the clustering's block the entity figures follow,
	// when the chain has a clustering.
	ClusteredBlock uint64 `json:"clustered_block,omitempty"`
}

// ParseAccount reads a CAIP-10 id, or an address with a default chain
// (a CAIP-2 id, or "" for the only chain the store holds), and checks the
// address for its chain.
func (s *Screener) ParseAccount(v, defaultCAIP2 string) (caip2 string, c chain.Chain, canonical string, err error) {
	v = strings.TrimSpace(v)
	if i := strings.LastIndexByte(v, ':'); i > 0 && strings.Count(v, ":") >= 2 {
		caip2, v = v[:i], v[i+1:]
	} else {
		caip2 = defaultCAIP2
	}
	if caip2 == "" {
		switch {
		case len(s.chains) == 1:
			for k := range s.chains {
				caip2 = k
			}
		case strings.HasPrefix(v, "0x") || strings.HasPrefix(v, "0X"):
			caip2 = "eip155:1"
			for k, c := range s.chains {
				if c == chain.Ethereum {
					caip2 = k
				}
			}
		default:
			return "", 0, "", &AddressError{Err: fmt.Errorf("address %q: give its chain (a CAIP-10 id such as bip122:000000000019d6689c085ae165831e93:1A1z…, or a default chain)", v)}
		}
	}
	c, indexed := s.chains[caip2]
	if !indexed && !addrcheck.Known(caip2) {
		return "", 0, "", &UnknownChainError{CAIP2: caip2, Have: s.Chains()}
	}
	if strings.HasPrefix(caip2, "eip155:") || addrcheck.Known(caip2) {
		canon, warn, err := addrcheck.Normalize(caip2, v)
		if err != nil {
			return "", 0, "", &AddressError{Err: err}
		}
		if warn != "" {
			return "", 0, "", &AddressError{Err: fmt.Errorf("%s address %s: %s", caip2, v, warn)}
		}
		return caip2, c, canon, nil
	}
	if v == "" || strings.ContainsAny(v, " \t/") {
		return "", 0, "", &AddressError{Err: fmt.Errorf("%s address %q is malformed", caip2, v)}
	}
	return caip2, c, v, nil // a chain the checker does not know (a synthetic store): taken as written
}

// UnknownChainError: the chain store holds no such chain.
type UnknownChainError struct {
	CAIP2 string
	Have  []string
}

func (e *UnknownChainError) Error() string {
	return fmt.Sprintf("chain %q: the store holds %s", e.CAIP2, strings.Join(e.Have, ", "))
}

// AddressError: an address is not valid for its chain.
type AddressError struct{ Err error }

func (e *AddressError) Error() string { return e.Err.Error() }
func (e *AddressError) Unwrap() error { return e.Err }

// Screen screens one address (CAIP-10, or plain with defaultCAIP2).
func (s *Screener) Screen(account, defaultCAIP2 string, o Options) (*Result, error) {
	caip2, c, addr, err := s.ParseAccount(account, defaultCAIP2)
	if err != nil {
		return nil, err
	}
	hops := o.MaxHops
	if hops == 0 {
		hops = s.Policy.MaxHops
	}
	if hops < 1 || hops > s.Policy.MaxHops {
		return nil, fmt.Errorf("max hops %d: the exposure store keeps 1 to %d (the policy's max_hops)", hops, s.Policy.MaxHops)
	}
	dir := o.Direction
	if dir == "" {
		dir = "in"
	}
	if dir != "in" && dir != "out" && dir != "both" {
		return nil, fmt.Errorf("direction %q: want in, out or both", dir)
	}
	r := &Result{Account: caip2 + ":" + addr, Chain: caip2, Address: addr, Direct: []DirectHit{}, Indirect: []Exposure{}, Reasons: []string{}}
	s.direct(r, caip2)
	if _, indexed := s.chains[caip2]; !indexed { // lists only: no chain data to find exposure in
		r.Freshness = Freshness{Stale: true, NotIndexed: true, Lists: s.Lists}
		if r.Freshness.Lists == nil {
			r.Freshness.Lists = []ListDate{}
		}
		s.grade(r)
		return r, nil
	}
	if err := s.freshness(r, c, caip2); err != nil {
		return nil, err
	}
	if dir == "in" || dir == "both" {
		if err := s.inbound(r, caip2, addr, hops); err != nil {
			return nil, err
		}
		if err := s.entity(r, c, caip2, addr, hops); err != nil {
			return nil, err
		}
	}
	if dir == "out" || dir == "both" {
		if err := s.outbound(r, c, caip2, addr, hops); err != nil {
			return nil, err
		}
	}
	s.grade(r)
	return r, nil
}

func (s *Screener) direct(r *Result, caip2 string) {
	tags := s.Index.Tags(intel.Subject(r.Account))
	own := len(tags)
	var ent uint64
	if s.entities != nil {
		if c, ok := s.chains[caip2]; ok {
			if a, err := chain.ParseAddress(c, r.Address); err == nil {
				var in bool
				if ent, in = s.entities.EntityOf(caip2, a); in {
					for _, t := range s.entTags[entityKey{caip2, ent}] {
						if t.Subject != intel.Subject(r.Account) {
							tags = append(tags, t)
						}
					}
				}
			}
		}
	}
	for i, t := range tags {
		cat := s.Policy.Of(t.Category)
		if cat == nil {
			continue
		}
		h := DirectHit{Category: cat.Name, Severity: cat.Direct, TagCategory: t.Category, Label: t.Label, Actor: t.Actor,
			Source: t.Source, Origin: t.Origin, Confidence: t.Confidence}
		if !t.ValidFrom.IsZero() {
			h.ValidFrom = t.ValidFrom.Format(time.DateOnly)
		}
		for _, l := range s.Lists {
			if l.Source == t.Origin {
				h.ListDate = l.Date
			}
		}
		if i >= own {
			h.Entity, h.Member = ent, intel.AddressOf(t.Subject)
		}
		r.Direct = append(r.Direct, h)
	}
	slices.SortStableFunc(r.Direct, func(a, b DirectHit) int { return int(b.Severity) - int(a.Severity) })
}

func (s *Screener) freshness(r *Result, c chain.Chain, caip2 string) (err error) {
	r.Freshness.Lists = s.Lists
	if r.Freshness.Lists == nil {
		r.Freshness.Lists = []ListDate{}
	}
	cur, ok, err := s.Store.Cursor(c)
	if err != nil {
		return err
	}
	if ok {
		r.Freshness.IndexedBlock = cur.Height
	}
	m, ok, err := s.metas.get(s.DB, caip2)
	if err != nil {
		return err
	}
	if ok {
		r.Freshness.ExposureBlock, r.Freshness.Updated = m.Block, m.Updated
		if m.Time != 0 {
			r.Freshness.ExposureTime = time.Unix(m.Time, 0).UTC().Format(time.RFC3339)
		}
	}
	f := &r.Freshness
	defer func() {
		if ok && err == nil {
			err = s.entityFreshness(f, c, caip2, &m)
		}
	}()
	switch {
	case !ok:
		f.Stale, f.StaleReason, f.BehindBlocks = true, "no exposure computed for this chain yet (chainhound risk update)", f.IndexedBlock+1
	case f.IndexedBlock > m.Block:
		f.Stale, f.StaleReason, f.BehindBlocks = true, fmt.Sprintf("the exposure covers blocks up to %d of %d indexed", m.Block, f.IndexedBlock), f.IndexedBlock-m.Block
	case f.IndexedBlock < m.Block || cur.Hash.String() != m.Hash || s.firstBlock(c, cur) != m.First:
		f.Stale, f.StaleReason = true, fmt.Sprintf("block %d of the exposure is no longer in the chain store (reorganised or rolled back)", m.Block)
	case m.Policy != s.policy:
		f.Stale, f.StaleReason = true, "the exposure was computed under another policy's hops or categories"
	case m.Exits != s.seedsFP(caip2, exitsKey):
		f.Stale, f.StaleReason = true, "the services (exits) in the attribution store changed since the exposure was computed"
	default:
		for _, cat := range s.Policy.Categories {
			if m.Cats[cat.Name].Fingerprint != s.seedsFP(caip2, cat.Name) {
				f.Stale, f.StaleReason = true, fmt.Sprintf("the tags of category %s changed since the exposure was computed", cat.Name)
				break
			}
		}
	}
	return nil
}

// firstBlock is the chain store's first block of c, read again when the
// cursor moved (cur is the cursor just read).
func (s *Screener) firstBlock(c chain.Chain, cur store.Cursor) uint64 {
	s.firstMu.Lock()
	defer s.firstMu.Unlock()
	if e, ok := s.first[c]; ok && e.cur == cur {
		return e.first
	}
	h, _, _ := s.Store.FirstBlock(c)
	if s.first == nil {
		s.first = map[chain.Chain]firstEntry{}
	}
	s.first[c] = firstEntry{cur, h}
	return h
}

type firstEntry struct {
	cur   store.Cursor
	first uint64
}

// seedsFP is the fingerprint of a category's seeds (or the exits) now.
func (s *Screener) seedsFP(caip2, key string) string {
	if fp, ok := s.seeds[caip2][key]; ok {
		return fp
	}
	return noSeeds
}

var noSeeds = fingerprint(nil)

// inbound reads what the address received from each category.
func (s *Screener) inbound(r *Result, caip2, addr string, hops int) error {
	if may, err := s.filter.mayHave(s.DB, caip2+":"+addr); err != nil || !may {
		return err
	}
	var tot totals
	for i := range s.Policy.Categories {
		cat := &s.Policy.Categories[i]
		var rec record
		ok, err := s.DB.getJSON(expoKey(caip2, cat.Name, addr), &rec)
		if err != nil {
			return err
		}
		if !ok || rec.Hop > hops {
			continue
		}
		if tot == nil {
			if _, err := s.DB.getJSON(totalsKey(caip2, addr), &tot); err != nil {
				return err
			}
		}
		e := Exposure{Category: cat.Name, Direction: "in", Hops: rec.Hop}
		for _, a := range rec.Assets {
			ae := assetExposure(a.Asset, a.ByHop[:min(hops, len(a.ByHop))], tot[a.Asset])
			e.Amounts = append(e.Amounts, ae.AssetExposure)
			e.Share = max(e.Share, ae.Share)
			e.EffectiveShare = max(e.EffectiveShare, ae.decayed(s.Policy.HopDecay))
		}
		path, err := s.path(caip2, cat.Name, rec)
		if err != nil {
			return err
		}
		e.Path = path
		e.Severity = cat.grade(e.EffectiveShare)
		r.Indirect = append(r.Indirect, e)
	}
	return nil
}

// path explains an exposure, reading the senders' records.
func (s *Screener) path(caip2, cat string, rec record) ([]Step, error) {
	return explain(&rec, func(addr string) (*record, error) {
		var r record
		ok, err := s.DB.getJSON(expoKey(caip2, cat, addr), &r)
		if !ok || err != nil {
			return nil, err
		}
		return &r, nil
	})
}

type assetShare struct {
	AssetExposure
	byHop []float64
}

// assetExposure sums an asset's hops and divides by its total.
func assetExposure(asset string, byHop []string, total string) assetShare {
	var sum, tot uint256.Int
	_ = tot.SetFromDecimal(total)
	a := assetShare{AssetExposure: AssetExposure{Asset: asset, ByHop: make([]string, len(byHop))}, byHop: make([]float64, len(byHop))}
	for i, h := range byHop {
		var v uint256.Int
		if h != "" {
			_ = v.SetFromDecimal(h)
		}
		sum.Add(&sum, &v)
		a.ByHop[i] = v.Dec()
		a.byHop[i] = ratio(&v, &tot)
	}
	a.Amount, a.Total, a.Share = sum.Dec(), tot.Dec(), ratio(&sum, &tot)
	return a
}

// ratio is v/t as a float in [0, 1] (1 when t is zero and v is not: the
// totals lag, the exposure does not).
func ratio(v, t *uint256.Int) float64 {
	if v.IsZero() {
		return 0
	}
	if t.IsZero() || v.Gt(t) {
		return 1
	}
	return v.Float64() / t.Float64()
}

func (a *assetShare) decayed(decay float64) float64 {
	e := 0.0
	for i, f := range a.byHop {
		e += f * math.Pow(decay, float64(i))
	}
	return min(e, 1)
}

// grade sets the result's severity, score and reasons.
func (s *Screener) grade(r *Result) {
	best, score := None, 0
	for _, h := range r.Direct {
		best = max(best, h.Severity)
		score = max(score, band(h.Severity)+9)
		via := ""
		if h.Member != "" {
			via = fmt.Sprintf(", on %s of the same entity %d", h.Member, h.Entity)
		}
		r.Reasons = append(r.Reasons, fmt.Sprintf("direct: %s (%s: %q, %s%s)", h.Category, h.TagCategory, h.Label, h.Origin, via))
	}
	sortExposures(r.Indirect, func(e *Exposure) *Exposure { return e })
	for _, e := range r.Indirect {
		best = max(best, e.Severity)
		if e.Severity > None {
			score = max(score, band(e.Severity)+int(math.Round(9*e.EffectiveShare)))
			r.Reasons = append(r.Reasons, indirectReason(&e))
		}
	}
	if er := r.Entity; er != nil {
		for i := range er.Indirect {
			e := &er.Indirect[i]
			if e.Severity == None {
				continue
			}
			if er.Graded {
				best = max(best, e.Severity)
				score = max(score, band(e.Severity)+int(math.Round(9*e.EffectiveShare)))
			}
			r.Reasons = append(r.Reasons, entityReason(er, e))
		}
	}
	r.Severity, r.Score = best, score
}

// sortExposures orders exposures most serious first, then by effective
// share.
func sortExposures[T any](list []T, exp func(*T) *Exposure) {
	slices.SortStableFunc(list, func(x, y T) int {
		a, b := exp(&x), exp(&y)
		if a.Severity != b.Severity {
			return int(b.Severity) - int(a.Severity)
		}
		switch {
		case a.EffectiveShare > b.EffectiveShare:
			return -1
		case a.EffectiveShare < b.EffectiveShare:
			return 1
		}
		return 0
	})
}

// indirectReason says what share of the address's funds is linked to
// the category and at which hop, and, when the hop decay changed it, the
// weighted share the thresholds graded: a deposit address whose every wei
// is stolen, two hops from the theft, is 100% stolen, graded as 50%.
func indirectReason(e *Exposure) string {
	what := "of what it received came from"
	if e.Direction == "out" {
		what = "of what it sent went to"
	}
	s := fmt.Sprintf("indirect (%s): %.4g%% %s %s, first at hop %d (of at most %d)",
		e.Direction, 100*e.Share, what, e.Category, e.Hops, len(e.Amounts[0].ByHop))
	if math.Abs(e.EffectiveShare-e.Share) > 1e-9 {
		s += fmt.Sprintf("; graded on %.4g%% after the hop decay", 100*e.EffectiveShare)
	}
	return s
}

// band is the lowest score of a severity: severe 90-99, high 70-79,
// medium 40-49, low 10-19.
func band(s Severity) int {
	return [...]int{0, 10, 40, 70, 90}[s]
}
