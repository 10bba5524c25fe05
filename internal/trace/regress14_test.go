package trace

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// An output that is both a seed and reached by the trace at a service
// had the exit applied before the overlap with the seed came off: the
// thief's 30 and a clean 40 merge into S's 70-satoshi output s:0, seeded
// as well. Stopping at S, the exit took the traced 30 while the seed's 70
// went on: the output carried 100. It carries the larger of the two, and
// the exit counts only what arrived beyond the seed; going on, Remaining
// is what the exit left in the output, not the whole traced taint.
func TestRegressUTXOExitAtSeed(t *testing.T) {
	c := newUTXOChain(t)
	c.block("c1", []chain.Output{pay("thief", 30), pay("x", 40)})
	c.block("c2", []chain.Output{pay("miner", 1)}, utx("s", []Outpoint{outpt("c1", 0), outpt("c1", 1)}, pay("S", 70)))
	c.block("c3", []chain.Output{pay("miner", 1)}, utx("z", []Outpoint{outpt("s", 0)}, pay("Z", 70)))
	snap, err := NewUTXOSnapshot(c.s, chain.Bitcoin)
	if err != nil {
		t.Fatal(err)
	}
	ex := services{btc("S"): {Name: "S", Category: "exchange"}}
	for _, tc := range []struct {
		seed     int64 // the seed's amount at s:0 (0: all 70)
		stop     bool
		until    uint64
		frontier string
		stopped  string
		exits    string
		seeded   string
	}{
		// Nothing beyond the seed's 70 arrives: no exit, the seed goes on.
		{seed: 0, stop: true, frontier: "[Z=70]", stopped: "[]", exits: "[]", seeded: "[70]"},
		// 10 beyond the seed's 20 arrive and stop; the seed's 20 go on.
		{seed: 20, stop: true, frontier: "[Z=20]", stopped: "[]", exits: "[S=10,0@2/h1/stopped]", seeded: "[30]"},
		// Going on, S's output holds 30 up to block 2: 10 of them the exit's.
		{seed: 20, stop: false, until: 2, frontier: "[]", stopped: "[S=30/until]", exits: "[S=10,10@2/h1]", seeded: "[30]"},
	} {
		t.Run(fmt.Sprintf("seed=%d/stop=%v", tc.seed, tc.stop), func(t *testing.T) {
			b := Bounds{Exits: exitPolicy(ex, tc.stop)}
			if tc.until > 0 {
				b.Until, b.HasUntil = tc.until, true
			}
			seeds := []UTXOSeed{{Outpoint: outpt("c1", 0)}, {Outpoint: outpt("s", 0), Amount: tc.seed}}
			for _, m := range []Model{FIFO, Haircut, TIHO} {
				r, err := TraceUTXO(c.s, chain.Bitcoin, m, b, seeds)
				if err != nil {
					t.Fatal(err)
				}
				if got := summary(r.Frontier) + summary(r.Stopped) + exitSummary(r.Exits) + total(r.Seeded); got != tc.frontier+tc.stopped+tc.exits+tc.seeded {
					t.Errorf("%s: frontier, stopped, exits, seeded %s, want %s", m, got, tc.frontier+tc.stopped+tc.exits+tc.seeded)
				}
				checkConserved(t, r)
				fr, err := snap.FastTrace(m, b, seeds, FastOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if got := fr.Result(); !reflect.DeepEqual(r, got) {
					t.Errorf("%s: fast path: %s", m, diffResults(r, got))
				}
			}
		})
	}
}
