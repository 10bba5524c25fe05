package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Sink delivers an alert somewhere. Deliver is called from one goroutine
// per sink; it must be idempotent for the same alert id as far as the
// destination allows (a crash between delivery and its record means the
// alert is delivered again, with the same id).
type Sink interface {
	Deliver(ctx context.Context, a *Alert) error
	Close() error
}

// NewSink builds the sink a configuration entry describes; stdout is
// where the stdout sink writes.
func NewSink(ctx context.Context, c *SinkConfig, stdout io.Writer) (Sink, error) {
	switch c.Type.Value {
	case "stdout":
		return &jsonlSink{w: stdout}, nil
	case "file":
		f, err := os.OpenFile(c.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("sink %s: %w", c.Name, err)
		}
		return &jsonlSink{w: f, file: f}, nil
	case "webhook":
		return newWebhook(c)
	case "nats":
		return newNATS(ctx, c)
	}
	return nil, fmt.Errorf("sink %s: unknown type %q", c.Name, c.Type.Value)
}

// jsonlSink writes one JSON object per line.
type jsonlSink struct {
	mu   sync.Mutex
	w    io.Writer
	file *os.File
}

func (s *jsonlSink) Deliver(_ context.Context, a *Alert) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(append(b, '\n')); err != nil {
		return err
	}
	if s.file != nil {
		return s.file.Sync()
	}
	return nil
}

func (s *jsonlSink) Close() error {
	if s.file != nil {
		return s.file.Close()
	}
	return nil
}

// Dispatcher delivers the queued alerts of every sink from the watch
// store: one goroutine per sink, oldest first, retrying a failed alert
// with exponential backoff until MaxAttempts, then parking it. Delivery is
// at least once: an alert leaves its queue only after its sink took it.
type Dispatcher struct {
	db    *DB
	sinks []dispatchSink
	log   *slog.Logger
	wake  []chan struct{}
	// now is the clock (tests move it).
	now func() time.Time
}

type dispatchSink struct {
	cfg  *SinkConfig
	sink Sink
}

// NewDispatcher delivers to sinks, configured by cfgs (same order).
func NewDispatcher(db *DB, cfgs []SinkConfig, sinks []Sink, log *slog.Logger) *Dispatcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{db: db, log: log, now: time.Now}
	for i := range cfgs {
		d.sinks = append(d.sinks, dispatchSink{cfg: &cfgs[i], sink: sinks[i]})
		d.wake = append(d.wake, make(chan struct{}, 1))
	}
	return d
}

// Notify wakes every sink: new alerts are queued.
func (d *Dispatcher) Notify() {
	for _, c := range d.wake {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// Run delivers until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range d.sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.runSink(ctx, &d.sinks[i], d.wake[i])
		}()
	}
	wg.Wait()
}

func (d *Dispatcher) runSink(ctx context.Context, s *dispatchSink, wake chan struct{}) {
	for {
		wait, err := d.Drain(ctx, s)
		if err != nil && ctx.Err() == nil {
			d.log.Error("watch sink", "sink", s.cfg.Name, "err", err)
			wait = time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Drain makes one pass over a sink's queue: every delivery that is due is
// attempted. It returns how long until the next one is due (an hour when
// the queue is empty: a new alert wakes the sink).
func (d *Dispatcher) Drain(ctx context.Context, s *dispatchSink) (time.Duration, error) {
	q, err := d.db.Queue(s.cfg.Name, false)
	if err != nil {
		return time.Second, err
	}
	next := time.Hour
	for i := range q {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		dl := &q[i]
		now := d.now()
		if dl.NextAt > now.UnixMilli() {
			next = min(next, time.Duration(dl.NextAt-now.UnixMilli())*time.Millisecond)
			continue
		}
		// A stop lets the attempt under way finish (within the sink's
		// timeout) and records it: cut short, the sink may have taken
		// the alert without our knowing, and the next run would send it
		// again.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(s.cfg.Timeout))
		err := s.sink.Deliver(actx, &dl.Alert)
		cancel()
		if err == nil {
			if err := d.db.delivered(dl); err != nil {
				return time.Second, err
			}
			continue
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		dl.Attempts++
		dl.LastErr = err.Error()
		back := time.Duration(s.cfg.Backoff) << min(dl.Attempts-1, 30)
		if back > time.Duration(s.cfg.MaxBackoff) || back <= 0 {
			back = time.Duration(s.cfg.MaxBackoff)
		}
		dl.NextAt = now.Add(back).UnixMilli()
		parked, err2 := d.db.failed(dl, s.cfg.MaxAttempts)
		if err2 != nil {
			return time.Second, err2
		}
		if parked {
			d.log.Error("alert parked: the sink refused it too often (chainhound watch redeliver --sink "+s.cfg.Name+")", "sink", s.cfg.Name, "alert", dl.Alert.ID, "attempts", dl.Attempts, "err", err)
		} else {
			d.log.Warn("alert delivery failed: will retry", "sink", s.cfg.Name, "alert", dl.Alert.ID, "attempt", dl.Attempts, "retry_in", back, "err", err)
			next = min(next, back)
		}
	}
	return next, nil
}

// Close closes the sinks.
func (d *Dispatcher) Close() error {
	var first error
	for _, s := range d.sinks {
		if err := s.sink.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
