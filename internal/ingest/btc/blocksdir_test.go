package btc

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
)

// writeShuffled writes blocks to dir in a random order over nfiles files,
// the last one with preallocated zero padding, as Bitcoin Core leaves a
// directory after a parallel headers-first download.
func writeShuffled(t *testing.T, dir string, net Network, blocks [][]byte, nfiles int, seed uint64) {
	t.Helper()
	order := rand.New(rand.NewPCG(seed, 1)).Perm(len(blocks))
	per := (len(order) + nfiles - 1) / nfiles
	for f := 0; f < nfiles; f++ {
		var recs [][]byte
		for _, i := range order[min(f*per, len(order)):min((f+1)*per, len(order))] {
			recs = append(recs, blocks[i])
		}
		pad := 0
		if f == nfiles-1 {
			pad = 1 << 16
		}
		writeBlk(t, dir, f, frame(net, recs...), pad)
	}
}

func TestBlocksDirMainnetShuffled(t *testing.T) {
	net := mainnet(t)
	blocks := mainnetBlocks(t)
	dir := t.TempDir()
	writeShuffled(t, dir, net, blocks, 3, 7)
	d, err := OpenBlocksDir(dir, net)
	if err != nil {
		t.Fatal(err)
	}
	if d.Height() != int64(len(blocks)-1) {
		t.Fatalf("tip height %d, want %d", d.Height(), len(blocks)-1)
	}
	if st := d.Stats(); st.Records != len(blocks) || st.Stale != 0 || st.Orphans != 0 || st.Files != 3 {
		t.Errorf("stats %+v", st)
	}
	var prev chainhash.Hash
	h := int64(0)
	for b, err := range d.Blocks(0, d.Height()) {
		if err != nil {
			t.Fatal(err)
		}
		if b.Height != h || b.Hash != blockHash(blocks[h]) || b.Prev != prev {
			t.Fatalf("height %d: got block %s at height %d with prev %s", h, b.Hash, b.Height, b.Prev)
		}
		prev = b.Hash
		h++
	}
	if h != int64(len(blocks)) {
		t.Fatalf("iterated %d blocks, want %d", h, len(blocks))
	}
	if got := *net.Params.GenesisHash; blockHash(blocks[0]) != got {
		t.Fatalf("test data does not start at genesis")
	}
	// Random access agrees with iteration.
	b, err := d.Block(170)
	if err != nil || b.Hash != blockHash(blocks[170]) || len(b.Txs) != 2 {
		t.Fatalf("block 170 (first payment): %v, %+v", err, b)
	}
}

// btcd's blk_0_to_4 is a test chain of its own (mainnet genesis, then four
// blocks mined at difficulty 1) and blk_3A..5A a branch off its block 2.
func forkTestBlocks(t *testing.T) (main, side [][]byte) {
	main = blkBlocks(t, btcdTestdata(t, "blockchain/testdata/blk_0_to_4.dat.bz2"))
	for _, f := range []string{"blk_3A", "blk_4A", "blk_5A"} {
		side = append(side, blkBlocks(t, btcdTestdata(t, "blockchain/testdata/"+f+".dat.bz2"))...)
	}
	return main, side
}

func TestBlocksDirStaleBranchIgnored(t *testing.T) {
	net := mainnet(t)
	blocks := mainnetBlocks(t)
	fakeMain, fakeSide := forkTestBlocks(t)
	// The fake branch forks off genesis: 7 blocks, 5 high, all stale.
	all := append(append(append([][]byte{}, blocks...), fakeMain[1:]...), fakeSide...)
	dir := t.TempDir()
	writeShuffled(t, dir, net, all, 2, 3)
	d, err := OpenBlocksDir(dir, net)
	if err != nil {
		t.Fatal(err)
	}
	if st := d.Stats(); d.Height() != int64(len(blocks)-1) || st.Stale != 7 || st.Orphans != 0 {
		t.Fatalf("height %d, stats %+v", d.Height(), st)
	}
	for h := int64(0); h <= d.Height(); h++ {
		if got, _ := d.Hash(h); got != blockHash(blocks[h]) {
			t.Fatalf("height %d: %s", h, got)
		}
	}
}

