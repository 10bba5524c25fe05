package guard

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/chainhound/chainhound/internal/guard/calldata"
	"github.com/chainhound/chainhound/internal/guard/deployments"
	"github.com/chainhound/chainhound/internal/guard/safe"
)

// Checker judges Safe transactions. Known must be set; Screener and Policy
// are optional.
type Checker struct {
	Known    *deployments.Set
	Screener Screener
	Policy   *Policy
	// Node, when set, lets the checker recognise official contracts
	// deployed at other addresses by their runtime code hash.
	Node *Node
}

// Report is the result of checking one transaction. Its JSON form is the
// --output json of `chainhound guard safe` and the HTTP API's answer.
type Report struct {
	Safe          common.Address `json:"safe"`
	ChainID       *big.Int       `json:"chain_id,omitempty"`
	Version       string         `json:"version"`
	VersionSource string         `json:"version_source"` // flag, json, rpc, inferred, or hash (the claimed hash's version, differing from the given one)
	// VersionRange names the versions whose hashes are identical to
	// Version's when the version was found from a hash ("1.0.0–1.2.0"):
	// Version is then the oldest of them, since a hash cannot tell them
	// apart.
	VersionRange   string         `json:"version_range,omitempty"`
	Nonce          *big.Int       `json:"nonce"`
	To             common.Address `json:"to"`
	Value          *big.Int       `json:"value"`
	Data           string         `json:"data"`
	Operation      safe.Operation `json:"operation"`
	SafeTxGas      *big.Int       `json:"safe_tx_gas"`
	BaseGas        *big.Int       `json:"base_gas"`
	GasPrice       *big.Int       `json:"gas_price"`
	GasToken       common.Address `json:"gas_token"`
	RefundReceiver common.Address `json:"refund_receiver"`
	safe.Hashes
	ClaimedSafeTxHash *common.Hash     `json:"claimed_safe_tx_hash,omitempty"`
	HashMatches       *bool            `json:"hash_matches,omitempty"`
	Confirmations     []common.Address `json:"confirmations,omitempty"`
	Executed          *bool            `json:"executed,omitempty"`
	Description       []string         `json:"description"`
	Calls             *calldata.Call   `json:"calls"`
	Simulation        *Simulation      `json:"simulation,omitempty"`
	Findings          []Finding        `json:"findings"`
	MaxSeverity       string           `json:"max_severity"`
}

// VersionChoice says which Safe version to hash with. Zero value: infer it
// from the claimed safeTxHash.
type VersionChoice struct {
	Version safe.Version
	Source  string // "" to infer
}

