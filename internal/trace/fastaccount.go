package trace

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// The fast path of a forward account trace over an AccountSnapshot.
//
// TraceAccount merges the transfer streams of every tainted address through
// a heap and reads each newly tainted address's whole history for its clean
// opening balance; on a power-law graph taint reaches a hub within a hop or
// two, and that history is millions of transfers. The fast path computes
// the same Result differently:
//
//   - one forward scan of the snapshot's rows in chain order, from the
//     earliest seed's block to the last block followed, testing each row's
//     sender and recipient against a bitmap of followed addresses;
//   - dense state per address (followed, fewest hops) indexed by the
//     snapshot's address ids, and per followed address one Account per
//     asset, fed exactly as TraceAccount feeds its Holdings;
//   - opening balances from the snapshot's balance checkpoints (at most
//     checkEvery transfers replayed) instead of the history;
//   - flows kept as row numbers with their tainted amount, resolved to
//     Flow records only by FastResult.Result.
//
// Everything TraceAccount decides per transfer is decided here the same
// way and in the same order (swaps, receipts held behind a payment of
// another asset, gap credits, bounds, exits), so the Results are equal;
// the random-graph tests compare them. It does not cover errors: FastTrace
// reports those as not taken and Trace runs TraceAccount instead.
//
// Exits: an address's service is looked up once, when taint first reaches
// it, and kept in its flags (addrLooked, addrService) and in
// fastAccount.svcs. A service the trace stops at is followed with
// addrStopped set (TraceAccount's tracked.exit): its history is replayed,
// its payments carry nothing on and reach their recipients clean. With
// Exits.SkipRemaining it is not followed but marked addrSink, and later
// taint reaching it counts at its exit. The scan itself tests no more than
// before: a row's sender flags are read where they already were.

// FastResult is a trace computed by a snapshot's fast path, compact:
// Result resolves it to the Result the general tracer gives.
type FastResult struct {
	// Edges is the transfers (UTXO: inputs and outputs) the trace applied
	// a model to, the replays of opening balances from checkpoints included.
	Edges int64
	// Scanned is the rows the forward scan looked at (account chains).
	Scanned int64
	acct    *fastAccount
	utxo    *fastUTXO
}

// errNotFast stops a fast trace that met what only the general tracer
// handles (an error it reports, a bound it alone implements).
var errNotFast = errors.New("not for the fast path")

// errStopped is a fast trace its stop function ended.
var errStopped = errors.New("stopped")

// FastOptions tune a fast trace.
type FastOptions struct {
	// Stop, when set, is polled every 65,536 rows (UTXO: every 1,024
	// transactions); a true answer ends the trace with ErrStopped.
	Stop func() bool
}

// ErrStopped is returned by a fast trace that FastOptions.Stop ended.
var ErrStopped = errStopped

// fastAddr is the trace's state of one address, in an array indexed by
// the snapshot's address ids: allocated per trace, its pages are touched
// only where the trace goes, and an address's state is one 64-byte entry
// (one cache line), found without a lookup.
type fastAddr struct {
	acct  fastAcct // its first account (acct.used); more in fastAccount.more
	hop   int32    // a followed address's hop
	reach int32    // 1 + the fewest hops by which taint reached it (0: not reached)
	hold  int32    // 1 + its most recent hold in fastAccount.holds (0: none)
	flags uint8
}

const (
	addrFollowed = 1 << iota
	addrSeedAll  // an Amount-less seed: every receipt is tainted in full
	addrLooked   // its service was looked up; addrService: it is one, in fastAccount.svcs
	addrService
	addrStopped // a followed service the trace stops at: its payments carry no taint on (tracked.exit)
	addrSink    // a stopped service left unread (Exits.SkipRemaining): not followed
)

// fastSvc is a service taint reached, and its exits, one per asset.
type fastSvc struct {
	svc   Service
	stop  bool // the trace stops there (Exits.Stop)
	exits []fastExit
}

// fastExit is the taint that arrived at a service in one asset (tally.exit).
type fastExit struct {
	amount   uint256.Int
	followed uint256.Int // the part of amount not stopped there (Exit.Followed)
	row      uint32      // the first arrival
	hop      int32       // the fewest hops of an arrival
	asset    uint16
	stopped  bool
}

// fastAcct is one asset's account at a followed address. Haircut and
// poison keep the balance and its tainted part here in 128 bits each,
// where every ether and token balance of the synthetic graphs fits; an
// account past that moves to fastAccount.wide for good. FIFO keeps its
// queue in fastAccount.fifos. The arithmetic is the models' own, on their
// own types (haircutAccount, poisonAccount, fifoAccount) called directly:
// an Account interface would put every amount passed to it on the heap.
type fastAcct struct {
	v0, v1, t0, t1 uint64 // value and taint, low and high 64 bits (when ext is 0)
	ext            int32  // FIFO: 1 + its queue in fifos; else 1 + its place in wide (0: here)
	next           int32  // 1 + the address's next account in fastAccount.more (0: none)
	asset          uint16
	used           bool
	poisoned       bool
}

