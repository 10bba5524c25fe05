package trace

import (
	"cmp"
	"container/heap"
	"fmt"
	"iter"
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// AccountSource is what the account tracer reads; *store.DB implements it.
type AccountSource interface {
	// Transfers yields the transfers matching q in chain order.
	Transfers(q store.Query) iter.Seq2[store.Row, error]
}

// AccountSeed is where an account-chain trace starts: an address, tainted
// from the start of block FromBlock on. With Amount nil, everything it
// receives from then on is tainted in full, in every asset, whoever sends
// it (so the seeds do not depend on the model). With Amount set, that much of what it holds of
// Asset at the start of FromBlock is tainted (tainted units first, as
// within one incoming transfer under FIFO), and what it receives later is
// clean unless the trace brings taint.
type AccountSeed struct {
	Address   chain.Address
	FromBlock uint64
	Asset     chain.Asset
	Amount    *uint256.Int
}

// TraceAccount follows taint forward from seeds on account chain c under
// model m (FIFO, haircut or poison). Each tainted address keeps Holdings
// fed with its transfers in chain order; the transfer streams of all
// tainted addresses are merged by (block, tx index, seq), and a send that
// carries taint makes its recipient tainted, one hop further. An address's
// balance from before it was tainted counts as clean: the tracer reads its
// history up to that point as its clean opening balance. Fees and burns
// absorb the taint they carry; ERC-721 transfers are not followed.
func TraceAccount(src AccountSource, c chain.Chain, m Model, b Bounds, seeds []AccountSeed) (*Result, error) {
	t, err := traceAccount(src, c, m, b, seeds)
	if err != nil {
		return nil, err
	}
	defer t.close()
	return t.t.result(), nil
}

// traceAccount runs an account trace; the caller closes the tracer.
func traceAccount(src AccountSource, c chain.Chain, m Model, b Bounds, seeds []AccountSeed) (*accountTracer, error) {
	if _, err := NewAccount(m); err != nil {
		return nil, err
	}
	t := &accountTracer{src: src, c: c, m: m, b: b, t: newTally(), tracked: map[chain.Address]*tracked{}}
	fail := func(err error) (*accountTracer, error) { t.close(); return nil, err }
	type seedKey struct {
		addr  chain.Address
		asset chain.Asset
	}
	seen, all := map[seedKey]bool{}, map[chain.Address]bool{}
	for i := range seeds {
		s := &seeds[i]
		k := seedKey{s.Address, s.Asset}
		if all[s.Address] || seen[k] || (s.Amount == nil && len(seen) > 0 && slices.ContainsFunc(seeds[:i], func(o AccountSeed) bool { return o.Address == s.Address })) {
			return fail(fmt.Errorf("seed %s given twice (an address may be seeded once per asset, or once without an amount)", s.Address))
		}
		seen[k] = true
		if s.Amount == nil {
			all[s.Address] = true
		}
		if b.HasUntil && s.FromBlock > b.Until {
			return fail(fmt.Errorf("seed %s: block %d is after the trace's last block %d", s.Address, s.FromBlock, b.Until))
		}
		t.queue = append(t.queue, &entry{at: pos{s.FromBlock, 0, 0}, seed: s})
	}
	if err := t.run(); err != nil {
		return fail(err)
	}
	return t, nil
}

// run steps through the queue to its end, then takes the frontier.
func (t *accountTracer) run() error {
	heap.Init(&t.queue)
	for t.queue.Len() > 0 {
		if err := t.step(heap.Pop(&t.queue).(*entry)); err != nil {
			return err
		}
	}
	t.frontier()
	return nil
}

// pos is a transfer's place in chain order.
type pos struct {
	block uint64
	txi   uint32
	seq   uint32
}

func (p pos) cmp(q pos) int {
	return cmp.Or(cmp.Compare(p.block, q.block), cmp.Compare(p.txi, q.txi), cmp.Compare(p.seq, q.seq))
}

func rowPos(r *store.Row) pos { return pos{r.Block, r.TxIndex, r.Seq} }

// tracked is one tainted address: its holdings and its transfer stream
// from the first position it covers (start) on.
type tracked struct {
	addr    chain.Address
	hop     int
	start   pos
	seedAll bool                 // an Amount-less seed: every receipt is tainted in full
	any     bool                 // the store holds any transfer of the address
	exit    *Exit                // set at a service the trace stops at: its sends are not followed
	buf     []store.Row          // rows read ahead (the rest of a transaction), not yet handled
	swapIn  map[pos]*uint256.Int // taint a swap assigned to receipts still ahead
	held    map[pos]bool         // receipts moved after their swap's payment
	h       *Holdings
	rows    *pager
}

// entry is a seed waiting for its block, or a tracked address's next
// transfer.
type entry struct {
	at   pos
	seed *AccountSeed
	tr   *tracked
	row  store.Row
}

type entryQueue []*entry

func (q entryQueue) Len() int { return len(q) }
func (q entryQueue) Less(i, j int) bool {
	a, b := q[i], q[j]
	if c := a.at.cmp(b.at); c != 0 {
		return c < 0
	}
	if (a.seed != nil) != (b.seed != nil) {
		return a.seed != nil // a seed starts before the first transfer of its block
	}
	return a.addr().Raw < b.addr().Raw
}
func (q entryQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *entryQueue) Push(x any)   { *q = append(*q, x.(*entry)) }
func (q *entryQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

func (e *entry) addr() chain.Address {
	if e.seed != nil {
		return e.seed.Address
	}
	return e.tr.addr
}

type accountTracer struct {
	src     AccountSource
	c       chain.Chain
	m       Model
	b       Bounds
	t       *tally
	tracked map[chain.Address]*tracked
	sinks   map[chain.Address]bool // stopped services left unread (Exits.SkipRemaining)
	queue   entryQueue
}

func (t *accountTracer) close() {} // pagers hold nothing open between reads

func (t *accountTracer) step(e *entry) error {
	if e.seed != nil {
		if err := t.activate(e.seed); err != nil {
			return fmt.Errorf("seed %s: %w", e.seed.Address, err)
		}
		return nil
	}
	if err := t.transfer(e.tr, &e.row); err != nil {
		return fmt.Errorf("trace %s at %s: %w", t.c, e.tr.addr, err)
	}
	row, err, ok := e.tr.pull()
	if ok && err == nil {
		heap.Push(&t.queue, &entry{at: rowPos(&row), tr: e.tr, row: row})
	}
	return err
}

// pull returns the address's next transfer: read ahead, or from the store.
func (tr *tracked) pull() (store.Row, error, bool) {
	if len(tr.buf) > 0 {
		r := tr.buf[0]
		tr.buf = tr.buf[1:]
		return r, nil, true
	}
	return tr.rows.next()
}

// restOfTx reads ahead the address's remaining transfers in row's
// transaction.
func (tr *tracked) restOfTx(row *store.Row) ([]store.Row, error) {
	for {
		if n := len(tr.buf); n > 0 && (tr.buf[n-1].Block != row.Block || tr.buf[n-1].TxIndex != row.TxIndex) {
			break
		}
		r, err, ok := tr.rows.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		tr.buf = append(tr.buf, r)
	}
	n := 0
	for n < len(tr.buf) && tr.buf[n].Block == row.Block && tr.buf[n].TxIndex == row.TxIndex {
		n++
	}
	return tr.buf[:n], nil
}

// track starts following addr at hop h from position start on. Its
// transfers before start are its clean opening balance, except skip, the
// transfer that tainted it, which the caller applies with its taint.
func (t *accountTracer) track(addr chain.Address, h int, start pos, skip *pos) (*tracked, error) {
	hd, err := NewHoldings(addr, t.m)
	if err != nil {
		return nil, err
	}
	q := store.Query{Chain: t.c, Address: &addr, ToBlock: t.b.Until, HasToBlock: t.b.HasUntil}
	tr := &tracked{addr: addr, hop: h, start: start, h: hd, rows: newPager(t.src, q)}
	t.tracked[addr] = tr
	t.t.reach(addr, h)
	for {
		row, err, ok := tr.rows.next()
		if !ok || err != nil {
			return tr, err
		}
		tr.any = true
		p := rowPos(&row)
		if p.cmp(start) >= 0 {
			heap.Push(&t.queue, &entry{at: p, tr: tr, row: row})
			return tr, nil
		}
		if (skip != nil && p == *skip) || row.TokenID != nil {
			continue
		}
		if _, err := t.apply(tr, &row, nil); err != nil {
			return nil, err
		}
	}
}

// activate starts a seed at its block: it follows the address, and taints
// the seed's Amount of what it holds, on top of any taint the trace
// brought there earlier (the larger of the two counts).
func (t *accountTracer) activate(s *AccountSeed) error {
	tr := t.tracked[s.Address]
	if tr == nil {
		var err error
		if tr, err = t.track(s.Address, 0, pos{s.FromBlock, 0, 0}, nil); err != nil {
			return err
		}
	}
	if !tr.any {
		return fmt.Errorf("the store holds no %s transfers of this address up to the trace's last block", t.c)
	}
	if tr.exit != nil {
		// A service the trace stopped at, seeded now: the taint it took was
		// counted at the exit, and from here on it is followed as a seed
		// whose holdings so far are clean (as if it had not been read):
		// each account starts over with its balance, clean. Sending the
		// balance and taking it back would not do under poison, where an
		// account once tainted never forgets.
		for asset, acct := range tr.h.byAsset {
			bal, _ := acct.Balance()
			fresh, err := NewAccount(t.m)
			if err != nil {
				return err
			}
			if err := fresh.Receive(&bal, new(uint256.Int)); err != nil {
				return err
			}
			tr.h.byAsset[asset] = fresh
		}
		tr.exit = nil
	}
	tr.hop = 0
	t.t.reach(s.Address, 0)
	if s.Amount == nil {
		tr.seedAll = true
		return nil
	}
	acct := tr.h.Account(s.Asset)
	bal, _ := acct.Balance()
	if bal.Lt(s.Amount) {
		return fmt.Errorf("holds %s of %v at the start of block %d, less than the seeded %s", bal.Dec(), s.Asset, s.FromBlock, s.Amount.Dec())
	}
	// Sending the whole balance gives all its taint under every model;
	// receiving it back as one lot makes its tainted units come first.
	was, err := acct.Send(&bal)
	if err != nil {
		return err
	}
	now := was
	if s.Amount.Gt(&now) {
		now = *s.Amount
	}
	if err := acct.Receive(&bal, &now); err != nil {
		return err
	}
	addTo(t.t.seeded, s.Asset, new(uint256.Int).Sub(&now, &was))
	return nil
}

// apply feeds one of tr's transfers to its holdings. A send above the
// balance means the store lacks part of the address's history (ingest
// started after its first funds, or an edge list starts at the address):
// the gap is credited first, clean, or tainted at an Amount-less seed.
func (t *accountTracer) apply(tr *tracked, row *store.Row, taint *uint256.Int) (uint256.Int, error) {
	if row.From == tr.addr {
		acct := tr.h.Account(row.Asset)
		if bal, _ := acct.Balance(); bal.Lt(&row.Amount) {
			gap, taint := new(uint256.Int).Sub(&row.Amount, &bal), new(uint256.Int)
			if tr.seedAll { // an Amount-less seed taints all it has, whatever the store lacks
				taint.Set(gap)
				addTo(t.t.seeded, row.Asset, gap)
			}
			if err := acct.Receive(gap, taint); err != nil {
				return uint256.Int{}, err
			}
		}
	}
	return tr.h.Apply(&row.Transfer, taint)
}

// transfer handles one transfer in tr's stream. A transfer between two
// followed addresses is the sender's to handle, so it is applied once.
func (t *accountTracer) transfer(tr *tracked, row *store.Row) error {
	if row.TokenID != nil {
		return nil
	}
	if row.From != tr.addr {
		// A followed sender handles its payments, unless the trace stopped
		// there: what a stopped service pays is clean, and the recipient
		// takes it in its own stream, as from any address not followed (so
		// whether the service's history is replayed changes nothing).
		if s := t.tracked[row.From]; s != nil && s.exit == nil {
			return nil
		}
		if held, err := tr.holdLeg(row); held || err != nil {
			return err
		}
		return t.deliver(tr, row, uint256.Int{})
	}
	sent, err := t.apply(tr, row, nil)
	if err != nil || row.To == tr.addr || tr.exit != nil {
		return err
	}
	return t.send(tr, row, &sent)
}

// send passes the taint of a transfer from s on: to a fee or burn, to an
// address already followed, or to a newly tainted one, unless a bound
// stops it there.
func (t *accountTracer) send(s *tracked, row *store.Row, sent *uint256.Int) error {
	hop, p := s.hop+1, rowPos(row)
	sink := row.Kind == chain.KindFee || row.Kind == chain.KindBurn || row.To.None()
	r := t.tracked[row.To]
	if !sink && !sent.IsZero() {
		if swapped, err := t.swap(s, row, sent, r); swapped || err != nil {
			return err
		}
	}
	if r != nil {
		var carried uint256.Int // a sink's taint is absorbed: the followed recipient gets it clean
		if !sink {
			carried = *sent
		}
		if err := t.deliver(r, row, carried); err != nil {
			return err
		}
	}
	if sent.IsZero() {
		return nil
	}
	f := Flow{From: s.addr, To: row.To, Asset: row.Asset, Kind: row.Kind, Amount: *sent, Block: p.block, TxIndex: p.txi, Tx: row.TxHash, Seq: p.seq, Hop: hop}
	switch {
	case sink:
		if f.Kind != chain.KindFee {
			f.Kind = chain.KindBurn
		}
		t.t.sink(f.Kind, row.Asset, sent)
	case r != nil:
		r.hop = min(r.hop, hop)
		t.t.reach(r.addr, hop)
		if svc, ok, _ := t.b.Exits.service(r.addr); ok { // stopped only if the trace stopped there (a seed at a service is followed)
			t.t.exit(svc, r.exit != nil, f.To, &f, t.b.Exits)
		}
	case t.sinks[row.To]: // a stopped service left unread (SkipRemaining): as if followed and stopped
		t.t.reach(row.To, hop)
		svc, _, _ := t.b.Exits.service(row.To)
		t.t.exit(svc, true, f.To, &f, t.b.Exits)
	case t.b.MaxHops > 0 && hop > t.b.MaxHops:
		t.t.hold(row.To, row.Asset, sent, StopHops, hop)
	case sent.Lt(&t.b.MinAmount):
		t.t.reach(row.To, hop)
		t.t.hold(row.To, row.Asset, sent, StopMinAmount, hop)
	default:
		if svc, ok, stop := t.b.Exits.service(row.To); ok && stop && t.b.Exits.SkipRemaining {
			t.t.reach(row.To, hop) // a sink: not followed, not replayed
			t.t.exit(svc, true, f.To, &f, t.b.Exits)
			if t.sinks == nil {
				t.sinks = map[chain.Address]bool{}
			}
			t.sinks[row.To] = true
			break
		}
		r, err := t.track(row.To, hop, pos{p.block, p.txi, p.seq + 1}, &p)
		if err != nil {
			return err
		}
		if _, err := t.apply(r, row, sent); err != nil {
			return err
		}
		if svc, ok, stop := t.b.Exits.service(r.addr); ok {
			e := t.t.exit(svc, stop, f.To, &f, t.b.Exits)
			if stop {
				r.exit = e
			}
		}
	}
	t.t.res.Flows = append(t.t.res.Flows, f)
	return nil
}

// frontier records the taint every followed address still holds, and
// what is left at each exit.
func (t *accountTracer) frontier() {
	for _, tr := range t.tracked {
		for asset, acct := range tr.h.byAsset {
			_, taint := acct.Balance()
			if e := t.t.exits[exitKey{tr.addr, asset}]; e != nil {
				e.Remaining = taint // poison would count the venue's own funds: at most what arrived
				if e.Remaining.Gt(&e.Amount) {
					e.Remaining = e.Amount
				}
			}
			if tr.exit == nil {
				t.t.hold(tr.addr, asset, &taint, 0, tr.hop)
			}
		}
	}
}

// swap treats a tainted payment as a conversion when the payer receives
// another asset in the same transaction (a DEX swap shows both legs): the
// taint goes to the bought legs, each tainted in the share of the payment
// that was tainted, and the venue is not tainted; a venue that is an
// attributed service gets an exit, not stopped, of the taint paid into
// it. It reports whether row was such a payment.
func (t *accountTracer) swap(s *tracked, row *store.Row, sent *uint256.Int, r *tracked) (bool, error) {
	rest, err := s.restOfTx(row)
	if err != nil {
		return false, err
	}
	var legs []*store.Row
	for i := range rest {
		b := &rest[i]
		if b.To == s.addr && b.From != s.addr && b.Asset != row.Asset && b.TokenID == nil && !b.Amount.IsZero() &&
			b.Kind != chain.KindFee && b.Kind != chain.KindBurn {
			legs = append(legs, b)
		}
	}
	if len(legs) == 0 {
		return false, nil
	}
	if r != nil { // the venue receives what it is paid, clean
		if err := t.deliver(r, row, uint256.Int{}); err != nil {
			return true, err
		}
	}
	p := rowPos(row)
	f := Flow{From: s.addr, To: row.To, Asset: row.Asset, Kind: row.Kind, Amount: *sent, Block: p.block, TxIndex: p.txi, Tx: row.TxHash, Seq: p.seq, Hop: s.hop + 1, Swap: true}
	t.t.res.Flows = append(t.t.res.Flows, f)
	if svc, ok, _ := t.b.Exits.service(row.To); ok {
		// A service answering a payment in another asset (an instant
		// exchanger, an exchange converting) is an exit all the same: the
		// taint paid into it is recorded there, not stopped, since it goes
		// on in the bought asset. Unattributed pools record none.
		t.t.exit(svc, false, row.To, &f, t.b.Exits)
	}
	addTo(t.t.swappedOut, row.Asset, sent)
	if s.swapIn == nil {
		s.swapIn = map[pos]*uint256.Int{}
	}
	for _, b := range legs {
		v, overflow := new(uint256.Int).MulOverflow(&b.Amount, sent) // the bought amount times the tainted share of the payment
		if overflow {
			v = new(uint256.Int).Mul(new(uint256.Int).Div(&b.Amount, &row.Amount), sent) // 2^256 products only come from bogus tokens
		} else {
			v.Div(v, &row.Amount)
		}
		k := rowPos(b)
		if prev := s.swapIn[k]; prev != nil {
			v.Add(v, prev)
		}
		if v.Gt(&b.Amount) {
			v.Set(&b.Amount)
		}
		s.swapIn[k] = v
		t.t.res.Swaps = append(t.t.res.Swaps, Swap{Address: s.addr, Tx: row.TxHash, Block: p.block, Venue: row.To,
			Sold: row.Asset, SoldTaint: *sent, SoldAmount: row.Amount, Bought: b.Asset, BoughtAmount: b.Amount})
	}
	return true, nil
}

// deliver applies a receipt of followed address r carrying taint from
// its sender: plus what r's own swap assigned to it (the bought leg), at
// most the amount received; and at an Amount-less seed, all of it (the
// seed adds what the trace did not bring).
func (t *accountTracer) deliver(r *tracked, row *store.Row, carried uint256.Int) error {
	if v := r.swapIn[rowPos(row)]; v != nil {
		delete(r.swapIn, rowPos(row))
		room := new(uint256.Int).Sub(&row.Amount, &carried) // carried <= amount under every model
		if v.Gt(room) {
			v = room // the sender already tainted part of the leg
		}
		addTo(t.t.swappedIn, row.Asset, v)
		carried.Add(&carried, v)
	}
	if r.seedAll {
		addTo(t.t.seeded, row.Asset, new(uint256.Int).Sub(&row.Amount, &carried))
		carried = row.Amount
	}
	_, err := t.apply(r, row, &carried)
	return err
}

// holdLeg moves a receipt after a payment of another asset that the
// address makes later in the same transaction: pools that pay the bought
// token first and take the sold asset after (optimistic transfers) show the
// legs of a swap in that order. The payment cannot be funded by a receipt
// of another asset, so handling it first changes no balance it needs.
func (tr *tracked) holdLeg(row *store.Row) (bool, error) {
	if tr.held[rowPos(row)] || row.Kind == chain.KindFee || row.Kind == chain.KindBurn {
		return false, nil
	}
	rest, err := tr.restOfTx(row)
	if err != nil {
		return false, err
	}
	for j := range rest {
		b := &rest[j]
		if b.From == tr.addr && b.To != tr.addr && !b.To.None() && b.Asset != row.Asset && b.TokenID == nil &&
			b.Kind != chain.KindFee && b.Kind != chain.KindBurn && !b.Amount.IsZero() {
			if tr.held == nil {
				tr.held = map[pos]bool{}
			}
			tr.held[rowPos(row)] = true
			tr.buf = slices.Insert(tr.buf, j+1, *row)
			return true, nil
		}
	}
	return false, nil
}
