package guard

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/chainhound/chainhound/internal/guard/calldata"
	"github.com/chainhound/chainhound/internal/guard/deployments"
	"github.com/chainhound/chainhound/internal/guard/safe"
	"github.com/chainhound/chainhound/internal/guard/safetest"
	"github.com/chainhound/chainhound/internal/scenario"
)

type safeEnv struct {
	t        *testing.T
	ctx      context.Context
	node     *scenario.Node
	arts     map[string]*safetest.Artifact
	safe     common.Address
	owners   []int // key indexes of the owners
	token    common.Address
	msCall   common.Address
	ms       common.Address
	attacker common.Address
	known    *deployments.Set
	gnode    *Node
	safeArt  *safetest.Artifact // the singleton's artifact (execTransaction, getTransactionHash)
	version  safe.Version
}

func (e *safeEnv) commit() {
	e.t.Helper()
	if _, err := e.node.Commit(); err != nil {
		e.t.Fatal(err)
	}
}

func (e *safeEnv) deploy(code []byte) common.Address {
	e.t.Helper()
	a, h, err := e.node.Deploy(e.ctx, 0, code, nil, 12_000_000)
	if err != nil {
		e.t.Fatal(err)
	}
	e.commit()
	e.mustSucceed(h, "deploy")
	return a
}

func (e *safeEnv) mustSucceed(h common.Hash, what string) *types.Receipt {
	e.t.Helper()
	r, err := e.node.Receipt(e.ctx, h)
	if err != nil {
		e.t.Fatal(err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		e.t.Fatalf("%s: transaction %s failed", what, h)
	}
	return r
}

func newSafeEnv(t *testing.T) *safeEnv {
	node, err := scenario.NewNode(scenario.NodeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close() })
	d := safetest.DeploySafe141(t, node, []int{1, 2, 3}, 2)
	e := &safeEnv{t: t, ctx: context.Background(), node: node, arts: d.Arts, owners: []int{1, 2, 3}, safeArt: d.Arts["Safe"],
		version: safe.Version{Major: 1, Minor: 4, Patch: 1}, safe: d.Safe, ms: d.MultiSend, msCall: d.MultiSendCallOnly}
	e.token = e.deploy(scenario.ERC20Code(big.NewInt(1e18)))
	e.attacker = e.deploy(safetest.ImplantCode())
	h, err := node.Send(e.ctx, 0, &e.token, nil, scenario.TransferCalldata(e.safe, big.NewInt(5e17)), 100_000)
	if err != nil {
		t.Fatal(err)
	}
	e.commit()
	e.mustSucceed(h, "fund the Safe with tokens")

	// Official contracts on this fresh chain: the singleton, MultiSendCallOnly
	// and the handler are recognised by runtime code hash (identical to the
	// official deployments'); MultiSend keeps its own address in an
	// immutable, so its code hash differs per address and it is registered.
	e.known = deployments.Official()
	e.known.Add(deployments.Deployment{Contract: "MultiSend", Asset: "multi_send", Version: "1.4.1", Kind: "local", Address: e.ms.Hex()})
	e.gnode = NewNode(node.RPC())
	return e
}

func callMsg(from, to common.Address, data []byte) ethereum.CallMsg {
	return ethereum.CallMsg{From: from, To: &to, Data: data}
}

