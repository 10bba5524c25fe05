package trace

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
)

// The UTXO snapshot file: the same header, version and checksum as the
// account one (snapshot_file.go), then the addresses, the transactions
// (hash, height, index, first input and output, coinbase), the first
// transaction of every height, the inputs, the outputs (with their
// spenders) and the inputs spending outputs the snapshot lacks. The index
// by hash is rebuilt on reading, the newer of two transactions with one
// hash winning, as when the snapshot was built.

const (
	utxoTxBytes   = 32 + 8 + 4 + 4 + 4 + 1 // hash, height, txi, in0, out0, coinbase
	utxoInBytes   = 4 + 4 + 4 + 8          // prev, vout, addr, value
	utxoOutBytes  = 4 + 8 + 4 + 4          // addr, value, spender, input
	utxoPrevBytes = 8 + 32 + 4             // input, tx, vout
)

// WriteTo writes the snapshot in the file format ReadUTXOSnapshot reads.
func (s *UTXOSnapshot) WriteTo(w io.Writer) (int64, error) {
	bw := &countWriter{w: bufio.NewWriterSize(w, 1<<20)}
	e := &snapEnc{w: bw}
	info := s.info
	info.Model, info.Chain = ModelUTXO, s.c
	e.header(info)
	e.u64(uint64(len(s.addrs)))
	for _, a := range s.addrs {
		e.addr(a)
	}
	le := binary.LittleEndian
	e.records(len(s.txs), utxoTxBytes, func(i int, b []byte) {
		t := &s.txs[i]
		copy(b, t.hash[:])
		le.PutUint64(b[32:], t.height)
		le.PutUint32(b[40:], t.txi)
		le.PutUint32(b[44:], t.in0)
		le.PutUint32(b[48:], t.out0)
		b[52] = 0
		if t.coinbase {
			b[52] = 1
		}
	})
	e.u32s(s.first)
	e.records(len(s.ins), utxoInBytes, func(i int, b []byte) {
		x := &s.ins[i]
		le.PutUint32(b, x.prev)
		le.PutUint32(b[4:], x.vout)
		le.PutUint32(b[8:], x.addr)
		le.PutUint64(b[12:], uint64(x.value))
	})
	e.records(len(s.outs), utxoOutBytes, func(i int, b []byte) {
		o := &s.outs[i]
		le.PutUint32(b, o.addr)
		le.PutUint64(b[4:], uint64(o.value))
		le.PutUint32(b[12:], o.spender)
		le.PutUint32(b[16:], o.input)
	})
	keys := slices.Sorted(maps.Keys(s.prevs))
	e.records(len(keys), utxoPrevBytes, func(i int, b []byte) {
		p := s.prevs[keys[i]]
		le.PutUint64(b, uint64(keys[i]))
		copy(b[8:], p.tx[:])
		le.PutUint32(b[40:], p.vout)
	})
	e.trailer(bw)
	return bw.n, e.err
}

