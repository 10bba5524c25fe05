package scenario

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/params"
)

func runWorkload(t *testing.T, n *Node, cfg WorkloadConfig) *WorkloadResult {
	t.Helper()
	start := time.Now()
	res, err := RunWorkload(context.Background(), n, cfg)
	if err != nil {
		t.Fatalf("RunWorkload: %v", err)
	}
	t.Logf("workload: %d txs (%d failed) in %d blocks, %d withdrawals, %d touched addresses, in %v",
		len(res.TxHashes), res.Failed, res.Blocks, res.Withdrawals, len(res.Touched), time.Since(start))
	t.Logf("kinds: %v", res.Kinds)
	return res
}

func TestWorkload(t *testing.T) {
	n := newTestNode(t, NodeConfig{})
	res := runWorkload(t, n, WorkloadConfig{Seed: 1})

	if len(res.TxHashes) < 500 {
		t.Fatalf("%d txs, want at least 500", len(res.TxHashes))
	}
	if res.Failed == 0 || res.Blocks < 25 || res.Withdrawals == 0 {
		t.Fatalf("failed %d, blocks %d, withdrawals %d: want all positive, blocks >= 25", res.Failed, res.Blocks, res.Withdrawals)
	}
	if len(res.Tokens) != 3 || len(res.NFTs) != 1 {
		t.Fatalf("tokens %v, nfts %v: want 3 and 1", res.Tokens, res.NFTs)
	}
	for _, k := range []string{KindDeploy, KindTransfer, KindToFresh, KindCreateValue, KindForward, KindTryRevert,
		KindRevert, KindOutOfGas, KindSelfDestruct, KindEphemeral, KindFactory, KindTokenTransfer,
		KindTokenFail, KindDeposit, KindWithdraw, KindNFTTransfer} {
		if res.Kinds[k] == 0 {
			t.Errorf("no %s transaction", k)
		}
	}
	if !slices.IsSortedFunc(res.Touched, func(a, b common.Address) int { return a.Cmp(b) }) {
		t.Error("Touched is not sorted")
	}

	t.Run("traces", func(t *testing.T) { checkWorkloadTraces(t, n) })
	t.Run("logs", func(t *testing.T) { checkWorkloadLogs(t, n, res) })
	t.Run("ether conserved", func(t *testing.T) { checkEtherConserved(t, n, res) })
	t.Run("tokens conserved", func(t *testing.T) { checkTokensConserved(t, n, res) })
}

// checkWorkloadTraces looks through callTracer traces of every block, over
// HTTP, for the value flows the workload exists to produce.
func checkWorkloadTraces(t *testing.T, n *Node) {
	var valueCalls, revertedInner, selfDestructs, innerCreates int
	for num := uint64(1); num <= n.Head().Number.Uint64(); num++ {
		var traces []struct {
			TxHash common.Hash `json:"txHash"`
			Result callFrame   `json:"result"`
		}
		httpCall(t, n.URL(), "debug_traceBlockByNumber", &traces, fmt.Sprintf("%#x", num), map[string]any{"tracer": "callTracer"})
		for _, tr := range traces {
			if tr.Result.Error != "" {
				continue
			}
			tr.Result.walk(func(d int, f *callFrame) {
				switch {
				case d == 0:
				case f.Type == "SELFDESTRUCT":
					selfDestructs++
				case f.Error != "" && f.value().Sign() > 0:
					revertedInner++
				case f.Type == "CALL" && f.value().Sign() > 0:
					valueCalls++
				case f.Type == "CREATE" && f.value().Sign() > 0:
					innerCreates++
				}
			})
		}
	}
	t.Logf("inner frames with value: %d CALL, %d reverted, %d SELFDESTRUCT, %d CREATE", valueCalls, revertedInner, selfDestructs, innerCreates)
	if valueCalls == 0 || revertedInner == 0 || selfDestructs == 0 || innerCreates == 0 {
		t.Fatal("want at least one of each inside successful transactions")
	}
}