// Check hashes, decodes and judges one transaction. chainID may be nil for
// Safes before 1.3.0. It fails only when the transaction cannot be hashed
// (unknown version, missing chain id); everything else is a finding.
func (c *Checker) Check(ctx context.Context, tx *Tx, chainID *big.Int, vc VersionChoice) (*Report, error) {
	if chainID == nil {
		chainID = tx.ChainID
	}
	if vc.Source == "" && tx.Version != "" {
		v, err := safe.ParseVersion(tx.Version)
		if err != nil {
			return nil, fmt.Errorf("field version: %w", err)
		}
		vc = VersionChoice{v, "json"}
	}
	r := &Report{Safe: tx.Safe, ChainID: chainID, Nonce: tx.Nonce, To: tx.To, Value: tx.Value, Data: fmt.Sprintf("0x%x", tx.Data),
		Operation: tx.Operation, SafeTxGas: tx.SafeTxGas, BaseGas: tx.BaseGas, GasPrice: tx.GasPrice, GasToken: tx.GasToken,
		RefundReceiver: tx.RefundReceiver, Confirmations: tx.Confirmations, Executed: tx.Executed}
	if vc.Source == "" {
		v, err := inferVersion(tx, chainID)
		if err != nil {
			return nil, err
		}
		vc = VersionChoice{v, "inferred"}
	}
	r.Version, r.VersionSource = vc.Version.String(), vc.Source
	if vc.Source == "inferred" {
		r.VersionRange = HashAlike(vc.Version)
	}
	h, err := safe.TxHashes(vc.Version, chainID, tx.Safe, &tx.Tx)
	if err != nil {
		return nil, err
	}
	r.Hashes = h
	if tx.ClaimedSafeTxHash != (common.Hash{}) {
		claimed := tx.ClaimedSafeTxHash
		ok := claimed == h.Safe
		if !ok {
			// A Safe upgraded since (1.1.1 to 1.3.0, say) has history
			// hashed under its older version: when another known version
			// reproduces the claimed hash, the fields are what the hash
			// commits to; report that version's hashes.
			if v, err := inferVersion(tx, chainID); err == nil {
				h2, err := safe.TxHashes(v, chainID, tx.Safe, &tx.Tx)
				if err == nil {
					sev := Warning
					note := "not executed yet: signatures over it are valid only if the Safe still runs a version of that hash"
					if tx.Executed != nil && *tx.Executed {
						sev, note = Info, "the Safe's version when it was signed"
					}
					r.Findings = append(r.Findings, Finding{Severity: sev, Code: "hash-version", Where: "tx",
						Message: fmt.Sprintf("hashed as %s (%s; versions %s hash alike), not as the %s version %s (which gives %s)", v, note, HashAlike(v), vc.Source, vc.Version, h.Safe)})
					r.Version, r.VersionSource, r.VersionRange = v.String(), "hash", HashAlike(v)
					r.Hashes, h, ok = h2, h2, true
				}
			}
		}
		r.ClaimedSafeTxHash, r.HashMatches = &claimed, &ok
		if !ok {
			r.Findings = append(r.Findings, Finding{Severity: Critical, Code: "hash-mismatch", Where: "tx",
				Message: fmt.Sprintf("the supplied safeTxHash %s is NOT the hash of these fields under any known Safe version (%s for Safe %s): what you would sign differs from what is shown", claimed, h.Safe, vc.Version)})
		}
	}
	r.Calls = calldata.Decode(tx.To, tx.Value, tx.Data, tx.Operation)
	if c.Node != nil {
		if err := c.recognise(ctx, r.Calls); err != nil {
			return nil, err
		}
	}
	r.Description = r.Calls.Describe(tx.Safe, c.name)
	r.Findings = append(r.Findings, c.callFindings(tx.Safe, r.Calls)...)
	r.Findings = append(r.Findings, gasFindings(tx)...)
	pf, err := c.policyFindings(ctx, tx, r.Calls, r.Hashes.Safe)
	if err != nil {
		return nil, err
	}
	r.Findings = append(r.Findings, pf...)
	fs, err := c.screen(ctx, chainID, tx.Safe, r.Calls)
	if err != nil {
		return nil, err
	}
	r.Findings = append(r.Findings, fs...)
	r.finish()
	return r, nil
}

func (r *Report) finish() {
	r.Findings, r.MaxSeverity = finishFindings(r.Findings)
}

// addFindings appends findings and recomputes the summary.
func (r *Report) addFindings(fs ...Finding) {
	r.Findings = append(r.Findings, fs...)
	r.finish()
}

// HashAlike names the versions whose transaction hashes are identical to
// v's: "0.1.0", "1.0.0–1.2.0" or "1.3.0–1.5.0".
func HashAlike(v safe.Version) string {
	var first, last string
	for _, w := range safe.Versions {
		if w.HasChainID() == v.HasChainID() && w.UsesDataGas() == v.UsesDataGas() {
			if first == "" {
				first = w.String()
			}
			last = w.String()
		}
	}
	if first == last {
		return first
	}
	return first + "–" + last
}

// inferVersion finds the Safe version whose hash of tx equals the claimed
// safeTxHash. That is safe: a match proves the fields are what the hash
// commits to; it fails when there is no claimed hash or nothing matches.
// Versions hashing alike cannot be told apart: the oldest is returned.
func inferVersion(tx *Tx, chainID *big.Int) (safe.Version, error) {
	if tx.ClaimedSafeTxHash == (common.Hash{}) {
		return safe.Version{}, fmt.Errorf("Safe version unknown: give --version (or --rpc to read VERSION() from the Safe)")
	}
	for i := range safe.Versions {
		v := safe.Versions[i]
		if v.HasChainID() && chainID == nil {
			continue
		}
		if h, err := safe.TxHashes(v, chainID, tx.Safe, &tx.Tx); err == nil && h.Safe == tx.ClaimedSafeTxHash {
			return v, nil
		}
	}
	hint := ""
	if chainID == nil {
		hint = " (no chain id given: only versions before 1.3.0 were tried)"
	}
	return safe.Version{}, fmt.Errorf("Safe version unknown and no known version reproduces the supplied safeTxHash %s%s: give --version and --chain-id to see the recomputed hash", tx.ClaimedSafeTxHash, hint)
}

