package guard

import (
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/internal/guard/calldata"
	"github.com/chainhound/chainhound/internal/guard/deployments"
	"github.com/chainhound/chainhound/internal/guard/safe"
	"github.com/chainhound/chainhound/internal/guard/safetest"
	"github.com/chainhound/chainhound/internal/scenario"
)

// newLegacyEnv deploys a released singleton of an older package behind its
// own Proxy and sets it up with 3 owners and threshold 2.
func newLegacyEnv(t *testing.T, pkg safetest.Package) *safeEnv {
	proxyName := "Proxy"
	if pkg.Version >= "1.2.0" {
		proxyName = "GnosisSafeProxy"
	}
	arts := safetest.Artifacts(t, pkg, "GnosisSafe", proxyName)
	node, err := scenario.NewNode(scenario.NodeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close() })
	v, err := safe.ParseVersion(pkg.Version)
	if err != nil {
		t.Fatal(err)
	}
	e := &safeEnv{t: t, ctx: context.Background(), node: node, arts: arts, owners: []int{1, 2, 3}, safeArt: arts["GnosisSafe"], version: v}
	singleton := e.deploy(arts["GnosisSafe"].Code())
	e.safe = e.deploy(append(arts[proxyName].Code(), common.LeftPadBytes(singleton[:], 32)...))
	e.attacker = e.deploy(safetest.ImplantCode())
	// setup's signature grew over the releases; fill what is not owners
	// and threshold with zero values.
	setup := arts["GnosisSafe"].ABIs.Methods["setup"]
	var args []any
	for _, in := range setup.Inputs {
		switch in.Name {
		case "_owners":
			args = append(args, []common.Address{node.Address(1), node.Address(2), node.Address(3)})
		case "_threshold":
			args = append(args, big.NewInt(2))
		default:
			switch in.Type.String() {
			case "uint256":
				args = append(args, new(big.Int))
			case "bytes":
				args = append(args, []byte{})
			case "address":
				args = append(args, common.Address{})
			default:
				t.Fatalf("setup argument %s of type %s", in.Name, in.Type)
			}
		}
	}
	data := e.safeArt.Pack(t, "setup", args...)
	h, err := node.Send(e.ctx, 0, &e.safe, nil, data, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := node.Send(e.ctx, 0, &e.safe, new(big.Int).Mul(big.NewInt(10), big.NewInt(1e18)), nil, 100_000); err != nil {
		t.Fatal(err)
	}
	e.commit()
	e.mustSucceed(h, "setup")
	e.known = deployments.Official()
	e.gnode = NewNode(node.RPC())
	return e
}

// TestVersionsOnNode checks hashing, execution and simulation against the
// real released contracts of every older Safe version: the contract's own
// getTransactionHash must equal ours (with every field non-zero), owners'
// signatures over our hash must execute, and the simulation must pass a
// plain transfer and flag a Bybit-class implant.
func TestVersionsOnNode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node per Safe version")
	}
	for _, pkg := range safetest.GnosisReleases {
		t.Run(pkg.Version, func(t *testing.T) {
			e := newLegacyEnv(t, pkg)
			if v, raw, err := e.gnode.Version(e.ctx, e.safe); err != nil || v != e.version {
				t.Fatalf("VERSION() %q %v, want %s", raw, err, e.version)
			}
			rich := &safe.Tx{To: common.HexToAddress("0x00000000000000000000000000000000000000b0"), Value: big.NewInt(12345),
				Data: []byte{1, 2, 3, 4, 5}, Operation: safe.DelegateCall, SafeTxGas: big.NewInt(50_000), BaseGas: big.NewInt(21_000),
				GasPrice: big.NewInt(7), GasToken: common.HexToAddress("0x00000000000000000000000000000000000000c0"),
				RefundReceiver: common.HexToAddress("0x00000000000000000000000000000000000000d0"), Nonce: big.NewInt(99)}
			h, err := safe.TxHashes(e.version, e.node.ChainID(), e.safe, rich)
			if err != nil {
				t.Fatal(err)
			}
			q := e.safeArt.Pack(t, "getTransactionHash", rich.To, rich.Value, rich.Data, uint8(rich.Operation), rich.SafeTxGas, rich.BaseGas, rich.GasPrice, rich.GasToken, rich.RefundReceiver, rich.Nonce)
			out, err := e.node.Client().CallContract(e.ctx, callMsg(e.node.Address(0), e.safe, q), nil)
			if err != nil {
				t.Fatal(err)
			}
			if common.BytesToHash(out) != h.Safe {
				t.Fatalf("Safe %s getTransactionHash %x, ours %s", e.version, out, h.Safe)
			}

			// Audit: 1.1.1 and 1.3.0 as published on npm are byte for byte the
			// official singletons (same runtime code hash), so they audit
			// clean; every version must be fully readable.
			c := &Checker{Known: e.known}
			rs, err := c.Audit(e.ctx, e.gnode, []common.Address{e.safe}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if hasCode(rs[0].Findings, High, "state-unreadable") || len(rs[0].Owners) != 3 || rs[0].Threshold.Int64() != 2 {
				t.Errorf("audit: %+v", rs[0])
			}
			if pkg.Version == "1.1.1" || pkg.Version == "1.3.0" {
				noHighOrCritical(t, "audit", rs[0].Findings)
				if rs[0].Official != "GnosisSafe "+pkg.Version {
					t.Errorf("audit: official %q", rs[0].Official)
				}
			}

			bob := e.node.Address(5)
			before, _ := e.node.Balance(e.ctx, bob)
			pay := e.newTx(bob, big.NewInt(1e18), nil, safe.Call)
			r := e.check(pay)
			noHighOrCritical(t, "ETH transfer", r.Findings)
			if !r.Simulation.Executed {
				t.Errorf("ETH transfer simulation: %+v", r.Simulation)
			}
			e.execute(&pay.Tx, 1, 3)
			after, _ := e.node.Balance(e.ctx, bob)
			if new(big.Int).Sub(after, before).Cmp(big.NewInt(1e18)) != 0 {
				t.Errorf("bob received %s", new(big.Int).Sub(after, before))
			}

			// Safes before 1.3.0 sign messages themselves (signMessage on
			// the Safe, through execTransaction).
			if _, ok := e.safeArt.ABIs.Methods["signMessage"]; ok {
				r = e.check(e.newTx(e.safe, nil, e.safeArt.Pack(t, "signMessage", []byte("chainhound")), safe.Call))
				noHighOrCritical(t, "signMessage", r.Findings)
				if len(r.Simulation.Writes) != 2 {
					t.Errorf("signMessage writes: %+v", r.Simulation.Writes)
				}
				named := false
				for _, w := range r.Simulation.Writes {
					named = named || strings.HasPrefix(w.Meaning, "signedMessages[")
				}
				if !named {
					t.Errorf("signMessage writes not named: %+v", r.Simulation.Writes)
				}
			}

			attack := e.newTx(e.attacker, nil, calldata.Transfer(e.attacker, big.NewInt(0)), safe.DelegateCall)
			r = e.check(attack)
			if !hasCode(r.Findings, Critical, "delegatecall-unknown") || !hasCode(r.Findings, Critical, "sim-implementation-write") {
				t.Errorf("attack on %s: %+v", e.version, r.Findings)
			}
		})
	}
}
