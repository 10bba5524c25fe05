package watch_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ingest/btc"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/scenario/btcnode"
	"github.com/chainhound/chainhound/internal/watch"
	"github.com/chainhound/chainhound/internal/watch/watchtest"
)

// TestLiveCrossChain follows both chains, the in-process Ethereum node and
// a btcd regtest node: the thief's router deposit with a memo naming a
// Bitcoin address raises router_memo, the address joins the case on
// Bitcoin, and when the bridge has paid it and it pays an exchange there,
// the exit on Bitcoin is the case's, raised in that block.
func TestLiveCrossChain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes")
	}
	ctx := context.Background()
	bn, err := btcnode.Start(ctx, btcnode.Config{Network: btcnode.Regtest})
	if errors.Is(err, btcnode.ErrNoBinary) {
		t.Skipf("no btcd binary: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bn.Close() })
	n, err := scenario.NewNode(scenario.NodeConfig{Accounts: watchtest.Accounts, Alloc: watchtest.Alloc()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	th, err := watchtest.NewTheft(ctx, n, 24)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bn.Generate(ctx, 101); err != nil {
		t.Fatal(err)
	}
	dest, err := bn.Script(btcnode.P2WPKH, 1)
	if err != nil {
		t.Fatal(err)
	}
	exch, err := bn.Script(btcnode.P2WPKH, 2)
	if err != nil {
		t.Fatal(err)
	}
	th.BTCDest = dest.Address
	net, _ := btc.ParseNetwork("regtest")
	ix, policy := theftIndex(th, n)
	ix.Add(&intel.Tag{Subject: intel.Account(net.CAIP2(), exch.Address), Label: "Exchange B bitcoin deposit", Category: "exchange", Source: "watchtest"})
	dir := t.TempDir()
	l := &live{t: t, node: n, btc: bn, dir: dir, cfg: theftConfig(t, th, "", "", ""), ix: ix, policy: policy, log: testLogger(t)}
	l.start()
	defer l.stop()
	var router string
	for _, s := range th.Steps() {
		if s.Name != "theft" && s.Name != "split" && !strings.HasPrefix(s.Name, "router") {
			continue
		}
		if err := s.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Commit(); err != nil {
			t.Fatal(err)
		}
		h := n.Head().Number.Uint64()
		l.waitCursor(h)
		checkExpect(t, l.db, th, s.Name, h, s.Expect)
		if strings.HasPrefix(s.Name, "router") {
			router = th.Txs["router"].Hex()
		}
	}
	alerts, _ := l.db.Alerts(watch.Filter{Rule: watch.RuleRouterMemo})
	if len(alerts) != 1 || !slices.Contains(alerts[0].Addresses, dest.Address) {
		t.Fatalf("router_memo alerts %+v", alerts)
	}
	// The bridge's vault pays the destination, naming the deposit.
	memo, err := btcnode.NullDataOutput([]byte("OUT:" + strings.ToUpper(router[2:])))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bn.Pay(ctx, []btcnode.Output{dest.Pay(50_000_000), memo}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := bn.Generate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	h, _ := bn.Height(ctx)
	l.waitChain(chain.Bitcoin, uint64(h))
	// The destination pays a Bitcoin exchange.
	us, err := bn.UTXOs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(us, func(u btcnode.UTXO) bool { return u.Script.Address == dest.Address })
	if i < 0 {
		t.Fatal("the payout is not in the wallet")
	}
	if _, err := bn.Send(ctx, []btcnode.UTXO{us[i]}, []btcnode.Output{exch.Pay(40_000_000)}, dest); err != nil {
		t.Fatal(err)
	}
	if _, err := bn.Generate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	h, _ = bn.Height(ctx)
	l.waitChain(chain.Bitcoin, uint64(h))
	exits, _ := l.db.Alerts(watch.Filter{Rule: watch.RuleExit, Chain: net.CAIP2()})
	if len(exits) != 1 || exits[0].Case != "bybit-like" || exits[0].Block != uint64(h) || exits[0].Category != "exchange" ||
		!slices.Contains(exits[0].Addresses, exch.Address) {
		all, _ := l.db.Alerts(watch.Filter{Chain: net.CAIP2()})
		t.Fatalf("bitcoin exits %+v\nall bitcoin alerts %+v", exits, all)
	}
	t.Logf("bitcoin exit: %s", exits[0].Explanation)
}
