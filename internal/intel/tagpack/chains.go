package tagpack

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// addrKind says how a chain writes addresses, and so how they are checked
// and made canonical.
type addrKind int

const (
	addrAsWritten addrKind = iota // no check: kept as written (percent-escaped for CAIP-10)
	addrEVM                       // 0x + 40 hex, EIP-55 checksum when mixed case, lower-cased
	addrBase58                    // base58check (versions), optionally segwit bech32 or cashaddr
	addrToken                     // a token on several chains: the chain follows the address
)

// chain is one row of the currency table.
type chain struct {
	caip2    string
	code     string // the code Encode writes for this chain
	kind     addrKind
	versions [][]byte // base58check version prefixes of 20-byte hashes
	segwit   string   // bech32 segwit human-readable part
	cash     string   // cashaddr prefix
	txHex    bool     // tx hashes are 64 hex digits (0x-prefixed on EVM chains)
}

// currencyTable maps the currency/network codes TagPacks use (upper-cased)
// to CAIP-2 chains. This is the one place the mapping is written down.
//
//	code            CAIP-2                                      source of the id
//	BTC             bip122:000000000019d6689c085ae165831e93     genesis hash (BIP-122, CAIP-4)
//	LTC             bip122:12a765e31ffd4059bada1e25190f6e98     genesis hash (ChainAgnostic bip122)
//	BCH             bip122:000000000000000000b15ad892af8f6a     first BCH-only block (ChainAgnostic bip122)
//	BSV             bsv:mainnet                                 ChainAgnostic bsv namespace
//	DOGE            bip122:1a91e3dace36e2be3bf030a65679fe82     genesis hash (dogecoin chainparams.cpp)
//	DASH            bip122:00000ffd590b1485b3caadc19b22e637     genesis hash (dash chainparams.cpp)
//	ZEC             bip122:00040fe8ec8471911baa1db1266ea15d     genesis hash (zcash chainparams.cpp)
//	XVG             bip122:00000fc63692467faeb20cdb3b53200d     genesis hash (verge chainparams.cpp)
//	ETH             eip155:1                                    EIP-155 chain id
//	ETC             eip155:61                                   EIP-155 chain id
//	BSC, BEP20      eip155:56                                   BNB Smart Chain (ethereum-lists/chains)
//	MATIC, POL      eip155:137                                  Polygon PoS
//	FTM             eip155:250                                  Fantom Opera
//	AVAX            eip155:43114 for 0x-hex addresses           Avalanche C-Chain; X-Chain addresses fall back, see below
//	ARB             eip155:42161                                Arbitrum One
//	TRX             tron:728126428                              TIP-474 chain id 0x2b6653dc
//	XRP, RIPPLE     xrpl:0                                      XRP Ledger livenet network id
//	SOL             solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp     genesis hash prefix (ChainAgnostic solana)
//	XMR             monero:418015bb9ae982a1975da7d79277c270     genesis hash prefix
//	BEP2, BNB       cosmos:Binance-Chain-Tigris                 BNB Beacon Chain id (ChainAgnostic cosmos)
//	USDT, USDC      by address: 0x-hex -> eip155:1, Tron base58 -> tron, Bitcoin base58 -> Bitcoin (Omni)
//	anything else   tagpack:<CODE>                              not a registered namespace; see fallbackChain
//
// The ids agree with those of chainhound's SDN importer so that tags from
// both sources about one address meet under one subject.
func currencyTable() map[string]chain {
	btc := chain{caip2: "bip122:000000000019d6689c085ae165831e93", code: "BTC", kind: addrBase58,
		versions: [][]byte{{0x00}, {0x05}}, segwit: "bc", txHex: true}
	evm := func(id, code string) chain {
		return chain{caip2: "eip155:" + id, code: code, kind: addrEVM, txHex: true}
	}
	asWritten := func(id, code string) chain { return chain{caip2: id, code: code} }
	t := map[string]chain{
		"BTC": btc,
		"LTC": {caip2: "bip122:12a765e31ffd4059bada1e25190f6e98", code: "LTC", kind: addrBase58,
			versions: [][]byte{{0x30}, {0x32}, {0x05}}, segwit: "ltc", txHex: true},
		"BCH": {caip2: "bip122:000000000000000000b15ad892af8f6a", code: "BCH", kind: addrBase58,
			versions: [][]byte{{0x00}, {0x05}}, cash: "bitcoincash", txHex: true},
		// BSV kept Bitcoin Cash's cashaddr for a while after the split.
		"BSV": {caip2: "bsv:mainnet", code: "BSV", kind: addrBase58,
			versions: [][]byte{{0x00}, {0x05}}, cash: "bitcoincash", txHex: true},
		"DOGE": {caip2: "bip122:1a91e3dace36e2be3bf030a65679fe82", code: "DOGE", kind: addrBase58,
			versions: [][]byte{{0x1e}, {0x16}}, txHex: true},
		"DASH": {caip2: "bip122:00000ffd590b1485b3caadc19b22e637", code: "DASH", kind: addrBase58,
			versions: [][]byte{{0x4c}, {0x10}}, txHex: true},
		// Transparent addresses only (t1, t3): shielded ones name no owner.
		"ZEC": {caip2: "bip122:00040fe8ec8471911baa1db1266ea15d", code: "ZEC", kind: addrBase58,
			versions: [][]byte{{0x1c, 0xb8}, {0x1c, 0xbd}}, txHex: true},
		"XVG": {caip2: "bip122:00000fc63692467faeb20cdb3b53200d", code: "XVG", kind: addrBase58,
			versions: [][]byte{{0x1e}, {0x21}}, txHex: true},
		"ETH": evm("1", "ETH"), "ETC": evm("61", "ETC"),
		"BSC": evm("56", "BSC"), "MATIC": evm("137", "MATIC"), "FTM": evm("250", "FTM"),
		"AVAX-C": evm("43114", "AVAX"), "ARB": evm("42161", "ARB"),
		// AVAX names both the C-Chain (EVM) and the X-Chain (X-avax1...).
		"AVAX": {code: "AVAX", kind: addrToken},
		"TRX":  {caip2: "tron:728126428", code: "TRX", kind: addrBase58, versions: [][]byte{{0x41}}, txHex: true},
		"XRP":  asWritten("xrpl:0", "XRP"),
		"SOL":  asWritten("solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp", "SOL"),
		"XMR":  asWritten("monero:418015bb9ae982a1975da7d79277c270", "XMR"),
		"BNB":  asWritten("cosmos:Binance-Chain-Tigris", "BNB"),
		"USDT": {code: "USDT", kind: addrToken}, "USDC": {code: "USDC", kind: addrToken},
	}
	t["BEP20"], t["POL"], t["RIPPLE"], t["BEP2"] = t["BSC"], t["MATIC"], t["XRP"], t["BNB"]
	return t
}

