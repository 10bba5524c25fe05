package eth

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// Short names for the addresses of the hand-written blocks below.
const (
	aliceHex  = "0x00000000000000000000000000000000000a11ce"
	bobHex    = "0x0000000000000000000000000000000000000b0b"
	minerHex  = "0x000000000000000000000000000000000000f00d"
	wethHex   = "0x000000000000000000000000000000000000e7e7"
	vaultHex  = "0x000000000000000000000000000000000000fa17"
	contrHex  = "0x000000000000000000000000000000000000c0c0"
	tokenHex  = "0x0000000000000000000000000000000000007070"
	transferT = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
	depositT  = "0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c"
)

var names = map[string]string{aliceHex: "alice", bobHex: "bob", minerHex: "miner", wethHex: "weth", vaultHex: "vault", contrHex: "contract", tokenHex: "token"}

func topicOf(addr string) string { return "0x000000000000000000000000" + addr[2:] }

func hash(n int) string { return fmt.Sprintf("0x%064x", n) }

// render writes transfers as "tx/seq kind from->to amount asset" lines with
// short names, so expectations read like the rules they test.
func render(b *chain.Block) string {
	var sb strings.Builder
	name := func(a chain.Address) string {
		if a.None() {
			return "-"
		}
		if n, ok := names[a.String()]; ok {
			return n
		}
		return a.String()
	}
	for _, t := range b.Transfers {
		tx := fmt.Sprint(t.TxIndex)
		if t.TxIndex == chain.BlockLevel {
			tx = "B"
		}
		asset := "eth"
		if t.Asset.Kind != chain.Native {
			asset = name(t.Asset.Contract)
		}
		if t.TokenID != nil {
			asset += "#" + t.TokenID.Dec()
		}
		fmt.Fprintf(&sb, "%s/%d %s %s->%s %s %s\n", tx, t.Seq, t.Kind, name(t.From), name(t.To), t.Amount.Dec(), asset)
	}
	return sb.String()
}

func tx(i int, from, to, value string) string {
	return fmt.Sprintf(`{"hash":"%s","nonce":"0x0","from":"%s","to":"%s","value":"%s","gas":"0x100000","gasPrice":"0xa","input":"0x","transactionIndex":"0x%x"}`, hash(100+i), from, to, value, i)
}

func receipt(i int, status string, gasUsed string, logs string, extra string) string {
	return fmt.Sprintf(`{"transactionHash":"%s","transactionIndex":"0x%x","blockHash":"%s","blockNumber":"0x5","from":"%s","cumulativeGasUsed":"0x1","gasUsed":"%s","logs":[%s],"logsBloom":"0x","status":"%s","effectiveGasPrice":"0xa"%s}`,
		hash(100+i), i, hash(5), aliceHex, gasUsed, logs, status, extra)
}

func logJSON(addr string, topics []string, data string) string {
	return fmt.Sprintf(`{"address":"%s","topics":["%s"],"data":"%s","blockNumber":"0x5","blockHash":"%s","transactionHash":"%s","transactionIndex":"0x0","logIndex":"0x0","removed":false}`,
		addr, strings.Join(topics, `","`), data, hash(5), hash(100))
}

func extract(t *testing.T, block, receipts, traces, kind string) (*chain.Block, ExtractStats) {
	t.Helper()
	d, err := DecodeBlockData([]byte(block), []byte(receipts), []byte(traces), kind)
	if err != nil {
		t.Fatal(err)
	}
	b, stats, err := Extract(d)
	if err != nil {
		t.Fatal(err)
	}
	return b, stats
}

func blockJSON(extra string, txs ...string) string {
	return fmt.Sprintf(`{"number":"0x5","hash":"%s","parentHash":"%s","miner":"%s","timestamp":"0x64","gasLimit":"0x1","gasUsed":"0x1","difficulty":"0x0","size":"0x1","extraData":"0x","logsBloom":"0x","sha3Uncles":"%s","stateRoot":"%s","transactionsRoot":"%s","receiptsRoot":"%s","uncles":[]%s,"transactions":[%s]}`,
		hash(5), hash(4), minerHex, hash(1), hash(2), hash(3), hash(6), extra, strings.Join(txs, ","))
}

