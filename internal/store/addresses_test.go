package store

import (
	"slices"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

func TestAddresses(t *testing.T) {
	s := openTest(t)
	applyChain(t, s, "a", 0, 5, chain.Hash{})
	want := map[chain.Address]bool{}
	for n := uint64(0); n <= 5; n++ {
		for _, tr := range testBlock(n, "a", chain.Hash{}).Transfers {
			for _, a := range []chain.Address{tr.From, tr.To} {
				if a.Raw != "" {
					want[a] = true
				}
			}
		}
	}
	var got []chain.Address
	for a, err := range s.Addresses(chain.Ethereum) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, a)
	}
	if len(got) != len(want) {
		t.Fatalf("%d addresses listed, the blocks hold %d", len(got), len(want))
	}
	for _, a := range got {
		if !want[a] {
			t.Errorf("listed %s, which no block holds", a)
		}
	}
	if !slices.IsSortedFunc(got, func(x, y chain.Address) int { return compareRaw(x.Raw, y.Raw) }) {
		t.Error("addresses not in key order")
	}
	// Token contracts are interned as assets, not as addresses.
	if c := s.AddressCount(); c != uint64(len(want)) {
		t.Errorf("AddressCount %d, want %d", c, len(want))
	}
	n := 0
	for range s.Addresses(chain.Ethereum) {
		if n++; n == 3 {
			break
		}
	}
	for a := range s.Addresses(chain.Bitcoin) {
		t.Errorf("bitcoin address %s listed from an Ethereum-only store", a)
	}
}

func compareRaw(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
