package cluster

import "maps"

// DepositState is the deposit anchors and hot wallets the clusterer
// holds, for tests comparing an incremental clustering with a rebuild.
func (d *DB) DepositState() (anchors map[uint32]uint32, hots map[uint32][]uint32) {
	return maps.Clone(d.c.anchor), maps.Clone(d.c.hot)
}
