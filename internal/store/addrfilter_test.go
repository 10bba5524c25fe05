package store

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chainhound/chainhound/internal/bloom"
	"github.com/chainhound/chainhound/internal/chain"
)

// utxoChain makes a chain whose transactions spend outputs of all ages and
// pay a small set of recurring addresses, so that interning both finds old
// addresses and makes new ones.
type utxoChain struct {
	unspent []chain.Hash // one output each, vout 0
	parent  chain.Hash
}

func (g *utxoChain) apply(t *testing.T, s *DB, from, to uint64) {
	t.Helper()
	for h := from; h <= to; h++ {
		cb := hashOf(fmt.Sprintf("cb-%d", h))
		var txs []chain.Tx
		for i := 0; i < 3 && len(g.unspent) > 0; i++ {
			k := int(h*7+uint64(i)*5) % len(g.unspent)
			prev := g.unspent[k]
			g.unspent = append(g.unspent[:k], g.unspent[k+1:]...)
			id := fmt.Sprintf("t%d-%d", h, i)
			payee := baddr(fmt.Sprintf("addr-%d", (h*3+uint64(i))%11))
			if i > 0 {
				payee = baddr("fresh-" + id)
			}
			txs = append(txs, spend(id, prev, 0, chain.Output{Address: payee, Value: 1}))
			g.unspent = append(g.unspent, hashOf(id))
		}
		b := utxoBlock(t, s, h, g.parent, cb, txs...)
		mustApply(t, s, b)
		g.parent = b.Hash
		g.unspent = append(g.unspent, cb)
	}
}

// TestAddressFilterKeepsIDs checks that the filter never makes a stored
// address look new: after a reopen (the filter rebuilt from the store), with
// a filter too small for its keys, and across growth, every address keeps
// its one id, as with no filter at all.
func TestAddressFilterKeepsIDs(t *testing.T) {
	ingest := func(opts Options, reopenAt uint64, shrink bool) string {
		dir := t.TempDir()
		s, err := Open(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		if shrink { // start at one block so that it must grow
			s.addrFilter = bloom.New(64)
		}
		var g utxoChain
		g.apply(t, s, 1, reopenAt)
		if shrink && s.addrFilter.Bytes() < 128 {
			t.Fatalf("filter of %d bytes did not grow", s.addrFilter.Bytes())
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if s, err = Open(dir, opts); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		g.apply(t, s, reopenAt+1, 40)
		return btcDump(t, s, 40)
	}
	want := ingest(Options{AddressFilterBytes: -1}, 40, false)
	for _, c := range []struct {
		name     string
		opts     Options
		reopenAt uint64
		shrink   bool
	}{
		{"reopened", Options{}, 20, false},
		{"saturated", Options{AddressFilterBytes: 64}, 20, false},
		{"growing", Options{AddressFilterBytes: 1 << 12}, 40, true},
	} {
		if got := ingest(c.opts, c.reopenAt, c.shrink); got != want {
			t.Errorf("%s filter changed what the store holds:\n--- got\n%s\n--- want\n%s", c.name, got, want)
		}
	}
}

func TestSortedBatchLastWriteWins(t *testing.T) {
	s := openTest(t)
	var sb sortedBatch
	writes := [][2]string{
		{"k2", "a"}, {"k1", "x"}, {"k2", "b"}, {"k", "short"}, {"k\x00", "zero"}, {"k0", "y"}, {"k2", "c"},
		{"prefix8-Z", "z"}, {"prefix8-A", "a"}, {"prefix8-", "p"}, {"prefix8-A", "a2"},
	}
	for _, kv := range writes {
		if err := sb.Set([]byte(kv[0]), []byte(kv[1]), nil); err != nil {
			t.Fatal(err)
		}
	}
	batch := s.db.NewBatch()
	defer batch.Close()
	if err := sb.writeTo(batch); err != nil {
		t.Fatal(err)
	}
	var got []string
	r := batch.Reader()
	for {
		_, k, v, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, fmt.Sprintf("%q=%s", k, v))
	}
	want := []string{`"k"=short`, `"k\x00"=zero`, `"k0"=y`, `"k1"=x`, `"k2"=c`, `"prefix8-"=p`, `"prefix8-A"=a2`, `"prefix8-Z"=z`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("batch holds\n%v\nwant, in key order with the last write of each key,\n%v", got, want)
	}
}

// TestSortedBatchRandom checks writeTo against a plain map and sort on
// random writes: families in order and out of order, keys sharing long
// prefixes, keys that differ only past 16 bytes or in trailing zeros, and
// keys written several times.
func TestSortedBatchRandom(t *testing.T) {
	s := openTest(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 50 {
		var sb sortedBatch
		want := map[string]string{}
		n := 1 + rng.IntN(400)
		seq := 0
		for i := range n {
			var k []byte
			switch rng.IntN(5) {
			case 0: // a family written in key order (T c h i)
				seq++
				k = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64([]byte{'T', 1}, uint64(round)), uint32(seq))
			case 1: // random hashes (P c txid vout)
				k = binary.BigEndian.AppendUint64([]byte{'P', 1}, rng.Uint64()%16)
			case 2: // long common prefix, differing past 16 bytes
				k = append([]byte("a\x01bcrt1qqqqqqqqqqqqq"), byte('0'+rng.IntN(4)))
			case 3: // trailing zeros
				k = append([]byte("k"), make([]byte, rng.IntN(20))...)
			default: // anything
				k = make([]byte, rng.IntN(24))
				for j := range k {
					k[j] = byte(rng.IntN(4) * 60)
				}
			}
			v := fmt.Sprint(i)
			want[string(k)] = v
			if err := sb.Set(k, []byte(v), nil); err != nil {
				t.Fatal(err)
			}
		}
		batch := s.db.NewBatch()
		if err := sb.writeTo(batch); err != nil {
			t.Fatal(err)
		}
		var got []string
		r := batch.Reader()
		for {
			_, k, v, ok, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			got = append(got, fmt.Sprintf("%q=%s", k, v))
		}
		batch.Close()
		var wantList []string
		for _, k := range slices.Sorted(maps.Keys(want)) {
			wantList = append(wantList, fmt.Sprintf("%q=%s", k, want[k]))
		}
		if !slices.Equal(got, wantList) {
			t.Fatalf("round %d: batch holds\n%v\nwant\n%v", round, got, wantList)
		}
	}
}
