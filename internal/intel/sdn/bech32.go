package sdn

import (
	"errors"
	"fmt"
	"strings"
)

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// Checksum constants of BIP-173 (bech32) and BIP-350 (bech32m).
const (
	bech32Const  = 1
	bech32mConst = 0x2bc830a3
)

// segwitForm is a segwit address (BIP-173/350) with a human-readable part.
type segwitForm struct{ hrp string }

// bech32Form is any bech32 string with a human-readable part (BNB Beacon
// Chain bnb1…, Zcash Sapling zs1…).
type bech32Form struct{ hrp string }

func segwit(hrp string) segwitForm    { return segwitForm{hrp} }
func bech32Any(hrp string) bech32Form { return bech32Form{hrp} }

func (f segwitForm) String() string          { return "segwit " + f.hrp + "1…" }
func (segwitForm) canonical(a string) string { return strings.ToLower(a) }
func (f segwitForm) check(a string) error {
	data, variant, err := bech32Decode(a, f.hrp)
	if err != nil {
		return err
	}
	if len(data) < 1 {
		return errors.New("no witness version")
	}
	ver := data[0]
	if ver > 16 || (ver == 0) != (variant == bech32Const) {
		return fmt.Errorf("witness version %d with the wrong checksum variant", ver)
	}
	prog, err := convertBits(data[1:], 5, 8, false)
	if err != nil {
		return err
	}
	if len(prog) < 2 || len(prog) > 40 || (ver == 0 && len(prog) != 20 && len(prog) != 32) {
		return fmt.Errorf("witness program of %d bytes", len(prog))
	}
	return nil
}

func (f bech32Form) String() string          { return "bech32 " + f.hrp + "1…" }
func (bech32Form) canonical(a string) string { return strings.ToLower(a) }
func (f bech32Form) check(a string) error {
	_, variant, err := bech32Decode(a, f.hrp)
	if err == nil && variant != bech32Const {
		err = errors.New("bech32m checksum where bech32 is expected")
	}
	return err
}

// bech32Decode checks a bech32 or bech32m string with the given
// human-readable part and returns its 5-bit data without the checksum and
// which checksum constant matched.
func bech32Decode(a, hrp string) ([]byte, int, error) {
	if a != strings.ToLower(a) && a != strings.ToUpper(a) {
		return nil, 0, errors.New("mixed case")
	}
	a = strings.ToLower(a)
	sep := strings.LastIndexByte(a, '1')
	if sep < 1 || a[:sep] != hrp || len(a)-sep-1 < 6 {
		return nil, 0, fmt.Errorf("not %s1 followed by data and checksum", hrp)
	}
	data := make([]byte, 0, len(a)-sep-1)
	for i := sep + 1; i < len(a); i++ {
		d := strings.IndexByte(bech32Charset, a[i])
		if d < 0 {
			return nil, 0, fmt.Errorf("character %q not in the bech32 alphabet", a[i])
		}
		data = append(data, byte(d))
	}
	values := make([]byte, 0, 2*len(hrp)+1+len(data))
	for i := 0; i < len(hrp); i++ {
		values = append(values, hrp[i]>>5)
	}
	values = append(values, 0)
	for i := 0; i < len(hrp); i++ {
		values = append(values, hrp[i]&31)
	}
	switch c := bech32Polymod(append(values, data...)); c {
	case bech32Const, bech32mConst:
		return data[:len(data)-6], int(c), nil
	}
	return nil, 0, errChecksum
}

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// convertBits regroups a bit stream from groups of from bits to groups of
// to bits (BIP-173's convertbits).
func convertBits(data []byte, from, to uint, pad bool) ([]byte, error) {
	acc, bits := uint32(0), uint(0)
	maxv := uint32(1)<<to - 1
	var out []byte
	for _, v := range data {
		acc = acc<<from | uint32(v)
		bits += from
		for bits >= to {
			bits -= to
			out = append(out, byte(acc>>bits&maxv))
		}
	}
	if pad && bits > 0 {
		out = append(out, byte(acc<<(to-bits)&maxv))
	} else if !pad && (bits >= from || acc<<(to-bits)&maxv != 0) {
		return nil, errors.New("invalid padding")
	}
	return out, nil
}

// cashAddrForm is a Bitcoin Cash cashaddr address, written with or without
// its network prefix.
type cashAddrForm struct{ prefix string }

func cashAddr(prefix string) cashAddrForm { return cashAddrForm{prefix} }

func (f cashAddrForm) String() string { return "cashaddr " + f.prefix + ":q…/p…" }

// canonical drops the network prefix and lower-cases, the form OFAC uses.
func (f cashAddrForm) canonical(a string) string {
	return strings.TrimPrefix(strings.ToLower(a), f.prefix+":")
}

func (f cashAddrForm) check(a string) error {
	if a != strings.ToLower(a) && a != strings.ToUpper(a) {
		return errors.New("mixed case")
	}
	body := f.canonical(a)
	if len(body) != 42 || (body[0] != 'q' && body[0] != 'p') {
		return errors.New("not 42 characters starting with q or p")
	}
	values := make([]byte, 0, len(f.prefix)+1+len(body))
	for i := 0; i < len(f.prefix); i++ {
		values = append(values, f.prefix[i]&31)
	}
	values = append(values, 0)
	for i := 0; i < len(body); i++ {
		d := strings.IndexByte(bech32Charset, body[i])
		if d < 0 {
			return fmt.Errorf("character %q not in the cashaddr alphabet", body[i])
		}
		values = append(values, byte(d))
	}
	if cashAddrPolymod(values) != 0 {
		return errChecksum
	}
	return nil
}

func cashAddrPolymod(values []byte) uint64 {
	gen := [5]uint64{0x98f2bc8e61, 0x79b76d99e2, 0xf33e5fb3c4, 0xae2eabe2a8, 0x1e4f43e470}
	c := uint64(1)
	for _, d := range values {
		c0 := c >> 35
		c = (c&0x07ffffffff)<<5 ^ uint64(d)
		for i := 0; i < 5; i++ {
			if (c0>>i)&1 == 1 {
				c ^= gen[i]
			}
		}
	}
	return c ^ 1
}
