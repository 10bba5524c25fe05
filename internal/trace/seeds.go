package trace

import (
	"fmt"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
)

// AddressSource is what AddressOutputs reads; *store.DB implements it.
type AddressSource interface {
	AccountSource
	IO(c chain.Chain, h uint64, txi uint32) (chain.Tx, bool, error)
}

// AddressOutput is an output paying an address, and its block.
type AddressOutput struct {
	Outpoint
	Block uint64
}

// AddressOutputs lists the outputs paying address a on UTXO chain c from
// block from on, in chain order: what seeding a Bitcoin address means.
func AddressOutputs(src AddressSource, c chain.Chain, a chain.Address, from uint64) ([]AddressOutput, error) {
	var out []AddressOutput
	seen := map[chain.Hash]bool{}
	for r, err := range src.Transfers(store.Query{Chain: c, Address: &a, FromBlock: from}) {
		if err != nil {
			return nil, err
		}
		if r.To != a || seen[r.TxHash] {
			continue
		}
		seen[r.TxHash] = true
		tx, ok, err := src.IO(c, r.Block, r.TxIndex)
		if err != nil || !ok {
			if err == nil {
				err = fmt.Errorf("transaction %s has no stored outputs: %w", c.FormatHash(r.TxHash), store.ErrCorrupt)
			}
			return nil, err
		}
		for j, o := range tx.Outputs {
			if o.Address == a && o.Value > 0 {
				out = append(out, AddressOutput{Outpoint{Tx: r.TxHash, Vout: uint32(j)}, r.Block})
			}
		}
	}
	return out, nil
}
