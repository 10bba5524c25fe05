package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/chainhound/chainhound/internal/guard/calldata"
	"github.com/chainhound/chainhound/internal/guard/deployments"
	"github.com/chainhound/chainhound/internal/guard/safe"
)

// Safe storage layout (SafeStorage.sol, identical from 1.0.0 to 1.5.0;
// 0.1.0 differs only above slot 5): the implementation, the modules and
// owners linked lists (mapping(address => address)), the owner count, the
// threshold, the nonce, the pre-1.3.0 cached domain separator, signed
// messages and approved hashes. Guard, fallback handler and module guard
// live at hashed slots so they survive layout changes.
var (
	SlotSingleton      = common.Hash{}
	SlotModules        = common.BigToHash(big.NewInt(1))
	SlotOwners         = common.BigToHash(big.NewInt(2))
	SlotOwnerCount     = common.BigToHash(big.NewInt(3))
	SlotThreshold      = common.BigToHash(big.NewInt(4))
	SlotNonce          = common.BigToHash(big.NewInt(5))
	SlotDomain         = common.BigToHash(big.NewInt(6))
	SlotSignedMessages = common.BigToHash(big.NewInt(7))
	SlotApprovedHashes = common.BigToHash(big.NewInt(8))
	SlotGuard          = crypto.Keccak256Hash([]byte("guard_manager.guard.address"))
	SlotFallback       = crypto.Keccak256Hash([]byte("fallback_manager.handler.address"))
	SlotModuleGuard    = crypto.Keccak256Hash([]byte("module_manager.module_guard.address"))
)

// Sentinel is the head and tail marker of the Safe's linked lists.
var Sentinel = common.HexToAddress("0x0000000000000000000000000000000000000001")

// simOwner is the owner the simulation pretends to be: it is added to the
// owners mapping by state override and signs with a pre-validated
// signature (v = 1, r = its address), which the Safe accepts when the
// sender is that owner.
var simOwner = common.HexToAddress("0x00000000000000000000000000000000005afe51")

// MappingSlot is the storage slot of key in a Solidity mapping at slot.
func MappingSlot(key common.Address, slot common.Hash) common.Hash {
	return crypto.Keccak256Hash(common.LeftPadBytes(key[:], 32), slot[:])
}

// Simulation is what running the transaction on a node did.
type Simulation struct {
	Executed bool           `json:"executed"`
	Revert   string         `json:"revert,omitempty"`
	Sender   common.Address `json:"sender"`
	Writes   []StorageWrite `json:"storage_writes"`
}

// StorageWrite is one slot of the Safe that the transaction changes.
type StorageWrite struct {
	Slot    common.Hash `json:"slot"`
	Before  common.Hash `json:"before"`
	After   common.Hash `json:"after"`
	Meaning string      `json:"meaning"`
}

