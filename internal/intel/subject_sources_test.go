package intel_test

import (
	"testing"

	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
	"github.com/chainhound/chainhound/internal/intel/sdn"
	"github.com/chainhound/chainhound/internal/intel/tagpack"
)

// TestSameAddressSameSubject reads one address as an OFAC SDN list writes
// it, as a TagPack writes it and as a label file (through addrcheck.CAIP10,
// which the labels importer calls) writes it, each in a different but
// equivalent form, and expects one subject: lookups across sources depend
// on it.
func TestSameAddressSameSubject(t *testing.T) {
	for _, c := range []struct {
		name                  string
		asset, sdnAddr        string // OFAC asset code and address
		currency, packAddr    string // TagPack currency and address
		labelChain, labelAddr string // label file chain and address
		want                  intel.Subject
	}{
		{"BCH legacy (OFAC's sanctioned_addresses_BCH.txt) and cashaddr",
			"BCH", "18M8bJWMzWHDBMxoLqjHHAffdRy4SrzkfB",
			"BCH", "bitcoincash:qpgf0ztxq3mwfq6eg5versgfdzq9c3pwv5jsk6wnay",
			addrcheck.BitcoinCash, "qpgf0ztxq3mwfq6eg5versgfdzq9c3pwv5jsk6wnay",
			"bip122:000000000000000000b15ad892af8f6a:qpgf0ztxq3mwfq6eg5versgfdzq9c3pwv5jsk6wnay"},
		{"EVM EIP-55 mixed case (Lazarus Group) and lower case",
			"ETH", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96",
			"ETH", "0x098b716b8aaf21512996dc57eb0615e2383e2f96",
			addrcheck.Ethereum, "0x098B716B8AAF21512996DC57EB0615E2383E2F96",
			"eip155:1:0x098b716b8aaf21512996dc57eb0615e2383e2f96"},
		{"bech32 upper case (BIP-173 example) and lower case",
			"XBT", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
			"BTC", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
			addrcheck.Bitcoin, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
			"bip122:000000000019d6689c085ae165831e93:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		{"BNB Beacon Chain bech32 (OFAC's one bnb1 address), upper case in the pack",
			"BNB", "bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf23",
			"BEP2", "BNB136NS6LFW4ZS5HG4N85VDTHAAD7HQ5M4GTKGF23",
			addrcheck.BNBBeaconChain, "bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf23",
			"cosmos:Binance-Chain-Tigris:bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf23"},
		{"Bitcoin Gold (ofac.yaml) on the one provisional BTG chain",
			"BTG", "GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpS",
			"BTG", "GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpS",
			addrcheck.BitcoinGold, "GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpS",
			intel.Subject(addrcheck.BitcoinGold + ":GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpS")},
		{"USDT on Tron, placed by the address's form",
			"USDT", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7",
			"USDT", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7",
			addrcheck.Tron, "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7",
			"tron:728126428:TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := sdn.Place(c.asset, c.sdnAddr)
			if err != nil || p.Subject != c.want {
				t.Errorf("SDN %s %s: subject %q (%v), want %q", c.asset, c.sdnAddr, p.Subject, err, c.want)
			}
			if got := packSubject(t, c.currency, c.packAddr); got != c.want {
				t.Errorf("TagPack %s %s: subject %q, want %q", c.currency, c.packAddr, got, c.want)
			}
			acct, _, err := addrcheck.CAIP10(c.labelChain, c.labelAddr)
			if err != nil || intel.Subject(acct) != c.want {
				t.Errorf("label %s %s: subject %q (%v), want %q", c.labelChain, c.labelAddr, acct, err, c.want)
			}
		})
	}
}

// packSubject converts a one-tag TagPack and returns the tag's subject.
func packSubject(t *testing.T, currency, addr string) intel.Subject {
	t.Helper()
	pack := "title: t\ncreator: c\nsource: https://example.org\nconfidence: web_crawl\nlastmod: 2024-01-02\n" +
		"currency: " + currency + "\ntags:\n- address: '" + addr + "'\n  label: a\n"
	tp, err := tagpack.Decode([]byte(pack), "x.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	tags, _, err := tagpack.NewChecker().Convert(tp)
	if err != nil || len(tags) != 1 {
		t.Fatalf("TagPack %s %s: %v %v", currency, addr, tags, err)
	}
	return tags[0].Subject
}
