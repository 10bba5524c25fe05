package sdn

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// addressForm is one written form of an address (EVM hex, base58check with
// given version bytes, bech32 with a prefix...): it says whether a string
// has that form and gives the canonical text chainhound stores.
type addressForm interface {
	check(addr string) error
	canonical(addr string) string
	String() string
}

const (
	btcAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	xrpAlphabet = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"
)

var errChecksum = errors.New("bad checksum")

// Forms used by the asset table in chains.go. They hold no state.
var (
	evm       = evmForm{}
	btcBase58 = base58Check("XBT", 0x00, 0x05)
	tron      = base58Form{name: "TRON base58check (T…)", alphabet: btcAlphabet, versions: [][]byte{{0x41}}, size: 21}
	xrpBase58 = base58Form{name: "XRP Ledger base58check (r…)", alphabet: xrpAlphabet, versions: [][]byte{{0x00}}, size: 21}
	solana    = solanaForm{}
	monero    = moneroForm{}
)

// base58Check is a Bitcoin-style base58check address of one version byte
// and a 20-byte hash.
func base58Check(asset string, versions ...byte) base58Form {
	f := base58Form{name: asset + " base58check", alphabet: btcAlphabet, size: 21}
	for _, v := range versions {
		f.versions = append(f.versions, []byte{v})
	}
	return f
}

// base58Check2 is base58Check with two-byte versions (Zcash).
func base58Check2(asset string, versions ...uint16) base58Form {
	f := base58Form{name: asset + " base58check", alphabet: btcAlphabet, size: 22}
	for _, v := range versions {
		f.versions = append(f.versions, []byte{byte(v >> 8), byte(v)})
	}
	return f
}

type evmForm struct{}

func (evmForm) String() string { return "EVM 0x hex" }
func (evmForm) check(a string) error {
	if !common.IsHexAddress(a) || !strings.HasPrefix(a, "0x") {
		return errors.New("not 0x and 40 hex digits")
	}
	return nil
}
func (evmForm) canonical(a string) string { return strings.ToLower(a) }

// eip55Warning returns a warning when a mixed-case EVM address does not
// match its EIP-55 checksum: usable, but a sign of a typo in the list.
func eip55Warning(a string) string {
	h := a[2:]
	if h == strings.ToLower(h) || h == strings.ToUpper(h) {
		return ""
	}
	if want := common.HexToAddress(a).Hex(); want != a {
		return fmt.Sprintf("EIP-55 checksum mismatch (expected %s)", want)
	}
	return ""
}

type base58Form struct {
	name     string
	alphabet string
	versions [][]byte
	size     int // payload bytes including the version, without checksum
}

func (f base58Form) String() string            { return f.name }
func (f base58Form) canonical(a string) string { return a }
func (f base58Form) check(a string) error {
	raw, err := base58Decode(a, f.alphabet)
	if err != nil {
		return err
	}
	if len(raw) != f.size+4 {
		return fmt.Errorf("decodes to %d bytes, want %d", len(raw), f.size+4)
	}
	sum := doubleSHA256(raw[:f.size])
	if !bytes.Equal(sum[:4], raw[f.size:]) {
		return errChecksum
	}
	for _, v := range f.versions {
		if bytes.HasPrefix(raw, v) {
			return nil
		}
	}
	return fmt.Errorf("version %x not one of %x", raw[:len(f.versions[0])], f.versions)
}

func doubleSHA256(b []byte) [32]byte {
	h := sha256.Sum256(b)
	return sha256.Sum256(h[:])
}

// base58Decode decodes base58 text in the given alphabet, keeping leading
// zero bytes.
func base58Decode(s, alphabet string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	var out []byte // little-endian big number
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(alphabet, s[i])
		if d < 0 {
			return nil, fmt.Errorf("character %q not in the base58 alphabet", s[i])
		}
		carry := d
		for j := range out {
			carry += int(out[j]) * 58
			out[j] = byte(carry)
			carry >>= 8
		}
		for ; carry > 0; carry >>= 8 {
			out = append(out, byte(carry))
		}
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == alphabet[0] {
		zeros++
	}
	res := make([]byte, zeros+len(out))
	for i, b := range out {
		res[len(res)-1-i] = b
	}
	return res, nil
}

type solanaForm struct{}

func (solanaForm) String() string            { return "Solana base58 public key" }
func (solanaForm) canonical(a string) string { return a }
func (solanaForm) check(a string) error {
	raw, err := base58Decode(a, btcAlphabet)
	if err != nil {
		return err
	}
	if len(raw) != 32 {
		return fmt.Errorf("decodes to %d bytes, want 32", len(raw))
	}
	return nil
}

type moneroForm struct{}

func (moneroForm) String() string            { return "Monero base58 (4…, 8…)" }
func (moneroForm) canonical(a string) string { return a }

// check decodes Monero's block base58 (11 characters per 8 bytes) and
// verifies the network prefix and the Keccak-256 checksum.
func (moneroForm) check(a string) error {
	if len(a) != 95 && len(a) != 106 {
		return fmt.Errorf("%d characters, want 95 or 106", len(a))
	}
	var raw []byte
	for i := 0; i < len(a); i += 11 {
		blk := a[i:min(i+11, len(a))]
		size := map[int]int{11: 8, 7: 5}[len(blk)]
		d, err := base58Decode(blk, btcAlphabet)
		if err != nil {
			return err
		}
		d = bytes.TrimLeft(d, "\x00")
		if size == 0 || len(d) > size {
			return errors.New("bad base58 block")
		}
		raw = append(raw, make([]byte, size-len(d))...)
		raw = append(raw, d...)
	}
	switch raw[0] {
	case 18, 19, 42: // standard, integrated, subaddress
	default:
		return fmt.Errorf("network prefix %d is not Monero mainnet", raw[0])
	}
	n := len(raw) - 4
	if !bytes.Equal(crypto.Keccak256(raw[:n])[:4], raw[n:]) {
		return errChecksum
	}
	return nil
}
