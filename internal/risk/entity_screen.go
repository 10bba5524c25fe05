package risk

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/cockroachdb/pebble/v2"
)

// EntityResult is the exposure of the screened address's entity: the
// addresses its clustering puts with it (one owner), as a whole.
type EntityResult struct {
	ID             uint64        `json:"id"`              // the entity's id: its smallest member's address id (as chainhound entity shows it)
	Members        uint64        `json:"members"`         // addresses in it
	Clustering     string        `json:"clustering"`      // co-spend (Bitcoin) or deposit-reuse (Ethereum)
	ClusteredBlock uint64        `json:"clustered_block"` // the clustering's block the figures follow
	Received       []AssetAmount `json:"received"`        // what its members received from outside it, per asset
	Severity       Severity      `json:"severity"`        // the highest of its indirect exposures
	// Graded says whether the entity's severity counts in the result's
	// (the policy's entity_exposure).
	Graded   bool             `json:"graded"`
	Indirect []EntityExposure `json:"indirect"`
}

// AssetAmount is an amount of one asset.
type AssetAmount struct {
	Asset  string `json:"asset"`
	Amount string `json:"amount"`
}

// EntityExposure is an entity's exposure to one category: the share of
// what its members received from outside it that came from the
// category's addresses within the hops (haircut, the same flows as the
// addresses' exposure), with the members that carry it.
type EntityExposure struct {
	Exposure
	Carriers    []Carrier `json:"carriers"`    // per asset, the member that received the most of it
	Explanation string    `json:"explanation"` // which member, and how the funds entered the entity
}

// Carrier is the member that received the most of an asset's exposure,
// from outside the entity, over every hop the store keeps.
type Carrier struct {
	Asset  string `json:"asset"`
	Member string `json:"member"`
	Amount string `json:"amount"`
}

// clusteringState is a clustering as the screener last saw it.
type clusteringState struct {
	gen   string
	has   bool
	block uint64
	hash  chain.Hash
}

// SetClusterings tells the screener which clusterings the entity figures
// should follow (nil for none), so that a result whose entity figures
// lag the clustering says it is stale.
func (s *Screener) SetClusterings(cl map[chain.Chain]*cluster.DB) error {
	s.clusterings = map[string]clusteringState{}
	for caip2, c := range s.chains {
		db := cl[c]
		if db == nil {
			continue
		}
		gen, err := db.Generation()
		if err != nil {
			return err
		}
		h, hash, has := db.Cursor()
		s.clusterings[caip2] = clusteringState{gen: gen, has: has, block: h, hash: hash}
	}
	return nil
}

// entityFreshness says when the entity figures lag the clustering.
func (s *Screener) entityFreshness(f *Freshness, c chain.Chain, caip2 string, m *chainMeta) error {
	if m.Entities != nil {
		f.ClusteredBlock = m.Entities.Block
	}
	if s.clusterings == nil || f.Stale {
		return nil
	}
	cs, have := s.clusterings[caip2]
	e := m.Entities
	switch {
	case !have && e == nil:
	case !have:
		f.Stale, f.StaleReason = true, "the entity figures follow a clustering that is gone (chainhound risk update)"
	case e == nil:
		f.Stale, f.StaleReason = true, "no entity figures for the clustering yet (chainhound risk update)"
	case e.Generation != cs.gen || e.Has != cs.has || (cs.has && (e.Block != cs.block || e.Hash != cs.hash.String())):
		f.Stale, f.StaleReason = true, fmt.Sprintf("the entity figures follow block %d of the clustering, which is at block %d now (chainhound risk update)", e.Block, cs.block)
	case cs.has:
		h, ok, err := s.Store.BlockHash(c, cs.block)
		if err != nil {
			return err
		}
		if !ok || h != cs.hash {
			f.Stale, f.StaleReason = true, fmt.Sprintf("block %d of the clustering is no longer in the chain store (chainhound cluster update, then risk update)", cs.block)
		}
	}
	return nil
}

