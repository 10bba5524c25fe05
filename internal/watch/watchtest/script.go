package watchtest

import (
	"context"
	"strings"

	"github.com/ethereum/go-ethereum/common"
)

// Script is what the watcher's live tests drive: a theft on the
// in-process node, played one block per step. Theft implements it; the
// scenario library's bybit scenario can be wrapped to take its place.
type Script interface {
	// Seeds are the case's seeds; Start is the block they are tainted from.
	Seeds() []common.Address
	Start() uint64
	// Labels are the attributions the watcher must know (exchanges,
	// mixers, bridges…).
	Labels() []Label
	// Freezable are tokens whose issuer can freeze them.
	Freezable() []common.Address
	// Steps are the theft, one block each, with the alerts each must
	// raise in its block.
	Steps() []Step
	// Background queues about txs benign transactions for the next block.
	Background(ctx context.Context, txs int) error
	// Tx is the hash of the transaction a step recorded under name.
	Tx(name string) common.Hash
	// Involved lists every address of the theft: an alert naming none of
	// them is a false positive.
	Involved() []common.Address
}

var _ Script = (*Theft)(nil)

// Seeds implements Script: the thief.
func (t *Theft) Seeds() []common.Address { return []common.Address{t.Seed()} }

// Start implements Script: the theft's block.
func (t *Theft) Start() uint64 { return t.TheftBlock }

// Freezable implements Script: the stablecoin.
func (t *Theft) Freezable() []common.Address { return []common.Address{t.USDT} }

// Tx implements Script.
func (t *Theft) Tx(name string) common.Hash { return t.Txs[name] }

// Involved implements Script.
func (t *Theft) Involved() []common.Address {
	out := []common.Address{t.N.Address(t.Victim), t.Seed(), t.N.Address(t.Mule), t.Mixer, t.Vault, t.Router}
	out = append(out, t.Deposits...)
	for i := range t.Wallets {
		out = append(out, t.WalletAddress(i))
	}
	return out
}

// Lower is an address as alerts write it.
func Lower(a common.Address) string { return strings.ToLower(a.Hex()) }