func TestBlocksDirForkChoice(t *testing.T) {
	net := mainnet(t)
	main, side := forkTestBlocks(t)
	t.Run("longer branch wins", func(t *testing.T) {
		dir := t.TempDir()
		writeBlk(t, dir, 0, frame(net, append(append([][]byte{}, main...), side...)...), 0)
		d, err := OpenBlocksDir(dir, net)
		if err != nil {
			t.Fatal(err)
		}
		want := [][]byte{main[0], main[1], main[2], side[0], side[1], side[2]}
		checkChain(t, d, want)
		if st := d.Stats(); st.Stale != 2 {
			t.Errorf("stats %+v, want blocks 3 and 4 stale", st)
		}
	})
	t.Run("equal work: first in file order", func(t *testing.T) {
		for _, sideFirst := range []bool{false, true} {
			recs := [][]byte{main[0], main[1], main[2], main[3], main[4], side[0], side[1]}
			want := main
			if sideFirst {
				recs = [][]byte{side[1], side[0], main[0], main[1], main[2], main[4], main[3]}
				want = [][]byte{main[0], main[1], main[2], side[0], side[1]}
			}
			dir := t.TempDir()
			writeBlk(t, dir, 0, frame(net, recs...), 0)
			d, err := OpenBlocksDir(dir, net)
			if err != nil {
				t.Fatal(err)
			}
			checkChain(t, d, want)
		}
	})
	t.Run("more work beats more blocks", func(t *testing.T) {
		rt := regtest(t)
		g := regtestGenesis(t)
		gh := blockHash(g)
		// Three blocks at the easiest target (work 2 each) against two
		// at a 256 times harder one.
		a1 := mineBlock(t, gh, 0x207fffff, "a1")
		a2 := mineBlock(t, blockHash(a1), 0x207fffff, "a2")
		a3 := mineBlock(t, blockHash(a2), 0x207fffff, "a3")
		b1 := mineBlock(t, gh, 0x2000ffff, "b1")
		b2 := mineBlock(t, blockHash(b1), 0x2000ffff, "b2")
		dir := t.TempDir()
		writeBlk(t, dir, 0, frame(rt, g, a1, a2, a3, b1, b2), 0)
		d, err := OpenBlocksDir(dir, rt)
		if err != nil {
			t.Fatal(err)
		}
		checkChain(t, d, [][]byte{g, b1, b2})
	})
}

func checkChain(t *testing.T, d *BlocksDir, want [][]byte) {
	t.Helper()
	if d.Height() != int64(len(want)-1) {
		t.Fatalf("tip height %d, want %d", d.Height(), len(want)-1)
	}
	for h, raw := range want {
		got, err := d.RawBlock(int64(h))
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("height %d: %v, got block %s want %s", h, err, blockHash(got), blockHash(raw))
		}
	}
}

