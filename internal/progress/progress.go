// Package progress reports the advance of long jobs: a live status line with
// rates and ETA on a terminal, a plain log line now and then in a pipe.
package progress

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Reporter receives the advance of a job.
type Reporter interface {
	// Update says the job is at height, target is where it ends (0 if
	// open-ended), and adds blocks and items done since the last call.
	Update(height, target uint64, blocks, items int)
	// Done ends the report.
	Done()
}

// New returns a status-line reporter when w is a terminal, else one that logs
// through log every interval.
func New(w io.Writer, log *slog.Logger, what string, interval time.Duration) Reporter {
	return NewItems(w, log, what, "transfers", interval)
}

// NewItems is New for a job whose items are not transfers: items names
// them in the rate ("transactions/s").
func NewItems(w io.Writer, log *slog.Logger, what, items string, interval time.Duration) Reporter {
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		return &line{w: w, what: what, counter: counter{start: time.Now(), unit: items}, every: 250 * time.Millisecond}
	}
	return &logged{log: log, what: what, counter: counter{start: time.Now(), unit: items}, every: interval}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// counter accumulates totals and computes rates.
type counter struct {
	mu             sync.Mutex
	start, last    time.Time
	blocks, items  int64
	height, target uint64
	startHeight    uint64
	started        bool
	unit           string // what the items are
}

func (c *counter) add(height, target uint64, blocks, items int) {
	if !c.started {
		c.startHeight, c.started = height, true
	}
	c.height, c.target = height, target
	c.blocks += int64(blocks)
	c.items += int64(items)
}

func (c *counter) summary(what string) string {
	el := time.Since(c.start).Seconds()
	if el <= 0 {
		el = 1e-9
	}
	bps, ips := float64(c.blocks)/el, float64(c.items)/el
	s := fmt.Sprintf("%s: height %d, %.1f blocks/s, %.0f %s/s", what, c.height, bps, ips, c.unit)
	if c.target > c.height && bps > 0 {
		eta := time.Duration(float64(c.target-c.height) / bps * float64(time.Second))
		s += fmt.Sprintf(", %d to go, ETA %s", c.target-c.height, eta.Round(time.Second))
	}
	return s
}

type line struct {
	counter
	w     io.Writer
	what  string
	every time.Duration
}

func (l *line) Update(height, target uint64, blocks, items int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.add(height, target, blocks, items)
	if time.Since(l.last) >= l.every {
		l.last = time.Now()
		fmt.Fprintf(l.w, "\r\033[K%s", l.summary(l.what))
	}
}

func (l *line) Done() {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "\r\033[K%s\n", l.summary(l.what))
}

type logged struct {
	counter
	log   *slog.Logger
	what  string
	every time.Duration
}

func (l *logged) Update(height, target uint64, blocks, items int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.add(height, target, blocks, items)
	if l.last.IsZero() {
		l.last = time.Now()
	}
	if time.Since(l.last) >= l.every {
		l.last = time.Now()
		l.log.Info(l.summary(l.what))
	}
}

func (l *logged) Done() {}

// Discard is a Reporter that reports nothing.
type Discard struct{}

// Update implements Reporter.
func (Discard) Update(uint64, uint64, int, int) {}

// Done implements Reporter.
func (Discard) Done() {}
