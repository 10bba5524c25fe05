package chain

import (
	"strings"
	"testing"
)

func TestAddressCanonicalForms(t *testing.T) {
	a, err := ParseEVMAddress("0x47666Fab8bd0Ac7003bce3f5C3585383F09486E2")
	if err != nil {
		t.Fatal(err)
	}
	if got := a.String(); got != "0x47666fab8bd0ac7003bce3f5c3585383f09486e2" {
		t.Errorf("canonical text %s", got)
	}
	if got := a.CAIP10("eip155:1"); got != "eip155:1:0x47666fab8bd0ac7003bce3f5c3585383f09486e2" {
		t.Errorf("CAIP-10 %s", got)
	}
	var zero [20]byte
	if EVMAddress(zero).None() || (Address{}).String() != "" {
		t.Error("the EVM zero address must be a real address, distinct from none")
	}
	for _, bad := range []string{"", "0x1234", "0x" + strings.Repeat("g", 40), strings.Repeat("a", 41)} {
		if _, err := ParseEVMAddress(bad); err == nil {
			t.Errorf("ParseEVMAddress(%q) accepted", bad)
		}
	}
}

func TestAssetCAIP19RoundTrip(t *testing.T) {
	tok, _ := ParseEVMAddress("0xdac17f958d2ee523a2206206994597c13d831ec7")
	for _, a := range []Asset{NativeAsset, {Kind: ERC20, Contract: tok}, {Kind: ERC721, Contract: tok}} {
		s := a.CAIP19("eip155:1")
		back, err := ParseAsset(s)
		if err != nil || back != a {
			t.Errorf("%s: parsed back %+v, %v", s, back, err)
		}
	}
	if got := (Asset{Kind: ERC20, Contract: tok}).CAIP19("eip155:1"); got != "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7" {
		t.Errorf("CAIP-19 %s", got)
	}
	if a, err := ParseAsset("eip155:1/erc721:0xdac17f958d2ee523a2206206994597c13d831ec7/42"); err != nil || a.Kind != ERC721 {
		t.Errorf("CAIP-19 asset id with token id: %+v %v", a, err)
	}
	for _, bad := range []string{"erc20", "eip155:1/erc1155:0xdac17f958d2ee523a2206206994597c13d831ec7", "eip155:1/erc20:0x12"} {
		if _, err := ParseAsset(bad); err == nil {
			t.Errorf("ParseAsset(%q) accepted", bad)
		}
	}
}

func TestKindAndChainNames(t *testing.T) {
	for k := KindNative; k <= KindGenesis; k++ {
		back, err := ParseKind(k.String())
		if err != nil || back != k {
			t.Errorf("kind %d: %q parsed back as %d (%v)", k, k, back, err)
		}
	}
	if _, err := ParseKind("nft"); err == nil {
		t.Error("unknown kind accepted")
	}
	for _, c := range []Chain{Ethereum, Bitcoin} {
		if back, err := ParseChain(c.String()); err != nil || back != c {
			t.Errorf("chain %s: %v %v", c, back, err)
		}
	}
	if _, err := ParseHash("0x12"); err == nil {
		t.Error("short hash accepted")
	}
}
