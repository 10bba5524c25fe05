package btcnode

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
)

// ScriptType is a kind of output script the harness can pay to, and except
// for NullData, sign for.
type ScriptType int

// Script types, in the order they entered Bitcoin.
const (
	P2PK          ScriptType = iota + 1 // <pubkey> OP_CHECKSIG, no address of its own
	P2PKH                               // base58 1.../m.../n... address
	P2SHMultisig                        // m-of-n multisig behind a P2SH address
	BareMultisig                        // m-of-n OP_CHECKMULTISIG in the output itself
	P2SHP2WPKH                          // nested segwit: P2WPKH program behind P2SH
	P2WPKH                              // segwit v0 key hash, bech32
	P2WSHMultisig                       // segwit v0 script hash of an m-of-n witness script
	P2TR                                // segwit v1, BIP86 key-path-only output key, bech32m
	NullData                            // OP_RETURN <data>: carries data, holds no coins
)

// SpendableTypes lists the script types the harness can sign for, in
// ScriptType order. A function, so no caller can change it for everyone.
func SpendableTypes() []ScriptType {
	return []ScriptType{P2PK, P2PKH, P2SHMultisig, BareMultisig, P2SHP2WPKH, P2WPKH, P2WSHMultisig, P2TR}
}

var scriptTypeNames = map[ScriptType]string{
	P2PK:          "p2pk",
	P2PKH:         "p2pkh",
	P2SHMultisig:  "p2sh-multisig",
	BareMultisig:  "bare-multisig",
	P2SHP2WPKH:    "p2sh-p2wpkh",
	P2WPKH:        "p2wpkh",
	P2WSHMultisig: "p2wsh-multisig",
	P2TR:          "p2tr",
	NullData:      "nulldata",
}

func (t ScriptType) String() string {
	if s, ok := scriptTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("ScriptType(%d)", int(t))
}

// Script is an output script together with what spending it takes. Scripts
// made by NewScript and NewMultisig hold their private keys, so the harness
// can sign for them.
type Script struct {
	Type ScriptType
	// PkScript is the scriptPubKey outputs paying to this script carry.
	PkScript []byte
	// Address is the standard encoding of PkScript on the script's
	// network; empty for P2PK, BareMultisig and NullData, which have none.
	// (btcd's RPC shows P2PK outputs under the P2PKH address of the key and
	// bare multisig under the P2PKH addresses of all keys; Balances reports
	// what the node says.)
	Address string
	// Required is the number of signatures a spend needs.
	Required int
	// PubKeys are the compressed public keys, in script order. For P2TR it
	// is the internal key; the output key is PkScript[2:].
	PubKeys [][]byte
	// RedeemScript is the script a P2SH output commits to: the multisig
	// script for P2SHMultisig, the P2WPKH program for P2SHP2WPKH.
	RedeemScript []byte
	// WitnessScript is the multisig script a P2WSHMultisig output commits to.
	WitnessScript []byte

	keys []*btcec.PrivateKey // signers, in PubKeys order
}

// DeterministicKeys derives count private keys from fixed seeds, so every
// run and every node uses the same keys. Key i is the scalar
// sha256("chainhound/btcnode/key/<i>") mod n.
func DeterministicKeys(count int) []*btcec.PrivateKey {
	keys := make([]*btcec.PrivateKey, count)
	for i := range keys {
		seed := sha256.Sum256(fmt.Appendf(nil, "chainhound/btcnode/key/%d", i))
		keys[i], _ = btcec.PrivKeyFromBytes(seed[:])
	}
	return keys
}

// NewScript builds a single-key script of type t (P2PK, P2PKH, P2SHP2WPKH,
// P2WPKH or P2TR) for key on net. Keys are always used compressed.
func NewScript(net *chaincfg.Params, t ScriptType, key *btcec.PrivateKey) (*Script, error) {
	if key == nil {
		return nil, fmt.Errorf("btcnode: %s script: nil key", t)
	}
	pub := key.PubKey().SerializeCompressed()
	s := &Script{Type: t, Required: 1, PubKeys: [][]byte{pub}, keys: []*btcec.PrivateKey{key}}
	var err error
	switch t {
	case P2PK:
		s.PkScript, err = txscript.NewScriptBuilder().AddData(pub).AddOp(txscript.OP_CHECKSIG).Script()
	case P2PKH:
		err = s.setAddress(address.NewAddressPubKeyHash(address.Hash160(pub), net))
	case P2WPKH:
		err = s.setAddress(address.NewAddressWitnessPubKeyHash(address.Hash160(pub), net))
	case P2SHP2WPKH:
		s.RedeemScript, err = txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(address.Hash160(pub)).Script()
		if err == nil {
			err = s.setAddress(address.NewAddressScriptHash(s.RedeemScript, net))
		}
	case P2TR:
		err = s.setAddress(bip86Address(key.PubKey(), net))
	default:
		return nil, fmt.Errorf("btcnode: NewScript: %s is not a single-key type", t)
	}
	if err != nil {
		return nil, fmt.Errorf("btcnode: %s script: %w", t, err)
	}
	return s, nil
}

