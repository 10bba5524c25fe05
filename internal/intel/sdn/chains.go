package sdn

// CAIP-2 ids of the chains OFAC's SDN list names digital-currency addresses
// on. A bip122 reference is the first 32 hex digits of the chain's genesis
// block hash (BIP-122; ChainAgnostic namespaces bip122/caip2.md); a chain
// forked from Bitcoin uses its first own block instead.
const (
	chainBitcoin  = "bip122:000000000019d6689c085ae165831e93" // genesis 000000000019d668…ce26f (BIP-122, bip122/caip2.md)
	chainLitecoin = "bip122:12a765e31ffd4059bada1e25190f6e98" // genesis 12a765e3…bfe2 (bip122/caip2.md)
	// First BCH-only block 000000000000000000b15ad892af8f6aca4462d46d0b6e5884cadc033c8f257b (bip122/caip2.md).
	chainBitcoinCash = "bip122:000000000000000000b15ad892af8f6a"
	// BSV registered its own namespace with network names (bsv/caip2.md).
	chainBitcoinSV = "bsv:mainnet"
	// Bitcoin Gold shares Bitcoin's genesis and forked at height 491407
	// (BTCGPU/BTCGPU src/chainparams.cpp, consensus.BTGHeight). No CAIP-2 id
	// is registered and the hash of its first own block could not be
	// checked offline, so this id is chainhound's own, in a namespace of its
	// own so it can never collide with a real bip122 reference. Replace it
	// with bip122:<hash of BTG block 491407> once verified on a BTG node.
	chainBitcoinGold = "btg:mainnet"
	// Dash genesis 00000ffd590b1485b3caadc19b22e6379c733355108f107a430458cdf3407ab6 (dashpay/dash chainparams.cpp).
	chainDash = "bip122:00000ffd590b1485b3caadc19b22e637"
	// Zcash genesis 00040fe8ec8471911baa1db1266ea15dd06b4a8a5c453883c000b031973dce08 (zcash/zcash chainparams.cpp).
	chainZcash = "bip122:00040fe8ec8471911baa1db1266ea15d"
	// Verge genesis 00000fc63692467faeb20cdb3b53200dc601d75bdfa1001463304cc790d77278 (vergecurrency/verge chainparams.cpp).
	chainVerge = "bip122:00000fc63692467faeb20cdb3b53200d"

	chainEthereum        = "eip155:1"     // Ethereum mainnet (EIP-155)
	chainEthereumClassic = "eip155:61"    // Ethereum Classic, chain id 61
	chainBSC             = "eip155:56"    // BNB Smart Chain, chain id 56
	chainArbitrum        = "eip155:42161" // Arbitrum One, chain id 42161

	// TRON mainnet: eth_chainId 0x2b6653dc, the last 4 bytes of the genesis
	// hash (tron/caip2.md, TIP-474).
	chainTron = "tron:728126428"
	// Solana mainnet: first 32 characters of the genesis hash (solana/caip2.md).
	chainSolana = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"
	// XRP Ledger livenet, network_id 0 (xrpl/caip2.md).
	chainXRPL = "xrpl:0"
	// Monero genesis 418015bb9ae982a1975da7d79277c2705727a56894ba0fb246adaabb1f4632e3 (monero/caip2.md).
	chainMonero = "monero:418015bb9ae982a1975da7d79277c270"
	// BNB Beacon Chain (formerly Binance Chain), a Cosmos SDK chain with
	// chain id Binance-Chain-Tigris (CAIP-2 test cases). Shut down in 2024;
	// OFAC still lists one bnb1… address.
	chainBNBBeacon = "cosmos:Binance-Chain-Tigris"
)

// placement says on which chain an address of a given form lives.
type placement struct {
	chain string
	form  addressForm
}

