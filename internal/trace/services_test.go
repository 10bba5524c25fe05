package trace

import (
	"slices"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
)

// TestIntelServicesList checks IntelServices' list against its Service
// answers: every address of the network with a tag of an exit category is
// listed, an address tagged only otherwise, on another network or in a
// transaction subject is not, and listed addresses are those Service
// attributes.
func TestIntelServicesList(t *testing.T) {
	ix := intel.NewIndex()
	add := func(subject intel.Subject, category string) {
		ix.Add(&intel.Tag{Subject: subject, Label: string(subject), Category: category, Source: "test"})
	}
	add(intel.Account("eip155:1", eth(1).String()), "exchange")
	add(intel.Account("eip155:1", eth(2).String()), "sanction") // not an exit category
	add(intel.Account("eip155:1", eth(3).String()), "mixing_service")
	add(intel.Account("eip155:1", eth(3).String()), "sanction")
	add(intel.Account("eip155:5", eth(4).String()), "exchange")  // another network
	add(intel.Account("eip155:1", "not an address"), "exchange") // what a label file may hold
	add(intel.Transaction("eip155:1", "0xabc"), "exchange")
	s := &IntelServices{Index: ix, CAIP2: "eip155:1", Categories: []string{"exchange", "mixing_service"}}
	got, ok := s.ServiceAddresses(chain.Ethereum)
	if !ok {
		t.Fatal("IntelServices cannot list")
	}
	slices.SortFunc(got, func(a, b chain.Address) int { return strings.Compare(a.Raw, b.Raw) })
	if want := []chain.Address{eth(1), eth(3)}; !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	for _, a := range []chain.Address{eth(1), eth(2), eth(3), eth(4)} {
		if _, ok := s.Service(a); ok != slices.Contains(got, a) {
			t.Errorf("%s: Service says %v, the list %v", a, ok, slices.Contains(got, a))
		}
	}
}
