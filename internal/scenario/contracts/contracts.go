// Package contracts holds the compiled contracts of chainhound's scenarios:
// the demo's own Solidity contracts (src/*.sol, compiled by build.sh with
// the npm solc package into artifacts/*.json) and the real Safe 1.4.1
// singleton and proxy factory (safe/*.json, from the Safe project's npm
// package; safe/fetch.sh re-fetches them). Everything is embedded, so a
// scenario deploys them offline.
package contracts

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

//go:embed artifacts/*.json safe/*.json
var files embed.FS

// Artifact is one compiled contract: its ABI and creation bytecode.
type Artifact struct {
	Name     string
	Compiler string // "solc 0.8.28+commit…" for ours; empty for the Safe's (see safe/SOURCE.txt)
	ABI      abi.ABI
	Bytecode []byte
}

// Deploy returns init code: the creation bytecode followed by the
// ABI-encoded constructor arguments.
func (a *Artifact) Deploy(args ...any) ([]byte, error) {
	enc, err := a.ABI.Pack("", args...)
	if err != nil {
		return nil, fmt.Errorf("contracts: %s constructor: %w", a.Name, err)
	}
	return append(append([]byte{}, a.Bytecode...), enc...), nil
}

// Call ABI-encodes a call of method.
func (a *Artifact) Call(method string, args ...any) ([]byte, error) {
	b, err := a.ABI.Pack(method, args...)
	if err != nil {
		return nil, fmt.Errorf("contracts: %s.%s: %w", a.Name, method, err)
	}
	return b, nil
}

// MustCall is Call for arguments the caller built itself, where an error is
// a bug.
func (a *Artifact) MustCall(method string, args ...any) []byte {
	b, err := a.Call(method, args...)
	if err != nil {
		panic(err)
	}
	return b
}

var (
	loadOnce sync.Once
	byName   map[string]*Artifact
	loadErr  error
)

// Names of the embedded contracts.
const (
	PlainToken       = "PlainToken"
	StableToken      = "StableToken"
	StakedEther      = "StakedEther"
	Pool             = "Pool"
	Mixer            = "Mixer"
	Router           = "Router"
	Vault            = "Vault"
	Exchange         = "Exchange"
	DepositAddress   = "DepositAddress"
	OTCDesk          = "OTCDesk"
	Trojan           = "Trojan"
	Backdoor         = "Backdoor"
	Safe             = "Safe"             // Safe 1.4.1 singleton
	SafeProxyFactory = "SafeProxyFactory" // Safe 1.4.1 proxy factory
)

// Get returns the named contract's artifact.
func Get(name string) (*Artifact, error) {
	loadOnce.Do(func() { byName, loadErr = load() })
	if loadErr != nil {
		return nil, loadErr
	}
	a := byName[name]
	if a == nil {
		return nil, fmt.Errorf("contracts: no artifact %q", name)
	}
	return a, nil
}

// Must is Get for the names above, which are always embedded.
func Must(name string) *Artifact {
	a, err := Get(name)
	if err != nil {
		panic(err)
	}
	return a
}

func load() (map[string]*Artifact, error) {
	out := map[string]*Artifact{}
	for _, dir := range []string{"artifacts", "safe"} {
		ents, err := files.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			p := path.Join(dir, e.Name())
			b, err := files.ReadFile(p)
			if err != nil {
				return nil, err
			}
			a, err := parse(b)
			if err != nil {
				return nil, fmt.Errorf("contracts: %s: %w", p, err)
			}
			out[a.Name] = a
		}
	}
	return out, nil
}

func parse(b []byte) (*Artifact, error) {
	var raw struct {
		ContractName string          `json:"contractName"`
		Compiler     string          `json:"compiler"`
		ABI          json.RawMessage `json:"abi"`
		Bytecode     string          `json:"bytecode"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	code, err := hexutil.Decode(raw.Bytecode)
	if err != nil || len(code) == 0 {
		return nil, fmt.Errorf("bytecode: %v (%d bytes)", err, len(code))
	}
	a, err := abi.JSON(strings.NewReader(string(raw.ABI)))
	if err != nil {
		return nil, fmt.Errorf("abi: %w", err)
	}
	return &Artifact{Name: raw.ContractName, Compiler: raw.Compiler, ABI: a, Bytecode: code}, nil
}
