package addrcheck

import (
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/crypto/sha3"
)

// normalizeEVM checks 0x and 40 hex digits. An address in one case carries
// no checksum; in mixed case it is EIP-55 and must match, but a mismatch is
// only a warning: the 20 bytes are still unambiguous, and refusing a whole
// list over one hand-edited address would lose the other entries.
func normalizeEVM(a string) (canonical, warning string, err error) {
	if !strings.HasPrefix(a, "0x") {
		return "", "", fmt.Errorf("want 0x and 40 hex digits: %w", ErrPrefix)
	}
	h := a[2:]
	if len(h) != 40 {
		return "", "", fmt.Errorf("%d hex digits, want 40: %w", len(h), ErrLength)
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", "", fmt.Errorf("not hex: %w", ErrCharset)
	}
	lower := strings.ToLower(h)
	if h != lower && h != strings.ToUpper(h) {
		if want := eip55(lower); want[2:] != h {
			warning = fmt.Sprintf("address %s has a bad EIP-55 checksum (want %s)", a, want)
		}
	}
	return "0x" + lower, warning, nil
}

// eip55 returns the checksummed form of a lower-case 40-digit hex address:
// a letter is upper case where the matching nibble of keccak256 of the
// lower-case text is 8 or more (EIP-55).
func eip55(lowerHex string) string {
	d := sha3.NewLegacyKeccak256()
	d.Write([]byte(lowerHex))
	sum := d.Sum(nil)
	out := []byte(lowerHex)
	for i, c := range out {
		nibble := sum[i/2] >> 4
		if i%2 == 1 {
			nibble = sum[i/2] & 0x0f
		}
		if c >= 'a' && nibble >= 8 {
			out[i] = c - 'a' + 'A'
		}
	}
	return "0x" + string(out)
}