func (c *Checker) name(a common.Address) string {
	if d, ok := c.Known.ByAddress(a); ok {
		return "official " + d.Name()
	}
	return ""
}

func where(parents []*calldata.Call, x *calldata.Call) string {
	path := "tx"
	for i, p := range parents {
		next := x
		if i+1 < len(parents) {
			next = parents[i+1]
		}
		for j, in := range p.Inner {
			if in == next {
				path += "/" + strconv.Itoa(j)
			}
		}
	}
	return path
}

// callFindings judges every call in the tree.
func (c *Checker) callFindings(self common.Address, root *calldata.Call) []Finding {
	var out []Finding
	root.Walk(func(x *calldata.Call, parents []*calldata.Call) {
		w := where(parents, x)
		if x.Operation == safe.DelegateCall {
			out = append(out, c.delegateFinding(x, w)...)
		}
		if x.Err != "" {
			sev := Medium
			why := ""
			if x.Method != nil && (x.Method.Kind == calldata.KindBatch || x.Method.Kind == calldata.KindSafeExec) {
				sev = High
				// A batch or Safe call the Safe reaches by DELEGATECALL runs
				// its entries as the Safe: an entry we cannot see (cut off,
				// nested too deep) may itself be a DELEGATECALL.
				if x.Reverts {
					sev = Medium
					why = "; MultiSend reverts on it, so nothing in the batch runs and the transaction's call fails"
				} else if x.Operation == safe.DelegateCall {
					sev = Critical
					why = "; it runs as the Safe (reached by DELEGATECALL), so a hidden entry can be a DELEGATECALL that takes the Safe over"
				}
			}
			out = append(out, Finding{Severity: sev, Code: "undecodable", Where: w,
				Message: fmt.Sprintf("calldata to %s could not be fully decoded (%s): what it does cannot be checked%s", x.To.Hex(), x.Err, why)})
		}
		if x.Method != nil && x.Method.Kind == calldata.KindSafeAdmin {
			out = append(out, c.adminFinding(self, x, w))
		}
	})
	return out
}

func (c *Checker) delegateFinding(x *calldata.Call, w string) []Finding {
	d, ok := c.Known.ByAddress(x.To)
	if ok && d.Role() == deployments.RoleLibrary {
		return []Finding{{Severity: Info, Code: "delegatecall-official", Where: w,
			Message: fmt.Sprintf("DELEGATECALL into the official %s library (%s); its inner calls are checked one by one", d.Name(), x.To.Hex())}}
	}
	what := "an address that is not an official Safe library"
	if ok {
		what = fmt.Sprintf("the official %s, which is not a library meant for DELEGATECALL", d.Name())
	}
	return []Finding{{Severity: Critical, Code: "delegatecall-unknown", Where: w,
		Message: fmt.Sprintf("DELEGATECALL into %s, %s: it runs that code with the Safe's storage and funds and can replace the implementation, owners or modules (the Bybit and WazirX attacks)", x.To.Hex(), what)}}
}

func (c *Checker) adminFinding(self common.Address, x *calldata.Call, w string) Finding {
	m := x.Method
	target := "the Safe itself"
	if x.To != self {
		target = x.To.Hex()
	}
	arg := func(n string) common.Address {
		if a := m.Arg(n); a != nil {
			return a.Addr
		}
		return common.Address{}
	}
	f := Finding{Severity: High, Where: w}
	switch m.Name {
	case "changeMasterCopy":
		f.Code = "implementation-change"
		impl := arg("masterCopy")
		if d, ok := c.Known.ByAddress(impl); ok && d.Role() == deployments.RoleSingleton {
			f.Message = fmt.Sprintf("%s: implementation changes to the official %s (%s)", target, d.Name(), impl.Hex())
		} else {
			f.Severity = Critical
			f.Message = fmt.Sprintf("%s: implementation changes to %s, which is not an official Safe singleton: whoever wrote it controls the Safe", target, impl.Hex())
		}
	case "addOwnerWithThreshold", "removeOwner", "swapOwner":
		f.Code = "owner-change"
		f.Message = fmt.Sprintf("%s: owners change (%s)", target, m.Name)
	case "changeThreshold":
		f.Code = "threshold-change"
		f.Message = fmt.Sprintf("%s: threshold changes to %s", target, m.Arg("threshold").Text)
	case "enableModule", "disableModule":
		f.Code = "module-change"
		f.Message = fmt.Sprintf("%s: %s %s (an enabled module moves funds without owner signatures)", target, m.Name, arg("module").Hex())
	case "setGuard", "setModuleGuard":
		f.Code = "guard-change"
		f.Message = fmt.Sprintf("%s: transaction guard set to %s", target, m.Args[0].Addr.Hex())
	case "setFallbackHandler":
		f.Code = "fallback-handler-change"
		h := arg("handler")
		f.Message = fmt.Sprintf("%s: fallback handler set to %s", target, h.Hex())
		if d, ok := c.Known.ByAddress(h); ok && d.Role() == deployments.RoleHandler {
			f.Message += " (official " + d.Name() + ")"
		} else if h != (common.Address{}) {
			f.Message += ", not an official Safe handler: it answers every call the Safe does not know, including signature checks"
		}
	default:
		f.Code = "implementation-change"
		f.Message = fmt.Sprintf("%s: %s migrates the Safe's implementation", target, m.Signature)
	}
	return f
}

