package btc

import (
	"errors"
	"fmt"
	"iter"
	"math/big"
	"math/bits"
	"os"

	"github.com/btcsuite/btcd/chainhash/v2"
)

// BlocksDir is an index of a Bitcoin Core blocks/ directory: the best
// chain from genesis, each block located by file and offset so that blocks
// are read one at a time. It is a snapshot taken by OpenBlocksDir; blocks
// a running node writes later are not seen. It is safe for concurrent use.
type BlocksDir struct {
	dir   string
	net   Network
	key   xorKey
	files []string
	chain []chainEntry // by height
	stats IndexStats
}

// chainEntry locates the block at one height: 48 bytes, so that the
// ~900,000 blocks of mainnet take about 45 MB.
type chainEntry struct {
	hash chainhash.Hash
	file int32 // index into BlocksDir.files
	size uint32
	off  int64 // of the block bytes
}

// IndexStats counts what OpenBlocksDir found.
type IndexStats struct {
	Files      int // blk*.dat files read
	Records    int // block records in them
	Duplicates int // records of a block already seen (kept: the first)
	Stale      int // blocks connected to genesis but not on the best chain
	Orphans    int // blocks whose ancestry does not reach genesis
	Obfuscated bool
}

// OpenBlocksDir indexes the blk*.dat files of dir, a Bitcoin Core blocks/
// directory of network net, and resolves the best chain: starting from
// net's genesis block, following previous-block links, the tip with the
// most cumulative proof of work (from each header's bits; on a tie the
// block found first in file order, as Core keeps the first it received).
// Every header's proof of work is checked, so that a damaged or foreign
// header cannot win. Blocks off that chain are counted in Stats and
// otherwise ignored. Only frames and headers are read here.
func OpenBlocksDir(dir string, net Network) (*BlocksDir, error) {
	key, err := readXORKey(dir)
	if err != nil {
		return nil, err
	}
	files, err := blkFiles(dir)
	if err != nil {
		return nil, err
	}
	d := &BlocksDir{dir: dir, net: net, key: key, files: files}
	d.stats.Files, d.stats.Obfuscated = len(files), key != xorKey{}
	ix := newHeaderIndex()
	for i, path := range files {
		if err := d.indexFile(i, path, ix); err != nil {
			return nil, err
		}
	}
	d.stats.Records, d.stats.Duplicates = ix.records, ix.duplicates
	if err := d.resolveChain(ix); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return d, nil
}

// indexFile adds the headers of one blk file to ix.
func (d *BlocksDir) indexFile(i int, path string, ix *headerIndex) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open block file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open block file: %w", err)
	}
	return scanBlkFile(f, st.Size(), path, d.net, d.key, func(r blkRecord) error {
		if err := ix.add(r, int32(i), d.net); err != nil {
			return &FileError{path, r.Offset - frameSize, err}
		}
		return nil
	})
}

// Height returns the height of the best chain's tip.
func (d *BlocksDir) Height() int64 { return int64(len(d.chain)) - 1 }

// Stats returns what the index found.
func (d *BlocksDir) Stats() IndexStats { return d.stats }

// Network returns the network the directory was opened for.
func (d *BlocksDir) Network() Network { return d.net }

// Hash returns the hash of the best chain's block at height.
func (d *BlocksDir) Hash(height int64) (chainhash.Hash, error) {
	if err := d.checkHeight(height); err != nil {
		return chainhash.Hash{}, err
	}
	return d.chain[height].hash, nil
}

func (d *BlocksDir) checkHeight(height int64) error {
	if height < 0 || height > d.Height() {
		return fmt.Errorf("height %d outside the blocks directory's chain 0..%d", height, d.Height())
	}
	return nil
}

// RawBlock returns the bytes of the block at height, deobfuscated.
func (d *BlocksDir) RawBlock(height int64) ([]byte, error) {
	if err := d.checkHeight(height); err != nil {
		return nil, err
	}
	e := d.chain[height]
	f, err := os.Open(d.files[e.file])
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", height, err)
	}
	defer f.Close()
	return readRecord(f, d.files[e.file], e.off, e.size, d.key, nil)
}

// Block reads and decodes the block at height.
func (d *BlocksDir) Block(height int64) (*Block, error) {
	raw, err := d.RawBlock(height)
	if err != nil {
		return nil, err
	}
	return d.decode(height, raw)
}

