package main

import (
	"github.com/chainhound/chainhound/internal/trace"
)

func (t *tracer) runBackward(m trace.Model, b trace.Bounds) (*trace.Result, []trace.ReportSeed, error) {
	return nil, nil, usagef("--direction backward is not built yet")
}
