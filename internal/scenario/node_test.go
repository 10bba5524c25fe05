package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
)

func newTestNode(t *testing.T, cfg NodeConfig) *Node {
	t.Helper()
	n, err := NewNode(cfg)
	if err != nil {
		t.Fatalf("NewNode: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return n
}

// httpCall makes one JSON-RPC call over plain HTTP, the way an external
// client such as chainhound's ingester does, and decodes the result.
func httpCall(t *testing.T, endpoint, method string, result any, params ...any) {
	t.Helper()
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		t.Fatalf("%s: encode request: %v", method, err)
	}
	resp, err := http.Post(endpoint, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: post: %v", method, err)
	}
	defer resp.Body.Close()
	var reply struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		t.Fatalf("%s: decode reply (HTTP %s): %v", method, resp.Status, err)
	}
	if reply.Error != nil {
		t.Fatalf("%s: rpc error %d: %s", method, reply.Error.Code, reply.Error.Message)
	}
	if err := json.Unmarshal(reply.Result, result); err != nil {
		t.Fatalf("%s: decode result %.200s: %v", method, reply.Result, err)
	}
}

func mustCommit(t *testing.T, n *Node) common.Hash {
	t.Helper()
	h, err := n.Commit()
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return h
}

func TestNodeServesHTTP(t *testing.T) {
	n := newTestNode(t, NodeConfig{ChainID: 4242})
	u, err := url.Parse(n.URL())
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "0" {
		t.Fatalf("URL() = %q, want http://127.0.0.1:<port>", n.URL())
	}
	var chainID hexutil.Big
	httpCall(t, n.URL(), "eth_chainId", &chainID)
	if chainID.ToInt().Uint64() != 4242 {
		t.Fatalf("eth_chainId = %v, want 4242", chainID.ToInt())
	}
	var height hexutil.Uint64
	httpCall(t, n.URL(), "eth_blockNumber", &height)
	if height != 0 {
		t.Fatalf("eth_blockNumber = %d before any Commit, want 0", height)
	}
	h1 := mustCommit(t, n)
	h2 := mustCommit(t, n)
	httpCall(t, n.URL(), "eth_blockNumber", &height)
	if height != 2 {
		t.Fatalf("eth_blockNumber = %d after two Commits, want 2", height)
	}
	var block struct {
		Hash       common.Hash `json:"hash"`
		ParentHash common.Hash `json:"parentHash"`
		Miner      common.Address
	}
	httpCall(t, n.URL(), "eth_getBlockByNumber", &block, "latest", false)
	if block.Hash != h2 || block.ParentHash != h1 {
		t.Fatalf("head %s parent %s, want %s parent %s", block.Hash, block.ParentHash, h2, h1)
	}
	if block.Miner != DefaultFeeRecipient {
		t.Fatalf("miner = %s, want %s", block.Miner, DefaultFeeRecipient)
	}
}

func TestNodeKeysAreDeterministic(t *testing.T) {
	a, b := DeterministicKeys(3), DeterministicKeys(3)
	for i := range a {
		if !a[i].Equal(b[i]) {
			t.Fatalf("key %d differs between calls", i)
		}
	}
	n := newTestNode(t, NodeConfig{Accounts: 3})
	if len(n.Keys()) != 3 {
		t.Fatalf("Keys() has %d keys, want 3", len(n.Keys()))
	}
	bal, err := n.Balance(context.Background(), n.Address(2))
	if err != nil {
		t.Fatal(err)
	}
	if bal.Cmp(Funding()) != 0 {
		t.Fatalf("balance of key 2 = %v, want %v", bal, Funding())
	}
}

