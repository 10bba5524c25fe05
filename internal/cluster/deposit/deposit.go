// Package deposit finds exchange deposit addresses on account-model
// chains and the customers behind them (deposit-address reuse, after
// Victor, "Address Clustering Heuristics for Ethereum", FC 2020). An
// exchange gives each customer an address of their own; whatever the
// customer pays into it is forwarded ("swept") to the exchange's hot
// wallet soon after, in nearly the same amount. The accounts that pay one
// deposit address are one customer, whichever of their accounts they pay
// from.
package deposit

import "github.com/holiman/uint256"

// Transfer is a transfer of ether between two address ids, top-level or
// by an inner call (a contract deposit address is swept by one), in chain
// order.
type Transfer struct {
	From, To uint64
	Tx       uint32 // the transaction's index in its block
	Amount   uint256.Int
}

// Forward is a deposit address found sweeping to a hot wallet, with the
// accounts whose payments it swept (distinct, in order of payment).
type Forward struct {
	Block      uint64
	Deposit    uint64
	Hot        uint64
	Depositors []uint64
}

type receipt struct {
	block  uint64
	tx     uint32
	from   uint64
	amount uint256.Int
}

// dests are the two latest distinct addresses an address sent to within
// the window, each with the block of its latest send: enough to tell
// whether it sent to more than one.
type dests struct {
	to    [2]uint64
	block [2]uint64
	n     int
}

func (s *dests) add(to, h uint64) {
	switch {
	case s.n > 0 && s.to[0] == to:
		s.block[0] = h
	case s.n > 1 && s.to[1] == to:
		s.to[0], s.to[1] = to, s.to[0]
		s.block[0], s.block[1] = h, s.block[0]
	default:
		s.to[1], s.block[1] = s.to[0], s.block[0]
		s.to[0], s.block[0] = to, h
		s.n = min(s.n+1, 2)
	}
}

// many reports whether the address sent to two addresses within the
// window before block h (inclusive).
func (s *dests) many(h, w uint64) bool { return s.n == 2 && s.block[1]+w >= h }

// Detector follows receipts per address over the last WindowBlocks
// blocks. Its state is a function of those blocks alone, so a detector
// fed the window before block h and then block h decides exactly as one
// fed the whole history.
type Detector struct {
	cfg  Config
	recv map[uint64][]receipt // since the address's last outgoing transfer, within the window
	// byBlock lists the addresses that received in each block still in
	// the window, for expiry.
	byBlock map[uint64][]uint64
	// sent is where each address that sent within the window sent to:
	// a deposit address sends to its hot wallet only, so one that paid
	// two addresses (a mixer paying out notes, a pool paying sellers) is
	// none. sentBy lists the senders of each block, for expiry.
	sent    map[uint64]*dests
	sentBy  map[uint64][]uint64
	last    uint64
	started bool
}

// New returns a detector with no history.
func New(cfg Config) *Detector {
	return &Detector{cfg: cfg, recv: map[uint64][]receipt{}, byBlock: map[uint64][]uint64{}, sent: map[uint64]*dests{}, sentBy: map[uint64][]uint64{}}
}

// Block feeds the ether transfers of block h (h above the previous block
// fed), top-level and internal, and returns the forwards they complete. A
// transfer out of an address that received within the window, to
// another address, of at most what it received since its last outgoing
// transfer and at least that minus the tolerance, is a forward, unless
// the address sent to any other address within the window (a deposit
// address pays its hot wallet only) or received any of it in the same
// transaction (a contract passing a payment on, as a bridge router does,
// is no deposit address); any transfer out ends the address's receipts.
func (d *Detector) Block(h uint64, ts []Transfer) []Forward {
	d.expire(h)
	var out []Forward
	tol := uint256.NewInt(d.cfg.AmountToleranceWei)
	for i := range ts {
		t := &ts[i]
		if t.From == 0 || t.To == 0 || t.From == t.To || t.Amount.IsZero() {
			continue
		}
		ds := d.sent[t.From]
		if ds == nil {
			ds = &dests{}
			d.sent[t.From] = ds
		}
		ds.add(t.To, h)
		d.sentBy[h] = append(d.sentBy[h], t.From)
		if rs := d.recv[t.From]; len(rs) > 0 {
			if f, ok := d.forward(h, t, rs, tol); ok && !ds.many(h, d.cfg.WindowBlocks) {
				out = append(out, f)
			}
			delete(d.recv, t.From)
		}
		d.recv[t.To] = append(d.recv[t.To], receipt{h, t.Tx, t.From, t.Amount})
		d.byBlock[h] = append(d.byBlock[h], t.To)
	}
	return out
}

func (d *Detector) forward(h uint64, t *Transfer, rs []receipt, tol *uint256.Int) (Forward, bool) {
	var sum, low uint256.Int
	for _, r := range rs {
		if r.block == h && r.tx == t.Tx {
			return Forward{}, false // passed on in the transaction that paid it
		}
		sum.Add(&sum, &r.amount)
	}
	if t.Amount.Gt(&sum) {
		return Forward{}, false
	}
	if sum.Gt(tol) {
		low.Sub(&sum, tol)
	}
	if t.Amount.Lt(&low) {
		return Forward{}, false
	}
	f := Forward{Block: h, Deposit: t.From, Hot: t.To}
	for i, r := range rs {
		if r.from == t.To {
			continue // the hot wallet topping up the deposit address (gas) is no customer
		}
		dup := false
		for _, x := range f.Depositors {
			dup = dup || x == r.from
		}
		if dup {
			continue
		}
		// A sender who paid in all at most the tolerance (the sweep's
		// gas) is no customer either: exchanges top deposit addresses up
		// with gas from a funding account of their own, which would
		// otherwise join every customer whose address it funded.
		var paid uint256.Int
		for _, x := range rs[i:] {
			if x.from == r.from {
				paid.Add(&paid, &x.amount)
			}
		}
		if paid.Gt(tol) {
			f.Depositors = append(f.Depositors, r.from)
		}
	}
	if len(f.Depositors) == 0 || len(f.Depositors) > d.cfg.MaxDepositors {
		return Forward{}, false
	}
	return f, true
}

// expire drops receipts older than the window before block h.
func (d *Detector) expire(h uint64) {
	if !d.started {
		d.started, d.last = true, h
		return
	}
	w := d.cfg.WindowBlocks
	for b := d.last; b+w < h && b < h; b++ {
		for _, a := range d.byBlock[b] {
			rs := d.recv[a]
			k := 0
			for k < len(rs) && rs[k].block+w < h {
				k++
			}
			if k == len(rs) {
				delete(d.recv, a)
			} else if k > 0 {
				d.recv[a] = rs[k:]
			}
		}
		delete(d.byBlock, b)
		for _, a := range d.sentBy[b] {
			if ds := d.sent[a]; ds != nil && ds.block[0]+w < h {
				delete(d.sent, a)
			}
		}
		delete(d.sentBy, b)
		d.last = b + 1
	}
}
