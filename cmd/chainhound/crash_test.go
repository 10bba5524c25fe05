package main

import (
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/store"
)

// TestCrashSafetySIGKILL kills a real ingest process with SIGKILL at random
// instants. After every kill the store must reopen and hold exactly the
// reference transfers up to its cursor (nothing lost, nothing doubled); after
// the last restart the whole export must equal an uninterrupted run's.
func TestCrashSafetySIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes; skipped with -short")
	}
	n := newNode(t, scenario.NodeConfig{})
	res, err := scenario.RunWorkload(t.Context(), n, scenario.WorkloadConfig{Txs: 1500, TxsPerBlock: 10, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	// The reference is an uninterrupted run of the same binary and
	// flags that the loop kills, so the kill times below scale with what a
	// run costs now, process start-up included: on a loaded machine an
	// in-process run is much shorter than a child's, and kills timed from
	// it landed before the child had stored anything.
	refDir := t.TempDir()
	start := time.Now()
	if out, err := exec.Command(binary, "ingest", "eth", "--rpc", n.URL(), "--data", refDir, "--workers", "2").CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted ingest: %v\n%s", err, out)
	}
	full := time.Since(start)
	ref := export(t, refDir)
	t.Logf("%d blocks, uninterrupted ingest %s", res.Blocks, full)

	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	kills, midway := 0, 0
	var last uint64
	for midway < 20 && kills < 200 {
		cmd := exec.Command(binary, "ingest", "eth", "--rpc", n.URL(), "--data", dir, "--workers", "2")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill anywhere from process start-up to a little past a full run;
		// the store open, binding and detection are kill points too.
		time.Sleep(time.Duration(rng.Int64N(int64(full)*3/2 + int64(50*time.Millisecond))))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait() // killed or finished: the store decides
		kills++
		cur, ok := checkPrefix(t, dir, ref)
		if ok && cur < res.Blocks && cur > last {
			midway++
		}
		if ok {
			if cur < last {
				t.Fatalf("cursor went back from %d to %d after kill %d", last, cur, kills)
			}
			last = cur
		}
		if ok && cur >= res.Blocks {
			// The store is complete (the run finished, or was killed
			// after its last block): start over on a new store so that the
			// remaining kills land in the middle again. A complete store
			// kept would only see runs with nothing left to ingest.
			dir = t.TempDir()
			last = 0
		}
	}
	if midway < 20 {
		t.Fatalf("only %d of %d kills interrupted an ingest half-way; want 20", midway, kills)
	}
	mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", dir)
	if got := export(t, dir); got != ref {
		t.Fatalf("export after %d kills differs from an uninterrupted ingest", kills)
	}
	t.Logf("%d kills, %d of them mid-ingest; final export identical (%d lines)", kills, midway, strings.Count(ref, "\n"))
}

// checkPrefix opens the store left by a killed process and checks that its
// transfers are exactly the reference export's up to its cursor.
func checkPrefix(t *testing.T, dir, ref string) (uint64, bool) {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatalf("store unusable after SIGKILL: %v", err)
	}
	cur, ok, err := st.Cursor(chain.Ethereum)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return 0, false
	}
	got := mustCLI(t, "export", "transfers", "--data", dir)
	var want strings.Builder
	for i, line := range strings.SplitAfter(ref, "\n") {
		if line == "" {
			continue
		}
		if i > 0 {
			f := strings.SplitN(line, ",", 3)
			if b, _ := strconv.ParseUint(f[1], 10, 64); b > cur.Height {
				break
			}
		}
		want.WriteString(line)
	}
	if got != want.String() {
		t.Fatalf("after SIGKILL at block %d the store differs from the reference prefix", cur.Height)
	}
	return cur.Height, true
}
