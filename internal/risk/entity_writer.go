package risk

import (
	"errors"
	"fmt"

	"github.com/chainhound/chainhound/internal/store"
	"github.com/cockroachdb/pebble/v2"
	"github.com/holiman/uint256"
)

// edge is one flow edge of the current category: what the trace moved
// from one address to another, per asset and hop.
type edge struct {
	amt hopAmounts
	had bool // stored before this update
}

// edge adds a flow to its edge (to, from).
func (w *writer) edge(to, from, asset string, hop int, v *uint256.Int) error {
	if w.edges == nil { // a trace at screen time (outbound): nothing kept
		return nil
	}
	k := [2]string{to, from}
	e, ok := w.edges[k]
	if !ok {
		e = &edge{amt: hopAmounts{}}
		if !w.fresh {
			var list []assetHops
			had, err := w.d.getJSON(edgeKey(pEdgeIn, w.caip2, w.cat, to, from), &list)
			if err != nil {
				return err
			}
			if had {
				if e.amt, err = decodeHops(list, w.maxHops); err != nil {
					return fmt.Errorf("exposure store %s: flow edge %s -> %s: %w", w.d.dir, from, to, err)
				}
				e.had = true
			}
		}
		w.edges[k] = e
	}
	e.amt.add(asset, hop, w.maxHops, v)
	return nil
}

// flushEdges writes the current category's edges.
func (w *writer) flushEdges() error {
	for k, e := range w.edges {
		if err := setJSON(w.b, edgeKey(pEdgeIn, w.caip2, w.cat, k[0], k[1]), e.amt.encode()); err != nil {
			return err
		}
		if !e.had {
			if err := w.b.Set(edgeKey(pEdgeOut, w.caip2, w.cat, k[1], k[0]), nil, nil); err != nil {
				return err
			}
		}
	}
	clear(w.edges)
	return nil
}

// entWriter adds an update's new transfers and flows to the entity
// figures, with the partition as followClustering left it (committed
// before): a transfer or flow into a member from outside its entity
// counts.
type entWriter struct {
	d       *DB
	caip2   string
	maxHops int
	handles map[string]uint64      // address -> its entity's handle (0: alone)
	recs    map[uint64]*entRecWork // entities whose receipts changed
	// the current category
	cat   string
	fresh bool // traced anew: its stored figures are void
	cats  map[uint64]*entCatWork
	parts map[uint64]map[string]hopAmounts // handle -> member -> its part, read or grown
	grown map[uint64]map[string]bool
}

type entRecWork struct {
	rec  entityRec
	recv recvAmounts
}

type entCatWork struct {
	amt      hopAmounts
	carriers []carrier
}

func newEntWriter(d *DB, caip2 string, maxHops int) *entWriter {
	return &entWriter{d: d, caip2: caip2, maxHops: maxHops, handles: map[string]uint64{}, recs: map[uint64]*entRecWork{},
		cats: map[uint64]*entCatWork{}, parts: map[uint64]map[string]hopAmounts{}, grown: map[uint64]map[string]bool{}}
}

func (e *entWriter) handle(addr string) (uint64, error) {
	if addr == "" {
		return 0, nil
	}
	if h, ok := e.handles[addr]; ok {
		return h, nil
	}
	v, closer, err := e.d.db.Get(memberKey(e.caip2, addr))
	var h uint64
	switch {
	case errors.Is(err, pebble.ErrNotFound):
	case err != nil:
		return 0, err
	default:
		h, _, err = decodeMember(v)
		closer.Close()
		if err != nil {
			return 0, fmt.Errorf("exposure store %s: entity of %s: %w", e.d.dir, addr, err)
		}
	}
	e.handles[addr] = h
	return h, nil
}

// external returns the handle of to's entity when a transfer from from
// enters it from outside (0 otherwise).
func (e *entWriter) external(to, from string) (uint64, error) {
	ht, err := e.handle(to)
	if err != nil || ht == 0 {
		return 0, err
	}
	hf, err := e.handle(from)
	if err != nil || hf == ht {
		return 0, err
	}
	return ht, nil
}

// received takes in a new block's transfer (one that counts as
// received).
func (e *entWriter) received(row *store.Row, caip2 string) error {
	var from string
	if !row.From.None() {
		from = row.From.String()
	}
	h, err := e.external(row.To.String(), from)
	if err != nil || h == 0 {
		return err
	}
	r, ok := e.recs[h]
	if !ok {
		r = &entRecWork{}
		had, err := e.d.getJSON(entityRecKey(e.caip2, h), &r.rec)
		if err != nil {
			return err
		}
		if !had {
			return fmt.Errorf("exposure store %s: entity %d has members but no record: %w", e.d.dir, h, errEntityCorrupt)
		}
		if r.recv, err = recvOf(r.rec.Received); err != nil {
			return err
		}
		e.recs[h] = r
	}
	r.recv.add(row.Asset.CAIP19(caip2), &row.Amount)
	return nil
}

func (e *entWriter) startCategory(cat string, fresh bool) {
	e.cat, e.fresh = cat, fresh
}

// flow takes in a flow of the current category's trace.
func (e *entWriter) flow(to, from, asset string, hop int, v *uint256.Int) error {
	h, err := e.external(to, from)
	if err != nil || h == 0 {
		return err
	}
	c, ok := e.cats[h]
	if !ok {
		c = &entCatWork{amt: hopAmounts{}}
		if !e.fresh {
			var cr entCatRec
			if _, err := e.d.getJSON(entCatKey(e.caip2, e.cat, h), &cr); err != nil {
				return err
			}
			if c.amt, err = decodeHops(cr.Assets, e.maxHops); err != nil {
				return err
			}
			c.carriers = cr.Carriers
		}
		e.cats[h] = c
	}
	c.amt.add(asset, hop, e.maxHops, v)
	if e.parts[h] == nil {
		e.parts[h], e.grown[h] = map[string]hopAmounts{}, map[string]bool{}
	}
	p, ok := e.parts[h][to]
	if !ok {
		p = hopAmounts{}
		if !e.fresh {
			var list []assetHops
			if _, err := e.d.getJSON(append(entPartPrefix(e.caip2, e.cat, h), to...), &list); err != nil {
				return err
			}
			if p, err = decodeHops(list, e.maxHops); err != nil {
				return err
			}
		}
		e.parts[h][to] = p
	}
	p.add(asset, hop, e.maxHops, v)
	e.grown[h][to] = true
	return nil
}

// flushCategory writes the current category's entity figures: parts only
// grew here, so each carrier stays unless a grown part beats it.
func (e *entWriter) flushCategory(b *pebble.Batch) error {
	for h, c := range e.cats {
		cands := make(map[string]hopAmounts, len(e.grown[h]))
		for m := range e.grown[h] {
			p := e.parts[h][m]
			cands[m] = p
			if err := setJSON(b, append(entPartPrefix(e.caip2, e.cat, h), m...), p.encode()); err != nil {
				return err
			}
		}
		c.carriers = raiseCarriers(c.amt, c.carriers, cands)
		if err := setJSON(b, entCatKey(e.caip2, e.cat, h), entCatRec{Assets: c.amt.encode(), Carriers: c.carriers}); err != nil {
			return err
		}
	}
	clear(e.cats)
	clear(e.parts)
	clear(e.grown)
	return nil
}

// finish writes the entities whose receipts changed.
func (e *entWriter) finish(b *pebble.Batch) error {
	for h, r := range e.recs {
		r.rec.Received = r.recv.totals()
		if err := setJSON(b, entityRecKey(e.caip2, h), r.rec); err != nil {
			return err
		}
	}
	clear(e.recs)
	return nil
}
