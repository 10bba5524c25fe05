package deposit

import (
	"fmt"
	"testing"

	"github.com/holiman/uint256"
)

const eth = 1_000_000_000_000_000_000

func tr(from, to uint64, wei uint64) Transfer {
	return Transfer{From: from, To: to, Amount: *uint256.NewInt(wei)}
}

func TestForwards(t *testing.T) {
	cfg := Config{Enabled: true, AmountToleranceWei: eth / 100, WindowBlocks: 10, MaxDepositors: 3}
	const hot = 100
	d := New(cfg)
	var got []string
	feed := func(h uint64, ts ...Transfer) {
		for _, f := range d.Block(h, ts) {
			got = append(got, fmt.Sprintf("%d:%d->%d%v", f.Block, f.Deposit, f.Hot, f.Depositors))
		}
	}
	feed(1, tr(1, 10, 2*eth), tr(2, 10, eth), tr(hot, 10, eth/1000)) // two customers' accounts pay 10; the hot wallet tops it up
	feed(3, tr(10, hot, 3*eth-eth/200))                              // swept, gas off: a forward; 1 and 2 are one customer
	feed(4, tr(3, 11, eth), tr(11, hot, eth-eth/50))                 // short by 0.02 ETH: over the tolerance
	feed(5, tr(4, 12, eth))
	feed(16, tr(12, hot, eth)) // 11 blocks later: out of the window
	feed(17, tr(5, 13, eth), tr(6, 13, eth))
	feed(18, tr(13, 14, 3*eth)) // more than it received: not a forward
	feed(19, tr(7, 15, eth), tr(8, 15, eth), tr(9, 15, eth), tr(1, 15, eth))
	feed(20, tr(15, hot, 4*eth)) // four depositors: above max_depositors
	want := "[3:10->100[1 2]]"
	if fmt.Sprint(got) != want {
		t.Fatalf("forwards %v, want %v", got, want)
	}
}

// A detector primed with the window before block h decides from h on as
// one that saw every block.
func TestPrimedEqualsFull(t *testing.T) {
	cfg := Config{Enabled: true, AmountToleranceWei: 10, WindowBlocks: 5, MaxDepositors: 5}
	blocks := map[uint64][]Transfer{}
	for h := uint64(1); h <= 60; h++ {
		// deposits to address 10+h%7 from 1+h%4, swept a few blocks later
		blocks[h] = append(blocks[h], tr(1+h%4, 10+h%7, 100+h))
		if h%3 == 0 {
			a := 10 + (h-3)%7
			blocks[h] = append(blocks[h], tr(a, 99, 100+h-3))
		}
		if h%13 == 0 { // now and then a deposit address pays someone else too: it is none while that is in the window
			blocks[h] = append(blocks[h], tr(10+h%7, 98, 1))
		}
	}
	run := func(d *Detector, from, to uint64) (out []string) {
		for h := from; h <= to; h++ {
			for _, f := range d.Block(h, blocks[h]) {
				out = append(out, fmt.Sprint(f))
			}
		}
		return out
	}
	full := New(cfg)
	run(full, 1, 30)
	want := run(full, 31, 60)
	primed := New(cfg)
	run(primed, 31-cfg.WindowBlocks, 30)
	if got := run(primed, 31, 60); fmt.Sprint(got) != fmt.Sprint(want) || len(want) == 0 {
		t.Fatalf("primed %v\nfull   %v", got, want)
	}
}

// An exchange tops its deposit addresses up with gas from a funding
// account of its own (not the hot wallet): the funder paid each swept
// address, but no more than the tolerance, and is no customer; were it a
// depositor, every customer it funded would be one.
func TestGasFunderIsNoDepositor(t *testing.T) {
	cfg := Config{Enabled: true, AmountToleranceWei: eth / 100, WindowBlocks: 10, MaxDepositors: 3}
	const hot, funder = 100, 200
	d := New(cfg)
	var got []string
	feed := func(h uint64, ts ...Transfer) {
		for _, f := range d.Block(h, ts) {
			got = append(got, fmt.Sprintf("%d:%d->%d%v", f.Block, f.Deposit, f.Hot, f.Depositors))
		}
	}
	feed(1, tr(funder, 10, eth/500), tr(funder, 11, eth/500)) // gas for deposit addresses 10 and 11
	feed(2, tr(1, 10, eth), tr(2, 11, 2*eth))                 // customers 1 and 2 deposit
	feed(3, tr(10, hot, eth), tr(11, hot, 2*eth))
	if want := "[3:10->100[1] 3:11->100[2]]"; fmt.Sprint(got) != want {
		t.Fatalf("forwards %v, want %v", got, want)
	}
}