// fallbackChain keeps tags on chains chainhound has no CAIP-2 id for (the
// public packs name some 60 such codes, many of them tokens written as if
// they were chains) under the pseudo-namespace "tagpack" with the code
// upper-cased, so they are neither lost nor mistaken for a known chain.
func fallbackChain(code string) (chain, error) {
	if !isReference(code) {
		return chain{}, fmt.Errorf("currency %q cannot be a chain reference", code)
	}
	up := strings.ToUpper(code)
	return chain{caip2: "tagpack:" + up, code: up}, nil
}

// isReference reports whether s may be a CAIP-2 reference: [-_a-zA-Z0-9]{1,32}.
func isReference(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, ch := range s {
		if ch != '-' && ch != '_' && !(ch >= '0' && ch <= '9') && !(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') {
			return false
		}
	}
	return true
}

// tokenChain picks the chain of a multi-chain token's address from its
// shape; an address of no known chain keeps the token's fallback chain.
func tokenChain(t map[string]chain, code, addr string) (chain, error) {
	candidates := []string{"ETH", "TRX", "BTC"}
	if code == "AVAX" {
		candidates = []string{"AVAX-C"}
	}
	for _, c := range candidates {
		if _, _, err := t[c].normalize(addr); err == nil {
			return t[c], nil
		}
	}
	return fallbackChain(code)
}