func gasFindings(tx *Tx) []Finding {
	var parts []string
	if tx.GasToken != (common.Address{}) {
		parts = append(parts, "gas token "+tx.GasToken.Hex())
	}
	if tx.RefundReceiver != (common.Address{}) {
		parts = append(parts, "refund receiver "+tx.RefundReceiver.Hex())
	}
	if tx.GasPrice != nil && tx.GasPrice.Sign() > 0 {
		parts = append(parts, "gas price "+tx.GasPrice.String())
	}
	if len(parts) == 0 {
		return nil
	}
	return []Finding{{Severity: Medium, Code: "gas-refund", Where: "tx",
		Message: "the Safe pays a gas refund on execution (" + strings.Join(parts, ", ") + "): funds leave the Safe beyond the call itself"}}
}

// policyFindings sums what the transaction moves per asset (native value of
// CALLs, ERC-20 transfer and approval amounts) and applies the policy.
func (c *Checker) policyFindings(ctx context.Context, tx *Tx, root *calldata.Call, hash common.Hash) ([]Finding, error) {
	if c.Policy == nil || len(c.Policy.Large) == 0 {
		return nil, nil
	}
	native := new(big.Int)
	tokens := map[common.Address]*big.Int{}
	root.Walk(func(x *calldata.Call, _ []*calldata.Call) {
		if x.Operation == safe.Call {
			native.Add(native, x.Value)
		}
		if x.Method == nil || x.Method.Kind != calldata.KindToken {
			return
		}
		for _, n := range []string{"amount", "addedValue", "value"} {
			if a := x.Method.Arg(n); a != nil && a.Int != nil && x.Method.Name != "decreaseAllowance" {
				if tokens[x.To] == nil {
					tokens[x.To] = new(big.Int)
				}
				tokens[x.To].Add(tokens[x.To], a.Int)
			}
		}
	})
	var signers map[common.Address]bool
	var unverified []string
	var out []Finding
	for _, rule := range c.Policy.Large {
		amount := native
		asset := "native value"
		if !rule.native {
			amount = tokens[rule.token]
			asset = "token " + rule.token.Hex()
		}
		if amount == nil || amount.Cmp(rule.threshold) <= 0 {
			continue
		}
		if signers == nil {
			var err error
			if signers, unverified, err = c.verifyConfirmations(ctx, tx, hash); err != nil {
				return nil, err
			}
		}
		note := ""
		if len(unverified) > 0 {
			note = fmt.Sprintf(" (not counted: %s)", strings.Join(unverified, "; "))
		}
		if len(signers) >= rule.Approvals {
			out = append(out, Finding{Severity: Info, Code: "policy-large-approved", Where: "tx",
				Message: fmt.Sprintf("large transaction: %s %s above the policy threshold %s carries %d verified confirmations (policy requires %d)%s", asset, amount, rule.threshold, len(signers), rule.Approvals, note)})
			continue
		}
		out = append(out, Finding{Severity: rule.Severity, Code: "policy-large-approvals", Where: "tx",
			Message: fmt.Sprintf("large transaction: %s %s is above the policy threshold %s and needs %d confirmations; it carries %d verified%s", asset, amount, rule.threshold, rule.Approvals, len(signers), note)})
	}
	return out, nil
}

