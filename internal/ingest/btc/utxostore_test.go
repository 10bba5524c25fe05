package btc

import (
	"context"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ingest"
	"github.com/chainhound/chainhound/internal/ingest/btc/btcdtest"
	"github.com/chainhound/chainhound/internal/store"
)

// The utxostore reader lives in btcdtest, shared with other packages' tests.
type (
	utxo     = btcdtest.UTXO
	outpoint = btcdtest.Outpoint
)

// TestBlock277647SpendsResolve checks, over a real block of 213
// transactions, that every input resolves to an output of the utxostore or
// of an earlier transaction of the block, that no transaction creates
// value, and that the coinbase claims at most subsidy plus fees.
func TestBlock277647SpendsResolve(t *testing.T) {
	net := mainnet(t)
	recs := blkBlocks(t, btcdTestdata(t, "blockchain/testdata/277647.dat.bz2"))
	if len(recs) != 1 {
		t.Fatalf("%d blocks in 277647.dat", len(recs))
	}
	b, err := DecodeBlock(recs[0], net)
	if err != nil {
		t.Fatal(err)
	}
	store := btcdtest.MustLoad(t, btcdTestdata(t, "blockchain/testdata/277647.utxostore.bz2"))
	const height = 277647
	inBlock := map[outpoint]utxo{}
	used := map[outpoint]bool{}
	var fees int64
	resolved, fromStore, types := 0, 0, map[ScriptType]int{}
	for i := range b.Txs {
		tx := &b.Txs[i]
		var in int64
		for j := range tx.Inputs {
			if tx.Coinbase {
				break
			}
			op := outpoint{Txid: tx.Inputs[j].PrevTxid, Vout: tx.Inputs[j].PrevVout}
			u, ok := store[op]
			if !ok {
				if u, ok = inBlock[op]; !ok {
					t.Fatalf("tx %d (%s) input %d: %s:%d is neither in the utxostore nor earlier in the block", i, tx.Txid, j, op.Txid, op.Vout)
				}
			} else {
				fromStore++
			}
			if used[op] {
				t.Fatalf("tx %d input %d: %s:%d spent twice", i, j, op.Txid, op.Vout)
			}
			used[op] = true
			typ, addr := ClassifyScript(u.Script, net)
			if addr == "" {
				t.Errorf("tx %d input %d: spent output of type %s has no address", i, j, typ)
			}
			types[typ]++
			in += u.Value
			resolved++
		}
		for j, o := range tx.Outputs {
			inBlock[outpoint{Txid: tx.Txid, Vout: uint32(j)}] = utxo{Value: o.Value, Script: o.Script, Height: height, Coinbase: tx.Coinbase}
		}
		if tx.Coinbase {
			continue
		}
		fee := in - tx.OutputValue()
		if fee < 0 {
			t.Errorf("tx %d (%s): inputs %d < outputs %d", i, tx.Txid, in, tx.OutputValue())
		}
		fees += fee
	}
	if fromStore != len(store) {
		t.Errorf("the block spends %d of the %d utxostore entries", fromStore, len(store))
	}
	subsidy := int64(50e8) >> (height / 210000)
	claimed := b.Txs[0].OutputValue()
	if claimed > subsidy+fees {
		t.Errorf("coinbase claims %d > subsidy %d + fees %d", claimed, subsidy, fees)
	}
	t.Logf("block %s: %d txs, %d inputs resolved (%d from the utxostore, by spent type %v), fees %d, coinbase claims %d of %d",
		b.Hash, len(b.Txs), resolved, fromStore, types, fees, claimed, subsidy+fees)
}

// oneBlock serves a single block at its height, as a source that starts
// above genesis would (HashAt(0) is the network's genesis).
type oneBlock struct {
	b   *Block
	net Network
}

func (o oneBlock) Tip(context.Context) (int64, error) { return o.b.Height, nil }

