package chain

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Address is a chain-scoped address in its raw form: 20 bytes on EVM chains,
// the address text itself on Bitcoin. The zero Address (Raw == "") means
// "no address": the source of minted value or the sink of burned value. It is
// distinct from the EVM zero address 0x000…0, which is a real account.
type Address struct {
	Chain Chain
	Raw   string
}

// None reports whether a is the absent address (mint source / burn sink).
func (a Address) None() bool { return a.Raw == "" }

// EVMAddress builds an Ethereum address from 20 raw bytes.
func EVMAddress(b [20]byte) Address { return Address{Chain: Ethereum, Raw: string(b[:])} }

// ParseEVMAddress reads a 0x-prefixed 40-digit hex address, any case.
func ParseEVMAddress(s string) (Address, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(t) != 40 {
		return Address{}, fmt.Errorf("address %q: want 0x and 40 hex digits", s)
	}
	var b [20]byte
	if _, err := hex.Decode(b[:], []byte(t)); err != nil {
		return Address{}, fmt.Errorf("address %q: %v", s, err)
	}
	return EVMAddress(b), nil
}

// String returns the canonical text: lower-case 0x hex on EVM chains, the
// address text on Bitcoin, and "" for the absent address.
func (a Address) String() string {
	if a.Raw == "" {
		return ""
	}
	if a.Chain == Ethereum {
		return "0x" + hex.EncodeToString([]byte(a.Raw))
	}
	return a.Raw
}

// CAIP10 returns the CAIP-10 account id on the given CAIP-2 network.
func (a Address) CAIP10(caip2 string) string { return caip2 + ":" + a.String() }

// ParseAddress reads an address of chain c in its canonical text (what
// String gives): 0x hex on EVM chains, the address text on Bitcoin.
func ParseAddress(c Chain, s string) (Address, error) {
	if c == Ethereum {
		return ParseEVMAddress(s)
	}
	return Address{Chain: c, Raw: s}, nil
}