// NewMultisig builds an m-of-len(keys) multisig script of type t
// (P2SHMultisig, P2WSHMultisig or BareMultisig) on net. Bare multisig is
// limited to three keys, as btcd relays no larger ones; the others to the
// 15 of standard P2SH and P2WSH multisig.
func NewMultisig(net *chaincfg.Params, t ScriptType, m int, keys ...*btcec.PrivateKey) (*Script, error) {
	maxKeys := 15
	if t == BareMultisig {
		maxKeys = 3
	}
	if len(keys) == 0 || len(keys) > maxKeys || m < 1 || m > len(keys) {
		return nil, fmt.Errorf("btcnode: %s: %d-of-%d is not supported (1 <= m <= n <= %d)", t, m, len(keys), maxKeys)
	}
	s := &Script{Type: t, Required: m, keys: keys}
	pubs := make([]*address.AddressPubKey, len(keys))
	for i, k := range keys {
		if k == nil {
			return nil, fmt.Errorf("btcnode: %s: key %d is nil", t, i)
		}
		pub := k.PubKey().SerializeCompressed()
		s.PubKeys = append(s.PubKeys, pub)
		var err error
		if pubs[i], err = address.NewAddressPubKey(pub, net); err != nil {
			return nil, fmt.Errorf("btcnode: %s: key %d: %w", t, i, err)
		}
	}
	multisig, err := txscript.MultiSigScript(pubs, m)
	if err != nil {
		return nil, fmt.Errorf("btcnode: %s: %w", t, err)
	}
	switch t {
	case BareMultisig:
		s.PkScript = multisig
	case P2SHMultisig:
		s.RedeemScript = multisig
		err = s.setAddress(address.NewAddressScriptHash(multisig, net))
	case P2WSHMultisig:
		s.WitnessScript = multisig
		h := sha256.Sum256(multisig)
		err = s.setAddress(address.NewAddressWitnessScriptHash(h[:], net))
	default:
		return nil, fmt.Errorf("btcnode: NewMultisig: %s is not a multisig type", t)
	}
	if err != nil {
		return nil, fmt.Errorf("btcnode: %s: %w", t, err)
	}
	return s, nil
}

// bip86Address is the P2TR address of internal key pub under BIP86: the
// output key commits to pub and no script tree, so only the key path can
// spend it.
func bip86Address(pub *btcec.PublicKey, net *chaincfg.Params) (*address.AddressTaproot, error) {
	outKey := txscript.ComputeTaprootKeyNoScript(pub)
	return address.NewAddressTaproot(schnorr.SerializePubKey(outKey), net)
}

func (s *Script) setAddress(a address.Address, err error) error {
	if err != nil {
		return err
	}
	s.Address = a.EncodeAddress()
	s.PkScript, err = txscript.PayToAddrScript(a)
	return err
}

// Output is one output of a transaction: Value satoshis locked by PkScript.
type Output struct {
	PkScript []byte
	Value    int64
}

// Pay returns an output paying value satoshis to s.
func (s *Script) Pay(value int64) Output { return Output{PkScript: s.PkScript, Value: value} }

// MaxNullData is the largest OP_RETURN payload btcd relays.
const MaxNullData = 80

// NullDataOutput returns a zero-value OP_RETURN output carrying data.
// btcd relays at most one such output per transaction.
func NullDataOutput(data []byte) (Output, error) {
	if len(data) > MaxNullData {
		return Output{}, fmt.Errorf("btcnode: OP_RETURN payload of %d bytes exceeds %d", len(data), MaxNullData)
	}
	script, err := txscript.NullDataScript(data)
	if err != nil {
		return Output{}, fmt.Errorf("btcnode: OP_RETURN script: %w", err)
	}
	return Output{PkScript: script}, nil
}

// errNoKeys reports a script the harness cannot sign for.
var errNoKeys = errors.New("script holds no private keys")
