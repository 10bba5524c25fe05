package btcnode

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// ChangeDust is the smallest change output Send creates; less is left to
// the fee. It is above btcd's dust threshold at its default relay fee for
// every script type (at most 786 satoshis, for bare 3-key multisig).
const ChangeDust = 1000

// rbfSequence signals BIP125 replaceability on every input, so that Reorg
// can replace a transaction with a conflicting one in the mempool.
const rbfSequence = wire.MaxTxInSequenceNum - 2

// Signature sizes assumed for the fee: the largest DER-encoded ECDSA
// signature plus its sighash byte, and a BIP340 signature with the default
// sighash. Fees from an upper bound rather than the signed size keep them,
// and hence every output value, the same on every run: the actual DER
// length depends on the sighash, which depends on txids that vary between
// runs (btcd's miner picks a random extra nonce).
const (
	maxECDSASigLen = 73
	schnorrSigLen  = 64
)

// errClosed reports a call on a closed node.
var errClosed = errors.New("btcnode: node is closed")

// Send builds a version 2 transaction spending from, in order, paying to,
// in order, plus a last output to change (when not nil) of what exceeds
// the fee; without change, or when the change would be below ChangeDust,
// the excess is the fee. The fee is the node's fee rate times an upper
// bound of the virtual size. Every input is signed (SIGHASH_ALL, or
// SIGHASH_DEFAULT for taproot), checked with btcd's script engine under
// the standard flags, and the transaction is broadcast with
// sendrawtransaction. Inputs signal BIP125 replaceability, with no lock
// time. The returned transaction is the one the node accepted.
func (n *Node) Send(ctx context.Context, from []UTXO, to []Output, change *Script) (*wire.MsgTx, error) {
	tx, fee, err := n.build(from, to, change, 0)
	if err != nil {
		return nil, err
	}
	if err := n.broadcast(ctx, tx, fee, from); err != nil {
		return nil, err
	}
	return tx, nil
}

// Pay sends to the outputs from coins chosen in UTXOs order (confirmed
// before unconfirmed, oldest first), as few as cover the outputs and the
// fee, with change to change, or to MiningScript when change is nil.
func (n *Node) Pay(ctx context.Context, to []Output, change *Script) (*wire.MsgTx, error) {
	if change == nil {
		change = n.mining
	}
	coins, err := n.UTXOs(ctx)
	if err != nil {
		return nil, err
	}
	var have int64
	for i, c := range coins {
		have += c.Value
		from := coins[:i+1]
		tx, fee, err := n.build(from, to, change, 0)
		if errors.Is(err, errInsufficient) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := n.broadcast(ctx, tx, fee, from); err != nil {
			return nil, err
		}
		return tx, nil
	}
	return nil, fmt.Errorf("btcnode: pay: the harness holds %d sat in %d spendable outputs: %w", have, len(coins), errInsufficient)
}

// errInsufficient reports inputs that do not cover the outputs and fee.
var errInsufficient = errors.New("inputs do not cover outputs and fee")

