package trace

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"maps"
	"slices"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// A snapshot can be written to a file and read back, which takes seconds
// where building it from a large store takes minutes. The file is a plain
// dump of the snapshot's arrays, little-endian, after a header naming the
// format, its version and where the snapshot came from (SnapshotInfo: the
// chain, its network and the store's head, height and block hash, when it
// was built), and before a CRC-32C of everything before it. It is not a
// store: a snapshot read back is as stale as when it was built, and the
// header says how stale.
//
// Version 2 added the header's network, head hash and build time, the
// UTXO format and the checksum; version 1 files are refused.

const (
	snapMagic     = "chainhound account snapshot\n"
	snapUTXOMagic = "chainhound utxo snapshot\n"
	snapVersion   = 2
)

// Snapshot models, as SnapshotInfo.Model names them.
const (
	ModelAccount = "account"
	ModelUTXO    = "utxo"
)

// SnapshotInfo says what a snapshot holds and where it came from; a
// snapshot file's header records it.
type SnapshotInfo struct {
	Model   string        // ModelAccount or ModelUTXO
	Chain   chain.Chain   // the chain the snapshot holds
	Network chain.Network // the store's binding of Chain (CAIP-2 id, genesis); empty when it had none
	// Head is the store's head of Chain the snapshot was built at: its
	// last block's height and hash. HasHead is false when the store held
	// no block of the chain.
	Head    store.Cursor
	HasHead bool
	Built   time.Time // when the snapshot was built, UTC, to the second
}

// Current reports whether the snapshot holds exactly the store's chain as
// it stands at head (the store's cursor; ok false when it has none):
// same head height and block hash.
func (i SnapshotInfo) Current(head store.Cursor, ok bool) bool {
	return i.HasHead == ok && (!ok || i.Head == head)
}

// snapshotSource is what a snapshot's origin is read from.
type snapshotSource interface {
	Network(c chain.Chain) (chain.Network, bool, error)
	Cursor(c chain.Chain) (store.Cursor, bool, error)
}

func newSnapshotInfo(r snapshotSource, model string, c chain.Chain) (SnapshotInfo, error) {
	info := SnapshotInfo{Model: model, Chain: c, Built: time.Now().UTC().Truncate(time.Second)}
	net, _, err := r.Network(c)
	if err != nil {
		return info, err
	}
	info.Network = net
	info.Head, info.HasHead, err = r.Cursor(c)
	return info, err
}

// Info says where the snapshot came from.
func (s *AccountSnapshot) Info() SnapshotInfo { return s.info }

// Info says where the snapshot came from.
func (s *UTXOSnapshot) Info() SnapshotInfo { return s.info }

// Cursor returns the last block the snapshot holds.
func (s *AccountSnapshot) Cursor() uint64 { return s.cursor }

func (e *snapEnc) header(info SnapshotInfo) {
	magic := snapMagic
	if info.Model == ModelUTXO {
		magic = snapUTXOMagic
	}
	e.bytes([]byte(magic))
	e.u64(snapVersion)
	e.u64(uint64(info.Chain))
	e.str(info.Network.CAIP2)
	e.str(info.Network.Genesis)
	has := uint64(0)
	if info.HasHead {
		has = 1
	}
	e.u64(has)
	e.u64(info.Head.Height)
	e.bytes(info.Head.Hash[:])
	e.u64(uint64(info.Built.Unix()))
}

// trailer writes the checksum of everything written and flushes.
func (e *snapEnc) trailer(bw *countWriter) {
	sum := e.crc
	e.u64(uint64(sum))
	if e.err == nil {
		e.err = bw.w.(*bufio.Writer).Flush()
	}
}

// ErrSnapshotVersion is the error of reading a snapshot file of another
// format version: the snapshot must be built again.
var ErrSnapshotVersion = errors.New("snapshot file of another format version")