// placements is the table of every asset code OFAC uses in a "Digital
// Currency Address - <ASSET>" feature: the address forms the asset comes in
// and the chain each form puts the address on, tried in order. ok is false
// for an asset code the table does not know.
func placements(asset string) (p []placement, ok bool) {
	switch asset {
	case "XBT": // Bitcoin: P2PKH 1…, P2SH 3…, segwit bc1…
		return []placement{{chainBitcoin, btcBase58}, {chainBitcoin, segwit("bc")}}, true
	case "LTC": // Litecoin: L… (0x30), M… (0x32), legacy 3… (0x05), ltc1…
		return []placement{{chainLitecoin, base58Check("LTC", 0x30, 0x32, 0x05)}, {chainLitecoin, segwit("ltc")}}, true
	case "BCH": // Bitcoin Cash: cashaddr q…/p… (with or without bitcoincash:), or legacy 1…/3…
		return []placement{{chainBitcoinCash, cashAddr("bitcoincash")}, {chainBitcoinCash, btcBase58}}, true
	case "BSV": // Bitcoin SV keeps Bitcoin's base58 versions
		return []placement{{chainBitcoinSV, btcBase58}}, true
	case "BTG": // Bitcoin Gold: G… (38), A… (23), btg1…
		return []placement{{chainBitcoinGold, base58Check("BTG", 38, 23)}, {chainBitcoinGold, segwit("btg")}}, true
	case "DASH": // Dash: X… (76), 7… (16)
		return []placement{{chainDash, base58Check("DASH", 76, 16)}}, true
	case "ZEC": // Zcash transparent t1… (1CB8), t3… (1CBD); shielded zs1…
		return []placement{{chainZcash, base58Check2("ZEC", 0x1cb8, 0x1cbd)}, {chainZcash, bech32Any("zs")}}, true
	case "XVG": // Verge: D… (30), E… (33)
		return []placement{{chainVerge, base58Check("XVG", 30, 33)}}, true
	case "XMR": // Monero: standard 4…, subaddress 8…, integrated 4… (106 chars)
		return []placement{{chainMonero, monero}}, true
	case "XRP": // XRP Ledger classic address r… (ripple base58 alphabet)
		return []placement{{chainXRPL, xrpBase58}}, true
	case "ETH": // Ether on Ethereum mainnet
		return []placement{{chainEthereum, evm}}, true
	case "ETC": // Ethereum Classic
		return []placement{{chainEthereumClassic, evm}}, true
	case "BSC": // BNB Smart Chain
		return []placement{{chainBSC, evm}}, true
	case "ARB": // Arbitrum One
		return []placement{{chainArbitrum, evm}}, true
	case "BNB": // BNB: bnb1… on the Beacon Chain, 0x… on BNB Smart Chain
		return []placement{{chainBNBBeacon, bech32Any("bnb")}, {chainBSC, evm}}, true
	case "TRX": // TRON: T… base58check, version 0x41
		return []placement{{chainTron, tron}}, true
	case "SOL": // Solana: base58 of a 32-byte key
		return []placement{{chainSolana, solana}}, true
	case "USDT": // Tether: ERC-20 0x… on Ethereum, TRC-20 T… on TRON, Omni 1…/3… on Bitcoin
		return []placement{{chainEthereum, evm}, {chainTron, tron}, {chainBitcoin, btcBase58}}, true
	case "USDC": // USD Coin: ERC-20 0x… on Ethereum, TRC-20 T… on TRON, SPL on Solana
		return []placement{{chainEthereum, evm}, {chainTron, tron}, {chainSolana, solana}}, true
	}
	return nil, false
}

// unknownAssetChain is the CAIP-2 id given to an address listed under an
// asset code the table above does not know: a namespace of chainhound's
// own (valid CAIP-2 syntax, registered nowhere) with the asset code as
// reference, so the tag is kept, cannot match a real chain by accident,
// and can be re-placed once the table learns the code.
func unknownAssetChain(asset string) string { return "ofac-sdn:" + asset }
