package trace

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// An account snapshot can be written to a file and read back, which takes
// seconds where building it from a large store takes minutes. The file
// is a plain dump of the snapshot's arrays, little-endian, after a header
// naming the format and its version; it is not a store, and a snapshot
// read back is as stale as when it was written (Cursor tells its last
// block).

const (
	snapMagic   = "chainhound account snapshot\n"
	snapVersion = 1
)

// Cursor returns the last block the snapshot holds.
func (s *AccountSnapshot) Cursor() uint64 { return s.cursor }

// WriteTo writes the snapshot in the file format ReadAccountSnapshot
// reads.
func (s *AccountSnapshot) WriteTo(w io.Writer) (int64, error) {
	bw := &countWriter{w: bufio.NewWriterSize(w, 1<<20)}
	e := &snapEnc{w: bw}
	e.bytes([]byte(snapMagic))
	e.u64(snapVersion)
	e.u64(uint64(s.c))
	e.u64(s.cursor)
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
	e.u64(uint64(len(cpErr)))
	e.bytes([]byte(cpErr))
	if e.err == nil {
		e.err = bw.w.(*bufio.Writer).Flush()
	}
	return bw.n, e.err
}

// ReadAccountSnapshot reads a snapshot WriteTo wrote.
func ReadAccountSnapshot(r io.Reader) (*AccountSnapshot, error) {
	d := &snapDec{r: bufio.NewReaderSize(r, 1<<20)}
	magic := make([]byte, len(snapMagic))
	d.bytes(magic)
	if d.err != nil || string(magic) != snapMagic {
		return nil, errors.New("not an account snapshot file")
	}
	if v := d.u64(); v != snapVersion {
		return nil, fmt.Errorf("account snapshot file version %d, this build reads version %d: build the snapshot again", v, snapVersion)
	}
	s := &AccountSnapshot{c: chain.Chain(d.u64()), cursor: d.u64()}
	n := d.len(1 << 32)
	s.addrs = make([]chain.Address, 0, min(n, 1<<20))
	s.ids = make(map[chain.Address]uint32, min(n, 1<<20))
	for i := 0; i < n && d.err == nil; i++ {
		a := d.addr()
		s.addrs = append(s.addrs, a)
		if i > 0 {
			s.ids[a] = uint32(i)
		}
	}
	n = d.len(1 << 16)
	for i := 0; i < n && d.err == nil; i++ {
		k := chain.AssetKind(d.u64())
		s.assets = append(s.assets, chain.Asset{Kind: k, Contract: d.addr()})
	}
	s.from, s.to = d.u32s(), d.u32s()
	s.lo, s.hi = d.u64s(), d.u64s()
	s.big = d.bigs()
	s.asset, s.kind = d.u16s(), d.bytes8()
	s.seq, s.tx = d.u32s(), d.u32s()
	s.tokens = d.bigs()
	n = d.len(1 << 32)
	s.txs = make([]snapTx2, 0, min(n, 1<<20))
	for i := 0; i < n && d.err == nil; i++ {
		var t snapTx2
		d.bytes(t.hash[:])
		v := d.u64()
		t.txi, t.blk = uint32(v>>32), uint32(v)
		s.txs = append(s.txs, t)
	}
	s.blocks = d.u64s()
	n = d.len(1 << 32)
	s.times = make([]int64, 0, min(n, 1<<20))
	for i := 0; i < n && d.err == nil; i++ {
		s.times = append(s.times, int64(d.u64()))
	}
	s.off, s.idx = d.u32s(), d.u32s()
	s.cpFirst, s.cpOff = d.u32s(), d.u32s()
	s.cpAsset = d.u16s()
	n = d.len(1 << 32)
	s.cpBal = make([]uint256.Int, 0, min(n, 1<<20))
	for i := 0; i < n && d.err == nil; i++ {
		var v uint256.Int
		for k := range v {
			v[k] = d.u64()
		}
		s.cpBal = append(s.cpBal, v)
	}
	if msg := make([]byte, d.len(1<<20)); len(msg) > 0 {
		d.bytes(msg)
		s.cpErr = errors.New(string(msg))
	}
	if d.err != nil {
		return nil, fmt.Errorf("account snapshot file: %w", d.err)
	}
	rows := len(s.from)
	if len(s.to) != rows || len(s.lo) != rows || len(s.hi) != rows || len(s.asset) != rows || len(s.kind) != rows || len(s.seq) != rows || len(s.tx) != rows ||
		len(s.off) != len(s.addrs)+1 || len(s.times) != len(s.blocks) || len(s.cpFirst) != len(s.addrs)+1 || len(s.cpAsset) != len(s.cpBal) {
		return nil, errors.New("account snapshot file: arrays of mismatched lengths")
	}
	return s, nil
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
	err error
}

