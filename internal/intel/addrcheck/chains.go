package addrcheck

// CAIP-2 ids of the chains whose addresses this package checks: the chains
// OFAC's SDN list names digital-currency addresses on, the chains of the
// currency codes GraphSense TagPacks use, and the EVM chains whose
// explorers publish label files. The SDN, TagPack and label importers all
// take their chain ids from here, so one address read from any of them
// becomes one subject. A bip122 reference is the first 32
// hex digits of the chain's genesis block hash (BIP-122); a forked chain
// that shares Bitcoin's genesis uses its first own block instead.
const (
	// EIP-155 chain ids: ethereum-lists/chains (chainid.network), the
	// registry the ChainAgnostic eip155 namespace points to.
	Ethereum        = "eip155:1"     // Ethereum mainnet (EIP-155)
	Optimism        = "eip155:10"    // OP Mainnet, chain id 10 (ethereum-lists/chains)
	BNBSmartChain   = "eip155:56"    // BNB Smart Chain, chain id 56 (ethereum-lists/chains)
	EthereumClassic = "eip155:61"    // Ethereum Classic, chain id 61 (EIP-155 text)
	Polygon         = "eip155:137"   // Polygon PoS, chain id 137 (ethereum-lists/chains)
	Fantom          = "eip155:250"   // Fantom Opera, chain id 250 (ethereum-lists/chains)
	ArbitrumOne     = "eip155:42161" // Arbitrum One, chain id 42161 (ethereum-lists/chains)
	AvalancheC      = "eip155:43114" // Avalanche C-Chain, chain id 43114 (ethereum-lists/chains)

	// Bitcoin and its relatives (ChainAgnostic namespaces, bip122/caip2.md,
	// unless said otherwise).
	Bitcoin        = "bip122:000000000019d6689c085ae165831e93" // genesis 000000000019d6689c…ce26f (BIP-122 text)
	BitcoinTestnet = "bip122:000000000933ea01ad0ee984209779ba" // testnet3 genesis (bip122/caip2.md)
	BitcoinCash    = "bip122:000000000000000000b15ad892af8f6a" // first BCH-only block 000000000000000000b15ad8…257b (bip122/caip2.md)
	Litecoin       = "bip122:12a765e31ffd4059bada1e25190f6e98" // genesis 12a765e3…bfe2 (bip122/caip2.md)
	// Dash genesis 00000ffd590b1485b3caadc19b22e6379c733355108f107a430458cdf3407ab6
	// (dashpay/dash src/chainparams.cpp, consensus.hashGenesisBlock).
	Dash = "bip122:00000ffd590b1485b3caadc19b22e637"
	// Zcash genesis 00040fe8ec8471911baa1db1266ea15dd06b4a8a5c453883c000b031973dce08
	// (zcash/zcash src/chainparams.cpp).
	Zcash = "bip122:00040fe8ec8471911baa1db1266ea15d"
	// Verge genesis 00000fc63692467faeb20cdb3b53200dc601d75bdfa1001463304cc790d77278
	// (vergecurrency/verge src/chainparams.cpp, consensus.hashGenesisBlock).
	Verge = "bip122:00000fc63692467faeb20cdb3b53200d"
	// Dogecoin genesis 1a91e3dace36e2be3bf030a65679fe821aa1d6ef92e7c9902eb318182c355691
	// (dogecoin/dogecoin src/chainparams.cpp, consensus.hashGenesisBlock).
	Dogecoin = "bip122:1a91e3dace36e2be3bf030a65679fe82"
	// Bitcoin Gold shares Bitcoin's genesis and forked at height 491407
	// (BTCGPU/BTCGPU src/chainparams.cpp, consensus.BTGHeight), so BIP-122
	// would name it by its first own block. No CAIP-2 id is registered and
	// that block's hash could not be checked here, so this id is
	// PROVISIONAL and chainhound's own: a namespace of its own (valid CAIP-2
	// syntax, registered nowhere), rather than a bip122 reference that is
	// not a block hash, so it can never be mistaken for or collide with a
	// real bip122 chain. Replace it with bip122:<first 32 hex digits of the
	// hash of BTG block 491407> once verified against a BTG node; the SDN
	// and TagPack importers take it from here, so that is the one change.
	BitcoinGold = "btg:mainnet"
	// BSV registered its own namespace with network names (ChainAgnostic
	// namespaces, bsv/caip2.md).
	BitcoinSV = "bsv:mainnet"

	// Other families (ChainAgnostic namespaces, <namespace>/caip2.md).
	Tron   = "tron:728126428"                          // eth_chainId 0x2b6653dc, last 4 bytes of the genesis hash (TIP-474)
	Solana = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp" // genesis hash 5eykt4Us…2N9d, first 32 characters
	XRPL   = "xrpl:0"                                  // XRP Ledger livenet, network_id 0
	// Monero genesis 418015bb9ae982a1975da7d79277c2705727a56894ba0fb246adaabb1f4632e3.
	Monero = "monero:418015bb9ae982a1975da7d79277c270"
	// BNB Beacon Chain (formerly Binance Chain), a Cosmos SDK chain whose
	// chain id is Binance-Chain-Tigris (cosmos/caip2.md; CAIP-19 examples).
	// It was shut down in 2024; OFAC still lists one bnb1… address.
	BNBBeaconChain = "cosmos:Binance-Chain-Tigris"
)

// Chains lists every CAIP-2 id above, for callers that offer a choice or
// test them all. A new slice each call, so callers may keep or change it.
func Chains() []string {
	return []string{
		Ethereum, Optimism, BNBSmartChain, EthereumClassic, Polygon, Fantom,
		ArbitrumOne, AvalancheC,
		Bitcoin, BitcoinTestnet, BitcoinCash, Litecoin, Dogecoin, Dash, Zcash, Verge,
		BitcoinGold, BitcoinSV,
		Tron, Solana, XRPL, Monero, BNBBeaconChain,
	}
}

// SDNAssetChains returns the chains an address listed by OFAC under a
// "Digital Currency Address - <asset>" feature can live on, most likely
// first. Tokens issued on several chains name several: OFAC lists USDT
// addresses on Ethereum, Tron and Bitcoin (Omni layer) under one asset code.
// It returns nil for an asset code it does not know.
func SDNAssetChains(asset string) []string {
	switch asset {
	case "XBT":
		return []string{Bitcoin}
	case "ETH":
		return []string{Ethereum}
	case "USDT":
		return []string{Ethereum, Tron, Bitcoin}
	case "USDC":
		return []string{Ethereum, Solana, Tron}
	case "ETC":
		return []string{EthereumClassic}
	case "BSC":
		return []string{BNBSmartChain}
	case "ARB":
		return []string{ArbitrumOne}
	case "TRX":
		return []string{Tron}
	case "BCH":
		return []string{BitcoinCash}
	case "BSV":
		return []string{BitcoinSV}
	case "BTG":
		return []string{BitcoinGold}
	case "LTC":
		return []string{Litecoin}
	case "DASH":
		return []string{Dash}
	case "ZEC":
		return []string{Zcash}
	case "XVG":
		return []string{Verge}
	case "SOL":
		return []string{Solana}
	case "XRP":
		return []string{XRPL}
	case "XMR":
		return []string{Monero}
	case "BNB":
		// bnb1… on the Beacon Chain; BNB is also the native coin of BNB
		// Smart Chain, so a 0x… address under BNB lands there.
		return []string{BNBBeaconChain, BNBSmartChain}
	}
	return nil
}
