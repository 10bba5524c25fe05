package cluster

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

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
// unknown keys are refused.
func ParseConfig(b []byte, base Config) (Config, error) {
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
