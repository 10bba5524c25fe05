package watch

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
)

// slowSink takes an alert on arrival (as a webhook receiver does when the
// request reaches it) and answers after a delay; a caller that gives up
// first sees an error, though the alert was taken.
type slowSink struct {
	mu    sync.Mutex
	taken map[string]int
	delay time.Duration
	in    chan struct{}
}

func (s *slowSink) Deliver(ctx context.Context, a *Alert) error {
	s.mu.Lock()
	s.taken[a.ID]++
	s.mu.Unlock()
	select {
	case s.in <- struct{}{}:
	default:
	}
	select {
	case <-time.After(s.delay):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *slowSink) Close() error { return nil }

// TestDispatcherStopFinishesDelivery: stopping the watcher while a
// delivery is in flight lets that delivery finish (within the sink's
// timeout) and records it, so the next run does not send the alert again.
// Cancelling it instead left the alert queued after the sink had taken
// it: the restart delivered it twice.
func TestDispatcherStopFinishesDelivery(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "watch"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg, err := Parse([]byte("sinks:\n  - type: stdout\n    timeout: 5s\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := Alert{ID: "a1", Rule: RuleExit, Severity: "high", Block: 1, Status: StatusOpen}
	if _, err := db.commit(&blockCommit{chain: chain.Ethereum, cursor: Cursor{Height: 1}, alerts: []Alert{a}, sinks: cfg.Sinks}); err != nil {
		t.Fatal(err)
	}
	sink := &slowSink{taken: map[string]int{}, delay: 300 * time.Millisecond, in: make(chan struct{}, 1)}
	run := func(stopEarly bool) {
		d := NewDispatcher(db, cfg.Sinks, []Sink{sink}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { d.Run(ctx); close(done) }()
		if stopEarly {
			<-sink.in // the sink has the alert
			cancel()
			<-done
			return
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			q, _ := db.Queue("stdout", false)
			if len(q) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
	}
	run(true)  // stopped mid-delivery
	run(false) // restarted
	if n := sink.taken["a1"]; n != 1 {
		t.Errorf("the alert was delivered %d times across the restart", n)
	}
}
