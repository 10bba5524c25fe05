package cluster

import (
	"bytes"
	"compress/bzip2"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster/change"
	"github.com/chainhound/chainhound/internal/cluster/coinjoin"
	"github.com/chainhound/chainhound/internal/ingest"
	"github.com/chainhound/chainhound/internal/ingest/btc"
	"github.com/chainhound/chainhound/internal/ingest/btc/btcdtest"
	"github.com/chainhound/chainhound/internal/store"
)

func bz2(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(bzip2.NewReader(f))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// TestBlock277647 clusters real mainnet block 277647, ingested with the
// outputs it spends (btcd's test data: the block in blk framing and its
// "utxostore"), and checks the clustering against a partition computed
// directly from the decoded block. The counts are logged (docs/cluster.md
// reports them).
func TestBlock277647(t *testing.T) {
	dir := sharedData(t, "btcd-testdata/blockchain/testdata")
	raw := bz2(t, filepath.Join(dir, "277647.dat.bz2"))
	if len(raw) < 8 || !bytes.Equal(raw[:4], []byte{0xf9, 0xbe, 0xb4, 0xd9}) {
		t.Fatal("277647.dat: not mainnet blk framing")
	}
	net, err := btc.ParseNetwork("mainnet")
	if err != nil {
		t.Fatal(err)
	}
	b, err := btc.DecodeBlock(raw[8:8+binary.LittleEndian.Uint32(raw[4:])], net)
	if err != nil {
		t.Fatal(err)
	}
	const height = 277647
	b.Height = height
	utxos := btcdtest.MustLoad(t, bz2(t, filepath.Join(dir, "277647.utxostore.bz2")))
	for i := range b.Txs {
		for j := range b.Txs[i].Inputs {
			in := &b.Txs[i].Inputs[j]
			if u, ok := utxos[outpoint{Txid: in.PrevTxid, Vout: in.PrevVout}]; ok {
				_, addr := btc.ClassifyScript(u.Script, net)
				in.Spent = &btc.SpentOutput{Address: addr, Value: u.Value}
			}
		}
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := chain.Network{CAIP2: net.CAIP2(), Genesis: net.Params.GenesisHash.String()}
	ing, err := ingest.New(btc.NewSource(net, oneBlock{b, net}, st, nil), st, ingest.Config{From: height, HasFrom: true, To: height, HasTo: true, Network: &n})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ing.Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	d, err := Open(filepath.Join(t.TempDir(), "cluster"), chain.Bitcoin, Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Build(context.Background(), st, nil); err != nil {
		t.Fatal(err)
	}

	// Reference: union input address strings of every transaction the
	// detector does not call a multi-owner CoinJoin, straight from the
	// decoded block and the utxostore.
	parent := map[string]string{}
	find := func(a string) string {
		for parent[a] != "" && parent[a] != a {
			a = parent[a]
		}
		return a
	}
	kinds := map[coinjoin.Kind]int{}
	inputs := 0
	for i := range b.Txs {
		tx := &b.Txs[i]
		if tx.Coinbase {
			continue
		}
		ctx := chain.Tx{}
		for _, in := range tx.Inputs {
			a, v := inAddress(t, b, utxos, in, net)
			ctx.Inputs = append(ctx.Inputs, chain.Input{Address: chain.Address{Chain: chain.Bitcoin, Raw: a}, Value: v, Resolved: true})
			inputs++
		}
		for _, o := range tx.Outputs {
			_, a := btc.ClassifyScript(o.Script, net)
			ctx.Outputs = append(ctx.Outputs, chain.Output{Address: chain.Address{Chain: chain.Bitcoin, Raw: a}, Value: o.Value})
		}
		k := coinjoin.Detect(&ctx, height, coinjoin.DefaultOptions)
		kinds[k]++
		if k.MultiOwner() {
			continue
		}
		first := ctx.Inputs[0].Address.Raw
		for _, in := range ctx.Inputs[1:] {
			if x, y := find(first), find(in.Address.Raw); x != y {
				parent[y] = x
			}
		}
	}
	groups := map[string]map[uint64]bool{}
	for a := range parent {
		id, ok, err := st.AddressID(chain.Address{Chain: chain.Bitcoin, Raw: a})
		if err != nil || !ok {
			t.Fatalf("%s: not interned (%v)", a, err)
		}
		r := find(a)
		if groups[r] == nil {
			groups[r] = map[uint64]bool{}
		}
		groups[r][d.Clusterer().EntityOf(id)] = true
	}
	seen := map[uint64]string{}
	for r, es := range groups {
		if len(es) != 1 {
			t.Fatalf("reference group of %s spans entities %v", r, es)
		}
		for e := range es {
			if other, ok := seen[e]; ok {
				t.Fatalf("entity %d holds reference groups %s and %s", e, other, r)
			}
			seen[e] = r
		}
	}
	s := d.Clusterer().Summarize()
	k := d.Clusterer().Counts
	if s.Entities != uint64(len(groups)) || k.Merges == 0 {
		t.Fatalf("%d entities of 2+, reference has %d groups; %d merges", s.Entities, len(groups), k.Merges)
	}
	if int(k.Txs) != len(b.Txs)-1 {
		t.Fatalf("%d transactions clustered, the block has %d besides the coinbase", k.Txs, len(b.Txs)-1)
	}
	t.Logf("block %d: %d transactions (%d non-coinbase, %d inputs), %d with 2+ input addresses; kinds %v; %d merges; %d entities of 2+ addresses holding %d addresses, the largest %d",
		height, len(b.Txs), k.Txs, inputs, k.MultiInput, kinds, k.Merges, s.Entities, s.Clustered, s.Largest)

	// With change detection on (the CLI's default): the block alone, so
	// every address counts as fresh at its first sight in it (the spent
	// outputs' addresses come first). Change merges only add to co-spend.
	cfg := DefaultConfig()
	dc, err := Open(filepath.Join(t.TempDir(), "change"), chain.Bitcoin, Options{Change: cfg.Change}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	if err := dc.Build(context.Background(), st, nil); err != nil {
		t.Fatal(err)
	}
	kc, sc := dc.Clusterer().Counts, dc.Clusterer().Summarize()
	if kc.Merges != k.Merges+kc.ChangeMerges || kc.ChangeMerges > kc.ChangeFound {
		t.Fatalf("with change: %+v (co-spend alone: %d merges)", kc, k.Merges)
	}
	for a := range parent {
		x, _, _ := st.AddressID(chain.Address{Chain: chain.Bitcoin, Raw: a})
		y, _, _ := st.AddressID(chain.Address{Chain: chain.Bitcoin, Raw: find(a)})
		if dc.Clusterer().EntityOf(x) != dc.Clusterer().EntityOf(y) {
			t.Fatalf("change detection split co-spend group of %s", a)
		}
	}
	t.Logf("with change detection: %d change outputs found, %d merged, %d cannot-link pairs, %d refused; %d entities of 2+ addresses holding %d, the largest %d",
		kc.ChangeFound, kc.ChangeMerges, kc.CannotLinks, kc.ChangeRefusedCannot+kc.RefusedCannotLink, sc.Entities, sc.Clustered, sc.Largest)

	// The wallet fingerprints the store gives back: each transaction's
	// nVersion and nLockTime kind, as the decoded block has them; the
	// transactions left waiting for their outputs' spenders are exactly
	// those only the fingerprint could decide, less those whose outputs
	// all were spent within the block.
	prints := map[change.Print]int{}
	var deferred, decided int
	shown := map[uint64]bool{}
	spentIn := map[chain.Hash]int{} // outputs of each transaction spent within the block
	for i := range b.Txs {
		for _, in := range b.Txs[i].Inputs {
			spentIn[chain.Hash(in.PrevTxid)]++
		}
	}
	ids := func(tx *chain.Tx) (TxIDs, bool) {
		var t TxIDs
		for _, in := range tx.Inputs {
			id, ok, _ := st.AddressID(in.Address)
			t.In = append(t.In, id)
			if !ok {
				return t, false
			}
		}
		for _, o := range tx.Outputs {
			id, ok, _ := st.AddressID(o.Address)
			t.Out = append(t.Out, id)
			if !ok {
				return t, false
			}
		}
		return t, true
	}
	for i := range b.Txs {
		tx, _, err := st.IO(chain.Bitcoin, height, uint32(i))
		if err != nil {
			t.Fatal(err)
		}
		p, ok := change.PrintOf(&tx, height, cfg.Change.AntiSnipeBlocks)
		if !ok || tx.Version != b.Txs[i].Version || tx.LockTime != b.Txs[i].LockTime {
			t.Fatalf("tx %d: fingerprint %v %d/%d, decoded %d/%d", i, ok, tx.Version, tx.LockTime, b.Txs[i].Version, b.Txs[i].LockTime)
		}
		prints[p]++
		t2, ok := ids(&tx)
		if tx.Coinbase || !ok {
			for _, id := range slices.Concat(t2.In, t2.Out) {
				shown[id] = true
			}
			continue
		}
		// Freshness as the clustering sees it: the block is the store's
		// first, so an address is fresh until a transaction before this
		// one showed it.
		for _, id := range t2.Out {
			t2.Change.Fresh = append(t2.Change.Fresh, !shown[id])
		}
		for _, id := range slices.Concat(t2.In, t2.Out) {
			shown[id] = true
		}
		if v := change.Classify(&tx, t2.Change, &cfg.Change); tx.HasFingerprint && change.NeedsFingerprint(v, &cfg.Change) {
			deferred++
			if spentIn[tx.Hash] == len(tx.Outputs) {
				decided++
			}
		}
	}
	if kc.Deferred != uint64(deferred) || kc.DeferResolved != uint64(decided) || dc.Clusterer().Pending() != deferred-decided {
		t.Fatalf("%d transactions waited, %d decided, %d still waiting; the block has %d only the fingerprint could decide, %d of them with every output spent in it",
			kc.Deferred, kc.DeferResolved, dc.Clusterer().Pending(), deferred, decided)
	}
	t.Logf("fingerprints (version, locktime kind 0 zero 1 anti-fee-sniping 2 height 3 time): %v; %d transactions left waiting for their outputs' spenders (%d decided within the block, %d change found so)",
		prints, kc.Deferred, kc.DeferResolved, kc.DeferChange)
}

// inAddress is the address and value an input spends: from the
// utxostore, or an earlier transaction of the block.
func inAddress(t *testing.T, b *btc.Block, utxos map[outpoint]utxo, in btc.Input, net btc.Network) (string, int64) {
	if u, ok := utxos[outpoint{Txid: in.PrevTxid, Vout: in.PrevVout}]; ok {
		_, a := btc.ClassifyScript(u.Script, net)
		return a, u.Value
	}
	for i := range b.Txs {
		if b.Txs[i].Txid == in.PrevTxid {
			o := b.Txs[i].Outputs[in.PrevVout]
			_, a := btc.ClassifyScript(o.Script, net)
			return a, o.Value
		}
	}
	t.Fatalf("input %s:%d unresolved", in.PrevTxid, in.PrevVout)
	return "", 0
}

// oneBlock serves a single block at its height, as a source that starts
// above genesis would.
type oneBlock struct {
	b   *btc.Block
	net btc.Network
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

func (o oneBlock) BlockAt(_ context.Context, h int64) (*btc.Block, error) {
	if h != o.b.Height {
		return nil, ingest.ErrNotFound
	}
	return o.b, nil
}

// btcd keeps, next to block 277647, the outputs it spends (the utxostore);
// the reader is shared with internal/ingest/btc's tests.
type (
	utxo     = btcdtest.UTXO
	outpoint = btcdtest.Outpoint
)
