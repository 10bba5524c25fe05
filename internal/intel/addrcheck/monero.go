package addrcheck

import (
	"bytes"
	"fmt"
	"math/bits"
	"strings"

	"golang.org/x/crypto/sha3"
)

// Monero writes addresses in its own base58: 8-byte blocks become 11
// characters, a last partial block of n bytes becomes fewer (see
// moneroBlockBytes). The decoded bytes are a varint network prefix, the
// public spend and view keys (and a payment id in integrated addresses),
// and the first 4 bytes of Keccak-256 of all that.

// moneroBlockBytes returns how many bytes a block of chars characters
// holds, or -1 for a length no block has.
func moneroBlockBytes(chars int) int {
	for n, c := range [9]int{0, 2, 3, 5, 6, 7, 9, 10, 11} {
		if c == chars {
			return n
		}
	}
	return -1
}

// Mainnet prefixes (monero-project/monero src/cryptonote_config.h):
// standard 18 ("4..."), integrated 19 ("4..."), subaddress 42 ("8...").
func moneroKind(prefix byte) (name string, size int, ok bool) {
	switch prefix {
	case 18:
		return "standard", 69, true
	case 19:
		return "integrated", 77, true
	case 42:
		return "subaddress", 69, true
	}
	return "", 0, false
}

func checkMonero(a string) error {
	if len(a) != 95 && len(a) != 106 {
		return fmt.Errorf("%d characters, want 95 (standard, subaddress) or 106 (integrated): %w", len(a), ErrLength)
	}
	b, err := decodeMoneroBase58(a)
	if err != nil {
		return err
	}
	name, size, ok := moneroKind(b[0])
	if !ok {
		return fmt.Errorf("network prefix %d is not a Monero mainnet address (18, 19, 42): %w", b[0], ErrPrefix)
	}
	if len(b) != size {
		return fmt.Errorf("%s address of %d bytes, want %d: %w", name, len(b), size, ErrLength)
	}
	d := sha3.NewLegacyKeccak256()
	d.Write(b[:len(b)-4])
	if !bytes.Equal(d.Sum(nil)[:4], b[len(b)-4:]) {
		return fmt.Errorf("monero: %w", ErrChecksum)
	}
	return nil
}

func decodeMoneroBase58(a string) ([]byte, error) {
	var out []byte
	for len(a) > 0 {
		n := min(11, len(a))
		block, err := decodeMoneroBlock(a[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, block...)
		a = a[n:]
	}
	return out, nil
}

// decodeMoneroBlock decodes one block into the byte count its length
// stands for, refusing values that overflow it.
func decodeMoneroBlock(s string) ([]byte, error) {
	size := moneroBlockBytes(len(s))
	if size <= 0 {
		return nil, fmt.Errorf("monero base58 block of %d characters: %w", len(s), ErrLength)
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(btcAlphabet, s[i])
		if d < 0 {
			return nil, fmt.Errorf("%q is not base58: %w", s[i], ErrCharset)
		}
		hi, lo := bits.Mul64(v, 58)
		lo, carry := bits.Add64(lo, uint64(d), 0)
		if hi+carry != 0 || (size < 8 && lo>>(8*size) != 0) {
			return nil, fmt.Errorf("monero base58 block overflows %d bytes: %w", size, ErrCharset)
		}
		v = lo
	}
	out := make([]byte, size)
	for i := size - 1; i >= 0; i-- {
		out[i] = byte(v)
		v >>= 8
	}
	return out, nil
}
