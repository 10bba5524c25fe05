package labels

import (
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/intel"
)

// TestCSVNotUTF8: a label file in another encoding (Latin-1 here) is
// refused with its position, not stored as broken text.
func TestCSVNotUTF8(t *testing.T) {
	in := CSVHeader + "\neip155:1,0x098b716b8aaf21512996dc57eb0615e2383e2f96,Caf\xe9,exchange,web_crawl,me,2025-01-01\n"
	_, err := ReadCSV(strings.NewReader(in), "latin1.csv", func(intel.Tag) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "latin1.csv:2:") || !strings.Contains(err.Error(), "not UTF-8") {
		t.Fatalf("got %v", err)
	}
}
