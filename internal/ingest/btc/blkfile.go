package btc

import (
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Bitcoin Core stores blocks in blocks/blk*.dat, each block framed as
// <4-byte network magic><4-byte little-endian size><block>, in the order it
// received them (not by height: headers-first download fetches in
// parallel), with stale blocks mixed in and preallocated zeros at the end
// of the file being written. Since Core 28 the files are XORed with the
// 8-byte key in blocks/xor.dat, cyclically by file offset; preallocation
// bypasses the key, so that padding is zero on disk.

// maxRecordSize bounds a record's size field. A block serialises to at
// most 4,000,000 bytes (weight 4M, witness bytes at a quarter); the slack
// is for nothing real, only for telling "absurd" from "just over".
const maxRecordSize = 4_000_000 + 64<<10

// frameSize is the magic and size that precede every block.
const frameSize = 8

// FileError locates a problem in a blk file: File is its path, Offset the
// byte offset of the record (its magic) or of the bytes that are wrong.
type FileError struct {
	File   string
	Offset int64
	Err    error
}

// Error implements error.
func (e *FileError) Error() string {
	return fmt.Sprintf("%s offset %d: %v", e.File, e.Offset, e.Err)
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// xorKey is Bitcoin Core's block file obfuscation key; all zero means none.
type xorKey [8]byte

// apply XORs b, which was read at offset off of its file, with the key.
func (k *xorKey) apply(b []byte, off int64) {
	if *k == (xorKey{}) {
		return
	}
	// Rotate the key so that rot[0] applies to b[0], then go 8 bytes at a
	// time: blocks are megabytes and a byte loop would show in profiles.
	var rot [8]byte
	for i := range rot {
		rot[i] = k[(off+int64(i))%8]
	}
	r := binary.LittleEndian.Uint64(rot[:])
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^r)
	}
	for ; i < len(b); i++ {
		b[i] ^= rot[i%8]
	}
}

// readXORKey reads blocks/xor.dat. A missing file means the blocks were
// written before Core 28 or with -blocksxor=0: no obfuscation.
func readXORKey(dir string) (xorKey, error) {
	var k xorKey
	path := filepath.Join(dir, "xor.dat")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return k, nil
	}
	if err != nil {
		return k, fmt.Errorf("read obfuscation key: %w", err)
	}
	if len(data) != len(k) {
		return k, fmt.Errorf("%s: %d bytes, want an 8-byte obfuscation key", path, len(data))
	}
	copy(k[:], data)
	return k, nil
}

// blkRecord is one block found in a blk file.
type blkRecord struct {
	Offset int64  // of the block bytes, after magic and size
	Size   uint32 // of the block bytes
	Header [headerSize]byte
}

// scanBlkFile calls fn for every block record of one blk file, in file
// order, reading only frames and headers. Zero padding is skipped; anything
// else that is not a record of net is an error naming file and offset.
func scanBlkFile(r io.ReaderAt, size int64, name string, net Network, key xorKey, fn func(blkRecord) error) error {
	var buf [frameSize + headerSize]byte
	for off := int64(0); off < size; {
		n := min(int64(len(buf)), size-off)
		if _, err := r.ReadAt(buf[:n], off); err != nil && !(errors.Is(err, io.EOF) && off+n == size) {
			return &FileError{name, off, fmt.Errorf("read: %w", err)}
		}
		if pad, decoded := isPadding(buf[:min(n, 4)], key, off); pad {
			next, err := skipZeros(r, off, size, key, decoded)
			if err != nil {
				return &FileError{name, next, err}
			}
			off = next
			continue
		}
		key.apply(buf[:n], off)
		if n < frameSize {
			return &FileError{name, off, fmt.Errorf("truncated record: the file ends %d bytes after it starts, inside the 8-byte frame", n)}
		}
		if err := checkFrame(buf[:frameSize], net, key); err != nil {
			return &FileError{name, off, err}
		}
		bsize := le32(buf[4:frameSize])
		if int64(bsize) > size-off-frameSize {
			return &FileError{name, off, fmt.Errorf("truncated block: the record announces %d bytes, the file has %d after the frame", bsize, size-off-frameSize)}
		}
		rec := blkRecord{Offset: off + frameSize, Size: bsize}
		copy(rec.Header[:], buf[frameSize:])
		if err := fn(rec); err != nil {
			return err
		}
		off += frameSize + int64(bsize)
	}
	return nil
}

