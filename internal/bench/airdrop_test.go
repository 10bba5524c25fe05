package bench

import (
	"context"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/synth"
)

// TestBenchAirdrop checks that an airdropped graph stores every address rank
// (the plain graph leaves most undrawn), each with its one-wei deposit.
func TestBenchAirdrop(t *testing.T) {
	cfg := TraceGraphConfig{AccountTransfers: 3000, Addresses: 2500, Seed: 5}
	plain, err := OpenTraceGraph(context.Background(), t.TempDir(), cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	cfg.Airdrop = true
	g, err := OpenTraceGraph(context.Background(), t.TempDir(), cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if n := plain.Account.AddressCount(); n >= 2500 {
		t.Fatalf("the plain graph stores %d addresses: the test needs one that leaves ranks undrawn", n)
	}
	if n := g.Account.AddressCount(); n != 2500 {
		t.Errorf("airdropped graph stores %d addresses, want all 2500 ranks", n)
	}
	if g.Meta.AccountTransfers != plain.Meta.AccountTransfers+2500 || g.Meta.AccountBlocks != plain.Meta.AccountBlocks+3 {
		t.Errorf("%d transfers in %d blocks, want %d in %d", g.Meta.AccountTransfers, g.Meta.AccountBlocks, plain.Meta.AccountTransfers+2500, plain.Meta.AccountBlocks+3)
	}
	for _, rank := range []int{0, 1, 1234, 2499} {
		a := synth.AccountAddress(rank)
		deposits := 0
		for r, err := range g.Account.Transfers(store.Query{Chain: chain.Ethereum, Address: &a, FromBlock: plain.Meta.AccountBlocks + 1}) {
			if err != nil {
				t.Fatal(err)
			}
			if r.To == a && r.From == synth.AccountAddress(0) && r.Amount.Uint64() == 1 {
				deposits++
			}
		}
		if deposits != 1 {
			t.Errorf("rank %d: %d airdrop deposits, want 1", rank, deposits)
		}
	}
}
