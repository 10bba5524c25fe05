package bridge_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/bridge"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// A synthetic two-chain store: Bitcoin and Ethereum mainnet, blocks written
// through the real store as ingest writes them.

const (
	btcUser   = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4" // BIP-173 test vector
	btcVault  = "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"
	ethUser   = "0x3021c479f7f8c9f1d5c7d8523ba5e22c0bcb5430"
	ethVault  = "0x1111111111111111111111111111111111111111"
	ethRouter = "0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146"
	t0        = 1_740_000_000 // deposit-era block times
)

func evm(s string) chain.Address {
	a, err := chain.ParseEVMAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}

func b(s string) chain.Address { return chain.Address{Chain: chain.Bitcoin, Raw: s} }

func h(s string) chain.Hash {
	var x chain.Hash
	copy(x[:], s)
	return x
}

type chains struct {
	t        *testing.T
	st       *store.DB
	eth, btc struct {
		n    uint64
		head chain.Hash
	}
}

func newChains(t *testing.T) *chains {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Bind(chain.Ethereum, chain.Network{CAIP2: "eip155:1", Genesis: "g"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Bind(chain.Bitcoin, chain.Network{CAIP2: addrcheck.Bitcoin, Genesis: "g"}); err != nil {
		t.Fatal(err)
	}
	return &chains{t: t, st: st}
}

// ethTx is one Ethereum transaction: transfers (in seq order) and memos.
type ethTx struct {
	hash      chain.Hash
	transfers []chain.Transfer
	memos     []chain.Memo
}

func (c *chains) ethBlock(time int64, txs ...ethTx) {
	c.t.Helper()
	c.eth.n++
	blk := &chain.Block{Chain: chain.Ethereum, Height: c.eth.n, Hash: h(fmt.Sprintf("eth-%d", c.eth.n)), Parent: c.eth.head, Time: time}
	for i, tx := range txs {
		blk.Txs = append(blk.Txs, chain.Tx{Hash: tx.hash, Index: uint32(i), Success: true})
		for j, tr := range tx.transfers {
			tr.Block, tr.TxIndex, tr.Seq, tr.TxHash = c.eth.n, uint32(i), uint32(j), tx.hash
			blk.Transfers = append(blk.Transfers, tr)
		}
		for _, m := range tx.memos {
			m.TxIndex = uint32(i)
			blk.Memos = append(blk.Memos, m)
		}
	}
	if err := c.st.ApplyBlock(blk); err != nil {
		c.t.Fatal(err)
	}
	c.eth.head = blk.Hash
}

// btcBlock applies a Bitcoin block: a coinbase paying miner 50 BTC, then
// txs; memo texts are attached to the tx of the same position.
func (c *chains) btcBlock(time int64, txs []chain.Tx, memos map[int]string) {
	c.t.Helper()
	c.btc.n++
	blk := &chain.Block{Chain: chain.Bitcoin, Height: c.btc.n, Hash: h(fmt.Sprintf("btc-%d", c.btc.n)), Parent: c.btc.head, Time: time}
	blk.Txs = append(blk.Txs, chain.Tx{Hash: h(fmt.Sprintf("cb-%d", c.btc.n)), Success: true, Coinbase: true,
		Outputs: []chain.Output{{Address: b("miner"), Value: 50e8}}})
	for i, tx := range txs {
		tx.Index, tx.Success = uint32(i+1), true
		blk.Txs = append(blk.Txs, tx)
		if text, ok := memos[i]; ok {
			for j, o := range tx.Outputs {
				if o.Address.None() {
					blk.Memos = append(blk.Memos, chain.Memo{TxIndex: uint32(i + 1), Kind: chain.MemoOpReturn, Index: uint32(j), Text: text})
				}
			}
		}
	}
	if err := c.st.ResolveInputs(blk); err != nil {
		c.t.Fatal(err)
	}
	if err := chain.UTXOTransfers(blk); err != nil {
		c.t.Fatal(err)
	}
	if err := c.st.ApplyBlock(blk); err != nil {
		c.t.Fatal(err)
	}
	c.btc.head = blk.Hash
}

func native(from, to chain.Address, kind chain.Kind, amount uint64) chain.Transfer {
	return chain.Transfer{Kind: kind, From: from, To: to, Asset: chain.NativeAsset, Amount: *uint256.NewInt(amount)}
}

func routerDeposit(memo string, wei uint64) ethTx {
	return ethTx{
		transfers: []chain.Transfer{
			native(evm(ethUser), evm(ethRouter), chain.KindNative, wei),
			native(evm(ethRouter), evm(ethVault), chain.KindInternal, wei),
		},
		memos: []chain.Memo{{Kind: chain.MemoRouterDeposit, Index: 0, Contract: evm(ethRouter), From: evm(ethUser), To: evm(ethVault),
			Asset: chain.NativeAsset, Amount: *uint256.NewInt(wei), Text: memo}},
	}
}

func vaultPayout(to chain.Address, wei uint64, memo string) ethTx {
	return ethTx{
		transfers: []chain.Transfer{
			native(evm(ethVault), evm(ethRouter), chain.KindNative, wei),
			native(evm(ethRouter), to, chain.KindInternal, wei),
		},
		memos: []chain.Memo{{Kind: chain.MemoRouterTransferOut, Index: 1, Contract: evm(ethRouter), From: evm(ethVault), To: to,
			Asset: chain.NativeAsset, Amount: *uint256.NewInt(wei), Text: memo}},
	}
}

func upper(x chain.Hash) string { return strings.ToUpper(x.String()[2:]) }

func resolve(t *testing.T, st *store.DB, c chain.Chain, tx chain.Hash) []bridge.Link {
	t.Helper()
	links, err := bridge.Resolve(context.Background(), st, c, tx)
	if err != nil {
		t.Fatal(err)
	}
	return links
}

// TestBitcoinToEthereum: a Bitcoin deposit with =:e:<addr> is paid by a
// router TransferOut naming the bitcoin txid; the router's own share of the
// transfers is not a payout.
func TestBitcoinToEthereum(t *testing.T) {
	c := newChains(t)
	c.btcBlock(t0, nil, nil) // coinbase 1 pays the miner
	dep := chain.Tx{Hash: h("btc-deposit"), Inputs: []chain.Input{{PrevTx: h("cb-1")}},
		Outputs: []chain.Output{{Address: b(btcVault), Value: 2e8}, {Value: 0}, {Address: b("miner"), Value: 47e8}}}
	c.btcBlock(t0+600, []chain.Tx{dep}, map[int]string{0: "=:e:" + ethUser + ":1e7"})
	out := vaultPayout(evm(ethUser), 3e18, "OUT:"+upper(dep.Hash))
	out.hash = h("eth-payout")
	c.ethBlock(t0+900, out)

	links := resolve(t, c.st, chain.Bitcoin, dep.Hash)
	if len(links) != 1 || links[0].Payout == nil {
		t.Fatalf("links %+v", links)
	}
	l := links[0]
	if l.Confidence != 1 || l.Payout.Chain != chain.Ethereum || l.Payout.Address != evm(ethUser) || l.Payout.Amount.Uint64() != 3e18 || l.Payout.Index != 1 {
		t.Fatalf("link %+v payout %+v", l, *l.Payout)
	}
	d := l.Deposit
	if d.Vault != b(btcVault) || d.From != b("miner") || d.Amount.Uint64() != 2e8 || d.DestChain != chain.Ethereum || d.DestAddress != ethUser ||
		d.MinOut == nil || d.MinOut.String() != "100000000000000000" {
		t.Fatalf("deposit %+v (min out %v)", d, d.MinOut)
	}
}

// TestRefundAndUnresolved covers deposits whose value does not reach a
// destination: a memo THORChain cannot read (refunded, REFUND:<hash>), a
// THORName destination, a chain chainhound does not index, a liquidity add.
func TestRefundAndUnresolved(t *testing.T) {
	c := newChains(t)
	c.btcBlock(t0, nil, nil) // Bitcoin indexed, Cosmos not
	bad, name, gaia, add := routerDeposit("=:b:not-an-address-of-any-chain-at-all-xyz", 1e18), routerDeposit("=:b:dx:1e6", 2e18),
		routerDeposit("=:GAIA.ATOM:cosmos1lj3kvyvqc0gv5ytmcqu4e6x7ulj0yw7h0lrvqa", 3e18), routerDeposit("+:ETH.ETH:", 4e18)
	unread := routerDeposit("FROB:ETH.ETH", 5e18)
	bad.hash, name.hash, gaia.hash, add.hash, unread.hash = h("bad"), h("name"), h("gaia"), h("add"), h("unread")
	c.ethBlock(t0, bad, name, gaia, add, unread)
	refund := vaultPayout(evm(ethUser), 1e18-5e15, "REFUND:"+upper(bad.hash))
	refund.hash = h("refund")
	c.ethBlock(t0+60, refund)

	l := resolve(t, c.st, chain.Ethereum, bad.hash)
	if len(l) != 1 || l[0].Payout == nil || l[0].Confidence != 1 || l[0].Payout.Address != evm(ethUser) || !strings.Contains(l[0].Why, "refund") ||
		l[0].Deposit.Action != "invalid" || !strings.Contains(l[0].Deposit.MemoError, "destination") {
		t.Fatalf("refund: %+v", l)
	}
	for tx, says := range map[chain.Hash]string{name.hash: `name "dx"`, gaia.hash: "GAIA is not indexed", add.hash: "stays with THORChain", unread.hash: "no refund found yet"} {
		l := resolve(t, c.st, chain.Ethereum, tx)
		if len(l) != 1 || l[0].Payout != nil || !strings.Contains(l[0].Why, says) {
			t.Errorf("%s: %+v, want one unresolved link saying %q", tx, l, says)
		}
	}
}

// TestWindowScoring: without a memo naming it, a deposit is matched to
// payouts to its destination in its window, first in time first; a payout
// naming another inbound, one below the minimum, one before the skew and
// one after the window are not candidates.
func TestWindowScoring(t *testing.T) {
	c := newChains(t)
	dep := routerDeposit("=:b:"+btcUser+":1e8", 2e18)
	dep.hash = h("deposit")
	c.ethBlock(t0, dep)
	c.btcBlock(t0-3*3600, nil, nil) // miner's coins; block time before the skew
	pay := func(name string, prev chain.Hash, sats int64) chain.Tx {
		return chain.Tx{Hash: h(name), Inputs: []chain.Input{{PrevTx: prev}},
			Outputs: []chain.Output{{Address: b(btcUser), Value: sats}, {Value: 0}, {Address: b("miner"), Value: 50e8 - sats - 1000}}}
	}
	c.btcBlock(t0-3*3600+1, []chain.Tx{pay("too-early", h("cb-1"), 1e8)}, nil)
	c.btcBlock(t0+600, []chain.Tx{pay("other-swap", h("cb-2"), 1e8)}, map[int]string{0: "OUT:" + upper(h("another inbound"))})
	c.btcBlock(t0+700, []chain.Tx{pay("too-small", h("cb-3"), 96e6)}, nil) // 1e8 less 3 % is 97e6
	c.btcBlock(t0+800, []chain.Tx{pay("first", h("cb-4"), 98e6)}, nil)
	c.btcBlock(t0+900, []chain.Tx{pay("second", h("cb-5"), 2e8)}, nil)
	c.btcBlock(t0+7*3600, []chain.Tx{pay("too-late", h("cb-6"), 2e8)}, nil)

	links := resolve(t, c.st, chain.Ethereum, dep.hash)
	var got []string
	for _, l := range links {
		if l.Payout == nil {
			t.Fatalf("unresolved: %s", l.Why)
		}
		got = append(got, fmt.Sprintf("%s@%.2f", strings.TrimRight(string(l.Payout.Tx[:]), "\x00"), l.Confidence))
	}
	if want := "first@0.70 second@0.35"; strings.Join(got, " ") != want {
		t.Fatalf("candidates %v, want %s", got, want)
	}

	// The generic matcher for another bridge: a same-asset deposit with
	// its own window, no minimum: base confidence only.
	m := bridge.WindowMatcher{Window: time.Hour}
	d := links[0].Deposit
	d.Protocol, d.MinOut, d.Window = "test-bridge", nil, 0
	ls, err := m.Match(context.Background(), c.st, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 3 || ls[0].Confidence != 0.5 || ls[1].Confidence != 0.25 || ls[2].Confidence != 0.125 {
		t.Fatalf("generic window links: %+v", ls)
	}
}
