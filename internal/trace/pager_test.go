package trace

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
)

// A pager hands out exactly the rows of its query, in order: for every
// address of random chains, and for a hub with thousands of transfers in
// one block (pages that end inside a block resume after their last row).
func TestPagerReadsTheQuery(t *testing.T) {
	c := newEthChain(t)
	var xs []xfer
	for i := range 3000 {
		xs = append(xs, xfer{tx: i / 3, from: faucet, to: eth(byte(1 + i%3)), amount: uint64(1 + i), asset: chain.NativeAsset})
	}
	c.block(xs...)
	c.block(xfer{from: eth(1), to: eth(2), amount: 5, asset: chain.NativeAsset})
	hub := faucet
	s := openStore(t)
	addrs := randomAccountChain(t, rand.New(rand.NewPCG(4, 4)), s, 30)
	check := func(src AccountSource, a chain.Address, q store.Query) {
		t.Helper()
		want := collect(t, src, q)
		p := newPager(src, q)
		var got []store.Row
		for {
			r, err, ok := p.next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			got = append(got, r)
		}
		if len(want) == 0 && len(got) == 0 {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the pager read %d rows, the query has %d", a, len(got), len(want))
		}
	}
	for _, a := range []chain.Address{hub, eth(1), eth(2)} {
		check(c.s, a, store.Query{Chain: chain.Ethereum, Address: &a})
		check(c.s, a, store.Query{Chain: chain.Ethereum, Address: &a, FromBlock: 2})
	}
	for _, a := range addrs {
		check(s, a, store.Query{Chain: chain.Ethereum, Address: &a})
		check(s, a, store.Query{Chain: chain.Ethereum, Address: &a, FromBlock: 10, ToBlock: 20, HasToBlock: true})
	}
}
