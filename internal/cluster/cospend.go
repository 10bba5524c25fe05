// Package cluster groups addresses into entities: co-spend (all inputs of
// a transaction have one owner) over a persistent union-find of the
// store's address ids, with CoinJoins left out.
//
// Heuristics live in subpackages (coinjoin); the union-find in unionfind;
// this package applies them to transactions and keeps the result in its
// own Pebble database beside the chain store (see DB).
package cluster

import (
	"math/bits"
	"slices"
	"sync"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster/change"
	"github.com/chainhound/chainhound/internal/cluster/coinjoin"
	"github.com/chainhound/chainhound/internal/cluster/deposit"
	"github.com/chainhound/chainhound/internal/cluster/unionfind"
)

// Detector classifies a transaction confirmed at a height.
type Detector func(tx *chain.Tx, height uint64) coinjoin.Kind

// Options decide which transactions link their inputs.
type Options struct {
	// KeepCoinJoins links the inputs of CoinJoins too (GraphSense's "with
	// coinjoin" clustering); the default leaves them apart.
	KeepCoinJoins bool
	// Detect classifies transactions; nil uses coinjoin.Detect with
	// coinjoin.DefaultOptions.
	Detect Detector
	// Services names the service each tagged address id belongs to (an
	// exchange, a mixer...). A merge that would join entities carrying
	// two different service names is refused, counted and kept in
	// Clusterer.Refusals, whatever else the transaction looks like.
	Services map[uint32]string
	// Change is change detection's policy; the zero value (Enabled
	// false) leaves change out, as co-spend-only clusterings do.
	Change change.Config
	// Deposit is deposit-address reuse's policy, for account-model chains
	// (Ethereum); the zero value leaves it out.
	Deposit deposit.Config
}

func (o Options) detect(tx *chain.Tx, h uint64) coinjoin.Kind {
	if o.Detect != nil {
		return o.Detect(tx, h)
	}
	return coinjoin.Detect(tx, h, coinjoin.DefaultOptions)
}

// Link is one merge: two ids whose entities were apart until a transaction
// joined them. The merges of a history form a spanning forest of its
// entities, so replaying them rebuilds the partition. A cannot-link pair
// has the same shape: two ids whose entities must stay apart.
type Link struct{ A, B uint32 }

// Counts are what clustering saw.
type Counts struct {
	Txs        uint64    // non-coinbase transactions
	MultiInput uint64    // with 2+ distinct input addresses
	CoinJoins  [8]uint64 // by coinjoin.Kind
	Skipped    uint64    // multi-input transactions left unlinked (CoinJoins)
	Merges     uint64    // unions that joined two entities (co-spend and change)
	Refused    uint64    // co-spend transactions refused: they would join two services

	ChangeFound         uint64 // transactions whose change output scored above the threshold
	ChangeMerges        uint64 // of those, the ones whose change joined the inputs' entity (counted in Merges too)
	CannotLinks         uint64 // cannot-link pairs recorded (confident payments)
	RefusedCannotLink   uint64 // co-spend transactions refused: they would join across a cannot-link pair
	ChangeRefused       uint64 // change merges refused: they would join two services
	ChangeRefusedCannot uint64 // change merges refused: they would join across a cannot-link pair

	DepositForwards uint64 // account chains: sweeps of a deposit address to a hot wallet found
	DepositMerges   uint64 // merges of a deposit address's depositors (counted in Merges too)

	Deferred      uint64 // transactions whose change only the fingerprint could decide, left waiting for their outputs' spenders
	DeferResolved uint64 // of those, the ones decided with their spenders' fingerprints (counted in the deciding block)
	DeferLate     uint64 // of those, the ones decided when their window ended, with some outputs unspent
	DeferChange   uint64 // of those decided, the ones whose change was found (counted in ChangeFound too)
}

// Refusal is a merge the collapse guard refused.
type Refusal struct {
	Height    uint64
	Tx        chain.Hash
	Heuristic string   // "co-spend" or "change"
	Reason    string   // "services" or "cannot-link"
	Services  []string // for "services": the distinct service names of the entities involved
}

