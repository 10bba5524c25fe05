package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/watch"
	"github.com/chainhound/chainhound/internal/watch/watchtest"
)

// TestWatchFollowCLI runs chainhound watch against the in-process node
// with its alerts API on: the scripted theft's split and fan-out raise
// their alerts, which the API lists and acknowledges while the watcher
// runs; the file sink has them; a stop signal ends the watcher cleanly.
func TestWatchFollowCLI(t *testing.T) {
	ctx := context.Background()
	n := newNode(t, scenario.NodeConfig{Accounts: watchtest.Accounts, Alloc: watchtest.Alloc()})
	th, err := watchtest.NewTheft(ctx, n, 24)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var labels strings.Builder
	labels.WriteString("chain,address,label,category,confidence,source,date\n")
	for _, l := range th.Labels() {
		fmt.Fprintf(&labels, "eip155:%d,%s,%s,%s,service_data,test,2025-02-21\n", n.ChainID(), strings.ToLower(l.Address.Hex()), l.Label, l.Category)
	}
	mustCLI(t, "intel", "import", "labels", "--format", "csv", writeFile(t, dir, "labels.csv", labels.String()), "--data", dir)
	file := filepath.Join(dir, "alerts.jsonl")
	cfg := writeFile(t, dir, "watch.yaml", fmt.Sprintf(`ethereum: {rpc: %s, poll: 50ms, from: 0}
cases:
  - name: bybit-like
    seeds: ["%s"]
    start: {eth: %d}
sinks:
  - {type: file, path: %s}
`, n.URL(), strings.ToLower(th.Seed().Hex()), th.TheftBlock, file))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	code := make(chan int, 1)
	stderr := &syncBuffer{}
	go func() {
		code <- runCtx(wctx, []string{"watch", "--config", cfg, "--data", dir, "--listen", addr, "--no-auth"}, io.Discard, stderr)
	}()
	for _, s := range th.Steps()[:4] {
		if err := s.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	var list struct{ Alerts []watch.Alert }
	var fan *watch.Alert
	for start := time.Now(); fan == nil; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 60*time.Second {
			t.Fatalf("no fan-out alert: %+v\n%s", list, stderr.String())
		}
		resp, err := http.Get("http://" + addr + "/v1/alerts?min_severity=high")
		if err != nil {
			continue
		}
		json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		for i, a := range list.Alerts {
			if a.Rule == watch.RuleFanOut {
				fan = &list.Alerts[i]
			}
		}
	}
	if fan.Case != "bybit-like" || len(fan.Addresses) != 25 {
		t.Errorf("fan-out %+v", fan)
	}
	resp, err := http.Post("http://"+addr+"/v1/alerts/"+fan.ID+"/ack", "application/json", strings.NewReader(`{"note":"seen"}`))
	if err != nil {
		t.Fatal(err)
	}
	var acked watch.Alert
	json.NewDecoder(resp.Body).Decode(&acked)
	resp.Body.Close()
	if resp.StatusCode != 200 || acked.Status != watch.StatusAcknowledged {
		t.Errorf("ack: %d %+v", resp.StatusCode, acked)
	}
	cancel()
	select {
	case c := <-code:
		if c != exitOK {
			t.Errorf("watch exited %d: %s", c, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("watch did not stop")
	}
	b, _ := os.ReadFile(file)
	if !strings.Contains(string(b), fan.ID) || !strings.Contains(string(b), `"rule":"taint_movement"`) {
		t.Errorf("the file sink: %.500s", b)
	}
}
