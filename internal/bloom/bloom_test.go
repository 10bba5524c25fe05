package bloom

import (
	"fmt"
	"testing"
)

func TestRate(t *testing.T) {
	f := New(1 << 17)
	n := f.Capacity()
	for i := range n {
		f.Add(fmt.Appendf(nil, "a\x02bc1q-added-%d", i))
	}
	for i := range n {
		if !f.MayContain(fmt.Appendf(nil, "a\x02bc1q-added-%d", i)) {
			t.Fatalf("false negative for key %d", i)
		}
	}
	fp := 0
	for i := range n {
		if f.MayContain(fmt.Appendf(nil, "a\x02bc1q-other-%d", i)) {
			fp++
		}
	}
	// Designed for about 1.5% at capacity; 3% would mean a broken hash.
	if rate := float64(fp) / float64(n); rate > 0.03 {
		t.Fatalf("false positive rate %.3f at capacity", rate)
	}
	if f.Keys() != n || ForKeys(1000).Capacity() < 1000 {
		t.Fatalf("keys %d of %d; ForKeys(1000) holds %d", f.Keys(), n, ForKeys(1000).Capacity())
	}
}
