package trace

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/holiman/uint256"
)

// op is one transfer seen from the account: a receive of Amount with Taint
// tainted, or a send of Amount.
type op struct {
	send          bool
	amount, taint uint256.Int
}

func recv(a, t uint64) op { return op{amount: *uint256.NewInt(a), taint: *uint256.NewInt(t)} }
func send(a uint64) op    { return op{send: true, amount: *uint256.NewInt(a)} }

// The worked example of docs/trace.md: 10 in (4 tainted), 6 in (clean),
// 5 out, 4 in (all tainted), 8 out, 7 out.
var accountExample = []op{recv(10, 4), recv(6, 0), send(5), recv(4, 4), send(8), send(7)}

func TestAccountWorkedExample(t *testing.T) {
	for _, c := range []struct {
		m    Model
		want []uint64 // taint of each send
	}{
		// Queue [4 tainted, 12 clean]; 5 out takes the 4 tainted and 1 clean;
		// queue [11 clean, 4 tainted]; 8 out is clean; 7 out takes 3 + 4.
		{FIFO, []uint64{4, 0, 4}},
		// 5·4/16 = 1.25 -> 1 (11, 3 left); +4: 8·7/15 = 3.73 -> 4 (7, 3 left);
		// 7·3/7 = 3.
		{Haircut, []uint64{1, 4, 3}},
		{Poison, []uint64{5, 8, 7}},
	} {
		acct, _ := NewAccount(c.m)
		var got []uint64
		for _, o := range accountExample {
			sent, err := apply(acct, &o)
			if err != nil {
				t.Fatalf("%s: %v", c.m, err)
			}
			if o.send {
				got = append(got, sent.Uint64())
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: sends tainted %v, want %v", c.m, got, c.want)
		}
		if v, tn := acct.Balance(); !v.IsZero() || !tn.IsZero() {
			t.Errorf("%s: left %s (%s tainted), want nothing", c.m, &v, &tn)
		}
	}
}

func apply(acct Account, o *op) (uint256.Int, error) {
	if o.send {
		return acct.Send(&o.amount)
	}
	return uint256.Int{}, acct.Receive(&o.amount, &o.taint)
}

func TestHaircutAccountRounding(t *testing.T) {
	max := new(uint256.Int).SetAllOne()
	half := new(uint256.Int).Rsh(max, 1)
	for _, c := range []struct {
		name                 string
		value, taint, amount *uint256.Int
		want                 *uint256.Int
	}{
		{"half rounds up", uint256.NewInt(4), uint256.NewInt(1), uint256.NewInt(2), uint256.NewInt(1)},
		{"below half rounds down", uint256.NewInt(5), uint256.NewInt(2), uint256.NewInt(1), uint256.NewInt(0)},
		{"all of it", uint256.NewInt(7), uint256.NewInt(3), uint256.NewInt(7), uint256.NewInt(3)},
		// 256-bit balances: the 512-bit product path.
		{"huge half", max, half, half, new(uint256.Int).Rsh(half, 1)},
		{"huge all tainted", max, max, half, half},
	} {
		var a haircutAccount
		a.value, a.taint = *c.value, *c.taint
		got, err := a.Send(c.amount)
		if err != nil || !got.Eq(c.want) {
			t.Errorf("%s: sent taint %s, %v; want %s", c.name, &got, err, c.want)
		}
	}
}

func TestAccountErrorsLeaveStateAlone(t *testing.T) {
	max := new(uint256.Int).SetAllOne()
	for _, m := range []Model{FIFO, Haircut, Poison} {
		acct, _ := NewAccount(m)
		if err := acct.Receive(max, uint256.NewInt(1)); err != nil {
			t.Fatal(err)
		}
		if err := acct.Receive(uint256.NewInt(1), uint256.NewInt(0)); !errors.Is(err, ErrOverflow) {
			t.Errorf("%s: overflow gave %v", m, err)
		}
		if _, err := acct.Send(uint256.NewInt(5)); err != nil {
			t.Fatal(err)
		}
		before, beforeTaint := acct.Balance()
		if _, err := acct.Send(max); !errors.Is(err, ErrOverdraft) {
			t.Errorf("%s: overdraft gave %v", m, err)
		}
		if err := acct.Receive(uint256.NewInt(1), uint256.NewInt(2)); err == nil {
			t.Errorf("%s: taint above amount accepted", m)
		}
		if v, tn := acct.Balance(); !v.Eq(&before) || !tn.Eq(&beforeTaint) {
			t.Errorf("%s: refused operations changed the balance", m)
		}
	}
	if _, err := NewAccount(TIHO); err == nil {
		t.Error("TIHO account accepted")
	}
}

// randomOps draws a history: receives of random size and taint, sends up
// to the balance and now and then beyond it (refused), at several scales up
// to 2^256 so overflow and the 512-bit path come up.
func randomOps(r *rand.Rand, n int) []op {
	shift := uint(r.IntN(5) * 60)
	ops := make([]op, n)
	for i := range ops {
		var a uint256.Int
		a.SetUint64(r.Uint64() >> r.IntN(64))
		a.Lsh(&a, shift)
		ops[i] = op{send: r.IntN(2) == 0, amount: a}
		switch r.IntN(4) {
		case 0:
		case 1:
			ops[i].taint = a
		default:
			ops[i].taint.Rsh(&a, uint(r.IntN(8)))
		}
	}
	return ops
}

func TestAccountProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 3))
	for n := 0; n < 2000; n++ {
		if err := checkAccounts(randomOps(r, 1+r.IntN(40))); err != nil {
			t.Fatal(err)
		}
	}
}