// Clusterer applies co-spend and change detection to transactions over a
// forest.
type Clusterer struct {
	Forest   *unionfind.Forest
	Opts     Options
	Counts   Counts
	Refusals []Refusal // since the clusterer was made (not persisted)
	ids      []uint32
	roots    []uint32
	service  map[uint32]string   // root -> service name, for entities holding a tagged address
	cannot   map[uint32][]uint32 // root -> ids its entity must not join (both sides of each pair)
	anchor   map[uint32]uint32   // deposit address -> its first depositor
	hot      map[uint32][]uint32 // addresses seen receiving a sweep (hot wallets) -> the first two addresses that swept to them
	next     []uint32            // member index (Members): next member of the same entity; nil until asked
	outs     []uint32
	pending  map[chain.Hash]*pendingTx // deferred transactions waiting, by txid
	mixed    []uint64                  // bit per address id: paid by a multi-owner CoinJoin (with Change.PostMix)
	queue    []*pendingTx              // deferred transactions in block order, for expiry
	mu       sync.Mutex                // serialises the readers (EntityOf, Members)
}

// New returns a clusterer over an empty forest.
func New(o Options) *Clusterer {
	return &Clusterer{Forest: &unionfind.Forest{}, Opts: o}
}

// Delta is what a transaction added: merges and cannot-link pairs.
type Delta struct {
	Links       []Link
	CannotLinks []Link
	// Anchors are deposit addresses seen sweeping for the first time
	// (A), each with its first depositor (B): later depositors of A join
	// B's entity.
	Anchors []Link
	// Hots are addresses seen receiving a sweep (A) from a new address
	// (B), up to two per hot wallet: from the first, A is a hot wallet,
	// no customer's; from the second, a hot wallet of several deposit
	// addresses, whose own sweeps onwards are no deposit's.
	Hots []Link
	// Deferred are transactions whose change waits for its outputs'
	// spenders (see Deferral); Spent the outputs of waiting transactions
	// spent, with the evidence their spenders gave.
	Deferred []Deferral
	Spent    []Spend
	// Mixed are addresses first seen paid by a multi-owner CoinJoin
	// (with Change.PostMix): a transaction spending from one gets no
	// script-type evidence.
	Mixed []uint32
	// Found are the change outputs change detection named, merged or
	// not (the guard may refuse), in the order found; not stored.
	Found []Found
}

// Found is a change output change detection named: output Out of
// transaction Tx, decided in block Height (the spender's block when the
// decision was deferred).
type Found struct {
	Tx     chain.Hash
	Out    int
	Height uint64
}

// TxIDs are a transaction's address ids (0 for an input or output
// without a single address, or beyond unionfind.MaxID) and what is known
// about its outputs (see change.Features).
type TxIDs struct {
	In, Out []uint64
	Change  change.Features
}

// Apply links the inputs of tx, confirmed at height, whose address ids are
// inputIDs (0 for an input without a single address, such as bare
// multisig or non-standard scripts: it is left out, as GraphSense leaves
// out inputs with other than one address). It appends the merges made to
// log and returns it with the transaction's kind. Change detection needs
// the outputs' ids: see ApplyTx.
func (c *Clusterer) Apply(tx *chain.Tx, height uint64, inputIDs []uint64, log []Link) (coinjoin.Kind, []Link) {
	d := Delta{Links: log}
	k := c.ApplyTx(tx, height, TxIDs{In: inputIDs}, &d)
	return k, d.Links
}

// ApplyTx applies co-spend to tx's inputs and, when the options enable
// it and ids.Out is given, change detection to its outputs. The merges
// and cannot-link pairs it makes are appended to d.
func (c *Clusterer) ApplyTx(tx *chain.Tx, height uint64, ids TxIDs, d *Delta) coinjoin.Kind {
	if tx.Coinbase {
		return coinjoin.None
	}
	c.Counts.Txs++
	in := c.ids[:0]
	for _, id := range ids.In {
		if id == 0 || id > unionfind.MaxID {
			continue
		}
		in = append(in, uint32(id))
	}
	c.ids = in
	kind := c.Opts.detect(tx, height)
	c.Counts.CoinJoins[kind]++
	if kind.MultiOwner() && c.Opts.Change.Enabled && c.Opts.Change.PostMix {
		for _, id := range ids.Out {
			if id != 0 && id <= unionfind.MaxID && c.markMixed(uint32(id)) {
				d.Mixed = append(d.Mixed, uint32(id))
			}
		}
	}
	linked := true
	if distinctAtLeastTwo(in) {
		c.Counts.MultiInput++
		if kind.MultiOwner() && !c.Opts.KeepCoinJoins {
			c.Counts.Skipped++
			return kind
		}
		switch why, services := c.merge(in, &d.Links); why {
		case "":
		case reasonServices:
			c.Counts.Refused++
			c.Refusals = append(c.Refusals, Refusal{height, tx.Hash, "co-spend", why, services})
			linked = false
		default:
			c.Counts.RefusedCannotLink++
			c.Refusals = append(c.Refusals, Refusal{height, tx.Hash, "co-spend", why, nil})
			linked = false
		}
	}
	if linked && kind == coinjoin.None && c.Opts.Change.Enabled && len(ids.Out) == len(tx.Outputs) && len(in) == len(tx.Inputs) && len(in) > 0 {
		c.applyChange(tx, height, ids, d)
	}
	return kind
}

