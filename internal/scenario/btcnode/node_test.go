package btcnode

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// startNode starts a node for t, skipping t when no btcd binary can be had,
// and closes it when t ends.
func startNode(t *testing.T, cfg Config) *Node {
	t.Helper()
	if _, err := EnsureBinary(t.Context()); errors.Is(err, ErrNoBinary) {
		t.Skipf("btcd unavailable, set %s or allow the Go module proxy: %v", BinaryEnv, err)
	}
	n, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return n
}

func generate(t *testing.T, n *Node, k int) []chainhash.Hash {
	t.Helper()
	hashes, err := n.Generate(t.Context(), k)
	if err != nil {
		t.Fatal(err)
	}
	return hashes
}

func height(t *testing.T, n *Node) int64 {
	t.Helper()
	h, err := n.Height(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestStartMineAndClose(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{})
	if n.Network() != Regtest || n.Params().Name != "regtest" {
		t.Errorf("network %q, params %q: want regtest", n.Network(), n.Params().Name)
	}
	if h := height(t, n); h != 0 {
		t.Fatalf("fresh node at height %d", h)
	}
	hashes := generate(t, n, 5)
	if len(hashes) != 5 || height(t, n) != 5 {
		t.Fatalf("generate 5: %d hashes, height %d", len(hashes), height(t, n))
	}
	for i, want := range hashes {
		got, err := n.BlockHash(t.Context(), int64(i+1))
		if err != nil || got != want {
			t.Errorf("block %d: hash %s, want %s (%v)", i+1, got, want, err)
		}
	}
	// Coinbases pay the mining script.
	b, err := n.Block(t.Context(), hashes[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Transactions[0].TxOut[0].PkScript; !bytes.Equal(got, n.MiningScript().PkScript) {
		t.Errorf("coinbase pays %x, want the mining script %x", got, n.MiningScript().PkScript)
	}

	// The endpoint speaks plain HTTP JSON-RPC with basic auth, as
	// chainhound's ingester expects.
	body := `{"jsonrpc":"1.0","id":1,"method":"getblockcount","params":[]}`
	req, _ := http.NewRequest(http.MethodPost, n.RPCURL(), strings.NewReader(body))
	req.SetBasicAuth(n.RPCUser(), n.RPCPass())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(buf.String(), `"result":5`) {
		t.Errorf("raw getblockcount answered %s", buf.String())
	}

	dir, host := n.Dir(), mustHost(t, n.RPCURL())
	if _, err := os.Stat(n.LogPath()); err != nil {
		t.Errorf("log file: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("data dir %s still there after Close: %v", dir, err)
	}
	if c, err := net.DialTimeout("tcp", host, time.Second); err == nil {
		c.Close()
		t.Errorf("RPC port %s still open after Close", host)
	}
	if err := n.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := n.Generate(context.Background(), 1); err == nil {
		t.Error("Generate after Close succeeded")
	}
}

func mustHost(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func TestStartRejectsUnknownNetwork(t *testing.T) {
	if _, err := Start(t.Context(), Config{Network: "mainnet"}); err == nil {
		t.Fatal("Start accepted mainnet")
	}
}

func TestStartFailureShowsLog(t *testing.T) {
	t.Parallel()
	if _, err := EnsureBinary(t.Context()); errors.Is(err, ErrNoBinary) {
		t.Skip(err)
	}
	_, err := Start(t.Context(), Config{ExtraArgs: []string{"--no-such-flag"}})
	if err == nil || !strings.Contains(err.Error(), "no-such-flag") {
		t.Fatalf("Start with a bad flag: %v; want the log naming the flag", err)
	}
}

func TestCoinbaseMaturity(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{})
	maturity := int(n.Params().CoinbaseMaturity)
	generate(t, n, maturity-1)
	us, err := n.UTXOs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 0 {
		t.Fatalf("%d spendable outputs at height %d, want none", len(us), maturity-1)
	}
	// The node itself refuses to let block 1's coinbase be spent in block
	// maturity: the wallet's view is not the only thing tested.
	n.mu.Lock()
	var immature UTXO
	for _, u := range n.utxos {
		if u.Height == 1 {
			immature = u
		}
	}
	n.mu.Unlock()
	_, err = n.Send(t.Context(), []UTXO{immature}, nil, n.MiningScript())
	var rpcErr *RPCError
	if !errors.As(err, &rpcErr) {
		t.Fatalf("spending an immature coinbase: %v, want the node's rejection", err)
	}
	t.Logf("node rejected the immature spend: %v", rpcErr)

	generate(t, n, 1)
	us, err = n.UTXOs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 1 || us[0].Height != 1 || !us[0].Coinbase {
		t.Fatalf("at height %d spendable %+v, want block 1's coinbase", maturity, us)
	}
	tx, err := n.Send(t.Context(), us, nil, n.MiningScript())
	if err != nil {
		t.Fatal(err)
	}
	generate(t, n, 1)
	if h, ok, err := n.TxHeight(t.Context(), tx.TxHash()); err != nil || !ok || h != int64(maturity+1) {
		t.Errorf("spend of a mature coinbase at height %d, %v (%v); want %d", h, ok, err, maturity+1)
	}
}

// TestEveryScriptType pays to every script type in one transaction, then
// spends each in a transaction of its own to the next type: the node must
// accept and mine all, and its balances must agree with the wallet's.
func TestEveryScriptType(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{})
	ctx := t.Context()
	generate(t, n, int(n.Params().CoinbaseMaturity)+1)

	var scripts []*Script
	var to []Output
	for i, typ := range SpendableTypes() {
		var s *Script
		var err error
		switch typ {
		case P2SHMultisig, P2WSHMultisig:
			s, err = n.Multisig(typ, 2, i, (i+1)%8, (i+2)%8)
		case BareMultisig:
			s, err = n.Multisig(typ, 1, i, (i+1)%8)
		default:
			s, err = n.Script(typ, i)
		}
		if err != nil {
			t.Fatal(err)
		}
		scripts = append(scripts, s)
		to = append(to, s.Pay(1_000_000))
	}
	memo, err := NullDataOutput([]byte("chainhound"))
	if err != nil {
		t.Fatal(err)
	}
	fund, err := n.Pay(ctx, append(to, memo), nil)
	if err != nil {
		t.Fatal(err)
	}
	generate(t, n, 1)
	requireMined(t, n, fund.TxHash())

	var spends []chainhash.Hash
	for i, s := range scripts {
		coin := UTXO{OutPoint: wire.OutPoint{Hash: fund.TxHash(), Index: uint32(i)}, Value: 1_000_000, Script: s}
		next := scripts[(i+1)%len(scripts)]
		tx, err := n.Send(ctx, []UTXO{coin}, []Output{next.Pay(400_000)}, s)
		if err != nil {
			t.Fatalf("spend %s: %v", s.Type, err)
		}
		spends = append(spends, tx.TxHash())
	}
	generate(t, n, 1)
	for _, txid := range spends {
		requireMined(t, n, txid)
	}
	checkBalances(t, n)

	// How the node labels each type: what chainhound's comparison sees.
	b, err := n.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scripts {
		var u *Unspent
		for i := range b.Unspent {
			if bytes.Equal(b.Unspent[i].PkScript, s.PkScript) {
				u = &b.Unspent[i]
				break
			}
		}
		if u == nil {
			t.Errorf("%s: nothing unspent", s.Type)
			continue
		}
		t.Logf("%-14s node type %-22s address %q addresses %v", s.Type, u.Type, u.Address, u.Addresses)
		switch s.Type {
		case P2PK:
			// btcd names a P2PK output by the P2PKH address of its key.
			want, _ := address.NewAddressPubKeyHash(address.Hash160(s.PubKeys[0]), n.Params())
			if u.Address != want.EncodeAddress() {
				t.Errorf("p2pk: node address %q, want %q", u.Address, want.EncodeAddress())
			}
		case BareMultisig:
			if u.Address != "" || len(u.Addresses) != len(s.PubKeys) {
				t.Errorf("bare multisig: address %q, %d addresses; want none and %d", u.Address, len(u.Addresses), len(s.PubKeys))
			}
		default:
			if u.Address != s.Address {
				t.Errorf("%s: node address %q, want %q", s.Type, u.Address, s.Address)
			}
		}
	}
}

func requireMined(t *testing.T, n *Node, txid chainhash.Hash) {
	t.Helper()
	if _, ok, err := n.TxHeight(t.Context(), txid); err != nil || !ok {
		t.Fatalf("tx %s not mined (%v)", txid, err)
	}
}

// checkBalances compares the node's unspent set, read from the node, with
// the wallet's: every output on the chain pays a wallet script or is an
// OP_RETURN, so the two must be equal.
func checkBalances(t *testing.T, n *Node) *Balances {
	t.Helper()
	b, err := n.Balances(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	want := map[string]int64{}
	for _, u := range n.utxos {
		want[hex.EncodeToString(u.Script.PkScript)] += u.Value
	}
	wantHeight := int64(len(n.chain) - 1)
	n.mu.Unlock()
	if b.Height != wantHeight {
		t.Fatalf("balances at height %d, wallet at %d", b.Height, wantHeight)
	}
	got := b.ByScript()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("node balances by script\n%v\nwallet\n%v", got, want)
	}
	byAddr := b.ByAddress()
	var sum int64
	for _, v := range byAddr {
		sum += v
	}
	if sum > b.Total() || len(byAddr) == 0 {
		t.Errorf("by address sums to %d of %d in %d addresses", sum, b.Total(), len(byAddr))
	}
	return b
}

func TestReorg(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{})
	ctx := t.Context()
	generate(t, n, int(n.Params().CoinbaseMaturity)+3)
	p2tr, err := n.Script(P2TR, 1)
	if err != nil {
		t.Fatal(err)
	}
	p2wsh, err := n.Multisig(P2WSHMultisig, 2, 2, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	a, err := n.Pay(ctx, []Output{p2tr.Pay(5_000_000)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	generate(t, n, 1)
	// b spends a's output; c is independent. Conflicting with a must
	// drop b too, and keep c.
	b, err := n.Send(ctx, []UTXO{{OutPoint: wire.OutPoint{Hash: a.TxHash()}, Value: 5_000_000, Script: p2tr}}, []Output{p2wsh.Pay(1_000_000)}, p2tr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.Pay(ctx, []Output{p2wsh.Pay(2_000_000)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	generate(t, n, 1)
	tip := height(t, n)
	before := map[int64]chainhash.Hash{}
	for h := tip - 1; h <= tip; h++ {
		before[h], _ = n.BlockHash(ctx, h)
	}
	checkBalances(t, n)

	res, err := n.Reorg(ctx, ReorgConfig{Depth: 2, Conflicts: []chainhash.Hash{a.TxHash()}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ForkHeight != tip-2 || len(res.Old) != 2 || len(res.New) != 3 || height(t, n) != tip+1 {
		t.Fatalf("reorg result fork %d, %d old, %d new, height %d; want fork %d, 2 old, 3 new, height %d",
			res.ForkHeight, len(res.Old), len(res.New), height(t, n), tip-2, tip+1)
	}
	for h, old := range before {
		now, err := n.BlockHash(ctx, h)
		if err != nil || now == old {
			t.Errorf("height %d: hash %s before and %s after the reorg (%v)", h, old, now, err)
		}
	}
	wantDropped := fmt.Sprint([]chainhash.Hash{a.TxHash(), b.TxHash()})
	if fmt.Sprint(res.Dropped) != wantDropped {
		t.Errorf("dropped %v, want %v", res.Dropped, wantDropped)
	}
	requireMined(t, n, c.TxHash())
	requireMined(t, n, res.Replacements[a.TxHash()])
	// The old blocks stay known to the node, as a stale branch.
	if _, err := n.Block(ctx, res.Old[1]); err != nil {
		t.Errorf("stale block %s: %v", res.Old[1], err)
	}
	checkBalances(t, n)
}

func TestSimnet(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{Network: Simnet})
	ctx := t.Context()
	if n.Params().Name != "simnet" {
		t.Fatalf("params %s", n.Params().Name)
	}
	if err := n.ActivateSoftForks(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("segwit and taproot active at height %d", height(t, n))
	p2tr, err := n.Script(P2TR, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p2tr.Address, "sb1p") {
		t.Errorf("simnet taproot address %s", p2tr.Address)
	}
	fund, err := n.Pay(ctx, []Output{p2tr.Pay(1_000_000)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	spend, err := n.Send(ctx, []UTXO{{OutPoint: wire.OutPoint{Hash: fund.TxHash()}, Value: 1_000_000, Script: p2tr}}, nil, n.MiningScript())
	if err != nil {
		t.Fatal(err)
	}
	generate(t, n, 1)
	requireMined(t, n, spend.TxHash())
	checkBalances(t, n)
}

// TestWatchFindsEarlierOutputs pays a script the wallet does not track,
// then hands it to Watch: the rescan must find the mined output.
func TestWatchFindsEarlierOutputs(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{})
	ctx := t.Context()
	generate(t, n, int(n.Params().CoinbaseMaturity)+1)
	// Key 19 is beyond the node's keys, so no script of the node uses it.
	s, err := NewScript(n.Params(), P2SHP2WPKH, DeterministicKeys(20)[19])
	if err != nil {
		t.Fatal(err)
	}
	tx, err := n.Pay(ctx, []Output{s.Pay(700_000)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	generate(t, n, 1)
	find := func() bool {
		us, err := n.UTXOs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(us, func(u UTXO) bool { return u.OutPoint.Hash == tx.TxHash() && u.Script.Type == P2SHP2WPKH })
	}
	if find() {
		t.Fatal("the wallet tracks a script it was never given")
	}
	if err := n.Watch(ctx, s); err != nil {
		t.Fatal(err)
	}
	if !find() {
		t.Fatal("Watch did not find the output mined before it")
	}
	checkBalances(t, n)
}
