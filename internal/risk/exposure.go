package risk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/trace"
	"github.com/cockroachdb/pebble/v2"
	"github.com/holiman/uint256"
)

// Source is what the exposure engine reads of the chain store; *store.DB
// implements it.
type Source interface {
	store.Reader
	trace.UTXOSource
	FirstBlock(c chain.Chain) (uint64, bool, error)
	BlockTime(c chain.Chain, h uint64) (int64, bool, error)
	// Address resolves an address id (the clusterings name addresses by
	// their ids).
	Address(id uint64) (chain.Address, error)
}

// Inputs are what exposure is computed from.
type Inputs struct {
	Store  Source
	Intel  *intel.Store // the tags that make the seeds (held now)
	Index  *intel.Index // the same tags, indexed: which addresses are services (exits)
	Policy Policy
	Log    *slog.Logger
	// Clusters are the chains' clusterings (DATA/cluster for Bitcoin,
	// DATA/cluster-eth for Ethereum), whose entities get exposure
	// figures; a chain without one has none.
	Clusters map[chain.Chain]*cluster.DB
}

// UpdateReport says what an update did per chain.
type UpdateReport struct {
	Chains []ChainUpdate `json:"chains"`
}

// ChainUpdate is one chain's part of an update.
type ChainUpdate struct {
	CAIP2      string   `json:"caip2"`
	From       uint64   `json:"from_block"` // 0 with Rebuilt: from the start
	To         uint64   `json:"to_block"`
	Rebuilt    bool     `json:"rebuilt"`
	Reason     string   `json:"reason,omitempty"`
	Retraced   []string `json:"retraced,omitempty"` // categories traced from the start (seeds changed)
	Resumed    []string `json:"resumed,omitempty"`  // categories continued from their state
	Flows      int      `json:"flows"`
	Exposed    int      `json:"exposed"` // addresses with exposure, all categories
	DurationMS int64    `json:"duration_ms"`
	// Entities is what the update did to the entity figures, when the
	// chain has a clustering (or had one).
	Entities *EntityUpdate `json:"entities,omitempty"`
}

// Rebuild drops the exposure store's content and computes it again from
// the whole chain store.
func (d *DB) Rebuild(ctx context.Context, in Inputs) (*UpdateReport, error) {
	if err := d.clear(); err != nil {
		return nil, err
	}
	return d.Update(ctx, in)
}

// clear deletes everything the exposure store holds but the update marker.
func (d *DB) clear() error {
	b := d.db.NewBatch()
	defer b.Close()
	for _, p := range append([]byte{pMeta, pState, pExpo, pTotals, pEdgeIn, pEdgeOut}, entityFamilies...) {
		if err := b.DeleteRange([]byte{p}, []byte{p + 1}, nil); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	d.gen.Add(1)
	return nil
}

// Update brings the exposure store up to the chain store's cursor on
// every chain: each category's trace continues from its state over the
// new blocks (a category whose seeds changed, after a tag import, is
// traced again from the start), and the totals of exposed addresses take
// in what they received since. A chain whose covered block was
// reorganised away, or whose policy changed, is rebuilt.
func (d *DB) Update(ctx context.Context, in Inputs) (*UpdateReport, error) {
	if err := in.Policy.Check(); err != nil {
		return nil, err
	}
	if in.Log == nil {
		in.Log = slog.New(slog.DiscardHandler)
	}
	dirty, err := d.dirty()
	if err != nil {
		return nil, err
	}
	if dirty { // an update stopped half way: start over
		in.Log.Warn("the last exposure update did not finish: rebuilding", "dir", d.dir)
		if err := d.clear(); err != nil {
			return nil, err
		}
	}
	if err := d.db.Set([]byte(kDirty), nil, pebble.Sync); err != nil {
		return nil, err
	}
	seeds, err := seedsOf(in.Intel, &in.Policy)
	if err != nil {
		return nil, err
	}
	rep := &UpdateReport{}
	for _, c := range []chain.Chain{chain.Ethereum, chain.Bitcoin} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cu, ok, err := d.updateChain(ctx, in, c, seeds)
		if err != nil {
			return nil, fmt.Errorf("exposure of %s: %w", c, err)
		}
		if ok {
			rep.Chains = append(rep.Chains, cu)
		}
	}
	if err := d.db.Delete([]byte(kDirty), pebble.Sync); err != nil {
		return nil, err
	}
	for _, cu := range rep.Chains {
		if cu.Rebuilt { // a bulk load: compact it, so screens read few tables, each with its bloom filter
			return rep, d.db.Compact(ctx, []byte{0}, []byte{0xff}, true)
		}
	}
	return rep, nil
}

