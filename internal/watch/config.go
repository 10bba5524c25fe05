package watch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/trace"
	"github.com/holiman/uint256"
	"gopkg.in/yaml.v3"
)

// Config is a watch.yaml file: where the chains come from, the cases to
// follow, the rules and the sinks. Keys left out keep the defaults of
// DefaultConfig; an unknown key is an error with its line.
type Config struct {
	Ethereum *ChainSource `yaml:"ethereum"`
	Bitcoin  *ChainSource `yaml:"bitcoin"`
	Cases    []Case       `yaml:"cases"`
	Rules    Rules        `yaml:"rules"`
	Sinks    []SinkConfig `yaml:"sinks"`
	// Sanctioned adds addresses ("eth:0x…", "btc:bc1…") to those the
	// attribution store tags as sanctioned (category "sanction").
	Sanctioned []Seed `yaml:"sanctioned"`
}

// ChainSource is how a chain is followed.
type ChainSource struct {
	RPC           Text     `yaml:"rpc"`
	Confirmations uint64   `yaml:"confirmations"`
	Poll          Duration `yaml:"poll"`
	// From is the first block ingested into an empty store (default: the
	// node's head, so a new watcher looks forward, not at history).
	From *uint64 `yaml:"from"`
	// Network is the Bitcoin network: mainnet (default), testnet,
	// testnet4, signet, regtest or simnet.
	Network string `yaml:"network"`
	// User, Password and Cookie authenticate to a Bitcoin node.
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	Cookie   string `yaml:"cookie"`
}

// Case is a watch target: its seeds are tainted from their start block on
// and the taint is followed forward, block by block, under Model.
type Case struct {
	Name  Text   `yaml:"name"`
	Seeds []Seed `yaml:"seeds"`
	// Model is the taint model: haircut (the default; the only one on
	// Ethereum, whose trace state ResumeAccount continues), or fifo, tiho
	// or poison on Bitcoin.
	Model Text `yaml:"model"`
	// Start is, per chain (eth, btc), the first block the seeds are
	// tainted from (default: the first block the watcher evaluates).
	Start map[string]uint64 `yaml:"start"`
	// MaxHops bounds the trace (0: no bound).
	MaxHops int `yaml:"max_hops"`
	// Severity raised by this case's alerts at least (default: the rule's).
	Severity Severity `yaml:"severity"`
}

// Seed is an address on a chain, written "eth:0x…", "btc:bc1…" or a bare
// 0x address (Ethereum).
type Seed struct {
	Address chain.Address
	Line    int
}

// UnmarshalYAML reads a seed.
func (s *Seed) UnmarshalYAML(n *yaml.Node) error {
	var v string
	if err := n.Decode(&v); err != nil {
		return fmt.Errorf("line %d: address: %w", n.Line, err)
	}
	a, err := ParseSeed(v)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*s = Seed{Address: a, Line: n.Line}
	return nil
}

// ParseSeed reads "eth:0x…", "btc:…" or a bare 0x address.
func ParseSeed(v string) (chain.Address, error) {
	name, addr, ok := strings.Cut(v, ":")
	if !ok {
		name, addr = "eth", v
	}
	c, err := chain.ParseChain(name)
	if err != nil {
		return chain.Address{}, fmt.Errorf("address %q: %w (write eth:0x… or btc:…)", v, err)
	}
	if c == chain.Bitcoin && addr == "" {
		return chain.Address{}, fmt.Errorf("address %q: empty", v)
	}
	return chain.ParseAddress(c, addr)
}

// Text is a string that remembers its line, for errors found after decoding.
type Text struct {
	Value string
	Line  int
}

// UnmarshalYAML reads a string.
func (t *Text) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a string", n.Line)
	}
	*t = Text{Value: n.Value, Line: n.Line}
	return nil
}

// Duration is a Go duration written as text: 30s, 10m, 2h.
type Duration time.Duration

// UnmarshalYAML reads a duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: duration %q: want a non-negative Go duration such as 30s, 10m or 2h", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Amount is an exact amount in an asset's base units (wei, satoshis, token
// units), written as an integer, optionally with a decimal exponent:
// 1000000000000000000000 or 1000e18.
type Amount struct{ uint256.Int }

// UnmarshalYAML reads an amount.
func (a *Amount) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseAmount(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	a.Int = *v
	return nil
}

