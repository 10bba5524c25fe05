package main

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
)

// TestTraceTheftOnNode scripts a theft on the in-process node and traces it
// from the theft transaction. The thief and its two mules start empty, so
// every wei they move is stolen and the ground truth is the scripted
// amounts: the thief splits the 100 ether to the mules (30 and 25), swaps
// 20 ether for 60 tokens at a pool, and the mules and the thief deposit 29
// ether, 24 ether and the 60 tokens at three exchange deposit addresses.
// Under FIFO, haircut and poison alike, the exits report those three
// deposits exactly, the pool stays clean, and (FIFO, haircut) the seeded
// 100 ether is conserved: what stays with the thief and mules, plus fees,
// burns, the swapped 20 and the deposits.
func TestTraceTheftOnNode(t *testing.T) {
	const victim, thiefKey, muleA, muleB, depA, depB, depC, deployer = 0, 1, 2, 3, 4, 5, 6, 7
	keys := scenario.DeterministicKeys(8)
	addr := func(i int) common.Address { return crypto.PubkeyToAddress(keys[i].PublicKey) }
	alloc := types.GenesisAlloc{}
	for _, i := range []int{thiefKey, muleA, muleB} {
		alloc[addr(i)] = types.Account{Balance: new(big.Int)}
	}
	n := newNode(t, scenario.NodeConfig{Accounts: 8, Alloc: alloc})
	ctx := context.Background()
	eth := func(x int64) *big.Int { return new(big.Int).Mul(big.NewInt(x), big.NewInt(params.Ether)) }
	send := func(from int, to common.Address, value *big.Int, data []byte, gas uint64) common.Hash {
		t.Helper()
		h, err := n.Send(ctx, from, &to, value, data, gas)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	commit := func() {
		t.Helper()
		if _, err := n.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	// The token and the pool, funded with tokens.
	token, _, err := n.Deploy(ctx, deployer, scenario.ERC20Code(eth(1_000_000)), nil, 500_000)
	if err != nil {
		t.Fatal(err)
	}
	commit()
	pool, _, err := n.Deploy(ctx, deployer, scenario.SwapPoolCode(token, 3), nil, 500_000)
	if err != nil {
		t.Fatal(err)
	}
	commit()
	send(deployer, token, nil, scenario.TransferCalldata(pool, eth(1000)), 100_000)
	commit()
	// The theft, the split, the swap, the deposits.
	theft := send(victim, addr(thiefKey), eth(100), nil, 21_000)
	commit()
	send(thiefKey, addr(muleA), eth(30), nil, 21_000)
	send(thiefKey, addr(muleB), eth(25), nil, 21_000)
	commit()
	send(thiefKey, pool, eth(20), nil, 200_000)
	commit()
	send(muleA, addr(depA), eth(29), nil, 21_000)
	send(muleB, addr(depB), eth(24), nil, 21_000)
	send(thiefKey, token, nil, scenario.TransferCalldata(addr(depC), eth(60)), 100_000)
	commit()

	dir := t.TempDir()
	mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", dir)
	var labels strings.Builder
	labels.WriteString("chain,address,label,category,confidence,source,date\n")
	for i, d := range []int{depA, depB, depC} {
		fmt.Fprintf(&labels, "eip155:%d,%s,Exchange %c deposit,exchange,service_data,case notes,2025-02-21\n", n.ChainID(), strings.ToLower(addr(d).Hex()), 'A'+i)
	}
	mustCLI(t, "intel", "import", "labels", "--format", "csv", writeFile(t, dir, "labels.csv", labels.String()), "--data", dir)

	want := map[string]string{
		strings.ToLower(addr(depA).Hex()) + " native":                                                                    eth(29).String(),
		strings.ToLower(addr(depB).Hex()) + " native":                                                                    eth(24).String(),
		strings.ToLower(addr(depC).Hex()) + " eip155:" + n.ChainID().String() + "/erc20:" + strings.ToLower(token.Hex()): eth(60).String(),
	}
	for _, m := range []string{"fifo", "haircut", "poison"} {
		r := traceJSON(t, "--seed", theft.Hex(), "--model", m, "--data", dir)
		got := map[string]string{}
		for _, x := range r.Exits {
			got[x.Address+" "+x.Asset] = x.Amount
			if !x.Stopped || x.Remaining != x.Amount || !x.Freezable {
				t.Errorf("%s: exit %+v: want stopped, all remaining, freezable", m, x)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: exits %v\nwant %v", m, got, want)
		}
		for _, f := range r.Flows {
			if f.From == strings.ToLower(pool.Hex()) {
				t.Errorf("%s: the pool passed taint on: %+v", m, f)
			}
		}
		if len(r.Swaps) != 1 || r.Swaps[0].Venue != strings.ToLower(pool.Hex()) || r.Swaps[0].BoughtAmount != eth(60).String() {
			t.Errorf("%s: swaps %+v", m, r.Swaps)
		}
		if m == "poison" {
			continue
		}
		// Conservation, per asset, from the report alone.
		sum := map[string]*uint256.Int{}
		add := func(asset, amount string) {
			v, err := uint256.FromDecimal(amount)
			if err != nil {
				t.Fatal(err)
			}
			if sum[asset] == nil {
				sum[asset] = new(uint256.Int)
			}
			sum[asset].Add(sum[asset], v)
		}
		for _, h := range append(r.Frontier, r.Stopped...) {
			add(h.Asset, h.Amount)
		}
		for _, a := range append(append(r.Fees, r.Burns...), r.SwappedOut...) {
			add(a.Asset, a.Amount)
		}
		for _, x := range r.Exits {
			add(x.Asset, x.Amount)
		}
		in := map[string]string{}
		for _, a := range append(r.Seeded, r.SwappedIn...) {
			in[a.Asset] = a.Amount
		}
		if in["native"] != eth(100).String() || len(in) != 2 {
			t.Errorf("%s: seeded and swapped in %v", m, in)
		}
		for asset, v := range in {
			if sum[asset] == nil || sum[asset].Dec() != v {
				t.Errorf("%s: %s in %s, out %v", m, asset, v, sum[asset])
			}
		}
	}
}
