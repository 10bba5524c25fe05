package labels

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
)

const sharedData = "../../../../shared/data"

func sharedDir(t *testing.T, rel string) string {
	t.Helper()
	d := filepath.Join(sharedData, rel)
	if _, err := os.Stat(d); err != nil {
		t.Skipf("%s absent (../shared/data is not in a fresh clone); skipping", d)
	}
	return d
}

// collector keeps the tags of chosen subjects and counts the rest.
type collector struct {
	want     map[intel.Subject]bool
	got      map[intel.Subject][]intel.Tag
	category map[string]int
	warnings int
}

func newCollector(subjects ...string) *collector {
	c := &collector{want: map[intel.Subject]bool{}, got: map[intel.Subject][]intel.Tag{}, category: map[string]int{}}
	for _, s := range subjects {
		c.want[intel.Subject(s)] = true
	}
	return c
}

func (c *collector) emit(t intel.Tag) error {
	if c.want[t.Subject] {
		c.got[t.Subject] = append(c.got[t.Subject], t)
	}
	c.category[t.Category]++
	if t.Fields["address_warning"] != "" {
		c.warnings++
	}
	return nil
}

// find returns the subject's tag whose explorer label is slug.
func (c *collector) find(t *testing.T, subject, slug string) intel.Tag {
	t.Helper()
	for _, tag := range c.got[intel.Subject(subject)] {
		if tag.Fields["explorer_label"] == slug {
			return tag
		}
	}
	t.Fatalf("%s: no tag with explorer label %q among %+v", subject, slug, c.got[intel.Subject(subject)])
	return intel.Tag{}
}

func TestEtherscanExportImports(t *testing.T) {
	dir := sharedDir(t, "etherscan-labels-brianleect/data")
	const (
		tornado = "eip155:1:0x12d66f87a04a9e220743712ce6d9bb1b5616b8fc"
		binance = "eip155:1:0x28c6c06298d514db089934071355e5743bf21d60"
		ofac    = "eip155:1:0x3ad9db589d201a710ed237c829c7860ba86510fc"
		busd    = "eip155:56:0xe9e7cea3dedca5984780bafc599bd69add087d56"
	)
	for _, e := range Explorers() {
		c := newCollector()
		st, err := ImportEtherscan(filepath.Join(dir, e.Dir), c.emit)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-11s %-12s %3d files, %5d rows, %5d tags (%5d mapped to a concept), %3d rows without address, %d EIP-55 warnings",
			e.Dir, e.Chain, st.Files, st.Rows, st.Tags, st.Tags-c.category[""], st.Skipped, c.warnings)
		if st.Tags == 0 {
			t.Errorf("%s: no tags", e.Dir)
		}
	}
	c := newCollector(tornado, binance, ofac, busd)
	if _, err := ImportEtherscan(dir, c.emit); err != nil {
		t.Fatal(err)
	}
	// Read from data/etherscan/accounts/tornado-cash.csv line 3.
	if tag := c.find(t, tornado, "tornado-cash"); tag.Label != "Tornado.Cash: 0.1 ETH" || tag.Category != "mixing_service" ||
		tag.Source != "https://etherscan.io/accounts/label/tornado-cash" || tag.Confidence != "web_crawl" {
		t.Errorf("Tornado Cash pool: %+v", tag)
	}
	if tag := c.find(t, binance, "binance"); tag.Label != "Binance 14" || tag.Category != "exchange" {
		t.Errorf("Binance 14: %+v", tag)
	}
	// ofac-sanctions-lists.csv has no name tags: the label page names it.
	if tag := c.find(t, ofac, "ofac-sanctions-lists"); tag.Category != "sanction" || tag.Label != "etherscan label ofac-sanctions-lists" {
		t.Errorf("OFAC-listed address: %+v", tag)
	}
	// bscscan/accounts/binance-pegged.csv: an unmapped label keeps the slug.
	if tag := c.find(t, busd, "binance-pegged"); tag.Category != "" || tag.Label != "Binance: BUSD Stablecoin" {
		t.Errorf("BUSD on BSC: %+v", tag)
	}
}

func TestFortaImports(t *testing.T) {
	dir := sharedDir(t, "forta-labelled-datasets/labels")
	const (
		ronin      = "eip155:1:0x036587e77eabe6a7e181886a5a6ed10dc25654f9"
		phisher    = "eip155:1:0x000000000532b45f47779fce440748893b257865"
		wintermute = "eip155:10:0x4f3a120e72c76c22ae802d129f599bfdbc31cb81"
		deployer   = "eip155:10:0x60b28637879b5a09d21b68040020ffbf7dba5107"
	)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.csv"))
	for _, f := range files {
		c := newCollector()
		st, err := ImportForta(f, c.emit)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d rows, %d tags, by category %v", f[len(dir)+1:], st.Rows, st.Tags, c.category)
	}
	c := newCollector(ronin, phisher, wintermute, deployer)
	if _, err := ImportForta(dir, c.emit); err != nil {
		t.Fatal(err)
	}
	// labels/1/etherscan_malicious_labels.csv line 294.
	if tag := c.find(t, ronin, "exploit"); tag.Label != "Ronin Bridge Exploiter 3" || tag.Category != "exploit" {
		t.Errorf("Ronin exploiter: %+v", tag)
	}
	// labels/1/phishing_scams.csv line 2.
	if tag := c.find(t, phisher, "phish-hack"); tag.Label != "Fake_Phishing3901" || tag.Category != "phishing" {
		t.Errorf("phisher: %+v", tag)
	}
	// labels/10/malicious_smart_contracts.csv: the contract and its deployer.
	if tag := c.find(t, wintermute, "exploit"); tag.Label != "Wintermute Exploiter Multisig" || tag.Fields["notes"] != "Wintermute Multisig Hack" {
		t.Errorf("Wintermute multisig: %+v", tag)
	}
	if tag := c.find(t, deployer, "exploit"); tag.Label != "Wintermute/OP Exploiter" || tag.Category != "exploit" {
		t.Errorf("Wintermute deployer: %+v", tag)
	}
}

func TestImportFormatDispatch(t *testing.T) {
	if _, err := Import("yaml", ".", func(intel.Tag) error { return nil }); err == nil {
		t.Error("unknown format accepted")
	}
	if !addrcheck.Known(addrcheck.Fantom) {
		t.Error("explorer chain unknown to addrcheck")
	}
}
