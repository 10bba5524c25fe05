package cluster

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/chainhound/chainhound/internal/cluster/change"
	"github.com/chainhound/chainhound/internal/cluster/deposit"
	"gopkg.in/yaml.v3"
)

// Config is clustering's policy: change detection for Bitcoin, deposit
// reuse for Ethereum. config.yaml documents the defaults.
type Config struct {
	Change  change.Config  `yaml:"change" json:"change"`
	Deposit deposit.Config `yaml:"deposit" json:"deposit"`
}

//go:embed config.yaml
var defaultYAML []byte

// DefaultYAML is the default configuration as its documented YAML.
func DefaultYAML() []byte { return slices.Clone(defaultYAML) }

// DefaultConfig is the configuration without a config file.
func DefaultConfig() Config {
	c, err := ParseConfig(defaultYAML, Config{})
	if err != nil {
		panic("cluster: the embedded default configuration is invalid: " + err.Error())
	}
	return c
}

// LoadConfig reads a configuration file over the defaults.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("cluster config: %w", err)
	}
	c, err := ParseConfig(b, DefaultConfig())
	if err != nil {
		return Config{}, fmt.Errorf("cluster config %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig reads YAML over base: keys it names replace base's;
// unknown keys are refused, and so is a value of the wrong kind, by its
// key.
func ParseConfig(b []byte, base Config) (Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return Config{}, err
	}
	if err := checkNode(&doc, reflect.TypeFor[Config](), ""); err != nil {
		return Config{}, err
	}
	c := base
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, err
	}
	if c.Change.Enabled {
		if err := c.Change.Check(); err != nil {
			return Config{}, err
		}
	}
	if c.Deposit.Enabled {
		if err := c.Deposit.Check(); err != nil {
			return Config{}, err
		}
	}
	return c, nil
}

// checkNode checks each scalar of a YAML document against the field of t
// its key names, so that a wrong value is refused naming its key (the
// decoder names only the line) and a fraction given for a whole number
// is refused rather than truncated (as the decoder does). Keys t lacks
// are left to the decoder, which refuses them.
func checkNode(n *yaml.Node, t reflect.Type, key string) error {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := checkNode(c, t, key); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		if t.Kind() != reflect.Struct {
			return fmt.Errorf("%s (line %d): want a value, not a mapping", key, n.Line)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			name := n.Content[i].Value
			for j := range t.NumField() {
				f := t.Field(j)
				if strings.Split(f.Tag.Get("yaml"), ",")[0] != name {
					continue
				}
				p := name
				if key != "" {
					p = key + "." + name
				}
				if err := checkNode(n.Content[i+1], f.Type, p); err != nil {
					return err
				}
			}
		}
	case yaml.ScalarNode:
		if t.Kind() == reflect.Struct {
			if n.ShortTag() == "!!null" {
				return nil
			}
			return fmt.Errorf("%s (line %d): want a mapping of its settings, got %q", key, n.Line, n.Value)
		}
		v := reflect.New(t)
		if err := n.Decode(v.Interface()); err != nil {
			return fmt.Errorf("%s (line %d): %q is not a %s", key, n.Line, n.Value, t.Kind())
		}
		if n.ShortTag() == "!!float" && t.Kind() != reflect.Float32 && t.Kind() != reflect.Float64 {
			var f float64
			if err := n.Decode(&f); err != nil || f != math.Trunc(f) {
				return fmt.Errorf("%s (line %d): %q: want a whole number", key, n.Line, n.Value)
			}
		}
	case yaml.SequenceNode:
		return fmt.Errorf("%s (line %d): want a value, not a list", key, n.Line)
	}
	return nil
}
