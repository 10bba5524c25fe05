package tagpack

import "strings"

// The taxonomies below are those of the GraphSense TagPack tool
// (graphsense-tagpack-tool, src/tagpack/db at a14a159, 2025-09-04), written
// out here because chainhound may not ship the tool's data files.
// TestTaxonomyMatchesTool compares them with the tool's files.

// ConfidenceLevels maps each confidence id of the TagPack taxonomy to its
// level (0-100): the higher, the surer. It returns a new map on every call so
// callers cannot change the package's view.
func ConfidenceLevels() map[string]int {
	return map[string]int{
		"override":               100,
		"ownership":              100,
		"ledger_immanent":        100,
		"manual_transaction":     90,
		"service_api":            70,
		"forensic_investigation": 70,
		"authority_data":         60,
		"trusted_provider":       50,
		"service_data":           50,
		"forensic":               50,
		"untrusted_transaction":  40,
		"web_crawl":              20,
		"heuristic":              10,
		"unknown":                5,
	}
}

// DefaultConfidence is the level a tag gets when neither it nor its pack
// names one. The TagPack tool does the same: it falls back to its lowest
// level rather than rejecting the pack.
const DefaultConfidence = "unknown"

// conceptIDs are the ids of the concepts taxonomy (concepts.yaml). Note
// that the tool keys one entry "defi_derivatives" but gives it the id
// "defi_derivative"; the id is what packs use, so the id is listed.
const conceptIDs = `abuse account_hack atm behaviour child_sexual_abuse coinjoin
cold_wallet collectible concept counterfeit dark_web data_breach defi defi_bridge
defi_custody defi_dao defi_derivative defi_dex defi_dex_pair defi_lending
defi_staking defi_token donation drugs entity escrow_wallet exchange exploit
extortion extremism faucet filesharing financial_crime forum_mention gambling
gray_usage hacking hosting hot_wallet human_trafficking ico_wallet index
investment_fraud item malware market mention messaging_service miner
mining_service mixing mixing_service money_laundering murder nameservice
organization payment_card_fraud payment_processor perpetrator phishing
ponzi_scheme pyramid_scheme ransomware sanction scam search_engine service
service_hack sextortion sexual_abuse shop social_engineering source terrorism
terrorism_financing torture unknown user victim violence vpn wallet_service
warm_wallet weapons website_mention white_usage`

// tagTypeIDs are the ids of the tag_types taxonomy (tag_types.csv).
const tagTypeIDs = `actor event mention`

// countryIDs are the ISO 3166-1 alpha-2 codes of the country taxonomy
// (countries.csv), which ActorPack jurisdictions must use.
const countryIDs = `AF AX AL DZ AS AD AO AI AQ AG AR AM AW AU AT AZ BS BH BD BB BY
BE BZ BJ BM BT BO BQ BA BW BV BR IO BN BG BF BI KH CM CA CV KY CF TD CL CN CX CC
CO KM CG CD CK CR CI HR CU CW CY CZ DK DJ DM DO EC EG SV GQ ER EE ET FK FO FJ FI
FR GF PF TF GA GM GE DE GH GI GR GL GD GP GU GT GG GN GW GY HT HM VA HN HK HU IS
IN ID IR IQ IE IM IL IT JM JP JE JO KZ KE KI KP KR KW KG LA LV LB LS LR LY LI LT
LU MO MK MG MW MY MV ML MT MH MQ MR MU YT MX FM MD MC MN ME MS MA MZ MM NA NR NP
NL NC NZ NI NE NG NU NF MP NO OM PK PW PS PA PG PY PE PH PN PL PT PR QA RE RO RU
RW BL SH KN LC MF PM VC WS SM ST SA SN RS SC SL SG SX SK SI SB SO ZA GS SS ES LK
SD SR SJ SZ SE CH SY TW TJ TZ TH TL TG TK TO TT TN TR TM TC TV UG UA AE GB US UM
UY UZ VU VE VN VG VI WF EH YE ZM ZW`

// Taxonomy names a set of allowed ids that a schema field draws from.
type Taxonomy string

// The taxonomies the schemas refer to.
const (
	TaxConcept    Taxonomy = "concept"
	TaxConfidence Taxonomy = "confidence"
	TaxTagType    Taxonomy = "tag_type"
	TaxCountry    Taxonomy = "country"
)

// Taxonomies holds the id sets of every taxonomy, built once per
// validator so that lookups are map hits.
type Taxonomies map[Taxonomy]map[string]bool

// NewTaxonomies returns the taxonomies embedded in this package.
func NewTaxonomies() Taxonomies {
	conf := map[string]bool{}
	for id := range ConfidenceLevels() {
		conf[id] = true
	}
	return Taxonomies{
		TaxConcept:    set(conceptIDs),
		TaxConfidence: conf,
		TaxTagType:    set(tagTypeIDs),
		TaxCountry:    set(countryIDs),
	}
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// Has reports whether id belongs to taxonomy t.
func (tx Taxonomies) Has(t Taxonomy, id string) bool { return tx[t][id] }
