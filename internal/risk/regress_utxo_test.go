package risk

import (
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

type utx struct {
	ins  []utxoCoin
	outs []chain.Output
}

// block applies one block of hand-made transactions (a coinbase first
// paying cb).
func (u *utxoWorld) handBlock(cb int, txs ...utx) [][]utxoCoin {
	u.t.Helper()
	u.n++
	h := uint64(u.n)
	b := &chain.Block{Chain: chain.Bitcoin, Height: h, Parent: u.parent, Time: 1700000000 + int64(h)*600}
	b.Hash[0], b.Hash[1], b.Hash[30], b.Hash[29] = byte(h), byte(h>>8), 9, u.salt
	var cbh chain.Hash
	cbh[0], cbh[1], cbh[2], cbh[29] = byte(h), byte(h>>8), 1, u.salt
	b.Txs = append(b.Txs, chain.Tx{Hash: cbh, Coinbase: true, Outputs: []chain.Output{{Address: uaddr(cb), Value: 5000}}})
	made := [][]utxoCoin{{{cbh, 0, 5000}}}
	for k, x := range txs {
		var tx chain.Tx
		tx.Hash[0], tx.Hash[1], tx.Hash[2], tx.Hash[3], tx.Hash[29] = byte(h), byte(h>>8), 2, byte(k), u.salt
		for _, c := range x.ins {
			tx.Inputs = append(tx.Inputs, chain.Input{PrevTx: c.tx, PrevIndex: c.vout})
		}
		tx.Outputs = x.outs
		var cs []utxoCoin
		for j, o := range x.outs {
			cs = append(cs, utxoCoin{tx.Hash, uint32(j), o.Value})
		}
		made = append(made, cs)
		b.Txs = append(b.Txs, tx)
	}
	u.apply(b)
	return made
}

// A transaction whose first tainted input is a hop-1 address and whose
// second input is the seed's own output: the flow is hop 1 "from" the
// hop-1 address, and the path of its recipient starts at an address that
// is in no category.
func TestRegressUTXOPathStartsAtNonSeed(t *testing.T) {
	u := newUTXOWorld(t)
	const seed, p, x = 1, 2, 3
	b1 := u.handBlock(seed)                                                                                                               // seed's coinbase 5000
	b2 := u.handBlock(seed, utx{ins: b1[0], outs: []chain.Output{{Address: uaddr(p), Value: 1000}, {Address: uaddr(seed), Value: 3900}}}) // seed pays p; change
	b3 := u.handBlock(9, utx{ins: []utxoCoin{b2[1][0], b2[0][0]}, outs: []chain.Output{{Address: uaddr(x), Value: 5900}}})                // p's output first, then the seed's coinbase
	_ = b3
	u.tagBTC("hack", map[int]string{seed: "service_hack"})
	u.update(u.db, false)
	r, err := u.screener(u.db).Screen(btcCAIP2+":"+uaddr(x).Raw, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Indirect) != 1 {
		t.Fatalf("%+v", r.Indirect)
	}
	path := r.Indirect[0].Path
	if path[0].From != uaddr(seed).Raw {
		t.Fatalf("path starts at %s, not at the seed: %+v", path[0].From, path)
	}
}
