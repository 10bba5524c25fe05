package risk

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkScreen: one address screened (in), from a store of random
// transfers with stolen-funds and sanctions seeds; exposed and clean
// addresses alike.
func BenchmarkScreen(b *testing.B) {
	w := newWorld(b)
	rng := rand.New(rand.NewPCG(1, 2))
	randomWorld(w, rng, 200, 300)
	w.tag("hack", map[int]string{3: "service_hack", 17: "exploit"})
	w.tag("sdn", map[int]string{40: "sanction"})
	w.update(w.db, false)
	s := w.screener(w.db)
	accts := make([]string, 200)
	for i := range accts {
		accts[i] = caip2 + ":" + addr(i+1).String()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Screen(accts[i%len(accts)], "", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
