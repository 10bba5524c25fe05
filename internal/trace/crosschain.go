package trace

import (
	"context"

	"github.com/chainhound/chainhound/internal/bridge"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// Crossing is taint that left a chain through a bridge deposit, and where
// the bridge paid it out.
type Crossing struct {
	Link bridge.Link
	// Tainted is the taint the deposit carried (the trace's flows into the
	// bridge's vault in the deposit transaction, or into its router when
	// the vault received none).
	Tainted uint256.Int
	// Seed is the payout's tainted share: payout · tainted / deposited,
	// rounded down. The assets differ (ether in, bitcoin out): the share
	// of the deposit that was tainted is what crosses, the haircut reading
	// of a swap.
	Seed uint256.Int
}

// Crossings finds the bridge deposits among a forward trace's flows on
// chain c, resolves them (internal/bridge) and says how much taint each
// carried. A deposit with no payout found is returned with a nil Payout
// and the reason.
func Crossings(ctx context.Context, r bridge.Reader, c chain.Chain, res *Result) ([]Crossing, error) {
	byTx := map[chain.Hash][]int{}
	var order []chain.Hash
	for i := range res.Flows {
		h := res.Flows[i].Tx
		if _, ok := byTx[h]; !ok {
			order = append(order, h)
		}
		byTx[h] = append(byTx[h], i)
	}
	var out []Crossing
	for _, h := range order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		memos, _, err := r.Memos(c, h)
		if err != nil {
			return nil, err
		}
		if len(memos) == 0 {
			continue
		}
		links, err := bridge.Resolve(ctx, r, c, h)
		if err != nil {
			return nil, err
		}
		for _, l := range links {
			var x Crossing
			x.Link = l
			d := &l.Deposit
			// The value reaches the vault, through the router for ether: count
			// the flows into the vault, or into the router when the vault got
			// none (a token stays in the router), never both.
			for _, to := range []chain.Address{d.Vault, d.Router} {
				for _, i := range byTx[h] {
					f := &res.Flows[i]
					if f.Asset == d.Asset && !to.None() && f.To == to && !f.Swap {
						x.Tainted.Add(&x.Tainted, &f.Amount)
					}
				}
				if !x.Tainted.IsZero() {
					break
				}
			}
			if x.Tainted.IsZero() {
				continue
			}
			if x.Tainted.Gt(&d.Amount) {
				x.Tainted = d.Amount
			}
			if p := l.Payout; p != nil && !d.Amount.IsZero() {
				if v, overflow := new(uint256.Int).MulOverflow(&p.Amount, &x.Tainted); !overflow {
					x.Seed = *v.Div(v, &d.Amount)
				} else {
					x.Seed = *new(uint256.Int).Mul(new(uint256.Int).Div(&p.Amount, &d.Amount), &x.Tainted)
				}
			}
			out = append(out, x)
		}
	}
	return out, nil
}
