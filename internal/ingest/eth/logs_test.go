package eth

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
)

func TestEventTopics(t *testing.T) {
	for sig, topic := range map[string]common.Hash{
		"Transfer(address,address,uint256)": TopicTransfer,
		"Deposit(address,uint256)":          TopicDeposit,
		"Withdrawal(address,uint256)":       TopicWithdrawal,
	} {
		if got := common.BytesToHash(crypto.Keccak256([]byte(sig))); got != topic {
			t.Errorf("keccak(%s) = %s, constant is %s", sig, got, topic)
		}
	}
}

func word(s string) []byte { return common.HexToHash(s).Bytes() }

func concat(ws ...[]byte) []byte {
	var out []byte
	for _, w := range ws {
		out = append(out, w...)
	}
	return out
}

func TestDecodeValueLogLayouts(t *testing.T) {
	token := common.HexToAddress("0x7070")
	from, to := common.HexToHash("0xf1"), common.HexToHash("0xf2")
	dirty := common.HexToHash("0xdeadbeef00000000000000000000000000000000000000000000000000000af2")
	for _, tc := range []struct {
		name           string
		topics         []common.Hash
		data           []byte
		kind           ValueKind
		from, to       string
		amount, nft    string
		malformed, not bool
	}{
		{name: "erc20 standard", topics: []common.Hash{TopicTransfer, from, to}, data: word("0x64"), kind: ERC20Transfer, from: "0xf1", to: "0xf2", amount: "100"},
		{name: "erc721", topics: []common.Hash{TopicTransfer, from, to, common.HexToHash("0x2a")}, kind: ERC721Transfer, from: "0xf1", to: "0xf2", amount: "1", nft: "42"},
		{name: "all in data", topics: []common.Hash{TopicTransfer}, data: concat(from[:], to[:], word("0x05")), kind: ERC20Transfer, from: "0xf1", to: "0xf2", amount: "5"},
		{name: "one indexed", topics: []common.Hash{TopicTransfer, from}, data: concat(to[:], word("0x06")), kind: ERC20Transfer, from: "0xf1", to: "0xf2", amount: "6"},
		{name: "dirty high bytes", topics: []common.Hash{TopicTransfer, from, dirty}, data: word("0x01"), kind: ERC20Transfer, from: "0xf1", to: "0xaf2", amount: "1"},
		{name: "max amount", topics: []common.Hash{TopicTransfer, from, to}, data: word("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"), kind: ERC20Transfer, from: "0xf1", to: "0xf2", amount: "115792089237316195423570985008687907853269984665640564039457584007913129639935"},
		{name: "deposit", topics: []common.Hash{TopicDeposit, to}, data: word("0x0de0b6b3a7640000"), kind: Deposit, from: "0x0", to: "0xf2", amount: "1000000000000000000"},
		{name: "withdrawal", topics: []common.Hash{TopicWithdrawal, from}, data: word("0x07"), kind: Withdraw, from: "0xf1", to: "0x0", amount: "7"},
		{name: "deposit unindexed", topics: []common.Hash{TopicDeposit}, data: concat(to[:], word("0x08")), kind: Deposit, from: "0x0", to: "0xf2", amount: "8"},
		{name: "transfer short data", topics: []common.Hash{TopicTransfer, from, to}, data: []byte{1, 2, 3}, malformed: true},
		{name: "transfer 4 topics with data", topics: []common.Hash{TopicTransfer, from, to, from}, data: word("0x01"), malformed: true},
		{name: "transfer no words", topics: []common.Hash{TopicTransfer}, malformed: true},
		{name: "transfer too many data words", topics: []common.Hash{TopicTransfer, from, to}, data: concat(word("0x1"), word("0x2")), malformed: true},
		{name: "deposit without amount", topics: []common.Hash{TopicDeposit, to}, malformed: true},
		{name: "withdrawal extra topic", topics: []common.Hash{TopicWithdrawal, from, to}, data: word("0x1"), malformed: true},
		{name: "approval", topics: []common.Hash{common.HexToHash("0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"), from, to}, data: word("0x1"), not: true},
		{name: "anonymous", not: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &Log{Address: token, Topics: tc.topics, Data: tc.data, LogIndex: 3, BlockNumber: 9, TransactionHash: common.HexToHash("0xabc")}
			ev, err := DecodeValueLog(l)
			switch {
			case tc.not:
				if !errors.Is(err, ErrNotValueLog) {
					t.Fatalf("err = %v, want ErrNotValueLog", err)
				}
				return
			case tc.malformed:
				var mal *MalformedLogError
				if !errors.As(err, &mal) || mal.LogIndex != 3 || mal.Block != 9 || mal.Address != token || mal.TxHash != l.TransactionHash {
					t.Fatalf("err = %#v, want *MalformedLogError naming the log", err)
				}
				t.Logf("%v", err)
				return
			case err != nil:
				t.Fatal(err)
			}
			if ev.Kind != tc.kind || ev.Token != token || ev.From != common.HexToAddress(tc.from) || ev.To != common.HexToAddress(tc.to) || ev.Amount.Dec() != tc.amount {
				t.Fatalf("got %v token %s %s -> %s amount %s", ev.Kind, ev.Token, ev.From, ev.To, ev.Amount.Dec())
			}
			if (tc.nft == "") != (ev.TokenID == nil) || ev.TokenID != nil && ev.TokenID.Dec() != tc.nft {
				t.Fatalf("token id %v, want %q", ev.TokenID, tc.nft)
			}
		})
	}
}

