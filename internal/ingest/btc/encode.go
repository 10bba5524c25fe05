package btc

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // HASH160 is RIPEMD-160 by definition
)

// The address encoders here append into caller buffers instead of going
// through btcd's address types: those allocate several times per address
// (hash copies, big-integer base58, string building), and classifying every
// output of every block is the hot path of ingest. The tests check them
// against btcd's encoders on random input.

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58Pow5 is 58^5, the largest power of 58 that fits in 32 bits: the
// encoder divides by it so that one pass over the number yields 5 digits.
const base58Pow5 = 58 * 58 * 58 * 58 * 58

// appendBase58Check appends the Base58Check encoding of version||payload
// (payload at most 64 bytes) to dst.
func appendBase58Check(dst []byte, version byte, payload []byte) []byte {
	var buf [1 + 64 + 4]byte
	n := copy(buf[1:], payload) + 1
	buf[0] = version
	first := sha256.Sum256(buf[:n])
	second := sha256.Sum256(first[:])
	n += copy(buf[n:], second[:4])
	return appendBase58(dst, buf[:n])
}

// appendBase58 appends the base58 encoding of in (at most 72 bytes): one
// '1' per leading zero byte, then the number in base 58.
func appendBase58(dst []byte, in []byte) []byte {
	zeros := 0
	for zeros < len(in) && in[zeros] == 0 {
		zeros++
	}
	// The number as big-endian 32-bit limbs, most significant first.
	var padded [72]byte
	nl := (len(in) + 3) / 4
	copy(padded[nl*4-len(in):], in)
	var limbs [18]uint32
	for i := range nl {
		limbs[i] = binary.BigEndian.Uint32(padded[4*i:])
	}
	start := 0
	for start < nl && limbs[start] == 0 {
		start++
	}
	var digits [100]byte // filled from the end, most significant first
	nd := len(digits)
	for start < nl {
		var rem uint64
		for i := start; i < nl; i++ {
			cur := rem<<32 | uint64(limbs[i])
			q := cur / base58Pow5
			limbs[i] = uint32(q)
			rem = cur - q*base58Pow5
		}
		r := uint32(rem) // < 58^5: 32-bit divisions are cheaper
		for range 5 {
			q := r / 58
			nd--
			digits[nd] = base58Alphabet[r-q*58]
			r = q
		}
		for start < nl && limbs[start] == 0 {
			start++
		}
	}
	for nd < len(digits) && digits[nd] == base58Alphabet[0] {
		nd++ // zero digits above the number's top
	}
	for range zeros {
		dst = append(dst, base58Alphabet[0])
	}
	return append(dst, digits[nd:]...)
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// Checksum constants of BIP 173 (bech32, witness version 0) and BIP 350
// (bech32m, versions 1 to 16).
const (
	bech32Const  = 1
	bech32mConst = 0x2bc830a3
)

// bech32Gen holds, for each value of the top 5 bits of the checksum, the
// XOR of the BCH generator terms those bits select (BIP 173's polymod),
// so that a step costs a shift and a lookup instead of five branches.
var bech32Gen = func() (t [32]uint32) {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	for b := range t {
		for i, g := range gen {
			if b>>i&1 != 0 {
				t[b] ^= g
			}
		}
	}
	return t
}()

func bech32Step(chk uint32) uint32 {
	return (chk&0x1ffffff)<<5 ^ bech32Gen[chk>>25]
}

// appendSegwit appends the segwit address of a witness program (BIP 173
// for version 0, BIP 350 for later versions). hrp must be lower case and
// program at most 40 bytes.
func appendSegwit(dst []byte, hrp string, version byte, program []byte) []byte {
	var data [1 + 64]byte // version + program in 5-bit groups
	data[0] = version
	nd := 1
	var acc uint32
	bits := 0
	for _, b := range program {
		acc = acc<<8 | uint32(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			data[nd] = byte(acc>>bits) & 31
			nd++
		}
	}
	if bits > 0 {
		data[nd] = byte(acc<<(5-bits)) & 31
		nd++
	}
	chk := uint32(1)
	for i := 0; i < len(hrp); i++ {
		chk = bech32Step(chk) ^ uint32(hrp[i]>>5)
	}
	chk = bech32Step(chk)
	for i := 0; i < len(hrp); i++ {
		chk = bech32Step(chk) ^ uint32(hrp[i]&31)
	}
	for _, v := range data[:nd] {
		chk = bech32Step(chk) ^ uint32(v)
	}
	for range 6 {
		chk = bech32Step(chk)
	}
	if version == 0 {
		chk ^= bech32Const
	} else {
		chk ^= bech32mConst
	}
	dst = append(dst, hrp...)
	dst = append(dst, '1')
	for _, v := range data[:nd] {
		dst = append(dst, bech32Charset[v])
	}
	for i := range 6 {
		dst = append(dst, bech32Charset[(chk>>(5*(5-i)))&31])
	}
	return dst
}

// hash160 is RIPEMD-160 of SHA-256, the hash behind P2PKH and P2SH.
func hash160(b []byte) [20]byte {
	s := sha256.Sum256(b)
	h := ripemd160.New()
	h.Write(s[:])
	var out [20]byte
	h.Sum(out[:0])
	return out
}

// nonStandardPrefix starts the identifier of outputs without an address.
// It is bitcoin-etl's: with it, exports of the same outputs agree.
const nonStandardPrefix = "nonstandard"

// appendScriptID appends "nonstandard" and the first 40 hex digits of
// SHA-256(script). No real address can take this form: base58 addresses of
// 25-byte payloads have at most 35 characters (this has 51), and bech32
// addresses start with the network's HRP and "1".
func appendScriptID(dst []byte, script []byte) []byte {
	sum := sha256.Sum256(script)
	dst = append(dst, nonStandardPrefix...)
	return hex.AppendEncode(dst, sum[:20])
}

// le32 reads a little-endian uint32 from the first 4 bytes of b.
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
