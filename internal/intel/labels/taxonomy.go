package labels

import "github.com/chainhound/chainhound/internal/intel"

// Confidence levels this package assigns, from GraphSense's confidence
// taxonomy (graphsense-tagpack-tool src/tagpack/db/confidence.csv).
// Explorer label pages and datasets derived from them are "web_crawl"
// (level 20: "retrieved from crawling the web or other data dumps"), the
// level GraphSense's own Etherscan TagPacks use. They are not
// "trusted_provider" (50): explorers do not say how they attribute, and the
// labels are years old.
const (
	ExplorerConfidence intel.Confidence = "web_crawl"
	FortaConfidence    intel.Confidence = "web_crawl"
)

// isConfidence reports whether id is a level of GraphSense's confidence
// taxonomy, for chainhound CSV files that name their own.
func isConfidence(id string) bool {
	switch id {
	case "override", "ownership", "ledger_immanent", "manual_transaction",
		"service_api", "forensic_investigation", "authority_data",
		"trusted_provider", "service_data", "forensic",
		"untrusted_transaction", "web_crawl", "heuristic", "unknown":
		return true
	}
	return false
}

// isConcept reports whether id is a GraphSense concept id
// (graphsense-tagpack-tool src/tagpack/db/concepts.yaml, version 0.1.0).
func isConcept(id string) bool {
	switch id {
	case "concept", "unknown", "behaviour", "source", "mention",
		"website_mention", "forum_mention", "abuse", "gray_usage", "mixing",
		"white_usage", "sexual_abuse", "child_sexual_abuse", "violence",
		"human_trafficking", "murder", "torture", "scam", "financial_crime",
		"investment_fraud", "ponzi_scheme", "pyramid_scheme",
		"money_laundering", "extortion", "sextortion", "phishing", "hacking",
		"service_hack", "account_hack", "exploit", "data_breach",
		"social_engineering", "malware", "drugs", "weapons",
		"payment_card_fraud", "ransomware", "sanction", "counterfeit",
		"extremism", "terrorism", "terrorism_financing", "dark_web", "entity",
		"organization", "user", "service", "victim", "perpetrator", "donation",
		"exchange", "wallet_service", "escrow_wallet", "ico_wallet",
		"cold_wallet", "hot_wallet", "warm_wallet", "filesharing", "index",
		"market", "messaging_service", "mixing_service", "coinjoin", "miner",
		"mining_service", "gambling", "search_engine", "shop", "faucet",
		"payment_processor", "atm", "hosting", "vpn", "nameservice", "defi",
		"defi_token", "defi_lending", "defi_dex", "defi_dex_pair",
		"defi_derivatives", "defi_bridge", "defi_dao", "defi_staking",
		"defi_custody", "item", "collectible":
		return true
	}
	return false
}

// explorerConcept maps an explorer's label slug (the label page's name, as
// in etherscan.io/accounts/label/<slug>) to a GraphSense concept id, or ""
// when no concept says the same thing. The mapping is deliberately narrow:
// a label is mapped only where the slug names the kind of service or abuse
// (an exchange's brand, a mixer, a phishing list); project names that could
// be anything, and vague flags ("high-risk", "something-fishy",
// "flagged-by-sec", "blocked", "spam-token"), stay unmapped and keep the
// slug in Fields["explorer_label"], so a screening rule cannot treat a
// guess as an attribution.
func explorerConcept(slug string) string {
	switch slug {
	// Centralised exchanges: the brand pages list their hot, cold and
	// deposit wallets.
	case "exchange", "binance", "binance-deposit", "coinbase", "kraken",
		"bitfinex", "bithumb", "bitmart", "bitmex", "bitstamp", "bittrex",
		"huobi", "kucoin", "okx", "gate-io", "gemini", "ftx", "poloniex",
		"upbit", "hitbtc", "hotbit", "crypto-com", "deribit", "korbit",
		"coinone", "latoken", "digifinex", "ascendex", "bgogo", "cobinhood",
		"coinbit", "coinhako", "coinmetro", "coinsquare", "coss-io", "crex24",
		"paribu", "quadrigacx", "remitano", "tidex", "topbtc",
		"yunbi", "zb-com", "hoo-com", "kryptono", "abcc", "allbit", "bitcoin-suisse",
		"canary-exchange", "changenow", "nexo", "wirex", "liquid", "lcx-ag":
		return "exchange"
	case "hot-wallet":
		return "hot_wallet"
	case "cold-wallet":
		return "cold_wallet"
	case "ico-wallets":
		return "ico_wallet"
	case "escrow":
		return "escrow_wallet"
	// Mixers. Tornado Cash's pools are the explorer's "tornado-cash" label.
	case "tornado-cash", "ethereum-mixer", "typhoon-cash", "typhoon-network":
		return "mixing_service"
	// Abuse, as the explorers and Forta name it: phish-hack is Etherscan's
	// phishing/hack flag; heist labels thieves of a service's funds
	// (Forta: "xToken Exploiter", Ronin); exploit labels exploit contracts
	// and their deployers.
	case "phish-hack":
		return "phishing"
	case "scam":
		return "scam"
	case "heist":
		return "service_hack"
	case "exploit", "compromised":
		return "exploit"
	case "ofac-sanctions-lists":
		return "sanction"
	case "gambling":
		return "gambling"
	case "mining", "f2pool", "miningpoolhub":
		return "mining_service"
	case "ens", "unstoppable-domains":
		return "nameservice"
	case "collectibles", "nft", "cryptokitties", "cryptopunks":
		return "collectible"
	case "marketplace", "opensea", "looksrare", "rarible", "superrare", "nifty-gateway":
		return "market"
	}
	return defiConcept(slug)
}

// defiConcept is explorerConcept's table for decentralised finance.
func defiConcept(slug string) string {
	switch slug {
	case "dex", "amm", "uniswap", "sushiswap", "pancakeswap", "1inch",
		"kyberswap", "paraswap", "curve-fi", "balancer", "0x-protocol",
		"airswap", "cow-protocol", "bancor", "dex-ag", "quickswap",
		"spookyswap", "spiritswap", "trader-joe", "pangolin", "mdex",
		"dexalot", "bscswap", "burgerswap", "wigoswap", "sudoswap", "dydx":
		return "defi_dex"
	case "lending", "loans", "aave", "compound", "maker", "liquity",
		"cream-finance", "venus-protocol", "benqi-finance", "hundred-finance",
		"alpaca-finance":
		return "defi_lending"
	case "bridge", "multichain", "wormhole", "hop-protocol", "connext",
		"celer-network", "synapse", "across-protocol", "anyswap",
		"optimism-bridge", "orbit-bridge", "interoperability-cross-chain":
		return "defi_bridge"
	case "dao", "governance", "compound-governance":
		return "defi_dao"
	case "staking", "lido", "rocket-pool":
		return "defi_staking"
	case "derivatives", "options-trading", "opyn", "synthetix", "premia", "lyra-finance":
		return "defi_derivatives"
	case "defi", "yield-farming", "farming", "yearn-finance", "vaults":
		return "defi"
	}
	return ""
}
