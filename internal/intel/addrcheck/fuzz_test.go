package addrcheck

import (
	"strings"
	"testing"
)

// FuzzNormalize feeds arbitrary text to every chain's checker. Whatever it
// accepts must be stable: normalising the canonical form again gives the
// same text with no new error. Seeds live in testdata/fuzz/FuzzNormalize.
func FuzzNormalize(f *testing.F) {
	f.Add(uint8(0), "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
	f.Add(uint8(8), "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0")
	chains := Chains()
	f.Fuzz(func(t *testing.T, which uint8, addr string) {
		chain := chains[int(which)%len(chains)]
		c, _, err := Normalize(chain, addr)
		if err != nil {
			if c != "" {
				t.Fatalf("error %v with canonical %q", err, c)
			}
			return
		}
		again, _, err := Normalize(chain, c)
		if err != nil || again != c {
			t.Fatalf("%s: %q -> %q -> %q, %v: not idempotent", chain, addr, c, again, err)
		}
		if strings.ContainsAny(c, " :\t\n") {
			t.Fatalf("%s: canonical %q would break a CAIP-10 id", chain, c)
		}
	})
}
