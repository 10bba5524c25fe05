package risk

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/cockroachdb/pebble/v2"
)

// entityMeta is which clustering, and which of its blocks, the entity
// figures of a chain follow.
type entityMeta struct {
	Generation string `json:"generation"`
	Has        bool   `json:"has"` // the clustering had clustered a block
	Block      uint64 `json:"block"`
	Hash       string `json:"hash"`
	Entities   uint64 `json:"entities"` // entities of two or more addresses
}

// journalKeep is how many clustered blocks the journal keeps: a
// clustering rolled back further than that makes the entity figures be
// computed again from the partition.
var journalKeep uint64 = 1000

// EntityUpdate says what an update did to a chain's entity figures.
type EntityUpdate struct {
	Clustering string `json:"clustering"` // co-spend (Bitcoin) or deposit-reuse (Ethereum)
	Block      uint64 `json:"block"`      // the clustering's block now followed
	How        string `json:"how"`        // followed, rebuilt, rolled-back, unchanged or dropped
	Reason     string `json:"reason,omitempty"`
	Merges     int    `json:"merges"`     // merges taken in one by one
	Recomputed int    `json:"recomputed"` // entities computed from their members
	Entities   uint64 `json:"entities"`   // entities of two or more addresses
	DurationMS int64  `json:"duration_ms"`
}

// entOps changes one chain's entity partition and figures in one batch.
type entOps struct {
	d       *DB
	r       pebble.Reader // reads: the batch itself when it is indexed
	b       *pebble.Batch
	s       Source
	c       chain.Chain
	caip2   string
	cats    []string
	maxHops int
	upto    uint64 // the chain data the figures cover
	edges   bool   // exposure from the stored flow edges; false: the traces of this update add it
	// seeds are each category's addresses: the senders of its hop-1 flows
	seeds  map[string]map[string]bool
	merges int
	recomp int
	// entities counts entities of two or more addresses as they form and go
	entities int64
}

// errOutOfStep: the partition the store followed does not match the
// clustering's merges; the figures are computed again from the partition.
var errOutOfStep = errors.New("the entity partition is out of step with the clustering")

func (o *entOps) getJSON(k []byte, v any) (bool, error) {
	b, closer, err := o.r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer closer.Close()
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("exposure store %s: key %q: %w", o.d.dir, k, err)
	}
	return true, nil
}

// memberOf returns the handle of addr's entity (0: alone).
func (o *entOps) memberOf(addr string) (uint64, error) {
	v, closer, err := o.r.Get(memberKey(o.caip2, addr))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	h, _, err := decodeMember(v)
	if err != nil {
		return 0, fmt.Errorf("exposure store %s: entity of %s: %w", o.d.dir, addr, err)
	}
	return h, nil
}

// members lists an entity's members.
func (o *entOps) members(handle uint64) ([]memberRef, error) {
	p := membersPrefix(o.caip2, handle)
	it, err := o.r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []memberRef
	for it.First(); it.Valid(); it.Next() {
		m, err := decodeMembersEntry(it.Key(), it.Value(), len(p))
		if err != nil {
			return nil, fmt.Errorf("exposure store %s: members of %d: %w", o.d.dir, handle, err)
		}
		out = append(out, m)
	}
	return out, it.Error()
}

func (o *entOps) entity(handle uint64) (*entityRec, recvAmounts, error) {
	rec := &entityRec{}
	ok, err := o.getJSON(entityRecKey(o.caip2, handle), rec)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fmt.Errorf("%w: entity %d has no record", errOutOfStep, handle)
	}
	recv, err := recvOf(rec.Received)
	return rec, recv, err
}

// drop deletes an entity's figures and its members' entries.
func (o *entOps) drop(handle uint64, members []memberRef) error {
	for _, m := range members {
		if err := o.b.Delete(memberKey(o.caip2, m.addr), nil); err != nil {
			return err
		}
	}
	p := membersPrefix(o.caip2, handle)
	err := errors.Join(o.b.DeleteRange(p, prefixEnd(p), nil), o.b.Delete(entityRecKey(o.caip2, handle), nil))
	for _, cat := range o.cats {
		pp := entPartPrefix(o.caip2, cat, handle)
		err = errors.Join(err, o.b.Delete(entCatKey(o.caip2, cat, handle), nil), o.b.DeleteRange(pp, prefixEnd(pp), nil))
	}
	o.entities--
	return err
}

