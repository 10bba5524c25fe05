package vet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStoreImport: records survive a reopen, an import of a known id
// replaces it, the audit trail counts both, and another key is refused.
func TestStoreImport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vet")
	k := testKeyer(t)
	cfg := DefaultConfig()
	rec := func(id, email string) Record {
		c := Candidate{ID: id, Names: []string{"Ann Lee"}, Emails: []string{email}}
		if err := c.Validate(1); err != nil {
			t.Fatal(err)
		}
		return NewRecord(&c, k, cfg, "t", testNow)
	}
	st, err := Open(dir, false, k.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import([]Record{rec("a", "a@example.com"), rec("b", "b@example.com")}, "one.json", testNow); err != nil {
		t.Fatal(err)
	}
	imp, err := st.Import([]Record{rec("b", "B@Example.com"), rec("c", "c@example.com")}, "two.json", testNow)
	if err != nil || imp.New != 1 || imp.Replaced != 1 || imp.Seq != 2 {
		t.Fatalf("second import: %+v %v", imp, err)
	}
	st.Close()
	st, err = Open(dir, true, k.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	recs, err := st.Records()
	if err != nil || len(recs) != 3 || recs[1].ID != "b" || recs[1].Attrs[0].Hash != rec("b", "b@example.com").Attrs[0].Hash {
		t.Fatalf("records after reopen: %+v %v", recs, err)
	}
	imps, _ := st.Imports()
	if len(imps) != 2 || imps[0].Source != "one.json" {
		t.Fatalf("imports: %+v", imps)
	}
	st.Close()
	other, _ := NewKeyer([]byte("a different key that is long enough"))
	if _, err := Open(dir, true, other.Fingerprint()); err == nil || !strings.Contains(err.Error(), "another hashing key") {
		t.Fatalf("other key: %v", err)
	}
}

// TestKeyedAttrs: equal identifiers written differently hash alike, the
// hash depends on the key, and hints hold no whole private value.
func TestKeyedAttrs(t *testing.T) {
	k := testKeyer(t)
	other, _ := NewKeyer([]byte("a different key that is long enough"))
	lc := DefaultConfig().Linking
	a := Candidate{ID: "a", Names: []string{"A"}, Emails: []string{"John.Doe+jobs@gmail.com"}, Phones: []string{"+44 (0)20 7946 0018"},
		Handles: []string{"github:@JDoe"}, LoginIPs: []string{"198.51.100.7"}, BankAccounts: []Account{{Number: "GB29 NWBK 6016 1331 9268 19"}}}
	b := Candidate{ID: "b", Names: []string{"B"}, Emails: []string{"johndoe@googlemail.com"}, Phones: []string{"0044 20 7946 0018"},
		Handles: []string{"telegram:jdoe"}, LoginIPs: []string{"198.51.100.200"}, BankAccounts: []Account{{Number: "gb29nwbk60161331926819"}}}
	for _, c := range []*Candidate{&a, &b} {
		if err := c.Validate(1); err != nil {
			t.Fatal(err)
		}
	}
	ha, hb := map[string]string{}, map[string]string{}
	for _, x := range k.attrs(&a, lc) {
		ha[x.Kind] = x.Hash
		if strings.Contains(x.Hint, "johndoe") || strings.Contains(x.Hint, "79460018") || strings.Contains(x.Hint, "198.51") {
			t.Errorf("hint %q holds a private value", x.Hint)
		}
	}
	for _, x := range k.attrs(&b, lc) {
		hb[x.Kind] = x.Hash
	}
	for _, kind := range []string{"email", "phone", "handle", "subnet", "bank_account"} {
		if ha[kind] == "" || ha[kind] != hb[kind] {
			t.Errorf("%s: %q and %q differ", kind, ha[kind], hb[kind])
		}
	}
	if ha["ip"] == hb["ip"] {
		t.Error("two addresses of one network hash alike")
	}
	if other.attrs(&a, lc)[0].Hash == ha["email"] {
		t.Error("the hash does not depend on the key")
	}
	if s1, s2 := k.Signature(strings.Repeat("go rust kafka ", 30)), other.Signature(strings.Repeat("go rust kafka ", 30)); Similarity(s1, s2) > 0.2 {
		t.Error("CV signatures under two keys compare alike")
	}
}

// TestConfig: the defaults load; a file overrides them; unknown keys and
// bad values are errors naming them; no key, no vet.
func TestConfig(t *testing.T) {
	if _, err := LoadConfig(""); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "c.yaml")
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	c, err := LoadConfig(write("names:\n  threshold: 0.9\nlinking:\n  ipv4_prefix: 16\n"))
	if err != nil || c.Names.Threshold != 0.9 || c.Linking.IPv4Prefix != 16 || c.Linking.MaxShared != 15 || c.Names.BirthdateOther != -0.15 {
		t.Fatalf("%+v %v", c, err)
	}
	for body, want := range map[string]string{
		"names:\n  treshold: 0.9\n":                             "treshold",
		"linking:\n  weights:\n    shoe: 1\n":                   "shoe",
		"indicators:\n  voip_prefixes: [{prefix: x}]\n":         "voip_prefixes",
		"indicators:\n  hosting_ranges: [{cidr: 1.2.3.4/99}]\n": "hosting_ranges",
		"wallets:\n  direction: sideways\n":                     "direction",
	} {
		if _, err := LoadConfig(write(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error naming %s", body, err, want)
		}
	}
	t.Setenv(KeyEnv, "")
	if _, err := LoadKey(DefaultConfig()); err == nil || !strings.Contains(err.Error(), KeyEnv) {
		t.Errorf("no key: %v", err)
	}
	t.Setenv(KeyEnv, "short")
	if _, err := LoadKey(DefaultConfig()); err == nil {
		t.Error("a short key accepted")
	}
}