const (
	reasonServices = "services"
	reasonCannot   = "cannot-link"
)

// applyChange merges the change output, if the score names one, into the
// inputs' entity and records the confident payments as cannot-link pairs.
func (c *Clusterer) applyChange(tx *chain.Tx, height uint64, ids TxIDs, d *Delta) {
	out := c.outs[:0]
	for _, id := range ids.Out {
		if id == 0 || id > unionfind.MaxID {
			return
		}
		out = append(out, uint32(id))
	}
	c.outs = out
	f := ids.Change
	if c.Opts.Change.PostMix {
		f.PostMix = slices.ContainsFunc(c.ids, c.isMixed)
	}
	v := change.Classify(tx, f, &c.Opts.Change)
	if tx.HasFingerprint && ids.Change.Fingerprint == nil && change.NeedsFingerprint(v, &c.Opts.Change) {
		c.deferTx(tx, height, c.ids[0], out, v, d)
		return
	}
	c.decide(tx.Hash, height, c.ids[0], out, v, d)
}

// decide applies a change verdict on transaction txid (out: its outputs'
// ids): the change merges into the entity of anchor, the first input's
// id, under the collapse guard; the confident payments become
// cannot-link pairs with it.
func (c *Clusterer) decide(txid chain.Hash, height uint64, anchor uint32, out []uint32, v change.Verdict, d *Delta) {
	if v.Change >= 0 {
		c.Counts.ChangeFound++
		d.Found = append(d.Found, Found{txid, v.Change, height})
		pair := []uint32{anchor, out[v.Change]}
		merges := len(d.Links)
		switch why, services := c.merge(pair, &d.Links); why {
		case "":
			if len(d.Links) > merges {
				c.Counts.ChangeMerges++
			}
		case reasonServices:
			c.Counts.ChangeRefused++
			c.Refusals = append(c.Refusals, Refusal{height, txid, "change", why, services})
		default:
			c.Counts.ChangeRefusedCannot++
			c.Refusals = append(c.Refusals, Refusal{height, txid, "change", why, nil})
		}
	}
	for _, i := range v.NonChange {
		o := out[i]
		c.Forest.Grow(int(max(anchor, o)) + 1)
		if c.Forest.Same(anchor, o) {
			continue // a payment to itself, by earlier evidence: not confident after all
		}
		c.addCannot(anchor, o)
		c.Counts.CannotLinks++
		d.CannotLinks = append(d.CannotLinks, Link{anchor, o})
	}
}

// ApplyForward merges the depositors of a deposit address found sweeping
// to its hot wallet: one customer. The merges are appended to d.
//
// An address once seen receiving a sweep is a hot wallet from then on
// and never counts as a depositor: a hot wallet pays withdrawals to
// many customers, and a customer forwarding one in full (to its account
// elsewhere, say) looks like a deposit address the hot wallet paid; as
// its depositor, the hot wallet would become that address's anchor and
// weld everyone who later pays it, for every such customer, into one
// entity with the exchange.
//
// An address two or more deposit addresses swept to is an exchange's hot
// wallet, and what it sends on in full (to cold storage) is no deposit's
// sweep: its "depositors" are deposit addresses and whoever paid the hot
// wallet directly, not one customer.
func (c *Clusterer) ApplyForward(f deposit.Forward, d *Delta) {
	c.Counts.DepositForwards++
	if f.Hot != 0 && f.Hot <= unionfind.MaxID && f.Deposit != 0 && f.Deposit <= unionfind.MaxID {
		l := Link{uint32(f.Hot), uint32(f.Deposit)}
		if s := c.hot[l.A]; len(s) < 2 && !slices.Contains(s, l.B) {
			c.AddHots([]Link{l})
			d.Hots = append(d.Hots, l)
		}
	}
	if f.Deposit <= unionfind.MaxID && len(c.hot[uint32(f.Deposit)]) >= 2 {
		return
	}
	ids := c.ids[:0]
	for _, id := range f.Depositors {
		if id != 0 && id <= unionfind.MaxID && !c.isHot(uint32(id)) {
			ids = append(ids, uint32(id))
		}
	}
	if len(ids) == 0 || f.Deposit == 0 || f.Deposit > unionfind.MaxID {
		c.ids = ids
		return
	}
	dep := uint32(f.Deposit)
	if a, ok := c.anchor[dep]; ok {
		ids = append(ids, a)
	} else {
		c.AddAnchors([]Link{{dep, ids[0]}})
		d.Anchors = append(d.Anchors, Link{dep, ids[0]})
	}
	c.ids = ids
	if !distinctAtLeastTwo(ids) {
		return
	}
	n := len(d.Links)
	switch why, services := c.merge(ids, &d.Links); why {
	case "":
		c.Counts.DepositMerges += uint64(len(d.Links) - n)
	case reasonServices:
		c.Counts.Refused++
		c.Refusals = append(c.Refusals, Refusal{f.Block, chain.Hash{}, "deposit", why, services})
	default:
		c.Counts.RefusedCannotLink++
		c.Refusals = append(c.Refusals, Refusal{f.Block, chain.Hash{}, "deposit", why, nil})
	}
}