// chainCodes inverts the table: the code to write for each CAIP-2 id.
func chainCodes(t map[string]chain) map[string]chain {
	out := map[string]chain{}
	for key, c := range t {
		// Aliases (BEP20 for BSC) share the chain row; the row's own code
		// wins. AVAX-C is keyed apart from its code (AVAX) because AVAX
		// itself picks the chain by address.
		if _, set := out[c.caip2]; c.caip2 != "" && (c.code == key || !set) {
			out[c.caip2] = c
		}
	}
	return out
}

// normalize checks an address against the chain and returns its canonical
// form and, for EVM addresses, an EIP-55 warning.
func (c chain) normalize(a string) (canonical, warning string, err error) {
	switch c.kind {
	case addrEVM:
		return normalizeEVM(a)
	case addrBase58:
		return c.normalizeBase58(a)
	}
	if a == "" {
		return "", "", fmt.Errorf("empty address")
	}
	return escapeCAIP10(a), "", nil
}

func (c chain) normalizeBase58(a string) (string, string, error) {
	lower := strings.ToLower(a)
	if c.segwit != "" && strings.HasPrefix(lower, c.segwit+"1") {
		if err := checkSegwit(a, c.segwit); err != nil {
			return "", "", fmt.Errorf("%q: %w", a, err)
		}
		return lower, "", nil
	}
	if c.cash != "" && (strings.HasPrefix(lower, c.cash+":") || strings.HasPrefix(lower, "q") || strings.HasPrefix(lower, "p")) {
		out, err := checkCashAddr(a, c.cash)
		if err != nil {
			return "", "", fmt.Errorf("%q: %w", a, err)
		}
		return out, "", nil
	}
	if err := checkBase58Versions(a, c.versions); err != nil {
		return "", "", fmt.Errorf("%q is not a %s address: %w", a, c.code, err)
	}
	return a, "", nil
}

// normalizeTx checks a transaction hash: 64 hex digits on the chains whose
// hashes are that (0x-prefixed on EVM), lower-cased; as written elsewhere.
func (c chain) normalizeTx(h string) (string, error) {
	if !c.txHex {
		return escapeCAIP10(h), nil
	}
	body := h
	if c.kind == addrEVM {
		if !strings.HasPrefix(h, "0x") {
			return "", fmt.Errorf("transaction hash %q lacks 0x", h)
		}
		body = h[2:]
	}
	if len(body) != 64 || strings.Trim(strings.ToLower(body), "0123456789abcdef") != "" {
		return "", fmt.Errorf("transaction hash %q is not 64 hex digits", h)
	}
	return strings.ToLower(h), nil
}

// escapeCAIP10 percent-escapes what the CAIP-10 address part
// ([-.%a-zA-Z0-9]{1,128}) does not allow, so odd addresses written in
// packs (with spaces, notes or colons) still make a subject that splits
// cleanly; unescapeCAIP10 reverses it for export.
func escapeCAIP10(a string) string {
	var b strings.Builder
	for i := 0; i < len(a); i++ {
		ch := a[i]
		if ch == '-' || ch == '.' || ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

func unescapeCAIP10(a string) string {
	if !strings.Contains(a, "%") {
		return a
	}
	var b strings.Builder
	for i := 0; i < len(a); i++ {
		if a[i] == '%' && i+2 < len(a) {
			if x, err := hex.DecodeString(a[i+1 : i+3]); err == nil {
				b.Write(x)
				i += 2
				continue
			}
		}
		b.WriteByte(a[i])
	}
	return b.String()
}
