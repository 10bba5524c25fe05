package main

import (
	"context"
	"encoding/csv"
	"math/big"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ledger"
	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/ethereum/go-ethereum/common"
)

// TestBalancesReconcileWithNode ingests a workload of at least 500 mixed
// transactions from a real in-process node and checks, for every address the
// store saw and every address the workload touched, that the native balance
// rebuilt from transfers equals eth_getBalance at the head and every ERC-20
// balance equals balanceOf.
func TestBalancesReconcileWithNode(t *testing.T) {
	n := newNode(t, scenario.NodeConfig{})
	res := workload(t, n, 500, 7)
	if len(res.TxHashes) < 500 || res.Failed == 0 {
		t.Fatalf("workload too small to mean anything: %d txs, %d failed", len(res.TxHashes), res.Failed)
	}
	dir := t.TempDir()
	mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", dir)

	out := export(t, dir)
	addrs := map[common.Address]bool{}
	for _, a := range res.Touched {
		addrs[a] = true
	}
	kinds := map[string]int{}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		kinds[r[4]]++
		for _, a := range r[5:7] {
			if a != "" {
				addrs[common.HexToAddress(a)] = true
			}
		}
	}
	for _, k := range []string{"native", "internal", "token", "fee", "burn", "withdrawal", "genesis"} {
		if kinds[k] == 0 {
			t.Errorf("no %s transfers stored; kinds: %v", k, kinds)
		}
	}
	t.Logf("%d transfers of kinds %v over %d addresses", len(recs)-1, kinds, len(addrs))

	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	tokens := map[chain.Asset]common.Address{}
	for _, tok := range res.Tokens {
		tokens[chain.Asset{Kind: chain.ERC20, Contract: chain.EVMAddress(tok)}] = tok
	}
	checked, tokenChecked := 0, 0
	for a := range addrs {
		acc, err := ledger.Summarize(st, chain.EVMAddress(a))
		if err != nil {
			t.Fatal(err)
		}
		held := map[chain.Asset]*big.Int{}
		for _, b := range acc.Balances {
			held[b.Asset] = b.Balance
		}
		want, err := n.Balance(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if got := orZero(held[chain.NativeAsset]); got.Cmp(want) != 0 {
			t.Errorf("native balance of %s: rebuilt %s, node %s (diff %s)", a, got, want, new(big.Int).Sub(got, want))
		}
		checked++
		if a == (common.Address{}) {
			continue // the token zero address is the mint source: its rebuilt balance is minus the supply
		}
		for asset, tok := range tokens {
			want, err := scenario.BalanceOf(ctx, n, tok, a)
			if err != nil {
				t.Fatal(err)
			}
			if got := orZero(held[asset]); got.Cmp(want) != 0 {
				t.Errorf("token %s balance of %s: rebuilt %s, balanceOf %s", tok, a, got, want)
			}
			tokenChecked++
		}
	}
	t.Logf("checked %d native and %d token balances", checked, tokenChecked)

	// ERC-721: the owner of every token id, rebuilt as the receiver of its
	// last transfer, is the node's ownerOf.
	owners := map[string]string{}
	for _, r := range recs[1:] {
		if strings.Contains(r[7], "/erc721:") {
			owners[r[7]] = r[6]
		}
	}
	if len(owners) == 0 {
		t.Fatal("no ERC-721 transfers stored")
	}
	for asset, owner := range owners {
		parts := strings.Split(asset, "/") // eip155:N / erc721:0x… / id
		id, _ := new(big.Int).SetString(parts[2], 10)
		want, err := scenario.OwnerOf(ctx, n, common.HexToAddress(strings.TrimPrefix(parts[1], "erc721:")), id)
		if err != nil {
			t.Fatal(err)
		}
		if common.HexToAddress(owner) != want {
			t.Errorf("%s: rebuilt owner %s, ownerOf %s", asset, owner, want)
		}
	}
	t.Logf("checked the owners of %d ERC-721 tokens", len(owners))
}

func orZero(b *big.Int) *big.Int {
	if b == nil {
		return new(big.Int)
	}
	return b
}