// verifyConfirmations returns the distinct owners whose confirmation
// carries a signature that verifies over hash (the recomputed safeTxHash),
// and why the others do not count. Safe signature types, by v: 27/28
// ECDSA over the hash; above 30 eth_sign, ECDSA (v-4) over
// "\x19Ethereum Signed Message:\n32" + hash; 1 an approved hash (counted
// only when the node shows approvedHashes[owner][hash] set); 0 an EIP-1271
// contract signature (not verified: never counted). With a node only
// current owners (getOwners) count.
func (c *Checker) verifyConfirmations(ctx context.Context, tx *Tx, hash common.Hash) (map[common.Address]bool, []string, error) {
	var owners map[common.Address]bool
	if c.Node != nil {
		if b, err := c.Node.callView(ctx, tx.Safe, "getOwners()"); err == nil {
			if xs, err := abiAddresses(b, 0); err == nil {
				owners = map[common.Address]bool{}
				for _, a := range xs {
					owners[a] = true
				}
			}
		} else {
			var ne *NodeError
			if errors.As(err, &ne) {
				return nil, nil, err
			}
		}
	}
	ok := map[common.Address]bool{}
	var why []string
	for i, a := range tx.Confirmations {
		var sig []byte
		if i < len(tx.Signatures) {
			sig = tx.Signatures[i]
		}
		reason := ""
		switch {
		case len(sig) < 65:
			reason = "no signature"
		case owners != nil && !owners[a]:
			reason = "not a current owner"
		default:
			sig = sig[:65]
			v := sig[64]
			switch {
			case v == 27 || v == 28 || v > 30:
				digest := hash[:]
				if v > 30 {
					digest = crypto.Keccak256(append([]byte("\x19Ethereum Signed Message:\n32"), hash[:]...))
					v -= 4
				}
				rsv := append(append([]byte(nil), sig[:64]...), v-27)
				pub, err := crypto.SigToPub(digest, rsv)
				if err != nil || crypto.PubkeyToAddress(*pub) != a {
					reason = "signature does not recover to the owner over the recomputed safeTxHash"
				}
			case v == 1:
				if common.BytesToAddress(sig[12:32]) != a {
					reason = "approved-hash signature names another owner"
				} else if c.Node == nil {
					reason = "approved hash, unverified without --rpc"
				} else {
					inner := crypto.Keccak256(common.LeftPadBytes(a[:], 32), SlotApprovedHashes[:])
					slot := crypto.Keccak256Hash(hash[:], inner)
					w, err := c.Node.Storage(ctx, tx.Safe, slot)
					if err != nil {
						return nil, nil, err
					}
					if w == (common.Hash{}) {
						reason = "approved hash not approved on chain"
					}
				}
			case v == 0:
				reason = "contract signature (EIP-1271), unverified"
			default:
				reason = fmt.Sprintf("signature type v=%d unknown", v)
			}
		}
		if reason != "" {
			why = append(why, a.Hex()+": "+reason)
			continue
		}
		ok[a] = true
	}
	return ok, why, nil
}

// screen asks the screener about every address the transaction sends to,
// approves or installs.
func (c *Checker) screen(ctx context.Context, chainID *big.Int, self common.Address, root *calldata.Call) ([]Finding, error) {
	if c.Screener == nil {
		return nil, nil
	}
	type target struct {
		role, where string
	}
	seen := map[common.Address]target{}
	var order []common.Address
	add := func(a common.Address, role, w string) {
		if a == (common.Address{}) || a == self {
			return
		}
		if _, ok := seen[a]; !ok {
			order = append(order, a)
			seen[a] = target{role, w}
		}
	}
	root.Walk(func(x *calldata.Call, parents []*calldata.Call) {
		w := where(parents, x)
		add(x.To, "call target", w)
		if x.Method == nil {
			return
		}
		for _, n := range []string{"to", "spender", "operator", "owner", "newOwner", "module", "guard", "handler", "masterCopy"} {
			if a := x.Method.Arg(n); a != nil && a.Type == "address" {
				add(a.Addr, n, w)
			}
		}
	})
	var out []Finding
	for _, a := range order {
		hits, err := c.Screener.Screen(ctx, chainID, a)
		if err != nil {
			return nil, fmt.Errorf("screen %s: %w", a.Hex(), err)
		}
		sort.SliceStable(hits, func(i, j int) bool { return hits[i].Severity > hits[j].Severity })
		for _, h := range hits {
			t := seen[a]
			out = append(out, Finding{Severity: h.Severity, Code: "screening", Where: t.where, Source: h.Source,
				Message: fmt.Sprintf("%s %s is tagged %q (%s)", t.role, a.Hex(), h.Label, h.Category)})
		}
	}
	return out, nil
}

