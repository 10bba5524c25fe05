package trace

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/chainhound/chainhound/internal/chain"
	"gopkg.in/yaml.v3"
)

// Policy says which attributed services are exits, which of them a trace
// stops at, and who can freeze what. It is read from YAML (LoadPolicy);
// DefaultPolicy documents the defaults.
type Policy struct {
	// ExitCategories are the categories (GraphSense concept ids, or any
	// category a label import gives) whose addresses are exits: places
	// where taint leaves the chain's traceable flow or can be frozen.
	ExitCategories []string `yaml:"exit_categories"`
	// StopAt are the exit categories a trace does not follow beyond.
	StopAt []string `yaml:"stop_at"`
	// FreezingVenues are the categories whose venues can freeze deposits
	// (custodial services that answer law enforcement).
	FreezingVenues []string `yaml:"freezing_venues"`
	// FreezableAssets are tokens whose issuer can freeze them wherever
	// they sit.
	FreezableAssets []FreezableAsset `yaml:"freezable_assets"`
}

// FreezableAsset is a token whose issuer can blacklist holders.
type FreezableAsset struct {
	Asset  string `yaml:"asset"`  // CAIP-19: eip155:1/erc20:0x…
	Issuer string `yaml:"issuer"` // who freezes: "Tether (USDT)"
}

// DefaultPolicy is the policy without a config file. Exits are the
// custodial and laundering venues; a trace stops at all of them, since
// past a custodial service or a mixer the ledger no longer says whose
// funds move. The freezable tokens are the two largest stablecoins on
// Ethereum mainnet, whose issuers blacklist addresses on request.
func DefaultPolicy() Policy {
	exits := []string{"exchange", "wallet_service", "payment_processor", "atm", "otc", "instant_exchange",
		"mixing_service", "coinjoin", "defi_bridge", "gambling", "market"}
	return Policy{
		ExitCategories: exits,
		StopAt:         slices.Clone(exits),
		FreezingVenues: []string{"exchange", "wallet_service", "payment_processor", "atm", "otc", "instant_exchange"},
		FreezableAssets: []FreezableAsset{
			{Asset: "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7", Issuer: "Tether (USDT)"},
			{Asset: "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", Issuer: "Circle (USDC)"},
		},
	}
}

// LoadPolicy reads a policy file. Keys it leaves out keep their defaults;
// an unknown key is an error, so that a misspelt one is not silently
// ignored.
func LoadPolicy(path string) (Policy, error) {
	p := DefaultPolicy()
	b, err := os.ReadFile(path)
	if err != nil {
		return p, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f struct {
		ExitCategories  *[]string         `yaml:"exit_categories"`
		StopAt          *[]string         `yaml:"stop_at"`
		FreezingVenues  *[]string         `yaml:"freezing_venues"`
		FreezableAssets *[]FreezableAsset `yaml:"freezable_assets"`
	}
	if err := dec.Decode(&f); err != nil {
		return p, fmt.Errorf("policy %s: %w", path, err)
	}
	for _, kv := range []struct {
		dst *[]string
		src *[]string
	}{{&p.ExitCategories, f.ExitCategories}, {&p.StopAt, f.StopAt}, {&p.FreezingVenues, f.FreezingVenues}} {
		if kv.src != nil {
			*kv.dst = *kv.src
		}
	}
	if f.FreezableAssets != nil {
		p.FreezableAssets = *f.FreezableAssets
	}
	if err := p.check(); err != nil {
		return p, fmt.Errorf("policy %s: %w", path, err)
	}
	return p, nil
}

func (p *Policy) check() error {
	for _, c := range p.StopAt {
		if !slices.Contains(p.ExitCategories, c) {
			return fmt.Errorf("stop_at names %q, which is not among exit_categories", c)
		}
	}
	for i, a := range p.FreezableAssets {
		if _, _, err := splitCAIP19(a.Asset); err != nil {
			return fmt.Errorf("freezable_assets[%d]: %w", i, err)
		}
		if a.Issuer == "" {
			return fmt.Errorf("freezable_assets[%d] (%s): no issuer", i, a.Asset)
		}
	}
	return nil
}

// splitCAIP19 reads "eip155:1/erc20:0x…" into its chain id and asset.
func splitCAIP19(s string) (string, chain.Asset, error) {
	caip2, rest, ok := strings.Cut(s, "/")
	if !ok || !strings.Contains(caip2, ":") {
		return "", chain.Asset{}, fmt.Errorf("asset %q: want a CAIP-19 id such as eip155:1/erc20:0x…", s)
	}
	a, err := chain.ParseAsset(caip2 + "/" + rest)
	return caip2, a, err
}

// Exits returns the exit policy of a trace on the chain caip2 with these
// services; stopAt, when not nil, replaces the policy's stop_at (it may
// name categories that are not exits by default: they become exits).
func (p Policy) Exits(caip2 string, services func(exitCategories []string) Services, stopAt []string) (*Exits, error) {
	exitCats, stop := p.ExitCategories, p.StopAt
	if stopAt != nil {
		stop = stopAt
		for _, c := range stopAt {
			if !slices.Contains(exitCats, c) {
				exitCats = append(slices.Clone(exitCats), c)
			}
		}
	}
	freezable := map[chain.Asset]string{}
	for _, f := range p.FreezableAssets {
		c, a, err := splitCAIP19(f.Asset)
		if err != nil {
			return nil, err
		}
		if c == caip2 {
			freezable[a] = f.Issuer
		}
	}
	return &Exits{
		Services: services(exitCats),
		Stop:     func(c string) bool { return slices.Contains(stop, c) },
		Freezable: func(a chain.Asset) (string, bool) {
			s, ok := freezable[a]
			return s, ok
		},
	}, nil
}