func TestNodeSendManyThenCommit(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	ctx := context.Background()
	to := common.HexToAddress("0x1111111111111111111111111111111111111111")
	var hashes []common.Hash
	for i := 0; i < 5; i++ {
		h, err := n.Send(ctx, 0, &to, big.NewInt(int64(i+1)), nil, params.TxGas)
		if err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		hashes = append(hashes, h)
	}
	block := mustCommit(t, n)
	for i, h := range hashes {
		r, err := n.Receipt(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != 1 || r.BlockHash != block {
			t.Fatalf("tx %d: status %d in block %s, want 1 in %s", i, r.Status, r.BlockHash, block)
		}
	}
	bal, err := n.Balance(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	if bal.Int64() != 15 {
		t.Fatalf("recipient balance %v, want 15", bal)
	}
}

func TestNodeDebugAndReceiptsOverHTTP(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	ctx := context.Background()
	to := common.HexToAddress("0x2222222222222222222222222222222222222222")
	if _, err := n.Send(ctx, 1, &to, big.NewInt(params.Ether), nil, params.TxGas); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, n)

	var receipts []struct {
		Status          hexutil.Uint64 `json:"status"`
		TransactionHash common.Hash    `json:"transactionHash"`
	}
	httpCall(t, n.URL(), "eth_getBlockReceipts", &receipts, "0x1")
	if len(receipts) != 1 || receipts[0].Status != 1 {
		t.Fatalf("eth_getBlockReceipts(1) = %+v, want one successful receipt", receipts)
	}

	var traces []struct {
		TxHash common.Hash `json:"txHash"`
		Result struct {
			Type  string       `json:"type"`
			From  string       `json:"from"`
			To    string       `json:"to"`
			Value *hexutil.Big `json:"value"`
		} `json:"result"`
	}
	httpCall(t, n.URL(), "debug_traceBlockByNumber", &traces, "0x1", map[string]any{"tracer": "callTracer"})
	if len(traces) != 1 || traces[0].Result.Type != "CALL" || traces[0].Result.Value.ToInt().Cmp(big.NewInt(params.Ether)) != 0 {
		t.Fatalf("callTracer trace = %+v, want one CALL of 1 ether", traces)
	}

	var dump struct {
		Root     string                     `json:"root"`
		Accounts map[string]json.RawMessage `json:"accounts"`
	}
	httpCall(t, n.URL(), "debug_dumpBlock", &dump, "0x0")
	if len(dump.Accounts) < DefaultAccounts {
		t.Fatalf("debug_dumpBlock(0) has %d accounts, want at least %d", len(dump.Accounts), DefaultAccounts)
	}
	if _, ok := dump.Accounts[n.Address(0).Hex()]; !ok {
		keys := make([]string, 0, len(dump.Accounts))
		for k := range dump.Accounts {
			keys = append(keys, k)
		}
		t.Fatalf("debug_dumpBlock(0) lacks key 0 %s; has %v", n.Address(0), keys)
	}
}

func TestNodeForkReorgs(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	ctx := context.Background()
	base := mustCommit(t, n) // block 1
	to := common.HexToAddress("0x3333333333333333333333333333333333333333")
	if _, err := n.Send(ctx, 0, &to, big.NewInt(7), nil, params.TxGas); err != nil {
		t.Fatal(err)
	}
	old2 := mustCommit(t, n)
	mustCommit(t, n) // block 3 on the old branch

	if err := n.Fork(base); err != nil {
		t.Fatalf("Fork: %v", err)
	}
	canonical2 := func() common.Hash {
		var block struct {
			Hash common.Hash `json:"hash"`
		}
		httpCall(t, n.URL(), "eth_getBlockByNumber", &block, "0x2", false)
		return block.Hash
	}
	side2 := mustCommit(t, n)
	mustCommit(t, n) // side chain as long as the canonical one: no reorg yet
	if got := canonical2(); got != old2 || n.Head().Number.Uint64() != 3 {
		t.Fatalf("block 2 is %s, head #%d, before the side chain is longer; want %s, #3", got, n.Head().Number, old2)
	}
	mustCommit(t, n)
	if got := canonical2(); got != side2 {
		t.Fatalf("block 2 is %s after the side chain grew longer, want %s", got, side2)
	}
	if got := n.Head().Number.Uint64(); got != 4 {
		t.Fatalf("head is #%d, want #4", got)
	}
	bal, err := n.Balance(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	if bal.Sign() != 0 {
		t.Fatalf("transfer survived the reorg: balance %v", bal)
	}
	// Archive mode: the dropped block's state stays readable by hash.
	old, err := n.Client().BalanceAtHash(ctx, to, old2)
	if err != nil {
		t.Fatalf("balance at reorged-out block: %v", err)
	}
	if old.Int64() != 7 {
		t.Fatalf("balance at reorged-out block = %v, want 7", old)
	}
}

func TestNodeForkReplaysWithSendTx(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	ctx := context.Background()
	base := mustCommit(t, n)
	to := common.HexToAddress("0x4444444444444444444444444444444444444444")
	h, err := n.Send(ctx, 0, &to, big.NewInt(9), nil, params.TxGas)
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, n)
	tx, _, err := n.Client().TransactionByHash(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Fork(base); err != nil {
		t.Fatal(err)
	}
	// Replay the dropped transfer; the nonce tracker must continue after it.
	if err := n.SendTx(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Send(ctx, 0, &to, big.NewInt(1), nil, params.TxGas); err != nil {
		t.Fatal(err)
	}
	side2 := mustCommit(t, n)
	mustCommit(t, n)
	r, err := n.Receipt(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if r.BlockHash != side2 {
		t.Fatalf("replayed tx in %s, want %s", r.BlockHash, side2)
	}
	bal, err := n.Balance(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	if bal.Int64() != 10 {
		t.Fatalf("balance %v, want 10", bal)
	}
}

func TestNodeRejectsAndRollsBack(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	ctx := context.Background()
	to := n.Address(1)
	if _, err := n.Send(ctx, 0, &to, nil, nil, params.TxGas-1); err == nil {
		t.Fatal("Send accepted gas below the intrinsic cost")
	}
	poor := common.HexToAddress("0x7777777777777777777777777777777777777777")
	if _, err := n.Send(ctx, 0, &poor, new(big.Int).Mul(Funding(), big.NewInt(2)), nil, params.TxGas); err != nil {
		t.Fatal(err) // valid in form; only execution can tell
	}
	if _, err := n.Commit(); err == nil {
		t.Fatal("Commit sealed a transfer of more than the balance")
	}
	if n.Pending() != 1 {
		t.Fatalf("queue has %d transactions after a failed Commit, want 1", n.Pending())
	}
	n.Rollback()
	if _, err := n.Send(ctx, 0, &to, big.NewInt(1), nil, params.TxGas); err != nil {
		t.Fatal(err)
	}
	if h := mustCommit(t, n); h == (common.Hash{}) || n.Head().Number.Uint64() != 1 {
		t.Fatalf("head #%d after Rollback and Commit, want #1", n.Head().Number)
	}
}

func TestNodeIsDeterministic(t *testing.T) {
	var heads []common.Hash
	for range 2 {
		n := newTestNode(t, NodeConfig{})
		to := n.Address(3)
		if _, err := n.Send(context.Background(), 2, &to, big.NewInt(5), nil, params.TxGas); err != nil {
			t.Fatal(err)
		}
		if err := n.AddWithdrawal(to, 1); err != nil {
			t.Fatal(err)
		}
		heads = append(heads, mustCommit(t, n))
	}
	if heads[0] != heads[1] {
		t.Fatalf("same calls on fresh nodes sealed %s and %s", heads[0], heads[1])
	}
}

func TestNodeForkErrors(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	if err := n.Fork(common.Hash{1}); err == nil {
		t.Fatal("Fork to an unknown block succeeded")
	}
	to := n.Address(1)
	if _, err := n.Send(context.Background(), 0, &to, big.NewInt(1), nil, params.TxGas); err != nil {
		t.Fatal(err)
	}
	if err := n.Fork(n.Head().Hash()); err == nil {
		t.Fatal("Fork with a queued transaction succeeded")
	}
}

func TestNodeSafeAndFinalizedTags(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	tag := func(name string) uint64 {
		var block struct {
			Number hexutil.Uint64 `json:"number"`
		}
		httpCall(t, n.URL(), "eth_getBlockByNumber", &block, name, false)
		return uint64(block.Number)
	}
	if tag("finalized") != 0 || tag("safe") != 0 {
		t.Fatal("safe and finalized must be genesis before any Commit")
	}
	for range FinalizedDepth + 6 {
		mustCommit(t, n)
	}
	if got := tag("safe"); got != 6+FinalizedDepth-SafeDepth {
		t.Fatalf("safe = %d, want %d", got, 6+FinalizedDepth-SafeDepth)
	}
	if got := tag("finalized"); got != 6 {
		t.Fatalf("finalized = %d, want 6", got)
	}
	var genesis struct {
		Timestamp hexutil.Uint64 `json:"timestamp"`
	}
	httpCall(t, n.URL(), "eth_getBlockByNumber", &genesis, "0x0", false)
	if genesis.Timestamp != DefaultGenesisTime || n.Head().Time != DefaultGenesisTime+BlockTime*(FinalizedDepth+6) {
		t.Fatalf("genesis time %d, head time %d: want %d and %d BlockTimes later", genesis.Timestamp, n.Head().Time, DefaultGenesisTime, FinalizedDepth+6)
	}
}

func TestNodeWithdrawals(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	ctx := context.Background()
	to := common.HexToAddress("0x5555555555555555555555555555555555555555")
	if err := n.AddWithdrawal(to, 3); err != nil {
		t.Fatal(err)
	}
	if err := n.AddWithdrawal(to, 4); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, n)
	var block struct {
		Withdrawals []struct {
			Index   hexutil.Uint64 `json:"index"`
			Address common.Address `json:"address"`
			Amount  hexutil.Uint64 `json:"amount"`
		} `json:"withdrawals"`
	}
	httpCall(t, n.URL(), "eth_getBlockByNumber", &block, "latest", false)
	if len(block.Withdrawals) != 2 || block.Withdrawals[1].Index != 1 || block.Withdrawals[1].Amount != 4 || block.Withdrawals[0].Address != to {
		t.Fatalf("withdrawals = %+v, want indexes 0,1 of 3 and 4 gwei to %s", block.Withdrawals, to)
	}
	bal, err := n.Balance(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	if want := big.NewInt(7 * params.GWei); bal.Cmp(want) != 0 {
		t.Fatalf("balance %v, want %v", bal, want)
	}
}

func TestNodeFeeRecipientAndTime(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	ctx := context.Background()
	coinbase := common.HexToAddress("0x6666666666666666666666666666666666666666")
	n.SetFeeRecipient(coinbase)
	to := n.Address(1)
	if _, err := n.Send(ctx, 0, &to, big.NewInt(1), nil, params.TxGas); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, n)
	bal, err := n.Balance(ctx, coinbase)
	if err != nil {
		t.Fatal(err)
	}
	if want := big.NewInt(int64(params.TxGas * GasTipCap)); bal.Cmp(want) != 0 {
		t.Fatalf("fee recipient got %v, want the tip %v", bal, want)
	}
	before := n.Head().Time
	if err := n.AdjustTime(time.Hour); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, n)
	if got := n.Head().Time - before; got != 3600+BlockTime {
		t.Fatalf("block after AdjustTime(1h) is %ds after its parent, want %d", got, 3600+BlockTime)
	}
	mustCommit(t, n)
	if got := n.Head().Time - before; got != 3600+2*BlockTime {
		t.Fatalf("AdjustTime applied twice: %ds", got)
	}
}

func TestNodeCloseReleasesPortAndGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	n, err := NewNode(NodeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, n)
	addr := n.URL()[len("http://"):]
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Close", addr)
	}
	// Goroutines wind down asynchronously; give them a moment.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before NewNode, %d after Close:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}

	second := newTestNode(t, NodeConfig{})
	var height hexutil.Uint64
	httpCall(t, second.URL(), "eth_blockNumber", &height)
	c, err := rpc.DialHTTP(second.URL())
	if err != nil {
		t.Fatal(fmt.Errorf("dial second node: %w", err))
	}
	c.Close()
}