// load returns x's balance and taint as the haircut (or, in value, the
// poison) model keeps them: the wide account itself, or a copy in h.
func (t *fastAccount) load(x *fastAcct, h *haircutAccount) *haircutAccount {
	if x.ext != 0 {
		return &t.wide[x.ext-1]
	}
	h.value, h.taint = uint256.Int{x.v0, x.v1}, uint256.Int{x.t0, x.t1}
	return h
}

// store writes back what load gave, moving x to wide if it outgrew 128
// bits.
func (t *fastAccount) store(x *fastAcct, h *haircutAccount) {
	if x.ext != 0 {
		return // h is the wide account
	}
	if h.value[2]|h.value[3]|h.taint[2]|h.taint[3] != 0 {
		t.wide = append(t.wide, *h)
		x.ext = int32(len(t.wide))
		return
	}
	x.v0, x.v1, x.t0, x.t1 = h.value[0], h.value[1], h.taint[0], h.taint[1]
}

func (t *fastAccount) receive(x *fastAcct, amount, taint *uint256.Int) error {
	var tmp haircutAccount
	switch t.m {
	case Haircut:
		if x.receive128(amount, taint) {
			return nil
		}
		h := t.load(x, &tmp)
		if err := h.Receive(amount, taint); err != nil {
			return err
		}
		t.store(x, h)
		return nil
	case Poison:
		h := t.load(x, &tmp)
		p := poisonAccount{value: h.value, poisoned: x.poisoned}
		if err := p.Receive(amount, taint); err != nil {
			return err
		}
		h.value, x.poisoned = p.value, p.poisoned
		t.store(x, h)
		return nil
	}
	return t.fifos[x.ext-1].Receive(amount, taint)
}

func (t *fastAccount) debitAcct(x *fastAcct, amount *uint256.Int) (uint256.Int, error) {
	var tmp haircutAccount
	switch t.m {
	case Haircut:
		if sent, ok := x.send128(amount); ok {
			return sent, nil
		}
		h := t.load(x, &tmp)
		sent, err := h.Send(amount)
		t.store(x, h)
		return sent, err
	case Poison:
		h := t.load(x, &tmp)
		p := poisonAccount{value: h.value, poisoned: x.poisoned}
		sent, err := p.Send(amount)
		h.value = p.value
		t.store(x, h)
		return sent, err
	}
	return t.fifos[x.ext-1].Send(amount)
}

// value is x's balance.
func (t *fastAccount) value(x *fastAcct) uint256.Int {
	switch {
	case t.m == FIFO:
		return t.fifos[x.ext-1].value
	case x.ext != 0:
		return t.wide[x.ext-1].value
	}
	return uint256.Int{x.v0, x.v1}
}

func (t *fastAccount) balance(x *fastAcct) (value, taint uint256.Int) {
	var tmp haircutAccount
	switch t.m {
	case Haircut:
		return t.load(x, &tmp).Balance()
	case Poison:
		p := poisonAccount{value: t.load(x, &tmp).value, poisoned: x.poisoned}
		return p.Balance()
	}
	return t.fifos[x.ext-1].Balance()
}

// fastHold is taint a bound stopped at an address not followed.
type fastHold struct {
	amount uint256.Int
	hop    int32
	next   int32 // 1 + the address's next hold (0: none)
	asset  uint16
	stop   Stop
}

type fastAccount struct {
	s        *AccountSnapshot
	m        Model
	b        Bounds
	stop     func() bool
	end      uint32     // rows before end are at or before the last block followed
	st       []fastAddr // by address id
	bits     []uint64   // followed address ids, what the scan tests
	followed []uint32   // followed address ids, in the order they were
	more     []fastAcct // accounts beyond an address's first
	fifos    []fifoAccount
	wide     []haircutAccount // accounts past 128 bits
	reach    []uint32         // reached address ids

	flows                            flowLog
	swaps                            []Swap
	seeded, fees, burns, swOut, swIn []uint256.Int // per asset id
	holds                            []fastHold
	holders                          []uint32            // addresses with holds
	held                             map[uint32][]uint32 // payment row -> receipts held behind it, in the order they follow it
	heldMark                         map[uint32]bool
	swapIn                           map[uint32]*uint256.Int // receipt row -> taint a swap assigned it
	bal                              balances
	legs                             []uint32
	edges, scanned                   int64
	ahead                            [scanWindow][2]uint32 // touch's rows
	touched                          int32

	x    *Exits              // Bounds.Exits when it has services, else nil
	svcs map[uint32]*fastSvc // services taint reached, by address id
	// listed, when Exits.Services is a ServiceLister: the address ids it
	// lists; no other address is looked up.
	listed []uint64
}

func (t *fastAccount) isFollowed(id uint32) bool { return t.bits[id>>6]>>(id&63)&1 != 0 }

