package heist

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"
)

func play(t *testing.T, cfg Config) (*Player, *Truth) {
	t.Helper()
	p, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if err := p.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return p, p.Truth()
}

// TestBybitTruth plays the bybit scenario and checks its answer key
// against itself and the node: value is conserved per asset, the thief's
// holdings are what the node reports, the benign traffic is at least ten
// times the stolen value, and every exit was reached.
func TestBybitTruth(t *testing.T) {
	p, tr := play(t, Config{Scenario: "bybit", Seed: 1})
	if err := tr.Conserved(); err != nil {
		t.Error(err)
	}
	if tr.SafeTx == nil || tr.SafeTx.Operation != 1 || tr.SafeTx.Block == 0 {
		t.Errorf("safe tx %+v", tr.SafeTx)
	}
	if len(tr.Seeds) != 3 {
		t.Errorf("seeds %v", tr.Seeds)
	}
	ratio := new(big.Int).Quo(&tr.BenignValue.Int, &tr.IllicitValue.Int)
	if ratio.Cmp(big.NewInt(10)) < 0 {
		t.Errorf("benign %s wei, illicit %s wei: ratio %s < 10", tr.BenignValue.String(), tr.IllicitValue.String(), ratio)
	}
	cats := map[string]int{}
	for _, e := range tr.Exits {
		cats[e.Category]++
		if e.Service == "Exchange hot wallet" && (e.Via == "" || e.SweptBlock <= e.Block) {
			t.Errorf("exchange exit not swept: %+v", e)
		}
		if e.Category == "mixing_service" && e.Beyond == "" {
			t.Errorf("mixer note never withdrawn: %+v", e)
		}
	}
	if cats["mixing_service"] != 90 || cats["defi_bridge"] != 18 || cats["exchange"] != 14 {
		t.Errorf("exits per category %v", cats)
	}
	fan := 0
	for _, m := range tr.Movements {
		if m.Step == "fan-out" {
			fan++
		}
	}
	if fan != 50 {
		t.Errorf("%d fan-out transfers, want 50", fan)
	}
	// The deposit accounts the truth records are the plan's: the thief's
	// wallets grouped by the deposit address they pay, 4, 3 and 3.
	w := p.World()
	want := map[string][]string{}
	for _, b := range p.Plan().Blocks {
		for _, a := range b.Actions {
			if a.Illicit() && a.Kind == Send && strings.HasPrefix(a.To, "deposit/") {
				dep, from := w.mustAddress(a.To), w.mustAddress(a.From)
				want[lower(dep)] = append(want[lower(dep)], lower(from))
			}
		}
	}
	var sizes []int
	for _, d := range tr.DepositAccounts {
		sizes = append(sizes, len(d.Payers))
		if fmt.Sprint(d.Payers) != fmt.Sprint(want[d.Deposit]) {
			t.Errorf("deposit %s (%s): payers %v, the plan's %v", d.Deposit, d.Customer, d.Payers, want[d.Deposit])
		}
	}
	if len(tr.DepositAccounts) != len(want) || fmt.Sprint(sizes) != "[4 3 3]" {
		t.Errorf("%d deposit accounts of %v payers, want %d of [4 3 3]", len(tr.DepositAccounts), sizes, len(want))
	}
	var buf bytes.Buffer
	if err := tr.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	t.Logf("blocks %d..%d, %d movements, %d exits, %d locations, benign/illicit %s", tr.SetupBlock, tr.LastBlock, len(tr.Movements), len(tr.Exits), len(tr.Locations), ratio)
}

// TestDeterministic plays a scenario twice from the same seed and once
// from another: the same seed gives the same blocks (hashes) and the same
// ground truth; another seed gives another chain.
func TestDeterministic(t *testing.T) {
	run := func(seed int64) ([]string, string) {
		p, tr := play(t, Config{Scenario: "bybit", Seed: seed})
		var hashes []string
		for i := uint64(0); i <= tr.LastBlock; i++ {
			hashes = append(hashes, p.Node().Ethereum().BlockChain().GetHeaderByNumber(i).Hash().Hex())
		}
		var buf bytes.Buffer
		if err := tr.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		p.Close()
		return hashes, buf.String()
	}
	h1, t1 := run(7)
	h2, t2 := run(7)
	h3, t3 := run(8)
	if len(h1) != len(h2) || h1[len(h1)-1] != h2[len(h2)-1] {
		t.Errorf("same seed, different chains: head %s vs %s", h1[len(h1)-1], h2[len(h2)-1])
	}
	if t1 != t2 {
		t.Errorf("same seed, different ground truth")
	}
	if h1[len(h1)-1] == h3[len(h3)-1] || t1 == t3 {
		t.Errorf("seeds 7 and 8 gave the same chain or truth")
	}
}

// TestPeelChain plays the peel chain: twenty peels, each to its own
// deposit address and swept into the exchange, value conserved.
func TestPeelChain(t *testing.T) {
	_, tr := play(t, Config{Scenario: "peel-chain", Seed: 3})
	if err := tr.Conserved(); err != nil {
		t.Error(err)
	}
	if len(tr.Exits) != 20 || len(tr.Seeds) != 1 {
		t.Errorf("%d exits, %d seeds", len(tr.Exits), len(tr.Seeds))
	}
	for _, e := range tr.Exits {
		if e.SweptBlock == 0 {
			t.Errorf("not swept: %+v", e)
		}
	}
}

// TestStepReportsFanOut plays bybit block by block, as a watcher would,
// and finds the fan-out and the exits in the blocks Step reports them in.
func TestStepReportsFanOut(t *testing.T) {
	p, err := New(context.Background(), Config{Scenario: "bybit", Seed: 1, NoBenign: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	fanBlock, exits := uint64(0), 0
	for !p.Done() {
		want := p.NextBlock()
		r, err := p.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if r.Number != want {
			t.Fatalf("step sealed block %d, NextBlock said %d", r.Number, want)
		}
		for _, m := range r.Movements {
			if m.Step == "fan-out" {
				fanBlock = r.Number
			}
			if m.Block != r.Number {
				t.Errorf("movement of block %d reported in block %d", m.Block, r.Number)
			}
		}
		exits += len(r.Exits)
	}
	tr := p.Truth()
	if fanBlock == 0 || exits != len(tr.Exits) {
		t.Errorf("fan-out block %d, %d exits reported, %d in the truth", fanBlock, exits, len(tr.Exits))
	}
	if err := tr.Conserved(); err != nil {
		t.Error(err)
	}
}
