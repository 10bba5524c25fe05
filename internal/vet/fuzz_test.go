package vet

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// checkDecoded holds for whatever a decoder accepts: every record valid
// (Validate again changes nothing and passes), ids unique, and the
// stored form keeps no e-mail, phone or device in clear.
func checkDecoded(t *testing.T, cs []Candidate, err error) {
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) && (fe.Row < 1 || fe.Field == "") {
			t.Fatalf("field error without row or field: %+v", fe)
		}
		return
	}
	k := testKeyer(t)
	seen := map[string]bool{}
	for i := range cs {
		c := cs[i]
		if seen[c.ID] {
			t.Fatalf("id %q twice", c.ID)
		}
		seen[c.ID] = true
		if err := c.Validate(i + 1); err != nil {
			t.Fatalf("accepted record fails validation again: %v", err)
		}
		r := NewRecord(&c, k, DefaultConfig(), "fuzz", testNow)
		for _, a := range r.Attrs {
			for _, secret := range append(append([]string{}, c.Emails...), c.Devices...) {
				if len(secret) > 8 && strings.Contains(a.Hint, secret) {
					t.Fatalf("hint %q holds %q", a.Hint, secret)
				}
			}
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`[{"id":"c1","names":["Kim Jong Un"],"emails":["a@b.co"],"phones":["+1 555 010 0199"],"payout_wallets":["0x098b716b8aaf21512996dc57eb0615e2383e2f96",{"number":"0x098b716b8aaf21512996dc57eb0615e2383e2f96","provider":"Binance","holder":"X"}]}]`))
	f.Add([]byte(`{"candidates":[{"id":"c2","kind":"staff","names":["A"],"birthdate":"1990","nationality":["kr"],"login_ips":["::ffff:1.2.3.4"],"activity":["2025-01-01T00:00:00Z"]}]}`))
	f.Add([]byte(`[{"id":"c1","names":"x"}]`))
	f.Add([]byte(`[{"id":"","names":[]}]`))
	f.Add([]byte(`{"candidates":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := DecodeJSON(bytes.NewReader(b))
		checkDecoded(t, cs, err)
	})
}

func FuzzDecodeCSV(f *testing.F) {
	f.Add([]byte("id,names,emails,phones,payout_wallets,bank_accounts\nc1,Kim Jong Un;Jong-un Kim,a@b.co,+44 (0)56 1234 5678,0x098b716b8aaf21512996dc57eb0615e2383e2f96|Binance|Li Wei,GB29 NWBK 6016 1331 9268 19\n"))
	f.Add([]byte("id,names,activity,login_ips,timezone\nc1,A,2025-01-01T00:00:00Z;2025-01-01T01:00:00+09:00,10.0.0.1,Asia/Seoul\n"))
	f.Add([]byte("id,names\nc1,\"unterminated\n"))
	f.Add([]byte("names\nA\n"))
	f.Add([]byte("\ufeffid,names,kind\nc1,A,staff\nc1,B,candidate\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := DecodeCSV(bytes.NewReader(b))
		checkDecoded(t, cs, err)
	})
}
