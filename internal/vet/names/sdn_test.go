package names

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/intel/sdn"
)

// sharedData is ../shared/data seen from this package's directory.
const sharedData = "../../../../shared/data"

var sdnOnce struct {
	sync.Once
	entries []Entry
	ix      *Index
	err     error
}

// sdnIndex parses the real SDN Advanced XML once per test binary and
// indexes its individuals and entities; it skips when ../shared is absent.
func sdnIndex(tb testing.TB) (*Index, []Entry) {
	tb.Helper()
	p := filepath.Join(sharedData, "ofac-brave", "sdn_advanced.xml.bz2")
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared data %s absent (%v): this test reads ../shared/data in place", p, err)
	}
	sdnOnce.Do(func() {
		l, err := sdn.ReadFile(p, time.Time{}, sdn.Options{})
		if err != nil {
			sdnOnce.err = err
			return
		}
		sdnOnce.entries = FromActors(l.Actors)
		sdnOnce.ix = NewIndex(sdnOnce.entries)
	})
	if sdnOnce.err != nil {
		tb.Fatal(sdnOnce.err)
	}
	return sdnOnce.ix, sdnOnce.entries
}

// latinWords is the Latin-script words of a list name as written ("Jon
// Jin Yong 전 진영" -> Jon, Jin, Yong).
func latinWords(name string) []string {
	var out []string
	for _, w := range strings.Fields(name) {
		if isLatin(strings.Join(Tokens(w), "")) && len(Tokens(w)) > 0 {
			out = append(out, w)
		}
	}
	return out
}

func isDPRK(e Entry) bool {
	for _, p := range e.Programs {
		if strings.HasPrefix(p, "DPRK") {
			return true
		}
	}
	return false
}
