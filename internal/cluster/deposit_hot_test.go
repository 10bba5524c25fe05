package cluster

import (
	"testing"

	"github.com/chainhound/chainhound/internal/cluster/deposit"
	"github.com/holiman/uint256"
)

// A hot wallet pays withdrawals to two unrelated users, who each forward
// theirs in full (to their accounts elsewhere): both look like deposit
// addresses the hot wallet paid into. Later each forwards a payment from
// a friend the same way. The hot wallet is no customer: the friends must
// not end up in one entity with it, nor with each other.
func TestDepositHotWalletIsNoDepositor(t *testing.T) {
	const eth = 1_000_000_000_000_000_000
	tr := func(from, to, wei uint64) deposit.Transfer {
		return deposit.Transfer{From: from, To: to, Amount: *uint256.NewInt(wei)}
	}
	const (
		hot, dep, cust = 1, 2, 3 // the exchange's hot wallet, a deposit address, its customer
		u1, u2         = 4, 5    // users withdrawing from the exchange
		x1, x2         = 6, 7    // their friends, unrelated
		e1, e2         = 10, 11  // where the users forward to
	)
	blocks := [][]deposit.Transfer{
		{tr(cust, dep, eth)},
		{tr(dep, hot, eth-eth/1000)}, // a sweep: hot is the exchange's hot wallet
		{tr(hot, u1, 5*eth), tr(hot, u2, 5*eth)},
		{tr(u1, e1, 5*eth), tr(u2, e2, 5*eth)},
		{tr(x1, u1, 2*eth), tr(x2, u2, 2*eth)},
		{tr(u1, e1, 2*eth), tr(u2, e2, 2*eth)},
	}
	c := New(Options{Deposit: DefaultConfig().Deposit})
	det := deposit.New(c.Opts.Deposit)
	var d Delta
	for i, ts := range blocks {
		for _, f := range det.Block(uint64(i+1), ts) {
			c.ApplyForward(f, &d)
		}
	}
	if c.Counts.DepositForwards != 5 {
		t.Fatalf("%d forwards, want 5 (the sweep and the users' four)", c.Counts.DepositForwards)
	}
	if c.EntityOf(x1) == c.EntityOf(x2) || c.EntityOf(x1) == c.EntityOf(hot) || c.EntityOf(x2) == c.EntityOf(hot) {
		t.Fatalf("entities: hot %d, x1 %d, x2 %d: friends of two users welded through the hot wallet (merges %v)",
			c.EntityOf(hot), c.EntityOf(x1), c.EntityOf(x2), d.Links)
	}
}
