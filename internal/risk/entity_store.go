package risk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/holiman/uint256"
)

// Entity exposure: the figures of every entity of two or more addresses
// (a co-spend cluster of DATA/cluster, a deposit-reuse cluster of
// DATA/cluster-eth), kept in the exposure store beside the addresses':
//
//	g <caip2> 0 <address>                 the address's entity as the store follows the clustering: handle(8), id(uvarint)
//	m <caip2> 0 handle(8) <address>       the entity's members: id(uvarint)
//	a <caip2> 0 handle(8)                 the entity (JSON): its id, member count, what it received from outside, per asset
//	n <caip2> 0 <category> 0 handle(8)    what of it came from the category (JSON): per asset and hop, and the member carrying most of it
//	c <caip2> 0 <category> 0 handle(8) <address>  one member's part of that (JSON)
//	x <caip2> 0 <category> 0 <to> 0 <from>  the category's flows from one address to another, per asset and hop (JSON)
//	y <caip2> 0 <category> 0 <from> 0 <to>  the same flows indexed by sender (empty)
//	j <caip2> 0 height(8)                 a clustered block followed: hash(32), merges (uvarint count, then id pairs)
//
// A handle names one entity's figures for as long as they live: the id
// of one of its members (the entity's id when it formed). When two
// entities merge, the larger keeps its handle and the smaller's members
// move to it, so an address moves O(log n) times however its entity
// grows; the entity's id (its smallest member, as internal/cluster names
// entities) is kept in its record.
//
// What counts: a transfer or a flow of the trace between two members of
// one entity is internal. It neither adds to what the entity received
// nor to its exposure: an entity's exposure is about the funds that
// entered it from outside. Internal is judged against the partition now,
// so a merge turns the transfers between the two entities internal.
const (
	pMember  = 'g'
	pMembers = 'm'
	pEntity  = 'a'
	pEntCat  = 'n'
	pEntPart = 'c'
	pEdgeIn  = 'x'
	pEdgeOut = 'y'
	pJournal = 'j'
)

// entityFamilies are the key families of the entity figures proper (the
// flow edges, x and y, belong to the categories' traces).
var entityFamilies = []byte{pMember, pMembers, pEntity, pEntCat, pEntPart, pJournal}

func memberKey(caip2, addr string) []byte {
	return []byte(string(pMember) + caip2 + sep + addr)
}

func membersPrefix(caip2 string, handle uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(string(pMembers)+caip2+sep), handle)
}

func entityRecKey(caip2 string, handle uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(string(pEntity)+caip2+sep), handle)
}

func entCatKey(caip2, cat string, handle uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(string(pEntCat)+caip2+sep+cat+sep), handle)
}

func entPartPrefix(caip2, cat string, handle uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(string(pEntPart)+caip2+sep+cat+sep), handle)
}

func edgeKey(p byte, caip2, cat, a, b string) []byte {
	return []byte(string(p) + caip2 + sep + cat + sep + a + sep + b)
}

func edgePrefix(p byte, caip2, cat, a string) []byte {
	return []byte(string(p) + caip2 + sep + cat + sep + a + sep)
}

func journalKey(caip2 string, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(string(pJournal)+caip2+sep), h)
}

// chainFamilyPrefix is where family p of one chain (and, when cat is
// not empty, one category) starts.
func chainFamilyPrefix(p byte, caip2, cat string) []byte {
	k := string(p) + caip2 + sep
	if cat != "" {
		k += cat + sep
	}
	return []byte(k)
}

var errEntityCorrupt = errors.New("corrupt entity record")

// encodeMember is a g value: the handle and the address's own id.
func encodeMember(handle, id uint64) []byte {
	return binary.AppendUvarint(binary.BigEndian.AppendUint64(nil, handle), id)
}

func decodeMember(v []byte) (handle, id uint64, err error) {
	if len(v) < 9 {
		return 0, 0, errEntityCorrupt
	}
	handle = binary.BigEndian.Uint64(v)
	id, n := binary.Uvarint(v[8:])
	if n <= 0 || 8+n != len(v) || handle == 0 || id == 0 {
		return 0, 0, errEntityCorrupt
	}
	return handle, id, nil
}

