package trace

import (
	"errors"
	"fmt"

	"github.com/holiman/uint256"
)

// ledger is one model's account with what went in and out, for checking.
type ledger struct {
	m              Model
	acct           Account
	received, sent uint256.Int // taint
}

// checkAccounts runs a history through every account model side by side
// and returns the first broken invariant: an operation refused by one model
// is refused by all and changes nothing; a send's taint never exceeds its
// amount; FIFO and haircut conserve taint exactly; no taint in means none
// out; whatever FIFO or haircut taints, poison taints in full.
func checkAccounts(ops []op) error {
	ls := make([]*ledger, 0, 3)
	for _, m := range []Model{FIFO, Haircut, Poison} {
		acct, _ := NewAccount(m)
		ls = append(ls, &ledger{m: m, acct: acct})
	}
	for i, o := range ops {
		if o.taint.Gt(&o.amount) {
			o.taint = o.amount
		}
		sent, err := stepAll(ls, o)
		if err != nil {
			return fmt.Errorf("op %d %+v: %w", i, o, err)
		}
		for k, l := range ls {
			if err := l.check(o, &sent[k], &sent[2]); err != nil {
				return fmt.Errorf("op %d %+v: %s: %w", i, o, l.m, err)
			}
		}
	}
	return nil
}

func stepAll(ls []*ledger, o op) ([3]uint256.Int, error) {
	var sent [3]uint256.Int
	var errs [3]error
	for k, l := range ls {
		v, tn := l.acct.Balance()
		sent[k], errs[k] = apply(l.acct, &o)
		if errs[k] != nil {
			if v2, tn2 := l.acct.Balance(); !v2.Eq(&v) || !tn2.Eq(&tn) {
				return sent, fmt.Errorf("%s: refused op changed the balance", l.m)
			}
			if !errors.Is(errs[k], ErrOverdraft) && !errors.Is(errs[k], ErrOverflow) {
				return sent, fmt.Errorf("%s: unexpected error %v", l.m, errs[k])
			}
		}
	}
	if (errs[0] == nil) != (errs[1] == nil) || (errs[0] == nil) != (errs[2] == nil) {
		return sent, fmt.Errorf("models disagree on refusal: %v", errs)
	}
	if errs[0] == nil {
		for k, l := range ls {
			if o.send {
				l.sent.Add(&l.sent, &sent[k])
			} else {
				l.received.Add(&l.received, &o.taint)
			}
		}
	}
	return sent, nil
}

func (l *ledger) check(o op, sent, poisonSent *uint256.Int) error {
	v, held := l.acct.Balance()
	switch {
	case sent.Gt(&o.amount):
		return fmt.Errorf("sent taint %s above amount %s", sent, &o.amount)
	case held.Gt(&v):
		return fmt.Errorf("holds taint %s above balance %s", &held, &v)
	case l.received.IsZero() && !sent.IsZero():
		return fmt.Errorf("taint %s from nothing", sent)
	case !sent.IsZero() && !poisonSent.Eq(&o.amount):
		return fmt.Errorf("tainted %s where poison taints %s of %s", sent, poisonSent, &o.amount)
	}
	if l.m != Poison {
		var total uint256.Int
		if total.Add(&l.sent, &held); !total.Eq(&l.received) {
			return fmt.Errorf("sent %s + held %s != received %s", &l.sent, &held, &l.received)
		}
	}
	return nil
}

// Every TraceUTXO the tests run checks that no output is given more taint
// than its value, by its seed and by the trace together: the random
// property tests (conservation, the fast path against TraceUTXO, the
// snapshot against the store) then hold every trace to it.
func init() { checkOutputs = true }