// exitsKey lists, beside the categories, the addresses that are services
// (exits) to the traces: a change there changes every category's trace.
const exitsKey = "\x00exits"

var exitCategories = trace.DefaultPolicy().ExitCategories

// seedsOf lists each category's addresses per CAIP-2 chain, from the tags
// that hold now, and the chain's services.
func seedsOf(ist *intel.Store, p *Policy) (map[string]map[string][]string, error) {
	out := map[string]map[string][]string{}
	if ist == nil {
		return out, nil
	}
	err := ist.EachTag(func(t intel.Tag) error {
		if !t.Listed(time.Time{}) {
			return nil
		}
		addr, caip2 := intel.AddressOf(t.Subject), intel.ChainOf(t.Subject)
		if addr == "" {
			return nil
		}
		if out[caip2] == nil {
			out[caip2] = map[string][]string{}
		}
		if slices.Contains(exitCategories, t.Category) {
			out[caip2][exitsKey] = append(out[caip2][exitsKey], addr)
		}
		if cat := p.Of(t.Category); cat != nil {
			out[caip2][cat.Name] = append(out[caip2][cat.Name], addr)
		}
		return nil
	})
	for _, byCat := range out {
		for k, v := range byCat {
			slices.Sort(v)
			byCat[k] = slices.Compact(v)
		}
	}
	return out, err
}

