package guard

import (
	"context"
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/internal/guard/deployments"
	"github.com/chainhound/chainhound/internal/guard/safe"
	"github.com/chainhound/chainhound/internal/scenario/heist"
)

// TestHeistSafeTxCritical plays the demo's bybit scenario up to the block
// in which the signers execute the malicious Safe transaction, and checks
// that transaction as a pre-sign check would, on the scenario's own node
// (real Safe 1.4.1 contracts, compiled trojan): the guard calls it
// critical. After the block, the Safe's implementation is the backdoor.
func TestHeistSafeTxCritical(t *testing.T) {
	ctx := context.Background()
	p, err := heist.New(ctx, heist.Config{Scenario: "bybit", Seed: 1, NoBenign: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for !p.Done() && !slices.ContainsFunc(p.NextActions(), func(a heist.Action) bool { return a.Kind == heist.SafeExec }) {
		if _, err := p.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if p.Done() {
		t.Fatal("the bybit plan has no SafeExec block")
	}
	st, err := p.MaliciousSafeTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	z := func() *big.Int { return new(big.Int) }
	tx := &Tx{Safe: common.HexToAddress(st.Safe), Tx: safe.Tx{To: common.HexToAddress(st.To), Value: z(), Data: common.FromHex(st.Data),
		Operation: safe.DelegateCall, SafeTxGas: z(), BaseGas: z(), GasPrice: z(), Nonce: new(big.Int).SetUint64(st.Nonce)}}
	node := NewNode(p.Node().RPC())
	known := deployments.Official()
	c := &Checker{Known: known, Node: node}
	r, err := c.Check(ctx, tx, p.Node().ChainID(), VersionChoice{safe.Version{Major: 1, Minor: 4, Patch: 1}, "flag"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Hashes.Safe.Hex() != st.SafeTxHash {
		t.Errorf("guard's safeTxHash %s, the Safe's own %s", r.Hashes.Safe.Hex(), st.SafeTxHash)
	}
	sim, fs, err := Simulate(ctx, node, tx, r.Calls, known)
	if err != nil {
		t.Fatal(err)
	}
	r.Simulation = sim
	r.addFindings(fs...)
	if !hasCode(r.Findings, Critical, "delegatecall-unknown") || !hasCode(r.Findings, Critical, "sim-implementation-write") {
		t.Errorf("the heist's Safe transaction is not flagged critical: %+v", r.Findings)
	}
	if _, err := p.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if got := p.Truth().SafeTx; got == nil || got.Block == 0 || got.SafeTxHash != st.SafeTxHash {
		t.Errorf("executed Safe tx %+v, checked %+v", got, st)
	}
}