// merge joins the entities of ids, or none of them when the join would
// hold two differently named services ("services", with the names) or
// cross a cannot-link pair ("cannot-link"). Merges are appended to log.
func (c *Clusterer) merge(ids []uint32, log *[]Link) (string, []string) {
	hi := ids[0]
	for _, id := range ids[1:] {
		hi = max(hi, id)
	}
	c.Forest.Grow(int(hi) + 1)
	name, ok := c.guard(ids)
	if !ok {
		return reasonServices, c.servicesOf(ids)
	}
	if c.crossesCannot(ids) {
		return reasonCannot, nil
	}
	first := ids[0]
	for _, id := range ids[1:] {
		if c.join(first, id) {
			*log = append(*log, Link{first, id})
		}
	}
	if name != "" {
		c.service[c.Forest.Find(first)] = name
	}
	return "", nil
}

// join unions the entities of a and b, carrying their cannot-link lists
// to the new root.
func (c *Clusterer) join(a, b uint32) bool {
	ra, rb := c.Forest.Find(a), c.Forest.Find(b)
	if !c.Forest.Union(a, b) {
		return false
	}
	c.Counts.Merges++
	c.next = nil
	if c.cannot == nil {
		return true
	}
	r := c.Forest.Find(a)
	la, lb := c.cannot[ra], c.cannot[rb]
	if len(la) == 0 && len(lb) == 0 {
		return true
	}
	if len(la) < len(lb) {
		la, lb = lb, la
	}
	delete(c.cannot, ra)
	delete(c.cannot, rb)
	c.cannot[r] = append(la, lb...)
	return true
}

// crossesCannot reports whether two of the entities of ids are a
// cannot-link pair. Pairs are listed on both sides, so every entity but
// the one with the longest list is checked.
func (c *Clusterer) crossesCannot(ids []uint32) bool {
	if len(c.cannot) == 0 {
		return false
	}
	roots := c.roots[:0]
	for _, id := range ids {
		if r := c.Forest.Find(id); !slices.Contains(roots, r) {
			roots = append(roots, r)
		}
	}
	c.roots = roots
	if len(roots) < 2 {
		return false
	}
	skip := 0
	for i, r := range roots {
		if len(c.cannot[r]) > len(c.cannot[roots[skip]]) {
			skip = i
		}
	}
	for i, r := range roots {
		if i == skip {
			continue
		}
		for _, p := range c.cannot[r] {
			if int(p) >= c.Forest.Len() {
				continue
			}
			if pr := c.Forest.Find(p); pr != r && slices.Contains(roots, pr) {
				return true
			}
		}
	}
	return false
}

func (c *Clusterer) addCannot(a, b uint32) {
	if c.cannot == nil {
		c.cannot = map[uint32][]uint32{}
	}
	c.Forest.Grow(int(max(a, b)) + 1)
	ra, rb := c.Forest.Find(a), c.Forest.Find(b)
	c.cannot[ra] = append(c.cannot[ra], b)
	c.cannot[rb] = append(c.cannot[rb], a)
}

