// Package chain holds chainhound's core vocabulary: chains, addresses, assets,
// exact amounts and transfers. It does no I/O; every other package speaks it.
//
// Inside chainhound values are compact and typed. At every external boundary
// (CLI output, files, HTTP) they are written as CAIP identifiers:
// CAIP-2 for chains (eip155:1), CAIP-10 for accounts (eip155:1:0xabc…) and
// CAIP-19 for assets (eip155:1/erc20:0xdac1…).
package chain

import (
	"fmt"
	"strings"
)

// Chain is the compact code of a chain family inside one store. A store binds
// each Chain to exactly one network (a CAIP-2 id and genesis hash) on first
// ingest, so a data directory never mixes Ethereum mainnet with a testnet.
type Chain uint8

// Known chains. The numbers are part of the on-disk key layout: never reuse one.
const (
	Ethereum Chain = 1
	Bitcoin  Chain = 2
)

// String returns the short name used on the command line (eth, btc).
func (c Chain) String() string {
	switch c {
	case Ethereum:
		return "eth"
	case Bitcoin:
		return "btc"
	}
	return fmt.Sprintf("chain(%d)", uint8(c))
}

// ParseChain reads a short chain name as given to --chain.
func ParseChain(s string) (Chain, error) {
	switch strings.ToLower(s) {
	case "eth", "ethereum":
		return Ethereum, nil
	case "btc", "bitcoin":
		return Bitcoin, nil
	}
	return 0, fmt.Errorf("unknown chain %q (want eth or btc)", s)
}

// Network identifies the concrete network a Chain is bound to in a store.
type Network struct {
	// CAIP2 is the CAIP-2 chain id, e.g. "eip155:1".
	CAIP2 string
	// Genesis is the hash of block 0 in the chain's canonical text form.
	Genesis string
}

// EIP155 returns the CAIP-2 id of an EVM chain with the given chain id.
func EIP155(chainID uint64) string { return fmt.Sprintf("eip155:%d", chainID) }