// ReadUTXOSnapshot reads a snapshot WriteTo wrote. It refuses a file of
// another format version (ErrSnapshotVersion), an account snapshot, and a
// damaged file (a wrong checksum, a short file, indexes out of range).
func ReadUTXOSnapshot(r io.Reader) (*UTXOSnapshot, error) {
	d := newSnapDec(r)
	info, err := d.header()
	if err != nil {
		return nil, err
	}
	if info.Model != ModelUTXO {
		return nil, fmt.Errorf("an %s snapshot file, not a UTXO snapshot", info.Model)
	}
	s := &UTXOSnapshot{c: info.Chain, info: info, prevs: map[int]snapPrev{}}
	n := d.len(1 << 32)
	s.addrs = make([]chain.Address, 0, d.capacity(n, 9))
	for i := 0; i < n && d.err == nil; i++ {
		s.addrs = append(s.addrs, d.addr())
	}
	le := binary.LittleEndian
	n = d.len(1 << 32)
	s.txs = make([]snapTx, 0, d.capacity(n, utxoTxBytes))
	d.chunks(n, utxoTxBytes, func(b []byte) {
		for ; len(b) > 0; b = b[utxoTxBytes:] {
			var t snapTx
			copy(t.hash[:], b)
			t.height, t.txi, t.in0, t.out0, t.coinbase = le.Uint64(b[32:]), le.Uint32(b[40:]), le.Uint32(b[44:]), le.Uint32(b[48:]), b[52] == 1
			if b[52] > 1 {
				d.err = fmt.Errorf("a coinbase flag of %d", b[52])
				return
			}
			s.txs = append(s.txs, t)
		}
	})
	s.first = d.u32s()
	n = d.len(1 << 32)
	s.ins = make([]snapIn, 0, d.capacity(n, utxoInBytes))
	d.chunks(n, utxoInBytes, func(b []byte) {
		for ; len(b) > 0; b = b[utxoInBytes:] {
			s.ins = append(s.ins, snapIn{prev: le.Uint32(b), vout: le.Uint32(b[4:]), addr: le.Uint32(b[8:]), value: int64(le.Uint64(b[12:]))})
		}
	})
	n = d.len(1 << 32)
	s.outs = make([]snapOut, 0, d.capacity(n, utxoOutBytes))
	d.chunks(n, utxoOutBytes, func(b []byte) {
		for ; len(b) > 0; b = b[utxoOutBytes:] {
			s.outs = append(s.outs, snapOut{addr: le.Uint32(b), value: int64(le.Uint64(b[4:])), spender: le.Uint32(b[12:]), input: le.Uint32(b[16:])})
		}
	})
	n = d.len(1 << 32)
	last := -1
	d.chunks(n, utxoPrevBytes, func(b []byte) {
		for ; len(b) > 0; b = b[utxoPrevBytes:] {
			var p snapPrev
			copy(p.tx[:], b[8:])
			p.vout = le.Uint32(b[40:])
			k := le.Uint64(b)
			if k >= 1<<32 || int(k) <= last {
				d.err = errors.New("inputs of missing outputs out of order")
				return
			}
			last = int(k)
			s.prevs[int(k)] = p
		}
	})
	d.trailer()
	if d.err != nil {
		return nil, fmt.Errorf("UTXO snapshot file: %w", d.err)
	}
	if err := s.check(n); err != nil {
		return nil, fmt.Errorf("UTXO snapshot file: %w", err)
	}
	s.byHash = make(map[chain.Hash]uint32, len(s.txs))
	for i := range s.txs {
		s.byHash[s.txs[i].hash] = uint32(i) // a repeated txid names the newer transaction
	}
	return s, nil
}

// check refuses indexes out of range, so that a file that passed its
// checksum but was not written by WriteTo cannot send a read out of
// range. prevs is the number of missing-output entries the file listed.
func (s *UTXOSnapshot) check(prevs int) error {
	nTx, nAddr := uint32(len(s.txs)), uint32(len(s.addrs))
	if nAddr == 0 || len(s.prevs) != prevs {
		return errors.New("arrays of mismatched lengths")
	}
	var in0, out0 uint32
	for i, t := range s.txs {
		if t.in0 < in0 || t.out0 < out0 || int(t.in0) > len(s.ins) || int(t.out0) > len(s.outs) || t.height >= uint64(len(s.first)) {
			return fmt.Errorf("transaction %d out of range", i)
		}
		in0, out0 = t.in0, t.out0
	}
	for h, f := range s.first {
		if f > nTx || (h > 0 && f < s.first[h-1]) {
			return fmt.Errorf("height %d out of range", h)
		}
	}
	missing := 0
	for i, x := range s.ins {
		if (x.prev != unspent && x.prev >= nTx) || x.addr >= nAddr {
			return fmt.Errorf("input %d out of range", i)
		}
		if _, ok := s.prevs[i]; ok == (x.prev != unspent) {
			return fmt.Errorf("input %d: its spent output both known and missing, or neither", i)
		}
		if x.prev == unspent {
			missing++
		}
	}
	if missing != len(s.prevs) {
		return errors.New("missing outputs listed for inputs that do not exist")
	}
	for i, o := range s.outs {
		if o.addr >= nAddr || (o.spender != unspent && o.spender >= nTx) {
			return fmt.Errorf("output %d out of range", i)
		}
	}
	return nil
}

// records writes n fixed-size records, fill encoding record i into b, in
// chunks.
func (e *snapEnc) records(n, size int, fill func(i int, b []byte)) {
	e.u64(uint64(n))
	buf := make([]byte, 0, 1<<12*size)
	for i := range n {
		buf = buf[:len(buf)+size]
		fill(i, buf[len(buf)-size:])
		if len(buf) == cap(buf) {
			e.bytes(buf)
			buf = buf[:0]
		}
	}
	e.bytes(buf)
}
