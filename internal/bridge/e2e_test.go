package bridge_test

import (
	"context"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/chainhound/chainhound/internal/bridge"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ingest"
	"github.com/chainhound/chainhound/internal/ingest/btc"
	"github.com/chainhound/chainhound/internal/ingest/eth"
	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/scenario/btcnode"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

type world struct {
	t      *testing.T
	ctx    context.Context
	en     *scenario.Node
	bn     *btcnode.Node
	router common.Address
	vault  common.Address
	abi    abi.ABI
	st     *store.DB
}

func (w *world) deposit(memo string, wei *big.Int) chain.Hash {
	w.t.Helper()
	data, err := w.abi.Pack("depositWithExpiry", w.vault, common.Address{}, wei, memo, big.NewInt(1<<40))
	if err != nil {
		w.t.Fatal(err)
	}
	h, err := w.en.Send(w.ctx, 1, &w.router, wei, data, 200_000)
	if err != nil {
		w.t.Fatal(err)
	}
	return chain.Hash(h)
}

func (w *world) commit() {
	w.t.Helper()
	if _, err := w.en.Commit(); err != nil {
		w.t.Fatal(err)
	}
}

// outMemo is the memo THORChain's vault writes on a payout: OUT: and the
// inbound hash as THORChain writes transaction ids (64 hex digits, upper
// case, no 0x).
func outMemo(h chain.Hash) string { return "OUT:" + strings.ToUpper(h.String()[2:]) }

func (w *world) pay(addr string, sats int64, memo string) chainhash.Hash {
	w.t.Helper()
	s := w.script(addr)
	outs := []btcnode.Output{s.Pay(sats)}
	if memo != "" {
		o, err := btcnode.NullDataOutput([]byte(memo))
		if err != nil {
			w.t.Fatal(err)
		}
		outs = append(outs, o)
	}
	tx, err := w.bn.Pay(w.ctx, outs, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return tx.TxHash()
}

var scripts = map[string]*btcnode.Script{}

func (w *world) script(addr string) *btcnode.Script { return scripts[addr] }

func (w *world) newAddress(key int) string {
	w.t.Helper()
	s, err := w.bn.Script(btcnode.P2WPKH, key)
	if err != nil {
		w.t.Fatal(err)
	}
	scripts[s.Address] = s
	return s.Address
}

func (w *world) ingest() {
	w.t.Helper()
	f, err := eth.NewFetcher(eth.NewClient(w.en.URL(), eth.ClientOptions{}), eth.FetchOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := f.Detect(w.ctx, 1); err != nil {
		w.t.Fatal(err)
	}
	ing, err := eth.NewIngester(f, w.st, eth.Config{})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := ing.Run(w.ctx); err != nil {
		w.t.Fatalf("ingest eth: %v", err)
	}
	net, err := btc.ParseNetwork("regtest")
	if err != nil {
		w.t.Fatal(err)
	}
	rpc, err := btc.NewRPC(w.bn.RPCURL(), btc.Auth{User: w.bn.RPCUser(), Password: w.bn.RPCPass()})
	if err != nil {
		w.t.Fatal(err)
	}
	bi, err := ingest.New(btc.NewSource(net, btc.RPCBlocks{RPC: rpc, Net: net}, w.st, rpc), w.st, ingest.Config{})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := bi.Run(w.ctx); err != nil {
		w.t.Fatalf("ingest btc: %v", err)
	}
}

// TestResolveAcrossChainsOnRealNodes plays the Bybit pattern on an
// in-process Ethereum node and a btcd regtest node: ether deposited through
// a THORChain-style router with swap memos, bitcoin paid out by the
// "vault" to the memos' destinations, both chains ingested into one store.
func TestResolveAcrossChainsOnRealNodes(t *testing.T) {
	ctx := context.Background()
	bn, err := btcnode.Start(ctx, btcnode.Config{Network: btcnode.Regtest})
	if errors.Is(err, btcnode.ErrNoBinary) {
		t.Skipf("no btcd binary: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer bn.Close()
	// Ethereum starts ten hours in the past so that its deposits can be
	// hours before the bitcoin payouts, which btcd stamps with the time now.
	start := time.Now().Add(-10 * time.Hour)
	en, err := scenario.NewNode(scenario.NodeConfig{GenesisTime: uint64(start.Unix())})
	if err != nil {
		t.Fatal(err)
	}
	defer en.Close()
	a, err := abi.JSON(strings.NewReader(scenario.RouterABI))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := &world{t: t, ctx: ctx, en: en, bn: bn, vault: en.Address(5), abi: a, st: st}

	router, _, err := en.Deploy(ctx, 0, scenario.RouterDeployCode(), nil, 500_000)
	if err != nil {
		t.Fatal(err)
	}
	w.router = router
	w.commit()

	dOut1, dOut2, dWindow, dLate := w.newAddress(1), w.newAddress(2), w.newAddress(3), w.newAddress(4)
	ether := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	// The early deposit: its window has long closed when bitcoin pays.
	late := w.deposit("=:b:"+dLate, ether)
	w.commit()
	if err := en.AdjustTime(9 * time.Hour); err != nil {
		t.Fatal(err)
	}
	out1 := w.deposit("=:b:"+dOut1, new(big.Int).Mul(ether, big.NewInt(3)))
	out2 := w.deposit("SWAP:BTC.BTC:"+dOut2+":4000000", new(big.Int).Mul(ether, big.NewInt(2)))
	win := w.deposit("=:BTC.BTC:"+dWindow+":5e6/1/0:t:10", ether)
	w.commit()

	// Bitcoin: mature coins, then the vault's payouts (in this test the
	// harness's wallet is the vault).
	if _, err := bn.Generate(ctx, 101); err != nil {
		t.Fatal(err)
	}
	payout1 := w.pay(dOut1, 9_000_000, outMemo(out1))
	payout2 := w.pay(dOut2, 4_100_000, outMemo(out2))
	w.pay(dWindow, 4_990_000, "")               // no memo: found by address and window; 5e6 less 3 % is 4,850,000
	w.pay(dLate, 3_000_000, "")                 // to the early deposit's address, hours after its window
	w.pay(dWindow, 4_000_000, "")               // below the minimum: not the swap's output
	w.pay(dOut2, 1_000, outMemo(chain.Hash{1})) // names another inbound: another swap's payout
	if _, err := bn.Generate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	w.ingest()

	// Memos were captured on both chains.
	ms, ok, err := st.Memos(chain.Ethereum, out1)
	if err != nil || !ok || len(ms) != 1 || ms[0].Kind != chain.MemoRouterDeposit || ms[0].Text != "=:b:"+dOut1 ||
		ms[0].Contract != chain.EVMAddress(router) || ms[0].To != chain.EVMAddress(w.vault) || ms[0].Amount.ToBig().Cmp(new(big.Int).Mul(ether, big.NewInt(3))) != 0 {
		t.Fatalf("deposit memo: %+v ok %v err %v", ms, ok, err)
	}
	refs, err := st.MemoRefs(out1)
	if err != nil || len(refs) != 1 || refs[0].Chain != chain.Bitcoin {
		t.Fatalf("OUT memo index: %+v %v", refs, err)
	}

	check := func(name string, h chain.Hash, wantAddr string, wantSats uint64, wantConf float64) {
		t.Helper()
		links, err := bridge.Resolve(ctx, st, chain.Ethereum, h)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(links) == 0 {
			t.Fatalf("%s: no links", name)
		}
		l := links[0]
		if wantAddr == "" {
			if l.Payout != nil || len(links) != 1 {
				t.Fatalf("%s: matched %+v (%s)", name, l.Payout, l.Why)
			}
			t.Logf("%s: unresolved: %s", name, l.Why)
			return
		}
		if l.Payout == nil {
			t.Fatalf("%s: unresolved: %s", name, l.Why)
		}
		if l.Payout.Chain != chain.Bitcoin || l.Payout.Address.Raw != wantAddr || l.Payout.Amount.Uint64() != wantSats || l.Confidence != wantConf {
			t.Fatalf("%s: link %+v payout %+v", name, l, *l.Payout)
		}
		if l.Deposit.Vault != chain.EVMAddress(w.vault) || l.Deposit.Router != chain.EVMAddress(router) || l.Deposit.DestChain != chain.Bitcoin {
			t.Fatalf("%s: deposit %+v", name, l.Deposit)
		}
		if len(links) != 1 {
			t.Fatalf("%s: %d links, want 1: %+v", name, len(links), links)
		}
		t.Logf("%s: %s:%d %d sat, confidence %.2f: %s", name, chain.Bitcoin.FormatHash(l.Payout.Tx), l.Payout.Index, wantSats, l.Confidence, l.Why)
	}
	check("=:b: with OUT memo", out1, dOut1, 9_000_000, 1)
	check("SWAP:BTC.BTC with limit and OUT memo", out2, dOut2, 4_100_000, 1)
	check("no OUT memo, limit met, in window", win, dWindow, 4_990_000, 0.7)
	check("payout after the window", late, "", 0, 0)

	// A transaction that is no deposit has no links; one never stored is an error.
	if links, err := bridge.Resolve(ctx, st, chain.Bitcoin, refs[0].Hash); err != nil || len(links) != 0 {
		t.Fatalf("a payout resolved as a deposit: %+v %v", links, err)
	}
	if _, err := bridge.Resolve(ctx, st, chain.Ethereum, chain.Hash{9}); err == nil || !strings.Contains(err.Error(), "does not hold") {
		t.Fatalf("unknown tx: %v", err)
	}

	// The other way: bitcoin paid to a vault with =:e:<addr>, ether paid
	// out by the router's transferOut naming the bitcoin txid as THORChain
	// writes it (the usual txid hex, upper case).
	btcVault, ethDest := w.newAddress(7), en.Address(6)
	memo := "=:e:" + strings.ToLower(ethDest.Hex()) + ":1e7"
	nd, err := btcnode.NullDataOutput([]byte(memo))
	if err != nil {
		t.Fatal(err)
	}
	depTx, err := bn.Pay(ctx, []btcnode.Output{w.script(btcVault).Pay(25_000_000), nd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bn.Generate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := en.AdjustTime(2 * time.Hour); err != nil {
		t.Fatal(err)
	}
	wei := new(big.Int).Mul(ether, big.NewInt(4))
	data, err := a.Pack("transferOut", ethDest, common.Address{}, wei, "OUT:"+strings.ToUpper(depTx.TxHash().String()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := en.Send(ctx, 5, &router, wei, data, 200_000); err != nil {
		t.Fatal(err)
	}
	w.commit()
	w.ingest()
	dep := btc.DisplayHash(depTx.TxHash())
	links, err := bridge.Resolve(ctx, st, chain.Bitcoin, dep)
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].Payout == nil {
		t.Fatalf("bitcoin deposit: %+v", links)
	}
	l := links[0]
	if l.Confidence != 1 || l.Payout.Chain != chain.Ethereum || l.Payout.Address != chain.EVMAddress(ethDest) || l.Payout.Amount.ToBig().Cmp(wei) != 0 ||
		l.Deposit.Vault.Raw != btcVault || l.Deposit.Amount.Uint64() != 25_000_000 || l.Deposit.DestAddress != strings.ToLower(ethDest.Hex()) {
		t.Fatalf("bitcoin deposit link %+v payout %+v", l, *l.Payout)
	}
	t.Logf("bitcoin deposit %s: ether payout %s seq %d, confidence %.2f: %s", chain.Bitcoin.FormatHash(dep), l.Payout.Tx, l.Payout.Index, l.Confidence, l.Why)

	// A reorg on Bitcoin double-spends the first payout: ingest rolls its
	// block back, with its OUT memo and the reference to the deposit; the
	// deposit is then unresolved. What the new branch mines again is found
	// again, in its new block.
	res, err := bn.Reorg(ctx, btcnode.ReorgConfig{Depth: 2, Conflicts: []chainhash.Hash{payout1}})
	if err != nil {
		t.Fatal(err)
	}
	w.ingest()
	if refs, err := st.MemoRefs(out1); err != nil || len(refs) != 0 {
		t.Fatalf("references to the first deposit after the reorg: %+v %v", refs, err)
	}
	if links, err := bridge.Resolve(ctx, st, chain.Ethereum, out1); err != nil || len(links) != 1 || links[0].Payout != nil {
		t.Fatalf("first deposit after its payout was reorged out: %+v %v", links, err)
	}
	if !slices.Contains(res.Dropped, payout2) {
		links, err := bridge.Resolve(ctx, st, chain.Ethereum, out2)
		if err != nil || len(links) != 1 || links[0].Payout == nil || links[0].Confidence != 1 || links[0].Payout.Block <= uint64(res.ForkHeight) {
			t.Fatalf("second deposit after the reorg: %+v %v", links, err)
		}
		t.Logf("after the reorg the second payout is in block %d (fork at %d)", links[0].Payout.Block, res.ForkHeight)
	}
}
