package watch_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/watch"
	"github.com/chainhound/chainhound/internal/watch/watchtest"
)

// BenchmarkWatchLatency measures the time from a block being sealed at
// the node (Commit returns) to its alert arriving at a webhook, with
// 100 benign background transactions in every block. Each iteration seals one block carrying one tainted deposit at an
// exchange, which raises one exit alert. The watcher polls the node's
// head every 50 ms (part of the latency). Reported: p50, p95 and max in
// milliseconds.
func BenchmarkWatchLatency(b *testing.B) {
	ctx := context.Background()
	n, err := scenario.NewNode(scenario.NodeConfig{Accounts: watchtest.Accounts, Alloc: watchtest.Alloc()})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	th, err := watchtest.NewTheft(ctx, n, 24)
	if err != nil {
		b.Fatal(err)
	}
	// The theft and the split, so that the thief's payments are tainted.
	for _, s := range th.Steps()[:2] {
		if err := s.Run(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := n.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	rcv := newReceiver(b, "s3cret")
	dir := b.TempDir()
	ix, policy := theftIndex(th, n)
	cfg := theftConfig(b, th, rcv.srv.URL+"/hook", "", "")
	l := &live{t: b, node: n, dir: dir, cfg: cfg, ix: ix, policy: policy, log: testLogger(b)}
	l.start()
	defer l.stop()
	l.waitCursor(n.Head().Number.Uint64())
	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		if err := th.Background(ctx, 100); err != nil {
			b.Fatal(err)
		}
		to := th.Deposits[i%len(th.Deposits)]
		h, err := n.Send(ctx, th.Thief, &to, watchtest.Milli(10), nil, 21_000)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := n.Commit(); err != nil {
			b.Fatal(err)
		}
		sealed := time.Now()
		id := ""
		for id == "" {
			alerts, _ := l.db.Alerts(watch.Filter{Rule: watch.RuleExit})
			for _, a := range alerts {
				if a.Tx == lowerHash(h.Hex()) {
					id = a.ID
				}
			}
			if id == "" {
				time.Sleep(time.Millisecond)
			}
		}
		for {
			_, at, _ := rcv.snapshot()
			if t, ok := at[id]; ok {
				lat = append(lat, t.Sub(sealed))
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(pct(lat, 50)), "p50-ms")
	b.ReportMetric(ms(pct(lat, 95)), "p95-ms")
	b.ReportMetric(ms(pct(lat, 100)), "max-ms")
}

func lowerHash(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'F' {
			b[i] = c + 32
		}
	}
	return string(b)
}