func TestExtractFeesBeforeAndAfterLondon(t *testing.T) {
	pre := blockJSON("", tx(0, aliceHex, bobHex, "0x64"))
	b, _ := extract(t, pre, "["+receipt(0, "0x1", "0x5208", "", "")+"]", "", TracesNone)
	want := "0/0 native alice->bob 100 eth\n0/1 fee alice->miner 210000 eth\n"
	if got := render(b); got != want {
		t.Errorf("pre-London:\n got %s\nwant %s", got, want)
	}
	// London with a base fee of 4 (so a tip of 6 per gas) and a blob fee.
	post := blockJSON(`,"baseFeePerGas":"0x4","blobGasUsed":"0x20000","excessBlobGas":"0x0"`, tx(0, aliceHex, bobHex, "0x0"))
	b, _ = extract(t, post, "["+receipt(0, "0x0", "0x5208", "", `,"blobGasUsed":"0x20000","blobGasPrice":"0x1"`)+"]", "", TracesNone)
	want = "0/0 fee alice->miner 126000 eth\n0/1 burn alice->- 84000 eth\n0/2 burn alice->- 131072 eth\n"
	if got := render(b); got != want {
		t.Errorf("London, failed tx with blobs:\n got %s\nwant %s", got, want)
	}
}

func TestExtractInternalTransfers(t *testing.T) {
	block := blockJSON(`,"baseFeePerGas":"0xa","blobGasUsed":"0x0"`, tx(0, aliceHex, contrHex, "0x3e8"))
	rcpt := "[" + receipt(0, "0x1", "0x0", "", "") + "]"
	traces := fmt.Sprintf(`[{"txHash":"%s","result":{"type":"CALL","from":"%s","to":"%s","value":"0x3e8","gas":"0x1","gasUsed":"0x1","input":"0x","calls":[
		{"type":"CALL","from":"%s","to":"%s","value":"0x64","gas":"0x1","gasUsed":"0x1","input":"0x"},
		{"type":"CALL","from":"%s","to":"%s","value":"0x65","gas":"0x1","gasUsed":"0x1","input":"0x","error":"execution reverted","calls":[
			{"type":"CALL","from":"%s","to":"%s","value":"0x66","gas":"0x1","gasUsed":"0x1","input":"0x"}]},
		{"type":"DELEGATECALL","from":"%s","to":"%s","value":"0x3e8","gas":"0x1","gasUsed":"0x1","input":"0x"},
		{"type":"CREATE","from":"%s","to":"%s","value":"0x67","gas":"0x1","gasUsed":"0x1","input":"0x"},
		{"type":"SELFDESTRUCT","from":"%s","to":"%s","value":"0x68","gas":"0x0","gasUsed":"0x0","input":"0x"},
		{"type":"SELFDESTRUCT","from":"%s","to":"%s","value":"0x69","gas":"0x0","gasUsed":"0x0","input":"0x"}]}}]`,
		hash(100), aliceHex, contrHex,
		contrHex, bobHex,
		contrHex, vaultHex, vaultHex, bobHex,
		contrHex, tokenHex,
		contrHex, wethHex,
		wethHex, bobHex,
		wethHex, wethHex)
	b, _ := extract(t, block, rcpt, traces, TracesDebug)
	// The reverted call and everything under it move nothing; a delegate
	// call moves nothing; weth, created in this transaction, destroys itself
	// to itself after Cancun, which burns its balance (EIP-6780).
	want := `0/0 native alice->contract 1000 eth
0/1 internal contract->bob 100 eth
0/2 internal contract->weth 103 eth
0/3 internal weth->bob 104 eth
0/4 burn weth->- 105 eth
`
	if got := render(b); got != want {
		t.Errorf("internal transfers:\n got %s\nwant %s", got, want)
	}
}

