package cluster

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// Members through the member index equals a scan of the forest, page by
// page, and stays right after merges drop the index.
func TestMemberIndex(t *testing.T) {
	c := New(Options{})
	r := rand.New(rand.NewPCG(3, 4))
	tx := &chain.Tx{}
	scan := func(e uint64) []uint64 {
		var out []uint64
		for i := uint64(1); i < uint64(c.Forest.Len()); i++ {
			if c.EntityOf(i) == e {
				out = append(out, i)
			}
		}
		return out
	}
	check := func(round int) {
		for e := uint64(1); e < uint64(c.Forest.Len()); e++ {
			want := scan(e)
			if len(want) == 0 {
				if m, total := c.Members(e, 0, 10); total != 0 || m != nil {
					t.Fatalf("round %d: %d is no entity id, listed %v of %d", round, e, m, total)
				}
				continue
			}
			var got []uint64
			after := uint64(0)
			for {
				page, total := c.Members(e, after, 3)
				if total != uint64(len(want)) {
					t.Fatalf("round %d entity %d: total %d, want %d", round, e, total, len(want))
				}
				got = append(got, page...)
				if len(page) < 3 {
					break
				}
				after = page[len(page)-1]
			}
			if !slices.Equal(got, want) {
				t.Fatalf("round %d entity %d: pages %v, want %v", round, e, got, want)
			}
		}
	}
	for round := range 4 {
		for k := 0; k < 40; k++ {
			c.Apply(tx, 1, []uint64{uint64(1 + r.IntN(300)), uint64(1 + r.IntN(300))}, nil)
		}
		check(round)
		if len(c.next) != c.Forest.Len() {
			t.Fatal("no member index built")
		}
	}
	if fmt.Sprint(c.Members(uint64(c.Forest.Len())+5, 0, 1)) != fmt.Sprint([]uint64{uint64(c.Forest.Len()) + 5}, 1) {
		t.Fatal("an id beyond the forest is its own entity")
	}
}
