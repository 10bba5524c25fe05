package addrcheck

import (
	"fmt"
	"strings"
)

// Bitcoin Cash cashaddr (spec: bitcoincashorg/bitcoincash.org,
// spec/cashaddr.md): prefix ":" base32 payload with a 40-bit BCH checksum.
// The payload is a version byte (type in bits 3-6, hash size in bits 0-2)
// followed by the hash; this package accepts the 160-bit P2PKH and P2SH
// kinds, the only ones OFAC and explorers use.

func cashPolymod(values []byte) uint64 {
	gen := [5]uint64{0x98f2bc8e61, 0x79b76d99e2, 0xf33e5fb3c4, 0xae2eabe2a8, 0x1e4f43e470}
	c := uint64(1)
	for _, d := range values {
		c0 := byte(c >> 35)
		c = (c&0x07ffffffff)<<5 ^ uint64(d)
		for i := 0; i < 5; i++ {
			if (c0>>i)&1 == 1 {
				c ^= gen[i]
			}
		}
	}
	return c ^ 1
}

func cashPrefixValues(prefix string) []byte {
	v := make([]byte, 0, len(prefix)+1)
	for i := 0; i < len(prefix); i++ {
		v = append(v, prefix[i]&0x1f)
	}
	return append(v, 0)
}

// looksCashaddr says whether a lower-cased address is meant as cashaddr:
// it carries the prefix, or starts with q/p (the P2PKH/P2SH payload types)
// and uses only the base32 charset, which base58 addresses never do at
// length 42.
func looksCashaddr(lower, prefix string) bool {
	if strings.HasPrefix(lower, prefix+":") {
		return true
	}
	return len(lower) == 42 && (lower[0] == 'q' || lower[0] == 'p')
}

// normalizeCashaddr verifies a cashaddr and returns it lower case without
// the prefix (a colon has no place in a CAIP-10 address), with its decoded
// payload so a chain whose canonical form is base58 can re-encode it.
func normalizeCashaddr(lower, prefix string) (string, legacyPayload, error) {
	body := strings.TrimPrefix(lower, prefix+":")
	if len(body) != 42 {
		return "", legacyPayload{}, fmt.Errorf("cashaddr: %d characters after the prefix, want 42: %w", len(body), ErrLength)
	}
	values := cashPrefixValues(prefix)
	data := make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		d := strings.IndexByte(bech32Charset, body[i])
		if d < 0 {
			return "", legacyPayload{}, fmt.Errorf("cashaddr: %q at position %d: %w", body[i], i+1, ErrCharset)
		}
		data = append(data, byte(d))
	}
	if cashPolymod(append(values, data...)) != 0 {
		return "", legacyPayload{}, fmt.Errorf("cashaddr: %w", ErrChecksum)
	}
	payload, err := convertBits(data[:len(data)-8])
	if err != nil {
		return "", legacyPayload{}, err
	}
	if len(payload) != 21 || (payload[0] != 0x00 && payload[0] != 0x08) {
		return "", legacyPayload{}, fmt.Errorf("cashaddr: version byte %#x, want P2PKH (0x00) or P2SH (0x08) of a 160-bit hash: %w", payload[0], ErrPrefix)
	}
	return body, legacyPayload{version: int(payload[0] >> 3), hash: payload[1:]}, nil
}

// encodeCashaddr writes a 20-byte hash as cashaddr without the prefix;
// kind 0 is P2PKH and 1 P2SH.
func encodeCashaddr(prefix string, kind int, hash []byte) string {
	payload := append([]byte{byte(kind << 3)}, hash...)
	var data []byte
	var acc, bits uint
	for _, b := range payload {
		acc = acc<<8 | uint(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			data = append(data, byte(acc>>bits)&31)
		}
	}
	if bits > 0 {
		data = append(data, byte(acc<<(5-bits))&31)
	}
	values := append(cashPrefixValues(prefix), data...)
	mod := cashPolymod(append(values, make([]byte, 8)...))
	for i := 0; i < 8; i++ {
		data = append(data, byte(mod>>(5*(7-i)))&31)
	}
	var sb strings.Builder
	for _, d := range data {
		sb.WriteByte(bech32Charset[d])
	}
	return sb.String()
}
