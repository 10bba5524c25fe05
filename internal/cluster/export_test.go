package cluster

import (
	"encoding/binary"
	"fmt"
	"maps"
	"strings"

	"github.com/cockroachdb/pebble/v2"
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

// SetMaxReorgDepth sets the deepest reorg followed (and so how long the
// waiting state's records are kept) and returns a function restoring it.
func SetMaxReorgDepth(n uint64) func() {
	old := maxReorgDepth
	maxReorgDepth = n
	return func() { maxReorgDepth = old }
}

// WaitRecords reports the height below which the waiting state's records
// are pruned, and the lowest block holding one ('f' or 'e'; ok false
// when none does).
func (d *DB) WaitRecords() (pruned, lowest uint64, ok bool, err error) {
	for _, p := range []byte{pDefer, pSpent} {
		it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: []byte{p, byte(d.chain)}, UpperBound: []byte{p, byte(d.chain) + 1}})
		if err != nil {
			return 0, 0, false, err
		}
		if it.First() {
			h := binary.BigEndian.Uint64(it.Key()[2:])
			if !ok || h < lowest {
				lowest, ok = h, true
			}
		}
		if err := it.Close(); err != nil {
			return 0, 0, false, err
		}
	}
	return d.pruned, lowest, ok, nil
}
