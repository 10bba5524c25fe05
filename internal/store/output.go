package store

import (
	"encoding/binary"
	"fmt"

	"github.com/chainhound/chainhound/internal/chain"
)

// Unspent looks txid:vout of chain c up in the output index (committed
// blocks only): its address and value, with ok false when the index holds
// no such output or it has been spent. Ingest asks it for every coinbase
// output, to find the unspent outputs a duplicate txid replaces.
func (s *DB) Unspent(c chain.Chain, txid chain.Hash, vout uint32) (chain.Output, bool, error) {
	v, ok, err := s.get(outpointKey(pOutput, c, txid, vout))
	if err != nil || !ok || len(v) == 32 {
		return chain.Output{}, false, err
	}
	if len(v) != 16 {
		return chain.Output{}, false, fmt.Errorf("output %s:%d: %w", txid, vout, errCorrupt)
	}
	a, err := s.Address(binary.BigEndian.Uint64(v))
	if err != nil {
		return chain.Output{}, false, err
	}
	return chain.Output{Address: a, Value: int64(binary.BigEndian.Uint64(v[8:]))}, true, nil
}
