package calldata

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/internal/guard/safe"
)

// Packed is one transaction of a MultiSend batch, for building batches.
type Packed struct {
	Op    safe.Operation
	To    common.Address
	Value *big.Int
	Data  []byte
}

// MultiSend returns multiSend(bytes) calldata carrying txs in MultiSend's
// packed encoding.
func MultiSend(txs ...Packed) []byte {
	var b []byte
	for _, t := range txs {
		b = append(b, byte(t.Op))
		b = append(b, t.To[:]...)
		b = append(b, uintWord(t.Value)...)
		b = append(b, uintWord(big.NewInt(int64(len(t.Data))))...)
		b = append(b, t.Data...)
	}
	return mustPack("multiSend(bytes)", b)
}

// Transfer returns ERC-20 transfer(to, amount) calldata.
func Transfer(to common.Address, amount *big.Int) []byte {
	return mustPack("transfer(address,uint256)", word(to[:]), uintWord(amount))
}

// Pack ABI-encodes a call of a function in the built-in table: each static
// argument is given as its 32-byte word, each bytes argument as its raw
// content (nil for empty).
func Pack(sig string, args ...[]byte) ([]byte, error) {
	open := strings.IndexByte(sig, '(')
	if open < 0 || !strings.HasSuffix(sig, ")") {
		return nil, fmt.Errorf("signature %q: want name(types)", sig)
	}
	var types []string
	if inner := sig[open+1 : len(sig)-1]; inner != "" {
		types = strings.Split(inner, ",")
	}
	if len(types) != len(args) {
		return nil, fmt.Errorf("%s: %d arguments given", sig, len(args))
	}
	head := keccak([]byte(sig))[:4]
	var tail []byte
	for i, t := range types {
		if t == "bytes" {
			head = append(head, uintWord(big.NewInt(int64(32*len(types)+len(tail))))...)
			tail = append(tail, uintWord(big.NewInt(int64(len(args[i]))))...)
			tail = append(tail, args[i]...)
			if r := len(args[i]) % 32; r != 0 {
				tail = append(tail, make([]byte, 32-r)...)
			}
			continue
		}
		if len(args[i]) != 32 {
			return nil, fmt.Errorf("%s: argument %d (%s) is %d bytes, want a 32-byte word", sig, i, t, len(args[i]))
		}
		head = append(head, args[i]...)
	}
	return append(head, tail...), nil
}

func mustPack(sig string, args ...[]byte) []byte {
	b, err := Pack(sig, args...)
	if err != nil {
		panic(err)
	}
	return b
}

func word(b []byte) []byte { return common.LeftPadBytes(b, 32) }

func uintWord(x *big.Int) []byte {
	var w [32]byte
	if x != nil {
		x.FillBytes(w[:])
	}
	return w[:]
}
