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

// A hot wallet that two deposit addresses swept to sends what it holds
// on to cold storage in full: that looks like a sweep, but its "depositors"
// are the deposit addresses and whoever paid the hot wallet directly, who
// are no one customer and must not be joined (to each other, or to the
// exchange's deposit addresses).
func TestDepositHotWalletSweepingOnIsNoDeposit(t *testing.T) {
	const eth = 1_000_000_000_000_000_000
	tr := func(from, to, wei uint64) deposit.Transfer {
		return deposit.Transfer{From: from, To: to, Amount: *uint256.NewInt(wei)}
	}
	const (
		hot, cold  = 1, 2
		d1, d2, d3 = 3, 4, 5 // deposit addresses
		c1, c2, c3 = 6, 7, 8 // their customers
		x, y       = 9, 10   // two people paying the hot wallet directly
	)
	blocks := [][]deposit.Transfer{
		{tr(c1, d1, eth), tr(c2, d2, 2*eth)},
		{tr(d1, hot, eth), tr(d2, hot, 2*eth), tr(x, hot, 3*eth)}, // two sweeps; x pays the hot wallet
		{tr(hot, cold, 6*eth)},                                    // all of it on to cold storage
		{tr(c3, d3, eth)},
		{tr(d3, hot, eth), tr(y, hot, eth)},
		{tr(hot, cold, 2*eth)},
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
		t.Fatalf("%d forwards, want 5 (three sweeps, two onward to cold storage)", c.Counts.DepositForwards)
	}
	for _, id := range []uint64{x, y, d1, d2, d3} {
		if e := c.EntityOf(id); e != id {
			t.Fatalf("%d joined entity %d (merges %v)", id, e, d.Links)
		}
	}
}