// hasFlows reports whether the category's trace has flows into or out of
// addr: into it makes an address record; out of it, taint, which is a
// record or a seed.
func (o *entOps) hasFlows(cat, addr string) (bool, error) {
	if o.seeds[cat][addr] {
		return true, nil
	}
	_, closer, err := o.d.db.Get(expoKey(o.caip2, cat, addr))
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	closer.Close()
	return true, nil
}

// history yields the transfers of addr the figures cover.
func (o *entOps) history(addr string) func(func(store.Row, error) bool) {
	a, err := chain.ParseAddress(o.c, addr)
	if err != nil {
		return func(yield func(store.Row, error) bool) { yield(store.Row{}, err) }
	}
	return o.s.Transfers(store.Query{Chain: o.c, Address: &a, ToBlock: o.upto, HasToBlock: true})
}

// edgesOf reads the category's flow edges of addr in one direction (x:
// into it, keyed by sender; y: out of it, keyed by receiver).
func (o *entOps) edgesOf(p byte, cat, addr string, f func(other string, amt hopAmounts) error) error {
	pre := edgePrefix(p, o.caip2, cat, addr)
	// the edges are the traces': entity changes never write them
	it, err := o.d.db.NewIter(&pebble.IterOptions{LowerBound: pre, UpperBound: prefixEnd(pre)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		other := string(it.Key()[len(pre):])
		var amt hopAmounts
		if p == pEdgeIn {
			var list []assetHops
			if err := json.Unmarshal(it.Value(), &list); err != nil {
				return fmt.Errorf("exposure store %s: flow edge %q: %w", o.d.dir, it.Key(), err)
			}
			if amt, err = decodeHops(list, o.maxHops); err != nil {
				return err
			}
		} else {
			var list []assetHops
			ok, err := o.d.getJSON(edgeKey(pEdgeIn, o.caip2, cat, other, addr), &list)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("exposure store %s: flow edge %s -> %s indexed but missing: %w", o.d.dir, addr, other, errEntityCorrupt)
			}
			if amt, err = decodeHops(list, o.maxHops); err != nil {
				return err
			}
		}
		if err := f(other, amt); err != nil {
			return err
		}
	}
	return it.Error()
}

// putMembers writes the members' entries under handle.
func (o *entOps) putMembers(handle uint64, members []memberRef) error {
	for _, m := range members {
		if err := o.b.Set(memberKey(o.caip2, m.addr), encodeMember(handle, m.id), nil); err != nil {
			return err
		}
		if err := o.b.Set(append(membersPrefix(o.caip2, handle), m.addr...), binaryUvarint(m.id), nil); err != nil {
			return err
		}
	}
	return nil
}

func (o *entOps) putEntity(handle uint64, rec *entityRec, recv recvAmounts) error {
	rec.Received = recv.totals()
	return setJSON(o.b, entityRecKey(o.caip2, handle), rec)
}

func (o *entOps) putCat(cat string, handle uint64, amt hopAmounts, carriers []carrier) error {
	k := entCatKey(o.caip2, cat, handle)
	if amt.zero() {
		return o.b.Delete(k, nil)
	}
	return setJSON(o.b, k, entCatRec{Assets: amt.encode(), Carriers: carriers})
}

func (o *entOps) putPart(cat string, handle uint64, addr string, amt hopAmounts) error {
	k := append(entPartPrefix(o.caip2, cat, handle), addr...)
	if amt.zero() {
		return o.b.Delete(k, nil)
	}
	return setJSON(o.b, k, amt.encode())
}

