package guard

import (
	"fmt"
	"math/big"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"gopkg.in/yaml.v3"
)

// Policy is the large-transaction policy: above a threshold per asset, a
// transaction needs more confirmations than the Safe's threshold.
//
//	large_transactions:
//	  - asset: native                     # or an ERC-20 token address
//	    threshold: "100000000000000000000" # base units (here 100 ETH); above it the rule applies
//	    approvals: 4                       # confirmations the transaction must carry
//	    severity: high                     # of the finding when it does not (default high)
type Policy struct {
	Large []LargeRule `yaml:"large_transactions" json:"large_transactions"`
}

// LargeRule is one asset's rule.
type LargeRule struct {
	Asset     string   `yaml:"asset" json:"asset"`
	Threshold string   `yaml:"threshold" json:"threshold"`
	Approvals int      `yaml:"approvals" json:"approvals"`
	Severity  Severity `yaml:"severity" json:"severity"`

	native    bool
	token     common.Address
	threshold *big.Int
}

// LoadPolicy reads a policy file (YAML, or JSON, which YAML accepts).
func LoadPolicy(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return ParsePolicy(b, path)
}

// ParsePolicy parses and validates a policy; name is used in errors.
func ParsePolicy(b []byte, name string) (*Policy, error) {
	p := &Policy{}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil {
		return nil, fmt.Errorf("policy %s: %w", name, err)
	}
	for i := range p.Large {
		r := &p.Large[i]
		if r.Severity == Info {
			r.Severity = High
		}
		switch {
		case strings.EqualFold(r.Asset, "native") || strings.EqualFold(r.Asset, "eth"):
			r.native = true
		case common.IsHexAddress(r.Asset):
			r.token = common.HexToAddress(r.Asset)
		default:
			return nil, fmt.Errorf("policy %s: large_transactions[%d]: asset %q: want \"native\" or a token address", name, i, r.Asset)
		}
		t, err := ParseUint(r.Threshold)
		if err != nil {
			return nil, fmt.Errorf("policy %s: large_transactions[%d]: threshold: %w", name, i, err)
		}
		r.threshold = t
		if r.Approvals < 1 {
			return nil, fmt.Errorf("policy %s: large_transactions[%d]: approvals %d: want at least 1", name, i, r.Approvals)
		}
	}
	return p, nil
}
