package tagpack

import (
	"errors"
	"github.com/chainhound/chainhound/internal/intel"
	"strings"
	"testing"
)

const goodHeader = "title: t\ncreator: c\nsource: https://example.org\nconfidence: web_crawl\ncurrency: ETH\nlastmod: 2024-01-02\n"

// TestBadInput feeds broken packs through Decode, Validate and Convert;
// each must fail with a message naming the place and the problem.
func TestBadInput(t *testing.T) {
	cases := []struct{ name, pack, want string }{
		{"malformed YAML", "title: [unclosed\n", "x.yaml: malformed YAML"},
		{"duplicate key", goodHeader + "title: again\ntags:\n- address: '0x098b716b8aaf21512996dc57eb0615e2383e2f96'\n  label: a\n", `duplicate key "title"`},
		{"wrong type", goodHeader + "tags:\n- address: '0x098b716b8aaf21512996dc57eb0615e2383e2f96'\n  label: 42\n", "tag 0 (address 0x098b716b8aaf21512996dc57eb0615e2383e2f96, line 9): field label: must be text, not a number"},
		{"boolean type", goodHeader + "is_cluster_definer: maybe\ntags:\n- address: '0x098b716b8aaf21512996dc57eb0615e2383e2f96'\n  label: a\n", "field is_cluster_definer: must be true or false"},
		{"unknown confidence", goodHeader + "tags:\n- address: '0x098b716b8aaf21512996dc57eb0615e2383e2f96'\n  label: a\n  confidence: very_sure\n", `tag 0 (address 0x098b716b8aaf21512996dc57eb0615e2383e2f96, line 10): field confidence: "very_sure" is not a known confidence id`},
		{"unknown category", goodHeader + "tags:\n- address: '0x098b716b8aaf21512996dc57eb0615e2383e2f96'\n  label: a\n  category: villain\n", `field category: "villain" is not a known concept id`},
		{"unknown concept", goodHeader + "tags:\n- address: '0x098b716b8aaf21512996dc57eb0615e2383e2f96'\n  label: a\n  concepts: [exchange, villain]\n", `field concepts: "villain" is not a known concept id`},
		{"missing label", goodHeader + "tags:\n- address: '0x098b716b8aaf21512996dc57eb0615e2383e2f96'\n", "tag 0 (address 0x098b716b8aaf21512996dc57eb0615e2383e2f96, line 8): field label: mandatory tag field missing"},
		{"missing title", "creator: c\ntags: []\n", "header: field title: mandatory TagPack field missing"},
		{"unknown header field", goodHeader + "colour: red\ntags:\n- address: x\n  label: a\n", "field colour: field not allowed in a TagPack header"},
		{"no subject", goodHeader + "tags:\n- label: a\n", "a tag needs an address or a tx_hash"},
		{"null value", goodHeader + "tags:\n- address: '0x098b716b8aaf21512996dc57eb0615e2383e2f96'\n  label:\n", "field label: empty value (null)"},
		{"include refused", "header: !include /etc/passwd\ntags: []\n", "includes are not allowed"},
		{"invalid ETH address", goodHeader + "tags:\n- address: '0x098b716b8aaf21512996dc57eb0615e2383e2f9'\n  label: a\n- address: '0xZZ8b716b8aaf21512996dc57eb0615e2383e2f96'\n  label: b\n", "tag 0 (address 0x098b716b8aaf21512996dc57eb0615e2383e2f9, line 8): field address: invalid ETH address"},
		{"BTC address of another chain", goodHeader + "currency: BTC\ntags:\n- address: TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq\n  label: a\n", "version byte 41 is not one of this chain's"},
		{"bad BTC tx hash", goodHeader + "tags:\n- tx_hash: '0xdeadbeef'\n  label: a\n", "field tx_hash: transaction hash \"0xdeadbeef\" is not 64 hex digits"},
	}
	c := NewChecker()
	for _, tc := range cases {
		pack := strings.Replace(tc.pack, "currency: ETH\n", "", strings.Count(tc.pack, "currency:")-1)
		err := run(c, pack)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

func run(c *Checker, pack string) error {
	tp, err := Decode([]byte(pack), "x.yaml", nil)
	if err != nil {
		return err
	}
	if err := c.Validate(tp); err != nil {
		return err
	}
	_, _, err = c.Convert(tp)
	return err
}

// TestRejectedListsAll checks that Convert reports every invalid tag and
// still converts the valid ones.
func TestRejectedListsAll(t *testing.T) {
	pack := goodHeader + "tags:\n- address: bad1\n  label: a\n- address: '0x098b716b8aaf21512996dc57eb0615e2383e2f96'\n  label: b\n- address: bad2\n  label: c\n"
	c := NewChecker()
	tp, err := Decode([]byte(pack), "x.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	tags, _, err := c.Convert(tp)
	var rej Rejected
	if !errors.As(err, &rej) || len(rej) != 2 || rej[1].Index != 2 || len(tags) != 1 {
		t.Fatalf("got %d tags, %v", len(tags), err)
	}
}

// TestEIP55 checks that a bad checksum is a warning naming the address,
// and that good, all-lower and all-upper addresses pass silently.
func TestEIP55(t *testing.T) {
	good := "0x098B716B8Aaf21512996dC57EB0615e2383E2f96" // Lazarus Group, as OFAC lists it
	bad := "0x098b716B8Aaf21512996dC57EB0615e2383E2f96"
	c := NewChecker()
	for _, a := range []string{good, strings.ToLower(good), "0x" + strings.ToUpper(good[2:])} {
		tags, warn, err := convertOne(c, a)
		if err != nil || len(warn) != 0 || string(tags[0].Subject) != "eip155:1:"+strings.ToLower(good) {
			t.Errorf("%s: %v %v %v", a, tags, warn, err)
		}
	}
	tags, warn, err := convertOne(c, bad)
	if err != nil || len(tags) != 1 || len(warn) != 1 || !strings.Contains(warn[0].String(), "address "+bad+" has a bad EIP-55 checksum (want "+good+")") {
		t.Errorf("bad checksum: %v %v", warn, err)
	}
}

func convertOne(c *Checker, addr string) ([]intel.Tag, Warnings, error) {
	tp, err := Decode([]byte(goodHeader+"tags:\n- address: '"+addr+"'\n  label: a\n"), "x.yaml", nil)
	if err != nil {
		return nil, nil, err
	}
	return c.Convert(tp)
}
