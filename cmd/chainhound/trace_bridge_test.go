package main

import (
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// TestTraceCrossChain: a store with both chains, written block by block:
// the thief (funded with 100 wei) deposits 60 through a THORChain-style
// router with the memo =:b:<address>; the Bitcoin vault pays that address
// 500 satoshis with OUT:<deposit hash>. A forward trace from the thief
// reports the crossing and continues on Bitcoin from the payout, where
// an exchange (labelled) receives the 500.
func TestTraceCrossChain(t *testing.T) {
	const dest = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
	const exch = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := func(s string) chain.Hash {
		var x chain.Hash
		copy(x[:], s)
		return x
	}
	ev := func(b byte) chain.Address { var a [20]byte; a[19] = b; return chain.EVMAddress(a) }
	thief, router, vault, faucet := ev(1), ev(0x70), ev(0x71), ev(0xf0)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.Bind(chain.Ethereum, chain.Network{CAIP2: "eip155:1", Genesis: "test"}))
	must(st.Bind(chain.Bitcoin, chain.Network{CAIP2: addrcheck.Bitcoin, Genesis: "test"}))
	tr := func(blk uint64, tx chain.Hash, seq uint32, kind chain.Kind, from, to chain.Address, v uint64) chain.Transfer {
		return chain.Transfer{Block: blk, TxHash: tx, Seq: seq, Kind: kind, From: from, To: to, Amount: *uint256.NewInt(v)}
	}
	must(st.ApplyBlock(&chain.Block{Chain: chain.Ethereum, Height: 1, Hash: h("e1"), Time: 100,
		Txs: []chain.Tx{{Hash: h("fund"), Success: true}}, Transfers: []chain.Transfer{tr(1, h("fund"), 0, chain.KindNative, faucet, thief, 100)}}))
	dep := h("deposit")
	must(st.ApplyBlock(&chain.Block{Chain: chain.Ethereum, Height: 2, Hash: h("e2"), Parent: h("e1"), Time: 200,
		Txs:       []chain.Tx{{Hash: dep, Success: true}},
		Transfers: []chain.Transfer{tr(2, dep, 0, chain.KindNative, thief, router, 60), tr(2, dep, 1, chain.KindInternal, router, vault, 60)},
		Memos: []chain.Memo{{Kind: chain.MemoRouterDeposit, Contract: router, From: thief, To: vault, Asset: chain.NativeAsset,
			Amount: *uint256.NewInt(60), Text: "=:b:" + dest}}}))
	btcAddr := func(s string) chain.Address { return chain.Address{Chain: chain.Bitcoin, Raw: s} }
	utxo := func(b *chain.Block) {
		t.Helper()
		for i := range b.Txs {
			b.Txs[i].Index, b.Txs[i].Success = uint32(i), true
		}
		must(st.ResolveInputs(b))
		must(chain.UTXOTransfers(b))
		must(st.ApplyBlock(b))
	}
	utxo(&chain.Block{Chain: chain.Bitcoin, Height: 1, Hash: h("b1"), Time: 150,
		Txs: []chain.Tx{{Hash: h("cb1"), Coinbase: true, Outputs: []chain.Output{{Address: btcAddr("1vault"), Value: 1000}}}}})
	utxo(&chain.Block{Chain: chain.Bitcoin, Height: 2, Hash: h("b2"), Parent: h("b1"), Time: 300,
		Txs: []chain.Tx{{Hash: h("cb2"), Coinbase: true, Outputs: []chain.Output{{Address: btcAddr("1miner"), Value: 1}}},
			{Hash: h("payout"), Inputs: []chain.Input{{PrevTx: h("cb1"), PrevIndex: 0}},
				Outputs: []chain.Output{{Address: btcAddr(dest), Value: 500}, {Value: 0}, {Address: btcAddr("1vault"), Value: 490}}}},
		Memos: []chain.Memo{{TxIndex: 1, Kind: chain.MemoOpReturn, Index: 1, Text: "OUT:" + strings.ToUpper(dep.String()[2:])}}})
	utxo(&chain.Block{Chain: chain.Bitcoin, Height: 3, Hash: h("b3"), Parent: h("b2"), Time: 400,
		Txs: []chain.Tx{{Hash: h("cb3"), Coinbase: true, Outputs: []chain.Output{{Address: btcAddr("1miner"), Value: 1}}},
			{Hash: h("cashout"), Inputs: []chain.Input{{PrevTx: h("payout"), PrevIndex: 0}}, Outputs: []chain.Output{{Address: btcAddr(exch), Value: 495}}}}})
	must(st.Close())
	labels := writeFile(t, dir, "labels.csv", "chain,address,label,category,confidence,source,date\n"+
		addrcheck.Bitcoin+","+exch+",Exchange Z,exchange,service_data,case notes,2025-02-21\n")
	mustCLI(t, "intel", "import", "labels", "--format", "csv", labels, "--data", dir)

	r := traceJSON(t, "--seed", thief.String(), "--model", "fifo", "--data", dir)
	if len(r.CrossChain) != 1 {
		t.Fatalf("cross_chain %+v", r.CrossChain)
	}
	x := r.CrossChain[0]
	if x.Protocol != "thorchain" || x.Tainted != "60" || x.Seed != "500" || x.DestChain != addrcheck.Bitcoin || x.DestAddress != dest ||
		x.PayoutAmount != "500" || x.Confidence != 1 || x.Trace == nil {
		t.Fatalf("crossing %+v", x)
	}
	if len(x.Trace.Exits) != 1 || x.Trace.Exits[0].Address != exch || x.Trace.Exits[0].Amount != "495" || x.Trace.Chain != addrcheck.Bitcoin {
		t.Errorf("the trace on Bitcoin: exits %+v", x.Trace.Exits)
	}
	if table := mustCLI(t, "trace", "--seed", thief.String(), "--data", dir); !containsAll(table, "thorchain", "=:b:"+dest, "1.00") {
		t.Errorf("table:\n%s", table)
	}
}