// parts reads every member's part of an entity's exposure to cat.
func (o *entOps) parts(cat string, handle uint64) (map[string]hopAmounts, error) {
	pre := entPartPrefix(o.caip2, cat, handle)
	it, err := o.r.NewIter(&pebble.IterOptions{LowerBound: pre, UpperBound: prefixEnd(pre)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := map[string]hopAmounts{}
	for it.First(); it.Valid(); it.Next() {
		var list []assetHops
		if err := json.Unmarshal(it.Value(), &list); err != nil {
			return nil, fmt.Errorf("exposure store %s: key %q: %w", o.d.dir, it.Key(), err)
		}
		amt, err := decodeHops(list, o.maxHops)
		if err != nil {
			return nil, err
		}
		out[string(it.Key()[len(pre):])] = amt
	}
	return out, it.Error()
}

func binaryUvarint(v uint64) []byte { return binary.AppendUvarint(nil, v) }

// recompute computes an entity's figures from its members: what they
// received from outside it (their histories) and, with o.edges, what of
// that came from each category (the flow edges into them).
func (o *entOps) recompute(handle uint64, members []memberRef) error {
	o.recomp++
	o.entities++
	in := make(map[string]bool, len(members))
	rec := &entityRec{ID: members[0].id, Members: uint64(len(members))}
	for _, m := range members {
		in[m.addr] = true
		rec.ID = min(rec.ID, m.id)
	}
	recv := recvAmounts{}
	for _, m := range members {
		for row, err := range o.history(m.addr) {
			if err != nil {
				return err
			}
			if row.To.String() == m.addr && received(&row) && !in[row.From.String()] {
				recv.add(row.Asset.CAIP19(o.caip2), &row.Amount)
			}
		}
	}
	if err := o.putMembers(handle, members); err != nil {
		return err
	}
	if err := o.putEntity(handle, rec, recv); err != nil {
		return err
	}
	if !o.edges {
		return nil
	}
	for _, cat := range o.cats {
		amt, parts := hopAmounts{}, map[string]hopAmounts{}
		for _, m := range members {
			part := hopAmounts{}
			err := o.edgesOf(pEdgeIn, cat, m.addr, func(from string, e hopAmounts) error {
				if !in[from] {
					part.addAll(e, o.maxHops)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if !part.zero() {
				parts[m.addr] = part
				amt.addAll(part, o.maxHops)
				if err := o.putPart(cat, handle, m.addr, part); err != nil {
					return err
				}
			}
		}
		if err := o.putCat(cat, handle, amt, pickCarriers(amt, parts)); err != nil {
			return err
		}
	}
	return nil
}

// merge takes in one merge of the clustering: the entities of ids a and
// b become one. The smaller side's members move to the larger's handle;
// what they received from outside the merged entity is added, and what
// the larger side had received from them, now internal, is taken off.
func (o *entOps) merge(a, b uint32) error {
	o.merges++
	var refs [2]memberRef
	var handles [2]uint64
	var sizes [2]uint64
	for i, id := range []uint32{a, b} {
		addr, err := o.s.Address(uint64(id))
		if err != nil {
			return err
		}
		if addr.None() || addr.Chain != o.c {
			return fmt.Errorf("%w: merge of id %d, which is no %s address", errOutOfStep, id, o.c)
		}
		refs[i] = memberRef{addr: addr.String(), id: uint64(id)}
		if handles[i], err = o.memberOf(refs[i].addr); err != nil {
			return err
		}
		sizes[i] = 1
		if handles[i] != 0 {
			rec, _, err := o.entity(handles[i])
			if err != nil {
				return err
			}
			sizes[i] = rec.Members
		}
	}
	if handles[0] != 0 && handles[0] == handles[1] {
		return fmt.Errorf("%w: ids %d and %d are one entity already", errOutOfStep, a, b)
	}
	if handles[0] == 0 && handles[1] == 0 { // two lone addresses: a new entity
		return o.recompute(min(refs[0].id, refs[1].id), refs[:])
	}
	big := 0
	if sizes[1] > sizes[0] || (sizes[1] == sizes[0] && (handles[0] == 0 || (handles[1] != 0 && handles[1] < handles[0]))) {
		big = 1
	}
	small := 1 - big
	members := []memberRef{refs[small]}
	if handles[small] != 0 {
		var err error
		if members, err = o.members(handles[small]); err != nil {
			return err
		}
	}
	return o.mergeInto(handles[big], handles[small], members)
}

// mergeInto moves the members of a smaller entity (hs, 0 for a lone
// address) into the entity hb.
func (o *entOps) mergeInto(hb, hs uint64, small []memberRef) error {
	rec, recv, err := o.entity(hb)
	if err != nil {
		return err
	}
	in := make(map[string]bool, len(small))
	for _, m := range small {
		in[m.addr] = true
	}
	inBig := map[string]bool{}
	isBig := func(addr string) (bool, error) {
		if v, ok := inBig[addr]; ok {
			return v, nil
		}
		h, err := o.memberOf(addr)
		inBig[addr] = h == hb
		return h == hb, err
	}
	for _, m := range small {
		rec.ID = min(rec.ID, m.id)
		for row, err := range o.history(m.addr) {
			if err != nil {
				return err
			}
			if !received(&row) {
				continue
			}
			asset := row.Asset.CAIP19(o.caip2)
			to, from := row.To.String(), row.From.String()
			switch {
			case to == m.addr:
				if in[from] {
					continue // internal to the smaller side already
				}
				big, err := isBig(from)
				if err != nil {
					return err
				}
				if !big { // from outside the merged entity
					recv.add(asset, &row.Amount)
				}
			case from == m.addr && !in[to]:
				big, err := isBig(to)
				if err != nil {
					return err
				}
				if big { // the larger side had it from outside; now internal
					if err := recv.sub(asset, &row.Amount); err != nil {
						return fmt.Errorf("%w: %v", errOutOfStep, err)
					}
				}
			}
		}
	}
	rec.Members += uint64(len(small))
	for _, cat := range o.cats {
		// Only the smaller side's members with flows of the category can
		// change the figures: an inbound flow made an address record, an
		// outbound one needs taint (a record) or a seed. (Point deletions
		// only: range deletions would slow every read of the batch.)
		var active []memberRef
		for _, m := range small {
			has, err := o.hasFlows(cat, m.addr)
			if err != nil {
				return err
			}
			if has {
				active = append(active, m)
			}
		}
		if len(active) == 0 {
			continue // and the smaller side has no figures of the category
		}
		if hs != 0 { // its figures: now the larger side's
			if err := o.b.Delete(entCatKey(o.caip2, cat, hs), nil); err != nil {
				return err
			}
			for _, m := range active {
				if err := o.b.Delete(append(entPartPrefix(o.caip2, cat, hs), m.addr...), nil); err != nil {
					return err
				}
			}
		}
		var cr entCatRec
		if _, err := o.getJSON(entCatKey(o.caip2, cat, hb), &cr); err != nil {
			return err
		}
		amt, err := decodeHops(cr.Assets, o.maxHops)
		if err != nil {
			return err
		}
		carriers := cr.Carriers
		isCarrier := func(addr string) bool {
			return slices.ContainsFunc(carriers, func(c carrier) bool { return c.Member == addr })
		}
		rescan := false
		cands := map[string]hopAmounts{}
		shrunk := map[string]hopAmounts{}
		for _, m := range active {
			part := hopAmounts{}
			err := o.edgesOf(pEdgeIn, cat, m.addr, func(from string, e hopAmounts) error {
				if in[from] {
					return nil
				}
				big, err := isBig(from)
				if !big {
					part.addAll(e, o.maxHops)
				}
				return err
			})
			if err != nil {
				return err
			}
			err = o.edgesOf(pEdgeOut, cat, m.addr, func(to string, e hopAmounts) error {
				if in[to] {
					return nil
				}
				big, err := isBig(to)
				if err != nil || !big {
					return err
				}
				if err := amt.subAll(e); err != nil {
					return fmt.Errorf("%w: %v", errOutOfStep, err)
				}
				if shrunk[to] == nil {
					shrunk[to] = hopAmounts{}
				}
				shrunk[to].addAll(e, o.maxHops)
				rescan = rescan || isCarrier(to)
				return nil
			})
			if err != nil {
				return err
			}
			if !part.zero() {
				amt.addAll(part, o.maxHops)
				cands[m.addr] = part
			}
		}
		for to, e := range shrunk {
			var list []assetHops
			if _, err := o.getJSON(append(entPartPrefix(o.caip2, cat, hb), to...), &list); err != nil {
				return err
			}
			p, err := decodeHops(list, o.maxHops)
			if err != nil {
				return err
			}
			if err := p.subAll(e); err != nil {
				return fmt.Errorf("%w: %v", errOutOfStep, err)
			}
			if err := o.putPart(cat, hb, to, p); err != nil {
				return err
			}
		}
		for m, p := range cands {
			if err := o.putPart(cat, hb, m, p); err != nil {
				return err
			}
		}
		if rescan {
			parts, err := o.parts(cat, hb)
			if err != nil {
				return err
			}
			carriers = pickCarriers(amt, parts)
		} else {
			carriers = raiseCarriers(amt, carriers, cands)
		}
		if len(cr.Assets) == 0 && amt.zero() {
			continue // nothing before, nothing now: no record to write
		}
		if err := o.putCat(cat, hb, amt, carriers); err != nil {
			return err
		}
	}
	if hs != 0 {
		for _, m := range small {
			if err := o.b.Delete(append(membersPrefix(o.caip2, hs), m.addr...), nil); err != nil {
				return err
			}
		}
		if err := o.b.Delete(entityRecKey(o.caip2, hs), nil); err != nil {
			return err
		}
		o.entities--
	}
	if err := o.putMembers(hb, small); err != nil {
		return err
	}
	return o.putEntity(hb, rec, recv)
}

// followClustering brings a chain's entity partition and figures to the
// chain's clustering, against the chain data the exposure store covered
// before this update (block upto), or, when the chain is rebuilt, against
// the chain up to upto with the exposure left to the traces that follow.
// It commits its own batches (the update's in-progress marker covers a
// crash between them).
func (d *DB) followClustering(ctx context.Context, in Inputs, c chain.Chain, caip2 string, old *entityMeta, rebuilt bool, upto uint64, seeds map[string][]string) (*entityMeta, *EntityUpdate, error) {
	cl := in.Clusters[c]
	if cl == nil {
		if old == nil {
			return nil, nil, nil
		}
		return nil, &EntityUpdate{Clustering: clusteringName(c), How: "dropped", Reason: "no clustering of this chain"}, d.dropEntities(caip2)
	}
	gen, err := cl.Generation()
	if err != nil {
		return nil, nil, err
	}
	h2, hash2, has := cl.Cursor()
	next := &entityMeta{Generation: gen, Has: has, Block: h2, Hash: hash2.String()}
	if !has {
		next.Block, next.Hash = 0, ""
	}
	eu := &EntityUpdate{Clustering: clusteringName(c), Block: next.Block}
	var cats []string
	seedSet := map[string]map[string]bool{}
	for _, cat := range in.Policy.Categories {
		cats = append(cats, cat.Name)
		seedSet[cat.Name] = map[string]bool{}
		for _, a := range seeds[cat.Name] {
			if addr, err := chain.ParseAddress(c, a); err == nil {
				seedSet[cat.Name][addr.String()] = true
			}
		}
	}
	ops := func(indexed bool, edges bool) *entOps {
		o := &entOps{d: d, s: in.Store, c: c, caip2: caip2, cats: cats, maxHops: in.Policy.MaxHops, upto: upto, edges: edges, seeds: seedSet}
		if indexed {
			o.b = d.db.NewIndexedBatch()
			o.r = o.b
		} else {
			o.b, o.r = d.db.NewBatch(), d.db
		}
		if old != nil {
			o.entities = int64(old.Entities)
		}
		return o
	}
	full := func(reason string, edges bool) (*entityMeta, *EntityUpdate, error) {
		eu.How, eu.Reason = "rebuilt", reason
		if err := d.dropEntities(caip2); err != nil {
			return nil, nil, err
		}
		o := ops(false, edges)
		o.entities = 0
		defer func() { o.b.Close() }()
		if has && cl.Clusterer().Summarize().Clustered <= fullScanMax {
			if err := o.fullScan(ctx, cl); err != nil {
				return nil, nil, err
			}
		} else if has {
			err := cl.Clusterer().EachEntity(func(e uint64, ids []uint32) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				members := make([]memberRef, len(ids))
				for i, id := range ids {
					a, err := in.Store.Address(uint64(id))
					if err != nil {
						return err
					}
					members[i] = memberRef{addr: a.String(), id: uint64(id)}
				}
				if err := o.recompute(e, members); err != nil {
					return err
				}
				return o.commitSome()
			})
			if err != nil {
				return nil, nil, err
			}
		}
		if has {
			for blk, err := range cl.Blocks(max(h2, journalKeep-1) - (journalKeep - 1)) {
				if err != nil {
					return nil, nil, err
				}
				if err := o.b.Set(journalKey(caip2, blk.Height), encodeJournal(journalEntry{Hash: blk.Hash, Links: blk.Links}), nil); err != nil {
					return nil, nil, err
				}
			}
		}
		if err := o.b.Commit(pebble.Sync); err != nil {
			return nil, nil, err
		}
		next.Entities = uint64(o.entities)
		eu.Recomputed, eu.Entities = o.recomp, next.Entities
		return next, eu, nil
	}
	switch {
	case rebuilt:
		return full("the chain's exposure is computed anew", false)
	case old == nil:
		return full("first follow of the clustering", true)
	case old.Generation != gen:
		return full("the clustering was built anew", true)
	case !has:
		return full("the clustering holds no block", true)
	case old.Has && old.Block == h2 && old.Hash == hash2.String():
		eu.How, eu.Entities = "unchanged", old.Entities
		next.Entities = old.Entities
		return next, eu, nil
	}
	forward := !old.Has
	if old.Has && old.Block <= h2 {
		h, ok, err := cl.BlockHash(old.Block)
		if err != nil {
			return nil, nil, err
		}
		forward = ok && h.String() == old.Hash
	}
	o := ops(true, true)
	defer func() { o.b.Close() }()
	var err2 error
	if forward {
		eu.How = "followed"
		from := uint64(0)
		if old.Has {
			from = old.Block + 1
		}
		err2 = o.follow(ctx, cl, from)
	} else {
		eu.How = "rolled-back"
		var found bool
		found, err2 = o.rollback(ctx, cl, old.Block)
		if err2 == nil && !found {
			o.b.Close()
			return full(fmt.Sprintf("the clustering was rolled back beyond the %d blocks the journal keeps", journalKeep), true)
		}
	}
	if errors.Is(err2, errOutOfStep) {
		in.Log.Warn("entity figures out of step with the clustering: computing them again", "chain", caip2, "err", err2)
		o.b.Close()
		return full(err2.Error(), true)
	}
	if err2 != nil {
		return nil, nil, err2
	}
	if h2 >= journalKeep {
		lo := journalKey(caip2, 0)
		if err := o.b.DeleteRange(lo, journalKey(caip2, h2-journalKeep+1), nil); err != nil {
			return nil, nil, err
		}
	}
	if err := o.b.Commit(pebble.Sync); err != nil {
		return nil, nil, err
	}
	next.Entities = uint64(max(o.entities, 0))
	eu.Merges, eu.Recomputed, eu.Entities = o.merges, o.recomp, next.Entities
	return next, eu, nil
}

// commitSome commits a plain batch that grew large, so that computing
// every entity does not hold it all in memory (the update's in-progress
// marker covers a crash).
func (o *entOps) commitSome() error {
	if o.b.Len() < 64<<20 {
		return nil
	}
	if err := o.b.Commit(pebble.NoSync); err != nil {
		return err
	}
	o.b.Close()
	o.b = o.d.db.NewBatch()
	return nil
}

// fullScanMax is how many clustered addresses computing every entity at
// once holds in memory (an address and its entity's handle each, about
// 100 bytes): one pass over the chain's transfers and the flow edges
// then does it. Above, each entity is computed from its members'
// histories, in bounded memory and more slowly (random reads).
var fullScanMax uint64 = 10_000_000

// fullScan computes every entity of the clustering from one pass over
// the chain's transfers (what they received from outside) and, with
// o.edges, one over each category's flow edges.
func (o *entOps) fullScan(ctx context.Context, cl *cluster.DB) error {
	handles := map[string]uint64{}
	recs := map[uint64]*entityRec{}
	err := cl.Clusterer().EachEntity(func(e uint64, ids []uint32) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		members := make([]memberRef, len(ids))
		for i, id := range ids {
			a, err := o.s.Address(uint64(id))
			if err != nil {
				return err
			}
			members[i] = memberRef{addr: a.String(), id: uint64(id)}
			handles[members[i].addr] = e
		}
		recs[e] = &entityRec{ID: e, Members: uint64(len(ids))}
		o.recomp++
		o.entities++
		if err := o.putMembers(e, members); err != nil {
			return err
		}
		return o.commitSome()
	})
	if err != nil {
		return err
	}
	recv := map[uint64]recvAmounts{}
	for row, err := range o.s.Transfers(store.Query{Chain: o.c, ToBlock: o.upto, HasToBlock: true}) {
		if err != nil {
			return err
		}
		if !received(&row) {
			continue
		}
		h := handles[row.To.String()]
		if h == 0 || handles[row.From.String()] == h {
			continue
		}
		if recv[h] == nil {
			recv[h] = recvAmounts{}
		}
		recv[h].add(row.Asset.CAIP19(o.caip2), &row.Amount)
	}
	for h, rec := range recs {
		r := recv[h]
		if r == nil {
			r = recvAmounts{}
		}
		if err := o.putEntity(h, rec, r); err != nil {
			return err
		}
		if err := o.commitSome(); err != nil {
			return err
		}
	}
	if !o.edges {
		return nil
	}
	for _, cat := range o.cats {
		amts := map[uint64]hopAmounts{}
		parts := map[uint64]map[string]hopAmounts{}
		pre := chainFamilyPrefix(pEdgeIn, o.caip2, cat)
		it, err := o.d.db.NewIter(&pebble.IterOptions{LowerBound: pre, UpperBound: prefixEnd(pre)})
		if err != nil {
			return err
		}
		for it.First(); it.Valid(); it.Next() {
			to, from, ok := strings.Cut(string(it.Key()[len(pre):]), sep)
			if !ok {
				it.Close()
				return fmt.Errorf("exposure store %s: flow edge key %q: %w", o.d.dir, it.Key(), errEntityCorrupt)
			}
			h := handles[to]
			if h == 0 || handles[from] == h {
				continue
			}
			var list []assetHops
			if err := json.Unmarshal(it.Value(), &list); err != nil {
				it.Close()
				return fmt.Errorf("exposure store %s: flow edge %q: %w", o.d.dir, it.Key(), err)
			}
			e, err := decodeHops(list, o.maxHops)
			if err != nil {
				it.Close()
				return err
			}
			if amts[h] == nil {
				amts[h], parts[h] = hopAmounts{}, map[string]hopAmounts{}
			}
			amts[h].addAll(e, o.maxHops)
			if parts[h][to] == nil {
				parts[h][to] = hopAmounts{}
			}
			parts[h][to].addAll(e, o.maxHops)
		}
		if err := errors.Join(it.Error(), it.Close()); err != nil {
			return err
		}
		for h, amt := range amts {
			for m, p := range parts[h] {
				if err := o.putPart(cat, h, m, p); err != nil {
					return err
				}
			}
			if err := o.putCat(cat, h, amt, pickCarriers(amt, parts[h])); err != nil {
				return err
			}
			if err := o.commitSome(); err != nil {
				return err
			}
		}
	}
	return nil
}

// follow takes in the clustered blocks from height from on, merge by
// merge, journalling each block.
func (o *entOps) follow(ctx context.Context, cl *cluster.DB, from uint64) error {
	for blk, err := range cl.Blocks(from) {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, l := range blk.Links {
			if err := o.merge(l.A, l.B); err != nil {
				return err
			}
		}
		if err := o.b.Set(journalKey(o.caip2, blk.Height), encodeJournal(journalEntry{Hash: blk.Hash, Links: blk.Links}), nil); err != nil {
			return err
		}
	}
	return nil
}

// rollback follows a clustering that dropped blocks the figures followed
// (a reorg), then maybe clustered others: the entities the dropped
// merges touched are computed again from their members in the
// clustering as it is now, and the new blocks' other merges are taken in
// one by one. It reports false when the journal does not reach back to
// the fork.
func (o *entOps) rollback(ctx context.Context, cl *cluster.DB, followed uint64) (bool, error) {
	// the fork: the highest journalled block the clustering still holds
	lo := journalKey(o.caip2, 0)
	it, err := o.r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: journalKey(o.caip2, followed+1)})
	if err != nil {
		return false, err
	}
	var fork uint64
	found := false
	var dropped []cluster.Link
	for it.Last(); it.Valid(); it.Prev() {
		if len(it.Key()) != len(lo) {
			it.Close()
			return false, fmt.Errorf("exposure store %s: journal key %q: %w", o.d.dir, it.Key(), errEntityCorrupt)
		}
		h := binary.BigEndian.Uint64(it.Key()[len(lo)-8:])
		e, err := decodeJournal(it.Value())
		if err != nil {
			it.Close()
			return false, fmt.Errorf("exposure store %s: journal of block %d: %w", o.d.dir, h, err)
		}
		hash, ok, err := cl.BlockHash(h)
		if err != nil {
			it.Close()
			return false, err
		}
		if ok && hash == e.Hash {
			fork, found = h, true
			break
		}
		dropped = append(dropped, e.Links...)
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil || !found {
		return false, err
	}
	if err := o.b.DeleteRange(journalKey(o.caip2, fork+1), journalKey(o.caip2, followed+1), nil); err != nil {
		return false, err
	}
	// The entities the dropped merges made: dissolved, their members
	// regrouped as the clustering has them now.
	cf := cl.Clusterer()
	redo := map[uint64]bool{} // entity ids of the clustering now
	dissolved := map[uint64]bool{}
	for _, l := range dropped {
		for _, id := range []uint32{l.A, l.B} {
			a, err := o.s.Address(uint64(id))
			if err != nil {
				return false, err
			}
			h, err := o.memberOf(a.String())
			if err != nil {
				return false, err
			}
			if h == 0 || dissolved[h] {
				continue
			}
			dissolved[h] = true
			members, err := o.members(h)
			if err != nil {
				return false, err
			}
			for _, m := range members {
				redo[cf.EntityOf(m.id)] = true
			}
			if err := o.drop(h, members); err != nil {
				return false, err
			}
		}
	}
	// The new blocks: merges within the entities to redo wait for them;
	// the others are taken in one by one.
	var blocks []cluster.Block
	for blk, err := range cl.Blocks(fork + 1) {
		if err != nil {
			return false, err
		}
		blocks = append(blocks, blk)
	}
	for _, blk := range blocks {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		for _, l := range blk.Links {
			if redo[cf.EntityOf(uint64(l.A))] {
				continue
			}
			if err := o.merge(l.A, l.B); err != nil {
				return false, err
			}
		}
		if err := o.b.Set(journalKey(o.caip2, blk.Height), encodeJournal(journalEntry{Hash: blk.Hash, Links: blk.Links}), nil); err != nil {
			return false, err
		}
	}
	ids := make([]uint64, 0, len(redo))
	for e := range redo {
		ids = append(ids, e)
	}
	slices.Sort(ids)
	for _, e := range ids {
		list, n := cf.Members(e, 0, int(^uint(0)>>1))
		if n < 2 {
			continue // alone now
		}
		members := make([]memberRef, len(list))
		for i, id := range list {
			a, err := o.s.Address(id)
			if err != nil {
				return false, err
			}
			members[i] = memberRef{addr: a.String(), id: id}
			// a part that joined it by a merge of the new blocks: its
			// figures go, the entity's are computed whole
			h, err := o.memberOf(members[i].addr)
			if err != nil {
				return false, err
			}
			if h != 0 && !dissolved[h] {
				old, err := o.members(h)
				if err != nil {
					return false, err
				}
				if err := o.drop(h, old); err != nil {
					return false, err
				}
				dissolved[h] = true
			}
		}
		if err := o.recompute(e, members); err != nil {
			return false, err
		}
	}
	return true, nil
}

// dropEntities deletes a chain's entity figures (not the flow edges).
func (d *DB) dropEntities(caip2 string) error {
	b := d.db.NewBatch()
	defer b.Close()
	for _, p := range entityFamilies {
		lo := chainFamilyPrefix(p, caip2, "")
		if err := b.DeleteRange(lo, prefixEnd(lo), nil); err != nil {
			return err
		}
	}
	return b.Commit(pebble.Sync)
}

func clusteringName(c chain.Chain) string {
	if c == chain.Bitcoin {
		return "co-spend"
	}
	return "deposit-reuse"
}