// The window's edge: a receipt window_blocks before the forward still
// counts (and one a block older does not), also for an address whose
// older receipts expire in the same step.
func TestWindowEdge(t *testing.T) {
	cfg := Config{Enabled: true, AmountToleranceWei: eth / 100, WindowBlocks: 10, MaxDepositors: 3}
	const hot = 100
	d := New(cfg)
	var got []string
	feed := func(h uint64, ts ...Transfer) {
		for _, f := range d.Block(h, ts) {
			got = append(got, fmt.Sprintf("%d:%d->%d%v", f.Block, f.Deposit, f.Hot, f.Depositors))
		}
	}
	feed(1, tr(7, 20, 5*eth)) // expires at block 12
	feed(5, tr(1, 20, eth), tr(2, 21, eth))
	feed(15, tr(20, hot, eth)) // exactly 10 blocks after the receipt at 5; the one at 1 is out
	feed(16, tr(21, hot, eth)) // 11 blocks after: out of the window
	if want := "[15:20->100[1]]"; fmt.Sprint(got) != want {
		t.Fatalf("forwards %v, want %v", got, want)
	}
}

// The tolerance's edge: a sweep short by exactly the tolerance is one,
// short by one wei more is not; the whole amount is one, one wei more is
// not.
func TestToleranceEdge(t *testing.T) {
	cfg := Config{Enabled: true, AmountToleranceWei: eth / 100, WindowBlocks: 10, MaxDepositors: 3}
	const hot = 100
	d := New(cfg)
	var got []string
	feed := func(h uint64, ts ...Transfer) {
		for _, f := range d.Block(h, ts) {
			got = append(got, fmt.Sprintf("%d:%d", f.Block, f.Deposit))
		}
	}
	feed(1, tr(1, 20, eth), tr(2, 21, eth), tr(3, 22, eth), tr(4, 23, eth))
	feed(2, tr(20, hot, eth-eth/100), tr(21, hot, eth-eth/100-1), tr(22, hot, eth), tr(23, hot, eth+1))
	if want := "[2:20 2:22]"; fmt.Sprint(got) != want {
		t.Fatalf("forwards %v, want %v", got, want)
	}
}

func trx(from, to uint64, tx uint32, wei uint64) Transfer {
	return Transfer{From: from, To: to, Tx: tx, Amount: *uint256.NewInt(wei)}
}

// Contracts that pass ether on are not deposit addresses: a bridge router
// forwarding each payment to its vault in the paying transaction, a mixer
// paying notes out to many addresses, a pool paying sellers. A contract
// deposit address swept by the exchange in a later transaction is one.
func TestPassThroughsAreNoDeposits(t *testing.T) {
	cfg := Config{Enabled: true, AmountToleranceWei: eth / 100, WindowBlocks: 10, MaxDepositors: 50}
	const hot, router, vault, mixer = 100, 200, 201, 300
	d := New(cfg)
	var got []string
	feed := func(h uint64, ts ...Transfer) {
		for _, f := range d.Block(h, ts) {
			got = append(got, fmt.Sprintf("%d:%d->%d%v", f.Block, f.Deposit, f.Hot, f.Depositors))
		}
	}
	// Router deposits by 1 and 2, each forwarded to the vault within its
	// own transaction (a top-level payment, then the inner call).
	feed(1, trx(1, router, 0, 5*eth), trx(router, vault, 0, 5*eth), trx(2, router, 1, 7*eth), trx(router, vault, 1, 7*eth))
	// Mixer notes of 3 and 4, each paid out alone to a fresh address
	// (the amounts match what it received since its last payout).
	feed(2, trx(3, mixer, 0, 10*eth))
	feed(3, trx(mixer, 500, 0, 10*eth))
	feed(4, trx(4, mixer, 0, 10*eth))
	feed(5, trx(mixer, 501, 0, 10*eth))
	// A contract deposit address of customer 5 (accounts 5 and 6), swept by
	// an inner call of the exchange's sweep in a later transaction.
	feed(6, trx(5, 50, 0, eth), trx(6, 50, 1, 2*eth), trx(hot, 50, 2, eth/1000))
	feed(7, trx(50, hot, 0, 3*eth+eth/1000))
	want := "[3:300->500[3] 7:50->100[5 6]]"
	if fmt.Sprint(got) != want {
		t.Fatalf("forwards %v, want %v (the mixer's first payout counts, its second does not: it paid two addresses)", got, want)
	}
}
