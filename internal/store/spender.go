package store

import (
	"encoding/binary"
	"fmt"

	"github.com/chainhound/chainhound/internal/chain"
)

// Spend is what the output index knows of one UTXO output: who it pays,
// how much, and, once spent, which input of which transaction spent it.
type Spend struct {
	Address chain.Address
	Value   int64 // satoshis
	Spent   bool
	Height  uint64 // the spending transaction's block, when Spent
	TxIndex uint32 // the spending transaction's position in its block
	Input   uint32 // the spending input's position in that transaction
}

// Spender looks txid:vout of chain c up in the output index (committed
// blocks only), spent or not; ok is false when the index holds no such
// output. A forward tracer asks it where a tainted output went: one read
// answers both "how much" and "spent by whom", since the P record keeps
// the spender beside the value.
func (s *DB) Spender(c chain.Chain, txid chain.Hash, vout uint32) (Spend, bool, error) {
	v, ok, err := s.get(outpointKey(pOutput, c, txid, vout))
	if err != nil || !ok {
		return Spend{}, false, err
	}
	if len(v) != 16 && len(v) != 32 {
		return Spend{}, false, fmt.Errorf("output %s:%d: %w", txid, vout, errCorrupt)
	}
	a, err := s.Address(binary.BigEndian.Uint64(v))
	if err != nil {
		return Spend{}, false, err
	}
	sp := Spend{Address: a, Value: int64(binary.BigEndian.Uint64(v[8:]))}
	if len(v) == 32 {
		sp.Spent = true
		sp.Height = binary.BigEndian.Uint64(v[16:])
		sp.TxIndex = binary.BigEndian.Uint32(v[24:])
		sp.Input = binary.BigEndian.Uint32(v[28:])
	}
	return sp, true, nil
}
