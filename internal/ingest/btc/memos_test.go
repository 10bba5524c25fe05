package btc

import (
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

func nullData(pushes ...[]byte) []byte {
	s := []byte{opReturn}
	for _, p := range pushes {
		switch {
		case len(p) < opPushData1:
			s = append(s, byte(len(p)))
		case len(p) < 256:
			s = append(s, opPushData1, byte(len(p)))
		default:
			s = append(s, opPushData2, byte(len(p)), byte(len(p)>>8))
		}
		s = append(s, p...)
	}
	return s
}

func TestOpReturnText(t *testing.T) {
	out := "OUT:9D2F3C5F0D2C4B7A1E6F8A9B0C1D2E3F4A5B6C7D8E9F0A1B2C3D4E5F6A7B8C9D"
	for _, c := range []struct {
		name   string
		script []byte
		want   string
		ok     bool
	}{
		{"thorchain outbound", nullData([]byte(out)), out, true},
		{"two pushes", nullData([]byte("=:e:0x"), []byte("3021c479f7f8c9f1d5c7d8523ba5e22c0bcb5430")), "=:e:0x3021c479f7f8c9f1d5c7d8523ba5e22c0bcb5430", true},
		{"binary payload", nullData([]byte{0x6f, 0x6d, 0x6e, 0x69, 0, 0, 0, 0}), "", false},
		{"newline", nullData([]byte("a\nb")), "", false},
		{"empty push", nullData([]byte{}), "", false},
		{"bare OP_RETURN", []byte{opReturn}, "", false},
		{"not OP_RETURN", append([]byte{0x51}, nullData([]byte("x"))[1:]...), "", false},
		{"truncated push", []byte{opReturn, 10, 'a'}, "", false},
		{"too long", nullData([]byte(strings.Repeat("a", 600)), []byte(strings.Repeat("b", 600))), "", false},
	} {
		got, ok := OpReturnText(c.script)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: got %q %v, want %q %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// TestToChainBlockMemos: OP_RETURN text becomes a memo of its transaction
// with its output index; the other outputs do not.
func TestToChainBlockMemos(t *testing.T) {
	b := &Block{Txs: []Tx{
		{Coinbase: true, Outputs: []Output{{Type: NullData, Script: nullData([]byte{0xaa, 0x21, 0xa9, 0xed})}}},
		{Outputs: []Output{{Value: 5, Type: WitnessV0KeyHash, Address: "bc1q"}, {Type: NullData, Script: nullData([]byte("OUT:AB"))}}},
	}}
	cb := ToChainBlock(b)
	want := []chain.Memo{{TxIndex: 1, Kind: chain.MemoOpReturn, Index: 1, Text: "OUT:AB"}}
	if len(cb.Memos) != 1 || cb.Memos[0] != want[0] {
		t.Fatalf("memos %+v, want %+v", cb.Memos, want)
	}
}

func FuzzOpReturnText(f *testing.F) {
	f.Add(nullData([]byte("OUT:AB")))
	f.Add([]byte{opReturn, opPushData4, 1, 0, 0})
	f.Add([]byte{opReturn, opPushData2, 0xff, 0xff, 'a'})
	f.Fuzz(func(t *testing.T, script []byte) {
		text, ok := OpReturnText(script)
		if !ok {
			return
		}
		if text == "" || len(text) > chain.MaxMemoLen || len(text) >= len(script) {
			t.Fatalf("text %q from %d-byte script", text, len(script))
		}
		for _, c := range []byte(text) {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("non-printable byte %#x in %q", c, text)
			}
		}
	})
}