func (e *snapEnc) bytes(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
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

func (e *snapEnc) u32s(v []uint32) {
	e.u64(uint64(len(v)))
	b := make([]byte, 0, 1<<16)
	for _, x := range v {
		if b = binary.LittleEndian.AppendUint32(b, x); len(b) == cap(b) {
			e.bytes(b)
			b = b[:0]
		}
	}
	e.bytes(b)
}

func (e *snapEnc) u16s(v []uint16) {
	e.u64(uint64(len(v)))
	b := make([]byte, 0, 1<<16)
	for _, x := range v {
		if b = binary.LittleEndian.AppendUint16(b, x); len(b) == cap(b) {
			e.bytes(b)
			b = b[:0]
		}
	}
	e.bytes(b)
}

func (e *snapEnc) u64s(v []uint64) {
	e.u64(uint64(len(v)))
	b := make([]byte, 0, 1<<16)
	for _, x := range v {
		if b = binary.LittleEndian.AppendUint64(b, x); len(b) == cap(b) {
			e.bytes(b)
			b = b[:0]
		}
	}
	e.bytes(b)
}

func (e *snapEnc) bytes8(v []uint8) {
	e.u64(uint64(len(v)))
	e.bytes(v)
}

func (e *snapEnc) bigs(m map[uint32]*uint256.Int) {
	e.u64(uint64(len(m)))
	for k, v := range m {
		e.u64(uint64(k))
		for _, l := range v {
			e.u64(l)
		}
	}
}

type snapDec struct {
	r   io.Reader
	buf [8]byte
	err error
}

func (d *snapDec) bytes(b []byte) {
	if d.err == nil {
		_, d.err = io.ReadFull(d.r, b)
	}
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

func (d *snapDec) addr() chain.Address {
	c := chain.Chain(d.u64())
	raw := make([]byte, d.len(1<<10))
	d.bytes(raw)
	return chain.Address{Chain: c, Raw: string(raw)}
}

// chunks reads n values of size bytes in chunks, calling fn per chunk, so
// that a corrupt length fails at the end of the file rather than by
// allocating it up front.
func (d *snapDec) chunks(n, size int, fn func(b []byte)) {
	buf := make([]byte, 1<<16*size)
	for n > 0 && d.err == nil {
		k := min(n, 1<<16)
		d.bytes(buf[:k*size])
		if d.err == nil {
			fn(buf[:k*size])
		}
		n -= k
	}
}

func (d *snapDec) u32s() []uint32 {
	n := d.len(1 << 32)
	v := make([]uint32, 0, min(n, 1<<20))
	d.chunks(n, 4, func(b []byte) {
		for i := 0; i < len(b); i += 4 {
			v = append(v, binary.LittleEndian.Uint32(b[i:]))
		}
	})
	return v
}

func (d *snapDec) u16s() []uint16 {
	n := d.len(1 << 32)
	v := make([]uint16, 0, min(n, 1<<20))
	d.chunks(n, 2, func(b []byte) {
		for i := 0; i < len(b); i += 2 {
			v = append(v, binary.LittleEndian.Uint16(b[i:]))
		}
	})
	return v
}

func (d *snapDec) u64s() []uint64 {
	n := d.len(1 << 32)
	v := make([]uint64, 0, min(n, 1<<20))
	d.chunks(n, 8, func(b []byte) {
		for i := 0; i < len(b); i += 8 {
			v = append(v, binary.LittleEndian.Uint64(b[i:]))
		}
	})
	return v
}

func (d *snapDec) bytes8() []uint8 {
	n := d.len(1 << 32)
	v := make([]uint8, 0, min(n, 1<<20))
	d.chunks(n, 1, func(b []byte) { v = append(v, b...) })
	return v
}

func (d *snapDec) bigs() map[uint32]*uint256.Int {
	n := d.len(1 << 32)
	m := make(map[uint32]*uint256.Int, min(n, 1<<10))
	for i := 0; i < n && d.err == nil; i++ {
		k := uint32(d.u64())
		v := new(uint256.Int)
		for i := range v {
			v[i] = d.u64()
		}
		m[k] = v
	}
	return m
}
