package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ledger"
	"github.com/chainhound/chainhound/internal/scenario/btcnode"
	"github.com/chainhound/chainhound/internal/store"
)

func startBTC(t *testing.T) *btcnode.Node {
	t.Helper()
	n, err := btcnode.Start(context.Background(), btcnode.Config{Network: btcnode.Regtest})
	if errors.Is(err, btcnode.ErrNoBinary) {
		t.Skipf("no btcd binary: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func btcIngestArgs(n *btcnode.Node, dir string) []string {
	return []string{"ingest", "btc", "--rpc", n.RPCURL(), "--rpc-user", n.RPCUser(), "--rpc-password", n.RPCPass(), "--network", "regtest", "--data", dir}
}

// TestBitcoinOnRegtestNode ingests a workload of every script type from a
// real btcd node. Every address's balance rebuilt from the stored transfers
// must equal what the node's unspent set holds for it (read with gettxout
// over every output ever created, see btcnode.Balances); a SIGKILL-and-restart
// cycle and a reorg on the node must leave the export equal to a fresh ingest.
func TestBitcoinOnRegtestNode(t *testing.T) {
	n := startBTC(t)
	ctx := context.Background()
	res, err := btcnode.RunWorkload(ctx, n, btcnode.WorkloadConfig{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mustCLI(t, btcIngestArgs(n, dir)...)
	checkBTCBalances(t, n, dir)

	// Starting above genesis, the node's transaction index supplies the
	// outputs earlier blocks created: from there on the store is the same.
	from := (res.FromHeight + res.ToHeight) / 2
	above := t.TempDir()
	mustCLI(t, append(btcIngestArgs(n, above), "--from", strconv.FormatInt(from, 10))...)
	if got, want := rowsFrom(t, export(t, above), from), rowsFrom(t, export(t, dir), from); got != want || len(want) == 0 {
		t.Fatalf("ingest from block %d differs from a whole ingest above it:\n%.600s\nwant\n%.600s", from, got, want)
	}

	// SIGKILL a real ingest at random points, then finish: same export.
	ref := export(t, dir)
	if !strings.Contains(ref, "bip122:") {
		t.Fatalf("export does not name the chain by CAIP-2:\n%.300s", ref)
	}
	killed := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 6; i++ {
		cmd := exec.Command(binary, btcIngestArgs(n, killed)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	mustCLI(t, btcIngestArgs(n, killed)...)
	if got := export(t, killed); got != ref {
		t.Fatal("export after SIGKILL and restart differs from an uninterrupted ingest")
	}

	// Reorg two blocks deep onto a longer branch; ingest again.
	if _, err := n.Reorg(ctx, btcnode.ReorgConfig{Depth: 2}); err != nil {
		t.Fatal(err)
	}
	_, logs, code := cli(t, btcIngestArgs(n, dir)...)
	if code != 0 {
		t.Fatalf("ingest after reorg: exit %d\n%s", code, logs)
	}
	if !strings.Contains(logs, "reorganisation") {
		t.Errorf("no reorg handled:\n%s", logs)
	}
	fresh := t.TempDir()
	mustCLI(t, btcIngestArgs(n, fresh)...)
	if got, want := export(t, dir), export(t, fresh); got != want {
		t.Fatal("export after a reorg differs from a fresh ingest")
	}
	checkBTCBalances(t, n, dir)
}

// rowsFrom keeps the export rows of blocks from height on.
func rowsFrom(t *testing.T, csv string, from int64) string {
	t.Helper()
	var out []string
	for _, r := range readCSV(t, csv) {
		if h, err := strconv.ParseInt(r[1], 10, 64); err == nil && h >= from {
			out = append(out, strings.Join(r, ","))
		}
	}
	return strings.Join(out, "\n")
}

// TestBitcoinNodeWithoutTxIndex: an ingest that starts above genesis from a
// node without a transaction index is refused before anything is stored;
// from genesis it needs none.
func TestBitcoinNodeWithoutTxIndex(t *testing.T) {
	n, err := btcnode.Start(context.Background(), btcnode.Config{Network: btcnode.Regtest, NoTxIndex: true})
	if errors.Is(err, btcnode.ErrNoBinary) {
		t.Skipf("no btcd binary: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if _, err := n.Generate(context.Background(), 5); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	_, errs, code := cli(t, append(btcIngestArgs(n, dir), "--from", "3")...)
	if code != 1 || !containsAll(errs, "ingest from block 3", "-txindex=1", "ingest from block 0") {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the refused ingest created the store (%v)", err)
	}
	mustCLI(t, btcIngestArgs(n, dir)...)
	if got := cursorOf(t, dir, chain.Bitcoin); got != 5 {
		t.Errorf("cursor %d, want 5", got)
	}
}

// checkBTCBalances compares every address the node holds unspent outputs
// for with the balance rebuilt from the store, and the grand total.
func checkBTCBalances(t *testing.T, n *btcnode.Node, dir string) {
	t.Helper()
	bal, err := n.Balances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checked := 0
	for addr, want := range bal.ByAddress() {
		acc, err := ledger.Summarize(st, chain.Address{Chain: chain.Bitcoin, Raw: addr})
		if err != nil {
			t.Fatal(err)
		}
		var got int64
		for _, b := range acc.Balances {
			if b.Asset.Kind == chain.Native {
				got = b.Balance.Int64()
			}
		}
		if got != want {
			t.Errorf("address %s: rebuilt %d sat, node %d sat", addr, got, want)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d addresses checked", checked)
	}
	t.Logf("%d address balances equal the node's unspent outputs at height %d", checked, bal.Height)
}
