package scenario

import (
	"context"
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// callFrame is one frame of go-ethereum's callTracer output.
type callFrame struct {
	Type    string         `json:"type"`
	From    common.Address `json:"from"`
	To      common.Address `json:"to"`
	Value   *hexutil.Big   `json:"value"`
	Error   string         `json:"error"`
	Calls   []callFrame    `json:"calls"`
	GasUsed hexutil.Uint64 `json:"gasUsed"`
}

// walk visits f and every frame below it.
func (f *callFrame) walk(visit func(depth int, f *callFrame)) {
	var rec func(int, *callFrame)
	rec = func(d int, f *callFrame) {
		visit(d, f)
		for i := range f.Calls {
			rec(d+1, &f.Calls[i])
		}
	}
	rec(0, f)
}

func (f *callFrame) value() *big.Int {
	if f.Value == nil {
		return new(big.Int)
	}
	return f.Value.ToInt()
}

func traceTx(t *testing.T, n *Node, h common.Hash) *callFrame {
	t.Helper()
	var f callFrame
	httpCall(t, n.URL(), "debug_traceTransaction", &f, h, map[string]any{"tracer": "callTracer"})
	return &f
}

// sealed commits and returns the receipt of h, requiring the given status.
func sealed(t *testing.T, n *Node, h common.Hash, status uint64) *types.Receipt {
	t.Helper()
	mustCommit(t, n)
	r, err := n.Receipt(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != status {
		t.Fatalf("tx %s: status %d, want %d", h, r.Status, status)
	}
	return r
}

func deploy(t *testing.T, n *Node, from int, code []byte, value *big.Int) common.Address {
	t.Helper()
	addr, h, err := n.Deploy(context.Background(), from, code, value, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	sealed(t, n, h, 1)
	return addr
}

func send(t *testing.T, n *Node, from int, to common.Address, value *big.Int, data []byte, gas uint64) common.Hash {
	t.Helper()
	h, err := n.Send(context.Background(), from, &to, value, data, gas)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func wantBalance(t *testing.T, n *Node, addr common.Address, want int64) {
	t.Helper()
	got, err := n.Balance(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cmp(big.NewInt(want)) != 0 {
		t.Fatalf("balance of %s = %v, want %d", addr, got, want)
	}
}

func wantToken(t *testing.T, n *Node, token, holder common.Address, want *big.Int) {
	t.Helper()
	got, err := BalanceOf(context.Background(), n, token, holder)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cmp(want) != 0 {
		t.Fatalf("token %s balance of %s = %v, want %v", token, holder, got, want)
	}
}

func TestSelectorsAndTopics(t *testing.T) {
	sels := map[string]uint32{
		"transfer(address,uint256)":             SelTransfer,
		"balanceOf(address)":                    SelBalanceOf,
		"deposit()":                             SelDeposit,
		"withdraw(uint256)":                     SelWithdraw,
		"transferFrom(address,address,uint256)": SelTransferFrom,
		"ownerOf(uint256)":                      SelOwnerOf,
	}
	for sig, sel := range sels {
		if got := binary.BigEndian.Uint32(crypto.Keccak256([]byte(sig))[:4]); got != sel {
			t.Errorf("selector of %s = %#x, constant says %#x", sig, got, sel)
		}
	}
	topics := map[string]common.Hash{
		"Transfer(address,address,uint256)": TransferTopic,
		"Deposit(address,uint256)":          DepositTopic,
		"Withdrawal(address,uint256)":       WithdrawalTopic,
	}
	for sig, topic := range topics {
		if got := crypto.Keccak256Hash([]byte(sig)); got != topic {
			t.Errorf("topic of %s = %s, constant says %s", sig, got, topic)
		}
	}
}

func TestForwarder(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	fwd := deploy(t, n, 0, ForwarderCode(), nil)
	rs := []common.Address{{0xa1}, {0xa2}, {0xa3}}
	h := send(t, n, 1, fwd, big.NewInt(100), ForwarderCalldata(rs...), 200_000)
	sealed(t, n, h, 1)
	for _, r := range rs {
		wantBalance(t, n, r, 33)
	}
	wantBalance(t, n, fwd, 1) // the division remainder stays

	var inner int
	traceTx(t, n, h).walk(func(d int, f *callFrame) {
		if d == 1 && f.Type == "CALL" && f.From == fwd && f.value().Int64() == 33 {
			inner++
		}
	})
	if inner != 3 {
		t.Fatalf("trace has %d inner CALLs of 33 wei, want 3", inner)
	}

	// An empty list keeps everything.
	sealed(t, n, send(t, n, 1, fwd, big.NewInt(5), nil, 100_000), 1)
	wantBalance(t, n, fwd, 6)
}

func TestReverterAndTryCall(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	ctx := context.Background()
	rev := deploy(t, n, 0, ReverterCode(), nil)
	try := deploy(t, n, 0, TryCallCode(), nil)

	before, _ := n.Balance(ctx, n.Address(1))
	r := sealed(t, n, send(t, n, 1, rev, big.NewInt(1000), nil, 100_000), 0)
	after, _ := n.Balance(ctx, n.Address(1))
	fee := new(big.Int).Mul(new(big.Int).SetUint64(r.GasUsed), r.EffectiveGasPrice)
	if spent := new(big.Int).Sub(before, after); spent.Cmp(fee) != 0 {
		t.Fatalf("failed call cost %v, want only the fee %v", spent, fee)
	}
	wantBalance(t, n, rev, 0)

	h := send(t, n, 1, try, big.NewInt(50), AddressCalldata(rev), 200_000)
	sealed(t, n, h, 1)
	wantBalance(t, n, try, 50)
	wantBalance(t, n, rev, 0)
	root := traceTx(t, n, h)
	if len(root.Calls) != 1 || root.Calls[0].To != rev || root.Calls[0].Error == "" || root.Calls[0].value().Int64() != 50 {
		t.Fatalf("trace %+v: want one reverted inner CALL of 50 wei to %s", root, rev)
	}
}

func TestSelfDestructor(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	ctx := context.Background()
	sd := deploy(t, n, 0, SelfDestructorCode(), big.NewInt(1000))
	wantBalance(t, n, sd, 1000)
	heir := common.Address{0xbe}
	h := send(t, n, 2, sd, nil, AddressCalldata(heir), 100_000)
	sealed(t, n, h, 1)
	wantBalance(t, n, heir, 1000)
	wantBalance(t, n, sd, 0)
	code, err := n.Client().CodeAt(ctx, sd, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(code) == 0 {
		t.Fatal("code removed by SELFDESTRUCT of a contract created in an earlier transaction (EIP-6780 says keep)")
	}
	var sdFrames int
	traceTx(t, n, h).walk(func(_ int, f *callFrame) {
		if f.Type == "SELFDESTRUCT" && f.To == heir && f.value().Int64() == 1000 {
			sdFrames++
		}
	})
	if sdFrames != 1 {
		t.Fatalf("trace has %d SELFDESTRUCT frames of 1000 wei to the heir, want 1", sdFrames)
	}

	// Created and destroyed in one transaction: the account goes away.
	heir2 := common.Address{0xbf}
	eph := deploy(t, n, 2, EphemeralCode(heir2), big.NewInt(500))
	wantBalance(t, n, heir2, 500)
	wantBalance(t, n, eph, 0)
	if code, _ := n.Client().CodeAt(ctx, eph, nil); len(code) != 0 {
		t.Fatalf("ephemeral contract left code %x", code)
	}
}

func TestFactoryAndSink(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	ctx := context.Background()
	sink := deploy(t, n, 0, SinkCode(), big.NewInt(42))
	wantBalance(t, n, sink, 42)
	sealed(t, n, send(t, n, 1, sink, big.NewInt(8), nil, 50_000), 1)
	wantBalance(t, n, sink, 50)

	fac := deploy(t, n, 0, FactoryCode(), nil)
	h := send(t, n, 1, fac, big.NewInt(77), nil, 300_000)
	sealed(t, n, h, 1)
	child := crypto.CreateAddress(fac, 1)
	wantBalance(t, n, child, 77)
	wantBalance(t, n, fac, 0)
	if code, _ := n.Client().CodeAt(ctx, child, nil); len(code) != 1 {
		t.Fatalf("child code %x, want a single STOP", code)
	}
	root := traceTx(t, n, h)
	if len(root.Calls) != 1 || root.Calls[0].Type != "CREATE" || root.Calls[0].To != child || root.Calls[0].value().Int64() != 77 {
		t.Fatalf("trace %+v: want one CREATE of 77 wei making %s", root, child)
	}
}

func TestERC20(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	supply := big.NewInt(1_000_000)
	addr, h, err := n.Deploy(context.Background(), 0, ERC20Code(supply), nil, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	r := sealed(t, n, h, 1)
	wantTransferLog(t, r.Logs, addr, common.Address{}, n.Address(0), supply)
	wantToken(t, n, addr, n.Address(0), supply)

	r = sealed(t, n, send(t, n, 0, addr, nil, TransferCalldata(n.Address(1), big.NewInt(300)), 100_000), 1)
	wantTransferLog(t, r.Logs, addr, n.Address(0), n.Address(1), big.NewInt(300))
	wantToken(t, n, addr, n.Address(0), big.NewInt(999_700))
	wantToken(t, n, addr, n.Address(1), big.NewInt(300))

	// Short balance, value attached, unknown selector: all revert.
	sealed(t, n, send(t, n, 1, addr, nil, TransferCalldata(n.Address(2), big.NewInt(301)), 100_000), 0)
	sealed(t, n, send(t, n, 1, addr, big.NewInt(1), TransferCalldata(n.Address(2), big.NewInt(1)), 100_000), 0)
	sealed(t, n, send(t, n, 1, addr, nil, []byte{1, 2, 3, 4}, 100_000), 0)
	wantToken(t, n, addr, n.Address(1), big.NewInt(300))
	wantToken(t, n, addr, n.Address(2), new(big.Int))

	// Sending to oneself keeps the balance.
	sealed(t, n, send(t, n, 1, addr, nil, TransferCalldata(n.Address(1), big.NewInt(300)), 100_000), 1)
	wantToken(t, n, addr, n.Address(1), big.NewInt(300))
}

func wantTransferLog(t *testing.T, logs []*types.Log, token, from, to common.Address, value *big.Int) {
	t.Helper()
	if len(logs) != 1 {
		t.Fatalf("%d logs, want 1", len(logs))
	}
	l := logs[0]
	want := []common.Hash{TransferTopic, common.BytesToHash(from.Bytes()), common.BytesToHash(to.Bytes())}
	if l.Address != token || len(l.Topics) != 3 || l.Topics[0] != want[0] || l.Topics[1] != want[1] || l.Topics[2] != want[2] {
		t.Fatalf("log %+v, want Transfer(%s, %s) from %s", l, from, to, token)
	}
	if new(big.Int).SetBytes(l.Data).Cmp(value) != 0 || len(l.Data) != 32 {
		t.Fatalf("log data %x, want 32-byte %v", l.Data, value)
	}
}

func TestWETH(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	weth := deploy(t, n, 0, WETHCode(), nil)
	me := n.Address(1)

	r := sealed(t, n, send(t, n, 1, weth, big.NewInt(1000), DepositCalldata(), 100_000), 1)
	if len(r.Logs) != 1 || r.Logs[0].Topics[0] != DepositTopic || r.Logs[0].Topics[1] != common.BytesToHash(me.Bytes()) {
		t.Fatalf("deposit logs %+v", r.Logs)
	}
	sealed(t, n, send(t, n, 1, weth, big.NewInt(500), nil, 100_000), 1) // fallback deposits too
	wantToken(t, n, weth, me, big.NewInt(1500))
	wantBalance(t, n, weth, 1500)

	h := send(t, n, 1, weth, nil, WithdrawCalldata(big.NewInt(600)), 100_000)
	r = sealed(t, n, h, 1)
	if len(r.Logs) != 1 || r.Logs[0].Topics[0] != WithdrawalTopic || new(big.Int).SetBytes(r.Logs[0].Data).Int64() != 600 {
		t.Fatalf("withdraw logs %+v", r.Logs)
	}
	wantToken(t, n, weth, me, big.NewInt(900))
	wantBalance(t, n, weth, 900)
	root := traceTx(t, n, h)
	if len(root.Calls) != 1 || root.Calls[0].To != me || root.Calls[0].value().Int64() != 600 {
		t.Fatalf("withdraw trace %+v: want an inner CALL of 600 wei back to %s", root, me)
	}

	sealed(t, n, send(t, n, 1, weth, nil, WithdrawCalldata(big.NewInt(901)), 100_000), 0)
	r = sealed(t, n, send(t, n, 1, weth, nil, TransferCalldata(n.Address(2), big.NewInt(100)), 100_000), 1)
	wantTransferLog(t, r.Logs, weth, me, n.Address(2), big.NewInt(100))
	wantToken(t, n, weth, n.Address(2), big.NewInt(100))
}

func TestERC721(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	ctx := context.Background()
	nft, h, err := n.Deploy(ctx, 0, ERC721Code(3), nil, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	r := sealed(t, n, h, 1)
	if len(r.Logs) != 3 {
		t.Fatalf("mint logs: %d, want 3", len(r.Logs))
	}
	for i, l := range r.Logs {
		if len(l.Topics) != 4 || len(l.Data) != 0 || l.Topics[0] != TransferTopic || l.Topics[1] != (common.Hash{}) ||
			l.Topics[2] != common.BytesToHash(n.Address(0).Bytes()) || l.Topics[3] != common.BigToHash(big.NewInt(int64(i+1))) {
			t.Fatalf("mint log %d: %+v", i, l)
		}
	}
	id := big.NewInt(2)
	r = sealed(t, n, send(t, n, 0, nft, nil, TransferFromCalldata(n.Address(0), n.Address(1), id), 100_000), 1)
	if len(r.Logs) != 1 || len(r.Logs[0].Topics) != 4 || r.Logs[0].Topics[2] != common.BytesToHash(n.Address(1).Bytes()) {
		t.Fatalf("transfer logs %+v", r.Logs)
	}
	owner, err := OwnerOf(ctx, n, nft, id)
	if err != nil {
		t.Fatal(err)
	}
	if owner != n.Address(1) {
		t.Fatalf("owner of 2 = %s, want %s", owner, n.Address(1))
	}
	// Not the owner any more, and not the caller: both revert.
	sealed(t, n, send(t, n, 0, nft, nil, TransferFromCalldata(n.Address(0), n.Address(2), id), 100_000), 0)
	sealed(t, n, send(t, n, 2, nft, nil, TransferFromCalldata(n.Address(1), n.Address(2), id), 100_000), 0)
}
