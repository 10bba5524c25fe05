package guard

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/internal/guard/calldata"
	"github.com/chainhound/chainhound/internal/guard/safe"
)

// A MultiSend batch whose last entry's data length runs one byte past the
// end: the decoder gives up on it (undecodable, HIGH) without looking at
// its operation and target, but the official MultiSend executes it anyway
// (reading a zero byte past the buffer): a DELEGATECALL into the implant.
func TestReviewTruncatedBatchHidesDelegatecall(t *testing.T) {
	e := newSafeEnv(t)
	payload := calldata.Transfer(e.attacker, big.NewInt(0)) // implant: sstore(0, arg0)
	var b []byte
	b = append(b, 1)                                                                     // DELEGATECALL
	b = append(b, e.attacker[:]...)                                                      // to the implant
	b = append(b, make([]byte, 32)...)                                                   // value 0
	b = append(b, common.LeftPadBytes(big.NewInt(int64(len(payload)+1)).Bytes(), 32)...) // length one past the end
	b = append(b, payload...)
	data, err := calldata.Pack("multiSend(bytes)", b)
	if err != nil {
		t.Fatal(err)
	}
	tx := e.newTx(e.ms, nil, data, safe.DelegateCall)

	// Decoding alone (no --rpc): what a signer sees.
	c := &Checker{Known: e.known}
	r, err := c.Check(e.ctx, tx, e.node.ChainID(), VersionChoice{e.version, "flag"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		t.Logf("decoding: %s %s %s: %s", f.Severity, f.Code, f.Where, f.Message)
	}
	// Executed for real on the node with two owner signatures.
	e.execute(&tx.Tx, 1, 2)
	impl, err := e.gnode.Storage(e.ctx, e.safe, SlotSingleton)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("slot 0 after execution: %s (implant %s)", impl, e.attacker)
	if r.MaxSeverity != "critical" {
		t.Errorf("decoding max severity %s for a batch that replaced the implementation", r.MaxSeverity)
	}
}

// Same truncated batch, with an implant that makes two outsiders owners by
// writing owners[a] = 1 directly (checkSignatures only asks owners[a] != 0):
// no slot 0, no owner count, no threshold write. Decoding says HIGH
// (undecodable), simulation says HIGH (unrecognised slots): with --rpc and
// --fail-on critical it passes, and the outsiders then drain the Safe.
func TestReviewHiddenOwnersPassAsHigh(t *testing.T) {
	e := newSafeEnv(t)
	a1, a2 := e.node.Address(4), e.node.Address(5)
	var rt []byte
	for _, a := range []common.Address{a1, a2} {
		k := MappingSlot(a, SlotOwners)
		rt = append(rt, 0x60, 0x01, 0x7f)
		rt = append(rt, k[:]...)
		rt = append(rt, 0x55)
	}
	rt = append(rt, 0x00)
	init := []byte{0x60, byte(len(rt)), 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3}
	implant := e.deploy(append(init, rt...))

	var b []byte
	b = append(b, 1)
	b = append(b, implant[:]...)
	b = append(b, make([]byte, 32)...)
	b = append(b, common.LeftPadBytes([]byte{1}, 32)...) // 1 data byte, none present
	data, err := calldata.Pack("multiSend(bytes)", b)
	if err != nil {
		t.Fatal(err)
	}
	tx := e.newTx(e.ms, nil, data, safe.DelegateCall)
	r := e.check(tx) // decoding + simulation, as guard safe --rpc
	for _, f := range r.Findings {
		t.Logf("%s %s %s: %s", f.Severity, f.Code, f.Where, f.Message)
	}
	e.execute(&tx.Tx, 1, 2)
	bob := e.node.Address(6)
	before, _ := e.node.Balance(e.ctx, e.safe)
	drain := e.newTx(bob, before, nil, safe.Call)
	e.execute(&drain.Tx, 4, 5) // signed by the two outsiders only
	after, _ := e.node.Balance(e.ctx, e.safe)
	t.Logf("Safe balance %s -> %s after a transfer signed only by non-owners", before, after)
	if r.MaxSeverity != "critical" {
		t.Errorf("max severity %s (with simulation) for a transaction that hands the Safe to outsiders", r.MaxSeverity)
	}
	// The simulation on its own must say critical too (decoding can be
	// fooled; the storage writes cannot).
	simCritical := false
	for _, f := range r.Findings {
		if f.Where == "simulation" && f.Severity == Critical {
			simCritical = true
		}
	}
	if !simCritical {
		t.Errorf("simulation findings are not critical for owners[outsider] = 1 writes")
	}
}
