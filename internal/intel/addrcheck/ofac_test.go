package addrcheck

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sharedData is ../shared/data seen from this package's directory.
const sharedData = "../../../../shared/data"

// ofacListDirs hold OFAC per-asset lists (sanctioned_addresses_<ASSET>.txt)
// of three dates.
var ofacListDirs = []string{"ofac-brave", "ofac-brave/snapshot-2025-03-04", "ofac-0xb10c"}

// ofacMistakes are entries OFAC lists under an asset whose chain cannot
// hold them, with the chain that does (empty: no address at all). They are
// checked to fail where listed, so a change of rules that lets them pass is
// noticed.
var ofacMistakes = map[string]struct{ asset, realChain, why string }{
	"TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq": {"XBT", Tron, "a Tron address listed as XBT"},
	"5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320": {"XMR", "",
		"64 hex digits: a Monero key or transaction hash, not an address (SDN entry 29585)"},
}

type listed struct{ asset, addr, file string }

func readOFACLists(t *testing.T) []listed {
	t.Helper()
	var all []listed
	for _, d := range ofacListDirs {
		files, _ := filepath.Glob(filepath.Join(sharedData, d, "sanctioned_addresses_*.txt"))
		for _, f := range files {
			asset := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "sanctioned_addresses_"), ".txt")
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(fh)
			for sc.Scan() {
				if a := strings.TrimSpace(sc.Text()); a != "" {
					all = append(all, listed{asset, a, f})
				}
			}
			fh.Close()
		}
	}
	if len(all) == 0 {
		t.Skipf("no OFAC lists under %s (../shared/data is absent in a fresh clone); skipping", sharedData)
	}
	return all
}

func TestOFACListsValidate(t *testing.T) {
	perAsset := map[string]int{}
	for _, l := range readOFACLists(t) {
		chains := SDNAssetChains(l.asset)
		if chains == nil {
			t.Errorf("%s: asset %s has no chain", l.file, l.asset)
			continue
		}
		_, _, _, err := NormalizeAny(chains, l.addr)
		if m, ok := ofacMistakes[l.addr]; ok {
			if err == nil {
				t.Errorf("%s: %s (%s) now validates as %s", l.file, l.addr, m.why, l.asset)
			}
			if m.realChain != "" {
				if _, _, err := Normalize(m.realChain, l.addr); err != nil {
					t.Errorf("%s: %s should be valid on %s: %v", l.file, l.addr, m.realChain, err)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", l.file, err)
			continue
		}
		perAsset[l.asset]++
	}
	keys := make([]string, 0, len(perAsset))
	for k := range perAsset {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, " %s=%d", k, perAsset[k])
	}
	t.Logf("valid listed addresses per asset (3 list dates, %d known OFAC mistakes excluded):%s", len(ofacMistakes), sb.String())
}

// TestOFACMutationsRejected changes one character of every listed address
// and expects the chain's checksum to catch it. Two kinds of address carry
// no checksum and are skipped: Solana public keys, and EVM addresses in one
// case. A mixed-case EVM address gets its case flipped, which EIP-55 turns
// into a warning.
func TestOFACMutationsRejected(t *testing.T) {
	seen := map[string]bool{}
	rejected := 0
	for _, l := range readOFACLists(t) {
		if _, bad := ofacMistakes[l.addr]; bad || seen[l.addr] {
			continue
		}
		seen[l.addr] = true
		chain, _, _, err := NormalizeAny(SDNAssetChains(l.asset), l.addr)
		if err != nil || chain == Solana {
			continue
		}
		if isEVM(chain) {
			h := l.addr[2:]
			if h == strings.ToLower(h) || h == strings.ToUpper(h) {
				continue
			}
			if _, warn, _ := Normalize(chain, flipCase(l.addr)); warn == "" {
				t.Errorf("%s: case flip of %s gives no EIP-55 warning", chain, l.addr)
			}
			rejected++
			continue
		}
		m := mutate(l.addr, chain)
		if _, _, err := Normalize(chain, m); err == nil {
			t.Errorf("%s: %s (one character changed from %s) accepted", chain, m, l.addr)
			continue
		}
		rejected++
	}
	t.Logf("%d one-character mutations caught", rejected)
}

// mutate replaces the middle character with the next one of the
// address's alphabet, so the result differs only in value.
func mutate(a, chain string) string {
	alphabet := btcAlphabet
	data := a[strings.LastIndexByte(a, '1')+1:] // bech32 data part, or all of a
	switch {
	case chain == XRPL:
		alphabet = xrpAlphabet
	case a == strings.ToLower(a) && strings.Trim(data, bech32Charset) == "" && chain != Monero:
		alphabet = bech32Charset // bech32 and cashaddr
	}
	i := len(a) / 2
	j := strings.IndexByte(alphabet, a[i])
	return a[:i] + string(alphabet[(j+1)%len(alphabet)]) + a[i+1:]
}

func flipCase(a string) string {
	b := []byte(a)
	for i := len(b) - 1; i >= 2; i-- {
		switch {
		case b[i] >= 'a' && b[i] <= 'f':
			b[i] -= 'a' - 'A'
			return string(b)
		case b[i] >= 'A' && b[i] <= 'F':
			b[i] += 'a' - 'A'
			return string(b)
		}
	}
	return a
}
