// Package addrcheck validates addresses per chain and turns them into the
// canonical text chainhound stores, so the same account read from two
// sources (an SDN list in one case, an explorer export in another) compares
// equal as a string. It checks what each chain's address encoding can
// prove: checksums (EIP-55, base58check, bech32/bech32m, cashaddr, Monero's
// Keccak checksum), lengths and version bytes or prefixes. It does not ask a
// node whether the address has ever been used.
package addrcheck

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors callers can test for with errors.Is; the returned errors wrap one
// of them and say which address on which chain.
var (
	ErrUnknownChain = errors.New("unknown chain")
	ErrLength       = errors.New("wrong length")
	ErrChecksum     = errors.New("bad checksum")
	ErrPrefix       = errors.New("wrong prefix for the chain")
	ErrCharset      = errors.New("invalid character")
)

// Normalize checks that addr is a well-formed address on chain (a CAIP-2
// id) and returns its canonical form: lower-case 0x hex on EVM chains,
// lower-case bech32/cashaddr without a network prefix, base58 as written.
// A legacy Bitcoin Cash address becomes its cashaddr form, so both forms of
// one key compare equal. Surrounding white space is ignored.
//
// warning is non-empty when the address is usable but suspicious: an EVM
// address in mixed case whose EIP-55 checksum does not match (a typo, or a
// list that changed the case by hand). err says what is wrong otherwise.
func Normalize(chain, addr string) (canonical, warning string, err error) {
	a := strings.TrimSpace(addr)
	if a == "" {
		return "", "", fmt.Errorf("%s: empty address: %w", chain, ErrLength)
	}
	switch {
	case isEVM(chain):
		canonical, warning, err = normalizeEVM(a)
	default:
		s, ok := specFor(chain)
		if !ok {
			return "", "", fmt.Errorf("%q: %w", chain, ErrUnknownChain)
		}
		canonical, err = s.normalize(a)
	}
	if err != nil {
		return "", "", fmt.Errorf("%s address %s: %w", chain, quote(a), err)
	}
	return canonical, warning, nil
}

// CAIP10 is Normalize returning the CAIP-10 account id
// ("<chain>:<canonical address>") the intel store keys tags by.
func CAIP10(chain, addr string) (account, warning string, err error) {
	c, w, err := Normalize(chain, addr)
	if err != nil {
		return "", "", err
	}
	return chain + ":" + c, w, nil
}

// NormalizeAny tries chains in order and returns the first that accepts
// addr, for lists that give an asset but not its chain (see
// SDNAssetChains). The error, when none accepts it, is the first chain's.
func NormalizeAny(chains []string, addr string) (chain, canonical, warning string, err error) {
	var first error
	for _, c := range chains {
		canonical, warning, err = Normalize(c, addr)
		if err == nil {
			return c, canonical, warning, nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = fmt.Errorf("address %s: no chain to check it against: %w", quote(addr), ErrUnknownChain)
	}
	return "", "", "", first
}

// Known reports whether Normalize can check addresses of chain.
func Known(chain string) bool {
	if isEVM(chain) {
		return true
	}
	_, ok := specFor(chain)
	return ok
}

// isEVM accepts every eip155 chain: they share one address format, and a
// label file may name a chain this package has no constant for.
func isEVM(chain string) bool {
	ref, ok := strings.CutPrefix(chain, "eip155:")
	if !ok || ref == "" || len(ref) > 32 {
		return false
	}
	_, err := strconv.ParseUint(ref, 10, 64)
	return err == nil
}

// quote shows an address in an error, cut short so that a fuzzer's or a
// broken file's megabyte "address" does not flood the log.
func quote(s string) string {
	const max = 120
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
