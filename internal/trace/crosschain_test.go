package trace

import (
	"context"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
	"github.com/holiman/uint256"
)

// TestCrossings: the thief pays 60 of its 100 into a THORChain-style
// router, which forwards it to the vault and logs the deposit with the
// memo =:b:<address>; on Bitcoin the vault pays that address 500 satoshis
// with OUT:<deposit hash>. The trace's flows into the router and the vault
// make one crossing, all tainted, whose payout is seeded in full; a
// deposit only half tainted seeds half the payout.
func TestCrossings(t *testing.T) {
	const dest = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
	e := newEthChain(t)
	for c, caip2 := range map[chain.Chain]string{chain.Ethereum: "eip155:1", chain.Bitcoin: addrcheck.Bitcoin} {
		if err := e.s.Bind(c, chain.Network{CAIP2: caip2, Genesis: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	router, vault := eth(0x70), eth(0x71)
	e.block(xfer{from: faucet, to: thief, amount: 100})
	dep := xfer{from: thief, to: router, amount: 60}
	e.blockMemos([]chain.Memo{{TxIndex: 0, Kind: chain.MemoRouterDeposit, Contract: router, From: thief, To: vault, Asset: chain.NativeAsset,
		Amount: *uint256.NewInt(60), Text: "=:b:" + dest}},
		dep, xfer{from: router, to: vault, amount: 60, kind: chain.KindInternal})
	depTx := txHash("eth-2-0")

	b := &utxoChain{t: t, s: e.s}
	b.block("cb1", []chain.Output{pay("vaultbtc", 1000)})
	payout := utx("out", []Outpoint{outpt("cb1", 0)}, pay(dest, 500), chain.Output{Value: 0}, pay("vaultbtc", 490))
	b.blockMemos([]chain.Memo{{TxIndex: 1, Kind: chain.MemoOpReturn, Index: 1, Text: "OUT:" + strings.ToUpper(depTx.String()[2:])}},
		"cb2", []chain.Output{pay("miner", 1)}, payout)

	for _, tc := range []struct {
		seed          AccountSeed
		tainted, paid string
	}{
		{AccountSeed{Address: thief, FromBlock: 1}, "60", "500"},
		{AccountSeed{Address: thief, FromBlock: 2, Amount: uint256.NewInt(50)}, "30", "250"}, // haircut: 60·50/100
	} {
		r, err := TraceAccount(e.s, chain.Ethereum, Haircut, Bounds{}, []AccountSeed{tc.seed})
		if err != nil {
			t.Fatal(err)
		}
		xs, err := Crossings(context.Background(), e.s, chain.Ethereum, r)
		if err != nil {
			t.Fatal(err)
		}
		if len(xs) != 1 || xs[0].Link.Payout == nil {
			t.Fatalf("crossings %+v", xs)
		}
		x, p := xs[0], xs[0].Link.Payout
		if x.Link.Confidence != 1 || x.Tainted.Dec() != tc.tainted || x.Seed.Dec() != tc.paid || p.Address.Raw != dest || p.Tx != txHash("out") || p.Index != 0 {
			t.Errorf("crossing: confidence %v, tainted %s, seed %s, payout %s %s:%d", x.Link.Confidence, x.Tainted.Dec(), x.Seed.Dec(), p.Address.Raw, p.Tx, p.Index)
		}
	}
	// A trace from after the deposit crosses nothing.
	r, err := TraceAccount(e.s, chain.Ethereum, Haircut, Bounds{}, []AccountSeed{{Address: thief, FromBlock: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if xs, err := Crossings(context.Background(), e.s, chain.Ethereum, r); err != nil || len(xs) != 0 {
		t.Fatalf("from block 3: %+v %v", xs, err)
	}
}