// header reads a snapshot file's header, refusing other versions.
func (d *snapDec) header() (SnapshotInfo, error) {
	var info SnapshotInfo
	var magic []byte
	for len(magic) < len(snapMagic) {
		var b [1]byte
		if d.bytes(b[:]); d.err != nil {
			break
		}
		if magic = append(magic, b[0]); b[0] == '\n' {
			break
		}
	}
	switch string(magic) {
	case snapMagic:
		info.Model = ModelAccount
	case snapUTXOMagic:
		info.Model = ModelUTXO
	case "":
		return info, errors.New("not a snapshot file: it is empty")
	default:
		return info, errors.New("not a snapshot file")
	}
	if v := d.u64(); d.err == nil && v != snapVersion {
		return info, fmt.Errorf("%w: %s snapshot file version %d, this build reads version %d: build the snapshot again", ErrSnapshotVersion, info.Model, v, snapVersion)
	}
	info.Chain = chain.Chain(d.u8())
	info.Network.CAIP2, info.Network.Genesis = d.str(), d.str()
	has := d.u64()
	info.HasHead = has == 1
	info.Head.Height = d.u64()
	d.bytes(info.Head.Hash[:])
	info.Built = time.Unix(int64(d.u64()), 0).UTC()
	if d.err == nil && has > 1 {
		d.err = fmt.Errorf("a head flag of %d", has)
	}
	if d.err != nil {
		return info, fmt.Errorf("%s snapshot file header: %w", info.Model, d.err)
	}
	return info, nil
}

// trailer checks the checksum and that nothing follows it.
func (d *snapDec) trailer() {
	if d.err != nil {
		return
	}
	sum := d.crc
	if got := d.u64(); d.err == nil && got != uint64(sum) {
		d.err = errors.New("checksum mismatch: the file is damaged")
		return
	}
	var b [1]byte
	if n, _ := d.r.Read(b[:]); n > 0 && d.err == nil {
		d.err = errors.New("bytes after the checksum: the file is damaged")
	}
}

// ReadSnapshotInfo reads a snapshot file's header only: what the file
// holds and where it came from, without reading (or checking) the rest.
func ReadSnapshotInfo(r io.Reader) (SnapshotInfo, error) {
	return (&snapDec{r: bufio.NewReaderSize(r, 4096)}).header()
}

// VerifySnapshotFile checks a snapshot file's header (ErrSnapshotVersion
// for another version) and its checksum, reading it through once without
// building the snapshot: much cheaper than reading it, and it finds the
// same damage.
func VerifySnapshotFile(r io.Reader) (SnapshotInfo, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	d := &snapDec{r: br}
	info, err := d.header()
	if err != nil {
		return info, err
	}
	// Everything after the header but its last 8 bytes is hashed; those
	// are the checksum.
	crc, tail := d.crc, make([]byte, 0, 8)
	buf := make([]byte, 1<<20)
	for {
		n, err := br.Read(buf)
		b := append(tail, buf[:n]...)
		if k := len(b) - 8; k > 0 {
			crc = crc32.Update(crc, castagnoli, b[:k])
			b = b[k:]
		}
		tail = append(tail[:0], b...)
		if err == io.EOF {
			break
		}
		if err != nil {
			return info, err
		}
	}
	if len(tail) < 8 || binary.LittleEndian.Uint64(tail) != uint64(crc) {
		return info, fmt.Errorf("%s snapshot file: checksum mismatch: the file is damaged", info.Model)
	}
	return info, nil
}

// WriteTo writes the snapshot in the file format ReadAccountSnapshot
// reads.
func (s *AccountSnapshot) WriteTo(w io.Writer) (int64, error) {
	bw := &countWriter{w: bufio.NewWriterSize(w, 1<<20)}
	e := &snapEnc{w: bw}
	info := s.info
	info.Model, info.Chain = ModelAccount, s.c
	e.header(info)
	e.u64(uint64(len(s.addrs)))
	for _, a := range s.addrs {
		e.addr(a)
	}
	e.u64(uint64(len(s.assets)))
	for _, a := range s.assets {
		e.u64(uint64(a.Kind))
		e.addr(a.Contract)
	}
	e.u32s(s.from)
	e.u32s(s.to)
	e.u64s(s.lo)
	e.u64s(s.hi)
	e.bigs(s.big)
	e.u16s(s.asset)
	e.bytes8(s.kind)
	e.u32s(s.seq)
	e.u32s(s.tx)
	e.bigs(s.tokens)
	e.u64(uint64(len(s.txs)))
	for _, t := range s.txs {
		e.bytes(t.hash[:])
		e.u64(uint64(t.txi)<<32 | uint64(t.blk))
	}
	e.u64s(s.blocks)
	e.u64(uint64(len(s.times)))
	for _, t := range s.times {
		e.u64(uint64(t))
	}
	e.u32s(s.off)
	e.u32s(s.idx)
	e.u32s(s.cpFirst)
	e.u32s(s.cpOff)
	e.u16s(s.cpAsset)
	e.u64(uint64(len(s.cpBal)))
	for i := range s.cpBal {
		for _, l := range s.cpBal[i] {
			e.u64(l)
		}
	}
	cpErr := ""
	if s.cpErr != nil {
		cpErr = s.cpErr.Error()
	}
	e.str(cpErr)
	e.trailer(bw)
	return bw.n, e.err
}

