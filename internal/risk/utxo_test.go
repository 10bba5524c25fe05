package risk

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
)

// A synthetic UTXO network the address checker does not know: addresses
// are taken as written.
const btcCAIP2 = "bip122:00000000000000000000000000000abc"

type utxoWorld struct {
	*world
	unspent []utxoCoin
	n       int
}

type utxoCoin struct {
	tx    chain.Hash
	vout  uint32
	value int64
}

func newUTXOWorld(t *testing.T) *utxoWorld {
	w := newWorld(t)
	if err := w.st.Bind(chain.Bitcoin, chain.Network{CAIP2: btcCAIP2, Genesis: "test"}); err != nil {
		t.Fatal(err)
	}
	return &utxoWorld{world: w}
}

func uaddr(n int) chain.Address {
	return chain.Address{Chain: chain.Bitcoin, Raw: fmt.Sprintf("u%d", n)}
}

// blocks plays random transactions: each block a coinbase to a random
// address and a few transactions spending 1-3 unspent outputs into 1-3
// outputs with a fee.
func (u *utxoWorld) blocks(rng *rand.Rand, addrs, blocks int) {
	for range blocks {
		u.n++
		h := uint64(u.n)
		b := &chain.Block{Chain: chain.Bitcoin, Height: h, Parent: u.parent, Time: 1700000000 + int64(h)*600}
		b.Hash[0], b.Hash[1], b.Hash[30] = byte(h), byte(h>>8), 9
		var cb chain.Hash
		cb[0], cb[1], cb[2] = byte(h), byte(h>>8), 1
		b.Txs = append(b.Txs, chain.Tx{Hash: cb, Coinbase: true, Outputs: []chain.Output{{Address: uaddr(1 + rng.IntN(addrs)), Value: 5000}}})
		var fresh []utxoCoin
		fresh = append(fresh, utxoCoin{cb, 0, 5000})
		for k := range rng.IntN(4) {
			if len(u.unspent) == 0 {
				break
			}
			var tx chain.Tx
			tx.Hash[0], tx.Hash[1], tx.Hash[2], tx.Hash[3] = byte(h), byte(h>>8), 2, byte(k)
			var in int64
			for range 1 + rng.IntN(3) {
				if len(u.unspent) == 0 {
					break
				}
				i := rng.IntN(len(u.unspent))
				c := u.unspent[i]
				u.unspent = append(u.unspent[:i], u.unspent[i+1:]...)
				tx.Inputs = append(tx.Inputs, chain.Input{PrevTx: c.tx, PrevIndex: c.vout})
				in += c.value
			}
			fee := in / 50
			left := in - fee
			outs := 1 + rng.IntN(3)
			for j := range outs {
				v := left / int64(outs-j)
				if j < outs-1 {
					v = rng.Int64N(left + 1)
				}
				left -= v
				tx.Outputs = append(tx.Outputs, chain.Output{Address: uaddr(1 + rng.IntN(addrs)), Value: v})
				fresh = append(fresh, utxoCoin{tx.Hash, uint32(j), v})
			}
			b.Txs = append(b.Txs, tx)
		}
		u.apply(b)
		u.unspent = append(u.unspent, fresh...)
	}
}

// apply numbers a block's transactions, resolves its inputs, derives its
// transfers and stores it, as ingest does.
func (u *utxoWorld) apply(b *chain.Block) {
	u.t.Helper()
	for i := range b.Txs {
		b.Txs[i].Index, b.Txs[i].Success = uint32(i), true
	}
	if err := u.st.ResolveInputs(b); err != nil {
		u.t.Fatal(err)
	}
	if err := chain.UTXOTransfers(b); err != nil {
		u.t.Fatal(err)
	}
	if err := u.st.ApplyBlock(b); err != nil {
		u.t.Fatalf("block %d: %v", b.Height, err)
	}
	u.parent = b.Hash
}

func (u *utxoWorld) tagBTC(source string, tags map[int]string) {
	u.t.Helper()
	imp := intel.Import{Source: source, Kind: "test", File: source, Date: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
	for n, cat := range tags {
		imp.Tags = append(imp.Tags, intel.Tag{Subject: intel.Account(btcCAIP2, uaddr(n).Raw), Label: cat, Category: cat, Source: "test"})
	}
	if _, err := u.ist.Apply(imp); err != nil {
		u.t.Fatal(err)
	}
}

// On a UTXO chain too, streaming blocks and tags through Update gives
// what a rebuild gives, and the exposure is the UTXO trace's flows.
func TestUTXOIncrementalEqualsRebuilt(t *testing.T) {
	exposed := 0
	for g := range 6 {
		rng := rand.New(rand.NewPCG(uint64(g), 5))
		u := newUTXOWorld(t)
		for stage := range 5 {
			u.blocks(rng, 10, 4+rng.IntN(5))
			switch stage {
			case 1:
				u.tagBTC("hack", map[int]string{1 + rng.IntN(10): "service_hack"})
			case 3:
				u.tagBTC("sdn", map[int]string{1 + rng.IntN(10): "sanction"})
			}
			u.update(u.db, false)
		}
		fresh, err := Open(filepath.Join(t.TempDir(), "risk"), false)
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		u.update(fresh, true)
		inc, reb := u.screener(u.db), u.screener(fresh)
		for n := 1; n <= 10; n++ {
			a, err := inc.Screen(btcCAIP2+":"+uaddr(n).Raw, "", Options{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := reb.Screen(btcCAIP2+":"+uaddr(n).Raw, "", Options{})
			if err != nil {
				t.Fatal(err)
			}
			a.Freshness.Updated, b.Freshness.Updated = "", ""
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("graph %d u%d:\nincremental %+v\nrebuilt     %+v", g, n, a, b)
			}
			exposed += len(a.Indirect)
		}
	}
	if exposed == 0 {
		t.Fatal("nothing exposed: the test compares nothing")
	}
}

// fakeEntities puts addresses into entities by hand.
type fakeEntities map[string]uint64

func (f fakeEntities) EntityOf(_ string, a chain.Address) (uint64, bool) {
	e, ok := f[a.Raw]
	return e, ok
}

// A tag on one address of an entity is a direct hit on the others, named
// with the entity and the tagged member.
func TestEntityLiftsTags(t *testing.T) {
	u := newUTXOWorld(t)
	u.blocks(rand.New(rand.NewPCG(1, 1)), 5, 3)
	u.tagBTC("sdn", map[int]string{1: "sanction"})
	u.update(u.db, false)
	s := u.screener(u.db)
	if err := s.SetEntities(fakeEntities{"u1": 7, "u2": 7, "u3": 9}, u.ist); err != nil {
		t.Fatal(err)
	}
	r, err := s.Screen(btcCAIP2+":u2", "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Severity != Severe || len(r.Direct) != 1 || r.Direct[0].Entity != 7 || r.Direct[0].Member != "u1" || !strings.Contains(r.Reasons[0], "entity 7") {
		t.Fatalf("u2 in u1's entity: %+v", r)
	}
	r, _ = s.Screen(btcCAIP2+":u1", "", Options{})
	if len(r.Direct) != 1 || r.Direct[0].Member != "" { // its own tag, not inherited twice
		t.Fatalf("u1: %+v", r.Direct)
	}
	if r, _ = s.Screen(btcCAIP2+":u3", "", Options{}); len(r.Direct) != 0 {
		t.Fatalf("u3 in another entity: %+v", r.Direct)
	}
}