// NonceFindings compares a list of transactions with each other and, when
// current is not nil, with the Safe's current nonce: a second transaction
// for one nonce, a gap before a queued nonce, or a nonce already used.
// Executed transactions only count as history.
func NonceFindings(reports []*Report, txs []Tx, current *big.Int) {
	bySafe := map[common.Address][]int{}
	for i := range txs {
		bySafe[txs[i].Safe] = append(bySafe[txs[i].Safe], i)
	}
	for _, idx := range bySafe {
		byNonce := map[string][]int{}
		for _, i := range idx {
			k := txs[i].Nonce.String()
			byNonce[k] = append(byNonce[k], i)
		}
		for _, is := range byNonce {
			if len(is) < 2 {
				continue
			}
			for _, i := range is {
				reports[i].addFindings(Finding{Severity: Warning, Code: "nonce-duplicate", Where: "tx",
					Message: fmt.Sprintf("%d transactions in the list share nonce %s: only one can execute; make sure the one you sign is the intended one", len(is), txs[i].Nonce)})
			}
		}
		// Gaps among pending transactions, starting from the current nonce
		// or from the highest executed one.
		next := current
		if next == nil {
			for _, i := range idx {
				if e := txs[i].Executed; e != nil && *e && (next == nil || txs[i].Nonce.Cmp(next) >= 0) {
					next = new(big.Int).Add(txs[i].Nonce, big.NewInt(1))
				}
			}
		}
		var pending []int
		for _, i := range idx {
			if e := txs[i].Executed; e == nil || !*e {
				pending = append(pending, i)
			}
		}
		sort.SliceStable(pending, func(a, b int) bool { return txs[pending[a]].Nonce.Cmp(txs[pending[b]].Nonce) < 0 })
		for _, i := range pending {
			n := txs[i].Nonce
			switch {
			case next == nil:
			case n.Cmp(next) > 0:
				reports[i].addFindings(Finding{Severity: Warning, Code: "nonce-gap", Where: "tx",
					Message: fmt.Sprintf("nonce %s leaves a gap: the next nonce to execute is %s, so this transaction cannot run until the gap is filled (or something else fills it first)", n, next)})
			case current != nil && n.Cmp(current) < 0:
				reports[i].addFindings(Finding{Severity: Warning, Code: "nonce-used", Where: "tx",
					Message: fmt.Sprintf("nonce %s is below the Safe's current nonce %s: it can never execute", n, current)})
			}
			if next != nil && n.Cmp(next) >= 0 {
				next = new(big.Int).Add(n, big.NewInt(1))
			}
		}
	}
}

// recognise looks up, by runtime code hash, the delegatecall targets and
// the implementations and handlers a transaction installs, and registers
// official ones under their address.
func (c *Checker) recognise(ctx context.Context, root *calldata.Call) error {
	var addrs []common.Address
	root.Walk(func(x *calldata.Call, _ []*calldata.Call) {
		if x.Operation == safe.DelegateCall {
			addrs = append(addrs, x.To)
		}
		if x.Method != nil {
			for _, n := range []string{"masterCopy", "handler"} {
				if a := x.Method.Arg(n); a != nil {
					addrs = append(addrs, a.Addr)
				}
			}
		}
	})
	for _, a := range addrs {
		if _, ok := c.Known.ByAddress(a); ok {
			continue
		}
		code, err := c.Node.Code(ctx, a)
		if err != nil {
			return err
		}
		if len(code) == 0 {
			continue
		}
		if d, ok := c.Known.ByCodeHash(crypto.Keccak256Hash(code)); ok {
			d.Address, d.Kind = a.Hex(), "code-hash"
			c.Known.Add(d)
		}
	}
	return nil
}

// finishFindings sorts findings (never nil) and names the highest severity
// ("none" without findings).
func finishFindings(fs []Finding) ([]Finding, string) {
	sortFindings(fs)
	if fs == nil {
		fs = []Finding{}
	}
	if m, ok := Max(fs); ok {
		return fs, m.String()
	}
	return fs, "none"
}
