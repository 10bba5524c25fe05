package watch_test

import (
	"context"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/watch"
	"github.com/chainhound/chainhound/internal/watch/watchtest"
)

// TestLiveTheft plays a Bybit-like theft block by block on the in-process
// node, with benign traffic in every block, against a watcher following
// the node's head. Every exit, the fan-out, the swap and the router
// deposit must raise their alert in the block that carries them (the
// watcher's cursor reaching a block means its alerts are committed). The
// watcher is stopped after the swap, a block is mined while it is down,
// and it is started again: the alerts of that block are raised on
// restart, and the webhook receiver and the NATS stream get every alert
// exactly once. Benign traffic must raise no alert.
func TestLiveTheft(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	ctx := context.Background()
	n, err := scenario.NewNode(scenario.NodeConfig{Accounts: watchtest.Accounts, Alloc: watchtest.Alloc()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	theft, err := watchtest.NewTheft(ctx, n, 24)
	if err != nil {
		t.Fatal(err)
	}
	var th watchtest.Script = theft // the scenario library's bybit scenario can stand here
	rcv := newReceiver(t, "s3cret")
	natsURL := natsServer(t)
	dir := t.TempDir()
	ix, policy := theftIndex(th, n)
	l := &live{t: t, node: n, dir: dir, cfg: theftConfig(t, th, rcv.srv.URL+"/hook", natsURL, filepath.Join(dir, "alerts.jsonl")), ix: ix, policy: policy, log: testLogger(t)}
	l.start()

	committed := map[uint64]time.Time{}
	steps := th.Steps()
	restartAfter := len(steps) / 2 // stop the watcher after this step; the next block is sealed while it is down
	down, downBlock := false, uint64(0)
	for i, s := range steps {
		if err := th.Background(ctx, 6); err != nil {
			t.Fatal(err)
		}
		if err := s.Run(ctx); err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if _, err := n.Commit(); err != nil {
			t.Fatal(err)
		}
		h := n.Head().Number.Uint64()
		committed[h] = time.Now()
		if down {
			downBlock = h
			l.start()
			down = false
		}
		l.waitCursor(h)
		checkExpect(t, l.db, th, s.Name, h, s.Expect)
		if i == restartAfter {
			l.stop()
			down = true
		}
	}
	// Quiet blocks of benign traffic only.
	for range 3 {
		if err := th.Background(ctx, 8); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	l.waitCursor(n.Head().Number.Uint64())
	alerts, err := l.db.Alerts(watch.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	// Every alert reaches the webhook once, signed, with its id as the key.
	var seen map[string]int
	var at map[string]time.Time
	var bad []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		seen, at, bad = rcv.snapshot()
		if len(seen) >= len(alerts) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(bad) > 0 {
		t.Errorf("webhook receiver: %v", bad)
	}
	for _, a := range alerts {
		if seen[a.ID] != 1 {
			t.Errorf("alert %s (%s, block %d) reached the webhook %d times", a.ID, a.Rule, a.Block, seen[a.ID])
		}
	}
	if len(seen) != len(alerts) {
		t.Errorf("webhook got %d distinct alerts, the store holds %d", len(seen), len(alerts))
	}
	if got := natsCount(t, natsURL); got != len(alerts) {
		t.Errorf("NATS stream holds %d alerts, the store %d", got, len(alerts))
	}
	// False positives: alerts naming no address of the theft.
	theftAddrs := map[string]bool{}
	for _, a := range th.Involved() {
		theftAddrs[watchtest.Lower(a)] = true
	}
	fp := 0
	for _, a := range alerts {
		if !slices.ContainsFunc(a.Addresses, func(s string) bool { return theftAddrs[s] }) {
			fp++
			t.Errorf("false positive: %s %s", a.Rule, a.Explanation)
		}
	}
	// Latency from the block's commit at the node to the webhook.
	var lat []time.Duration
	for _, a := range alerts {
		if c, ok := committed[a.Block]; ok && !at[a.ID].IsZero() && a.Block != downBlock {
			lat = append(lat, at[a.ID].Sub(c))
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	byRule := map[string]int{}
	for _, a := range alerts {
		byRule[a.Rule]++
	}
	t.Logf("%d alerts %v, %d false positives; block-to-webhook latency over %d alerts: p50 %v, max %v",
		len(alerts), byRule, fp, len(lat), pct(lat, 50), pct(lat, 100))
	l.stop()
}

func pct(xs []time.Duration, p int) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	i := (len(xs) - 1) * p / 100
	return xs[i]
}

// checkExpect finds each expected alert among those of block h.
func checkExpect(t *testing.T, db *watch.DB, th watchtest.Script, step string, h uint64, want []watchtest.Expect) {
	t.Helper()
	alerts, err := db.Alerts(watch.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range want {
		tx := ""
		if e.Tx != "" {
			tx = strings.ToLower(th.Tx(e.Tx).Hex())
		}
		ok := slices.ContainsFunc(alerts, func(a watch.Alert) bool {
			return a.Rule == e.Rule && a.Block == h && (e.Category == "" || a.Category == e.Category) &&
				(tx == "" || a.Tx == tx) && slices.Contains(a.Addresses, e.Address)
		})
		if !ok {
			var got []string
			for _, a := range alerts {
				if a.Block == h {
					got = append(got, a.Rule+"/"+a.Category+": "+a.Explanation)
				}
			}
			t.Errorf("%s (block %d): no %s alert %+v; the block raised:\n  %s", step, h, e.Rule, e, strings.Join(got, "\n  "))
		}
	}
}
