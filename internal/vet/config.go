package vet

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/chainhound/chainhound/internal/vet/names"
)

//go:embed config.yaml
var defaultYAML []byte

// DefaultYAML is the configuration file with the documented defaults.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Config is vet's configuration: the key, the name-matching thresholds,
// the linking rules and the indicators (config.yaml documents each).
type Config struct {
	KeyFile string     `yaml:"key_file" json:"key_file"`
	Names   NameConfig `yaml:"names" json:"names"`
	Wallets struct {
		Direction string `yaml:"direction" json:"direction"`
	} `yaml:"wallets" json:"wallets"`
	Linking    LinkConfig `yaml:"linking" json:"linking"`
	Indicators Indicators `yaml:"indicators" json:"indicators"`
}

// NameConfig sets name screening.
type NameConfig struct {
	Threshold         float64 `yaml:"threshold" json:"threshold"`
	names.Adjustments `yaml:",inline" json:"adjustments"`
	SevereFrom        float64 `yaml:"severe_from" json:"severe_from"`
}

// LinkConfig sets identity linking.
type LinkConfig struct {
	IPv4Prefix   int                `yaml:"ipv4_prefix" json:"ipv4_prefix"`
	IPv6Prefix   int                `yaml:"ipv6_prefix" json:"ipv6_prefix"`
	MaxShared    int                `yaml:"max_shared" json:"max_shared"`
	CVSimilarity float64            `yaml:"cv_similarity" json:"cv_similarity"`
	LinkAt       float64            `yaml:"link_at" json:"link_at"`
	Weights      map[string]float64 `yaml:"weights" json:"weights"`
}

// Indicators sets the indicator checks.
type Indicators struct {
	VoIPPrefixes      []Labelled        `yaml:"voip_prefixes" json:"voip_prefixes"`
	HostingRanges     []Labelled        `yaml:"hosting_ranges" json:"hosting_ranges"`
	WorkingHours      [2]int            `yaml:"working_hours" json:"working_hours"`
	MinActivity       int               `yaml:"min_activity" json:"min_activity"`
	TimezoneTolerance int               `yaml:"timezone_tolerance_hours" json:"timezone_tolerance_hours"`
	CountryTimezones  map[string]string `yaml:"country_timezones" json:"country_timezones"`
}

// Labelled is a phone prefix or an address range with what it is.
type Labelled struct {
	Prefix string `yaml:"prefix,omitempty" json:"prefix,omitempty"`
	CIDR   string `yaml:"cidr,omitempty" json:"cidr,omitempty"`
	Label  string `yaml:"label" json:"label"`
}

// DefaultConfig is config.yaml.
func DefaultConfig() Config {
	var c Config
	if err := yaml.Unmarshal(defaultYAML, &c); err != nil {
		panic("vet: config.yaml: " + err.Error())
	}
	return c
}

// LoadConfig reads a configuration file over the defaults; an empty path
// gives the defaults. Unknown keys and bad values are errors naming them.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if path == "" {
		return c, c.check()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.check(); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func (c *Config) check() error {
	n := c.Names
	if n.Threshold <= 0 || n.Threshold > 1 || n.SevereFrom < n.Threshold || n.SevereFrom > 1 {
		return fmt.Errorf("names: want 0 < threshold <= severe_from <= 1")
	}
	if d := c.Wallets.Direction; d != "in" && d != "out" && d != "both" {
		return fmt.Errorf("wallets.direction %q: want in, out or both", d)
	}
	l := c.Linking
	if l.IPv4Prefix < 8 || l.IPv4Prefix > 32 || l.IPv6Prefix < 16 || l.IPv6Prefix > 128 {
		return fmt.Errorf("linking: want ipv4_prefix 8-32 and ipv6_prefix 16-128")
	}
	if l.MaxShared < 2 || l.LinkAt <= 0 || l.CVSimilarity <= 0 || l.CVSimilarity > 1 {
		return fmt.Errorf("linking: want max_shared >= 2, link_at > 0, 0 < cv_similarity <= 1")
	}
	for k, w := range l.Weights {
		if !contains(attrKinds, k) || w < 0 {
			return fmt.Errorf("linking.weights.%s: want one of %s with a weight >= 0", k, strings.Join(attrKinds, ", "))
		}
	}
	in := c.Indicators
	for _, p := range in.VoIPPrefixes {
		if n, ok := NormalizePhone(p.Prefix + "0000000"); !ok || !strings.HasPrefix(n, p.Prefix) {
			return fmt.Errorf("indicators.voip_prefixes: %q: want + and digits", p.Prefix)
		}
	}
	for _, r := range in.HostingRanges {
		if _, err := netip.ParsePrefix(r.CIDR); err != nil {
			return fmt.Errorf("indicators.hosting_ranges: %q: %v", r.CIDR, err)
		}
	}
	if h := in.WorkingHours; h[0] < 0 || h[1] > 24 || h[0] >= h[1] {
		return fmt.Errorf("indicators.working_hours: want [from, to) with 0 <= from < to <= 24")
	}
	for cc, tz := range in.CountryTimezones {
		if _, err := time.LoadLocation(tz); err != nil || len(cc) != 2 {
			return fmt.Errorf("indicators.country_timezones.%s: %q is not an IANA zone", cc, tz)
		}
	}
	return nil
}