// Simulate runs tx on the node as execTransaction of its Safe, with state
// overrides (threshold 1, a simulated owner that pre-validates its own
// signature), and reports the storage writes it makes to the Safe with
// findings: a write to the implementation slot, the owners, the modules,
// the guard or the handler that the decoded calls do not account for is
// critical, whatever the decoding said.
func Simulate(ctx context.Context, n *Node, tx *Tx, root *calldata.Call, known *deployments.Set) (*Simulation, []Finding, error) {
	sig := append(common.LeftPadBytes(simOwner[:], 32), make([]byte, 32)...)
	sig = append(sig, 1)
	data, err := calldata.Pack("execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
		addrWord(tx.To), uint256Word(tx.Value), tx.Data, uint256Word(big.NewInt(int64(tx.Operation))), uint256Word(tx.SafeTxGas),
		uint256Word(tx.BaseGas), uint256Word(tx.GasPrice), addrWord(tx.GasToken), addrWord(tx.RefundReceiver), sig)
	if err != nil {
		return nil, nil, err
	}
	gas := hexutil.Uint64(30_000_000)
	from := simOwner
	args := callArgs{From: &from, To: tx.Safe, Data: data, Gas: &gas}
	overrides := map[common.Address]overrideAccount{
		tx.Safe: {StateDiff: map[common.Hash]common.Hash{
			SlotThreshold:                     common.BigToHash(big.NewInt(1)),
			MappingSlot(simOwner, SlotOwners): common.BytesToHash(Sentinel[:]),
		}},
		simOwner: {Balance: (*hexutil.Big)(new(big.Int).Mul(big.NewInt(1e18), big.NewInt(1000)))},
	}
	sim := &Simulation{Sender: simOwner, Writes: []StorageWrite{}}
	out, err := n.call(ctx, args, overrides)
	if msg, reverted := isRevert(err); reverted {
		sim.Revert = msg
	} else if err != nil {
		return nil, nil, fmt.Errorf("simulate: eth_call execTransaction: %w", err)
	} else {
		sim.Executed = len(out) == 32 && out[31] == 1
		if !sim.Executed {
			sim.Revert = "execTransaction returned false: the inner call failed"
		}
	}
	var diff struct {
		Pre, Post map[common.Address]struct {
			Storage map[common.Hash]common.Hash `json:"storage"`
		}
	}
	cfg := map[string]any{"tracer": "prestateTracer", "tracerConfig": map[string]any{"diffMode": true}, "stateOverrides": overrides}
	var raw json.RawMessage
	if err := n.c.CallContext(ctx, &raw, "debug_traceCall", args, "latest", cfg); err != nil {
		return nil, nil, nodeErr(fmt.Errorf("simulate: debug_traceCall with prestateTracer (diff mode): %w", err))
	}
	if err := json.Unmarshal(raw, &diff); err != nil {
		return nil, nil, fmt.Errorf("simulate: prestateTracer result: %w", err)
	}
	pre, post := diff.Pre[tx.Safe].Storage, diff.Post[tx.Safe].Storage
	slots := map[common.Hash]bool{}
	for s := range pre {
		slots[s] = true
	}
	for s := range post {
		slots[s] = true
	}
	// Name the owners and modules entries of every address the transaction
	// mentions, of the Safe's current owners and modules, and of every
	// address-shaped value the writes themselves carry (a linked-list
	// entry points at the next address).
	extra := currentMembers(ctx, n, tx.Safe)
	for s := range slots {
		for _, v := range []common.Hash{pre[s], post[s]} {
			if v != (common.Hash{}) && zeroHigh(v) {
				extra = append(extra, common.BytesToAddress(v[12:]))
			}
		}
	}
	names := slotNames(tx, root, extra...)
	// Name the signedMessages entries a signMessage call writes; that needs
	// the Safe's version and chain id, and only costs a lookup when failing.
	if v, _, err := n.Version(ctx, tx.Safe); err == nil {
		if id, err := n.ChainID(ctx); err == nil {
			nameSignedMessages(names, v, id, tx.Safe, root)
		}
	}
	for s := range slots {
		w := StorageWrite{Slot: s, Before: pre[s], After: post[s]}
		if w.Before == w.After {
			continue
		}
		w.Meaning = names[s]
		if w.Meaning == "" {
			w.Meaning = "unrecognised slot"
		}
		sim.Writes = append(sim.Writes, w)
	}
	sortWrites(sim.Writes)
	return sim, writeFindings(tx.Safe, sim, root, known), nil
}

// currentMembers reads the Safe's owners and modules through its
// implementation (best effort: an implementation that does not answer
// leaves them unnamed, and the writes are then unrecognised, which is
// critical anyway).
func currentMembers(ctx context.Context, n *Node, a common.Address) []common.Address {
	var out []common.Address
	if b, err := n.callView(ctx, a, "getOwners()"); err == nil {
		if xs, err := abiAddresses(b, 0); err == nil {
			out = append(out, xs...)
		}
	}
	if b, err := n.callView(ctx, a, "getModulesPaginated(address,uint256)", addrWord(Sentinel), uint256Word(big.NewInt(100))); err == nil && len(b) > 0 {
		if xs, err := abiAddresses(b, 0); err == nil {
			out = append(out, xs...)
		}
	} else if b, err := n.callView(ctx, a, "getModules()"); err == nil {
		if xs, err := abiAddresses(b, 0); err == nil {
			out = append(out, xs...)
		}
	}
	return out
}

func zeroHigh(h common.Hash) bool {
	for _, x := range h[:12] {
		if x != 0 {
			return false
		}
	}
	return true
}

func uint256Word(x *big.Int) []byte {
	var w [32]byte
	if x != nil {
		x.FillBytes(w[:])
	}
	return w[:]
}

// slotNames names the Safe's fixed slots and the mapping entries of every
// address the transaction mentions (owners and modules linked lists).
func slotNames(tx *Tx, root *calldata.Call, extra ...common.Address) map[common.Hash]string {
	names := map[common.Hash]string{
		SlotSingleton: "implementation (slot 0)", SlotOwnerCount: "owner count", SlotThreshold: "threshold", SlotNonce: "nonce",
		SlotDomain: "cached domain separator", SlotGuard: "guard", SlotFallback: "fallback handler", SlotModuleGuard: "module guard",
	}
	addrs := append([]common.Address{Sentinel, simOwner, tx.Safe, tx.To}, extra...)
	root.Walk(func(x *calldata.Call, _ []*calldata.Call) {
		addrs = append(addrs, x.To)
		if x.Method != nil {
			for _, a := range x.Method.Args {
				if a.Type == "address" {
					addrs = append(addrs, a.Addr)
				}
			}
		}
	})
	for _, a := range addrs {
		names[MappingSlot(a, SlotOwners)] = "owners[" + a.Hex() + "]"
		names[MappingSlot(a, SlotModules)] = "modules[" + a.Hex() + "]"
	}
	return names
}

