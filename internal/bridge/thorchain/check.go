package thorchain

import (
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
)

// Networks maps THORChain's chain names to the CAIP-2 ids of their mainnets,
// for address checks with addrcheck. GAIA (Cosmos Hub) and THOR are not
// there: addrcheck does not know their bech32 prefixes.
var mainnets = map[string]string{
	"BTC": addrcheck.Bitcoin, "ETH": addrcheck.Ethereum, "BCH": addrcheck.BitcoinCash,
	"LTC": addrcheck.Litecoin, "DOGE": addrcheck.Dogecoin, "AVAX": addrcheck.AvalancheC,
	"BSC": addrcheck.BNBSmartChain, "BASE": "eip155:8453", "TRON": addrcheck.Tron,
	"XRP": addrcheck.XRPL, "BNB": addrcheck.BNBBeaconChain,
}

// MainnetCheck validates an address of a THORChain chain on that chain's
// mainnet with addrcheck; ok is false for chains it cannot check.
func MainnetCheck(thorChain, addr string) (string, bool, error) {
	id, ok := mainnets[thorChain]
	if !ok {
		return addr, false, nil
	}
	c, _, err := addrcheck.Normalize(id, addr)
	if err != nil {
		return "", false, err
	}
	return c, true, nil
}

// CAIP2 returns the CAIP-2 id of a THORChain chain's mainnet, if known.
func CAIP2(thorChain string) (string, bool) {
	id, ok := mainnets[thorChain]
	return id, ok
}
