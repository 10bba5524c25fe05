package cluster

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster/coinjoin"
	"github.com/chainhound/chainhound/internal/store"
)

func sh(s string) chain.Address {
	return chain.Address{Chain: chain.Bitcoin, Raw: "3" + s + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"[:33-len(s)]}
}

// postMixBlocks: block 1 pays a reuser's P2SH address (id 1); block 2 is
// a JoinMarket-shaped CoinJoin paying the reuser's P2WPKH address (id 6)
// among others; block 3 spends that post-mix coin: an odd payment ten
// times the change to a fresh P2WPKH address (id 11, another owner's),
// the change back to the reused P2SH address. Fresh address, script type
// and peel chain name the payment as the change (3.0 points): the
// simulator's wrong change link.
func postMixBlocks() []*chain.Block {
	var blocks []*chain.Block
	var parent chain.Hash
	add := func(txs ...chain.Tx) {
		h := uint64(800_001 + len(blocks))
		b := &chain.Block{Chain: chain.Bitcoin, Height: h, Hash: hashOf("postmix-block" + string(rune('a'+len(blocks)))), Parent: parent, Time: int64(1.7e9) + int64(h)}
		cb := chain.Tx{Hash: hashOf("postmix-cb" + string(rune('a'+len(blocks)))), Coinbase: true, Success: true,
			Outputs: []chain.Output{{Address: pkh("miner" + string(rune('a'+len(blocks)))), Value: 1}}}
		b.Txs = append([]chain.Tx{cb}, txs...)
		for i := range b.Txs {
			b.Txs[i].Index, b.Txs[i].Success = uint32(i), true
		}
		parent = b.Hash
		blocks = append(blocks, b)
	}
	home := sh("reuserhome")
	fund := chain.Tx{Hash: hashOf("postmix-fund"), Coinbase: true, Outputs: []chain.Output{
		{Address: home, Value: 1_000_000}, {Address: wpkh("alice"), Value: 10_000_000}, {Address: wpkh("bob"), Value: 10_000_000},
		{Address: wpkh("carol"), Value: 20_000_000}}}
	add(fund)
	mix := chain.Tx{Hash: hashOf("postmix-mix"), Inputs: []chain.Input{
		{PrevTx: fund.Hash, PrevIndex: 1}, {PrevTx: fund.Hash, PrevIndex: 2}, {PrevTx: fund.Hash, PrevIndex: 3}}}
	for _, o := range []struct {
		a chain.Address
		v int64
	}{{wpkh("mixa"), 2_000_000}, {wpkh("mixb"), 2_000_000}, {wpkh("reusermix"), 12_959_163}, {wpkh("mixc"), 2_000_000},
		{wpkh("bobchange"), 7_999_000}, {wpkh("alicechange"), 3_039_837}} {
		mix.Outputs = append(mix.Outputs, chain.Output{Address: o.a, Value: o.v})
	}
	add(mix)
	pay := chain.Tx{Hash: hashOf("postmix-pay"), Inputs: []chain.Input{{PrevTx: mix.Hash, PrevIndex: 2}},
		Outputs: []chain.Output{{Address: wpkh("payee"), Value: 12_734_883}, {Address: home, Value: 223_280}}}
	add(pay)
	return blocks
}

// TestPostMix: with change.post_mix, the payment from the post-mix coin
// is not merged into its payer (the script type says nothing: 2.0
// points), in memory and through the database, across a reopen and a
// reorg that drops and replays the CoinJoin's block (its addresses'
// marks go and come back with it); with post_mix off the wrong merge is
// made.
func TestPostMix(t *testing.T) {
	blocks := postMixBlocks()
	for _, on := range []bool{true, false} {
		o := Options{Change: testChange()}
		o.Change.PostMix = on
		dir := t.TempDir()
		st, err := store.Open(filepath.Join(dir, "store"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ingest := func(bs []*chain.Block) {
			t.Helper()
			for _, b := range bs {
				c := *b
				c.Txs = append([]chain.Tx(nil), b.Txs...)
				for i := range c.Txs {
					c.Txs[i].Inputs = append([]chain.Input(nil), b.Txs[i].Inputs...) // the store resolves them
				}
				if err := st.ResolveInputs(&c); err != nil {
					t.Fatal(err)
				}
				if err := chain.UTXOTransfers(&c); err != nil {
					t.Fatal(err)
				}
				if err := st.ApplyBlock(&c); err != nil {
					t.Fatal(err)
				}
			}
		}
		ingest(blocks)
		id := func(a chain.Address) uint32 {
			n, ok, err := st.AddressID(a)
			if err != nil || !ok {
				t.Fatalf("%s: %v %v", a, ok, err)
			}
			return uint32(n)
		}
		mixed, payee := id(wpkh("reusermix")), id(wpkh("payee"))
		path := filepath.Join(dir, "cluster")
		d, err := Open(path, chain.Bitcoin, o, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.UpdateTo(context.Background(), st, blocks[1].Height, nil); err != nil {
			t.Fatal(err)
		}
		if k := d.c.Counts.CoinJoins[coinjoin.JoinMarket]; k != 1 {
			t.Fatalf("post_mix %v: %d JoinMarket CoinJoins", on, k)
		}
		if want := map[bool]int{true: 6, false: 0}[on]; d.c.MixedCount() != want || on && !d.c.isMixed(mixed) {
			t.Fatalf("post_mix %v: %d addresses marked post-mix, want %d", on, d.c.MixedCount(), want)
		}
		check := func(what string) {
			t.Helper()
			merged := d.c.EntityOf(uint64(mixed)) == d.c.EntityOf(uint64(payee))
			if merged == on || d.c.Counts.ChangeMerges != map[bool]uint64{true: 0, false: 1}[on] {
				t.Fatalf("post_mix %v, %s: payer and payee merged %v, %d change merges", on, what, merged, d.c.Counts.ChangeMerges)
			}
		}
		// reopen between the CoinJoin and its spend: the marks come from disk
		d.Close()
		if d, err = Open(path, chain.Bitcoin, o, false); err != nil {
			t.Fatal(err)
		}
		if err := d.Update(context.Background(), st, nil); err != nil {
			t.Fatal(err)
		}
		check("reopened before the spend")
		// drop the CoinJoin's block and the spend, then take them back
		if err := st.Rollback(chain.Bitcoin, blocks[0].Height); err != nil {
			t.Fatal(err)
		}
		if err := d.Update(context.Background(), st, nil); err != nil {
			t.Fatal(err)
		}
		if d.c.MixedCount() != 0 {
			t.Fatalf("post_mix %v: %d marks left after the CoinJoin's block went", on, d.c.MixedCount())
		}
		ingest(blocks[1:])
		if err := d.Update(context.Background(), st, nil); err != nil {
			t.Fatal(err)
		}
		check("after the reorg")
		d.Close()
	}
}
