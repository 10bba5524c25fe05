// Package risk screens addresses for direct and indirect exposure to risk
// categories (sanctions, stolen funds, mixers...). Direct hits are the
// attribution store's tags on the address; indirect exposure is the
// haircut taint an address received from each category's addresses over a
// few hops, computed by the trace engine (internal/trace) and kept up to
// date block by block in an exposure store (DATA/risk), so that a screen
// is a lookup.
package risk

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Severity orders screening outcomes.
type Severity uint8

// Severities, from none to severe.
const (
	None Severity = iota
	Low
	Medium
	High
	Severe
)

var severityNames = [...]string{"none", "low", "medium", "high", "severe"}

func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", s)
}

// ParseSeverity reads a severity name.
func ParseSeverity(v string) (Severity, error) {
	if i := slices.Index(severityNames[:], strings.ToLower(strings.TrimSpace(v))); i >= 0 {
		return Severity(i), nil
	}
	return None, fmt.Errorf("severity %q: want one of %s", v, strings.Join(severityNames[:], ", "))
}

// MarshalText writes the name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Policy is what a screen applies: the categories, the severity of a
// direct hit in each, the thresholds of indirect exposure, the hops and
// their decay. DefaultPolicy (policy.yaml) documents the defaults.
type Policy struct {
	MaxHops  int     `yaml:"max_hops" json:"max_hops"`
	HopDecay float64 `yaml:"hop_decay" json:"hop_decay"`
	// EntityExposure says what the indirect exposure of the screened
	// address's entity does to the result: EntityGrade (the default)
	// makes the severity and score the higher of the address's and the
	// entity's; EntityReport shows it without grading it.
	EntityExposure string     `yaml:"entity_exposure" json:"entity_exposure"`
	Categories     []Category `yaml:"categories" json:"categories"`
}

// The values of Policy.EntityExposure.
const (
	EntityGrade  = "grade"
	EntityReport = "report"
)

// Category is one risk category.
type Category struct {
	Name     string      `yaml:"name" json:"name"`
	Tags     []string    `yaml:"tags" json:"tags"`
	Direct   Severity    `yaml:"direct" json:"direct"`
	Indirect []Threshold `yaml:"indirect" json:"indirect"`
}

// Threshold: an effective share at or above Share is Severity.
type Threshold struct {
	Share    float64  `yaml:"share" json:"share"`
	Severity Severity `yaml:"severity" json:"severity"`
}

//go:embed policy.yaml
var defaultYAML []byte

// DefaultYAML is the default policy as its documented YAML.
func DefaultYAML() []byte { return slices.Clone(defaultYAML) }

// DefaultPolicy is the policy without a config file.
func DefaultPolicy() Policy {
	p, err := ParsePolicy(defaultYAML, Policy{})
	if err != nil {
		panic("risk: the embedded default policy is invalid: " + err.Error())
	}
	return p
}

// LoadPolicy reads a policy file over the defaults.
func LoadPolicy(path string) (Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Policy{}, fmt.Errorf("risk policy: %w", err)
	}
	p, err := ParsePolicy(b, DefaultPolicy())
	if err != nil {
		return Policy{}, fmt.Errorf("risk policy %s: %w", path, err)
	}
	return p, nil
}

// ParsePolicy reads YAML over base: keys it names replace base's.
func ParsePolicy(b []byte, base Policy) (Policy, error) {
	p := base
	p.Categories = slices.Clone(base.Categories)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && err.Error() != "EOF" {
		return Policy{}, err
	}
	return p, p.Check()
}

// Check refuses a policy a screen could misread.
func (p *Policy) Check() error {
	if p.MaxHops < 1 || p.MaxHops > 10 {
		return fmt.Errorf("max_hops %d: want 1 to 10", p.MaxHops)
	}
	if !(p.HopDecay > 0 && p.HopDecay <= 1) {
		return fmt.Errorf("hop_decay %v: want a number in (0, 1]", p.HopDecay)
	}
	if p.EntityExposure != EntityGrade && p.EntityExposure != EntityReport {
		return fmt.Errorf("entity_exposure %q: want %s or %s", p.EntityExposure, EntityGrade, EntityReport)
	}
	if len(p.Categories) == 0 {
		return fmt.Errorf("no categories")
	}
	names, tags := map[string]bool{}, map[string]string{}
	for i, c := range p.Categories {
		where := fmt.Sprintf("categories[%d] (%s)", i, c.Name)
		if c.Name == "" || strings.ContainsAny(c.Name, "/ \t\x00:") {
			return fmt.Errorf("%s: a name without spaces, slashes, colons or NUL is needed", where)
		}
		if names[c.Name] {
			return fmt.Errorf("%s: named twice", where)
		}
		names[c.Name] = true
		if len(c.Tags) == 0 {
			return fmt.Errorf("%s: no tags", where)
		}
		for _, t := range c.Tags {
			if o, dup := tags[t]; dup {
				return fmt.Errorf("%s: tag category %q is already in %s", where, t, o)
			}
			tags[t] = c.Name
		}
		for j, th := range c.Indirect {
			if !(th.Share >= 0 && th.Share <= 1) || math.IsNaN(th.Share) {
				return fmt.Errorf("%s: indirect[%d]: share %v: want 0 to 1", where, j, th.Share)
			}
			if j > 0 && th.Share >= c.Indirect[j-1].Share {
				return fmt.Errorf("%s: indirect thresholds must go from the highest share down", where)
			}
			if th.Severity == None {
				return fmt.Errorf("%s: indirect[%d]: severity none is what no threshold means", where, j)
			}
		}
	}
	return nil
}

// Of returns the risk category a tag category belongs to ("" for none).
func (p *Policy) Of(tagCategory string) *Category {
	for i := range p.Categories {
		if slices.Contains(p.Categories[i].Tags, tagCategory) {
			return &p.Categories[i]
		}
	}
	return nil
}

// Indirect grades an effective share.
func (c *Category) grade(share float64) Severity {
	if share <= 0 {
		return None
	}
	for _, th := range c.Indirect {
		if share >= th.Share {
			return th.Severity
		}
	}
	return None
}

// Fingerprint identifies what the exposure tables depend on: the hops
// and which tag categories make up each category. Thresholds, severities
// and decay are read at screen time and may change freely.
func (p *Policy) Fingerprint() string {
	type part struct {
		Name string
		Tags []string
	}
	parts := []any{p.MaxHops}
	for _, c := range p.Categories {
		parts = append(parts, part{c.Name, c.Tags})
	}
	b, _ := json.Marshal(parts)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}