func fingerprint(addrs []string) string {
	h := sha256.New()
	for _, a := range addrs {
		h.Write([]byte(a))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func (d *DB) updateChain(ctx context.Context, in Inputs, c chain.Chain, seeds map[string]map[string][]string) (ChainUpdate, bool, error) {
	start := time.Now()
	net, ok, err := in.Store.Network(c)
	if err != nil || !ok {
		return ChainUpdate{}, false, err
	}
	cur, ok, err := in.Store.Cursor(c)
	if err != nil || !ok {
		return ChainUpdate{}, false, err
	}
	caip2 := net.CAIP2
	cu := ChainUpdate{CAIP2: caip2, To: cur.Height}
	m, have, err := d.meta(caip2)
	if err != nil {
		return cu, false, err
	}
	first, _, err := in.Store.FirstBlock(c)
	if err != nil {
		return cu, false, err
	}
	switch {
	case !have:
		cu.Rebuilt, cu.Reason = true, "first build"
	case m.Format != storeFormat:
		cu.Rebuilt, cu.Reason = true, "the exposure store's format changed (flow edges for entity exposure)"
	case m.First != first:
		cu.Rebuilt, cu.Reason = true, fmt.Sprintf("the chain store now starts at block %d, not %d", first, m.First)
	case m.Policy != in.Policy.Fingerprint():
		cu.Rebuilt, cu.Reason = true, "the policy's hops or categories changed"
	case m.Exits != fingerprint(seeds[caip2][exitsKey]):
		cu.Rebuilt, cu.Reason = true, "the services (exits) the traces stop at changed"
	case m.Block > cur.Height:
		cu.Rebuilt, cu.Reason = true, fmt.Sprintf("the chain store is at block %d, below the exposure's %d (reorganised or replaced)", cur.Height, m.Block)
	default:
		h, ok, err := in.Store.BlockHash(c, m.Block)
		if err != nil {
			return cu, false, err
		}
		if !ok || h.String() != m.Hash {
			cu.Rebuilt, cu.Reason = true, fmt.Sprintf("block %d was reorganised away", m.Block)
		}
	}
	b := d.db.NewBatch()
	defer b.Close()
	oldEnt := m.Entities
	if cu.Rebuilt {
		for _, p := range []byte{pState, pExpo, pTotals, pEdgeIn, pEdgeOut} {
			lo := chainFamilyPrefix(p, caip2, "")
			if err := b.DeleteRange(lo, prefixEnd(lo), nil); err != nil {
				return cu, false, err
			}
		}
		m = chainMeta{CAIP2: caip2}
	} else {
		cu.From = m.Block + 1
	}
	// The entity partition follows the clustering first, against the
	// blocks covered so far; the new blocks then count with it.
	upto := m.Block
	if cu.Rebuilt {
		upto = cur.Height
	}
	entStart := time.Now()
	entMeta, eu, err := d.followClustering(ctx, in, c, caip2, oldEnt, cu.Rebuilt, upto, seeds[caip2])
	if err != nil {
		return cu, false, fmt.Errorf("entities: %w", err)
	}
	if eu != nil {
		eu.DurationMS = time.Since(entStart).Milliseconds()
		cu.Entities = eu
		in.Log.Info("entities followed", "chain", caip2, "clustering_block", eu.Block, "how", eu.How, "merges", eu.Merges, "recomputed", eu.Recomputed, "entities", eu.Entities, "took", time.Since(entStart).Round(time.Millisecond))
	}
	// Totals of addresses exposed before take in what the new blocks paid them.
	w := &writer{d: d, b: b, c: c, caip2: caip2, recs: map[string]*record{}, tot: map[string]totals{}, pending: map[chain.Address]string{}, rebuilt: cu.Rebuilt,
		edges: map[[2]string]*edge{}}
	if entMeta != nil {
		w.ent = newEntWriter(d, caip2, in.Policy.MaxHops)
	}
	if !cu.Rebuilt && m.Block < cur.Height {
		if err := w.tail(in.Store, m.Block+1, cur.Height); err != nil {
			return cu, false, err
		}
	}
	exits, err := trace.DefaultPolicy().Exits(caip2, func(cats []string) trace.Services {
		return &trace.IntelServices{Index: in.Index, CAIP2: caip2, Categories: cats, Freezing: trace.DefaultPolicy().FreezingVenues}
	}, nil)
	if err != nil {
		return cu, false, err
	}
	exits.SkipRemaining = true // exposure needs what arrived, not what stayed: services are not replayed
	bounds := trace.Bounds{MaxHops: in.Policy.MaxHops, Until: cur.Height, HasUntil: true, Exits: exits}
	at, _, err := in.Store.BlockTime(c, cur.Height)
	if err != nil {
		return cu, false, err
	}
	newMeta := chainMeta{CAIP2: caip2, Block: cur.Height, First: first, Hash: cur.Hash.String(), Time: at, Policy: in.Policy.Fingerprint(),
		Exits: fingerprint(seeds[caip2][exitsKey]), Updated: time.Now().UTC().Format(time.RFC3339), Cats: map[string]seedsMeta{},
		Format: storeFormat, Entities: entMeta}
	for _, cat := range in.Policy.Categories {
		if err := ctx.Err(); err != nil {
			return cu, false, err
		}
		addrs := seeds[caip2][cat.Name]
		fp := fingerprint(addrs)
		old, had := m.Cats[cat.Name]
		retrace := cu.Rebuilt || !had || old.Fingerprint != fp
		if !retrace && len(addrs) > 0 && c != chain.Bitcoin {
			// A tagged address the store had not seen at the last update is
			// no seed of the kept trace: once it appears, trace anew.
			if retrace, err = d.unseeded(in.Store, c, caip2, cat.Name, addrs); err != nil {
				return cu, false, err
			}
		}
		w.cat, w.maxHops, w.fresh = cat.Name, in.Policy.MaxHops, retrace
		if w.ent != nil {
			w.ent.startCategory(cat.Name, retrace)
		}
		w.bulk = w.bulk || retrace
		var res *trace.Result
		switch {
		case len(addrs) == 0:
			if had && old.Seeds > 0 { // its seeds are gone: so is its exposure
				if err := w.dropCategory(); err != nil {
					return cu, false, err
				}
				cu.Retraced = append(cu.Retraced, cat.Name)
			}
			b.Delete(stateKey(caip2, cat.Name), nil)
			newMeta.Cats[cat.Name] = seedsMeta{Fingerprint: fp}
			continue
		case retrace:
			if !cu.Rebuilt {
				if err := w.dropCategory(); err != nil {
					return cu, false, err
				}
			}
			res, err = d.trace(in.Store, c, bounds, addrs, first, w)
			cu.Retraced = append(cu.Retraced, cat.Name)
		default:
			res, err = d.resume(in.Store, c, bounds, addrs, w)
			cu.Resumed = append(cu.Resumed, cat.Name)
		}
		if err != nil {
			return cu, false, fmt.Errorf("category %s: %w", cat.Name, err)
		}
		if err := w.add(res.Flows); err != nil {
			return cu, false, err
		}
		in.Log.Info("category traced", "chain", caip2, "category", cat.Name, "seeds", len(addrs), "anew", retrace,
			"flows", len(res.Flows), "exposed", w.created, "elapsed", time.Since(start).Round(time.Millisecond))
		cu.Flows += len(res.Flows)
		exposed := old.Exposed
		if retrace {
			exposed = 0
		}
		newMeta.Cats[cat.Name] = seedsMeta{Seeds: len(addrs), Fingerprint: fp, Exposed: exposed + w.created}
		if err := w.flush(); err != nil {
			return cu, false, err
		}
	}
	if err := w.finish(in.Store, cur.Height); err != nil {
		return cu, false, err
	}
	if err := setJSON(b, metaKey(caip2), newMeta); err != nil {
		return cu, false, err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return cu, false, err
	}
	d.gen.Add(1)
	for _, s := range newMeta.Cats {
		cu.Exposed += s.Exposed
	}
	cu.DurationMS = time.Since(start).Milliseconds()
	in.Log.Info("exposure updated", "chain", caip2, "from", cu.From, "to", cu.To, "rebuilt", cu.Rebuilt, "flows", cu.Flows, "took", time.Since(start).Round(time.Millisecond))
	return cu, true, nil
}

// trace runs a category's trace from its seeds (everything they receive
// is tainted, from the first block on) and keeps its state for the next
// update.
func (d *DB) trace(s Source, c chain.Chain, b trace.Bounds, addrs []string, first uint64, w *writer) (*trace.Result, error) {
	if c == chain.Bitcoin {
		seeds, err := outputSeeds(s, c, addrs, first)
		if err != nil {
			return nil, err
		}
		res, st, err := trace.TraceUTXOState(s, c, trace.Haircut, b, seeds)
		if err != nil {
			return nil, err
		}
		return res, putState(w.b, w.caip2, w.cat, traceState{UTXO: st})
	}
	var seeds []trace.AccountSeed
	for _, a := range addrs {
		addr, err := chain.ParseAddress(c, a)
		if err != nil {
			continue // a tag on an address of another form: not on this chain's store
		}
		if ok, err := addressKnown(s, addr); err != nil {
			return nil, err
		} else if !ok {
			continue // never seen on chain: nothing to trace
		}
		seeds = append(seeds, trace.AccountSeed{Address: addr, FromBlock: first})
	}
	res, st, err := trace.TraceAccountState(s, c, b, seeds)
	if err != nil {
		return nil, err
	}
	return res, putState(w.b, w.caip2, w.cat, traceState{Account: st})
}

// unseeded reports whether an address of the category is on chain now
// but is not followed by the category's kept account trace.
func (d *DB) unseeded(s Source, c chain.Chain, caip2, cat string, addrs []string) (bool, error) {
	st, ok, err := d.state(caip2, cat)
	if err != nil || !ok || st.Account == nil {
		return !ok, err
	}
	have := make(map[chain.Address]bool, len(st.Account.Addresses))
	for _, a := range st.Account.Addresses {
		have[a.Address] = a.SeedAll // followed as a seed, not merely tainted
	}
	for _, a := range addrs {
		addr, err := chain.ParseAddress(c, a)
		if err != nil || have[addr] {
			continue
		}
		if known, err := addressKnown(s, addr); err != nil || known {
			return known, err
		}
	}
	return false, nil
}

// resume continues a category's trace from its state over the new
// blocks; on UTXO chains the outputs paying its addresses in them are new
// seeds.
func (d *DB) resume(s Source, c chain.Chain, b trace.Bounds, addrs []string, w *writer) (*trace.Result, error) {
	st, ok, err := d.state(w.caip2, w.cat)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("the trace state is missing (run chainhound risk rebuild)")
	}
	if st.UTXO != nil {
		seeds, err := outputSeeds(s, c, addrs, st.UTXO.Block+1)
		if err != nil {
			return nil, err
		}
		res, next, err := trace.ResumeUTXO(s, c, trace.Haircut, b, st.UTXO, seeds)
		if err != nil {
			return nil, err
		}
		return res, putState(w.b, w.caip2, w.cat, traceState{UTXO: next})
	}
	if st.Account == nil {
		return nil, fmt.Errorf("the trace state is not an account chain's (run chainhound risk rebuild)")
	}
	res, next, err := trace.ResumeAccount(s, c, b, st.Account)
	if err != nil {
		return nil, err
	}
	return res, putState(w.b, w.caip2, w.cat, traceState{Account: next})
}

// outputSeeds lists the outputs paying addrs from block from on, as
// seeds (all their value tainted).
func outputSeeds(s Source, c chain.Chain, addrs []string, from uint64) ([]trace.UTXOSeed, error) {
	var seeds []trace.UTXOSeed
	for _, a := range addrs {
		outs, err := trace.AddressOutputs(s, c, chain.Address{Chain: c, Raw: a}, from)
		if err != nil {
			return nil, err
		}
		for _, o := range outs {
			seeds = append(seeds, trace.UTXOSeed{Outpoint: o.Outpoint})
		}
	}
	return seeds, nil
}

// addressKnown reports whether the store holds transfers of a.
func addressKnown(s Source, a chain.Address) (bool, error) {
	for _, err := range s.Transfers(store.Query{Chain: a.Chain, Address: &a}) {
		return err == nil, err
	}
	return false, nil
}

// writer gathers one chain's records and totals in a batch.
type writer struct {
	d       *DB
	b       *pebble.Batch
	c       chain.Chain
	caip2   string
	cat     string
	maxHops int
	recs    map[string]*record       // of the current category
	tot     map[string]totals        // totals read or changed in this update
	pending map[chain.Address]string // addresses that became exposed, whose totals are read at the end
	created int                      // records the current category created
	fresh   bool                     // the current category is traced anew: its stored records are void
	rebuilt bool                     // the chain is rebuilt: its stored totals are void
	bulk    bool                     // a category is traced from the start: a scan of the chain is worth it
	edges   map[[2]string]*edge      // the current category's flow edges (to, from) read or changed
	ent     *entWriter               // the entity figures, when the chain has a clustering
}

// received reports whether row counts in addr's totals: value paid to it,
// fees aside (the block producer is not followed by the trace either) and
// ERC-721 tokens aside (not fungible).
func received(row *store.Row) bool {
	if row.Kind == chain.KindFee || row.TokenID != nil || row.To.None() {
		return false
	}
	// On account chains a payment to oneself moves nothing (and the trace
	// makes no flow of it): counting it would let an address dilute its
	// share at will. On UTXO chains change back to the spender is a real
	// output, tainted or not, and counts on both sides.
	return row.Chain == chain.Bitcoin || row.From != row.To
}

// tail adds the new blocks' receipts to the totals of exposed addresses.
func (w *writer) tail(s Source, from, to uint64) error {
	for row, err := range s.Transfers(store.Query{Chain: w.c, FromBlock: from, ToBlock: to, HasToBlock: true}) {
		if err != nil {
			return err
		}
		if !received(&row) {
			continue
		}
		if w.ent != nil {
			if err := w.ent.received(&row, w.caip2); err != nil {
				return err
			}
		}
		addr := row.To.String()
		t, err := w.totals(addr)
		if err != nil {
			return err
		}
		if t == nil {
			continue // not exposed (yet): its totals are read whole when it is
		}
		addAmount(t, row.Asset.CAIP19(w.caip2), &row.Amount)
	}
	return nil
}

func (w *writer) totals(addr string) (totals, error) {
	if t, ok := w.tot[addr]; ok {
		return t, nil
	}
	if w.rebuilt {
		w.tot[addr] = nil
		return nil, nil
	}
	var t totals
	ok, err := w.d.getJSON(totalsKey(w.caip2, addr), &t)
	if err != nil {
		return nil, err
	}
	if !ok {
		t = nil
	}
	w.tot[addr] = t
	return t, nil
}

func addAmount(t totals, asset string, v *uint256.Int) {
	var sum uint256.Int
	if s, ok := t[asset]; ok {
		_ = sum.SetFromDecimal(s)
	}
	sum.Add(&sum, v)
	t[asset] = sum.Dec()
}

// dropCategory deletes the current category's records, flow edges and
// entity figures.
func (w *writer) dropCategory() error {
	lo := expoPrefix(w.caip2, w.cat)
	if err := w.b.DeleteRange(lo, prefixEnd(lo), nil); err != nil {
		return err
	}
	for _, p := range []byte{pEdgeIn, pEdgeOut, pEntCat, pEntPart} {
		lo := chainFamilyPrefix(p, w.caip2, w.cat)
		if err := w.b.DeleteRange(lo, prefixEnd(lo), nil); err != nil {
			return err
		}
	}
	return nil
}

// add takes in a trace's flows: each flow into an address, up to the
// policy's hops, adds its amount at its hop; the largest flow at the
// fewest hop (the first of equal ones) explains the exposure.
func (w *writer) add(flows []trace.Flow) error {
	w.created = 0
	for i := range flows {
		f := &flows[i]
		if f.Swap || f.Kind == chain.KindFee || f.Kind == chain.KindBurn || f.To.None() || f.Hop < 1 || f.Hop > w.maxHops || f.Amount.IsZero() {
			continue
		}
		to := f.To.String()
		r, err := w.record(to)
		if err != nil {
			return err
		}
		asset := f.Asset.CAIP19(w.caip2)
		if err := w.edge(to, f.From.String(), asset, f.Hop, &f.Amount); err != nil {
			return err
		}
		if w.ent != nil {
			if err := w.ent.flow(to, f.From.String(), asset, f.Hop, &f.Amount); err != nil {
				return err
			}
		}
		j := slices.IndexFunc(r.Assets, func(a assetHops) bool { return a.Asset == asset })
		if j < 0 {
			r.Assets = append(r.Assets, assetHops{Asset: asset, ByHop: make([]string, w.maxHops)})
			j = len(r.Assets) - 1
		}
		var v uint256.Int
		if s := r.Assets[j].ByHop[f.Hop-1]; s != "" {
			_ = v.SetFromDecimal(s)
		}
		v.Add(&v, &f.Amount)
		r.Assets[j].ByHop[f.Hop-1] = v.Dec()
		step := Step{Hop: f.Hop, From: f.From.String(), To: to, Tx: w.c.FormatHash(f.Tx), Block: f.Block, Asset: asset, Amount: f.Amount.Dec()}
		if len(r.First) < w.maxHops {
			r.First = append(r.First, make([]Step, w.maxHops-len(r.First))...)
		}
		if r.First[f.Hop-1].Hop == 0 {
			r.First[f.Hop-1] = step
		}
		if r.Hop == 0 || f.Hop < r.Hop {
			r.Hop, r.Via = f.Hop, step
		} else if f.Hop == r.Hop {
			var cur uint256.Int
			_ = cur.SetFromDecimal(r.Via.Amount)
			if f.Amount.Gt(&cur) {
				r.Via = step
			}
		}
	}
	return nil
}

func (w *writer) record(addr string) (*record, error) {
	if r, ok := w.recs[addr]; ok {
		return r, nil
	}
	r := &record{}
	ok := false
	if !w.fresh {
		var err error
		if ok, err = w.d.getJSON(expoKey(w.caip2, w.cat, addr), r); err != nil {
			return nil, err
		}
	}
	if !ok {
		w.created++
	}
	w.recs[addr] = r
	return r, nil
}

// flush writes the current category's records, and notes the addresses
// that became exposed: their totals are read whole at the end (finish).
func (w *writer) flush() error {
	for addr, r := range w.recs {
		if err := setJSON(w.b, expoKey(w.caip2, w.cat, addr), r); err != nil {
			return err
		}
		t, err := w.totals(addr)
		if err != nil {
			return err
		}
		if t == nil {
			a, err := chain.ParseAddress(w.c, addr)
			if err != nil {
				return err
			}
			w.pending[a] = addr
		}
	}
	clear(w.recs)
	if err := w.flushEdges(); err != nil {
		return err
	}
	if w.ent != nil {
		return w.ent.flushCategory(w.b)
	}
	return nil
}

// scanAll is how many newly exposed addresses make one scan of the whole
// chain cheaper than reading each one's history, when a category was
// traced from the start (a bulk load): a busy address's history is random
// reads, the chain in block order is one sequential read. An update that
// only continued its traces reads the new addresses' histories.
var scanAll = 64 // a variable for the tests, which use both ways

// finish reads the totals of the addresses that became exposed, up to
// block to, and writes every total read or changed in this update.
func (w *writer) finish(s Source, to uint64) error {
	if len(w.pending) > 0 {
		fresh := make(map[chain.Address]totals, len(w.pending))
		for a := range w.pending {
			fresh[a] = totals{}
		}
		add := func(row *store.Row) {
			if t, ok := fresh[row.To]; ok && received(row) {
				addAmount(t, row.Asset.CAIP19(w.caip2), &row.Amount)
			}
		}
		if w.bulk && len(w.pending) > scanAll {
			for row, err := range s.Transfers(store.Query{Chain: w.c, ToBlock: to, HasToBlock: true}) {
				if err != nil {
					return err
				}
				add(&row)
			}
		} else {
			for a := range w.pending {
				for row, err := range s.Transfers(store.Query{Chain: w.c, Address: &a, ToBlock: to, HasToBlock: true}) {
					if err != nil {
						return err
					}
					if row.To == a {
						add(&row)
					}
				}
			}
		}
		for a, key := range w.pending {
			w.tot[key] = fresh[a]
		}
		clear(w.pending)
	}
	for addr, t := range w.tot {
		if t != nil {
			if err := setJSON(w.b, totalsKey(w.caip2, addr), t); err != nil {
				return err
			}
		}
	}
	if w.ent != nil {
		return w.ent.finish(w.b)
	}
	return nil
}
