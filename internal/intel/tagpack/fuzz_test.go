package tagpack

import (
	"bytes"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the pack parser, validator and
// converter: none may panic, and whatever converts must survive an export
// -> parse round trip. Seeds are in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(goodHeader + "tags:\n- address: '0x098B716B8Aaf21512996dC57EB0615e2383E2f96'\n  label: a\n  context: '{\"x\": 1}'\n"))
	c := NewChecker()
	f.Fuzz(func(t *testing.T, data []byte) {
		tp, err := Decode(data, "fuzz.yaml", nil)
		if err != nil || c.Validate(tp) != nil {
			return
		}
		tags, _, err := c.Convert(tp)
		if err != nil || len(tags) == 0 {
			return
		}
		var buf bytes.Buffer
		if err := c.Encode(&buf, Meta{Title: "t", Creator: "c"}, tags); err != nil {
			return // a tag without a source cannot be written: refused, not lost
		}
		tp2, err := Decode(buf.Bytes(), "exported", nil)
		if err != nil {
			t.Fatalf("exported pack does not parse: %v\n%s", err, buf.Bytes())
		}
		if err := c.Validate(tp2); err != nil {
			t.Fatalf("exported pack invalid: %v\n%s", err, buf.Bytes())
		}
		back, _, err := c.Convert(tp2)
		if err != nil || len(back) != len(tags) {
			t.Fatalf("exported pack: %d tags back of %d: %v", len(back), len(tags), err)
		}
	})
}