func (o oneBlock) HashAt(_ context.Context, h int64) (chainhash.Hash, error) {
	switch h {
	case 0:
		return *o.net.Params.GenesisHash, nil
	case o.b.Height:
		return o.b.Hash, nil
	}
	return chainhash.Hash{}, ingest.ErrNotFound
}

func (o oneBlock) BlockAt(_ context.Context, h int64) (*Block, error) {
	if h != o.b.Height {
		return nil, ingest.ErrNotFound
	}
	return o.b, nil
}

// TestBlock277647ThroughStore ingests block 277647 through the pipeline
// into a store that starts at it: inputs that spend the utxostore's outputs
// come resolved, as from a node or an export (the block spends no output of
// its own transactions; blocks 0-255 and the regtest node exercise that
// path). Every input of
// every transaction must then be stored resolved, each transaction's
// transfers must send exactly its inputs and receive exactly its outputs,
// and the fees recorded must pay for what the coinbase claims above the
// subsidy.
func TestBlock277647ThroughStore(t *testing.T) {
	net := mainnet(t)
	raw := blkBlocks(t, btcdTestdata(t, "blockchain/testdata/277647.dat.bz2"))[0]
	b, err := DecodeBlock(raw, net)
	if err != nil {
		t.Fatal(err)
	}
	b.Height = 277647
	utxos := btcdtest.MustLoad(t, btcdTestdata(t, "blockchain/testdata/277647.utxostore.bz2"))
	given := 0
	for i := range b.Txs {
		for j := range b.Txs[i].Inputs {
			in := &b.Txs[i].Inputs[j]
			if u, ok := utxos[outpoint{Txid: in.PrevTxid, Vout: in.PrevVout}]; ok {
				_, addr := ClassifyScript(u.Script, net)
				in.Spent = &SpentOutput{Address: addr, Value: u.Value}
				given++
			}
		}
	}
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := chain.Network{CAIP2: net.CAIP2(), Genesis: net.Params.GenesisHash.String()}
	ing, err := ingest.New(NewSource(net, oneBlock{b, net}, st, nil), st, ingest.Config{From: 277647, HasFrom: true, To: 277647, HasTo: true, Network: &n})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ing.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	sent, received := map[uint32]int64{}, map[uint32]int64{}
	var fees, minted int64
	for r, err := range st.Transfers(store.Query{Chain: chain.Bitcoin}) {
		if err != nil {
			t.Fatal(err)
		}
		v := int64(r.Amount.Uint64())
		switch r.Kind {
		case chain.KindFee:
			fees += v
		case chain.KindCoinbase:
			minted += v
		}
		if r.Kind != chain.KindCoinbase {
			sent[r.TxIndex] += v
		}
		if r.Kind != chain.KindFee {
			received[r.TxIndex] += v
		}
	}
	versions, locked := map[int32]int{}, 0
	for i := range b.Txs {
		tx, ok, err := st.IO(chain.Bitcoin, 277647, uint32(i))
		if err != nil || !ok {
			t.Fatalf("tx %d: stored %v, %v", i, ok, err)
		}
		if !tx.HasFingerprint || tx.Version != b.Txs[i].Version || tx.LockTime != b.Txs[i].LockTime {
			t.Fatalf("tx %d: stored version %d locktime %d known %v, decoded %d %d", i, tx.Version, tx.LockTime, tx.HasFingerprint, b.Txs[i].Version, b.Txs[i].LockTime)
		}
		versions[tx.Version]++
		if tx.LockTime != 0 {
			locked++
		}
		var in, out int64
		for j, x := range tx.Inputs {
			if !x.Resolved || x.Address.None() || x.Value <= 0 {
				t.Fatalf("tx %d input %d stored unresolved: %+v", i, j, x)
			}
			in += x.Value
		}
		for _, o := range tx.Outputs {
			out += o.Value
		}
		if tx.Coinbase {
			continue
		}
		if in < out || sent[uint32(i)] != in || received[uint32(i)] != out {
			t.Errorf("tx %d: inputs %d, outputs %d; transfers send %d and receive %d", i, in, out, sent[uint32(i)], received[uint32(i)])
		}
	}
	subsidy := int64(50e8) >> (277647 / 210000)
	if minted > subsidy+fees || minted != b.Txs[0].OutputValue() {
		t.Errorf("coinbase mints %d (outputs %d), subsidy %d + fees %d", minted, b.Txs[0].OutputValue(), subsidy, fees)
	}
	if given != len(utxos) {
		t.Errorf("%d inputs spend the utxostore's %d outputs", given, len(utxos))
	}
	t.Logf("%d txs, %d inputs; fees %d, coinbase %d of %d; versions %v, %d with a non-zero locktime", len(b.Txs), given, fees, minted, subsidy+fees, versions, locked)
}

