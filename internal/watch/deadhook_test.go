package watch_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/watch"
	"github.com/chainhound/chainhound/internal/watch/watchtest"
)

// TestLiveDeadWebhook: a webhook that hangs past its timeout on every
// request does not hold the watcher up (each block is evaluated while the
// sink is failing, and the file sink gets every alert); its alerts are
// retried max_attempts times, then parked, none lost; redelivered once
// the endpoint answers, each arrives exactly once.
func TestLiveDeadWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	ctx := context.Background()
	n, err := scenario.NewNode(scenario.NodeConfig{Accounts: watchtest.Accounts, Alloc: watchtest.Alloc()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	th, err := watchtest.NewTheft(ctx, n, 24)
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, "s3cret")
	rcv.hang = 5 * time.Second
	dir := t.TempDir()
	file := filepath.Join(dir, "alerts.jsonl")
	ix, policy := theftIndex(th, n)
	cfg := theftConfig(t, th, rcv.srv.URL+"/hook", "", file)
	cfg.Sinks[0].Timeout = watch.Duration(100 * time.Millisecond)
	cfg.Sinks[0].MaxAttempts = 3
	l := &live{t: t, node: n, dir: dir, cfg: cfg, ix: ix, policy: policy, log: testLogger(t)}
	l.start()
	defer l.stop()
	for _, s := range th.Steps() {
		if err := th.Background(ctx, 4); err != nil {
			t.Fatal(err)
		}
		if err := s.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Commit(); err != nil {
			t.Fatal(err)
		}
		h := n.Head().Number.Uint64()
		l.waitCursor(h)
		checkExpect(t, l.db, th, s.Name, h, s.Expect)
	}
	alerts, err := l.db.Alerts(watch.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every alert parked", func() bool {
		q, _ := l.db.Queue("webhook", false)
		p, _ := l.db.Queue("webhook", true)
		return len(q) == 0 && len(p) == len(alerts)
	})
	parked, _ := l.db.Queue("webhook", true)
	for _, d := range parked {
		if d.Attempts != 3 || !strings.Contains(d.LastErr, "deadline") && !strings.Contains(d.LastErr, "Timeout") {
			t.Errorf("parked %s after %d attempts: %s", d.Alert.ID, d.Attempts, d.LastErr)
			break
		}
	}
	waitFor(t, "the file sink has every alert", func() bool {
		q, _ := l.db.Queue("file", false)
		return len(q) == 0
	})
	// The endpoint recovers: redelivered, each alert arrives once.
	rcv.mu.Lock()
	rcv.hang = 0
	rcv.mu.Unlock()
	if n, err := l.db.Redeliver("webhook"); err != nil || n != len(alerts) {
		t.Fatalf("redeliver: %d, %v", n, err)
	}
	l.disp.Notify()
	waitFor(t, "the webhook has every alert", func() bool {
		seen, _, _ := rcv.snapshot()
		return len(seen) == len(alerts)
	})
	seen, _, bad := rcv.snapshot()
	for _, a := range alerts {
		if seen[a.ID] != 1 {
			t.Errorf("alert %s arrived %d times", a.ID, seen[a.ID])
		}
	}
	if len(bad) > 0 {
		t.Error(bad)
	}
	t.Logf("%d alerts parked after 3 attempts each, then redelivered once each", len(alerts))
}

// waitFor polls cond; the deadline guards against a hung test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
