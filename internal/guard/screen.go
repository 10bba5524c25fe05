package guard

import (
	"context"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/internal/intel"
)

// Screener says what is known against an address. The guard asks it about
// every recipient, spender, new owner, module, guard and handler a
// transaction names. The risk engine (exposure within hops) will implement
// it later; IntelScreener is the direct-attribution version.
type Screener interface {
	Screen(ctx context.Context, chainID *big.Int, addr common.Address) ([]Hit, error)
}

// Hit is one attribution of a screened address.
type Hit struct {
	Severity Severity `json:"severity"`
	Label    string   `json:"label"`
	Category string   `json:"category,omitempty"`
	Source   string   `json:"source"`
}

// IntelScreener screens against the attribution index: sanctioned and
// stolen-funds tags are critical, mixers and scams high, anything else
// informational. Tags of the address on any EVM chain count: a sanctioned
// party's address is the same key on every chain.
type IntelScreener struct{ Index *intel.Index }

// Screen implements Screener.
func (s IntelScreener) Screen(_ context.Context, _ *big.Int, addr common.Address) ([]Hit, error) {
	var hits []Hit
	for _, subj := range s.Index.Subjects(strings.ToLower(addr.Hex())) {
		if !strings.HasPrefix(string(subj), "eip155:") {
			continue
		}
		for _, t := range s.Index.Tags(subj) {
			src := t.Source
			if src == "" {
				src = t.Origin
			}
			hits = append(hits, Hit{Severity: tagSeverity(t), Label: t.Label, Category: t.Category, Source: src})
		}
	}
	return hits, nil
}

// Severity by category: GraphSense concept ids (and a few plain words a
// CSV import may carry), matched as the whole category or as whole words
// of it. Never from the label or the import's origin: a victim's signer
// imported from "bybit_hack_addresses.csv", the security firm Hacken or a
// hackathon wallet are not thieves.
var (
	criticalCategories = map[string]bool{
		"sanction": true, "sanctions": true, "sanctioned": true, "ofac": true,
		"perpetrator": true, "exploit": true, "exploiter": true, "hacking": true, "hack": true, "hacker": true,
		"service_hack": true, "theft": true, "thief": true, "stolen": true, "stolen_funds": true, "heist": true,
		"terrorism_financing": true, "terrorist_financing": true,
	}
	highCategories = map[string]bool{
		"mixing_service": true, "mixer": true, "mixing": true, "scam": true, "scammer": true, "phishing": true, "phish": true,
		"ransomware": true, "ransom": true, "darknet_market": true, "darknet": true, "malware": true, "fraud": true,
		"ponzi_scheme": true, "extortion": true, "malicious": true,
	}
)

func tagSeverity(t intel.IndexedTag) Severity {
	cat := strings.ToLower(strings.TrimSpace(t.Category))
	words := strings.FieldsFunc(cat, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
	for _, w := range words {
		if w == "victim" || w == "victims" {
			return Info
		}
	}
	norm := strings.Join(words, "_")
	sev := Info
	for _, w := range append([]string{norm}, words...) {
		switch {
		case criticalCategories[w]:
			return Critical
		case highCategories[w]:
			sev = High
		}
	}
	return sev
}
