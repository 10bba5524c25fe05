package btc

import (
	"encoding/hex"
	"fmt"
)

// ScriptType is the template an output script matches, with Bitcoin Core's
// names and rules (its Solver in script/solver.cpp). The numbers may be
// stored: never reuse or renumber one.
type ScriptType uint8

// Script types. NonStandard is zero so that an unset type claims nothing.
const (
	NonStandard         ScriptType = 0
	PubKey              ScriptType = 1  // <pubkey> OP_CHECKSIG
	PubKeyHash          ScriptType = 2  // OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG
	ScriptHash          ScriptType = 3  // OP_HASH160 <20> OP_EQUAL
	MultiSig            ScriptType = 4  // OP_m <pubkey>... OP_n OP_CHECKMULTISIG
	NullData            ScriptType = 5  // OP_RETURN followed by pushes only
	WitnessV0KeyHash    ScriptType = 6  // OP_0 <20>
	WitnessV0ScriptHash ScriptType = 7  // OP_0 <32>
	WitnessV1Taproot    ScriptType = 8  // OP_1 <32>
	WitnessUnknown      ScriptType = 9  // OP_1..OP_16 <2..40>, other than the above
	Anchor              ScriptType = 10 // OP_1 <4e73>: pay-to-anchor (Bitcoin Core 28)
)

var scriptTypeNames = [...]string{
	NonStandard:         "nonstandard",
	PubKey:              "pubkey",
	PubKeyHash:          "pubkeyhash",
	ScriptHash:          "scripthash",
	MultiSig:            "multisig",
	NullData:            "nulldata",
	WitnessV0KeyHash:    "witness_v0_keyhash",
	WitnessV0ScriptHash: "witness_v0_scripthash",
	WitnessV1Taproot:    "witness_v1_taproot",
	WitnessUnknown:      "witness_unknown",
	Anchor:              "anchor",
}

// String returns the type's name as Bitcoin Core's RPC (scriptPubKey.type)
// and bitcoin-etl write it.
func (t ScriptType) String() string {
	if int(t) < len(scriptTypeNames) {
		return scriptTypeNames[t]
	}
	return fmt.Sprintf("scripttype(%d)", uint8(t))
}

// ParseScriptType reads a type name as String writes it.
func ParseScriptType(s string) (ScriptType, error) {
	for t, name := range scriptTypeNames {
		if name == s {
			return ScriptType(t), nil
		}
	}
	return NonStandard, fmt.Errorf("unknown script type %q", s)
}

// Opcodes the classifier looks at.
const (
	op0             = 0x00
	opPushData1     = 0x4c
	opPushData2     = 0x4d
	opPushData4     = 0x4e
	op1             = 0x51
	op16            = 0x60
	opReturn        = 0x6a
	opDup           = 0x76
	opEqual         = 0x87
	opEqualVerify   = 0x88
	opHash160       = 0xa9
	opCheckSig      = 0xac
	opCheckMultiSig = 0xae
)

// ClassifyScript returns the type of an output script and the identifier
// under which the output's value is recorded on net:
//
//   - P2PKH, P2SH: Base58Check with the network's version byte;
//   - P2WPKH, P2WSH: bech32, P2TR and later witness versions (and
//     pay-to-anchor): bech32m, with the network's HRP;
//   - P2PK: the P2PKH address of the key as it appears in the script, as
//     Bitcoin Core up to 0.21 and bitcoin-etl report it (PubKeyOf gives the key);
//   - bare multisig and non-standard scripts: "nonstandard" followed by the
//     first 40 hex digits of SHA-256(script), bitcoin-etl's identifier for
//     outputs without an address (MultisigKeys gives a multisig's keys);
//   - OP_RETURN data: "" (no address).
//
// Public keys are recognised as Bitcoin Core does, by their length and
// first byte (02/03 with 33 bytes, 04/06/07 with 65), not by a curve check.
func ClassifyScript(script []byte, net Network) (ScriptType, string) {
	var buf [128]byte
	t, addr := appendClassify(buf[:0], script, net)
	return t, string(addr)
}

// appendClassify is ClassifyScript appending the identifier to dst (nothing
// for OP_RETURN data), so that a caller can choose when and how to
// allocate strings.
func appendClassify(dst, s []byte, net Network) (ScriptType, []byte) {
	p := net.Params
	switch n := len(s); {
	case n == 25 && s[0] == opDup && s[1] == opHash160 && s[2] == 20 && s[23] == opEqualVerify && s[24] == opCheckSig:
		return PubKeyHash, appendBase58Check(dst, p.PubKeyHashAddrID, s[3:23])
	case n == 23 && s[0] == opHash160 && s[1] == 20 && s[22] == opEqual:
		return ScriptHash, appendBase58Check(dst, p.ScriptHashAddrID, s[2:22])
	case n >= 4 && n <= 42 && (s[0] == op0 || s[0] >= op1 && s[0] <= op16) && int(s[1])+2 == n:
		return appendWitness(dst, s, net)
	case n >= 1 && s[0] == opReturn && pushOnly(s[1:]):
		return NullData, dst
	}
	if key := PubKeyOf(s); key != nil {
		h := hash160(key)
		return PubKey, appendBase58Check(dst, p.PubKeyHashAddrID, h[:])
	}
	if _, _, ok := parseMultisig(s, nil); ok {
		return MultiSig, appendScriptID(dst, s)
	}
	return NonStandard, appendScriptID(dst, s)
}

