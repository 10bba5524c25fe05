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

// Transfer is a native-value transfer between two address ids, in block
// order.
type Transfer struct {
	From, To uint64
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
	from   uint64
	amount uint256.Int
}

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
	last    uint64
	started bool
}

// New returns a detector with no history.
func New(cfg Config) *Detector {
	return &Detector{cfg: cfg, recv: map[uint64][]receipt{}, byBlock: map[uint64][]uint64{}}
}

// Block feeds the native transfers of block h (h above the previous
// block fed) and returns the forwards they complete. A transfer out of an
// address that received within the window, to another address, of at
// most what it received since its last outgoing transfer and at least
// that minus the tolerance, is a forward; any transfer out ends the
// address's receipts.
func (d *Detector) Block(h uint64, ts []Transfer) []Forward {
	d.expire(h)
	var out []Forward
	tol := uint256.NewInt(d.cfg.AmountToleranceWei)
	for i := range ts {
		t := &ts[i]
		if t.From == 0 || t.To == 0 || t.From == t.To || t.Amount.IsZero() {
			continue
		}
		if rs := d.recv[t.From]; len(rs) > 0 {
			if f, ok := d.forward(h, t, rs, tol); ok {
				out = append(out, f)
			}
			delete(d.recv, t.From)
		}
		d.recv[t.To] = append(d.recv[t.To], receipt{h, t.From, t.Amount})
		d.byBlock[h] = append(d.byBlock[h], t.To)
	}
	return out
}

func (d *Detector) forward(h uint64, t *Transfer, rs []receipt, tol *uint256.Int) (Forward, bool) {
	var sum, low uint256.Int
	for _, r := range rs {
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
		d.last = b + 1
	}
}
