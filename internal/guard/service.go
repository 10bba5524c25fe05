package guard

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/internal/guard/deployments"
	"github.com/chainhound/chainhound/internal/guard/safe"
)

// Service wires the checker, an optional node and the options shared by
// the CLI and the HTTP API, so both give the same answers.
type Service struct {
	Known    *deployments.Set
	Screener Screener
	Policy   *Policy
	// Node, optional, is used for the Safe's version, chain id and nonce,
	// for recognising official contracts by code hash and for simulation.
	Node *Node
}

// SafeRequest is a set of transactions to check with how to hash them.
type SafeRequest struct {
	Txs     []Tx
	ChainID *big.Int // nil: from the node, else from the JSON
	Version string   // "": from the node, else the JSON, else inferred
	// Simulate runs each transaction not yet executed on the node.
	Simulate bool
}

// SafeResult is the answer to a SafeRequest; its JSON is the output of
// `guard safe --output json` and of POST /v1/guard/safe.
type SafeResult struct {
	Reports     []*Report `json:"reports"`
	MaxSeverity string    `json:"max_severity"`
}

// AuditResult is the answer of an audit.
type AuditResult struct {
	Safes       []*AuditReport `json:"safes"`
	MaxSeverity string         `json:"max_severity"`
}

// Max is the highest severity over all reports.
func (r *SafeResult) Max() (Severity, bool) {
	var all []Finding
	for _, x := range r.Reports {
		all = append(all, x.Findings...)
	}
	return Max(all)
}

// Max is the highest severity over all Safes.
func (r *AuditResult) Max() (Severity, bool) {
	var all []Finding
	for _, x := range r.Safes {
		all = append(all, x.Findings...)
	}
	return Max(all)
}

func maxName(s Severity, ok bool) string {
	if !ok {
		return "none"
	}
	return s.String()
}

// CheckSafe checks every transaction of req.
func (s *Service) CheckSafe(ctx context.Context, req SafeRequest) (*SafeResult, error) {
	if len(req.Txs) == 0 {
		return nil, fmt.Errorf("no transactions to check")
	}
	if req.Simulate && s.Node == nil {
		return nil, fmt.Errorf("simulation needs a node (--rpc)")
	}
	c := &Checker{Known: s.Known, Screener: s.Screener, Policy: s.Policy, Node: s.Node}
	chainID := req.ChainID
	if chainID == nil && s.Node != nil {
		id, err := s.Node.ChainID(ctx)
		if err != nil {
			return nil, err
		}
		chainID = id
	}
	var flagVersion *VersionChoice
	if req.Version != "" {
		v, err := safe.ParseVersion(req.Version)
		if err != nil {
			return nil, err
		}
		flagVersion = &VersionChoice{v, "flag"}
	}
	nodeVersions := map[common.Address]VersionChoice{}
	// Without a flag or a node, each transaction's version is inferred from
	// its own safeTxHash (a Safe upgraded from 1.1.1 to 1.3.0 has history
	// of both). One whose hash no version reproduces, or that has none, is
	// hashed with the version inferred from the Safe's newest transaction
	// in the list that has one (listings are newest first) and reported as
	// a mismatch rather than failing the whole list.
	inferred := map[common.Address]VersionChoice{}
	if flagVersion == nil && s.Node == nil {
		for i := range req.Txs {
			tx := &req.Txs[i]
			if _, ok := inferred[tx.Safe]; ok || tx.Version != "" {
				continue
			}
			id := chainID
			if id == nil {
				id = tx.ChainID
			}
			if v, err := inferVersion(tx, id); err == nil {
				inferred[tx.Safe] = VersionChoice{v, "inferred"}
			}
		}
	}
	nonces := map[common.Address]*big.Int{}
	out := &SafeResult{}
	for i := range req.Txs {
		tx := &req.Txs[i]
		vc := VersionChoice{}
		switch {
		case flagVersion != nil:
			vc = *flagVersion
		case tx.Version == "" && inferred[tx.Safe].Source != "":
			id := chainID
			if id == nil {
				id = tx.ChainID
			}
			if v, err := inferVersion(tx, id); err == nil {
				vc = VersionChoice{v, "inferred"}
			} else {
				vc = inferred[tx.Safe]
			}
		case s.Node != nil:
			if _, ok := nodeVersions[tx.Safe]; !ok {
				v, _, err := s.Node.Version(ctx, tx.Safe)
				if err != nil {
					return nil, fmt.Errorf("transaction %d: Safe %s: %w (give --version)", i, tx.Safe.Hex(), err)
				}
				nodeVersions[tx.Safe] = VersionChoice{v, "rpc"}
			}
			vc = nodeVersions[tx.Safe]
		}
		r, err := c.Check(ctx, tx, chainID, vc)
		if err != nil {
			if len(req.Txs) > 1 {
				return nil, fmt.Errorf("transaction %d (nonce %s): %w", i, tx.Nonce, err)
			}
			return nil, err
		}
		if req.Simulate && (tx.Executed == nil || !*tx.Executed) {
			sim, fs, err := Simulate(ctx, s.Node, tx, r.Calls, s.Known)
			if err != nil {
				return nil, fmt.Errorf("transaction %d: %w", i, err)
			}
			r.Simulation = sim
			r.addFindings(fs...)
		}
		out.Reports = append(out.Reports, r)
		if s.Node != nil {
			if _, ok := nonces[tx.Safe]; !ok {
				n, err := s.Node.Nonce(ctx, tx.Safe)
				if err != nil {
					return nil, err
				}
				nonces[tx.Safe] = n
			}
		}
	}
	// Nonce checks per Safe against its current nonce when known.
	bySafe := map[common.Address][]int{}
	for i := range req.Txs {
		bySafe[req.Txs[i].Safe] = append(bySafe[req.Txs[i].Safe], i)
	}
	for a, idx := range bySafe {
		rs := make([]*Report, len(idx))
		ts := make([]Tx, len(idx))
		for j, i := range idx {
			rs[j], ts[j] = out.Reports[i], req.Txs[i]
		}
		NonceFindings(rs, ts, nonces[a])
	}
	out.MaxSeverity = maxName(out.Max())
	return out, nil
}

// Audit reviews Safes; it needs a node.
func (s *Service) Audit(ctx context.Context, safes []common.Address, queued []Tx) (*AuditResult, error) {
	if s.Node == nil {
		return nil, fmt.Errorf("an audit reads the Safe's state: give a node (--rpc)")
	}
	if len(safes) == 0 {
		return nil, fmt.Errorf("no Safe to audit")
	}
	c := &Checker{Known: s.Known, Screener: s.Screener, Policy: s.Policy, Node: s.Node}
	rs, err := c.Audit(ctx, s.Node, safes, queued)
	if err != nil {
		return nil, err
	}
	out := &AuditResult{Safes: rs}
	out.MaxSeverity = maxName(out.Max())
	return out, nil
}
