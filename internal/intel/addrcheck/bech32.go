package addrcheck

import (
	"fmt"
	"strings"
)

// bech32Charset maps 5-bit values to characters (BIP-173); cashaddr uses
// the same one.
const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// Checksum constants: the polymod of a valid string equals one of these.
const (
	bech32Const  = 1          // BIP-173
	bech32mConst = 0x2bc830a3 // BIP-350
)

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// decodeBech32 splits s into its human-readable part and 5-bit data
// (without the 6-character checksum) and returns which checksum constant
// matched. It applies BIP-173's rules: at most 90 characters, one case.
func decodeBech32(s string) (hrp string, data []byte, constant uint32, err error) {
	if len(s) > 90 {
		return "", nil, 0, fmt.Errorf("bech32: %d characters, at most 90: %w", len(s), ErrLength)
	}
	if s != strings.ToLower(s) && s != strings.ToUpper(s) {
		return "", nil, 0, fmt.Errorf("bech32: mixed case: %w", ErrCharset)
	}
	s = strings.ToLower(s)
	sep := strings.LastIndexByte(s, '1')
	if sep < 1 || sep+7 > len(s) {
		return "", nil, 0, fmt.Errorf("bech32: no separator or data part too short: %w", ErrLength)
	}
	hrp = s[:sep]
	values := make([]byte, 0, 2*len(hrp)+1+len(s)-sep-1)
	for i := 0; i < len(hrp); i++ {
		if hrp[i] < 33 || hrp[i] > 126 {
			return "", nil, 0, fmt.Errorf("bech32: prefix character %q: %w", hrp[i], ErrCharset)
		}
		values = append(values, hrp[i]>>5)
	}
	values = append(values, 0)
	for i := 0; i < len(hrp); i++ {
		values = append(values, hrp[i]&31)
	}
	for i := sep + 1; i < len(s); i++ {
		d := strings.IndexByte(bech32Charset, s[i])
		if d < 0 {
			return "", nil, 0, fmt.Errorf("bech32: %q at position %d: %w", s[i], i+1, ErrCharset)
		}
		data = append(data, byte(d))
	}
	values = append(values, data...)
	switch c := bech32Polymod(values); c {
	case bech32Const, bech32mConst:
		return hrp, data[:len(data)-6], c, nil
	}
	return "", nil, 0, fmt.Errorf("bech32: %w", ErrChecksum)
}

// convertBits regroups 5-bit values into bytes, refusing the padding
// BIP-173 forbids (more than 4 bits, or non-zero bits).
func convertBits(data []byte) ([]byte, error) {
	var acc, bits uint
	var out []byte
	for _, v := range data {
		acc = acc<<5 | uint(v)
		bits += 5
		for bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	if bits >= 5 || acc&(1<<bits-1) != 0 {
		return nil, fmt.Errorf("bech32: invalid padding: %w", ErrLength)
	}
	return out, nil
}

// checkSegwit applies BIP-173/350 to a segwit address: the expected
// prefix, witness version 0-16, bech32 for version 0 and bech32m above,
// a 2-40 byte program, and 20 or 32 bytes for version 0.
func checkSegwit(a, wantHRP string) error {
	hrp, data, constant, err := decodeBech32(a)
	if err != nil {
		return err
	}
	if hrp != wantHRP {
		return fmt.Errorf("segwit prefix %q, want %q: %w", hrp, wantHRP, ErrPrefix)
	}
	if len(data) < 1 || data[0] > 16 {
		return fmt.Errorf("segwit: missing or invalid witness version: %w", ErrPrefix)
	}
	version := data[0]
	if (version == 0) != (constant == bech32Const) {
		return fmt.Errorf("segwit v%d with the wrong checksum variant (v0 is bech32, v1+ bech32m): %w", version, ErrChecksum)
	}
	prog, err := convertBits(data[1:])
	if err != nil {
		return err
	}
	if len(prog) < 2 || len(prog) > 40 {
		return fmt.Errorf("segwit program of %d bytes, want 2-40: %w", len(prog), ErrLength)
	}
	if version == 0 && len(prog) != 20 && len(prog) != 32 {
		return fmt.Errorf("segwit v0 program of %d bytes, want 20 or 32: %w", len(prog), ErrLength)
	}
	return nil
}

// checkBech32Hash accepts a Cosmos SDK account: bech32 (not bech32m) of a
// 20-byte hash under the chain's prefix.
func checkBech32Hash(a, wantHRP string) error {
	hrp, data, constant, err := decodeBech32(a)
	if err != nil {
		return err
	}
	if hrp != wantHRP {
		return fmt.Errorf("bech32 prefix %q, want %q: %w", hrp, wantHRP, ErrPrefix)
	}
	if constant != bech32Const {
		return fmt.Errorf("bech32m where bech32 is expected: %w", ErrChecksum)
	}
	b, err := convertBits(data)
	if err != nil {
		return err
	}
	if len(b) != 20 {
		return fmt.Errorf("%d bytes, want 20: %w", len(b), ErrLength)
	}
	return nil
}
