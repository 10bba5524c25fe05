package edges

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

func a20(b byte) string { return fmt.Sprintf("0x%040x", b) }

// TestBlocksOrder: with times, edges are ordered by time (ties in file
// order) and each time is a block; edges sharing a tx are one transaction
// with increasing seq. Without times, file order, EdgesPerBlock a block.
func TestBlocksOrder(t *testing.T) {
	tx := "0x" + strings.Repeat("cd", 32)
	l, err := Read(strings.NewReader("from,to,value,timestamp,hash\n"+
		a20(1)+","+a20(2)+",7,200,\n"+
		a20(3)+","+a20(4)+",1e3,100,"+tx+"\n"+
		a20(3)+","+a20(5)+",2,100,"+tx+"\n"+
		a20(6)+","+a20(7)+",0,2024-01-01T00:00:00Z,\n"), "t.csv")
	if err != nil {
		t.Fatal(err)
	}
	bs, err := l.Blocks(chain.Ethereum, chain.NativeAsset, 10, chain.Hash{1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range bs {
		for _, x := range b.Transfers {
			got = append(got, fmt.Sprintf("%d@%d:%d.%d %s", b.Height, b.Time, x.TxIndex, x.Seq, x.Amount.Dec()))
		}
	}
	if want := "[10@100:0.0 1000 10@100:0.1 2 11@200:0.0 7 12@1704067200:0.0 0]"; fmt.Sprint(got) != want {
		t.Errorf("blocks %v, want %s", got, want)
	}
	if bs[0].Parent != (chain.Hash{1}) || bs[1].Parent != bs[0].Hash || bs[0].Txs[0].Hash.String() != tx || l.Zero != 1 {
		t.Errorf("parents, tx hash or zero count wrong: %+v", bs[0])
	}
	var b strings.Builder
	for i := range EdgesPerBlock + 1 {
		fmt.Fprintf(&b, "%s,%s,%d\n", a20(1), a20(2), i)
	}
	l, err = Read(strings.NewReader(b.String()), "n.csv")
	if err != nil {
		t.Fatal(err)
	}
	bs, _ = l.Blocks(chain.Ethereum, chain.NativeAsset, 1, chain.Hash{})
	if len(bs) != 2 || len(bs[0].Transfers) != EdgesPerBlock || bs[1].Transfers[0].Amount.Uint64() != EdgesPerBlock || bs[0].Txs[5].Hash == bs[0].Txs[6].Hash {
		t.Errorf("time-less: %d blocks", len(bs))
	}
}

func TestReadErrors(t *testing.T) {
	tx := "0x" + strings.Repeat("cd", 32)
	for _, tc := range []struct{ body, want string }{
		{a20(1) + "," + a20(2) + ",5,1,2,3\n", "6 columns"},
		{"source,source,amount\n", "two columns"},
		// one tx at two times
		{a20(1) + "," + a20(2) + ",5,1," + tx + "\n" + a20(1) + "," + a20(2) + ",5,2," + tx + "\n", "recurs"},
	} {
		l, err := Read(strings.NewReader(tc.body), "e.csv")
		if err == nil {
			_, err = l.Blocks(chain.Ethereum, chain.NativeAsset, 1, chain.Hash{})
		}
		var ee *Error
		if !errors.As(err, &ee) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an *Error with %q", tc.body, err, tc.want)
		}
	}
}

// FuzzRead: any input gives edges or an *Error naming the file, never a
// panic, and whatever parses turns into blocks or an *Error.
func FuzzRead(f *testing.F) {
	f.Add("source,target,weight\n" + a20(1) + "," + a20(2) + ",10000000000000000000000\n")
	f.Add(a20(1) + "," + a20(2) + ",5,100,0x" + strings.Repeat("ab", 32) + "\n")
	f.Add("a,b\n\"x")
	f.Fuzz(func(t *testing.T, body string) {
		l, err := Read(strings.NewReader(body), "f.csv")
		if err != nil {
			if !strings.Contains(err.Error(), "f.csv") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		if _, err := l.Blocks(chain.Ethereum, chain.NativeAsset, 1, chain.Hash{}); err != nil && !strings.Contains(err.Error(), "f.csv") {
			t.Fatalf("blocks error without the file name: %v", err)
		}
	})
}
