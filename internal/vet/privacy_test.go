package vet

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secrets are the private identifiers of privacyRecord, none of which may
// appear in the store, a report or an error.
var secrets = []string{
	"john.q.secret", "2079460018", "GB29NWBK60161331926819", "60161331926819", "198.51.100.77",
	"d3v1c3f1ng3rpr1nt", "octo-secret-handle", "42 Secret Lane", "Mrs Referee Secret",
	"secretphotohash99", "unmistakable cv phrase",
}

const privacyRecord = `[{"id":"p1","names":["Ann Lee"],"emails":["john.q.secret@example.org"],
 "phones":["+44 20 7946 0018"],"bank_accounts":["GB29NWBK60161331926819"],"login_ips":["198.51.100.77"],
 "devices":["d3v1c3f1ng3rpr1nt"],"handles":["github:octo-secret-handle"],"addresses":["42 Secret Lane, Leeds"],
 "references":["Mrs Referee Secret"],"photo_hash":"secretphotohash99",
 "cv_text":"an unmistakable cv phrase about go and pebble and many other words to shingle"}]`

func leaks(s string) []string {
	var out []string
	for _, v := range secrets {
		if strings.Contains(strings.ToLower(s), strings.ToLower(v)) {
			out = append(out, v)
		}
	}
	return out
}

// TestStoreKeepsNoRawIdentifier: after an import, neither the store's
// files nor the records read back, their JSON or HTML reports hold any
// private identifier.
func TestStoreKeepsNoRawIdentifier(t *testing.T) {
	k := testKeyer(t)
	cfg := DefaultConfig()
	cands, err := DecodeJSON(strings.NewReader(privacyRecord))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "vet")
	st, err := Open(dir, false, k.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import([]Record{NewRecord(&cands[0], k, cfg, "p.json", testNow)}, "p.json", testNow); err != nil {
		t.Fatal(err)
	}
	recs, err := st.Records()
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(recs)
	if l := leaks(string(b)); len(l) > 0 {
		t.Errorf("stored records hold %v: %s", l, b)
	}
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		raw, _ := os.ReadFile(filepath.Join(dir, f.Name()))
		if l := leaks(string(raw)); len(l) > 0 {
			t.Errorf("store file %s holds %v", f.Name(), l)
		}
	}
	scr := NewScreener(cfg, nil, ListInfo{}, nil, recs)
	rep, err := scr.Screen("p1", testNow)
	if err != nil {
		t.Fatal(err)
	}
	rj, _ := json.Marshal(rep)
	var html bytes.Buffer
	if err := WriteHTML(&html, rep); err != nil {
		t.Fatal(err)
	}
	if l := leaks(string(rj) + html.String()); len(l) > 0 {
		t.Errorf("report holds %v", l)
	}
}

// TestErrorsKeepNoRawIdentifier: decoding errors name row and field, not
// the value, whatever the mistake.
func TestErrorsKeepNoRawIdentifier(t *testing.T) {
	for _, in := range []string{
		`[{"id":"p1","names":["A"],"emails":["john.q.secret@"]}]`,
		`[{"id":"p1","names":["A"],"phones":[2079460018]}]`,
		`[{"id":"p1","names":["A"],"phones":["+44 2079460018 ext"]}]`,
		`[{"id":"p1","names":["A"],"bank_accounts":[{"number":60161331926819}]}]`,
		`[{"id":"p1","names":["A"],"bank_accounts":[{"numbr":"GB29NWBK60161331926819"}]}]`,
		`[{"id":"p1","names":["A"],"bank_accounts":["GB29NWBK60161331926819!"]}]`,
		`[{"id":"p1","names":["A"],"login_ips":["198.51.100.777"]}]`,
		`[{"id":"p1","names":["A"],"devices":"d3v1c3f1ng3rpr1nt"}]`,
		`[{"id":"p1","names":["A"],"handles":[["octo-secret-handle"]]}]`,
		`[{"id":"p1","names":["A"],"addresses":{"42 Secret Lane":1}}]`,
		`[{"id":"p1","names":["A"],"references":["Mrs Referee Secret` + "\x01" + `"]}]`,
		`[{"id":"p1","names":["A"],"photo_hash":["secretphotohash99"]}]`,
		`[{"id":"p1","names":["A"],"emails":["john.q.secret@example.org"] "x":1}]`,
	} {
		_, err := DecodeJSON(strings.NewReader(in))
		if err == nil {
			t.Errorf("%s: no error", in)
			continue
		}
		if l := leaks(err.Error()); len(l) > 0 {
			t.Errorf("error %q holds %v", err, l)
		}
	}
	for _, in := range []string{
		"id,names,emails\np1,A,john.q.secret@\n",
		"id,names,phones\np1,A,+44 2079460018 ext\n",
		"id,names,bank_accounts\np1,A,GB29NWBK60161331926819|bank|holder|extra\n",
		"id,names,login_ips\np1,A,198.51.100.777\n",
		"id,names,emails\np1,A,\"john.q.secret@example.org\"x\n",
		"id,names,emails\np1,A,john.q.secret@example.org,extra\n",
	} {
		_, err := DecodeCSV(strings.NewReader(in))
		if err == nil {
			t.Errorf("%q: no error", in)
			continue
		}
		if l := leaks(err.Error()); len(l) > 0 {
			t.Errorf("error %q holds %v", err, l)
		}
	}
}