// AddAnchors records deposit addresses' first depositors (as loaded
// from disk); a deposit address keeps its first anchor.
func (c *Clusterer) AddAnchors(anchors []Link) {
	if c.anchor == nil {
		c.anchor = map[uint32]uint32{}
	}
	for _, a := range anchors {
		if _, ok := c.anchor[a.A]; !ok {
			c.anchor[a.A] = a.B
		}
	}
}

// AddHots records hot wallets and the addresses that swept to them
// (as loaded from disk), up to two per hot wallet.
func (c *Clusterer) AddHots(hots []Link) {
	if c.hot == nil {
		c.hot = map[uint32][]uint32{}
	}
	for _, h := range hots {
		if s := c.hot[h.A]; len(s) < 2 && !slices.Contains(s, h.B) {
			c.hot[h.A] = append(s, h.B)
		}
	}
}

func (c *Clusterer) isHot(id uint32) bool {
	_, ok := c.hot[id]
	return ok
}

// markMixed records that id was paid by a multi-owner CoinJoin, and
// reports whether that is new.
func (c *Clusterer) markMixed(id uint32) bool {
	w := int(id / 64)
	if w >= len(c.mixed) {
		c.mixed = append(c.mixed, make([]uint64, w+1-len(c.mixed))...)
	}
	bit := uint64(1) << (id % 64)
	if c.mixed[w]&bit != 0 {
		return false
	}
	c.mixed[w] |= bit
	return true
}

func (c *Clusterer) isMixed(id uint32) bool {
	w := int(id / 64)
	return w < len(c.mixed) && c.mixed[w]&(uint64(1)<<(id%64)) != 0
}

// AddMixed records addresses paid by multi-owner CoinJoins (as loaded
// from disk).
func (c *Clusterer) AddMixed(ids []uint32) {
	for _, id := range ids {
		c.markMixed(id)
	}
}

// MixedCount is the number of addresses known paid by multi-owner
// CoinJoins.
func (c *Clusterer) MixedCount() int {
	n := 0
	for _, w := range c.mixed {
		n += bits.OnesCount64(w)
	}
	return n
}

// AddCannotLinks records cannot-link pairs (as loaded from disk).
func (c *Clusterer) AddCannotLinks(pairs []Link) {
	for _, p := range pairs {
		c.addCannot(p.A, p.B)
	}
}

// CannotLinked reports whether the entities of a and b are kept apart by
// a cannot-link pair.
func (c *Clusterer) CannotLinked(a, b uint32) bool {
	c.Forest.Grow(int(max(a, b)) + 1)
	return c.crossesCannot([]uint32{a, b})
}

// guard returns the one service name the entities of ids carry ("" for
// none), or false when they carry two or more.
func (c *Clusterer) guard(ids []uint32) (string, bool) {
	if c.Opts.Services == nil {
		return "", true
	}
	if c.service == nil {
		c.relabel()
	}
	name := ""
	for _, id := range ids {
		n := c.service[c.Forest.Find(id)]
		if n == "" {
			n = c.Opts.Services[id] // a tagged id beyond the forest when relabelled
		}
		switch {
		case n == "" || n == name:
		case name == "":
			name = n
		default:
			return "", false
		}
	}
	return name, true
}

func (c *Clusterer) servicesOf(ids []uint32) []string {
	var out []string
	for _, id := range ids {
		n := c.service[c.Forest.Find(id)]
		if n == "" {
			n = c.Opts.Services[id]
		}
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// relabel computes each entity's service from the tagged ids. An entity
// already holding two services (merged before the tags were known) keeps
// the name of its smallest tagged id; Conflicts reports such entities.
func (c *Clusterer) relabel() {
	c.service = map[uint32]string{}
	ids := make([]uint32, 0, len(c.Opts.Services))
	for id := range c.Opts.Services {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if int(id) >= c.Forest.Len() {
			continue
		}
		r := c.Forest.Find(id)
		if _, ok := c.service[r]; !ok {
			c.service[r] = c.Opts.Services[id]
		}
	}
}

func distinctAtLeastTwo(ids []uint32) bool {
	if len(ids) < 2 {
		return false
	}
	for _, id := range ids[1:] {
		if id != ids[0] {
			return true
		}
	}
	return false
}

// Replay applies logged merges to the forest.
func (c *Clusterer) Replay(links []Link) {
	c.service = nil // recomputed on the next guarded transaction
	for _, l := range links {
		c.Forest.Grow(int(max(l.A, l.B)) + 1)
		c.join(l.A, l.B)
	}
}