// build assembles and signs the transaction Send broadcasts and returns it
// with its fee: the fee rate times the bounded virtual size, plus extraFee.
func (n *Node) build(from []UTXO, to []Output, change *Script, extraFee int64) (*wire.MsgTx, int64, error) {
	if len(from) == 0 {
		return nil, 0, errors.New("btcnode: send: no inputs")
	}
	tx := wire.NewMsgTx(2)
	var in, out int64
	seen := map[wire.OutPoint]bool{}
	for i, u := range from {
		if u.Script == nil || len(u.Script.keys) == 0 {
			return nil, 0, fmt.Errorf("btcnode: send: input %d (%s): %w", i, u.OutPoint, errNoKeys)
		}
		if seen[u.OutPoint] {
			return nil, 0, fmt.Errorf("btcnode: send: input %d: %s spent twice", i, u.OutPoint)
		}
		seen[u.OutPoint] = true
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: u.OutPoint, Sequence: rbfSequence})
		in += u.Value
	}
	for i, o := range to {
		if o.Value < 0 {
			return nil, 0, fmt.Errorf("btcnode: send: output %d: negative value %d", i, o.Value)
		}
		tx.AddTxOut(wire.NewTxOut(o.Value, o.PkScript))
		out += o.Value
	}
	if change != nil {
		tx.AddTxOut(wire.NewTxOut(0, change.PkScript))
	}
	vsize, err := boundVSize(tx, from)
	if err != nil {
		return nil, 0, err
	}
	fee := n.feeRate*vsize + extraFee
	if change != nil {
		if rest := in - out - fee; rest >= ChangeDust {
			tx.TxOut[len(tx.TxOut)-1].Value = rest
		} else {
			tx.TxOut = tx.TxOut[:len(tx.TxOut)-1]
			if vsize, err = boundVSize(tx, from); err != nil {
				return nil, 0, err
			}
		}
	}
	var sumOut int64
	for _, o := range tx.TxOut {
		sumOut += o.Value
	}
	if need := n.feeRate*vsize + extraFee; in-sumOut < need {
		return nil, 0, fmt.Errorf("btcnode: send: inputs of %d sat, outputs of %d sat, fee of %d sat: %w", in, out, need, errInsufficient)
	}
	if err := sign(tx, from); err != nil {
		return nil, 0, err
	}
	return tx, in - sumOut, nil
}

