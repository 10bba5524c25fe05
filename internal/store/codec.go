package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// storedTransfer is a transfer as kept in a T value: addresses and asset as
// interned ids. Its block and transaction are in the key.
type storedTransfer struct {
	seq      uint32
	kind     chain.Kind
	from, to uint64 // 0: none
	asset    uint32 // 0: native
	amount   uint256.Int
	tokenID  *uint256.Int
}

// hasTokenID flags, in the kind byte, that a token id follows the amount.
const hasTokenID = 0x80

// encodeTransfer appends seq(uvarint) kind(1, high bit: token id follows)
// from(uvarint) to(uvarint) asset(uvarint) amountLen(1) amount(big-endian,
// minimal) and, for NFTs, tokenIDLen(1) tokenID.
func encodeTransfer(dst []byte, t *storedTransfer) []byte {
	dst = binary.AppendUvarint(dst, uint64(t.seq))
	k := byte(t.kind)
	if t.tokenID != nil {
		k |= hasTokenID
	}
	dst = append(dst, k)
	dst = binary.AppendUvarint(dst, t.from)
	dst = binary.AppendUvarint(dst, t.to)
	dst = binary.AppendUvarint(dst, uint64(t.asset))
	dst = appendU256(dst, &t.amount)
	if t.tokenID != nil {
		dst = appendU256(dst, t.tokenID)
	}
	return dst
}

func appendU256(dst []byte, v *uint256.Int) []byte {
	var buf [32]byte
	v.WriteToArray32(&buf)
	n := (v.BitLen() + 7) / 8
	dst = append(dst, byte(n))
	return append(dst, buf[32-n:]...)
}

var errCorrupt = errors.New("corrupt record")

// decodeTransfer reads one transfer and returns the rest of v.
func decodeTransfer(v []byte) (storedTransfer, []byte, error) {
	var t storedTransfer
	seq, n := binary.Uvarint(v)
	if n <= 0 || seq > 1<<32-1 || len(v) < n+1 {
		return t, nil, errCorrupt
	}
	t.seq = uint32(seq)
	k := v[n]
	t.kind = chain.Kind(k &^ hasTokenID)
	if t.kind < chain.KindNative || t.kind > chain.KindGenesis {
		return t, nil, errCorrupt
	}
	v = v[n+1:]
	if t.from, n = binary.Uvarint(v); n <= 0 {
		return t, nil, errCorrupt
	}
	v = v[n:]
	if t.to, n = binary.Uvarint(v); n <= 0 {
		return t, nil, errCorrupt
	}
	v = v[n:]
	a, n := binary.Uvarint(v)
	if n <= 0 || a > 1<<32-1 {
		return t, nil, errCorrupt
	}
	t.asset = uint32(a)
	v, err := readU256(v[n:], &t.amount)
	if err != nil {
		return t, nil, err
	}
	if k&hasTokenID != 0 {
		t.tokenID = new(uint256.Int)
		if v, err = readU256(v, t.tokenID); err != nil {
			return t, nil, err
		}
	}
	return t, v, nil
}

// txHeaderLen is the size of the transaction header that starts a T value.
const txHeaderLen = 33

