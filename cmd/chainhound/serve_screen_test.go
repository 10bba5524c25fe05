package main

import (
	"strings"
	"testing"
)

// FuzzDecodeScreenRequest: any body is either refused with an error or
// gives between 1 and 10,000 canonical CAIP-10 accounts, each of which
// checks again to itself.
func FuzzDecodeScreenRequest(f *testing.F) {
	for _, s := range []string{
		`{"addresses":["eip155:1:0x098B716B8Aaf21512996dC57EB0615e2383E2f96"]}`,
		`{"addresses":["eip155:1:0x098b716b8aaf21512996dc57eb0615e2383e2f96"],"direction":"both","max_hops":2}`,
		`{"addresses":["bip122:000000000019d6689c085ae165831e93:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"]}`,
		`{"addresses":[]}`, `{"addresses":["foo:bar:baz"]}`, `{"addresses":null}`, `[]`, `{}`, `{"addresses":["a"]} {}`,
		`{"addresses":["eip155:1:0x12"],"direction":"up"}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := decodeScreenRequest(body, 3)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		if len(o.accounts) < 1 || len(o.accounts) > maxScreenBatch || o.opts.MaxHops < 0 || o.opts.MaxHops > 3 {
			t.Fatalf("accepted %d accounts, max_hops %d", len(o.accounts), o.opts.MaxHops)
		}
		for _, a := range o.accounts {
			again, err := checkAccount(a)
			if err != nil || again != a {
				t.Fatalf("canonical %q checks to %q, %v", a, again, err)
			}
		}
	})
}

func TestDecodeScreenRequestNamesTheField(t *testing.T) {
	for body, want := range map[string]string{
		`{"addresses":["eip155:1:0x098B716B8Aaf21512996dC57EB0615e2383E2f96","eip155:1:0x12"]}`: "addresses[1]",
		`{"addresses":["eip155:1:0x098b716b8aaf21512996dc57eb0615e2383e2f96"],"colour":1}`:      "colour",
		`{"addresses":["eip155:1:0x098b716b8aaf21512996dc57eb0615e2383e2f96"],"direction":"x"}`: "direction",
		`{"addresses":["eip155:1:0x098b716b8aaf21512996dc57eb0615e2383e2f96"],"max_hops":4}`:    "max_hops",
		`{"addresses":["cosmos:hub:x"]}`: "cosmos:hub",
	} {
		if _, err := decodeScreenRequest([]byte(body), 3); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %s", body, err, want)
		}
	}
}