// entity reads the exposure of addr's entity, when it has one of two or
// more addresses.
func (s *Screener) entity(r *Result, c chain.Chain, caip2, addr string, hops int) error {
	v, closer, err := s.DB.db.Get(memberKey(caip2, addr))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	handle, _, err := decodeMember(v)
	closer.Close()
	if err != nil {
		return fmt.Errorf("exposure store %s: entity of %s: %w", s.DB.dir, addr, err)
	}
	ck := entityCacheKey{caip2: caip2, handle: handle, hops: hops}
	er, gen, ok := s.entCache.get(s.DB, ck)
	if ok {
		r.Entity = er
		return nil
	}
	var rec entityRec
	ok, err = s.DB.getJSON(entityRecKey(caip2, handle), &rec)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("exposure store %s: entity %d of %s has no record: %w", s.DB.dir, handle, addr, errEntityCorrupt)
	}
	er = &EntityResult{ID: rec.ID, Members: rec.Members, Clustering: clusteringName(c), ClusteredBlock: r.Freshness.ClusteredBlock,
		Received: []AssetAmount{}, Graded: s.Policy.EntityExposure == EntityGrade, Indirect: []EntityExposure{}}
	for _, a := range sortedKeys(rec.Received) {
		er.Received = append(er.Received, AssetAmount{Asset: a, Amount: rec.Received[a]})
	}
	for i := range s.Policy.Categories {
		cat := &s.Policy.Categories[i]
		var cr entCatRec
		ok, err := s.DB.getJSON(entCatKey(caip2, cat.Name, handle), &cr)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		e := EntityExposure{Exposure: Exposure{Category: cat.Name, Direction: "in"}, Carriers: []Carrier{}}
		best, bestShare := "", -1.0
		for _, a := range cr.Assets {
			byHop := a.ByHop[:min(hops, len(a.ByHop))]
			ae := assetExposure(a.Asset, byHop, rec.Received[a.Asset])
			if ae.Amount == "0" {
				continue
			}
			for h, x := range ae.ByHop {
				if x != "0" && (e.Hops == 0 || h+1 < e.Hops) {
					e.Hops = h + 1
				}
			}
			e.Amounts = append(e.Amounts, ae.AssetExposure)
			e.Share = max(e.Share, ae.Share)
			e.EffectiveShare = max(e.EffectiveShare, ae.decayed(s.Policy.HopDecay))
			if ae.Share > bestShare {
				best, bestShare = a.Asset, ae.Share
			}
		}
		if len(e.Amounts) == 0 {
			continue // all of it beyond the hops asked for
		}
		var top carrier
		for _, c := range cr.Carriers {
			e.Carriers = append(e.Carriers, Carrier(c))
			if c.Asset == best {
				top = c
			}
		}
		e.Severity = cat.grade(e.EffectiveShare)
		e.Path = []Step{}
		if top.Member != "" {
			var mrec record
			ok, err := s.DB.getJSON(expoKey(caip2, cat.Name, top.Member), &mrec)
			if err != nil {
				return err
			}
			if ok {
				if e.Path, err = s.path(caip2, cat.Name, mrec); err != nil {
					return err
				}
			}
			if e.Explanation, err = s.explainEntity(caip2, handle, &rec, cat.Name, top, e.Path); err != nil {
				return err
			}
		}
		er.Severity = max(er.Severity, e.Severity)
		er.Indirect = append(er.Indirect, e)
	}
	sortExposures(er.Indirect, func(e *EntityExposure) *Exposure { return &e.Exposure })
	r.Entity = er
	s.entCache.put(ck, er, gen)
	return nil
}

// entityCache keeps the entity objects screens made: every member of an
// entity shares one, and a large entity's members are screened often. It
// is emptied when an update commits (the store's generation) and when it
// is full. The objects are shared and never changed after they are made.
type entityCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[entityCacheKey]*EntityResult
}

type entityCacheKey struct {
	caip2  string
	handle uint64
	hops   int
}

const entityCacheSize = 4096

func (c *entityCache) get(d *DB, k entityCacheKey) (*EntityResult, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g := d.gen.Load(); c.m == nil || g != c.gen {
		c.m, c.gen = map[entityCacheKey]*EntityResult{}, g
	}
	er, ok := c.m[k]
	return er, c.gen, ok
}

// put keeps er, made from the store at generation gen, unless an update
// committed since.
func (c *entityCache) put(k entityCacheKey, er *EntityResult, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= entityCacheSize {
		clear(c.m)
	}
	c.m[k] = er
}

// explainEntity says which member carries the most of an exposure and
// where its path enters the entity.
func (s *Screener) explainEntity(caip2 string, handle uint64, rec *entityRec, cat string, top carrier, path []Step) (string, error) {
	out := fmt.Sprintf("member %s of entity %d (%d addresses) received the most of it from outside the entity: %s %s", top.Member, rec.ID, rec.Members, top.Amount, top.Asset)
	for _, st := range path {
		v, closer, err := s.DB.db.Get(memberKey(caip2, st.To))
		if errors.Is(err, pebble.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		h, _, err := decodeMember(v)
		closer.Close()
		if err != nil {
			return "", err
		}
		if h != handle {
			continue
		}
		where := fmt.Sprintf("; the path from %s enters the entity at hop %d, %s paying %s %s %s in block %d (tx %s)", cat, st.Hop, st.From, st.To, st.Amount, st.Asset, st.Block, st.Tx)
		if st.To != top.Member {
			where += ", then moves within it"
		}
		return out + where, nil
	}
	return out, nil
}

// entityReason is the reason line of an entity's exposure.
func entityReason(er *EntityResult, e *EntityExposure) string {
	s := fmt.Sprintf("entity (in): %.4g%% of what entity %d (%d addresses, %s) received from outside came from %s, first at hop %d",
		100*e.Share, er.ID, er.Members, er.Clustering, e.Category, e.Hops)
	if math.Abs(e.EffectiveShare-e.Share) > 1e-9 {
		s += fmt.Sprintf("; graded on %.4g%% after the hop decay", 100*e.EffectiveShare)
	}
	if len(e.Carriers) > 0 {
		s += "; carried by " + e.Carriers[0].Member
	}
	if !er.Graded {
		s += " (reported, not graded: the policy's entity_exposure)"
	}
	return s
}

func sortedKeys(t totals) []string {
	out := make([]string, 0, len(t))
	for k := range t {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
