package guard

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/chainhound/chainhound/internal/guard/deployments"
)

// AuditReport is the posture of one Safe.
type AuditReport struct {
	Safe           common.Address   `json:"safe"`
	ChainID        *big.Int         `json:"chain_id"`
	Version        string           `json:"version"`
	Implementation common.Address   `json:"implementation"`
	ImplCodeHash   common.Hash      `json:"implementation_code_hash"`
	Official       string           `json:"official_deployment,omitempty"`
	Owners         []common.Address `json:"owners"`
	Threshold      *big.Int         `json:"threshold"`
	Nonce          *big.Int         `json:"nonce"`
	Modules        []common.Address `json:"modules"`
	Guard          common.Address   `json:"guard"`
	Fallback       common.Address   `json:"fallback_handler"`
	Queued         []*Report        `json:"queued,omitempty"`
	Findings       []Finding        `json:"findings"`
	MaxSeverity    string           `json:"max_severity"`
}

// Audit reviews the Safes at addrs: implementation against the official
// deployments (by address or runtime code hash), owners and threshold,
// modules, guard and fallback handler, owners shared between the Safes,
// and the screener's view of owners and modules. queued are pending
// transactions to check (with nonce gaps against the Safe's nonce).
func (c *Checker) Audit(ctx context.Context, n *Node, addrs []common.Address, queued []Tx) ([]*AuditReport, error) {
	chainID, err := n.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	var out []*AuditReport
	ownerOf := map[common.Address][]common.Address{}
	for _, a := range addrs {
		r, err := c.auditOne(ctx, n, chainID, a)
		if err != nil {
			return nil, fmt.Errorf("audit %s: %w", a.Hex(), err)
		}
		for _, o := range r.Owners {
			ownerOf[o] = append(ownerOf[o], a)
		}
		var mine []Tx
		for _, t := range queued {
			if t.Safe == a {
				mine = append(mine, t)
			}
		}
		if len(mine) > 0 {
			v, _, err := n.Version(ctx, a)
			if err == nil {
				for i := range mine {
					rep, err := c.Check(ctx, &mine[i], chainID, VersionChoice{v, "rpc"})
					if err != nil {
						return nil, fmt.Errorf("queued transaction %d: %w", i, err)
					}
					r.Queued = append(r.Queued, rep)
				}
				NonceFindings(r.Queued, mine, r.Nonce)
				for _, q := range r.Queued {
					if m, ok := Max(q.Findings); ok && m >= Warning {
						r.Findings = append(r.Findings, Finding{Severity: m, Code: "queued-" + q.Findings[0].Code, Where: "queued nonce " + q.Nonce.String(),
							Message: fmt.Sprintf("queued transaction %s (nonce %s): %s", q.Safe.Hex(), q.Nonce, q.Findings[0].Message)})
					}
				}
			}
		}
		out = append(out, r)
	}
	for _, r := range out {
		for _, o := range r.Owners {
			if others := ownerOf[o]; len(others) > 1 {
				r.Findings = append(r.Findings, Finding{Severity: Warning, Code: "owner-reused", Where: "owners",
					Message: fmt.Sprintf("owner %s also signs for %d other audited Safe(s): one compromised key weakens all of them", o.Hex(), len(others)-1)})
			}
		}
		r.finish()
	}
	return out, nil
}

func (r *AuditReport) finish() {
	r.Findings, r.MaxSeverity = finishFindings(r.Findings)
}

