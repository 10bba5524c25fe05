package cluster

import (
	"fmt"
	"maps"
	"strings"
)

// DepositState is the deposit anchors and hot wallets the clusterer
// holds, for tests comparing an incremental clustering with a rebuild.
func (d *DB) DepositState() (anchors map[uint32]uint32, hots map[uint32][]uint32) {
	return maps.Clone(d.c.anchor), maps.Clone(d.c.hot)
}

// PendingDump lists the deferred transactions waiting, in order, with
// their spenders' evidence so far, for tests comparing an incremental
// clustering with a rebuild.
func (d *DB) PendingDump() string { return d.c.pendingDump() }

func (c *Clusterer) pendingDump() string {
	var sb strings.Builder
	for _, p := range c.queue {
		if p.done {
			continue
		}
		fmt.Fprintf(&sb, "%d/%d %x %+v anchor %d out %v scores %v ev %v left %d\n", p.Height, p.Index, p.Tx[:4], p.Print, p.Anchor, p.Out, p.Scores, p.ev, p.left)
	}
	return sb.String()
}

// MixedCount is the number of addresses marked paid by a multi-owner
// CoinJoin.
func (d *DB) MixedCount() int { return d.c.MixedCount() }
