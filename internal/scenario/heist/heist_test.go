package heist

import (
	"bytes"
	"context"
	"math/big"
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
	_, tr := play(t, Config{Scenario: "bybit", Seed: 1})
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
		if e.Category == "exchange" && (e.Via == "" || e.SweptBlock <= e.Block) {
			t.Errorf("exchange exit not swept: %+v", e)
		}
		if e.Category == "mixing_service" && e.Beyond == "" {
			t.Errorf("mixer note never withdrawn: %+v", e)
		}
	}
	if cats["mixing_service"] != 90 || cats["defi_bridge"] != 18 || cats["exchange"] != 10 || cats["otc"] != 4 {
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
	var buf bytes.Buffer
	if err := tr.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	t.Logf("blocks %d..%d, %d movements, %d exits, %d locations, benign/illicit %s", tr.SetupBlock, tr.LastBlock, len(tr.Movements), len(tr.Exits), len(tr.Locations), ratio)
}