// ParseAmount reads an integer amount with an optional exponent (5e18).
func ParseAmount(s string) (*uint256.Int, error) {
	mant, exp, hasExp := strings.Cut(strings.ToLower(strings.ReplaceAll(s, "_", "")), "e")
	v, err := uint256.FromDecimal(mant)
	if err != nil || mant == "" {
		return nil, fmt.Errorf("amount %q: want a whole number of base units, e.g. 1000000 or 1000e18", s)
	}
	if hasExp {
		var e uint64
		if _, err := fmt.Sscan(exp, &e); err != nil || e > 77 || strings.ContainsAny(exp, "+-") {
			return nil, fmt.Errorf("amount %q: bad exponent", s)
		}
		p := new(uint256.Int).Exp(uint256.NewInt(10), uint256.NewInt(e))
		if _, overflow := v.MulOverflow(v, p); overflow {
			return nil, fmt.Errorf("amount %q: too large", s)
		}
	}
	return v, nil
}

// Severity orders alerts: info < low < medium < high < critical.
type Severity string

var severities = []Severity{"info", "low", "medium", "high", "critical"}

// UnmarshalYAML reads a severity.
func (s *Severity) UnmarshalYAML(n *yaml.Node) error {
	if !slices.Contains(severities, Severity(n.Value)) {
		return fmt.Errorf("line %d: severity %q: want info, low, medium, high or critical", n.Line, n.Value)
	}
	*s = Severity(n.Value)
	return nil
}

// rank is the severity's order (0 for none).
func (s Severity) rank() int { return slices.Index(severities, s) + 1 }

// SinkConfig is one place alerts are delivered to.
type SinkConfig struct {
	// Type is stdout, file, webhook or nats.
	Type Text `yaml:"type"`
	// Name tells sinks apart in the outbox (default: the type, then
	// type-2, type-3…). Renaming a sink abandons its queue.
	Name string `yaml:"name"`
	// MinSeverity drops alerts below it (default: all are delivered).
	MinSeverity Severity `yaml:"min_severity"`
	// Path is the file sink's file (JSON lines, appended).
	Path string `yaml:"path"`
	// URL is the webhook's https (or http) URL, or the NATS server.
	URL Text `yaml:"url"`
	// Secret keys the webhook's HMAC-SHA256 signature; SecretEnv names an
	// environment variable holding it instead (it wins when set).
	Secret    string `yaml:"secret"`
	SecretEnv string `yaml:"secret_env"`
	// AllowHosts lists the hosts (host or host:port) the webhook may post
	// to; the URL's host must be among them.
	AllowHosts []string `yaml:"allow_hosts"`
	// Timeout of one delivery attempt (default 10s).
	Timeout Duration `yaml:"timeout"`
	// MaxAttempts before an alert is parked (default 8).
	MaxAttempts int `yaml:"max_attempts"`
	// Backoff is the wait after the first failure, doubled after each
	// (default 1s), up to MaxBackoff (default 5m).
	Backoff    Duration `yaml:"backoff"`
	MaxBackoff Duration `yaml:"max_backoff"`
	// Subject and Stream are the NATS JetStream subject published to and
	// the stream that captures it (created when missing; default
	// CHAINHOUND_ALERTS).
	Subject string `yaml:"subject"`
	Stream  string `yaml:"stream"`
}

// DefaultConfig is the configuration without a file: every rule on with
// its documented defaults, no cases, alerts on stdout.
func DefaultConfig() Config {
	return Config{Rules: DefaultRules()}
}

// Load reads a watch.yaml file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse reads a watch.yaml document. Its errors name the line.
func Parse(b []byte) (*Config, error) {
	c := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	// The document as nodes, for the lines of what the checks refuse
	// after decoding (it decoded above, so it parses).
	var root yaml.Node
	_ = yaml.Unmarshal(b, &root)
	if err := c.check(doc{&root}); err != nil {
		return nil, err
	}
	return &c, nil
}

// doc finds lines in the decoded document.
type doc struct{ root *yaml.Node }

// line is the line of the value at path (mapping keys and sequence
// indexes) or, where the path leaves the document (a key left out), of
// the deepest node on it; 0 without a document.
func (d doc) line(path ...any) int {
	n := d.root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n == nil {
		return 0
	}
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch k := p.(type) {
		case string:
			for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					next = n.Content[i+1]
					break
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k >= 0 && k < len(n.Content) {
				next = n.Content[k]
			}
		}
		if next == nil {
			break
		}
		n, line = next, next.Line
	}
	return line
}

