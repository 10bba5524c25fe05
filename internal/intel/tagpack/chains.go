package tagpack

import (
	"fmt"
	"strings"

	"github.com/chainhound/chainhound/internal/intel/addrcheck"
)

// addrKind says how a chain writes addresses, and so how they are checked
// and made canonical.
type addrKind int

const (
	addrAsWritten addrKind = iota // no check: kept as written (percent-escaped for CAIP-10)
	addrChecked                   // addrcheck.Normalize checks it and gives the canonical form
	addrToken                     // a token on several chains: the chain follows the address
)

// chain is one row of the currency table.
type chain struct {
	caip2 string
	code  string // the code Encode writes for this chain
	kind  addrKind
	txHex bool // tx hashes are 64 hex digits (0x-prefixed on EVM chains)
}

// currencyTable maps the currency/network codes TagPacks use (upper-cased)
// to CAIP-2 chains. This is the one place the mapping is written down; the
// chain ids and address rules are addrcheck's, shared with the SDN and
// label importers, so tags from every source about one address meet under
// one subject.
//
//	code            chain (addrcheck)                        note
//	BTC             Bitcoin                                  base58 1…/3…, segwit bc1…
//	LTC             Litecoin
//	BCH             BitcoinCash                              legacy 1…/3… become cashaddr
//	BSV             BitcoinSV                                cashaddr becomes legacy 1…/3…
//	BTG             BitcoinGold                              provisional id, see addrcheck
//	DOGE            Dogecoin
//	DASH, ZEC, XVG  Dash, Zcash (transparent t1/t3), Verge
//	ETH, ETC        Ethereum, EthereumClassic                EIP-55 checked, lower-cased
//	BSC, BEP20      BNBSmartChain
//	MATIC, POL      Polygon
//	FTM             Fantom
//	AVAX            AvalancheC for 0x-hex addresses          X-Chain addresses fall back, see below
//	ARB             ArbitrumOne
//	TRX             Tron
//	XRP, RIPPLE     XRPL
//	SOL             Solana
//	XMR             Monero
//	BEP2, BNB       BNBBeaconChain                           bnb1…
//	USDT            by address: Ethereum, Tron, Bitcoin (Omni), first that accepts it
//	USDC            by address: Ethereum, Tron, Solana, first that accepts it
//	anything else   tagpack:<CODE>                           not a registered namespace; see fallbackChain
func currencyTable() map[string]chain {
	checked := func(id, code string) chain { return chain{caip2: id, code: code, kind: addrChecked, txHex: true} }
	// These chains' transaction ids are not 64 hex digits in every form
	// packs write them, so they are kept as written.
	noTxCheck := func(id, code string) chain { return chain{caip2: id, code: code, kind: addrChecked} }
	t := map[string]chain{
		"BTC":  checked(addrcheck.Bitcoin, "BTC"),
		"LTC":  checked(addrcheck.Litecoin, "LTC"),
		"BCH":  checked(addrcheck.BitcoinCash, "BCH"),
		"BSV":  checked(addrcheck.BitcoinSV, "BSV"),
		"BTG":  checked(addrcheck.BitcoinGold, "BTG"),
		"DOGE": checked(addrcheck.Dogecoin, "DOGE"),
		"DASH": checked(addrcheck.Dash, "DASH"),
		"ZEC":  checked(addrcheck.Zcash, "ZEC"),
		"XVG":  checked(addrcheck.Verge, "XVG"),
		"ETH":  checked(addrcheck.Ethereum, "ETH"), "ETC": checked(addrcheck.EthereumClassic, "ETC"),
		"BSC": checked(addrcheck.BNBSmartChain, "BSC"), "MATIC": checked(addrcheck.Polygon, "MATIC"),
		"FTM": checked(addrcheck.Fantom, "FTM"), "AVAX-C": checked(addrcheck.AvalancheC, "AVAX"),
		"ARB": checked(addrcheck.ArbitrumOne, "ARB"),
		// AVAX names both the C-Chain (EVM) and the X-Chain (X-avax1...).
		"AVAX": {code: "AVAX", kind: addrToken},
		"TRX":  checked(addrcheck.Tron, "TRX"),
		"XRP":  noTxCheck(addrcheck.XRPL, "XRP"),
		"SOL":  noTxCheck(addrcheck.Solana, "SOL"),
		"XMR":  noTxCheck(addrcheck.Monero, "XMR"),
		"BNB":  noTxCheck(addrcheck.BNBBeaconChain, "BNB"),
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
	for _, c := range tokenChains(code) {
		if _, _, err := t[c].normalize(addr); err == nil {
			return t[c], nil
		}
	}
	return fallbackChain(code)
}

// tokenChains lists the table rows of the chains a multi-chain token's
// addresses may be on, in the order tried.
func tokenChains(code string) []string {
	switch code {
	case "USDT":
		return []string{"ETH", "TRX", "BTC"}
	case "USDC":
		return []string{"ETH", "TRX", "SOL"}
	case "AVAX":
		return []string{"AVAX-C"}
	}
	return nil
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
	if c.kind == addrChecked {
		return addrcheck.Normalize(c.caip2, a)
	}
	if a == "" {
		return "", "", fmt.Errorf("empty address")
	}
	return escapeCAIP10(a), "", nil
}