// decodeMembersKey reads an m key's address, given its prefix's length.
func decodeMembersEntry(k, v []byte, prefixLen int) (memberRef, error) {
	if len(k) <= prefixLen {
		return memberRef{}, errEntityCorrupt
	}
	id, n := binary.Uvarint(v)
	if n <= 0 || n != len(v) || id == 0 {
		return memberRef{}, errEntityCorrupt
	}
	return memberRef{addr: string(k[prefixLen:]), id: id}, nil
}

// journalEntry is a clustered block the entity figures followed.
type journalEntry struct {
	Hash  chain.Hash
	Links []cluster.Link
}

func encodeJournal(e journalEntry) []byte {
	v := append(make([]byte, 0, 40+8*len(e.Links)), e.Hash[:]...)
	v = binary.AppendUvarint(v, uint64(len(e.Links)))
	for _, l := range e.Links {
		v = binary.AppendUvarint(v, uint64(l.A))
		v = binary.AppendUvarint(v, uint64(l.B))
	}
	return v
}

func decodeJournal(v []byte) (journalEntry, error) {
	var e journalEntry
	if len(v) < 33 {
		return e, errEntityCorrupt
	}
	copy(e.Hash[:], v)
	v = v[32:]
	n, k := binary.Uvarint(v)
	if k <= 0 || n > uint64(len(v)) {
		return e, errEntityCorrupt
	}
	v = v[k:]
	e.Links = make([]cluster.Link, n)
	for i := range e.Links {
		var ab [2]uint64
		for j := range ab {
			x, k := binary.Uvarint(v)
			if k <= 0 || x > 1<<32-1 {
				return e, errEntityCorrupt
			}
			ab[j], v = x, v[k:]
		}
		e.Links[i] = cluster.Link{A: uint32(ab[0]), B: uint32(ab[1])}
	}
	if len(v) != 0 {
		return e, errEntityCorrupt
	}
	return e, nil
}

// memberRef is a member of an entity: its address and id.
type memberRef struct {
	addr string
	id   uint64
}

// entityRec is an entity's a record.
type entityRec struct {
	ID       uint64 `json:"id"`      // the smallest member's address id: the clustering's entity id
	Members  uint64 `json:"members"` // how many addresses it holds
	Received totals `json:"received"`
}

// entCatRec is an entity's n record: what its members received from the
// category's addresses, from outside the entity.
type entCatRec struct {
	Assets   []assetHops `json:"assets"`   // sorted by asset
	Carriers []carrier   `json:"carriers"` // per asset of Assets, in the same order
}

// carrier is the member that received the most of an asset's exposure
// from outside the entity (over all the hops kept; the first address of
// equal ones).
type carrier struct {
	Asset  string `json:"asset"`
	Member string `json:"member"`
	Amount string `json:"amount"`
}

// hopAmounts are amounts per asset (CAIP-19) and hop (index 0: hop 1).
type hopAmounts map[string][]uint256.Int

func (h hopAmounts) add(asset string, hop, maxHops int, v *uint256.Int) {
	a := h[asset]
	if a == nil {
		a = make([]uint256.Int, maxHops)
		h[asset] = a
	}
	a[hop-1].Add(&a[hop-1], v)
}

func (h hopAmounts) addAll(o hopAmounts, maxHops int) {
	for asset, by := range o {
		for i := range by {
			if !by[i].IsZero() {
				h.add(asset, i+1, maxHops, &by[i])
			}
		}
	}
}

// errNegative: a subtraction would go below zero, which a consistent
// store never asks for.
var errNegative = errors.New("entity figures would go below zero")

func (h hopAmounts) subAll(o hopAmounts) error {
	for asset, by := range o {
		a := h[asset]
		for i := range by {
			if by[i].IsZero() {
				continue
			}
			if i >= len(a) || a[i].Lt(&by[i]) {
				return fmt.Errorf("%w (%s at hop %d)", errNegative, asset, i+1)
			}
			a[i].Sub(&a[i], &by[i])
		}
	}
	return nil
}

func (h hopAmounts) total(asset string) uint256.Int {
	var t uint256.Int
	for i := range h[asset] {
		t.Add(&t, &h[asset][i])
	}
	return t
}

func (h hopAmounts) zero() bool {
	for _, by := range h {
		for i := range by {
			if !by[i].IsZero() {
				return false
			}
		}
	}
	return true
}