// obfuscate XORs the records of every (mainnet) blk file of dir with key
// by file offset, leaving the zero padding after them raw, as Core 28
// leaves preallocated space.
func obfuscate(t *testing.T, dir string, key [8]byte) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "blk*.dat"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		end := int64(0)
		err = scanBlkFile(bytes.NewReader(data), int64(len(data)), p, mainnet(t), xorKey{}, func(r blkRecord) error {
			end = r.Offset + int64(r.Size)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		k := xorKey(key)
		k.apply(data[:end], 0)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "xor.dat"), key[:], 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBlocksDirXORObfuscated(t *testing.T) {
	net := mainnet(t)
	blocks := mainnetBlocks(t)
	plain, mixed := t.TempDir(), t.TempDir()
	writeShuffled(t, plain, net, blocks, 2, 11)
	writeShuffled(t, mixed, net, blocks, 2, 11)
	obfuscate(t, mixed, [8]byte{0x9f, 0x01, 0x00, 0xe3, 0x5a, 0x77, 0x10, 0xc4})
	if raw, _ := os.ReadFile(filepath.Join(mixed, blkName(0))); bytes.Contains(raw, blocks[0][:headerSize]) {
		t.Fatal("obfuscation left a header readable")
	}
	a, err := OpenBlocksDir(plain, net)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenBlocksDir(mixed, net)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Stats().Obfuscated || a.Height() != b.Height() {
		t.Fatalf("obfuscated %+v height %d, plain height %d", b.Stats(), b.Height(), a.Height())
	}
	for h := int64(0); h <= a.Height(); h++ {
		x, err1 := a.RawBlock(h)
		y, err2 := b.RawBlock(h)
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Fatalf("height %d differs: %v %v", h, err1, err2)
		}
	}
	// An all-zero key is no obfuscation.
	if err := os.WriteFile(filepath.Join(plain, "xor.dat"), make([]byte, 8), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := OpenBlocksDir(plain, net); err != nil || c.Stats().Obfuscated || c.Height() != a.Height() {
		t.Fatalf("zero key: %v", err)
	}
	// Without its key the directory is garbage, and the error says why.
	os.Remove(filepath.Join(mixed, "xor.dat"))
	if _, err := OpenBlocksDir(mixed, net); err == nil || !strings.Contains(err.Error(), "xor.dat") {
		t.Fatalf("obfuscated directory without xor.dat: %v", err)
	}
}

func TestBlocksDirBadInput(t *testing.T) {
	net := mainnet(t)
	blocks := mainnetBlocks(t)[:20]
	good := frame(net, blocks...)
	off5 := int64(len(frame(net, blocks[:5]...))) // offset of record 5
	corrupt := func(mod func([]byte) []byte) []byte { return mod(bytes.Clone(good)) }
	cases := []struct {
		name string
		data []byte
		want []string // substrings of the error
	}{
		{"truncated block", good[:len(good)-100], []string{"blk00000.dat offset", "truncated block"}},
		{"truncated frame", append(bytes.Clone(good), 0xf9, 0xbe, 0xb4), []string{"truncated record"}},
		{"testnet magic", frame(testnet3(t), blocks...), []string{"offset 0", "0b110907", "this is a testnet3 blocks directory, not mainnet"}},
		{"unknown magic", corrupt(func(b []byte) []byte { b[off5] ^= 0xff; return b }), []string{"offset " + itoa(off5), "not a block record"}},
		{"absurd size", corrupt(func(b []byte) []byte { b[off5+7] = 0x7f; return b }), []string{"offset " + itoa(off5), "absurd"}},
		{"size below header", corrupt(func(b []byte) []byte { copy(b[off5+4:], []byte{10, 0, 0, 0}); return b }), []string{"smaller than a block header"}},
		{"garbage after padding", append(append(bytes.Clone(good), make([]byte, 100)...), 1, 2, 3, 4, 5, 6, 7, 8), []string{"offset " + itoa(int64(len(good)+100)), "magic"}},
		{"no proof of work", corrupt(func(b []byte) []byte { b[off5+8+76] ^= 1; return b }), []string{"offset " + itoa(off5), "no proof of work"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeBlk(t, dir, 0, c.data, 0)
			_, err := OpenBlocksDir(dir, net)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			var fe *FileError
			if !errors.As(err, &fe) || !strings.HasSuffix(fe.File, blkName(0)) {
				t.Errorf("error %v does not locate the file", err)
			}
		})
	}
	t.Run("undecodable block", func(t *testing.T) {
		dir := t.TempDir()
		// Flip a byte inside block 9's coinbase: the header (and so the
		// index) stays valid, the merkle root no longer matches.
		off9 := int64(len(frame(net, blocks[:9]...)))
		writeBlk(t, dir, 0, corrupt(func(b []byte) []byte { b[off9+8+headerSize+50] ^= 0x55; return b }), 0)
		d, err := OpenBlocksDir(dir, net)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Block(9)
		if err == nil || !strings.Contains(err.Error(), "offset "+itoa(off9)) || !strings.Contains(err.Error(), "merkle root mismatch") {
			t.Fatalf("corrupt block 9: %v", err)
		}
		var n int
		for _, err := range d.Blocks(0, 19) {
			if err != nil {
				break
			}
			n++
		}
		if n != 9 {
			t.Fatalf("iteration yielded %d good blocks before the error, want 9", n)
		}
	})
	t.Run("wrong network", func(t *testing.T) {
		dir := t.TempDir()
		writeBlk(t, dir, 0, good, 0)
		if _, err := OpenBlocksDir(dir, testnet3(t)); err == nil || !strings.Contains(err.Error(), "this is a mainnet blocks directory") {
			t.Fatalf("mainnet files opened as testnet3: %v", err)
		}
	})
	t.Run("no genesis", func(t *testing.T) {
		dir := t.TempDir()
		writeBlk(t, dir, 0, frame(net, blocks[1:]...), 0)
		if _, err := OpenBlocksDir(dir, net); err == nil || !strings.Contains(err.Error(), "genesis") {
			t.Fatalf("directory without genesis: %v", err)
		}
	})
	t.Run("datadir instead of blocks dir", func(t *testing.T) {
		dir := t.TempDir()
		os.Mkdir(filepath.Join(dir, "blocks"), 0o755)
		if _, err := OpenBlocksDir(dir, net); err == nil || !strings.Contains(err.Error(), "did you mean") {
			t.Fatalf("datadir: %v", err)
		}
	})
	t.Run("bad xor.dat", func(t *testing.T) {
		dir := t.TempDir()
		writeBlk(t, dir, 0, good, 0)
		os.WriteFile(filepath.Join(dir, "xor.dat"), []byte{1, 2, 3}, 0o644)
		if _, err := OpenBlocksDir(dir, net); err == nil || !strings.Contains(err.Error(), "8-byte") {
			t.Fatalf("3-byte xor.dat: %v", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestBlkFilesNumericOrder(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"blk00010.dat", "blk00002.dat", "blk100000.dat", "rev00000.dat", "blkindex.dat", "blk00001.dat"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	files, err := blkFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if got := strings.Join(names, " "); got != "blk00001.dat blk00002.dat blk00010.dat blk100000.dat" {
		t.Fatalf("order %s", got)
	}
}
