package trace

import "github.com/holiman/uint256"

// run is a stretch of an account's queue that is all tainted or all clean.
type run struct {
	amount  uint256.Int
	tainted bool
}

// fifoAccount is Clayton's rule: value leaves in the order it arrived. The
// queue is kept as alternating tainted and clean runs, so its length grows
// with the changes between tainted and clean arrivals, not with the number
// of transfers. Within one incoming transfer the tainted units come first:
// the transfer carries no finer order, and the UTXO FIFO model makes the
// same choice for a partly tainted coin.
type fifoAccount struct {
	runs         []run
	head         int // runs[:head] are spent
	value, taint uint256.Int
}

func (a *fifoAccount) Receive(amount, taint *uint256.Int) error {
	if err := credit(&a.value, amount, taint); err != nil {
		return err
	}
	a.taint.Add(&a.taint, taint)
	a.push(taint, true)
	a.push(new(uint256.Int).Sub(amount, taint), false)
	return nil
}

func (a *fifoAccount) push(amount *uint256.Int, tainted bool) {
	if amount.IsZero() {
		return
	}
	if n := len(a.runs); n > a.head && a.runs[n-1].tainted == tainted {
		a.runs[n-1].amount.Add(&a.runs[n-1].amount, amount)
		return
	}
	a.runs = append(a.runs, run{*amount, tainted})
}

func (a *fifoAccount) Send(amount *uint256.Int) (uint256.Int, error) {
	if err := checkDebit(&a.value, amount); err != nil {
		return uint256.Int{}, err
	}
	var sent uint256.Int
	left := *amount
	for !left.IsZero() { // value >= amount: the queue holds enough
		r := &a.runs[a.head]
		take := r.amount
		if left.Lt(&take) {
			take = left
		}
		if r.tainted {
			sent.Add(&sent, &take)
		}
		left.Sub(&left, &take)
		if r.amount.Sub(&r.amount, &take); r.amount.IsZero() {
			a.head++
		}
	}
	a.value.Sub(&a.value, amount)
	a.taint.Sub(&a.taint, &sent)
	a.compact()
	return sent, nil
}

// compact drops spent runs once they are most of the slice, so a long-lived
// busy address keeps memory in proportion to its live queue.
func (a *fifoAccount) compact() {
	if a.head == len(a.runs) {
		a.runs, a.head = a.runs[:0], 0
	} else if a.head > 32 && 2*a.head > len(a.runs) {
		n := copy(a.runs, a.runs[a.head:])
		a.runs, a.head = a.runs[:n], 0
	}
}

func (a *fifoAccount) Balance() (value, taint uint256.Int) { return a.value, a.taint }
