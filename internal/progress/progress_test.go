package progress

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// In a pipe the reporter logs a line per interval, with rates and the
// distance to the target, and writes nothing else.
func TestPipeLogsAtInterval(t *testing.T) {
	var logs, out bytes.Buffer
	r := New(&out, slog.New(slog.NewTextHandler(&logs, nil)), "ingest eth", 20*time.Millisecond)
	r.Update(100, 200, 1, 10)
	time.Sleep(30 * time.Millisecond)
	r.Update(101, 200, 1, 10)
	r.Done()
	if out.Len() != 0 {
		t.Errorf("wrote a status line into a pipe: %q", out.String())
	}
	l := logs.String()
	if !strings.Contains(l, "ingest eth: height 101") || !strings.Contains(l, "99 to go, ETA") || !strings.Contains(l, "transfers/s") {
		t.Errorf("log line lacks height, rates or ETA: %q", l)
	}
	if n := strings.Count(l, "\n"); n != 1 {
		t.Errorf("%d log lines for one interval, want 1", n)
	}
}