// ReadAccountSnapshot reads a snapshot WriteTo wrote. It refuses a file of
// another format version (ErrSnapshotVersion), a UTXO snapshot, and a
// damaged file (a wrong checksum, a short file, arrays that do not fit
// together).
func ReadAccountSnapshot(r io.Reader) (*AccountSnapshot, error) {
	d := newSnapDec(r)
	info, err := d.header()
	if err != nil {
		return nil, err
	}
	if info.Model != ModelAccount {
		return nil, fmt.Errorf("a %s snapshot file, not an account snapshot", info.Model)
	}
	s := &AccountSnapshot{c: info.Chain, info: info}
	if info.HasHead {
		s.cursor = info.Head.Height
	}
	n := d.len(1 << 32)
	s.addrs = make([]chain.Address, 0, d.capacity(n, 9)) // an address takes 9 bytes and more
	s.ids = make(map[chain.Address]uint32, d.capacity(n, 9))
	for i := 0; i < n && d.err == nil; i++ {
		a := d.addr()
		s.addrs = append(s.addrs, a)
		if i > 0 {
			s.ids[a] = uint32(i)
		}
	}
	n = d.len(1 << 16)
	for i := 0; i < n && d.err == nil; i++ {
		k := chain.AssetKind(d.u8())
		s.assets = append(s.assets, chain.Asset{Kind: k, Contract: d.addr()})
	}
	s.from, s.to = d.u32s(), d.u32s()
	s.lo, s.hi = d.u64s(), d.u64s()
	s.big = d.bigs()
	s.asset, s.kind = d.u16s(), d.bytes8()
	s.seq, s.tx = d.u32s(), d.u32s()
	s.tokens = d.bigs()
	n = d.len(1 << 32)
	s.txs = make([]snapTx2, 0, d.capacity(n, 40))
	for i := 0; i < n && d.err == nil; i++ {
		var t snapTx2
		d.bytes(t.hash[:])
		v := d.u64()
		t.txi, t.blk = uint32(v>>32), uint32(v)
		s.txs = append(s.txs, t)
	}
	s.blocks = d.u64s()
	n = d.len(1 << 32)
	s.times = make([]int64, 0, d.capacity(n, 8))
	for i := 0; i < n && d.err == nil; i++ {
		s.times = append(s.times, int64(d.u64()))
	}
	s.off, s.idx = d.u32s(), d.u32s()
	s.cpFirst, s.cpOff = d.u32s(), d.u32s()
	s.cpAsset = d.u16s()
	n = d.len(1 << 32)
	s.cpBal = make([]uint256.Int, 0, d.capacity(n, 32))
	for i := 0; i < n && d.err == nil; i++ {
		var v uint256.Int
		for k := range v {
			v[k] = d.u64()
		}
		s.cpBal = append(s.cpBal, v)
	}
	if msg := d.str(); msg != "" {
		s.cpErr = errors.New(msg)
	}
	d.trailer()
	if d.err != nil {
		return nil, fmt.Errorf("account snapshot file: %w", d.err)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("account snapshot file: %w", err)
	}
	return s, nil
}

