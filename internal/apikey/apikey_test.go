package apikey

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewVerifySaveLoad(t *testing.T) {
	k, tok, err := New("ci", []string{ScopeLookup, ScopeTrace}, 5, 10, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "chk_"+k.ID+"_") || len(tok) != 4+16+1+52 {
		t.Fatalf("token %q", tok)
	}
	if strings.Contains(k.Hash, tok[len(tok)-52:]) {
		t.Fatal("the secret is stored")
	}
	path := filepath.Join(t.TempDir(), "data", FileName)
	if err := Save(path, []Key{k}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), tok[len(tok)-52:]) {
		t.Fatal("the key file holds the secret")
	}
	keys, err := Load(path)
	if err != nil || len(keys) != 1 || keys[0].ID != k.ID || !keys[0].HasScope(ScopeTrace) || keys[0].HasScope(ScopeGuard) {
		t.Fatalf("load: %+v %v", keys, err)
	}
	v := NewVerifier(keys)
	if e := v.Verify(tok); e == nil || e.ID != k.ID {
		t.Fatalf("verify own token: %v", e)
	}
	// One changed character of the secret, or of the id, is refused.
	last := tok[len(tok)-1]
	other := byte('a')
	if last == 'a' {
		other = 'b'
	}
	if v.Verify(tok[:len(tok)-1]+string(other)) != nil {
		t.Error("wrong secret accepted")
	}
	if v.Verify("chk_0000000000000000"+tok[20:]) != nil {
		t.Error("unknown id accepted")
	}
	now := time.Now()
	keys[0].Revoked = &now
	if NewVerifier(keys).Verify(tok) != nil {
		t.Error("revoked key accepted")
	}
	// Missing file: no keys. Corrupt file: an error naming it.
	if ks, err := Load(filepath.Join(t.TempDir(), FileName)); ks != nil || err != nil {
		t.Errorf("missing file: %v %v", ks, err)
	}
	os.WriteFile(path, []byte("{\"version\":1,\"keys\":[{"), 0o600)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt file: %v", err)
	}
	os.WriteFile(path, []byte(`{"version":1,"keys":[{"id":"x"}]}`), 0o600)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("key without hash: %v", err)
	}
}

func TestBadNewAndScopes(t *testing.T) {
	if _, err := ParseScopes("lookup,trace,lookup"); err != nil {
		t.Error(err)
	}
	if _, err := ParseScopes("lookup,admin"); err == nil || !strings.Contains(err.Error(), "admin") {
		t.Errorf("unknown scope: %v", err)
	}
	for _, tc := range []struct {
		name   string
		scopes []string
		rate   float64
		burst  int
	}{{"", []string{"lookup"}, 1, 1}, {"x", nil, 1, 1}, {"x", []string{"lookup"}, 0, 1}, {"x", []string{"lookup"}, 1, 0}} {
		if _, _, err := New(tc.name, tc.scopes, tc.rate, tc.burst, time.Now()); err == nil {
			t.Errorf("New%+v: no error", tc)
		}
	}
}

func TestFromHeader(t *testing.T) {
	_, tok, _ := New("x", []string{ScopeLookup}, 1, 1, time.Now())
	for _, tc := range []struct {
		auth, x string
		ok      bool
		err     bool
	}{
		{"Bearer " + tok, "", true, false},
		{"bearer " + tok, "", true, false},
		{"", tok, true, false},
		{"", "", false, false},
		{"Basic abc", "", true, true},
		{"Bearer", "", true, true},
		{"Bearer chk_123", "", true, true},
		{"", "nope", true, true},
	} {
		got, ok, err := FromHeader(tc.auth, tc.x)
		if ok != tc.ok || (err != nil) != tc.err || (err == nil && ok && got != tok) {
			t.Errorf("FromHeader(%q, %q) = %q %v %v", tc.auth, tc.x, got, ok, err)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("error %v is not ErrMalformed", err)
		}
	}
}

// BenchmarkVerify: the per-request cost of checking a key.
func BenchmarkVerify(b *testing.B) {
	k, tok, _ := New("x", []string{ScopeLookup}, 1, 1, time.Now())
	v := NewVerifier([]Key{k})
	b.ReportAllocs()
	for b.Loop() {
		if v.Verify(tok) == nil {
			b.Fatal("refused")
		}
	}
}

// FuzzFromHeader: no header value crashes the parser, and whatever it
// accepts is a well-formed token that round-trips through ParseToken.
func FuzzFromHeader(f *testing.F) {
	_, tok, _ := New("x", []string{ScopeLookup}, 1, 1, time.Unix(0, 0))
	for _, s := range []string{"Bearer " + tok, tok, "Bearer ", "Basic x", "chk__", "chk_0123456789abcdef_" + strings.Repeat("a", 52), "\x00", strings.Repeat("Bearer ", 100)} {
		f.Add(s, "")
		f.Add("", s)
	}
	v := NewVerifier(nil)
	f.Fuzz(func(t *testing.T, auth, x string) {
		got, ok, err := FromHeader(auth, x)
		if err == nil && ok {
			if _, _, perr := ParseToken(got); perr != nil {
				t.Fatalf("accepted %q which ParseToken refuses", got)
			}
		}
		if !ok && (auth != "" || x != "") {
			t.Fatalf("a present header reported absent")
		}
		if v.Verify(got) != nil {
			t.Fatal("an empty verifier accepted a key")
		}
	})
}

// TestUpdateConcurrent checks that concurrent updates (two `apikey create`
// runs at once) lose no key: each sees the others' keys under the lock.
func TestUpdateConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	const n = 16
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, _, err := New(fmt.Sprintf("key-%d", i), []string{"screen"}, 1, 1, time.Now())
			if err != nil {
				t.Error(err)
				return
			}
			if err := Update(path, func(keys []Key) ([]Key, error) { return append(keys, k), nil }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	keys, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != n {
		t.Fatalf("%d keys after %d concurrent creates", len(keys), n)
	}
	boom := errors.New("boom")
	if err := Update(path, func([]Key) ([]Key, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("a failing update: %v", err)
	}
	if keys, _ := Load(path); len(keys) != n {
		t.Fatalf("a failing update changed the file: %d keys", len(keys))
	}
}