// nameSignedMessages names signedMessages[hash] for every signMessage the
// transaction makes as the Safe (SignMessageLib by DELEGATECALL from 1.3.0
// on, the Safe's own signMessage before).
func nameSignedMessages(names map[common.Hash]string, v safe.Version, chainID *big.Int, self common.Address, root *calldata.Call) {
	root.Walk(func(x *calldata.Call, _ []*calldata.Call) {
		if x.Method == nil || x.Method.Name != "signMessage" || x.Method.Args == nil || (x.Operation != safe.DelegateCall && x.To != self) {
			return
		}
		h, err := safe.MessageHashes(v, chainID, self, x.Method.Args[0].Bytes)
		if err != nil {
			return
		}
		slot := crypto.Keccak256Hash(h.Safe[:], SlotSignedMessages[:])
		names[slot] = "signedMessages[" + h.Safe.Hex() + "]"
	})
}

// writeFindings judges the writes against what the decoded calls announce.
func writeFindings(self common.Address, sim *Simulation, root *calldata.Call, known *deployments.Set) []Finding {
	announced := map[string]bool{}
	officialImpl := false
	root.Walk(func(x *calldata.Call, _ []*calldata.Call) {
		if x.Method == nil || x.Method.Kind != calldata.KindSafeAdmin || (x.To != self && x.Operation == safe.Call) {
			return
		}
		switch x.Method.Name {
		case "addOwnerWithThreshold", "removeOwner", "swapOwner", "changeThreshold":
			announced["owners"] = true
		case "enableModule", "disableModule":
			announced["modules"] = true
		case "setGuard":
			announced["guard"] = true
		case "setModuleGuard":
			announced["module guard"] = true
		case "setFallbackHandler":
			announced["fallback handler"] = true
		case "changeMasterCopy":
			if d, ok := known.ByAddress(x.Method.Arg("masterCopy").Addr); ok && d.Role() == deployments.RoleSingleton {
				officialImpl = true
			}
		}
		if x.Operation == safe.DelegateCall {
			if d, ok := known.ByAddress(x.To); ok && d.Asset == "safe_migration" || ok && d.Asset == "safe_to_l2_migration" {
				officialImpl = true
				announced["fallback handler"] = true
			}
		}
	})
	var out []Finding
	for _, w := range sim.Writes {
		m := w.Meaning
		var f *Finding
		switch {
		case w.Slot == SlotSingleton:
			impl := common.BytesToAddress(w.After[12:])
			d, ok := known.ByAddress(impl)
			if officialImpl && ok && d.Role() == deployments.RoleSingleton {
				f = &Finding{Severity: High, Code: "sim-implementation-write", Message: fmt.Sprintf("simulation: the implementation (slot 0) changes to the official %s at %s", d.Name(), impl.Hex())}
			} else {
				f = &Finding{Severity: Critical, Code: "sim-implementation-write", Message: fmt.Sprintf("simulation: the transaction overwrites the Safe's implementation (slot 0) from %s to %s: whoever controls that code controls the Safe and its funds", common.BytesToAddress(w.Before[12:]).Hex(), impl.Hex())}
			}
		case isPrefix(m, "owners[") || w.Slot == SlotOwnerCount || w.Slot == SlotThreshold:
			f = announce(announced["owners"], "owners", m)
		case isPrefix(m, "modules["):
			f = announce(announced["modules"], "modules", m)
		case w.Slot == SlotGuard:
			f = announce(announced["guard"], "guard", m)
		case w.Slot == SlotModuleGuard:
			f = announce(announced["module guard"], "module guard", m)
		case w.Slot == SlotFallback:
			f = announce(announced["fallback handler"], "fallback handler", m)
		case w.Slot == SlotNonce, isPrefix(m, "signedMessages["):
			// The nonce moves on every execution; a signed message is what
			// signMessage is for (the call itself is judged by decoding).
		default:
			// A Safe has no legitimate writes outside the slots named
			// above: an unaccounted write is code other than the Safe's
			// running on its storage (an owners entry of an address nothing
			// names, say: owners[outsider] = 1 makes a hidden signer).
			f = &Finding{Severity: Critical, Code: "sim-unrecognised-write", Message: fmt.Sprintf("simulation: the transaction writes the Safe's storage slot %s (%s), which no decoded call accounts for: only foreign code running as the Safe writes there (a hidden owner or module entry, say)", w.Slot, m)}
		}
		if f != nil {
			f.Where = "simulation"
			out = append(out, *f)
		}
	}
	if !sim.Executed {
		out = append(out, Finding{Severity: Warning, Code: "sim-failed", Where: "simulation", Message: "simulation: the transaction would fail: " + sim.Revert})
	}
	return out
}

func announce(ok bool, what, slot string) *Finding {
	if ok {
		return &Finding{Severity: High, Code: "sim-" + kebab(what) + "-write", Message: fmt.Sprintf("simulation: %s change writes %s, as the decoded call announces", what, slot)}
	}
	return &Finding{Severity: Critical, Code: "sim-" + kebab(what) + "-write", Message: fmt.Sprintf("simulation: the transaction writes %s (%s storage) although no decoded call changes the %s", slot, what, what)}
}

func kebab(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == ' ' {
			b[i] = '-'
		}
	}
	return string(b)
}

func isPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