// errorf is an error naming the line of the value at path.
func (d doc) errorf(path []any, format string, args ...any) error {
	if l := d.line(path...); l > 0 {
		return fmt.Errorf("line %d: "+format, append([]any{l}, args...)...)
	}
	return fmt.Errorf(format, args...)
}

func (c *Config) check(d doc) error {
	names := map[string]int{}
	for i := range c.Cases {
		k := &c.Cases[i]
		if k.Name.Value == "" {
			return d.errorf([]any{"cases", i}, "cases[%d]: no name", i)
		}
		if strings.ContainsAny(k.Name.Value, "\x00/") {
			return fmt.Errorf("line %d: case name %q: must not contain / or NUL", k.Name.Line, k.Name.Value)
		}
		if l, dup := names[k.Name.Value]; dup {
			return fmt.Errorf("line %d: case %q is already defined at line %d", k.Name.Line, k.Name.Value, l)
		}
		names[k.Name.Value] = k.Name.Line
		if len(k.Seeds) == 0 {
			return fmt.Errorf("line %d: case %q has no seeds", k.Name.Line, k.Name.Value)
		}
		if k.Model.Value == "" {
			k.Model.Value = "haircut"
		}
		m, err := trace.ParseModel(k.Model.Value)
		if err != nil {
			return fmt.Errorf("line %d: case %q: %w", k.Model.Line, k.Name.Value, err)
		}
		for _, s := range k.Seeds {
			if s.Address.Chain == chain.Ethereum && m != trace.Haircut {
				return fmt.Errorf("line %d: case %q: model %s: Ethereum cases are followed under haircut only (its trace state is what a watcher resumes block by block)", k.Model.Line, k.Name.Value, m)
			}
		}
		for name := range k.Start {
			if _, err := chain.ParseChain(name); err != nil {
				return d.errorf([]any{"cases", i, "start", name}, "case %q: start: %w", k.Name.Value, err)
			}
		}
		if k.MaxHops < 0 {
			return d.errorf([]any{"cases", i, "max_hops"}, "case %q: max_hops must not be negative", k.Name.Value)
		}
	}
	if err := c.Rules.check(d); err != nil {
		return err
	}
	return c.checkSinks()
}

func (c *Config) checkSinks() error {
	seen := map[string]bool{}
	count := map[string]int{}
	for i := range c.Sinks {
		s := &c.Sinks[i]
		t := s.Type.Value
		if !slices.Contains([]string{"stdout", "file", "webhook", "nats"}, t) {
			return fmt.Errorf("line %d: sink type %q: want stdout, file, webhook or nats", s.Type.Line, t)
		}
		count[t]++
		if s.Name == "" {
			s.Name = t
			if count[t] > 1 {
				s.Name = fmt.Sprintf("%s-%d", t, count[t])
			}
		}
		if seen[s.Name] || strings.ContainsAny(s.Name, "\x00") {
			return fmt.Errorf("line %d: sink name %q is used twice", s.Type.Line, s.Name)
		}
		seen[s.Name] = true
		if s.MaxAttempts < 0 {
			return fmt.Errorf("line %d: sink %s: max_attempts must not be negative", s.Type.Line, s.Name)
		}
		if s.MaxAttempts == 0 {
			s.MaxAttempts = 8
		}
		if s.Backoff == 0 {
			s.Backoff = Duration(time.Second)
		}
		if s.MaxBackoff == 0 {
			s.MaxBackoff = Duration(5 * time.Minute)
		}
		if s.Timeout == 0 {
			s.Timeout = Duration(10 * time.Second)
		}
		switch t {
		case "file":
			if s.Path == "" {
				return fmt.Errorf("line %d: sink %s: a file sink needs a path", s.Type.Line, s.Name)
			}
		case "webhook":
			if err := checkWebhook(s); err != nil {
				return err
			}
		case "nats":
			if s.URL.Value == "" || s.Subject == "" {
				return fmt.Errorf("line %d: sink %s: a nats sink needs a url and a subject", s.Type.Line, s.Name)
			}
			if s.Stream == "" {
				s.Stream = "CHAINHOUND_ALERTS"
			}
		}
	}
	if len(c.Sinks) == 0 {
		c.Sinks = []SinkConfig{{Type: Text{Value: "stdout"}, Name: "stdout", MaxAttempts: 8, Backoff: Duration(time.Second), MaxBackoff: Duration(5 * time.Minute), Timeout: Duration(10 * time.Second)}}
	}
	return nil
}