// acct returns followed address id's account of asset a, creating it
// empty. The pointer is good until the next acct or track.
func (t *fastAccount) acct(id uint32, a uint16) *fastAcct {
	first := &t.st[id].acct // st is never reallocated
	if first.used && first.asset == a {
		return first
	}
	last := -1 // the list's last account in more (-1: the first)
	if first.used {
		for k := first.next; k != 0; {
			x := &t.more[k-1]
			if x.asset == a {
				return x
			}
			last, k = int(k-1), x.next
		}
	}
	n := fastAcct{asset: a, used: true}
	if t.m == FIFO {
		t.fifos = append(t.fifos, fifoAccount{})
		n.ext = int32(len(t.fifos))
	}
	if !first.used {
		*first = n
		return first
	}
	t.more = append(t.more, n)
	if last < 0 {
		first.next = int32(len(t.more))
	} else {
		t.more[last].next = int32(len(t.more))
	}
	return &t.more[len(t.more)-1]
}

type fastSeed struct {
	seed *AccountSeed
	id   uint32
	row  uint32 // the first row of the seed's block or later
	k    int    // the address's transfers before that block
	i    int    // its place among the seeds
}

// Trace runs a forward trace on the snapshot's chain: the fast path when
// it applies (FastTrace), else TraceAccount over the snapshot. Either
// gives the same Result.
func (s *AccountSnapshot) Trace(c chain.Chain, m Model, b Bounds, seeds []AccountSeed) (*Result, error) {
	if c == s.c {
		if r, err := s.FastTrace(m, b, seeds, FastOptions{}); err == nil {
			return r.Result(), nil
		}
	}
	return TraceAccount(s, c, m, b, seeds)
}

// FastTrace runs the fast path of a forward trace, exits included. It
// fails with an error for which IsNotFast holds where it does not apply: a
// balance past 2^256 in the snapshot, or anything TraceAccount would
// refuse (bad seeds, an overdrawn or overflowing balance); TraceAccount
// then gives the answer, or the error, itself. Stopped by o.Stop, it
// returns ErrStopped with a FastResult that holds only the counts of what
// it did.
func (s *AccountSnapshot) FastTrace(m Model, b Bounds, seeds []AccountSeed, o FastOptions) (*FastResult, error) {
	t, err := s.fastTrace(m, b, seeds, o)
	switch {
	case errors.Is(err, errStopped):
		return &FastResult{Edges: t.edges, Scanned: t.scanned}, err // what it did before the stop
	case err != nil:
		return nil, fmt.Errorf("%w: %w", errNotFast, err)
	}
	return &FastResult{Edges: t.edges, Scanned: t.scanned, acct: t}, nil
}

// IsNotFast reports whether a FastTrace error means "use the general
// tracer" rather than a stop.
func IsNotFast(err error) bool { return errors.Is(err, errNotFast) }