// check refuses arrays that do not fit together, so that a file that
// passed its checksum but was not written by WriteTo cannot send a read
// out of range.
func (s *AccountSnapshot) check() error {
	rows, nAddr := len(s.from), len(s.addrs)
	if len(s.to) != rows || len(s.lo) != rows || len(s.hi) != rows || len(s.asset) != rows || len(s.kind) != rows || len(s.seq) != rows || len(s.tx) != rows ||
		nAddr == 0 || len(s.off) != nAddr+1 || len(s.times) != len(s.blocks) || len(s.cpFirst) != nAddr+1 || len(s.cpAsset) != len(s.cpBal) || len(s.cpOff) == 0 {
		return errors.New("arrays of mismatched lengths")
	}
	bigs, tokens := 0, 0
	for i := range rows {
		if int(s.from[i]) >= nAddr || int(s.to[i]) >= nAddr || int(s.asset[i]) >= len(s.assets) || int(s.tx[i]) >= len(s.txs) {
			return fmt.Errorf("row %d out of range", i)
		}
		if s.kind[i]&rowBig != 0 {
			bigs++
		}
		if s.kind[i]&rowToken != 0 {
			tokens++
		}
	}
	// Every row flagged as holding a large amount or a token id has one.
	for i := range s.big {
		if int(i) >= rows || s.kind[i]&rowBig == 0 {
			return fmt.Errorf("row %d: an amount in the side table of a row that has none", i)
		}
	}
	for i := range s.tokens {
		if int(i) >= rows || s.kind[i]&rowToken == 0 {
			return fmt.Errorf("row %d: a token id of a row that has none", i)
		}
	}
	if bigs != len(s.big) || tokens != len(s.tokens) {
		return errors.New("rows flagged with side table entries they lack")
	}
	for _, t := range s.txs {
		if int(t.blk) >= len(s.blocks) {
			return errors.New("a transaction in no block")
		}
	}
	if s.off[0] != 0 || int(s.off[nAddr]) != len(s.idx) || s.cpFirst[0] != 0 || int(s.cpFirst[nAddr]) != len(s.cpOff)-1 ||
		s.cpOff[0] != 0 || int(s.cpOff[len(s.cpOff)-1]) != len(s.cpAsset) {
		return errors.New("index bounds out of range")
	}
	for _, v := range [][]uint32{s.off, s.cpFirst, s.cpOff} {
		for i := 1; i < len(v); i++ {
			if v[i] < v[i-1] {
				return errors.New("index bounds out of order")
			}
		}
	}
	for _, i := range s.idx {
		if int(i) >= rows {
			return errors.New("an address lists a row out of range")
		}
	}
	for id := range nAddr {
		if s.cpFirst[id+1]-s.cpFirst[id] != (s.off[id+1]-s.off[id])/checkEvery {
			return fmt.Errorf("address %d: balance checkpoints missing", id)
		}
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type snapEnc struct {
	w   io.Writer
	buf [8]byte
	crc uint32 // CRC-32C of what was written
	err error
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (e *snapEnc) bytes(b []byte) {
	if e.err == nil {
		e.crc = crc32.Update(e.crc, castagnoli, b)
		_, e.err = e.w.Write(b)
	}
}

func (e *snapEnc) str(s string) {
	e.u64(uint64(len(s)))
	e.bytes([]byte(s))
}

func (e *snapEnc) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.buf[:], v)
	e.bytes(e.buf[:8])
}

func (e *snapEnc) addr(a chain.Address) {
	e.u64(uint64(a.Chain))
	e.u64(uint64(len(a.Raw)))
	e.bytes([]byte(a.Raw))
}

// u32s, u16s and u64s write a length, then the values little-endian.
func (e *snapEnc) u32s(v []uint32) {
	e.records(len(v), 4, func(i int, b []byte) { binary.LittleEndian.PutUint32(b, v[i]) })
}

func (e *snapEnc) u16s(v []uint16) {
	e.records(len(v), 2, func(i int, b []byte) { binary.LittleEndian.PutUint16(b, v[i]) })
}

func (e *snapEnc) u64s(v []uint64) {
	e.records(len(v), 8, func(i int, b []byte) { binary.LittleEndian.PutUint64(b, v[i]) })
}

func (e *snapEnc) bytes8(v []uint8) {
	e.u64(uint64(len(v)))
	e.bytes(v)
}

// bigs writes m in key order, so that a snapshot's file is the same
// bytes every time it is written.
func (e *snapEnc) bigs(m map[uint32]*uint256.Int) {
	e.u64(uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.u64(uint64(k))
		for _, l := range m[k] {
			e.u64(l)
		}
	}
}

type snapDec struct {
	r    io.Reader
	buf  [8]byte
	crc  uint32 // CRC-32C of what was read
	err  error
	left int64 // the bytes left in the file, when known (else -1)
}

// newSnapDec reads a snapshot from r through a buffer. When r is a
// regular file, what is left of it bounds the lengths the file gives, so
// that an array is allocated at its length at once: grown by appending
// instead, the arrays of a 50-million-transfer snapshot were copied over
// and over, and reading the file took 124 s instead of a tenth of that.
func newSnapDec(r io.Reader) *snapDec {
	d := &snapDec{r: bufio.NewReaderSize(r, 1<<20), left: -1}
	if f, ok := r.(interface {
		Stat() (fs.FileInfo, error)
		io.Seeker
	}); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			if pos, err := f.Seek(0, io.SeekCurrent); err == nil && pos <= st.Size() {
				d.left = st.Size() - pos
			}
		}
	}
	return d
}