func (d *BlocksDir) decode(height int64, raw []byte) (*Block, error) {
	e := d.chain[height]
	b, err := DecodeBlock(raw, d.net)
	if err != nil {
		return nil, &FileError{d.files[e.file], e.off - frameSize, fmt.Errorf("height %d: %w", height, err)}
	}
	if b.Hash != e.hash {
		return nil, &FileError{d.files[e.file], e.off - frameSize, fmt.Errorf("height %d: block %s where the index has %s (file changed since indexing?)", height, b.Hash, e.hash)}
	}
	b.Height = height
	return b, nil
}

// Blocks returns the blocks from height from to height to (both included,
// clamped to the tip) in height order, decoding one at a time and keeping
// the current file open between blocks. Iteration stops after the first
// error, which is yielded with a nil block.
func (d *BlocksDir) Blocks(from, to int64) iter.Seq2[*Block, error] {
	return func(yield func(*Block, error) bool) {
		to = min(to, d.Height())
		if from < 0 {
			yield(nil, fmt.Errorf("height %d outside the blocks directory's chain 0..%d", from, d.Height()))
			return
		}
		var (
			f    *os.File
			open = int32(-1)
			buf  []byte
		)
		defer func() {
			if f != nil {
				f.Close()
			}
		}()
		for h := from; h <= to; h++ {
			e := d.chain[h]
			if e.file != open {
				if f != nil {
					f.Close()
				}
				var err error
				if f, err = os.Open(d.files[e.file]); err != nil {
					yield(nil, fmt.Errorf("block %d: %w", h, err))
					return
				}
				open = e.file
			}
			raw, err := readRecord(f, d.files[e.file], e.off, e.size, d.key, buf)
			if err != nil {
				yield(nil, err)
				return
			}
			buf = raw // decoded blocks do not alias the raw bytes: reuse them
			b, err := d.decode(h, raw)
			if !yield(b, err) || err != nil {
				return
			}
		}
	}
}

// headerIndex collects the headers of all records while files are scanned.
// Mainnet's ~900,000 headers take about 80 MB in entries and 60 MB in the
// map while the chain is resolved; only the chain is kept afterwards.
type headerIndex struct {
	entries    []headerEntry
	byHash     map[chainhash.Hash]int32
	targets    map[uint32]target // bits change every 2016 blocks: cache
	records    int
	duplicates int
}

type headerEntry struct {
	chainEntry
	prev chainhash.Hash
	bits uint32
}

// target is a vetted compact target with the work it stands for.
type target struct {
	value *big.Int
	work  uint128
}

func newHeaderIndex() *headerIndex {
	return &headerIndex{byHash: map[chainhash.Hash]int32{}, targets: map[uint32]target{}}
}

// add indexes one record after checking its header's proof of work.
func (ix *headerIndex) add(r blkRecord, file int32, net Network) error {
	ix.records++
	hash := chainhash.DoubleHashH(r.Header[:])
	if _, dup := ix.byHash[hash]; dup {
		ix.duplicates++
		return nil
	}
	bits := le32(r.Header[72:76])
	t, ok := ix.targets[bits]
	if !ok {
		v, err := headerTarget(bits, net)
		if err != nil {
			return fmt.Errorf("block %s: %w", hash, err)
		}
		t = target{v, blockWork(v)}
		ix.targets[bits] = t
	}
	if hashValue(hash).Cmp(t.value) > 0 {
		return fmt.Errorf("block %s: hash above the target of its bits %08x: no proof of work (corrupt header?)", hash, bits)
	}
	if len(ix.entries) >= 1<<31-1 {
		return errors.New("more than 2^31 blocks")
	}
	e := headerEntry{chainEntry: chainEntry{hash: hash, file: file, size: r.Size, off: r.Offset}, bits: bits}
	copy(e.prev[:], r.Header[4:36])
	ix.byHash[hash] = int32(len(ix.entries))
	ix.entries = append(ix.entries, e)
	return nil
}

