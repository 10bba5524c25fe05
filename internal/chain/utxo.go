package chain

import (
	"fmt"
	"slices"

	"github.com/holiman/uint256"
)

// UTXOTransfers derives the address-level transfers of a UTXO chain's block
// from its transactions' resolved inputs and ordered outputs, replacing
// b.Transfers. This is what the value-flow graph (and so tracing at address
// level) sees; the inputs and outputs themselves stay stored for models that
// need per-output order.
//
// The rule is first-in-first-out over satoshis. A transaction's inputs,
// in order, form one sequence of satoshis; its outputs, in order, followed by
// the fee, form another. Laying the two side by side, every overlap of input
// i and output j is one transfer from input i's address to output j's
// address (kind native; kind fee, to no address, for the fee; kind burn, to
// no address, for value paid to an output without an address). Consecutive
// overlaps between the same two addresses are merged. Amounts are exact
// integers, each input address sends exactly what it spent, and each output
// receives exactly its value: conservation holds by construction, with at
// most (inputs + outputs) transfers per transaction. A coinbase
// transaction's outputs are minted (kind coinbase, from no address).
func UTXOTransfers(b *Block) error {
	n := 0 // at most inputs + outputs + 1 (the fee) transfers a transaction
	for i := range b.Txs {
		n += len(b.Txs[i].Inputs) + len(b.Txs[i].Outputs) + 1
	}
	b.Transfers = slices.Grow(b.Transfers[:0], n)
	for i := range b.Txs {
		tx := &b.Txs[i]
		e := utxoEmitter{b: b, tx: tx}
		if tx.Coinbase {
			for _, o := range tx.Outputs {
				if !o.Address.None() {
					e.emit(KindCoinbase, Address{}, o.Address, o.Value)
				}
			}
			continue
		}
		if err := e.fifo(); err != nil {
			return fmt.Errorf("%s block %d tx %s: %w", b.Chain, b.Height, tx.Hash, err)
		}
	}
	return nil
}

type utxoEmitter struct {
	b   *Block
	tx  *Tx
	seq uint32
}

func (e *utxoEmitter) emit(k Kind, from, to Address, amount int64) {
	if amount <= 0 {
		return
	}
	ts := e.b.Transfers
	if n := len(ts); n > 0 {
		last := &ts[n-1]
		if last.TxIndex == e.tx.Index && last.Kind == k && last.From == from && last.To == to {
			last.Amount.AddUint64(&last.Amount, uint64(amount))
			return
		}
	}
	e.b.Transfers = append(ts, Transfer{
		Block: e.b.Height, TxIndex: e.tx.Index, Seq: e.seq, TxHash: e.tx.Hash,
		Kind: k, From: from, To: to, Asset: NativeAsset, Amount: *uint256.NewInt(uint64(amount)),
	})
	e.seq++
}

// sink is one place satoshis go: an output or the fee.
type sink struct {
	to    Address
	kind  Kind
	value int64
}

func (e *utxoEmitter) fifo() error {
	var in, out int64
	for _, x := range e.tx.Inputs {
		if !x.Resolved {
			return fmt.Errorf("input spending %s:%d is not resolved", x.PrevTx, x.PrevIndex)
		}
		in += x.Value
	}
	sinks := make([]sink, 0, len(e.tx.Outputs)+1)
	for _, o := range e.tx.Outputs {
		k := KindNative
		if o.Address.None() {
			k = KindBurn
		}
		sinks = append(sinks, sink{o.Address, k, o.Value})
		out += o.Value
	}
	if out > in {
		return fmt.Errorf("outputs %d exceed inputs %d", out, in)
	}
	sinks = append(sinks, sink{Address{}, KindFee, in - out})
	j, left := 0, int64(0)
	if len(sinks) > 0 {
		left = sinks[0].value
	}
	for _, x := range e.tx.Inputs {
		have := x.Value
		for have > 0 && j < len(sinks) {
			take := min(have, left)
			e.emit(sinks[j].kind, x.Address, sinks[j].to, take)
			have -= take
			if left -= take; left == 0 {
				if j++; j < len(sinks) {
					left = sinks[j].value
				}
			}
		}
	}
	return nil
}
