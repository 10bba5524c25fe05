package addrcheck

import (
	"errors"
	"strings"
	"testing"
)

// EIP-55's own examples (https://eips.ethereum.org/EIPS/eip-55).
func TestEIP55Vectors(t *testing.T) {
	for _, a := range []string{
		// All caps
		"0x52908400098527886E0F7030069857D2E4169EE7",
		"0x8617E340B3D01FA5F11F306F4090FD50E238070D",
		// All lower
		"0xde709f2102306220921060314715629080e2fb77",
		"0x27b1fdb04752bbc536007a920d24acb045561c26",
		// Normal
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
		"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
		"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	} {
		got, warn, err := Normalize(Ethereum, a)
		if err != nil || warn != "" {
			t.Errorf("%s: err %v, warning %q", a, err, warn)
		}
		if got != strings.ToLower(a) {
			t.Errorf("%s: canonical %s, want lower case", a, got)
		}
		if mixed := a[2:] != strings.ToLower(a[2:]) && a[2:] != strings.ToUpper(a[2:]); mixed && eip55(strings.ToLower(a[2:])) != a {
			t.Errorf("eip55(%s) = %s", a, eip55(strings.ToLower(a[2:])))
		}
	}
}

func TestEIP55BadChecksumWarns(t *testing.T) {
	bad := "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD" // last letter's case flipped
	got, warn, err := Normalize(Ethereum, bad)
	if err != nil {
		t.Fatalf("a bad checksum must not be an error: %v", err)
	}
	if got != strings.ToLower(bad) || !strings.Contains(warn, bad) || !strings.Contains(warn, "EIP-55") {
		t.Errorf("canonical %s, warning %q: want lower case and a warning naming the address", got, warn)
	}
}

// BIP-350's valid addresses (which include BIP-173's, corrected for
// bech32m), each with the chain its prefix belongs to.
func TestSegwitValidVectors(t *testing.T) {
	for _, a := range []string{
		"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
		"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
		"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
		"BC1SW50QGDZ25J",
		"bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
		"tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
		"tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
	} {
		chain := Bitcoin
		if strings.HasPrefix(strings.ToLower(a), "tb1") {
			chain = BitcoinTestnet
		}
		got, _, err := Normalize(chain, a)
		if err != nil {
			t.Errorf("%s: %v", a, err)
		} else if got != strings.ToLower(a) {
			t.Errorf("%s: canonical %s, want lower case", a, got)
		}
	}
}

// BIP-173's and BIP-350's invalid addresses, checked against both Bitcoin
// networks so that a wrong prefix cannot pass on the other one.
func TestSegwitInvalidVectors(t *testing.T) {
	for _, a := range []string{
		// BIP-173
		"tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty",
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
		"BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2",
		"bc1rw5uspcuh",
		"bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
		"BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
		"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7",
		"bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",
		"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv",
		"bc1gmk9yu",
		// BIP-350
		"tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
		"tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
		"BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
		"tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
		"bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
		"BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
		"bc1pw5dgrnzv",
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
		"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
		"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
	} {
		for _, chain := range []string{Bitcoin, BitcoinTestnet} {
			if got, _, err := Normalize(chain, a); err == nil {
				t.Errorf("%s on %s: accepted as %s", a, chain, got)
			}
		}
	}
}

// Addresses from each family's documentation or well-known accounts, with
// the canonical form expected.
func TestKnownAddresses(t *testing.T) {
	for _, c := range []struct{ chain, in, want string }{
		{Bitcoin, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", ""}, // genesis coinbase
		{Bitcoin, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", ""}, // BIP-13 era P2SH example
		// cashaddr spec's examples: one key in legacy and cashaddr form.
		{BitcoinCash, "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"},
		{BitcoinCash, "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"},
		{BitcoinCash, "3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC", "ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq"},
		// BSV canonical form is base58: its cashaddr (the same spec pair)
		// becomes the legacy address, and the legacy one stays as written.
		{BitcoinSV, "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", ""},
		{BitcoinSV, "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu"},
		{BitcoinSV, "ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq", "3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC"},
		// Wallets published in GraphSense TagPacks (exchange-wallets-huobi,
		// exchange-wallets-bitfinexcom, ofac.yaml).
		{Dogecoin, "DFCT8ZPq6MytZU3HSvbTJevxt4MLq2Xasu", ""},
		{Dogecoin, "DQQckuSMsiFjaAdGiNjvDyswcz9RWQU2xe", ""},
		{BitcoinGold, "GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpS", ""},
		{Tron, "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", ""},
		{XRPL, "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", ""}, // genesis account
		{Solana, "11111111111111111111111111111111", ""}, // system program
		{Monero, "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A", ""},
	} {
		got, _, err := Normalize(c.chain, c.in)
		want := c.want
		if want == "" {
			want = c.in
		}
		if err != nil || got != want {
			t.Errorf("%s %s: got %q, %v; want %q", c.chain, c.in, got, err, want)
		}
	}
}

func TestErrorsSayWhat(t *testing.T) {
	for _, c := range []struct {
		chain, in string
		want      error
	}{
		{Bitcoin, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", ErrChecksum},
		{Bitcoin, "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", ErrPrefix}, // a Tron address
		{Tron, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", ErrPrefix},
		{Dogecoin, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", ErrPrefix},
		{BitcoinSV, "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6c", ErrChecksum},
		{Ethereum, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA", ErrLength},
		{Ethereum, "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", ErrPrefix},
		{Ethereum, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", ErrCharset},
		{Solana, "1111111111111111111111111111111", ErrLength},
		{Bitcoin, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0", ErrCharset},
		{"bip122:ffff", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", ErrUnknownChain},
		{Monero, "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3B", ErrChecksum},
	} {
		_, _, err := Normalize(c.chain, c.in)
		if !errors.Is(err, c.want) {
			t.Errorf("%s %s: error %v, want %v", c.chain, c.in, err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.chain) {
			t.Errorf("error %q does not name the chain", err)
		}
	}
}

func TestCAIP10AndAny(t *testing.T) {
	acct, _, err := CAIP10(Ethereum, "0x098B716B8Aaf21512996dC57EB0615e2383E2f96")
	if err != nil || acct != "eip155:1:0x098b716b8aaf21512996dc57eb0615e2383e2f96" {
		t.Errorf("CAIP10 = %q, %v", acct, err)
	}
	chain, _, _, err := NormalizeAny(SDNAssetChains("USDT"), "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7")
	if err != nil || chain != Tron {
		t.Errorf("USDT on Tron: chain %q, %v", chain, err)
	}
	chain, _, _, err = NormalizeAny(SDNAssetChains("BNB"), "0x098B716B8Aaf21512996dC57EB0615e2383E2f96")
	if err != nil || chain != BNBSmartChain {
		t.Errorf("BNB as 0x…: chain %q, %v; want BNB Smart Chain", chain, err)
	}
	for _, c := range Chains() {
		if !Known(c) {
			t.Errorf("%s listed by Chains but not Known", c)
		}
	}
}

// TestBitcoinGoldID pins the provisional Bitcoin Gold id that the SDN and
// TagPack importers share (see BitcoinGold): changing it renames every BTG
// subject in a store, so it must be a deliberate edit of this test too.
func TestBitcoinGoldID(t *testing.T) {
	if BitcoinGold != "btg:mainnet" {
		t.Errorf("BitcoinGold = %q", BitcoinGold)
	}
	if SDNAssetChains("BTG")[0] != BitcoinGold {
		t.Errorf("SDN BTG on %v", SDNAssetChains("BTG"))
	}
}
