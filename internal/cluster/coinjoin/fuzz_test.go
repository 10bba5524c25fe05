package coinjoin

import (
	"encoding/binary"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// txFromBytes builds a transaction from fuzz input: a byte of input and
// output counts, then per coin a kind byte and a value.
func txFromBytes(b []byte) (*chain.Tx, uint64) {
	if len(b) < 3 {
		return &chain.Tx{}, 0
	}
	nin, nout, h := int(b[0]%40), int(b[1]%40), uint64(b[2])*4000
	b = b[3:]
	coin := func(i int) (chain.Address, int64) {
		if len(b) < 5 {
			return addr("wpkh", i), 1_000_000
		}
		k, v := b[0], int64(binary.LittleEndian.Uint32(b[1:5]))
		b = b[5:]
		switch k % 4 {
		case 0:
			return addr("wpkh", int(k)), v
		case 1:
			return addr("tr", int(k)), v
		case 2:
			return addr("pkh", int(k)), v
		}
		return chain.Address{}, v
	}
	tx := &chain.Tx{}
	for i := range nin {
		a, v := coin(i)
		tx.Inputs = append(tx.Inputs, chain.Input{Address: a, Value: v, Resolved: true})
	}
	for i := range nout {
		a, v := coin(100 + i)
		tx.Outputs = append(tx.Outputs, chain.Output{Address: a, Value: v})
	}
	return tx, h
}

// FuzzDetect checks that no transaction shape makes a detector panic and
// that every multi-owner verdict has at least two inputs and three outputs
// or a Whirlpool/Wasabi shape's minimums.
func FuzzDetect(f *testing.F) {
	f.Add([]byte{5, 5, 200})
	f.Add([]byte{2, 3, 150, 2, 1, 0, 0, 0, 2, 2, 0, 0, 0, 0, 9, 0, 0, 0, 0, 9, 0, 0, 0, 0, 5, 0, 0, 0})
	f.Add([]byte{25, 25, 220})
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, h := txFromBytes(b)
		k := Detect(tx, h, DefaultOptions)
		if k.MultiOwner() && (len(tx.Inputs) < 2 || len(tx.Outputs) < 2) {
			t.Fatalf("%s with %d inputs, %d outputs", k, len(tx.Inputs), len(tx.Outputs))
		}
		if k == WhirlpoolMix && (len(tx.Inputs) != len(tx.Outputs) || len(tx.Inputs) < 5) {
			t.Fatalf("whirlpool %d×%d", len(tx.Inputs), len(tx.Outputs))
		}
	})
}

func BenchmarkDetect(b *testing.B) {
	s := shape{ins: desc(90_000_000, 60, 1_000_000), outs: cat(repeat(33_554_432, 20), repeat(20_000_000, 30), repeat(1_594_323, 10)), inKind: "wpkh", outKind: "wpkh"}
	tx := s.tx()
	plain := shape{ins: []int64{100_000, 50_000}, outs: []int64{60_000, 89_000}, inKind: "pkh", outKind: "pkh"}.tx()
	b.Run("wabisabi-60in", func(b *testing.B) {
		for b.Loop() {
			Detect(tx, 800_000, DefaultOptions)
		}
	})
	b.Run("payment-2in", func(b *testing.B) {
		for b.Loop() {
			Detect(plain, 800_000, DefaultOptions)
		}
	})
}