func appendTxHeader(dst []byte, hash chain.Hash, success bool) []byte {
	dst = append(dst, hash[:]...)
	if success {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// decodeTx reads a T value: the transaction's hash and success, and its
// transfers appended to dst.
func decodeTx(v []byte, dst []storedTransfer) (chain.Hash, bool, []storedTransfer, error) {
	var h chain.Hash
	if len(v) < txHeaderLen {
		return h, false, dst, errCorrupt
	}
	copy(h[:], v)
	if v[32] > 1 {
		return h, false, dst, errCorrupt
	}
	list, err := decodeTransfers(v[txHeaderLen:], dst)
	return h, v[32] == 1, list, err
}

// decodeTransfers reads a list of encoded transfers.
func decodeTransfers(v []byte, dst []storedTransfer) ([]storedTransfer, error) {
	for len(v) > 0 {
		t, rest, err := decodeTransfer(v)
		if err != nil {
			return dst, err
		}
		dst = append(dst, t)
		v = rest
	}
	return dst, nil
}

// position is a transfer's place in its block: transaction index and seq.
type position struct{ txi, seq uint32 }

func appendPositions(dst []byte, ps []position) []byte {
	for _, p := range ps {
		dst = binary.AppendUvarint(dst, uint64(p.txi))
		dst = binary.AppendUvarint(dst, uint64(p.seq))
	}
	return dst
}

func decodePositions(v []byte, dst []position) ([]position, error) {
	for len(v) > 0 {
		txi, n := binary.Uvarint(v)
		if n <= 0 || txi > 1<<32-1 {
			return dst, errCorrupt
		}
		v = v[n:]
		seq, n := binary.Uvarint(v)
		if n <= 0 || seq > 1<<32-1 {
			return dst, errCorrupt
		}
		v = v[n:]
		dst = append(dst, position{uint32(txi), uint32(seq)})
	}
	return dst, nil
}

func readU256(v []byte, dst *uint256.Int) ([]byte, error) {
	if len(v) < 1 || int(v[0]) > 32 || len(v) < 1+int(v[0]) {
		return nil, errCorrupt
	}
	n := int(v[0])
	dst.SetBytes(v[1 : 1+n])
	return v[1+n:], nil
}

// blockRecord is the value under a B key.
type blockRecord struct {
	hash, parent chain.Hash
	time         int64
	ntx, ntr     uint32
}

func encodeBlock(r blockRecord) []byte {
	v := make([]byte, 0, 80)
	v = append(v, r.hash[:]...)
	v = append(v, r.parent[:]...)
	v = binary.BigEndian.AppendUint64(v, uint64(r.time))
	v = binary.BigEndian.AppendUint32(v, r.ntx)
	return binary.BigEndian.AppendUint32(v, r.ntr)
}

func decodeBlock(v []byte) (blockRecord, error) {
	var r blockRecord
	if len(v) != 80 {
		return r, fmt.Errorf("block record of %d bytes: %w", len(v), errCorrupt)
	}
	copy(r.hash[:], v[0:32])
	copy(r.parent[:], v[32:64])
	r.time = int64(binary.BigEndian.Uint64(v[64:72]))
	r.ntx = binary.BigEndian.Uint32(v[72:76])
	r.ntr = binary.BigEndian.Uint32(v[76:80])
	return r, nil
}

// Cursor is the last block applied to a chain.
type Cursor struct {
	Height uint64
	Hash   chain.Hash
}

func encodeCursor(c Cursor) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 40), c.Height)
	return append(v, c.Hash[:]...)
}

func decodeCursor(v []byte) (Cursor, error) {
	var c Cursor
	if len(v) != 40 {
		return c, fmt.Errorf("cursor of %d bytes: %w", len(v), errCorrupt)
	}
	c.Height = binary.BigEndian.Uint64(v)
	copy(c.Hash[:], v[8:])
	return c, nil
}

// keyValue is a key and the value it had before a block overwrote it.
type keyValue struct{ key, value []byte }

// encodeUndo stores the cursor before a block (flag 1 and the cursor, or flag
// 0 when the block was the first one applied to its chain), then the keys the
// block overwrote with their old values.
func encodeUndo(prev Cursor, had bool, overwritten []keyValue) []byte {
	v := []byte{0}
	if had {
		v = append([]byte{1}, encodeCursor(prev)...)
	}
	v = binary.AppendUvarint(v, uint64(len(overwritten)))
	for _, kv := range overwritten {
		v = binary.AppendUvarint(v, uint64(len(kv.key)))
		v = append(v, kv.key...)
		v = binary.AppendUvarint(v, uint64(len(kv.value)))
		v = append(v, kv.value...)
	}
	return v
}

func decodeUndo(v []byte) (prev Cursor, had bool, overwritten []keyValue, err error) {
	if len(v) < 1 || v[0] > 1 {
		return prev, false, nil, fmt.Errorf("undo record of %d bytes: %w", len(v), errCorrupt)
	}
	had = v[0] == 1
	v = v[1:]
	if had {
		if len(v) < 40 {
			return prev, false, nil, fmt.Errorf("undo record cursor: %w", errCorrupt)
		}
		if prev, err = decodeCursor(v[:40]); err != nil {
			return prev, false, nil, err
		}
		v = v[40:]
	}
	if len(v) == 0 {
		return prev, had, nil, nil
	}
	n, k := binary.Uvarint(v)
	if k <= 0 {
		return prev, had, nil, fmt.Errorf("undo record list: %w", errCorrupt)
	}
	v = v[k:]
	for i := uint64(0); i < n; i++ {
		var kv keyValue
		for _, dst := range []*[]byte{&kv.key, &kv.value} {
			l, k := binary.Uvarint(v)
			if k <= 0 || uint64(len(v)-k) < l {
				return prev, had, nil, fmt.Errorf("undo record entry %d: %w", i, errCorrupt)
			}
			*dst = append([]byte(nil), v[k:k+int(l)]...)
			v = v[k+int(l):]
		}
		overwritten = append(overwritten, kv)
	}
	return prev, had, overwritten, nil
}

