package main

import (
	"context"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/scenario"
)

// TestClusterEthereum: through the CLI, two accounts of one customer pay
// one deposit address, which sweeps to the exchange's hot wallet; `cluster
// build --chain eth` finds the sweep and `entity` shows the customer's two
// accounts as one entity (the deposit address and hot wallet apart).
func TestClusterEthereum(t *testing.T) {
	ctx := context.Background()
	n, err := scenario.NewNode(scenario.NodeConfig{Accounts: 6})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	milli := func(m int64) *big.Int { return new(big.Int).Mul(big.NewInt(m), big.NewInt(1e15)) }
	pay := func(from, to int, m int64) {
		a := n.Address(to)
		if _, err := n.Send(ctx, from, &a, milli(m), nil, 21_000); err != nil {
			t.Fatal(err)
		}
	}
	pay(3, 1, 1000) // customer accounts 3 and 4 pay deposit address 1
	pay(4, 1, 500)
	if _, err := n.Commit(); err != nil {
		t.Fatal(err)
	}
	pay(1, 0, 1499) // the sweep to hot wallet 0, less its gas
	if _, err := n.Commit(); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", data)
	if got := mustCLI(t, "cluster", "build", "--chain", "eth", "--data", data); !strings.Contains(got, "1 deposit sweeps found, 1 merges") {
		t.Fatalf("build:\n%s", got)
	}
	var e entityOut
	if err := json.Unmarshal([]byte(mustCLI(t, "entity", n.Address(4).Hex(), "--output", "json", "--data", data)), &e); err != nil {
		t.Fatal(err)
	}
	if e.Members != 2 || e.Unit != "wei" || len(e.Listing) != 2 || e.Sent == "0" {
		t.Fatalf("entity of account 4: %+v", e)
	}
	for _, m := range e.Listing {
		if !strings.EqualFold(m.Address, n.Address(3).Hex()) && !strings.EqualFold(m.Address, n.Address(4).Hex()) {
			t.Fatalf("member %s is not one of the customer's accounts", m.Address)
		}
	}
	if e := mustCLI(t, "entity", n.Address(1).Hex(), "--data", data); !strings.Contains(e, "members       1") {
		t.Fatalf("the deposit address joined its customer:\n%s", e)
	}
	var s statsOut
	if err := json.Unmarshal([]byte(mustCLI(t, "cluster", "stats", "--chain", "eth", "--output", "json", "--data", data)), &s); err != nil {
		t.Fatal(err)
	}
	if s.Chain != "eth" || s.DepositSweeps != 1 || s.DepositMerges != 1 || s.Entities != 1 {
		t.Fatalf("stats: %+v", s)
	}
	if _, errs, code := cli(t, "cluster", "build", "--chain", "doge", "--data", data); code != 2 || !strings.Contains(errs, "--chain") {
		t.Fatalf("bad chain: exit %d\n%s", code, errs)
	}
}