// execute signs tx with the owners at idx (sorted by address, as the Safe
// requires) and sends execTransaction from owner idx[0].
func (e *safeEnv) execute(tx *safe.Tx, idx ...int) *types.Receipt {
	e.t.Helper()
	h, err := safe.TxHashes(e.version, e.node.ChainID(), e.safe, tx)
	if err != nil {
		e.t.Fatal(err)
	}
	// The Safe's own getTransactionHash must agree with ours.
	q := e.safeArt.Pack(e.t, "getTransactionHash", tx.To, tx.Value, tx.Data, uint8(tx.Operation), tx.SafeTxGas, tx.BaseGas, tx.GasPrice, tx.GasToken, tx.RefundReceiver, tx.Nonce)
	out, err := e.node.Client().CallContract(e.ctx, callMsg(e.node.Address(0), e.safe, q), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if common.BytesToHash(out) != h.Safe {
		e.t.Fatalf("Safe's getTransactionHash %x, ours %s", out, h.Safe)
	}
	type sig struct {
		owner common.Address
		b     []byte
	}
	var sigs []sig
	for _, i := range idx {
		s, err := crypto.Sign(h.Safe[:], e.node.Keys()[i])
		if err != nil {
			e.t.Fatal(err)
		}
		s[64] += 27
		sigs = append(sigs, sig{e.node.Address(i), s})
	}
	sort.Slice(sigs, func(a, b int) bool { return sigs[a].owner.Cmp(sigs[b].owner) < 0 })
	var all []byte
	for _, s := range sigs {
		all = append(all, s.b...)
	}
	data := e.safeArt.Pack(e.t, "execTransaction", tx.To, tx.Value, tx.Data, uint8(tx.Operation), tx.SafeTxGas, tx.BaseGas, tx.GasPrice, tx.GasToken, tx.RefundReceiver, all)
	hash, err := e.node.Send(e.ctx, idx[0], &e.safe, nil, data, 3_000_000)
	if err != nil {
		e.t.Fatal(err)
	}
	e.commit()
	return e.mustSucceed(hash, "execTransaction")
}

func (e *safeEnv) nonce() *big.Int {
	e.t.Helper()
	n, err := e.gnode.Nonce(e.ctx, e.safe)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *safeEnv) newTx(to common.Address, value *big.Int, data []byte, op safe.Operation) *Tx {
	z := func() *big.Int { return new(big.Int) }
	if value == nil {
		value = z()
	}
	return &Tx{Safe: e.safe, Tx: safe.Tx{To: to, Value: value, Data: data, Operation: op, SafeTxGas: z(), BaseGas: z(), GasPrice: z(), Nonce: e.nonce()}}
}

// check runs the checker and the simulation on the node.
func (e *safeEnv) check(tx *Tx) *Report {
	e.t.Helper()
	c := &Checker{Known: e.known, Node: e.gnode}
	r, err := c.Check(e.ctx, tx, e.node.ChainID(), VersionChoice{e.version, "flag"})
	if err != nil {
		e.t.Fatal(err)
	}
	sim, fs, err := Simulate(e.ctx, e.gnode, tx, r.Calls, e.known)
	if err != nil {
		e.t.Fatal(err)
	}
	r.Simulation = sim
	r.addFindings(fs...)
	return r
}

func hasCode(fs []Finding, sev Severity, code string) bool {
	for _, f := range fs {
		if f.Severity == sev && f.Code == code {
			return true
		}
	}
	return false
}

func noHighOrCritical(t *testing.T, what string, fs []Finding) {
	t.Helper()
	for _, f := range fs {
		if f.Severity >= High {
			t.Errorf("%s: unexpected %s finding %s: %s", what, f.Severity, f.Code, f.Message)
		}
	}
}

func TestSafeOnNode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node and the real Safe contracts")
	}
	e := newSafeEnv(t)
	bob := e.node.Address(5)
	checker := &Checker{Known: e.known}

	audit := func() *AuditReport {
		rs, err := checker.Audit(e.ctx, e.gnode, []common.Address{e.safe}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return rs[0]
	}
	before := audit()
	noHighOrCritical(t, "audit before the attack", before.Findings)
	if before.Official != "Safe 1.4.1" || len(before.Owners) != 3 || before.Threshold.Int64() != 2 || before.Version != "1.4.1" {
		t.Errorf("audit before: official %q owners %d threshold %s version %q", before.Official, len(before.Owners), before.Threshold, before.Version)
	}

	// 1. An ETH transfer.
	ethTx := e.newTx(bob, big.NewInt(1e18), nil, safe.Call)
	r := e.check(ethTx)
	noHighOrCritical(t, "ETH transfer", r.Findings)
	if !r.Simulation.Executed || len(r.Simulation.Writes) != 1 || r.Simulation.Writes[0].Slot != SlotNonce {
		t.Errorf("ETH transfer simulation: %+v", r.Simulation)
	}
	e.execute(&ethTx.Tx, 1, 2)

	// 2. An ERC-20 transfer.
	tokTx := e.newTx(e.token, nil, calldata.Transfer(bob, big.NewInt(1000)), safe.Call)
	r = e.check(tokTx)
	noHighOrCritical(t, "ERC-20 transfer", r.Findings)
	e.execute(&tokTx.Tx, 2, 3)
	if b, _ := scenario.BalanceOf(e.ctx, e.node, e.token, bob); b.Int64() != 1000 {
		t.Errorf("bob's token balance %s after the Safe's transfer", b)
	}

	// 3. An owner-approved MultiSendCallOnly batch, by DELEGATECALL.
	batch := calldata.MultiSend(
		calldata.Packed{Op: safe.Call, To: bob, Value: big.NewInt(2e18)},
		calldata.Packed{Op: safe.Call, To: e.token, Data: calldata.Transfer(bob, big.NewInt(500))},
	)
	batchTx := e.newTx(e.msCall, nil, batch, safe.DelegateCall)
	r = e.check(batchTx)
	noHighOrCritical(t, "MultiSendCallOnly batch", r.Findings)
	if !hasCode(r.Findings, Info, "delegatecall-official") || !r.Simulation.Executed {
		t.Errorf("batch: %+v %+v", r.Findings, r.Simulation)
	}
	e.execute(&batchTx.Tx, 1, 3)

	// 3b. The same batch through MultiSend registered by address.
	r = e.check(e.newTx(e.ms, nil, batch, safe.DelegateCall))
	noHighOrCritical(t, "MultiSend batch", r.Findings)

	// 3c. An owner change is high, not critical, by decoding and simulation.
	add := e.arts["Safe"].Pack(t, "addOwnerWithThreshold", e.node.Address(4), big.NewInt(2))
	r = e.check(e.newTx(e.safe, nil, add, safe.Call))
	if !hasCode(r.Findings, High, "owner-change") || !hasCode(r.Findings, High, "sim-owners-write") || r.MaxSeverity != "high" {
		t.Errorf("owner change: %+v", r.Findings)
	}

	// 3d. Signing a message through the official SignMessageLib (recognised
	// by code hash) writes signedMessages, which the simulation names.
	lib := e.deploy(safetest.Safe141Artifacts(t, "SignMessageLib")["SignMessageLib"].Code())
	sign := pack(t, "signMessage(bytes)", []byte("chainhound guard"))
	r = e.check(e.newTx(lib, nil, sign, safe.DelegateCall))
	noHighOrCritical(t, "signMessage", r.Findings)
	named := false
	for _, w := range r.Simulation.Writes {
		named = named || strings.HasPrefix(w.Meaning, "signedMessages[")
	}
	if !named || !r.Simulation.Executed {
		t.Errorf("signMessage simulation: %+v", r.Simulation)
	}

	// 4. The attack: what the UI shows as a token transfer is a DELEGATECALL
	// into the implant, which rewrites slot 0.
	attackTx := e.newTx(e.attacker, nil, calldata.Transfer(e.attacker, big.NewInt(0)), safe.DelegateCall)
	r = e.check(attackTx)
	if !hasCode(r.Findings, Critical, "delegatecall-unknown") {
		t.Errorf("attack: decoding did not flag the delegatecall: %+v", r.Findings)
	}
	if !hasCode(r.Findings, Critical, "sim-implementation-write") {
		t.Errorf("attack: simulation did not flag the slot-0 write: %+v", r.Findings)
	}
	// The simulation also catches it when the decoding is blind: the same
	// implant registered (wrongly) as an official library.
	fooled := deployments.Official()
	fooled.Add(deployments.Deployment{Contract: "MultiSendCallOnly", Asset: "multi_send_call_only", Version: "1.4.1", Address: e.attacker.Hex()})
	c := &Checker{Known: fooled}
	rf, err := c.Check(e.ctx, attackTx, e.node.ChainID(), VersionChoice{safe.Version{Major: 1, Minor: 4, Patch: 1}, "flag"})
	if err != nil {
		t.Fatal(err)
	}
	_, simFs, err := Simulate(e.ctx, e.gnode, attackTx, rf.Calls, fooled)
	if err != nil {
		t.Fatal(err)
	}
	if hasCode(rf.Findings, Critical, "delegatecall-unknown") || !hasCode(simFs, Critical, "sim-implementation-write") {
		t.Errorf("simulation must flag slot 0 whatever the decoding said: decode %+v, sim %+v", rf.Findings, simFs)
	}

	e.execute(&attackTx.Tx, 1, 2)
	thief := e.node.Address(9)
	loot, _ := e.node.Balance(e.ctx, e.safe)
	had, _ := e.node.Balance(e.ctx, thief)
	sweep := append(safetest.SweepSelector(), common.LeftPadBytes(thief[:], 32)...)
	h, err := e.node.Send(e.ctx, 8, &e.safe, nil, sweep, 200_000)
	if err != nil {
		t.Fatal(err)
	}
	e.commit()
	e.mustSucceed(h, "drain")
	left, _ := e.node.Balance(e.ctx, e.safe)
	got, _ := e.node.Balance(e.ctx, thief)
	if left.Sign() != 0 || new(big.Int).Sub(got, had).Cmp(loot) != 0 || loot.Sign() == 0 {
		t.Fatalf("drain: Safe had %s, has %s; thief gained %s", loot, left, new(big.Int).Sub(got, had))
	}

	after := audit()
	// The HTTP audit gives the same verdict.
	srv := httptest.NewServer(Handler(&Service{Known: e.known, Node: e.gnode}))
	defer srv.Close()
	resp, body := post(t, srv, "/v1/guard/audit", `{"safes":["`+e.safe.Hex()+`"]}`)
	var ar AuditResult
	if resp.StatusCode != 200 || json.Unmarshal(body, &ar) != nil || ar.MaxSeverity != "critical" || !hasCode(ar.Safes[0].Findings, Critical, "implementation-unofficial") {
		t.Errorf("HTTP audit: %s %s", resp.Status, body)
	}
	if !hasCode(after.Findings, Critical, "implementation-unofficial") || after.Implementation != e.attacker {
		t.Errorf("audit after the attack: impl %s findings %+v", after.Implementation, after.Findings)
	}
}
