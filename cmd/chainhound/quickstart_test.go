package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestQuickStart plays the README's quick start with real processes:
// `chainhound devnet` serves a node, `chainhound ingest eth` reads it, and
// `chainhound address` answers from the store.
func TestQuickStart(t *testing.T) {
	dev := exec.Command(binary, "devnet", "--listen", "127.0.0.1:0", "--txs", "60")
	stdout, err := dev.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		dev.Process.Signal(syscall.SIGINT)
		if err := dev.Wait(); err != nil {
			t.Errorf("devnet did not stop cleanly on SIGINT: %v", err)
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("devnet printed no URL: %v", err)
	}
	url := strings.TrimSpace(line)
	dir := t.TempDir()
	mustCLI(t, "ingest", "eth", "--rpc", url, "--data", dir)
	first := crypto.PubkeyToAddress(scenario.DeterministicKeys(1)[0].PublicKey)
	out := mustCLI(t, "address", first.Hex(), "--data", dir, "--output", "json")
	var acc struct {
		Found    bool `json:"found"`
		Balances []struct {
			Asset string `json:"asset"`
		} `json:"balances"`
	}
	if err := json.Unmarshal([]byte(out), &acc); err != nil {
		t.Fatalf("address --output json: %v\n%s", err, out)
	}
	if !acc.Found || len(acc.Balances) == 0 || acc.Balances[0].Asset != "native" {
		t.Fatalf("first prefunded account not found with a native balance: %s", out)
	}
}

// TestGracefulStop sends SIGINT or SIGTERM to a following ingest at a random
// moment: it must exit 130, and a restart must end with the same store as an
// uninterrupted ingest.
func TestGracefulStop(t *testing.T) {
	n := newNode(t, scenario.NodeConfig{})
	if _, err := scenario.RunWorkload(t.Context(), n, scenario.WorkloadConfig{Txs: 600, TxsPerBlock: 10, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	ref := t.TempDir()
	mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", ref)
	want := export(t, ref)
	for i, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGINT} {
		dir := t.TempDir()
		cmd := exec.Command(binary, "ingest", "eth", "--rpc", n.URL(), "--data", dir, "--follow", "--poll", "50ms")
		var errb strings.Builder
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The signal handler is installed before the store is opened: wait
		// for the store's files, so that a slow start under load is not
		// taken for a missing handler.
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if es, _ := os.ReadDir(dir); len(es) > 0 {
				break
			}
		}
		time.Sleep(time.Duration(100+200*i) * time.Millisecond)
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 130 {
			t.Fatalf("%v: exit %v, want 130\n%s", sig, err, errb.String())
		}
		if !strings.Contains(errb.String(), "interrupted") {
			t.Errorf("%v: no word of the interruption:\n%s", sig, errb.String())
		}
		mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", dir)
		if got := export(t, dir); got != want {
			t.Fatalf("%v: stop and restart differs from an uninterrupted ingest", sig)
		}
	}
}
