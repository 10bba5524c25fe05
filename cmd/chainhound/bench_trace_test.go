package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchTraceBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--seeds", "1,x"}, `"x" is not a positive count`},
		{[]string{"--seeds", "0"}, `"0" is not a positive count`},
		{[]string{"--source", "disk"}, `"disk" is not store, memory or fast`},
		{[]string{"--models", "fifo,lifo"}, `unknown taint model "lifo"`},
		{[]string{"--exponent", "0.9"}, "want a number above 1"},
		{[]string{"--transfers", "0", "--utxo-txs", "0"}, "one must be positive"},
		{[]string{"--output", "csv"}, "want table or json"},
		{[]string{"--generate-only"}, "--generate-only needs --data"},
	} {
		out, errs, code := cli(t, append([]string{"bench", "trace"}, tc.args...)...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) {
			t.Errorf("bench trace %v: exit %d (want 2), stdout %q, stderr %q (want %q)", tc.args, code, out, errs, tc.want)
		}
	}
}

func TestBenchTraceJSON(t *testing.T) {
	dir := t.TempDir()
	out := mustCLI(t, "bench", "trace", "--data", dir, "--transfers", "5000", "--utxo-txs", "2000", "--seeds", "1,10", "--single-runs", "2", "--output", "json")
	var res struct {
		Runs []struct {
			Chain, Source, Model string
			Seeds, Runs          int
			Edges                int64
			Finished             bool
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res.Runs) != 3*2*7 {
		t.Fatalf("%d rows, want 42", len(res.Runs))
	}
	for _, r := range res.Runs {
		if !r.Finished || r.Runs == 0 || r.Edges == 0 {
			t.Errorf("row %+v: want a finished trace that visited edges", r)
		}
	}
	// A second run reuses the graphs; another seed is refused.
	mustCLI(t, "bench", "trace", "--data", dir, "--transfers", "5000", "--utxo-txs", "2000", "--seeds", "1", "--single-runs", "1", "--source", "memory")
	if _, errs, code := cli(t, "bench", "trace", "--data", dir, "--transfers", "5000", "--utxo-txs", "2000", "--seed", "9"); code != 1 || !strings.Contains(errs, "use another --data directory") {
		t.Errorf("another seed in the same --data: exit %d, stderr %q", code, errs)
	}
}