// resolveChain computes every block's height and cumulative work from
// genesis and keeps the best chain.
func (d *BlocksDir) resolveChain(ix *headerIndex) error {
	genesis, ok := ix.byHash[*d.net.Params.GenesisHash]
	if !ok {
		return fmt.Errorf("the %s genesis block %s is not in the %d blocks of %d files: wrong network, or a pruned node's directory (unsupported)",
			d.net.Name, d.net.Params.GenesisHash, ix.records, len(d.files))
	}
	n := len(ix.entries)
	height := make([]int32, n) // 0 unknown, -1 not connected, else height+1
	total := make([]uint128, n)
	height[genesis], total[genesis] = 1, ix.targets[ix.entries[genesis].bits].work
	var stack []int32
	for i := range ix.entries {
		// Walk up to a block whose height is known, then assign heights
		// on the way back down: every block is visited once.
		stack = stack[:0]
		j := int32(i)
		for height[j] == 0 {
			stack = append(stack, j)
			p, ok := ix.byHash[ix.entries[j].prev]
			if !ok {
				height[j] = -1
				stack = stack[:len(stack)-1]
				break
			}
			j = p
		}
		for k := len(stack) - 1; k >= 0; k-- {
			c := stack[k]
			if height[j] < 0 {
				height[c] = -1
			} else {
				height[c] = height[j] + 1
				total[c] = total[j].add(ix.targets[ix.entries[c].bits].work)
			}
			j = c
		}
	}
	best := genesis
	for i := range ix.entries {
		// Strictly greater: on equal work the first in file order stays.
		if height[i] > 0 && total[best].less(total[i]) {
			best = int32(i)
		}
	}
	d.chain = make([]chainEntry, height[best])
	for j := best; ; {
		e := &ix.entries[j]
		d.chain[height[j]-1] = e.chainEntry
		if j == genesis {
			break
		}
		j = ix.byHash[e.prev]
	}
	for i := range ix.entries {
		if height[i] < 0 {
			d.stats.Orphans++
		}
	}
	d.stats.Stale = n - d.stats.Orphans - len(d.chain)
	return nil
}

// headerTarget decodes the compact target bits as Bitcoin Core's
// arith_uint256::SetCompact and rejects what Core's CheckProofOfWork
// rejects: negative, zero, overflowing, or easier than the network allows.
func headerTarget(compact uint32, net Network) (*big.Int, error) {
	size := compact >> 24
	word := compact & 0x007fffff
	t := new(big.Int)
	if size <= 3 {
		t.SetUint64(uint64(word >> (8 * (3 - size))))
	} else {
		t.Lsh(t.SetUint64(uint64(word)), uint(8*(size-3)))
	}
	negative := word != 0 && compact&0x00800000 != 0
	overflow := word != 0 && (size > 34 || word > 0xff && size > 33 || word > 0xffff && size > 32)
	if negative || overflow || t.Sign() == 0 || t.Cmp(net.Params.PowLimit) > 0 {
		return nil, fmt.Errorf("bits %08x is not a valid %s target", compact, net.Name)
	}
	return t, nil
}

// hashValue reads a block hash as the little-endian number that proof of
// work compares with the target.
func hashValue(hash chainhash.Hash) *big.Int {
	var be [32]byte
	for i := range be {
		be[i] = hash[31-i]
	}
	return new(big.Int).SetBytes(be[:])
}

// uint128 holds cumulative chain work: mainnet's is about 2^95.
type uint128 struct{ hi, lo uint64 }

func (a uint128) add(b uint128) uint128 {
	lo, carry := bits.Add64(a.lo, b.lo, 0)
	hi, over := bits.Add64(a.hi, b.hi, carry)
	if over != 0 {
		return uint128{^uint64(0), ^uint64(0)}
	}
	return uint128{hi, lo}
}

func (a uint128) less(b uint128) bool {
	return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo
}

// blockWork is Bitcoin Core's GetBlockProof: 2^256 / (target+1), the
// expected number of hashes to find the block, saturated at 2^128-1.
func blockWork(target *big.Int) uint128 {
	num := new(big.Int).Lsh(big.NewInt(1), 256)
	w := num.Div(num, new(big.Int).Add(target, big.NewInt(1)))
	if w.BitLen() > 128 {
		return uint128{^uint64(0), ^uint64(0)}
	}
	lo := new(big.Int).And(w, new(big.Int).SetUint64(^uint64(0))).Uint64()
	return uint128{hi: new(big.Int).Rsh(w, 64).Uint64(), lo: lo}
}
