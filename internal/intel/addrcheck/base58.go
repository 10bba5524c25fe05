package addrcheck

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
)

// Base58 alphabets: Bitcoin's, and the XRP Ledger's permutation of it.
const (
	btcAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	xrpAlphabet = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"
)

// maxBase58 bounds the input decodeBase58 accepts; the longest address
// checked here is Monero's integrated form (106 characters), and the
// quadratic decoder should not be handed megabytes.
const maxBase58 = 128

// decodeBase58 decodes s, each leading "zero" digit giving one zero byte.
func decodeBase58(s, alphabet string) ([]byte, error) {
	if len(s) > maxBase58 {
		return nil, fmt.Errorf("%d characters, more than any address: %w", len(s), ErrLength)
	}
	var out []byte // big-endian magnitude, built digit by digit
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(alphabet, s[i])
		if d < 0 {
			return nil, fmt.Errorf("%q at position %d is not base58: %w", s[i], i+1, ErrCharset)
		}
		carry := d
		for j := len(out) - 1; j >= 0; j-- {
			carry += int(out[j]) * 58
			out[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			out = append([]byte{byte(carry)}, out...)
			carry >>= 8
		}
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == alphabet[0] {
		zeros++
	}
	return append(make([]byte, zeros), out...), nil
}

// decodeBase58Check decodes s and verifies its trailing 4-byte checksum
// (the first bytes of double SHA-256 of the rest), returning the rest.
func decodeBase58Check(s, alphabet string) ([]byte, error) {
	b, err := decodeBase58(s, alphabet)
	if err != nil {
		return nil, err
	}
	if len(b) < 5 {
		return nil, fmt.Errorf("%d bytes after decoding, too short for base58check: %w", len(b), ErrLength)
	}
	body, sum := b[:len(b)-4], b[len(b)-4:]
	if want := doubleSHA256(body); !bytes.Equal(sum, want[:4]) {
		return nil, fmt.Errorf("base58check: %w", ErrChecksum)
	}
	return body, nil
}

// encodeBase58Check writes payload (version bytes included) with its
// 4-byte checksum in base58: the inverse of decodeBase58Check.
func encodeBase58Check(payload []byte, alphabet string) string {
	sum := doubleSHA256(payload)
	b := append(append([]byte{}, payload...), sum[:4]...)
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	var digits []byte // little-endian base-58 digits
	for _, x := range b[zeros:] {
		carry := int(x)
		for i := range digits {
			carry += int(digits[i]) << 8
			digits[i] = byte(carry % 58)
			carry /= 58
		}
		for ; carry > 0; carry /= 58 {
			digits = append(digits, byte(carry%58))
		}
	}
	out := make([]byte, zeros, zeros+len(digits))
	for i := range out {
		out[i] = alphabet[0]
	}
	for i := len(digits) - 1; i >= 0; i-- {
		out = append(out, alphabet[digits[i]])
	}
	return string(out)
}

func doubleSHA256(b []byte) [32]byte {
	first := sha256.Sum256(b)
	return sha256.Sum256(first[:])
}

// checkRaw32 accepts a Solana account: a plain base58 public key of 32
// bytes. There is no checksum, so a mistyped character that keeps the
// length is not detectable here.
func checkRaw32(a string) error {
	b, err := decodeBase58(a, btcAlphabet)
	if err != nil {
		return err
	}
	if len(b) != 32 {
		return fmt.Errorf("%d bytes after decoding, want a 32-byte public key: %w", len(b), ErrLength)
	}
	return nil
}