// appendWitness classifies a witness program (version opcode, one direct
// push of 2 to 40 bytes). Version 0 programs of other lengths than 20 and
// 32 cannot be spent; Core calls them non-standard.
func appendWitness(dst, s []byte, net Network) (ScriptType, []byte) {
	version := s[0]
	if version != op0 {
		version -= op1 - 1
	}
	prog := s[2:]
	hrp := net.Params.Bech32HRPSegwit
	switch {
	case version == 0 && len(prog) == 20:
		return WitnessV0KeyHash, appendSegwit(dst, hrp, 0, prog)
	case version == 0 && len(prog) == 32:
		return WitnessV0ScriptHash, appendSegwit(dst, hrp, 0, prog)
	case version == 0:
		return NonStandard, appendScriptID(dst, s)
	case version == 1 && len(prog) == 32:
		return WitnessV1Taproot, appendSegwit(dst, hrp, 1, prog)
	case version == 1 && len(prog) == 2 && prog[0] == 0x4e && prog[1] == 0x73:
		return Anchor, appendSegwit(dst, hrp, 1, prog)
	}
	return WitnessUnknown, appendSegwit(dst, hrp, version, prog)
}

// PubKeyOf returns the public key of a pay-to-pubkey script, as a slice of
// script, or nil if script is not one. Compressed (33 bytes, 02/03),
// uncompressed (65 bytes, 04) and hybrid (65 bytes, 06/07) keys count, as
// in Bitcoin Core; whether the key is a point on the curve is not checked.
func PubKeyOf(script []byte) []byte {
	n := len(script)
	if (n != 35 && n != 67) || int(script[0]) != n-2 || script[n-1] != opCheckSig {
		return nil
	}
	key := script[1 : n-1]
	if !validPubKeySize(key) {
		return nil
	}
	return key
}

// validPubKeySize is Bitcoin Core's CPubKey::ValidSize: the length the
// first byte announces.
func validPubKeySize(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	switch k[0] {
	case 2, 3:
		return len(k) == 33
	case 4, 6, 7:
		return len(k) == 65
	}
	return false
}

// MultisigKeys returns the number of signatures a bare multisig script
// requires and its public keys (slices of script), with ok false if script
// is not bare multisig.
func MultisigKeys(script []byte) (required int, keys [][]byte, ok bool) {
	required, keys, ok = parseMultisig(script, make([][]byte, 0, 3))
	if !ok {
		return 0, nil, false
	}
	return required, keys, true
}

// parseMultisig follows Bitcoin Core's MatchMultisig: OP_m, keys of valid
// size, OP_n with n equal to the number of keys and n >= m, then
// OP_CHECKMULTISIG as the last byte. keys may be nil to only count.
func parseMultisig(s []byte, keys [][]byte) (int, [][]byte, bool) {
	if len(s) < 3 || s[len(s)-1] != opCheckMultiSig || s[0] < op1 || s[0] > op16 {
		return 0, nil, false
	}
	required := int(s[0] - op1 + 1)
	nkeys := 0
	pos := 1
	for {
		op, data, next, ok := scriptOp(s, pos)
		if !ok {
			return 0, nil, false
		}
		if !validPubKeySize(data) {
			if op < op1 || op > op16 || int(op-op1+1) != nkeys || nkeys < required || next != len(s)-1 {
				return 0, nil, false
			}
			return required, keys, true
		}
		if keys != nil {
			keys = append(keys, data)
		}
		nkeys++
		pos = next
	}
}

// pushOnly reports whether s parses into push operations only (opcodes up
// to OP_16), Bitcoin Core's IsPushOnly.
func pushOnly(s []byte) bool {
	for pos := 0; pos < len(s); {
		op, _, next, ok := scriptOp(s, pos)
		if !ok || op > op16 {
			return false
		}
		pos = next
	}
	return true
}

// scriptOp reads the operation at s[pos:]: its opcode, pushed data and the
// position after it; ok is false when a push runs past the end.
func scriptOp(s []byte, pos int) (op byte, data []byte, next int, ok bool) {
	if pos >= len(s) {
		return 0, nil, pos, false
	}
	op = s[pos]
	pos++
	var n int
	switch {
	case op < opPushData1:
		n = int(op)
	case op == opPushData1:
		if len(s)-pos < 1 {
			return op, nil, pos, false
		}
		n = int(s[pos])
		pos++
	case op == opPushData2:
		if len(s)-pos < 2 {
			return op, nil, pos, false
		}
		n = int(s[pos]) | int(s[pos+1])<<8
		pos += 2
	case op == opPushData4:
		if len(s)-pos < 4 {
			return op, nil, pos, false
		}
		n64 := uint64(le32(s[pos:]))
		pos += 4
		if n64 > uint64(len(s)-pos) {
			return op, nil, pos, false
		}
		n = int(n64)
	default:
		return op, nil, pos, true
	}
	if n > len(s)-pos {
		return op, nil, pos, false
	}
	return op, s[pos : pos+n], pos + n, true
}

// PubKeyAddress returns the identifier under which pay-to-pubkey outputs
// to the hex-encoded public key s are recorded on net: the P2PKH address of
// the key as written (see ClassifyScript). ok is false when s is not a
// public key of a size Bitcoin Core accepts.
func PubKeyAddress(s string, net Network) (string, bool) {
	key, err := hex.DecodeString(s)
	if err != nil || !validPubKeySize(key) {
		return "", false
	}
	h := hash160(key)
	return string(appendBase58Check(nil, net.Params.PubKeyHashAddrID, h[:])), true
}
