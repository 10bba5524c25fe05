package trace

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/holiman/uint256"
)

// Errors an Account returns; the account is unchanged after either.
var (
	// ErrOverdraft: a send larger than the balance the account has seen.
	// The history fed in is incomplete (start it with an untainted Receive
	// of the opening balance) or the source is lying (a token emitting
	// Transfer logs it never backed).
	ErrOverdraft = errors.New("send exceeds balance")
	// ErrOverflow: the balance would pass 2^256-1, which only a bogus
	// token can report.
	ErrOverflow = errors.New("balance overflows 256 bits")
)

// Account follows the taint of one asset at one address over time, under
// one model. Feed it the address's transfers of that asset in chain order:
// Receive for incoming value, Send for outgoing (fees paid included). EVM
// amounts are uint256 base units, as on chain.Transfer; Bitcoin's
// address-level transfers carry the same type.
type Account interface {
	// Receive credits amount, of which taint is tainted.
	Receive(amount, taint *uint256.Int) error
	// Send debits amount and returns how much of it is tainted.
	Send(amount *uint256.Int) (uint256.Int, error)
	// Balance returns the value held and how much of it is tainted.
	Balance() (value, taint uint256.Int)
}

// NewAccount returns an empty account under model m: FIFO, Haircut or
// Poison. TIHO is a UTXO model only.
func NewAccount(m Model) (Account, error) {
	switch m {
	case FIFO:
		return &fifoAccount{}, nil
	case Haircut:
		return &haircutAccount{}, nil
	case Poison:
		return &poisonAccount{}, nil
	}
	return nil, fmt.Errorf("new account: %s is not an account model", m)
}

// credit adds amount to value, refusing taint above amount and overflow.
func credit(value, amount, taint *uint256.Int) error {
	if taint.Gt(amount) {
		return fmt.Errorf("receive %s with taint %s: taint exceeds amount", amount.Dec(), taint.Dec()) // Dec, not the pointers: the parameters stay off the heap
	}
	var sum uint256.Int
	if _, over := sum.AddOverflow(value, amount); over {
		return fmt.Errorf("receive %s on %s: %w", amount.Dec(), value.Dec(), ErrOverflow)
	}
	*value = sum
	return nil
}

func checkDebit(value, amount *uint256.Int) error {
	if amount.Gt(value) {
		return fmt.Errorf("send %s from %s: %w", amount.Dec(), value.Dec(), ErrOverdraft)
	}
	return nil
}

// haircutAccount keeps the balance and its tainted part.
type haircutAccount struct{ value, taint uint256.Int }

func (a *haircutAccount) Receive(amount, taint *uint256.Int) error {
	if err := credit(&a.value, amount, taint); err != nil {
		return err
	}
	a.taint.Add(&a.taint, taint) // taint <= value: no overflow once value fits
	return nil
}

// Send carries amount·taint/value rounded half up: never more than the
// amount or the taint held, and what stays behind never exceeds what stays.
func (a *haircutAccount) Send(amount *uint256.Int) (uint256.Int, error) {
	if err := checkDebit(&a.value, amount); err != nil {
		return uint256.Int{}, err
	}
	sent := shareHalfUp(amount, &a.taint, &a.value)
	a.value.Sub(&a.value, amount)
	a.taint.Sub(&a.taint, &sent)
	return sent, nil
}

func (a *haircutAccount) Balance() (value, taint uint256.Int) { return a.value, a.taint }

// shareHalfUp returns x·y/d rounded half up, for x, y <= d. The product
// needs up to 512 bits; balances that fit 64 bits (all of Bitcoin, most
// tokens' small holders) take a fast path through math/bits, and those
// that fit 128 bits one through a 256-bit product.
func shareHalfUp(x, y, d *uint256.Int) uint256.Int {
	if x.IsZero() || y.IsZero() {
		return uint256.Int{}
	}
	if d.IsUint64() {
		dd := d.Uint64()
		hi, lo := bits.Mul64(x.Uint64(), y.Uint64())
		q, r := bits.Div64(hi, lo, dd) // x·y/d <= y < 2^64: hi < d
		if r >= dd-r {
			q++
		}
		return *uint256.NewInt(q)
	}
	if d[2] == 0 && d[3] == 0 {
		// Below 2^128 (every ether balance there is): x, y <= d, so the
		// product fits 256 bits and one 256-by-128-bit division gives the
		// quotient and the remainder.
		var p, q, r uint256.Int
		p.Mul(x, y)
		q.DivMod(&p, d, &r)
		if !r.Lt(p.Sub(d, &r)) {
			q.AddUint64(&q, 1)
		}
		return q
	}
	var q, p, qd, r uint256.Int
	q.MulDivOverflow(x, y, d) // cannot overflow: the quotient is at most y
	// The remainder is below d, so wrapping arithmetic finds it exactly.
	r.Sub(p.Mul(x, y), qd.Mul(&q, d))
	if !r.Lt(new(uint256.Int).Sub(d, &r)) {
		q.AddUint64(&q, 1)
	}
	return q
}

// poisonAccount taints everything it sends once it has received any taint.
// It never forgets: bounding poison by hops and time is the tracer's job.
type poisonAccount struct {
	value    uint256.Int
	poisoned bool
}

func (a *poisonAccount) Receive(amount, taint *uint256.Int) error {
	if err := credit(&a.value, amount, taint); err != nil {
		return err
	}
	a.poisoned = a.poisoned || !taint.IsZero()
	return nil
}

func (a *poisonAccount) Send(amount *uint256.Int) (uint256.Int, error) {
	if err := checkDebit(&a.value, amount); err != nil {
		return uint256.Int{}, err
	}
	a.value.Sub(&a.value, amount)
	if a.poisoned {
		return *amount, nil
	}
	return uint256.Int{}, nil
}

func (a *poisonAccount) Balance() (value, taint uint256.Int) {
	if a.poisoned {
		return a.value, a.value
	}
	return a.value, uint256.Int{}
}
