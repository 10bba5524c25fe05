package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/scenario"
)

// binary is the chainhound executable built once for tests that must kill a
// real process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chainhound-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "chainhound")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic("build chainhound: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs chainhound in-process and returns stdout, stderr and exit code.
func cli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

// mustCLI runs chainhound and fails the test on a non-zero exit.
func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := cli(t, args...)
	if code != 0 {
		t.Fatalf("chainhound %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

func newNode(t *testing.T, cfg scenario.NodeConfig) *scenario.Node {
	t.Helper()
	n, err := scenario.NewNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func workload(t *testing.T, n *scenario.Node, txs int, seed int64) *scenario.WorkloadResult {
	t.Helper()
	res, err := scenario.RunWorkload(context.Background(), n, scenario.WorkloadConfig{Txs: txs, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// export returns the full CSV export of a store.
func export(t *testing.T, dir string) string {
	t.Helper()
	return mustCLI(t, "export", "transfers", "--data", dir)
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
