package heist

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzTruthJSON: truth.json is read back by other tools (a watcher's
// checks); whatever decodes must encode and decode to the same value,
// and amounts must be decimal integers.
func FuzzTruthJSON(f *testing.F) {
	f.Add([]byte(`{"scenario":"bybit","seed":1,"stolen":[{"asset":"ETH","amount":"4000000000000000000000"}],"exits":[{"block":3,"amount":"1"}]}`))
	f.Add([]byte(`{"illicit_value_wei":"-5","benign_value_wei":"0x10"}`))
	f.Add([]byte(`{"locations":[{"kind":"exit","amount":1}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var tr Truth
		if err := json.Unmarshal(b, &tr); err != nil {
			return
		}
		var out bytes.Buffer
		if err := tr.WriteJSON(&out); err != nil {
			t.Fatal(err)
		}
		var again Truth
		if err := json.Unmarshal(out.Bytes(), &again); err != nil {
			t.Fatalf("re-decode: %v\n%s", err, out.Bytes())
		}
		var out2 bytes.Buffer
		if err := again.WriteJSON(&out2); err != nil {
			t.Fatal(err)
		}
		if out.String() != out2.String() {
			t.Fatalf("not stable:\n%s\n%s", out.String(), out2.String())
		}
	})
}