func (c *Checker) auditOne(ctx context.Context, n *Node, chainID *big.Int, a common.Address) (*AuditReport, error) {
	r := &AuditReport{Safe: a, ChainID: chainID, Modules: []common.Address{}}
	add := func(f Finding) { r.Findings = append(r.Findings, f) }
	code, err := n.Code(ctx, a)
	if err != nil {
		return nil, err
	}
	if len(code) == 0 {
		return nil, fmt.Errorf("no contract at %s", a.Hex())
	}
	slot0, err := n.Storage(ctx, a, SlotSingleton)
	if err != nil {
		return nil, err
	}
	r.Implementation = common.BytesToAddress(slot0[12:])
	implCode, err := n.Code(ctx, r.Implementation)
	if err != nil {
		return nil, err
	}
	r.ImplCodeHash = crypto.Keccak256Hash(implCode)
	d, byAddr := c.Known.ByAddress(r.Implementation)
	if !byAddr || d.Role() != deployments.RoleSingleton {
		d, byAddr = c.Known.ByCodeHash(r.ImplCodeHash)
	}
	switch {
	case len(implCode) == 0:
		add(Finding{Severity: Critical, Code: "implementation-missing", Where: "slot 0", Message: fmt.Sprintf("the implementation in slot 0, %s, has no code: the Safe is broken or hijacked", r.Implementation.Hex())})
	case byAddr && d.Role() == deployments.RoleSingleton:
		r.Official = d.Name()
		add(Finding{Severity: Info, Code: "implementation-official", Where: "slot 0", Message: fmt.Sprintf("implementation %s is the official %s", r.Implementation.Hex(), d.Name())})
	default:
		add(Finding{Severity: Critical, Code: "implementation-unofficial", Where: "slot 0",
			Message: fmt.Sprintf("implementation %s (code hash %s) is not an official Safe singleton deployment: the Safe runs code nobody audited (the state the Bybit Safe was left in)", r.Implementation.Hex(), r.ImplCodeHash)})
	}
	v, vs, err := n.Version(ctx, a)
	switch {
	case err != nil && vs == "":
		add(Finding{Severity: High, Code: "version-unreadable", Message: fmt.Sprintf("VERSION() cannot be read: %v", err)})
	case err != nil:
		r.Version = vs
		add(Finding{Severity: High, Code: "version-unknown", Message: fmt.Sprintf("VERSION() reports %q, not a released Safe version", vs)})
	default:
		r.Version = vs
		if r.Official != "" && d.Version != v.String() {
			add(Finding{Severity: High, Code: "version-mismatch", Message: fmt.Sprintf("VERSION() says %s but the implementation is %s", vs, r.Official)})
		}
		if v.Less(safeVersion130) {
			add(Finding{Severity: Warning, Code: "version-old", Message: fmt.Sprintf("Safe %s predates 1.3.0: its signatures are not bound to a chain id and it has no transaction guard support", vs)})
		}
	}
	unreadable := func(what string, err error) {
		add(Finding{Severity: High, Code: "state-unreadable", Message: fmt.Sprintf("%s cannot be read through the Safe's implementation: %v", what, err)})
	}
	if out, err := n.callView(ctx, a, "getOwners()"); err != nil {
		unreadable("getOwners()", err)
	} else if r.Owners, err = abiAddresses(out, 0); err != nil {
		unreadable("getOwners()", err)
	}
	r.Threshold = new(big.Int)
	if out, err := n.callView(ctx, a, "getThreshold()"); err != nil || len(out) != 32 {
		unreadable("getThreshold()", fmt.Errorf("%v (%d bytes returned)", err, len(out)))
		// Fall back to the storage slot, which the implementation cannot hide.
		if w, err := n.Storage(ctx, a, SlotThreshold); err == nil {
			r.Threshold = w.Big()
		}
	} else {
		r.Threshold = new(big.Int).SetBytes(out)
	}
	if w, err := n.Storage(ctx, a, SlotNonce); err != nil {
		return nil, err
	} else {
		r.Nonce = w.Big()
	}
	switch {
	case r.Threshold.Sign() == 0:
	case r.Threshold.Cmp(big.NewInt(1)) <= 0 && len(r.Owners) > 1:
		add(Finding{Severity: High, Code: "threshold-one", Where: "threshold", Message: fmt.Sprintf("threshold %s of %d owners: any single owner key moves everything", r.Threshold, len(r.Owners))})
	case r.Threshold.Cmp(big.NewInt(1)) <= 0:
		add(Finding{Severity: Medium, Code: "threshold-one", Where: "threshold", Message: "a single owner with threshold 1: no second pair of eyes"})
	}
	for _, o := range r.Owners {
		oc, err := n.Code(ctx, o)
		if err != nil {
			return nil, err
		}
		if len(oc) > 0 {
			add(Finding{Severity: Warning, Code: "owner-contract", Where: "owners", Message: fmt.Sprintf("owner %s is a contract (%d bytes of code): its own signers and upgradeability are part of this Safe's security", o.Hex(), len(oc))})
		}
	}
	// getModulesPaginated exists from 1.1.0 on; older Safes have getModules().
	if out, err := n.callView(ctx, a, "getModulesPaginated(address,uint256)", addrWord(Sentinel), uint256Word(big.NewInt(100))); err == nil && len(out) > 0 {
		if r.Modules, err = abiAddresses(out, 0); err != nil {
			unreadable("getModulesPaginated", err)
			r.Modules = []common.Address{}
		}
	} else if out, err := n.callView(ctx, a, "getModules()"); err != nil {
		unreadable("getModules()", err)
	} else if r.Modules, err = abiAddresses(out, 0); err != nil {
		unreadable("getModules()", err)
		r.Modules = []common.Address{}
	}
	for _, m := range r.Modules {
		add(Finding{Severity: High, Code: "module-enabled", Where: "modules", Message: fmt.Sprintf("module %s is enabled: it can execute transactions without owner signatures", m.Hex())})
	}
	g, err := n.Storage(ctx, a, SlotGuard)
	if err != nil {
		return nil, err
	}
	r.Guard = common.BytesToAddress(g[12:])
	if r.Guard != (common.Address{}) {
		add(Finding{Severity: Info, Code: "guard-set", Where: "guard", Message: fmt.Sprintf("transaction guard %s checks every transaction; a faulty guard can lock the Safe", r.Guard.Hex())})
	}
	h, err := n.Storage(ctx, a, SlotFallback)
	if err != nil {
		return nil, err
	}
	r.Fallback = common.BytesToAddress(h[12:])
	if r.Fallback != (common.Address{}) {
		hd, ok := c.Known.ByAddress(r.Fallback)
		if !ok || hd.Role() != deployments.RoleHandler {
			hc, err := n.Code(ctx, r.Fallback)
			if err != nil {
				return nil, err
			}
			hd, ok = c.Known.ByCodeHash(crypto.Keccak256Hash(hc))
		}
		if !ok || hd.Role() != deployments.RoleHandler {
			add(Finding{Severity: High, Code: "fallback-unofficial", Where: "fallback handler", Message: fmt.Sprintf("fallback handler %s is not an official Safe handler: it answers every call the Safe does not implement, including EIP-1271 signature checks", r.Fallback.Hex())})
		}
	}
	if c.Screener != nil {
		for _, x := range append(append([]common.Address{}, r.Owners...), r.Modules...) {
			hits, err := c.Screener.Screen(ctx, chainID, x)
			if err != nil {
				return nil, err
			}
			for _, hit := range hits {
				add(Finding{Severity: hit.Severity, Code: "screening", Where: "owners/modules", Source: hit.Source,
					Message: fmt.Sprintf("%s is tagged %q (%s)", x.Hex(), hit.Label, hit.Category)})
			}
		}
	}
	return r, nil
}

var safeVersion130 = mustVersion("1.3.0")
