package btc

import (
	"bytes"
	"compress/bzip2"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// sharedData returns the absolute path of ../shared/data/<rel> seen from
// the repository root, skipping the test when it is absent (a fresh clone
// without the shared peer data).
func sharedData(t testing.TB, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "shared", "data", rel))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s absent (../shared/data is not checked out here): test skipped", p)
	}
	return p
}

// btcdTestdata returns a file of btcd's test data, bzip2-decompressed in
// memory when its name ends in .bz2. Decompressed files are cached for the
// test binary's lifetime: several tests read the same blocks.
func btcdTestdata(t testing.TB, rel string) []byte {
	t.Helper()
	path := sharedData(t, filepath.Join("btcd-testdata", rel))
	v, _ := bz2Cache.LoadOrStore(path, &bz2Entry{})
	e := v.(*bz2Entry)
	e.once.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			e.err = err
			return
		}
		defer f.Close()
		var r io.Reader = f
		if strings.HasSuffix(path, ".bz2") {
			r = bzip2.NewReader(f)
		}
		e.data, e.err = io.ReadAll(r)
	})
	if e.err != nil {
		t.Fatalf("%s: %v", path, e.err)
	}
	return e.data
}

var bz2Cache sync.Map // path -> *bz2Entry

type bz2Entry struct {
	once sync.Once
	data []byte
	err  error
}

// blkBlocks splits blk-framed data into its blocks (mainnet framing).
func blkBlocks(t testing.TB, data []byte) [][]byte {
	t.Helper()
	var out [][]byte
	err := scanBlkFile(bytes.NewReader(data), int64(len(data)), "testdata", mainnet(t), xorKey{}, func(r blkRecord) error {
		out = append(out, data[r.Offset:r.Offset+int64(r.Size)])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mainnetBlocks returns mainnet blocks 0..256 from btcd's test data.
func mainnetBlocks(t testing.TB) [][]byte {
	t.Helper()
	first := blkBlocks(t, btcdTestdata(t, "blockchain/testdata/blk_0_to_4.dat.bz2"))
	rest := blkBlocks(t, btcdTestdata(t, "database/testdata/blocks1-256.bz2"))
	return append(first[:1:1], rest...)
}

func mainnet(t testing.TB) Network  { return mustNetwork(t, "mainnet") }
func regtest(t testing.TB) Network  { return mustNetwork(t, "regtest") }
func testnet3(t testing.TB) Network { return mustNetwork(t, "testnet3") }

func mustNetwork(t testing.TB, name string) Network {
	t.Helper()
	n, err := ParseNetwork(name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