// broadcast sends tx to the node and records it as the harness's.
func (n *Node) broadcast(ctx context.Context, tx *wire.MsgTx, fee int64, coins []UTXO) error {
	txid := tx.TxHash()
	var got string
	if err := n.rpc.call(ctx, "sendrawtransaction", &got, hex.EncodeToString(serialize(tx))); err != nil {
		return fmt.Errorf("btcnode: tx %s: %w", txid, err)
	}
	if got != txid.String() {
		return fmt.Errorf("btcnode: sendrawtransaction returned txid %s, want %s", got, txid)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sentSeq++
	n.sent[txid] = &sentTx{tx: tx, fee: fee, coins: coins, seq: n.sentSeq}
	return nil
}

// boundVSize is the virtual size of tx once signed, assuming the largest
// signatures.
func boundVSize(tx *wire.MsgTx, from []UTXO) (int64, error) {
	dummy := tx.Copy()
	for i, u := range from {
		sigs := make([][]byte, u.Script.Required)
		for k := range sigs {
			if u.Script.Type == P2TR {
				sigs[k] = make([]byte, schnorrSigLen)
			} else {
				sigs[k] = make([]byte, maxECDSASigLen)
			}
		}
		var err error
		dummy.TxIn[i].SignatureScript, dummy.TxIn[i].Witness, err = u.Script.unlock(sigs)
		if err != nil {
			return 0, fmt.Errorf("btcnode: send: input %d: %w", i, err)
		}
	}
	return virtualSize(dummy), nil
}

// virtualSize is BIP141's vsize: weight / 4, rounded up.
func virtualSize(tx *wire.MsgTx) int64 {
	weight := int64(tx.SerializeSizeStripped()*3 + tx.SerializeSize())
	return (weight + 3) / 4
}

// sign fills every input's signature script and witness, then runs btcd's
// script engine over each, so a signing bug fails here with the input
// named rather than as a terse rejection by the node.
func sign(tx *wire.MsgTx, from []UTXO) error {
	prevOuts := make(map[wire.OutPoint]*wire.TxOut, len(from))
	for _, u := range from {
		prevOuts[u.OutPoint] = wire.NewTxOut(u.Value, u.Script.PkScript)
	}
	fetcher := txscript.NewMultiPrevOutFetcher(prevOuts)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, u := range from {
		sigs, err := u.Script.signatures(tx, i, u.Value, hashes)
		if err != nil {
			return fmt.Errorf("btcnode: sign input %d (%s %s): %w", i, u.Script.Type, u.OutPoint, err)
		}
		if tx.TxIn[i].SignatureScript, tx.TxIn[i].Witness, err = u.Script.unlock(sigs); err != nil {
			return fmt.Errorf("btcnode: sign input %d (%s %s): %w", i, u.Script.Type, u.OutPoint, err)
		}
	}
	for i, u := range from {
		vm, err := txscript.NewEngine(u.Script.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, u.Value, fetcher)
		if err == nil {
			err = vm.Execute()
		}
		if err != nil {
			return fmt.Errorf("btcnode: verify input %d (%s %s): %w", i, u.Script.Type, u.OutPoint, err)
		}
	}
	return nil
}

// signatures signs input idx of tx for s with the first Required keys, in
// script order as OP_CHECKMULTISIG demands.
func (s *Script) signatures(tx *wire.MsgTx, idx int, value int64, hashes *txscript.TxSigHashes) ([][]byte, error) {
	sigs := make([][]byte, s.Required)
	for k := range sigs {
		key := s.keys[k]
		var err error
		switch s.Type {
		case P2PK, P2PKH, BareMultisig:
			sigs[k], err = txscript.RawTxInSignature(tx, idx, s.PkScript, txscript.SigHashAll, key)
		case P2SHMultisig:
			sigs[k], err = txscript.RawTxInSignature(tx, idx, s.RedeemScript, txscript.SigHashAll, key)
		case P2WPKH:
			// BIP143 turns the P2WPKH program into the P2PKH script code.
			sigs[k], err = txscript.RawTxInWitnessSignature(tx, hashes, idx, value, s.PkScript, txscript.SigHashAll, key)
		case P2SHP2WPKH:
			sigs[k], err = txscript.RawTxInWitnessSignature(tx, hashes, idx, value, s.RedeemScript, txscript.SigHashAll, key)
		case P2WSHMultisig:
			sigs[k], err = txscript.RawTxInWitnessSignature(tx, hashes, idx, value, s.WitnessScript, txscript.SigHashAll, key)
		case P2TR:
			// BIP86 key path: the key is tweaked with an empty script root.
			sigs[k], err = txscript.RawTxInTaprootSignature(tx, hashes, idx, value, s.PkScript, []byte{}, txscript.SigHashDefault, key)
		default:
			return nil, fmt.Errorf("cannot sign for %s", s.Type)
		}
		if err != nil {
			return nil, err
		}
	}
	return sigs, nil
}

// unlock assembles the signature script and witness spending s from sigs.
func (s *Script) unlock(sigs [][]byte) ([]byte, wire.TxWitness, error) {
	if len(sigs) != s.Required {
		return nil, nil, fmt.Errorf("%s needs %d signatures, got %d", s.Type, s.Required, len(sigs))
	}
	switch s.Type {
	case P2PK:
		script, err := txscript.NewScriptBuilder().AddData(sigs[0]).Script()
		return script, nil, err
	case P2PKH:
		script, err := txscript.NewScriptBuilder().AddData(sigs[0]).AddData(s.PubKeys[0]).Script()
		return script, nil, err
	case BareMultisig, P2SHMultisig:
		// OP_0 feeds the extra element OP_CHECKMULTISIG pops (BIP147
		// requires it empty).
		b := txscript.NewScriptBuilder().AddOp(txscript.OP_0)
		for _, sig := range sigs {
			b.AddData(sig)
		}
		if s.Type == P2SHMultisig {
			b.AddData(s.RedeemScript)
		}
		script, err := b.Script()
		return script, nil, err
	case P2WPKH:
		return nil, wire.TxWitness{sigs[0], s.PubKeys[0]}, nil
	case P2SHP2WPKH:
		script, err := txscript.NewScriptBuilder().AddData(s.RedeemScript).Script()
		return script, wire.TxWitness{sigs[0], s.PubKeys[0]}, err
	case P2WSHMultisig:
		w := wire.TxWitness{nil}
		w = append(w, sigs...)
		return nil, append(w, s.WitnessScript), nil
	case P2TR:
		return nil, wire.TxWitness{sigs[0]}, nil
	}
	return nil, nil, fmt.Errorf("cannot spend %s", s.Type)
}
