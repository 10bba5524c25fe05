package btcnode

import (
	"encoding/hex"
	"testing"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// allScripts derives one script of every spendable type on net.
func allScripts(t *testing.T, net *chaincfg.Params) []*Script {
	t.Helper()
	keys := DeterministicKeys(3)
	var out []*Script
	for _, typ := range SpendableTypes() {
		var s *Script
		var err error
		switch typ {
		case P2SHMultisig, P2WSHMultisig:
			s, err = NewMultisig(net, typ, 2, keys...)
		case BareMultisig:
			s, err = NewMultisig(net, typ, 1, keys[:2]...)
		default:
			s, err = NewScript(net, typ, keys[0])
		}
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		out = append(out, s)
	}
	return out
}

func TestDeterministicKeysAreStable(t *testing.T) {
	// A regression guard: tests elsewhere may pin addresses derived from
	// these keys.
	const want0 = "022314b5a65e435bb8d81874cb467d2dc8e8668b860e47267569cdbbf0fd5b47d8"
	keys := DeterministicKeys(2)
	got := hex.EncodeToString(keys[0].PubKey().SerializeCompressed())
	if got != want0 {
		t.Errorf("key 0 public key = %s, want %s", got, want0)
	}
	if keys[0].Key.Equals(&keys[1].Key) {
		t.Error("keys 0 and 1 are equal")
	}
}

func TestScriptsMatchTheirClassAndAddress(t *testing.T) {
	wantClass := map[ScriptType]txscript.ScriptClass{
		P2PK:          txscript.PubKeyTy,
		P2PKH:         txscript.PubKeyHashTy,
		P2SHMultisig:  txscript.ScriptHashTy,
		BareMultisig:  txscript.MultiSigTy,
		P2SHP2WPKH:    txscript.ScriptHashTy,
		P2WPKH:        txscript.WitnessV0PubKeyHashTy,
		P2WSHMultisig: txscript.WitnessV0ScriptHashTy,
		P2TR:          txscript.WitnessV1TaprootTy,
	}
	for _, net := range []*chaincfg.Params{&chaincfg.RegressionNetParams, &chaincfg.SimNetParams} {
		for _, s := range allScripts(t, net) {
			if got := txscript.GetScriptClass(s.PkScript); got != wantClass[s.Type] {
				t.Errorf("%s %s: class %s, want %s", net.Name, s.Type, got, wantClass[s.Type])
			}
			if s.Address == "" {
				if s.Type != P2PK && s.Type != BareMultisig {
					t.Errorf("%s %s: no address", net.Name, s.Type)
				}
				continue
			}
			a, err := address.DecodeAddress(s.Address, net)
			if err != nil {
				t.Fatalf("%s %s: decode %s: %v", net.Name, s.Type, s.Address, err)
			}
			if !a.IsForNet(net) {
				t.Errorf("%s %s: %s is not for %s", net.Name, s.Type, s.Address, net.Name)
			}
			script, err := txscript.PayToAddrScript(a)
			if err != nil || string(script) != string(s.PkScript) {
				t.Errorf("%s %s: address %s pays to %x, want %x (%v)", net.Name, s.Type, s.Address, script, s.PkScript, err)
			}
		}
	}
}

func TestBIP86Vector(t *testing.T) {
	// BIP86, first receiving address of the test mnemonic (m/86'/0'/0'/0/0).
	internal, err := schnorr.ParsePubKey(mustHex(t, "cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := bip86Address(internal, &chaincfg.MainNetParams)
	if err != nil {
		t.Fatal(err)
	}
	if want := "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr"; a.EncodeAddress() != want {
		t.Errorf("address %s, want %s", a.EncodeAddress(), want)
	}
}

func TestNewScriptRejectsWrongShapes(t *testing.T) {
	net := &chaincfg.RegressionNetParams
	keys := DeterministicKeys(4)
	if _, err := NewScript(net, P2SHMultisig, keys[0]); err == nil {
		t.Error("NewScript accepted a multisig type")
	}
	if _, err := NewMultisig(net, P2WPKH, 1, keys[0]); err == nil {
		t.Error("NewMultisig accepted a single-key type")
	}
	if _, err := NewMultisig(net, BareMultisig, 1, keys...); err == nil {
		t.Error("NewMultisig accepted bare 1-of-4, which btcd does not relay")
	}
	if _, err := NewMultisig(net, P2SHMultisig, 3, keys[:2]...); err == nil {
		t.Error("NewMultisig accepted 3-of-2")
	}
	if _, err := NullDataOutput(make([]byte, MaxNullData+1)); err == nil {
		t.Error("NullDataOutput accepted an oversized payload")
	}
}

// TestSignedSizeWithinBound signs a spend of every type against made-up
// previous outputs: the script engine must accept each input, and the
// bound the fee is computed from must not be below the signed size.
func TestSignedSizeWithinBound(t *testing.T) {
	for _, s := range allScripts(t, &chaincfg.RegressionNetParams) {
		t.Run(s.Type.String(), func(t *testing.T) {
			var from []UTXO
			tx := wire.NewMsgTx(2)
			for i := range 3 { // several inputs, so the taproot sighash covers all
				op := wire.OutPoint{Hash: chainhash.HashH([]byte{byte(i)}), Index: uint32(i)}
				from = append(from, UTXO{OutPoint: op, Value: 100_000 * int64(i+1), Script: s})
				tx.AddTxIn(&wire.TxIn{PreviousOutPoint: op, Sequence: rbfSequence})
			}
			tx.AddTxOut(wire.NewTxOut(50_000, s.PkScript))
			bound, err := boundVSize(tx, from)
			if err != nil {
				t.Fatal(err)
			}
			if err := sign(tx, from); err != nil {
				t.Fatal(err)
			}
			if got := virtualSize(tx); got > bound {
				t.Errorf("signed vsize %d above the bound %d", got, bound)
			}
		})
	}
}

func TestBTCToSatoshis(t *testing.T) {
	for in, want := range map[string]int64{
		"50":         5_000_000_000,
		"0.00000001": 1,
		"1e-08":      1,
		"12.3456789": 1_234_567_890,
		"0":          0,
	} {
		got, err := btcToSatoshis(in)
		if err != nil || got != want {
			t.Errorf("btcToSatoshis(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"0.000000001", "x", ""} {
		if _, err := btcToSatoshis(bad); err == nil {
			t.Errorf("btcToSatoshis(%q) succeeded", bad)
		}
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
