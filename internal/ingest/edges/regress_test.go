package edges

import (
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// Without times, a transaction whose edges straddle the 1000-edge block
// boundary is refused, with a message about "time" in a list that has none.
func TestRegressTxAcrossBlockBoundary(t *testing.T) {
	var b strings.Builder
	b.WriteString("from,to,value,hash\n")
	for i := range EdgesPerBlock - 1 {
		_ = i
		b.WriteString(a20(1) + "," + a20(2) + ",1,\n")
	}
	tx := "0x" + strings.Repeat("cd", 32)
	b.WriteString(a20(3) + "," + a20(4) + ",5," + tx + "\n")
	b.WriteString(a20(3) + "," + a20(5) + ",6," + tx + "\n")
	l, err := Read(strings.NewReader(b.String()), "t.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Blocks(chain.Ethereum, chain.NativeAsset, 1, chain.Hash{}); err != nil {
		t.Errorf("a two-edge transaction at edges 1000-1001: %v", err)
	}
}

// A UTF-8 byte-order mark (Excel's CSV export) hides the header.
func TestRegressBOMHeader(t *testing.T) {
	_, err := Read(strings.NewReader("\ufeffsource,target,amount\n"+a20(1)+","+a20(2)+",5\n"), "bom.csv")
	if err != nil {
		t.Errorf("header after a BOM: %v", err)
	}
}
