package trace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

func TestLoadPolicy(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "p.yaml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Keys left out keep their defaults; the ones given replace them.
	p, err := LoadPolicy(write("stop_at: [mixing_service]\nfreezable_assets:\n  - {asset: \"eip155:5/erc20:0x00000000000000000000000000000000000000aa\", issuer: Test}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.StopAt) != 1 || len(p.ExitCategories) != len(DefaultPolicy().ExitCategories) || len(p.FreezableAssets) != 1 {
		t.Fatalf("policy %+v", p)
	}
	x, err := p.Exits("eip155:5", func([]string) Services { return services{} }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if who, ok := x.Freezable(chain.Asset{Kind: chain.ERC20, Contract: eth(0xaa)}); !ok || who != "Test" || x.Stop("exchange") || !x.Stop("mixing_service") {
		t.Errorf("exits: freezable %q %v, stop exchange %v", who, ok, x.Stop("exchange"))
	}
	if _, ok := x.Freezable(chain.NativeAsset); ok {
		t.Error("ether freezable")
	}
	for _, tc := range []struct{ body, want string }{
		{"stop_at: [exchange]\nstopat: [x]\n", "stopat"},
		{"stop_at: [pizzeria]\n", "not among exit_categories"},
		{"freezable_assets:\n  - {asset: usdt, issuer: T}\n", "CAIP-19"},
		{"freezable_assets:\n  - {asset: \"eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7\"}\n", "no issuer"},
		{"stop_at: [\n", "p.yaml"},
	} {
		if _, err := LoadPolicy(write(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error with %q", tc.body, err, tc.want)
		}
	}
}
