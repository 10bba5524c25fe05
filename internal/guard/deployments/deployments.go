// Package deployments knows the official Safe contract deployments, from
// the @safe-global/safe-deployments npm package (generated into table.go,
// so the binary works offline), and which of them a Safe may safely
// DELEGATECALL into.
//
// A deployment is recognised by address (official contracts sit at the
// same address on every chain they are deployed to) or by runtime code
// hash (the same bytecode deployed elsewhere, e.g. on a test chain).
// Contracts with immutables (MultiSend keeps its own address) have a code
// hash that differs per address; for those, extra addresses can be
// registered (Set.Add), e.g. from a --known-deployments file.
package deployments

//go:generate go run gen.go

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/common"
)

// Deployment is one official contract deployment.
type Deployment struct {
	Contract string `json:"contract"` // contract name, e.g. "MultiSendCallOnly"
	Asset    string `json:"asset"`    // asset file name in the package, e.g. "multi_send_call_only"
	Version  string `json:"version"`  // Safe release, e.g. "1.3.0"
	Kind     string `json:"kind"`     // deployment type: canonical, eip155, zksync, or "local" for added ones
	Address  string `json:"address"`
	CodeHash string `json:"code_hash,omitempty"`
}

// Role is what a deployment is for.
type Role string

// Roles.
const (
	RoleSingleton Role = "singleton" // a Safe implementation (master copy)
	RoleLibrary   Role = "library"   // meant to be DELEGATECALLed by a Safe
	RoleHandler   Role = "handler"   // fallback handler
	RoleFactory   Role = "factory"   // proxy factory
	RoleOther     Role = "other"
)

// Role of d, from its asset name.
func (d Deployment) Role() Role {
	switch d.Asset {
	case "gnosis_safe", "gnosis_safe_l2", "safe", "safe_l2":
		return RoleSingleton
	case "multi_send", "multi_send_call_only", "sign_message_lib", "create_call", "safe_migration", "safe_to_l2_migration":
		return RoleLibrary
	case "compatibility_fallback_handler", "default_callback_handler", "extensible_fallback_handler", "token_callback_handler":
		return RoleHandler
	case "proxy_factory", "safe_proxy_factory":
		return RoleFactory
	}
	return RoleOther
}

// Name is "MultiSendCallOnly 1.3.0" and the like.
func (d Deployment) Name() string { return d.Contract + " " + d.Version }

// Set is a lookup of deployments by address and code hash. It is safe for
// concurrent use: a checker serving HTTP requests adds what it recognises
// by code hash while other requests read.
type Set struct {
	mu     sync.RWMutex
	byAddr map[common.Address][]Deployment
	byCode map[common.Hash][]Deployment
}

// Official returns a set holding every official deployment of the
// package. Each call returns a new set, so adding to it affects only the
// caller.
func Official() *Set {
	s := &Set{byAddr: map[common.Address][]Deployment{}, byCode: map[common.Hash][]Deployment{}}
	for _, d := range table {
		s.Add(d)
	}
	for _, d := range legacy {
		if _, ok := s.ByAddress(common.HexToAddress(d.Address)); !ok {
			s.Add(d)
		}
	}
	return s
}

// All returns the generated table and the hand-checked legacy entries.
func All() []Deployment { return append(append([]Deployment(nil), table...), legacy...) }

// Add registers a deployment (an address known to hold an official
// contract, e.g. on a private chain).
func (s *Set) Add(d Deployment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if common.IsHexAddress(d.Address) {
		a := common.HexToAddress(d.Address)
		s.byAddr[a] = append(s.byAddr[a], d)
	}
	if d.CodeHash != "" {
		h := common.HexToHash(d.CodeHash)
		s.byCode[h] = append(s.byCode[h], d)
	}
}

// ByAddress returns the deployment at addr, preferring the newest version
// when an address is listed under several (it never is in practice).
func (s *Set) ByAddress(addr common.Address) (Deployment, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ds := s.byAddr[addr]
	if len(ds) == 0 {
		return Deployment{}, false
	}
	return ds[len(ds)-1], true
}

// ByCodeHash returns the deployment whose runtime code hashes to h.
func (s *Set) ByCodeHash(h common.Hash) (Deployment, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ds := s.byCode[h]
	if len(ds) == 0 {
		return Deployment{}, false
	}
	return ds[len(ds)-1], true
}

// LoadFile reads extra deployments from a JSON file: a list of objects
// {"contract":"MultiSend","version":"1.4.1","asset":"multi_send",
// "address":"0x…"} (code_hash optional), and adds them to s with kind
// "local" unless given.
func (s *Set) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("known deployments: %w", err)
	}
	var ds []Deployment
	if err := json.Unmarshal(b, &ds); err != nil {
		return fmt.Errorf("known deployments %s: %w", path, err)
	}
	for i, d := range ds {
		if !common.IsHexAddress(d.Address) && d.CodeHash == "" {
			return fmt.Errorf("known deployments %s: entry %d: address %q is not a 20-byte hex address and no code_hash is given", path, i, d.Address)
		}
		if d.Contract == "" || d.Asset == "" {
			return fmt.Errorf("known deployments %s: entry %d: contract and asset are required (asset as in safe-deployments, e.g. multi_send_call_only)", path, i)
		}
		if d.Kind == "" {
			d.Kind = "local"
		}
		s.Add(d)
	}
	return nil
}

// AssetFor maps a contract name to its asset name for entries that give
// only the contract.
func AssetFor(contract string) string {
	for _, d := range table {
		if strings.EqualFold(d.Contract, contract) {
			return d.Asset
		}
	}
	return ""
}
