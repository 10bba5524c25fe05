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

func tagSeverity(t intel.IndexedTag) Severity {
	text := strings.ToLower(t.Category + " " + t.Label + " " + t.Origin)
	switch {
	case has(text, "sanction", "ofac", "theft", "stolen", "hack", "exploit", "lazarus"):
		return Critical
	case has(text, "mixer", "mixing", "tornado", "scam", "phish", "ransom", "darknet", "malicious"):
		return High
	}
	return Info
}

func has(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