// TestConformanceETLExtractTokenTransfers decodes the logs of ethereum-etl's
// extract_token_transfers job (including one that is not a Transfer) and
// compares with its expected transfers.
func TestConformanceETLExtractTokenTransfers(t *testing.T) {
	dir := filepath.Join(etlResources(t), "test_extract_token_transfers_job", "logs")
	var logs []Log
	for _, r := range readCSV(t, filepath.Join(dir, "logs.csv")) {
		l := Log{
			Address:         common.HexToAddress(r["address"]),
			Data:            hexutil.MustDecode(r["data"]),
			BlockHash:       common.HexToHash(r["block_hash"]),
			TransactionHash: common.HexToHash(r["transaction_hash"]),
		}
		for _, tp := range strings.Split(r["topics"], ",") {
			l.Topics = append(l.Topics, common.HexToHash(tp))
		}
		n, _ := strconv.ParseUint(r["block_number"], 10, 64)
		l.BlockNumber = hexutil.Uint64(n)
		n, _ = strconv.ParseUint(r["log_index"], 10, 64)
		l.LogIndex = hexutil.Uint64(n)
		n, _ = strconv.ParseUint(r["transaction_index"], 10, 64)
		l.TransactionIndex = hexutil.Uint64(n)
		logs = append(logs, l)
	}
	tl := tally{}
	want := readCSV(t, filepath.Join(dir, "expected_token_transfers.csv"))
	compareKeyed(t, tl, "token_transfers", "log_index", want, tokenTransferRecords(t, logs))
	tl.log(t)
}

func FuzzDecodeValueLog(f *testing.F) {
	from, to := common.HexToHash("0xf1"), common.HexToHash("0xf2")
	f.Add(TopicTransfer[:], concat(from[:], to[:]), word("0x64"))
	f.Add(TopicTransfer[:], concat(from[:], to[:], word("0x2a")), []byte{})
	f.Add(TopicTransfer[:], []byte{}, concat(from[:], to[:], word("0x5")))
	f.Add(TopicDeposit[:], to[:], word("0x1"))
	f.Add(TopicWithdrawal[:], from[:], []byte{1, 2})
	f.Add([]byte{1}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, topic0, moreTopics, data []byte) {
		l := &Log{Data: data}
		if len(topic0) > 0 {
			l.Topics = append(l.Topics, common.BytesToHash(topic0))
		}
		for len(moreTopics) >= 32 && len(l.Topics) < 5 {
			l.Topics = append(l.Topics, common.BytesToHash(moreTopics[:32]))
			moreTopics = moreTopics[32:]
		}
		ev, err := DecodeValueLog(l)
		if err != nil {
			var mal *MalformedLogError
			if !errors.Is(err, ErrNotValueLog) && !errors.As(err, &mal) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if ev.Kind == ERC721Transfer && (ev.TokenID == nil || len(l.Data) != 0) {
			t.Fatalf("ERC-721 transfer without token id or with data: %+v", ev)
		}
		if ev.Kind != ERC721Transfer && ev.TokenID != nil {
			t.Fatalf("%v with token id", ev.Kind)
		}
	})
}