func TestExtractTokenLogs(t *testing.T) {
	amount := fmt.Sprintf("0x%064x", 500)
	logs := strings.Join([]string{
		logJSON(tokenHex, []string{transferT, topicOf(aliceHex), topicOf(bobHex)}, amount),
		logJSON(tokenHex, []string{transferT, topicOf(aliceHex), topicOf(bobHex), hash(7)}, "0x"),
		logJSON(wethHex, []string{depositT, topicOf(aliceHex)}, fmt.Sprintf("0x%064x", 1000)),
		logJSON(vaultHex, []string{depositT, topicOf(aliceHex)}, fmt.Sprintf("0x%064x", 999)),
		logJSON(tokenHex, []string{transferT, topicOf(aliceHex)}, "0x1234"),
	}, ",")
	block := blockJSON(`,"baseFeePerGas":"0xa"`, tx(0, aliceHex, wethHex, "0x3e8"))
	traces := fmt.Sprintf(`[{"txHash":"%s","result":{"type":"CALL","from":"%s","to":"%s","value":"0x3e8","gas":"0x1","gasUsed":"0x1","input":"0x"}}]`, hash(100), aliceHex, wethHex)
	b, stats := extract(t, block, "["+receipt(0, "0x1", "0x0", logs, "")+"]", traces, TracesDebug)
	want := `0/0 native alice->weth 1000 eth
0/1 token alice->bob 500 token
0/2 token alice->bob 1 token#7
0/3 token -->alice 1000 weth
`
	if got := render(b); got != want {
		t.Errorf("token logs:\n got %s\nwant %s", got, want)
	}
	if len(stats.MalformedLogs) != 1 || stats.UnbackedWraps != 1 {
		t.Errorf("stats: %d malformed (want 1), %d unbacked wraps (want 1: the vault moved no ether)", len(stats.MalformedLogs), stats.UnbackedWraps)
	}
}

func TestExtractBlockLevel(t *testing.T) {
	block := blockJSON(`,"withdrawals":[{"index":"0x0","validatorIndex":"0x1","address":"` + bobHex + `","amount":"0x3"}]`)
	traces := fmt.Sprintf(`[{"action":{"author":"%s","rewardType":"block","value":"0x1bc16d674ec80000"},"blockHash":"%s","blockNumber":5,"result":null,"subtraces":0,"traceAddress":[],"type":"reward"}]`, minerHex, hash(5))
	b, _ := extract(t, block, "[]", traces, TracesParity)
	want := "B/0 coinbase -->miner 2000000000000000000 eth\nB/1 withdrawal -->bob 3000000000 eth\n"
	if got := render(b); got != want {
		t.Errorf("block-level:\n got %s\nwant %s", got, want)
	}
}

func TestExtractWrapsNeedMatchingEther(t *testing.T) {
	wad := fmt.Sprintf("0x%064x", 1000)
	zero := "0x0000000000000000000000000000000000000000000000000000000000000000"
	// Bob's Deposit is paid by Alice: not a wrap of Bob's ether. Alice's
	// Deposit is also logged as a Transfer from 0x0: one mint, not two.
	logs := strings.Join([]string{
		logJSON(wethHex, []string{depositT, topicOf(bobHex)}, wad),
		logJSON(wethHex, []string{depositT, topicOf(aliceHex)}, wad),
		logJSON(wethHex, []string{transferT, zero, topicOf(aliceHex)}, wad),
	}, ",")
	block := blockJSON(`,"baseFeePerGas":"0xa"`, tx(0, aliceHex, wethHex, "0x3e8"))
	traces := fmt.Sprintf(`[{"txHash":"%s","result":{"type":"CALL","from":"%s","to":"%s","value":"0x3e8","gas":"0x1","gasUsed":"0x1","input":"0x"}}]`, hash(100), aliceHex, wethHex)
	b, stats := extract(t, block, "["+receipt(0, "0x1", "0x0", logs, "")+"]", traces, TracesDebug)
	want := `0/0 native alice->weth 1000 eth
0/1 token 0x0000000000000000000000000000000000000000->alice 1000 weth
`
	if got := render(b); got != want {
		t.Errorf("wraps:\n got %s\nwant %s", got, want)
	}
	if stats.UnbackedWraps != 1 {
		t.Errorf("%d unbacked wraps, want 1 (Bob's)", stats.UnbackedWraps)
	}
}

func TestExtractKeepsZeroValueTokenTransfers(t *testing.T) {
	zero := fmt.Sprintf("0x%064x", 0)
	logs := logJSON(tokenHex, []string{transferT, topicOf(bobHex), topicOf(aliceHex)}, zero)
	block := blockJSON(`,"baseFeePerGas":"0xa"`, tx(0, aliceHex, tokenHex, "0x0"))
	b, _ := extract(t, block, "["+receipt(0, "0x1", "0x0", logs, "")+"]", "", TracesNone)
	// Zero native value and a zero fee leave nothing; the zero-value token
	// Transfer, typical of address poisoning, stays.
	if got, want := render(b), "0/0 token bob->alice 0 token\n"; got != want {
		t.Errorf("got %swant %s", got, want)
	}
}