func (s *AccountSnapshot) fastTrace(m Model, b Bounds, seeds []AccountSeed, o FastOptions) (*fastAccount, error) {
	if _, err := NewAccount(m); err != nil {
		return nil, err
	}
	if s.cpErr != nil {
		return nil, s.cpErr
	}
	last := s.cursor
	if b.HasUntil && b.Until < last {
		last = b.Until
	}
	n := len(s.from)
	t := &fastAccount{s: s, m: m, b: b, stop: o.Stop,
		end:    uint32(sort.Search(n, func(i int) bool { return s.block(uint32(i)) > last })),
		st:     make([]fastAddr, len(s.addrs)),
		bits:   make([]uint64, (len(s.addrs)+63)/64),
		seeded: make([]uint256.Int, len(s.assets)), fees: make([]uint256.Int, len(s.assets)), burns: make([]uint256.Int, len(s.assets)),
		swOut: make([]uint256.Int, len(s.assets)), swIn: make([]uint256.Int, len(s.assets)),
		held: map[uint32][]uint32{}, heldMark: map[uint32]bool{}, swapIn: map[uint32]*uint256.Int{}}
	if b.Exits != nil && b.Exits.Services != nil {
		t.x, t.svcs = b.Exits, map[uint32]*fastSvc{}
		if l, ok := b.Exits.Services.(ServiceLister); ok {
			if addrs, ok := l.ServiceAddresses(s.c); ok {
				t.listed = make([]uint64, len(t.bits))
				for _, a := range addrs {
					if id, ok := s.ids[a]; ok {
						t.listed[id>>6] |= 1 << (id & 63)
					}
				}
			}
		}
	}
	fs, err := t.seeds(seeds, last)
	if err != nil {
		return nil, err
	}
	j := uint32(n)
	if len(fs) > 0 {
		j = fs[0].row
	}
	si := 0
	for {
		for si < len(fs) && fs[si].row <= j {
			if err := t.activate(&fs[si]); err != nil {
				return nil, err
			}
			si++
		}
		if j >= t.end {
			break
		}
		limit := t.end
		if si < len(fs) && fs[si].row < limit {
			limit = fs[si].row
		}
		if err := t.scan(j, limit); err != nil {
			return t, err
		}
		j = limit
	}
	for ; si < len(fs); si++ {
		if err := t.activate(&fs[si]); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// seeds checks the seeds as TraceAccount does and places them in the scan.
func (t *fastAccount) seeds(seeds []AccountSeed, last uint64) ([]fastSeed, error) {
	s := t.s
	type seedKey struct {
		addr  chain.Address
		asset chain.Asset
	}
	seen, all := map[seedKey]bool{}, map[chain.Address]bool{}
	var out []fastSeed
	for i := range seeds {
		sd := &seeds[i]
		k := seedKey{sd.Address, sd.Asset}
		if all[sd.Address] || seen[k] || (sd.Amount == nil && len(seen) > 0 && slices.ContainsFunc(seeds[:i], func(o AccountSeed) bool { return o.Address == sd.Address })) {
			return nil, errors.New("seed given twice")
		}
		seen[k] = true
		if sd.Amount == nil {
			all[sd.Address] = true
		}
		if t.b.HasUntil && sd.FromBlock > t.b.Until {
			return nil, errors.New("seed after the last block")
		}
		id, ok := s.ids[sd.Address]
		if !ok {
			return nil, errors.New("seed without transfers")
		}
		list := s.idx[s.off[id]:s.off[id+1]]
		if len(list) == 0 || s.block(list[0]) > last {
			return nil, errors.New("seed without transfers")
		}
		fs := fastSeed{seed: sd, id: id, i: i,
			row: uint32(sort.Search(len(s.from), func(r int) bool { return s.block(uint32(r)) >= sd.FromBlock })),
			k:   sort.Search(len(list), func(x int) bool { return s.block(list[x]) >= sd.FromBlock })}
		out = append(out, fs)
	}
	slices.SortFunc(out, func(x, y fastSeed) int {
		return cmp.Or(cmp.Compare(x.seed.FromBlock, y.seed.FromBlock), cmp.Compare(x.seed.Address.Raw, y.seed.Address.Raw), cmp.Compare(x.i, y.i))
	})
	return out, nil
}

// scan handles rows [j, limit) that touch a followed address.
func (t *fastAccount) scan(j, limit uint32) error {
	s := t.s
	from, to := s.from[:limit], s.to[:limit]
	haircut := t.m == Haircut
	for j < limit {
		stop := limit
		if t.stop != nil {
			stop = min(limit, j+1<<16)
		}
		t.scanned += int64(stop - j)
		for j < stop {
			w := min(stop, j+scanWindow)
			if len(t.followed) >= touchFrom {
				t.touch(j, w)
			}
			for ; j < w; j++ {
				f, r := from[j], to[j]
				if (t.bits[f>>6]>>(f&63)|t.bits[r>>6]>>(r&63))&1 == 0 {
					continue
				}
				if haircut && t.plainHaircut(j) {
					continue
				}
				if err := t.row(j); err != nil {
					return err
				}
			}
		}
		if t.stop != nil && t.stop() {
			return errStopped
		}
	}
	return nil
}

// scanWindow is the rows scan reads ahead of the model (touch).
const scanWindow = 256

// touchFrom is the followed addresses from which scan touches rows ahead:
// the state of fewer stays in the processor's caches (64 bytes each), and
// touching would only read the rows twice (a one-alert FIFO trace spends
// 60% longer with it, a haircut trace through hubs 16% less).
const touchFrom = 1 << 15

// touch loads the state of both ends of every row in [j, w) that touches
// an address followed now, and its second asset's account, before the
// rows are handled one by one. The state of the addresses a trace
// follows is far larger than the processor's caches, and handling a row
// waits on its loads: issued here together, in loops whose loads do not
// depend on each other, they are fetched in parallel instead of one after
// the other. It changes nothing but what is in the cache (a row whose end
// becomes followed within the window is handled all the same).
func (t *fastAccount) touch(j, w uint32) {
	s, st, bits := t.s, t.st, t.bits
	var sum int32
	n := 0
	for ; j < w; j++ {
		f, r := s.from[j], s.to[j]
		if (bits[f>>6]>>(f&63)|bits[r>>6]>>(r&63))&1 == 0 {
			continue
		}
		sum += st[f].acct.next | st[r].acct.next
		t.ahead[n] = [2]uint32{f, r}
		n++
	}
	for _, fr := range t.ahead[:n] {
		if k := st[fr[0]].acct.next; k != 0 {
			sum += t.more[k-1].next
		}
		if k := st[fr[1]].acct.next; k != 0 {
			sum += t.more[k-1].next
		}
	}
	t.touched += sum // kept, so the loads are not optimised away
}

func (t *fastAccount) reached(id uint32, h int32) {
	a := &t.st[id]
	if a.reach != 0 && a.reach-1 <= h {
		return
	} else if a.reach == 0 {
		t.reach = append(t.reach, id)
	}
	a.reach = h + 1
}

// track follows address id from hop h on, its first k transfers (those
// before taint reached it) replayed as its clean opening balance.
func (t *fastAccount) track(id uint32, h int32, k int) error {
	n, err := t.s.openBalance(&t.bal, id, k)
	if err != nil {
		return err
	}
	t.edges += int64(n)
	a := &t.st[id]
	a.hop, a.flags = h, a.flags|addrFollowed
	t.followed = append(t.followed, id)
	t.bits[id>>6] |= 1 << (id & 63)
	var zero uint256.Int
	for _, x := range t.bal {
		if !x.value.IsZero() {
			if err := t.receive(t.acct(id, x.asset), &x.value, &zero); err != nil {
				return err
			}
		}
	}
	t.reached(id, h)
	return nil
}

// activate starts a seed at its block (accountTracer.activate).
func (t *fastAccount) activate(fs *fastSeed) error {
	sd, id := fs.seed, fs.id
	if !t.isFollowed(id) {
		if err := t.track(id, 0, fs.k); err != nil {
			return err
		}
	}
	if at := &t.st[id]; at.flags&addrStopped != 0 {
		// A service the trace stopped at, seeded now: followed from here on
		// as a seed whose holdings so far are clean (TraceAccount's
		// activate: each account starts over with its balance, clean; a
		// poisoned account forgets its poison).
		var zero uint256.Int
		for x := &at.acct; x.used; x = &t.more[x.next-1] {
			bal, _ := t.balance(x)
			if _, err := t.debitAcct(x, &bal); err != nil {
				return err
			}
			x.poisoned = false
			if err := t.receive(x, &bal, &zero); err != nil {
				return err
			}
			if x.next == 0 {
				break
			}
		}
		at.flags &^= addrStopped
	}
	t.st[id].hop = 0
	t.reached(id, 0)
	if sd.Amount == nil {
		t.st[id].flags |= addrSeedAll
		return nil
	}
	a := slices.Index(t.s.assets, sd.Asset)
	if a < 0 {
		if sd.Amount.IsZero() {
			return nil // an empty account of an asset the chain never moved: nothing to taint
		}
		return errors.New("seed asset not on the chain")
	}
	acct := t.acct(id, uint16(a))
	bal, _ := t.balance(acct)
	if bal.Lt(sd.Amount) {
		return errors.New("seed above the balance")
	}
	was, err := t.debitAcct(acct, &bal)
	if err != nil {
		return err
	}
	now := was
	if sd.Amount.Gt(&now) {
		now = *sd.Amount
	}
	if err := t.receive(acct, &bal, &now); err != nil {
		return err
	}
	var add uint256.Int
	add.Sub(&now, &was)
	t.seeded[a].Add(&t.seeded[a], &add)
	return nil
}

func isSinkKind(k uint8) bool {
	k &= rowKind
	return chain.Kind(k) == chain.KindFee || chain.Kind(k) == chain.KindBurn
}

// row handles one transfer touching a followed address, as the entries of
// its sender's and recipient's streams do in TraceAccount.
func (t *fastAccount) row(j uint32) error {
	s := t.s
	t.edges++
	if s.kind[j]&rowToken != 0 {
		return nil
	}
	f, to := s.from[j], s.to[j]
	sender := t.isFollowed(f)
	recipient := to != f && t.isFollowed(to) // read before the send, which may start following the recipient from the next row on
	amt := s.amount(j)
	clean := recipient && !sender
	if sender {
		sent, err := t.debit(f, j, &amt)
		if err != nil {
			return err
		}
		if to != f {
			if t.st[f].flags&addrStopped == 0 {
				if err := t.send(f, j, &amt, &sent); err != nil {
					return err
				}
			} else {
				clean = recipient // what a stopped service pays arrives clean, as from an address not followed
			}
		}
	}
	if clean {
		// A receipt from an address not followed: the recipient takes it
		// clean, unless it pays another asset later in the transaction
		// (the legs of a swap in the optimistic order), then after that.
		if !t.sameTx(j) || (len(t.heldMark) > 0 && t.heldMark[j]) || isSinkKind(s.kind[j]) || !t.holdLeg(to, j) {
			if err := t.deliver(to, j, &amt, uint256.Int{}); err != nil {
				return err
			}
		}
	}
	if sender && len(t.held) > 0 {
		if list, ok := t.held[j]; ok {
			delete(t.held, j)
			for _, h := range list {
				t.edges++
				if hf := s.from[h]; t.isFollowed(hf) && t.st[hf].flags&addrStopped == 0 {
					continue // its sender is followed now: TraceAccount drops the receipt too
				}
				ha := s.amount(h)
				if err := t.deliver(f, h, &ha, uint256.Int{}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// debit applies a transfer from followed address sd (accountTracer.apply
// and Holdings.Apply): a send above the balance is first topped up by the
// gap, clean, or tainted at an Amount-less seed.
func (t *fastAccount) debit(sd uint32, j uint32, amt *uint256.Int) (uint256.Int, error) {
	s := t.s
	a := s.asset[j]
	acct := t.acct(sd, a)
	if bal := t.value(acct); bal.Lt(amt) {
		var gap, taint uint256.Int
		gap.Sub(amt, &bal)
		if t.st[sd].flags&addrSeedAll != 0 {
			taint = gap
			t.seeded[a].Add(&t.seeded[a], &gap)
		}
		if err := t.receive(acct, &gap, &taint); err != nil {
			return uint256.Int{}, err
		}
	}
	sent, err := t.debitAcct(acct, amt)
	if err != nil || s.to[j] != sd {
		return sent, err
	}
	back := sent
	return sent, t.receive(acct, amt, &back)
}

// send passes the taint of transfer j from sd on (accountTracer.send).
func (t *fastAccount) send(sd uint32, j uint32, amt, sent *uint256.Int) error {
	s := t.s
	hop := t.st[sd].hop + 1
	k := s.kind[j]
	toID := s.to[j]
	a := s.asset[j]
	sink := isSinkKind(k) || toID == 0
	followed := toID != 0 && t.isFollowed(toID)
	if !sink && !sent.IsZero() && (t.sameTx(j) || len(t.held) > 0) { // a swap's bought legs come later in the transaction or are held
		if swapped, err := t.swap(sd, j, amt, sent, followed); swapped || err != nil {
			return err
		}
	}
	if followed {
		var carried uint256.Int
		if !sink {
			carried = *sent
		}
		if err := t.deliver(toID, j, amt, carried); err != nil {
			return err
		}
	}
	if sent.IsZero() {
		return nil
	}
	fl := fastFlow{row: j, hop: hop}
	switch {
	case sink:
		if chain.Kind(k&rowKind) != chain.KindFee {
			fl.flags |= flowBurn
			t.burns[a].Add(&t.burns[a], sent)
		} else {
			t.fees[a].Add(&t.fees[a], sent)
		}
	case followed:
		r := &t.st[toID]
		r.hop = min(r.hop, hop)
		t.reached(toID, hop)
		if t.x != nil {
			if sv := t.service(toID); sv != nil { // stopped only if the trace stopped there (a seed at a service is followed)
				t.exit(sv, j, hop, sent, r.flags&addrStopped != 0)
			}
		}
	case t.st[toID].flags&addrSink != 0: // a stopped service left unread: as if followed and stopped
		t.reached(toID, hop)
		t.exit(t.svcs[toID], j, hop, sent, true)
	case t.b.MaxHops > 0 && int(hop) > t.b.MaxHops:
		t.hold(toID, a, sent, StopHops, hop)
	case sent.Lt(&t.b.MinAmount):
		t.reached(toID, hop)
		t.hold(toID, a, sent, StopMinAmount, hop)
	default:
		var sv *fastSvc
		if t.x != nil {
			sv = t.service(toID)
		}
		if sv != nil && sv.stop && t.x.SkipRemaining {
			t.reached(toID, hop) // a sink: not followed, not replayed
			t.exit(sv, j, hop, sent, true)
			t.st[toID].flags |= addrSink
			break
		}
		list := s.idx[s.off[toID]:s.off[toID+1]]
		if err := t.track(toID, hop, sort.Search(len(list), func(x int) bool { return list[x] >= j })); err != nil {
			return err
		}
		if err := t.receive(t.acct(toID, a), amt, sent); err != nil {
			return err
		}
		if sv != nil {
			t.exit(sv, j, hop, sent, sv.stop)
			if sv.stop {
				t.st[toID].flags |= addrStopped
			}
		}
	}
	t.flows.add(fl, sent)
	return nil
}

// service returns the service at address id, or nil: looked up once, when
// taint first reaches the address, and kept in its flags and t.svcs.
func (t *fastAccount) service(id uint32) *fastSvc {
	a := &t.st[id]
	if a.flags&addrLooked == 0 {
		a.flags |= addrLooked
		if t.listed != nil && t.listed[id>>6]>>(id&63)&1 == 0 {
			return nil // not on the services' list
		}
		if svc, ok, stop := t.x.service(t.s.addrs[id]); ok {
			a.flags |= addrService
			t.svcs[id] = &fastSvc{svc: svc, stop: stop}
		}
	}
	if a.flags&addrService == 0 {
		return nil
	}
	return t.svcs[id]
}

// exit adds the taint sent arriving at service sv by transfer j at hop hop
// (tally.exit).
func (t *fastAccount) exit(sv *fastSvc, j uint32, hop int32, sent *uint256.Int, stopped bool) {
	a := t.s.asset[j]
	for i := range sv.exits {
		if e := &sv.exits[i]; e.asset == a {
			e.amount.Add(&e.amount, sent)
			if !stopped {
				e.followed.Add(&e.followed, sent)
			}
			e.hop = min(e.hop, hop)
			e.stopped = e.stopped || stopped
			return
		}
	}
	e := fastExit{amount: *sent, row: j, hop: hop, asset: a, stopped: stopped}
	if !stopped {
		e.followed = *sent
	}
	sv.exits = append(sv.exits, e)
}

// hold adds taint a bound stopped at address id, which is not followed.
func (t *fastAccount) hold(id uint32, a uint16, v *uint256.Int, stop Stop, hop int32) {
	at := &t.st[id]
	for k := at.hold; k != 0; k = t.holds[k-1].next {
		if h := &t.holds[k-1]; h.asset == a && h.stop == stop {
			h.amount.Add(&h.amount, v)
			return
		}
	}
	if at.hold == 0 {
		t.holders = append(t.holders, id)
	}
	t.holds = append(t.holds, fastHold{amount: *v, hop: hop, next: at.hold, asset: a, stop: stop})
	at.hold = int32(len(t.holds))
}

// deliver applies receipt j of followed address r carrying taint from its
// sender, plus what r's own swap assigned it, and all of it at an
// Amount-less seed (accountTracer.deliver).
func (t *fastAccount) deliver(r uint32, j uint32, amt *uint256.Int, carried uint256.Int) error {
	s := t.s
	a := s.asset[j]
	if len(t.swapIn) > 0 { // a swap assigned taint to a receipt still ahead
		if v, ok := t.swapIn[j]; ok {
			delete(t.swapIn, j)
			var room uint256.Int
			room.Sub(amt, &carried)
			if v.Gt(&room) {
				v = &room
			}
			t.swIn[a].Add(&t.swIn[a], v)
			carried.Add(&carried, v)
		}
	}
	if t.st[r].flags&addrSeedAll != 0 {
		var add uint256.Int
		add.Sub(amt, &carried)
		t.seeded[a].Add(&t.seeded[a], &add)
		carried = *amt
	}
	return t.receive(t.acct(r, a), amt, &carried)
}

// sameTx reports whether row j+1 is of j's transaction.
func (t *fastAccount) sameTx(j uint32) bool {
	return int(j)+1 < len(t.s.tx) && t.s.tx[j+1] == t.s.tx[j]
}

// rest calls fn for sd's transfers after row j in j's transaction, in the
// order TraceAccount's stream holds them: each followed by the receipts
// held behind it. Receipts held behind a payment are in its payer's stream
// only (held[b] lists receipts of b's payer), so they follow b only where
// sd pays b: a payment to sd from a followed service the trace stopped at
// may have receipts of that service held behind it.
func (t *fastAccount) rest(sd uint32, j uint32, fn func(b uint32) bool) {
	s := t.s
	held := len(t.held) > 0
	if held && s.from[j] == sd {
		for _, h := range t.held[j] {
			if fn(h) {
				return
			}
		}
	}
	for b := j + 1; b < uint32(len(s.from)) && s.tx[b] == s.tx[j]; b++ {
		if s.from[b] != sd && s.to[b] != sd {
			continue
		}
		if fn(b) {
			return
		}
		if held && s.from[b] == sd {
			for _, h := range t.held[b] {
				if fn(h) {
					return
				}
			}
		}
	}
}

// swap treats a tainted payment as a conversion when the payer receives
// another asset in the same transaction (accountTracer.swap).
func (t *fastAccount) swap(sd uint32, j uint32, amt, sent *uint256.Int, venueFollowed bool) (bool, error) {
	s := t.s
	a := s.asset[j]
	id := sd
	t.legs = t.legs[:0]
	t.rest(id, j, func(b uint32) bool {
		if s.to[b] == id && s.from[b] != id && s.asset[b] != a && s.kind[b]&rowToken == 0 && !isSinkKind(s.kind[b]) {
			if amt := s.amount(b); !amt.IsZero() {
				t.legs = append(t.legs, b)
			}
		}
		return false
	})
	if len(t.legs) == 0 {
		return false, nil
	}
	if venueFollowed { // the venue receives what it is paid, clean
		if err := t.deliver(s.to[j], j, amt, uint256.Int{}); err != nil {
			return true, err
		}
	}
	t.flows.add(fastFlow{row: j, hop: t.st[sd].hop + 1, flags: flowSwap}, sent)
	if t.x != nil {
		if sv := t.service(s.to[j]); sv != nil { // a service answering in another asset: an exit, not stopped (accountTracer.swap)
			t.exit(sv, j, t.st[sd].hop+1, sent, false)
		}
	}
	t.swOut[a].Add(&t.swOut[a], sent)
	paid := *amt
	tx := &s.txs[s.tx[j]]
	for _, b := range t.legs {
		bought := s.amount(b)
		v, overflow := new(uint256.Int).MulOverflow(&bought, sent)
		if overflow {
			v = new(uint256.Int).Mul(new(uint256.Int).Div(&bought, &paid), sent)
		} else {
			v.Div(v, &paid)
		}
		if prev := t.swapIn[b]; prev != nil {
			v.Add(v, prev)
		}
		if v.Gt(&bought) {
			v.Set(&bought)
		}
		t.swapIn[b] = v
		t.swaps = append(t.swaps, Swap{Address: s.addrs[id], Tx: tx.hash, Block: s.blocks[tx.blk], Venue: s.addrs[s.to[j]],
			Sold: s.assets[a], SoldTaint: *sent, SoldAmount: paid, Bought: s.assets[s.asset[b]], BoughtAmount: bought})
	}
	return true, nil
}

// holdLeg holds receipt j of r behind the first payment of another asset
// r makes later in the transaction (tracked.holdLeg).
func (t *fastAccount) holdLeg(r uint32, j uint32) bool {
	s := t.s
	held := false
	t.rest(r, j, func(b uint32) bool {
		if s.from[b] == r && s.to[b] != r && s.to[b] != 0 && s.asset[b] != s.asset[j] && s.kind[b]&rowToken == 0 && !isSinkKind(s.kind[b]) {
			if amt := s.amount(b); !amt.IsZero() {
				t.heldMark[j] = true
				t.held[b] = slices.Insert(t.held[b], 0, j)
				held = true
				return true
			}
		}
		return false
	})
	return held
}

// Reached returns the number of tainted addresses.
func (r *FastResult) Reached() int {
	if r.acct != nil {
		return len(r.acct.reach)
	}
	return len(r.utxo.reach)
}

// Flows returns the number of flows.
func (r *FastResult) Flows() int {
	if r.acct != nil {
		return r.acct.flows.n
	}
	return r.utxo.flows.n
}

// Result resolves the trace to the Result TraceAccount or TraceUTXO gives.
func (r *FastResult) Result() *Result {
	if r.acct != nil {
		return r.acct.result()
	}
	return r.utxo.result()
}

func (t *fastAccount) result() *Result {
	s := t.s
	tl := newTally()
	for a := range s.assets {
		for _, x := range []struct {
			v *uint256.Int
			m map[chain.Asset]*uint256.Int
		}{{&t.seeded[a], tl.seeded}, {&t.fees[a], tl.fees}, {&t.burns[a], tl.burns}, {&t.swOut[a], tl.swappedOut}, {&t.swIn[a], tl.swappedIn}} {
			if !x.v.IsZero() {
				x.m[s.assets[a]] = new(uint256.Int).Set(x.v)
			}
		}
	}
	for _, id := range t.reach {
		tl.hopOf[s.addrs[id]] = int(t.st[id].reach - 1)
	}
	for _, id := range t.holders {
		for k := t.st[id].hold; k != 0; k = t.holds[k-1].next {
			h := &t.holds[k-1]
			tl.hold(s.addrs[id], s.assets[h.asset], &h.amount, h.stop, int(h.hop))
		}
	}
	for id, sv := range t.svcs {
		for i := range sv.exits {
			fe := &sv.exits[i]
			if tl.exits == nil {
				tl.exits = map[exitKey]*Exit{}
			}
			tx := &s.txs[s.tx[fe.row]]
			e := &Exit{Service: sv.svc, Address: s.addrs[id], Asset: s.assets[fe.asset], Amount: fe.amount, Followed: fe.followed,
				Block: s.blocks[tx.blk], TxIndex: tx.txi, Tx: tx.hash, Hop: int(fe.hop), Stopped: fe.stopped}
			if t.x.Freezable != nil {
				e.Issuer, _ = t.x.Freezable(e.Asset)
			}
			tl.exits[exitKey{e.Address, e.Asset}] = e
		}
	}
	for _, id := range t.followed {
		at := &t.st[id]
		for x := &at.acct; x.used; {
			_, taint := t.balance(x)
			if at.flags&addrService != 0 {
				if e := tl.exits[exitKey{s.addrs[id], s.assets[x.asset]}]; e != nil {
					e.Remaining = taint // poison would count the venue's own funds: at most what arrived
					if e.Remaining.Gt(&e.Amount) {
						e.Remaining = e.Amount
					}
				}
			}
			if at.flags&addrStopped == 0 {
				tl.hold(s.addrs[id], s.assets[x.asset], &taint, 0, int(at.hop))
			}
			if x.next == 0 {
				break
			}
			x = &t.more[x.next-1]
		}
	}
	res := tl.result()
	if t.flows.n > 0 {
		res.Flows = make([]Flow, 0, t.flows.n)
	}
	t.flows.all(func(fl *fastFlow, amount uint256.Int) {
		j := fl.row
		tx := &s.txs[s.tx[j]]
		f := Flow{From: s.addrs[s.from[j]], To: s.addrs[s.to[j]], Asset: s.assets[s.asset[j]], Kind: chain.Kind(s.kind[j] & rowKind), Amount: amount,
			Block: s.blocks[tx.blk], TxIndex: tx.txi, Tx: tx.hash, Seq: s.seq[j], Hop: int(fl.hop), Swap: fl.flags&flowSwap != 0}
		if fl.flags&flowBurn != 0 {
			f.Kind = chain.KindBurn
		}
		res.Flows = append(res.Flows, f)
	})
	res.Swaps = t.swaps
	return res
}