// storedIO is a UTXO transaction's inputs and outputs as ids and values.
type storedIO struct {
	txid     chain.Hash
	coinbase bool
	// hasPrint: version and lockTime are known (flag bit 1 of the
	// coinbase byte); records written before they were kept lack it.
	hasPrint bool
	version  int32
	lockTime uint32
	inputs   []storedInput
	outputs  []storedOutput
}

// Bits of the W record's flags byte (formerly 0 or 1: coinbase).
const (
	ioCoinbase = 1 << 0
	ioPrint    = 1 << 1 // version(4) lockTime(4), big-endian, follow the flags byte
)

type storedInput struct {
	prevTx    chain.Hash
	prevIndex uint32
	addr      uint64
	value     int64
}

type storedOutput struct {
	addr  uint64
	value int64
}

// encodeIO writes txid(32) flags(1) [version(4) lockTime(4)] nIn, then
// per input prevTx(32) prevIndex addr value, then nOut and per output addr
// value (uvarints). Flags: bit 0 coinbase, bit 1 version and lockTime
// follow. A record without bit 1 (all records of stores written before
// the fields were kept) decodes with the fingerprint unknown.
func encodeIO(dst []byte, io *storedIO) []byte {
	dst = append(dst, io.txid[:]...)
	var flags byte
	if io.coinbase {
		flags |= ioCoinbase
	}
	if io.hasPrint {
		flags |= ioPrint
	}
	dst = append(dst, flags)
	if io.hasPrint {
		dst = binary.BigEndian.AppendUint32(dst, uint32(io.version))
		dst = binary.BigEndian.AppendUint32(dst, io.lockTime)
	}
	dst = binary.AppendUvarint(dst, uint64(len(io.inputs)))
	for _, in := range io.inputs {
		dst = append(dst, in.prevTx[:]...)
		dst = binary.AppendUvarint(dst, uint64(in.prevIndex))
		dst = binary.AppendUvarint(dst, in.addr)
		dst = binary.AppendUvarint(dst, uint64(in.value))
	}
	dst = binary.AppendUvarint(dst, uint64(len(io.outputs)))
	for _, o := range io.outputs {
		dst = binary.AppendUvarint(dst, o.addr)
		dst = binary.AppendUvarint(dst, uint64(o.value))
	}
	return dst
}

func decodeIO(v []byte) (storedIO, error) {
	var io storedIO
	if len(v) < 33 || v[32]&^(ioCoinbase|ioPrint) != 0 {
		return io, errCorrupt
	}
	copy(io.txid[:], v)
	io.coinbase = v[32]&ioCoinbase != 0
	rest := v[33:]
	if v[32]&ioPrint != 0 {
		if len(rest) < 8 {
			return io, errCorrupt
		}
		io.hasPrint = true
		io.version = int32(binary.BigEndian.Uint32(rest))
		io.lockTime = binary.BigEndian.Uint32(rest[4:])
		rest = rest[8:]
	}
	r := uvarintReader{v: rest}
	nIn := r.next()
	for i := uint64(0); i < nIn && r.err == nil; i++ {
		var in storedInput
		if len(r.v) < 32 {
			return io, errCorrupt
		}
		copy(in.prevTx[:], r.v)
		r.v = r.v[32:]
		in.prevIndex, in.addr, in.value = uint32(r.next()), r.next(), int64(r.next())
		io.inputs = append(io.inputs, in)
	}
	nOut := r.next()
	for i := uint64(0); i < nOut && r.err == nil; i++ {
		io.outputs = append(io.outputs, storedOutput{addr: r.next(), value: int64(r.next())})
	}
	if r.err != nil || len(r.v) != 0 {
		return io, errCorrupt
	}
	return io, nil
}

// uvarintReader reads uvarints until the first error, which it keeps.
type uvarintReader struct {
	v   []byte
	err error
}

func (r *uvarintReader) next() uint64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.v)
	if n <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.v = r.v[n:]
	return x
}
