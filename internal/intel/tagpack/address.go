package tagpack

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"
)

// Address checks. Each returns the address in its chain's canonical form
// (see intel.Subject) or says why it is not an address of that chain.

// normalizeEVM checks a 0x-prefixed 20-byte hex address and lower-cases it.
// A mixed-case address carries an EIP-55 checksum; when that does not
// match, the address is still returned with a warning, because the bytes
// are well formed and only their capitalisation (perhaps a typo) is in doubt.
func normalizeEVM(a string) (canonical, warning string, err error) {
	if len(a) != 42 || (a[:2] != "0x" && a[:2] != "0X") {
		return "", "", fmt.Errorf("%q is not a 0x-prefixed 40-digit hex address", a)
	}
	if _, err := hex.DecodeString(a[2:]); err != nil {
		return "", "", fmt.Errorf("%q is not hex", a)
	}
	lower := "0x" + strings.ToLower(a[2:])
	body := a[2:]
	if body != strings.ToLower(body) && body != strings.ToUpper(body) {
		if want := eip55(lower); want != "0x"+body {
			warning = fmt.Sprintf("address %s fails its EIP-55 checksum (expected %s)", a, want)
		}
	}
	return lower, warning, nil
}

// eip55 capitalises a lower-case 0x address as EIP-55 prescribes: a hex
// letter is upper case when the matching nibble of the Keccak-256 of the
// lower-case hex text is 8 or more.
func eip55(lower string) string {
	h := crypto.Keccak256([]byte(lower[2:]))
	out := []byte(lower)
	for i := 2; i < len(out); i++ {
		nib := h[(i-2)/2]
		if i%2 == 0 {
			nib >>= 4
		}
		if out[i] >= 'a' && nib&0xf >= 8 {
			out[i] -= 'a' - 'A'
		}
	}
	return string(out)
}

const btcAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// decodeBase58Check decodes base58 text and verifies its 4-byte double
// SHA-256 checksum, returning the payload (version bytes included).
func decodeBase58Check(s string) ([]byte, error) {
	raw, err := decodeBase58(s)
	if err != nil {
		return nil, err
	}
	if len(raw) < 5 {
		return nil, errors.New("too short for base58check")
	}
	body, sum := raw[:len(raw)-4], raw[len(raw)-4:]
	h1 := sha256.Sum256(body)
	h2 := sha256.Sum256(h1[:])
	if !bytes.Equal(h2[:4], sum) {
		return nil, errors.New("bad base58check checksum")
	}
	return body, nil
}

func decodeBase58(s string) ([]byte, error) {
	if s == "" || len(s) > 128 {
		return nil, errors.New("bad base58 length")
	}
	out := make([]byte, 0, len(s))
	for _, c := range []byte(s) {
		carry := strings.IndexByte(btcAlphabet, c)
		if carry < 0 {
			return nil, fmt.Errorf("%q is not a base58 character", c)
		}
		for i := range out {
			carry += int(out[i]) * 58
			out[i] = byte(carry)
			carry >>= 8
		}
		for ; carry > 0; carry >>= 8 {
			out = append(out, byte(carry))
		}
	}
	for _, c := range []byte(s) {
		if c != '1' {
			break
		}
		out = append(out, 0)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// checkBase58Versions accepts base58check text whose payload is one of the
// version prefixes followed by a 20-byte hash.
func checkBase58Versions(a string, versions [][]byte) error {
	body, err := decodeBase58Check(a)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if len(body) == len(v)+20 && bytes.HasPrefix(body, v) {
			return nil
		}
	}
	return fmt.Errorf("version %x is not one of this chain's address versions", body[:min(2, len(body))])
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range 5 {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// decodeBech32 checks bech32 or bech32m text (BIP-173, BIP-350) and
// returns its human-readable part, 5-bit data (checksum removed) and
// whether the checksum was bech32m.
func decodeBech32(s string) (hrp string, data []byte, isM bool, err error) {
	if len(s) > 90 || (s != strings.ToLower(s) && s != strings.ToUpper(s)) {
		return "", nil, false, errors.New("mixed case or too long for bech32")
	}
	s = strings.ToLower(s)
	sep := strings.LastIndexByte(s, '1')
	if sep < 1 || sep+7 > len(s) {
		return "", nil, false, errors.New("no bech32 separator")
	}
	hrp = s[:sep]
	vals := make([]byte, 0, len(hrp)*2+1+len(s)-sep-1)
	for _, c := range []byte(hrp) {
		vals = append(vals, c>>5)
	}
	vals = append(vals, 0)
	for _, c := range []byte(hrp) {
		vals = append(vals, c&31)
	}
	for _, c := range []byte(s[sep+1:]) {
		d := strings.IndexByte(bech32Charset, c)
		if d < 0 {
			return "", nil, false, fmt.Errorf("%q is not a bech32 character", c)
		}
		data = append(data, byte(d))
	}
	switch bech32Polymod(append(vals, data...)) {
	case 1:
	case 0x2bc830a3:
		isM = true
	default:
		return "", nil, false, errors.New("bad bech32 checksum")
	}
	return hrp, data[:len(data)-6], isM, nil
}

// checkSegwit checks a BIP-173/350 segwit address for hrp: witness
// version 0 uses bech32 with a 20- or 32-byte program, later versions
// bech32m with 2 to 40 bytes.
func checkSegwit(a, hrp string) error {
	got, data, isM, err := decodeBech32(a)
	if err != nil {
		return err
	}
	if got != hrp || len(data) < 1 {
		return fmt.Errorf("prefix %q is not %q", got, hrp)
	}
	ver, prog := data[0], data[1:]
	n := len(prog) * 5 / 8
	if len(prog)*5%8 >= 5 || ver > 16 || n < 2 || n > 40 {
		return errors.New("bad witness program")
	}
	if ver == 0 && (isM || (n != 20 && n != 32)) {
		return errors.New("bad version 0 witness program")
	}
	if ver > 0 && !isM {
		return errors.New("witness version 1+ must use bech32m")
	}
	return nil
}

// checkCashAddr checks a Bitcoin Cash address in cashaddr form, with or
// without its prefix, and returns it lower-case without the prefix (a
// colon has no place in a CAIP-10 address).
func checkCashAddr(a, prefix string) (string, error) {
	lower := strings.ToLower(a)
	if a != lower && a != strings.ToUpper(a) {
		return "", errors.New("mixed case cashaddr")
	}
	payload := strings.TrimPrefix(lower, prefix+":")
	vals := make([]byte, 0, len(prefix)+1+len(payload))
	for _, c := range []byte(prefix) {
		vals = append(vals, c&31)
	}
	vals = append(vals, 0)
	for _, c := range []byte(payload) {
		d := strings.IndexByte(bech32Charset, c)
		if d < 0 {
			return "", fmt.Errorf("%q is not a cashaddr character", c)
		}
		vals = append(vals, byte(d))
	}
	if len(payload) < 42 || cashPolymod(vals) != 0 {
		return "", errors.New("bad cashaddr checksum")
	}
	return payload, nil
}

func cashPolymod(v []byte) uint64 {
	gen := [5]uint64{0x98f2bc8e61, 0x79b76d99e2, 0xf33e5fb3c4, 0xae2eabe2a8, 0x1e4f43e470}
	c := uint64(1)
	for _, d := range v {
		c0 := byte(c >> 35)
		c = ((c & 0x07ffffffff) << 5) ^ uint64(d)
		for i := range 5 {
			if (c0>>i)&1 == 1 {
				c ^= gen[i]
			}
		}
	}
	return c ^ 1
}
