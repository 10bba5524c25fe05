package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/watch"
)

// watchOnce runs chainhound watch --once over exitCase's store with a
// case seeded at the thief, delivering to a file; it returns the alerts
// as `watch alerts --output json` lists them.
func watchOnce(t *testing.T, dir string) []watch.Alert {
	t.Helper()
	file := filepath.Join(dir, "alerts.jsonl")
	cfg := writeFile(t, dir, "watch.yaml", `cases:
  - name: heist
    seeds: ["eth:`+a20(1)+`"]
    start: {eth: 1}
sinks:
  - type: file
    path: `+file+`
`)
	mustCLI(t, "watch", "--config", cfg, "--once", "--data", dir)
	var alerts []watch.Alert
	if err := json.Unmarshal([]byte(mustCLI(t, "watch", "alerts", "--output", "json", "--data", dir)), &alerts); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != len(alerts) {
		t.Errorf("the file sink holds %d alerts, the store %d", n, len(alerts))
	}
	return alerts
}

// TestWatchOnceCLI: the watcher over a stored theft raises the exit at
// the exchange (block 2, 60 of the thief's taint via A), marks it through
// ack and resolve, and a second run raises nothing new.
func TestWatchOnceCLI(t *testing.T) {
	dir := exitCase(t, "native")
	alerts := watchOnce(t, dir)
	var exit *watch.Alert
	for i, a := range alerts {
		if a.Rule == watch.RuleExit && a.Block == 2 {
			exit = &alerts[i]
		}
	}
	if exit == nil || exit.Category != "exchange" || exit.Case != "heist" || exit.Amounts[0].Amount != "60" || exit.Addresses[0] != a20(0xe) {
		t.Fatalf("no exit alert at the exchange in block 2: %+v", alerts)
	}
	if out := mustCLI(t, "watch", "ack", exit.ID, "--note", "called the exchange", "--data", dir); !strings.Contains(out, "acknowledged") {
		t.Errorf("ack: %s", out)
	}
	var acked []watch.Alert
	json.Unmarshal([]byte(mustCLI(t, "watch", "alerts", "--status", "acknowledged", "--output", "json", "--data", dir)), &acked)
	if len(acked) != 1 || acked[0].ID != exit.ID || acked[0].Note != "called the exchange" {
		t.Errorf("acknowledged: %+v", acked)
	}
	var grouped []watch.Alert
	json.Unmarshal([]byte(mustCLI(t, "watch", "alerts", "--group", exit.Group, "--output", "json", "--data", dir)), &grouped)
	for _, a := range grouped {
		if a.Group != exit.Group || a.Rule != watch.RuleExit {
			t.Errorf("group %s lists %+v", exit.Group, a)
		}
	}
	if len(grouped) == 0 || len(grouped) == len(alerts) {
		t.Errorf("group %s lists %d of %d alerts", exit.Group, len(grouped), len(alerts))
	}
	mustCLI(t, "watch", "resolve", exit.ID, "--data", dir)
	if _, _, code := cli(t, "watch", "ack", "00000000000000000000000000000000", "--data", dir); code != exitError {
		t.Errorf("ack of an unknown id: exit %d", code)
	}
	if _, _, code := cli(t, "watch", "alerts", "--status", "closed", "--data", dir); code != exitUsage {
		t.Errorf("--status closed: exit %d, want %d", code, exitUsage)
	}
	again := watchOnce(t, dir)
	if len(again) != len(alerts) {
		t.Errorf("a second run changed the alerts: %d, then %d", len(alerts), len(again))
	}
}

// TestWatchBadConfigCLI: an invalid rule file is refused with its line,
// before anything is written.
func TestWatchBadConfigCLI(t *testing.T) {
	dir := exitCase(t, "native")
	cfg := writeFile(t, dir, "watch.yaml", "cases:\n  - name: heist\n    seeds: [\"eth:0x12\"]\n")
	_, errs, code := cli(t, "watch", "--config", cfg, "--once", "--data", dir)
	if code != exitError || !strings.Contains(errs, "line 3") || !strings.Contains(errs, "0x12") {
		t.Errorf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(watchDir(dir)); err == nil {
		t.Errorf("a refused configuration created the watch store")
	}
}