func checkWorkloadLogs(t *testing.T, n *Node, res *WorkloadResult) {
	ctx := context.Background()
	counts := map[int]int{} // topics per Transfer log
	for num := uint64(1); num <= n.Head().Number.Uint64(); num++ {
		rs, err := n.Client().BlockReceipts(ctx, blockNumber(num))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			for _, l := range r.Logs {
				if l.Topics[0] == TransferTopic {
					counts[len(l.Topics)]++
				}
			}
		}
	}
	if counts[3] < 50 || counts[4] == 0 {
		t.Fatalf("Transfer logs by topic count %v: want many ERC-20 (3) and some ERC-721 (4)", counts)
	}
}

// checkEtherConserved proves Touched complete: the balance changes of the
// touched addresses add up to what entered (withdrawals) minus what left
// (burnt base fees). A missing address would leave a difference.
func checkEtherConserved(t *testing.T, n *Node, res *WorkloadResult) {
	ctx := context.Background()
	head := n.Head().Number
	delta := new(big.Int)
	for _, a := range res.Touched {
		before, err := n.Client().BalanceAt(ctx, a, big.NewInt(0))
		if err != nil {
			t.Fatal(err)
		}
		after, err := n.Client().BalanceAt(ctx, a, head)
		if err != nil {
			t.Fatal(err)
		}
		delta.Add(delta, after.Sub(after, before))
	}
	want := new(big.Int)
	for num := uint64(1); num <= head.Uint64(); num++ {
		b, err := n.Client().BlockByNumber(ctx, new(big.Int).SetUint64(num))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range b.Withdrawals() {
			want.Add(want, new(big.Int).Mul(new(big.Int).SetUint64(w.Amount), big.NewInt(params.GWei)))
		}
		burnt := new(big.Int).Mul(b.BaseFee(), new(big.Int).SetUint64(b.GasUsed()))
		want.Sub(want, burnt)
	}
	if delta.Cmp(want) != 0 {
		t.Fatalf("touched balances changed by %v, withdrawals minus burnt fees = %v", delta, want)
	}
}

func checkTokensConserved(t *testing.T, n *Node, res *WorkloadResult) {
	ctx := context.Background()
	supply := new(big.Int).Mul(big.NewInt(1_000_000), big.NewInt(params.Ether))
	for i, token := range res.Tokens {
		sum := new(big.Int)
		for _, a := range res.Touched {
			b, err := BalanceOf(ctx, n, token, a)
			if err != nil {
				t.Fatal(err)
			}
			sum.Add(sum, b)
		}
		want := supply
		if i == len(res.Tokens)-1 { // WETH is backed by its ether
			var err error
			if want, err = n.Balance(ctx, token); err != nil {
				t.Fatal(err)
			}
		}
		if sum.Cmp(want) != 0 {
			t.Errorf("token %s: balances of touched addresses sum to %v, want %v", token, sum, want)
		}
	}
}

func TestWorkloadIsDeterministic(t *testing.T) {
	cfg := WorkloadConfig{Txs: 120, TxsPerBlock: 15, Seed: 7}
	na, nb := newTestNode(t, NodeConfig{}), newTestNode(t, NodeConfig{})
	a, b := runWorkload(t, na, cfg), runWorkload(t, nb, cfg)
	if !slices.Equal(a.TxHashes, b.TxHashes) || !slices.Equal(a.Touched, b.Touched) {
		t.Fatal("same seed on fresh nodes gave different transactions")
	}
	if na.Head().Hash() != nb.Head().Hash() {
		t.Fatalf("same seed on fresh nodes gave heads %s and %s", na.Head().Hash(), nb.Head().Hash())
	}
	c := runWorkload(t, newTestNode(t, NodeConfig{}), WorkloadConfig{Txs: 120, TxsPerBlock: 15, Seed: 8})
	if slices.Equal(a.TxHashes, c.TxHashes) {
		t.Fatal("different seeds gave the same transactions")
	}
}

func TestWorkloadTwiceOnOneNode(t *testing.T) {
	n := newTestNode(t, NodeConfig{Accounts: 3})
	first := runWorkload(t, n, WorkloadConfig{Txs: 60, TxsPerBlock: 7, Seed: 1})
	second := runWorkload(t, n, WorkloadConfig{Txs: 60, TxsPerBlock: 7, Seed: 2})
	if slices.Equal(first.Tokens, second.Tokens) {
		t.Fatal("second run reused the first run's token contracts")
	}
	if got, want := n.Head().Number.Uint64(), first.Blocks+second.Blocks; got != want {
		t.Fatalf("head #%d, want #%d", got, want)
	}
}
