package chain

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// AssetKind says which standard an asset follows.
type AssetKind uint8

// Asset kinds. The numbers are part of the on-disk layout.
const (
	Native AssetKind = 0
	ERC20  AssetKind = 1
	ERC721 AssetKind = 2
)

// Asset is a fungible asset class or an NFT collection. Native value has no
// contract. An ERC-721 transfer carries its token id on the Transfer, not
// here, so that a collection stays one asset.
type Asset struct {
	Kind     AssetKind
	Contract Address
}

// NativeAsset is the chain's own coin.
var NativeAsset = Asset{Kind: Native}

// CAIP19 returns the CAIP-19 asset type on the given CAIP-2 network, or
// "native" for the chain's own coin, as the export format writes it.
func (a Asset) CAIP19(caip2 string) string {
	switch a.Kind {
	case ERC20:
		return caip2 + "/erc20:" + a.Contract.String()
	case ERC721:
		return caip2 + "/erc721:" + a.Contract.String()
	}
	return "native"
}

// String names the asset without a chain: native, erc20:0x… or erc721:0x….
func (a Asset) String() string {
	switch a.Kind {
	case ERC20:
		return "erc20:" + a.Contract.String()
	case ERC721:
		return "erc721:" + a.Contract.String()
	}
	return "native"
}

// ParseAsset reads "native" or a CAIP-19 erc20/erc721 asset type.
func ParseAsset(s string) (Asset, error) {
	if s == "native" || s == "" {
		return NativeAsset, nil
	}
	i := strings.Index(s, "/")
	if i < 0 {
		return Asset{}, fmt.Errorf("asset %q: want native or a CAIP-19 id like eip155:1/erc20:0x…", s)
	}
	ns, ref, ok := strings.Cut(s[i+1:], ":")
	if !ok {
		return Asset{}, fmt.Errorf("asset %q: missing asset namespace", s)
	}
	if j := strings.Index(ref, "/"); j >= 0 {
		ref = ref[:j] // token id of a CAIP-19 asset id: the collection is the asset
	}
	addr, err := ParseEVMAddress(ref)
	if err != nil {
		return Asset{}, fmt.Errorf("asset %q: %w", s, err)
	}
	switch ns {
	case "erc20":
		return Asset{Kind: ERC20, Contract: addr}, nil
	case "erc721":
		return Asset{Kind: ERC721, Contract: addr}, nil
	}
	return Asset{}, fmt.Errorf("asset %q: unknown namespace %q", s, ns)
}

// Hash is a 32-byte block or transaction hash.
type Hash [32]byte

// String returns 0x-prefixed lower-case hex.
func (h Hash) String() string { return "0x" + hex.EncodeToString(h[:]) }

// FormatHash writes a transaction or block hash as the chain's own tools
// do: 0x-prefixed hex on EVM chains, plain hex (the usual txid) on Bitcoin.
func (c Chain) FormatHash(h Hash) string {
	if c == Bitcoin {
		return hex.EncodeToString(h[:])
	}
	return h.String()
}

// IsZero reports whether h is all zero bytes (no transaction).
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash reads a 0x-prefixed 64-digit hex hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	t := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(t) != 64 {
		return h, fmt.Errorf("hash %q: want 0x and 64 hex digits", s)
	}
	if _, err := hex.Decode(h[:], []byte(t)); err != nil {
		return h, fmt.Errorf("hash %q: %v", s, err)
	}
	return h, nil
}