// checkFrame checks a decoded frame's magic and size.
func checkFrame(frame []byte, net Network, key xorKey) error {
	if magic := le32(frame); magic != net.Magic {
		return wrongMagic(magic, net, key)
	}
	switch bsize := le32(frame[4:]); {
	case bsize < headerSize:
		return fmt.Errorf("record size %d is smaller than a block header (%d bytes)", bsize, headerSize)
	case bsize > maxRecordSize:
		return fmt.Errorf("record size %d is absurd: blocks have at most 4,000,000 bytes (limit %d)", bsize, maxRecordSize)
	}
	return nil
}

// isPadding reports whether the (at most 4) bytes b read at off are zero
// padding, raw as preallocation leaves it or, with decoded true, zero
// after the key as a tool that obfuscates whole files would leave it.
func isPadding(b []byte, key xorKey, off int64) (pad, decoded bool) {
	raw := true
	dec := true
	for i, c := range b {
		raw = raw && c == 0
		dec = dec && c == key[(off+int64(i))%8]
	}
	return raw || dec, !raw && dec
}

// skipZeros returns the offset of the first byte at or after off that is
// not padding, or size.
func skipZeros(r io.ReaderAt, off, size int64, key xorKey, decoded bool) (int64, error) {
	buf := make([]byte, 64<<10)
	for off < size {
		n := min(int64(len(buf)), size-off)
		if _, err := r.ReadAt(buf[:n], off); err != nil && !(errors.Is(err, io.EOF) && off+n == size) {
			return off, fmt.Errorf("read: %w", err)
		}
		if decoded {
			key.apply(buf[:n], off)
		}
		if i := slices.IndexFunc(buf[:n], func(c byte) bool { return c != 0 }); i >= 0 {
			return off + int64(i), nil
		}
		off += n
	}
	return size, nil
}

// wrongMagic describes a frame that does not start with net's magic,
// naming the network it belongs to if any.
func wrongMagic(magic uint32, net Network, key xorKey) error {
	show := func(m uint32) string {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], m)
		return hex.EncodeToString(b[:])
	}
	msg := fmt.Sprintf("magic %s where %s's %s was expected", show(magic), net.Name, show(net.Magic))
	if other, ok := networkByMagic(magic); ok {
		return fmt.Errorf("%s: this is a %s blocks directory, not %s", msg, other.Name, net.Name)
	}
	if key == (xorKey{}) {
		return fmt.Errorf("%s: not a block record (corrupt file, or obfuscated without its xor.dat?)", msg)
	}
	return fmt.Errorf("%s: not a block record (corrupt file, or a wrong xor.dat?)", msg)
}

// blkFiles lists dir's blk<N>.dat files in numeric order of N, the order
// Bitcoin Core wrote them in.
func blkFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list block files: %w", err)
	}
	type numbered struct {
		n    uint64
		name string
	}
	var fs []numbered
	for _, e := range ents {
		digits, ok := strings.CutPrefix(e.Name(), "blk")
		if digits, ok = strings.CutSuffix(digits, ".dat"); !ok || e.IsDir() {
			continue
		}
		n, err := strconv.ParseUint(digits, 10, 64)
		if err != nil {
			continue
		}
		fs = append(fs, numbered{n, e.Name()})
	}
	if len(fs) == 0 {
		hint := ""
		if st, err := os.Stat(filepath.Join(dir, "blocks")); err == nil && st.IsDir() {
			hint = fmt.Sprintf(" (did you mean %s?)", filepath.Join(dir, "blocks"))
		}
		return nil, fmt.Errorf("no blk*.dat files in %s%s", dir, hint)
	}
	slices.SortFunc(fs, func(a, b numbered) int { return cmp.Compare(a.n, b.n) })
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = filepath.Join(dir, f.name)
	}
	return out, nil
}

// readRecord reads the block bytes of a record into buf (grown as
// needed) and removes the obfuscation.
func readRecord(f io.ReaderAt, name string, off int64, size uint32, key xorKey, buf []byte) ([]byte, error) {
	if cap(buf) < int(size) {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	if _, err := f.ReadAt(buf, off); err != nil {
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("truncated block: %d bytes expected (file shrank since indexing?)", size)
		}
		return nil, &FileError{name, off - frameSize, err}
	}
	key.apply(buf, off)
	return buf, nil
}