// encode lists the assets in order, each hop's amount in decimal ("" for
// none), leaving out assets without any.
func (h hopAmounts) encode() []assetHops {
	out := make([]assetHops, 0, len(h))
	for asset, by := range h {
		ah := assetHops{Asset: asset, ByHop: make([]string, len(by))}
		any := false
		for i := range by {
			if !by[i].IsZero() {
				ah.ByHop[i], any = by[i].Dec(), true
			}
		}
		if any {
			out = append(out, ah)
		}
	}
	slices.SortFunc(out, func(a, b assetHops) int {
		switch {
		case a.Asset < b.Asset:
			return -1
		case a.Asset > b.Asset:
			return 1
		}
		return 0
	})
	return out
}

func decodeHops(list []assetHops, maxHops int) (hopAmounts, error) {
	h := hopAmounts{}
	for _, a := range list {
		if len(a.ByHop) > maxHops {
			return nil, fmt.Errorf("%w: %d hops kept, at most %d", errEntityCorrupt, len(a.ByHop), maxHops)
		}
		by := make([]uint256.Int, maxHops)
		for i, s := range a.ByHop {
			if s == "" {
				continue
			}
			if err := by[i].SetFromDecimal(s); err != nil {
				return nil, fmt.Errorf("%w: %q: %v", errEntityCorrupt, s, err)
			}
		}
		h[a.Asset] = by
	}
	return h, nil
}

// recvAmounts are what an entity received, per asset.
type recvAmounts map[string]*uint256.Int

func (r recvAmounts) add(asset string, v *uint256.Int) {
	if r[asset] == nil {
		r[asset] = new(uint256.Int)
	}
	r[asset].Add(r[asset], v)
}

func (r recvAmounts) sub(asset string, v *uint256.Int) error {
	a := r[asset]
	if a == nil || a.Lt(v) {
		return fmt.Errorf("%w (received %s)", errNegative, asset)
	}
	a.Sub(a, v)
	return nil
}

func (r recvAmounts) totals() totals {
	t := totals{}
	for asset, v := range r {
		if !v.IsZero() {
			t[asset] = v.Dec()
		}
	}
	return t
}

func recvOf(t totals) (recvAmounts, error) {
	r := recvAmounts{}
	for asset, s := range t {
		v := new(uint256.Int)
		if err := v.SetFromDecimal(s); err != nil {
			return nil, fmt.Errorf("%w: received %q: %v", errEntityCorrupt, s, err)
		}
		r[asset] = v
	}
	return r, nil
}

// carriers picks, per asset of amt, the part with the largest total (the
// first address of equal ones).
func pickCarriers(amt hopAmounts, parts map[string]hopAmounts) []carrier {
	enc := amt.encode()
	out := make([]carrier, 0, len(enc))
	for _, a := range enc {
		var best carrier
		var bestV uint256.Int
		for m, p := range parts {
			v := p.total(a.Asset)
			if v.IsZero() {
				continue
			}
			if best.Member == "" || v.Gt(&bestV) || (v.Eq(&bestV) && m < best.Member) {
				best, bestV = carrier{Asset: a.Asset, Member: m}, v
			}
		}
		best.Amount = bestV.Dec()
		best.Asset = a.Asset
		out = append(out, best)
	}
	return out
}

// raiseCarriers updates carriers after the parts in cands grew (or
// appeared), none having shrunk: per asset of amt, the old carrier stays
// unless a candidate now beats it.
func raiseCarriers(amt hopAmounts, old []carrier, cands map[string]hopAmounts) []carrier {
	byAsset := make(map[string]carrier, len(old))
	for _, c := range old {
		byAsset[c.Asset] = c
	}
	enc := amt.encode()
	out := make([]carrier, 0, len(enc))
	for _, a := range enc {
		best := byAsset[a.Asset]
		var bestV uint256.Int
		if best.Member != "" {
			_ = bestV.SetFromDecimal(best.Amount)
		}
		for m, p := range cands {
			v := p.total(a.Asset)
			if v.IsZero() {
				continue
			}
			if m == best.Member || best.Member == "" || v.Gt(&bestV) || (v.Eq(&bestV) && m < best.Member) {
				best.Member, bestV = m, v
			}
		}
		out = append(out, carrier{Asset: a.Asset, Member: best.Member, Amount: bestV.Dec()})
	}
	return out
}
