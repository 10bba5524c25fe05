// Package btc turns Bitcoin bytes into chainhound's decoded block model: raw
// blocks from a Bitcoin Core blocks/ directory (blk*.dat) or from a node's
// JSON-RPC interface are deserialised with btcd's wire package, every
// transaction gets its txid, wtxid and sizes, and every output its script
// type and the address under which its value is recorded (see
// ClassifyScript and docs/ingest-btc.md). It knows nothing of the store.
package btc

import (
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/v2"
)

// Network is one Bitcoin network: its name, btcd's parameters (genesis,
// address prefixes, bech32 HRP) and the magic that starts every record of
// its blk*.dat files.
type Network struct {
	// Name is the canonical short name: mainnet, testnet3, testnet4,
	// signet, regtest or simnet.
	Name   string
	Params *chaincfg.Params
	// Magic is the network's wire.BitcoinNet value; on disk and on the
	// wire it is stored little-endian (mainnet: f9 be b4 d9).
	Magic uint32
}

// Networks returns every network ParseNetwork knows, mainnet first. The
// default signet only: custom signets have their own magic and genesis and
// are not supported.
func Networks() []Network {
	ps := []*chaincfg.Params{
		&chaincfg.MainNetParams, &chaincfg.TestNet3Params, &chaincfg.TestNet4Params,
		&chaincfg.SigNetParams, &chaincfg.RegressionNetParams, &chaincfg.SimNetParams,
	}
	out := make([]Network, len(ps))
	for i, p := range ps {
		out[i] = Network{Name: p.Name, Params: p, Magic: uint32(p.Net)}
	}
	return out
}

// ParseNetwork reads a network name as given to --network, or as a node
// reports it in getblockchaininfo's "chain" (Bitcoin Core: main, test,
// testnet4, signet, regtest; btcd: mainnet, testnet3, ...). "testnet" is
// testnet3, as for Bitcoin Core's -testnet.
func ParseNetwork(name string) (Network, error) {
	want := strings.ToLower(strings.TrimSpace(name))
	switch want {
	case "main", "bitcoin", "btc":
		want = "mainnet"
	case "test", "testnet":
		want = "testnet3"
	}
	for _, n := range Networks() {
		if n.Name == want {
			return n, nil
		}
	}
	return Network{}, fmt.Errorf("unknown bitcoin network %q (want mainnet, testnet, testnet4, signet, regtest or simnet)", name)
}

// networkByMagic finds the network whose blk files start with magic.
func networkByMagic(magic uint32) (Network, bool) {
	for _, n := range Networks() {
		if n.Magic == magic {
			return n, true
		}
	}
	return Network{}, false
}

// CAIP2 returns the network's CAIP-2 chain id: bip122 and the first 32 hex
// digits of the genesis block hash, e.g. bip122:000000000019d6689c085ae165831e93.
func (n Network) CAIP2() string {
	return "bip122:" + n.Params.GenesisHash.String()[:32]
}

// String returns the network's name.
func (n Network) String() string { return n.Name }

// NetworkOfCAIP2 returns the network whose CAIP-2 id is id (as a store
// records the network it is bound to).
func NetworkOfCAIP2(id string) (Network, bool) {
	for _, n := range Networks() {
		if n.CAIP2() == id {
			return n, true
		}
	}
	return Network{}, false
}