// capacity is what to allocate for an array of n values of size bytes the
// file says follow: n where the file holds that many bytes still, else no
// more than 2^20 (a damaged length must not allocate gigabytes).
func (d *snapDec) capacity(n, size int) int {
	if d.left >= 0 && int64(n)*int64(size) <= d.left {
		return n
	}
	return min(n, 1<<20)
}

func (d *snapDec) bytes(b []byte) {
	if d.err == nil {
		if _, d.err = io.ReadFull(d.r, b); d.err == io.EOF {
			d.err = io.ErrUnexpectedEOF // the file ends early
		}
		if d.left >= 0 {
			d.left -= int64(len(b))
		}
		d.crc = crc32.Update(d.crc, castagnoli, b)
	}
}

// str reads a string of at most 1 MiB.
func (d *snapDec) str() string {
	b := make([]byte, d.len(1<<20))
	d.bytes(b)
	return string(b)
}

func (d *snapDec) u64() uint64 {
	d.bytes(d.buf[:8])
	if d.err != nil {
		return 0
	}
	return binary.LittleEndian.Uint64(d.buf[:8])
}

// len reads a length, refusing one above limit (a corrupt file).
func (d *snapDec) len(limit uint64) int {
	n := d.u64()
	if n > limit {
		if d.err == nil {
			d.err = fmt.Errorf("a length of %d", n)
		}
		return 0
	}
	return int(n)
}

// u8 reads a u64 holding a byte (a chain, an asset kind).
func (d *snapDec) u8() uint8 {
	v := d.u64()
	if v > 0xff && d.err == nil {
		d.err = fmt.Errorf("a byte value of %d", v)
	}
	return uint8(v)
}

func (d *snapDec) addr() chain.Address {
	c := chain.Chain(d.u8())
	raw := make([]byte, d.len(1<<10))
	d.bytes(raw)
	return chain.Address{Chain: c, Raw: string(raw)}
}

// chunks reads n values of size bytes in chunks, calling fn per chunk, so
// that a corrupt length fails at the end of the file rather than by
// allocating it up front.
func (d *snapDec) chunks(n, size int, fn func(b []byte)) {
	buf := make([]byte, min(n, 1<<16)*size)
	for n > 0 && d.err == nil {
		k := min(n, 1<<16)
		d.bytes(buf[:k*size])
		if d.err == nil {
			fn(buf[:k*size])
		}
		n -= k
	}
}

// ints reads what u32s, u16s or u64s wrote: a length, then values of
// size bytes that get decodes.
func ints[T uint16 | uint32 | uint64](d *snapDec, size int, get func([]byte) T) []T {
	n := d.len(1 << 32)
	v := make([]T, 0, d.capacity(n, size))
	d.chunks(n, size, func(b []byte) {
		for i := 0; i < len(b); i += size {
			v = append(v, get(b[i:]))
		}
	})
	return v
}

func (d *snapDec) u32s() []uint32 { return ints(d, 4, binary.LittleEndian.Uint32) }
func (d *snapDec) u16s() []uint16 { return ints(d, 2, binary.LittleEndian.Uint16) }
func (d *snapDec) u64s() []uint64 { return ints(d, 8, binary.LittleEndian.Uint64) }

func (d *snapDec) bytes8() []uint8 {
	n := d.len(1 << 32)
	v := make([]uint8, 0, d.capacity(n, 1))
	d.chunks(n, 1, func(b []byte) { v = append(v, b...) })
	return v
}

func (d *snapDec) bigs() map[uint32]*uint256.Int {
	n := d.len(1 << 32)
	m := make(map[uint32]*uint256.Int, min(n, 1<<10))
	for i, last := 0, -1; i < n && d.err == nil; i++ {
		k := d.u64()
		if int64(k) <= int64(last) || k >= 1<<32 {
			d.err = errors.New("side table rows out of order")
			break
		}
		last = int(k)
		v := new(uint256.Int)
		for i := range v {
			v[i] = d.u64()
		}
		m[uint32(k)] = v
	}
	return m
}
