package heist_test

import (
	"context"
	"fmt"

	"github.com/chainhound/chainhound/internal/scenario/heist"
)

// A watcher follows the bybit heist block by block: each Step seals one
// block on the scenario's node (JSON-RPC at Node().URL()) and reports the
// thief's fan-out and exits in it, which the watcher's alerts can be
// checked against.
func Example() {
	ctx := context.Background()
	p, err := heist.New(ctx, heist.Config{Scenario: "bybit", Seed: 1, NoBenign: true})
	if err != nil {
		panic(err)
	}
	defer p.Close()
	for !p.Done() {
		r, err := p.Step(ctx)
		if err != nil {
			panic(err)
		}
		fanOut := 0
		for _, m := range r.Movements {
			if m.Step == "fan-out" {
				fanOut++
			}
		}
		if fanOut > 0 || len(r.Exits) > 0 {
			fmt.Printf("%s: %d fan-out transfers, %d exits\n", r.Note, fanOut, len(r.Exits))
		}
	}
	fmt.Println("stolen from", p.Truth().SafeTx.Safe != "", "seeds", len(p.Truth().Seeds))
	// Output:
	// the split over 50 wallets: 50 fan-out transfers, 0 exits
	// laundering, round 1: mixer, router, exchange deposits, OTC: 0 fan-out transfers, 42 exits
	// laundering, round 2: mixer, router, exchange deposits, OTC: 0 fan-out transfers, 40 exits
	// laundering, round 3: mixer, router, exchange deposits, OTC: 0 fan-out transfers, 34 exits
	// the swap proceeds bridged to Bitcoin: 0 fan-out transfers, 6 exits
	// stolen from true seeds 3
}
