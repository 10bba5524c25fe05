package eth

import (
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// routerABI is the events part of THORChain_Router.sol's ABI.
const routerABI = `[
 {"type":"event","name":"Deposit","inputs":[
  {"name":"to","type":"address","indexed":true},{"name":"asset","type":"address","indexed":true},
  {"name":"amount","type":"uint256","indexed":false},{"name":"memo","type":"string","indexed":false}]},
 {"type":"event","name":"TransferOut","inputs":[
  {"name":"vault","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},
  {"name":"asset","type":"address","indexed":false},{"name":"amount","type":"uint256","indexed":false},
  {"name":"memo","type":"string","indexed":false}]}]`

func routerLogs(t testing.TB) (deposit, transferOut Log) {
	t.Helper()
	a, err := abi.JSON(strings.NewReader(routerABI))
	if err != nil {
		t.Fatal(err)
	}
	router := common.HexToAddress("0xD37BbE5744D730a1d98d8DC97c42F0Ca46aD7146")
	vault := common.HexToAddress("0x1111111111111111111111111111111111111111")
	to := common.HexToAddress("0x2222222222222222222222222222222222222222")
	usdt := common.HexToAddress("0xdAC17F958D2ee523a2206206994597C13D831ec7")
	data, err := a.Events["Deposit"].Inputs.NonIndexed().Pack(big.NewInt(5e17), "=:b:bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh:1e6/1/0")
	if err != nil {
		t.Fatal(err)
	}
	deposit = Log{Address: router, Topics: []common.Hash{a.Events["Deposit"].ID, common.BytesToHash(vault[:]), {}}, Data: data, LogIndex: 4}
	data, err = a.Events["TransferOut"].Inputs.NonIndexed().Pack(usdt, big.NewInt(123), "OUT:9D2F3C5F0D2C4B7A1E6F8A9B0C1D2E3F4A5B6C7D8E9F0A1B2C3D4E5F6A7B8C9D")
	if err != nil {
		t.Fatal(err)
	}
	transferOut = Log{Address: router, Topics: []common.Hash{a.Events["TransferOut"].ID, common.BytesToHash(vault[:]), common.BytesToHash(to[:])}, Data: data, LogIndex: 9}
	return deposit, transferOut
}

func TestDecodeRouterLog(t *testing.T) {
	dep, out := routerLogs(t)
	m, ok := DecodeRouterLog(&dep)
	if !ok || m.Kind != chain.MemoRouterDeposit || m.Memo != "=:b:bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh:1e6/1/0" ||
		m.Amount.Uint64() != 5e17 || m.Vault != common.HexToAddress("0x1111111111111111111111111111111111111111") || m.Asset != (common.Address{}) || m.Contract != dep.Address {
		t.Fatalf("deposit: ok %v %+v", ok, m)
	}
	m, ok = DecodeRouterLog(&out)
	if !ok || m.Kind != chain.MemoRouterTransferOut || !strings.HasPrefix(m.Memo, "OUT:9D2F") || m.Amount.Uint64() != 123 ||
		m.To != common.HexToAddress("0x2222222222222222222222222222222222222222") || m.Asset != common.HexToAddress("0xdAC17F958D2ee523a2206206994597C13D831ec7") {
		t.Fatalf("transfer out: ok %v %+v", ok, m)
	}
	// Broken layouts are not routers' events.
	for name, l := range map[string]Log{
		"two topics":     {Topics: dep.Topics[:2], Data: dep.Data},
		"short data":     {Topics: dep.Topics, Data: dep.Data[:60]},
		"offset too far": {Topics: dep.Topics, Data: append(append([]byte(nil), dep.Data[:32]...), common.BigToHash(big.NewInt(1<<20)).Bytes()...)},
		"length too big": {Topics: dep.Topics, Data: append(append([]byte(nil), dep.Data[:96]...), []byte("short")...)},
		"WETH deposit":   {Topics: []common.Hash{TopicDeposit, {}, {}}, Data: dep.Data},
	} {
		if m, ok := DecodeRouterLog(&l); ok {
			t.Errorf("%s: decoded %+v", name, m)
		}
	}
}

// TestRouterMemosOfExtract: Extract records router events of successful
// transactions only, with the sender as From for deposits.
func TestRouterMemosOfExtract(t *testing.T) {
	dep, out := routerLogs(t)
	sender := common.HexToAddress("0x3333333333333333333333333333333333333333")
	one := uint64(1)
	zero := uint64(0)
	d := &BlockData{}
	d.Block.Transactions = []Transaction{{From: sender}, {From: sender}}
	d.Receipts = []Receipt{{Status: (*hexutil.Uint64)(&one), Logs: []Log{dep, out}}, {Status: (*hexutil.Uint64)(&zero), Logs: []Log{dep}}}
	b := &chain.Block{Txs: []chain.Tx{{Index: 0, Success: true}, {Index: 1, Success: false}}}
	ms := routerMemos(d, b)
	if len(ms) != 2 {
		t.Fatalf("%d memos, want 2: %+v", len(ms), ms)
	}
	if ms[0].From != chain.EVMAddress(sender) || ms[0].Index != 4 || ms[0].Asset != chain.NativeAsset {
		t.Errorf("deposit memo %+v", ms[0])
	}
	if ms[1].Asset.Kind != chain.ERC20 || ms[1].Index != 9 || ms[1].From.String() != "0x1111111111111111111111111111111111111111" {
		t.Errorf("transfer-out memo %+v", ms[1])
	}
}

func FuzzDecodeRouterLog(f *testing.F) {
	dep, out := routerLogs(f)
	f.Add([]byte(dep.Data), true)
	f.Add([]byte(out.Data), false)
	f.Add([]byte{}, true)
	f.Fuzz(func(t *testing.T, data []byte, deposit bool) {
		l := dep
		if !deposit {
			l = out
		}
		l.Data = data
		m, ok := DecodeRouterLog(&l)
		if ok && (len(m.Memo) > chain.MaxMemoLen || !utf8.ValidString(m.Memo)) {
			t.Fatalf("accepted memo of %d bytes, valid UTF-8 %v", len(m.Memo), utf8.ValidString(m.Memo))
		}
	})
}