// TestDuplicateCoinbaseTxid replays what mainnet blocks 91,812 and 91,842
// did: a later coinbase repeats an earlier one's txid while its output is
// unspent. As in Bitcoin Core, the older output is replaced and can never be
// spent: the address's balance rebuilt from transfers must count it once,
// and rolling the later block back must restore the older output.
func TestDuplicateCoinbaseTxid(t *testing.T) {
	net := regtest(t)
	script := append(append([]byte{opDup, opHash160, 20}, make([]byte, 20)...), opEqualVerify, opCheckSig)
	_, addr := ClassifyScript(script, net)
	dup := coinbaseTx("same", 50e8, script)
	genesis := regtestGenesis(t)
	b1 := mineTxs(t, blockHash(genesis), net.Params.PowLimitBits, []*wire.MsgTx{dup})
	b2 := mineBlock(t, blockHash(b1), net.Params.PowLimitBits, "between")
	b3 := mineTxs(t, blockHash(b2), net.Params.PowLimitBits, []*wire.MsgTx{dup})
	dir := t.TempDir()
	writeBlk(t, dir, 0, frame(net, genesis, b1, b2, b3), 0)
	d, err := OpenBlocksDir(dir, net)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	run := func(to uint64) {
		t.Helper()
		ing, err := ingest.New(NewSource(net, DirBlocks{d}, st, nil), st, ingest.Config{To: to, HasTo: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ing.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	balance := func() (int64, []string) {
		t.Helper()
		var bal int64
		var kinds []string
		a := chain.Address{Chain: chain.Bitcoin, Raw: addr}
		for r, err := range st.Transfers(store.Query{Chain: chain.Bitcoin, Address: &a}) {
			if err != nil {
				t.Fatal(err)
			}
			v := int64(r.Amount.Uint64())
			if r.To == a {
				bal += v
			}
			if r.From == a {
				bal -= v
			}
			kinds = append(kinds, fmt.Sprintf("%d:%s", r.Block, r.Kind))
		}
		return bal, kinds
	}
	run(3)
	if bal, kinds := balance(); bal != 50e8 || fmt.Sprint(kinds) != "[1:coinbase 3:coinbase 3:burn]" {
		t.Fatalf("balance %d over %v; want 50 BTC: the replaced output burnt", bal, kinds)
	}
	txid := DisplayHash(dup.TxHash())
	if o, ok, err := st.Unspent(chain.Bitcoin, txid, 0); err != nil || !ok || o.Value != 50e8 {
		t.Fatalf("the newer output: %+v %v %v", o, ok, err)
	}
	if err := st.Rollback(chain.Bitcoin, 2); err != nil {
		t.Fatal(err)
	}
	if bal, kinds := balance(); bal != 50e8 || fmt.Sprint(kinds) != "[1:coinbase]" {
		t.Fatalf("after rollback: balance %d over %v", bal, kinds)
	}
	if info, ok, err := st.Tx(chain.Bitcoin, txid); err != nil || !ok || info.Block != 1 {
		t.Fatalf("after rollback the txid points at block %d (%v %v), want 1", info.Block, ok, err)
	}
}
