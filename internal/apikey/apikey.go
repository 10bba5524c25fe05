// Package apikey issues and checks the API keys of chainhound's HTTP
// server. A key is shown once, when it is created, as
//
//	chk_<id>_<secret>
//
// where id is 16 hex digits (8 random bytes) that name the key in logs,
// listings and revocations, and secret is 32 random bytes in lower-case
// base32 (52 characters). Only the SHA-256 of the secret is stored. A plain
// hash, rather than a slow password hash such as scrypt or Argon2, is enough
// because the secret is 256 random bits, not something a person chose: no
// dictionary helps, and a brute-force search of 2^256 is out of reach
// however fast each guess is. A fast hash also keeps the check cheap on
// every request. The id is looked up in a map and the hash compared in
// constant time, so timing reveals nothing about the secret.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// Scopes a key may hold; a route names the one it needs.
const (
	ScopeScreen = "screen" // screening: POST /v1/screen, address risk
	ScopeLookup = "lookup" // address, transaction, entity and tag lookups
	ScopeTrace  = "trace"  // traces and paths (costly)
	ScopeGuard  = "guard"  // the Safe pre-sign guard
	ScopeWatch  = "watch"  // the watcher's alerts: list, acknowledge, resolve
	ScopeCases  = "cases"  // the workspace's saved cases: list, read, write
)

// AllScopes lists every scope, in the order they are documented.
var AllScopes = []string{ScopeScreen, ScopeLookup, ScopeTrace, ScopeGuard, ScopeWatch, ScopeCases}

// Default rate limit of a new key: sustained requests per second and burst.
const (
	DefaultRate  = 50
	DefaultBurst = 100
)

// FileName is the key file inside the data directory.
const FileName = "apikeys.json"

const prefix = "chk_"

// idLen and secretLen are the lengths of a token's two parts.
const (
	idLen     = 16
	secretLen = 52
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Key is one stored key: everything but the secret.
type Key struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Scopes  []string   `json:"scopes"`
	Rate    float64    `json:"rate"`  // sustained requests per second
	Burst   int        `json:"burst"` // requests allowed at once above the rate
	Hash    string     `json:"sha256"`
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked,omitempty"`
}

// HasScope reports whether k grants scope.
func (k *Key) HasScope(scope string) bool { return slices.Contains(k.Scopes, scope) }

// file is the JSON layout of FileName.
type file struct {
	Version int   `json:"version"`
	Keys    []Key `json:"keys"`
}

// Path is the key file of a data directory.
func Path(dataDir string) string { return filepath.Join(dataDir, FileName) }

// ParseScopes reads a comma-separated scope list, refusing unknown and
// duplicate scopes.
func ParseScopes(s string) ([]string, error) {
	var out []string
	for _, sc := range strings.Split(s, ",") {
		sc = strings.TrimSpace(sc)
		if !slices.Contains(AllScopes, sc) {
			return nil, fmt.Errorf("scope %q: want one or more of %s", sc, strings.Join(AllScopes, ","))
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// New makes a key and its token; the token is the only copy of the secret.
func New(name string, scopes []string, rate float64, burst int, now time.Time) (Key, string, error) {
	if strings.TrimSpace(name) == "" {
		return Key{}, "", errors.New("a key needs a name")
	}
	if len(scopes) == 0 {
		return Key{}, "", errors.New("a key needs at least one scope")
	}
	if rate <= 0 || burst < 1 {
		return Key{}, "", fmt.Errorf("rate %v and burst %d: want a positive rate and a burst of at least 1", rate, burst)
	}
	var id [idLen / 2]byte
	var secret [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return Key{}, "", err
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return Key{}, "", err
	}
	sec := strings.ToLower(b32.EncodeToString(secret[:]))
	k := Key{ID: hex.EncodeToString(id[:]), Name: name, Scopes: scopes, Rate: rate, Burst: burst,
		Hash: hashHex(sec), Created: now.UTC().Truncate(time.Second)}
	return k, prefix + k.ID + "_" + sec, nil
}

func hashHex(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// ErrMalformed is a token that is not chk_<16 hex>_<52 base32>.
var ErrMalformed = errors.New("malformed API key (want chk_<id>_<secret>)")

// ParseToken splits a token into its id and secret. It allocates nothing:
// the parts are slices of tok.
func ParseToken(tok string) (id, secret string, err error) {
	if len(tok) != len(prefix)+idLen+1+secretLen || !strings.HasPrefix(tok, prefix) || tok[len(prefix)+idLen] != '_' {
		return "", "", ErrMalformed
	}
	id, secret = tok[len(prefix):len(prefix)+idLen], tok[len(prefix)+idLen+1:]
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", "", ErrMalformed
		}
	}
	for i := 0; i < len(secret); i++ {
		if c := secret[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return "", "", ErrMalformed
		}
	}
	return id, secret, nil
}

// FromHeader reads the key of a request: "Authorization: Bearer KEY" or
// "X-API-Key: KEY". ok is false when neither header is present; a present
// but malformed header is ErrMalformed.
func FromHeader(authorization, xAPIKey string) (tok string, ok bool, err error) {
	switch {
	case authorization != "":
		scheme, rest, found := strings.Cut(authorization, " ")
		if !found || !strings.EqualFold(scheme, "Bearer") {
			return "", true, fmt.Errorf("Authorization: want \"Bearer KEY\": %w", ErrMalformed)
		}
		tok = strings.TrimSpace(rest)
	case xAPIKey != "":
		tok = strings.TrimSpace(xAPIKey)
	default:
		return "", false, nil
	}
	if _, _, err := ParseToken(tok); err != nil {
		return "", true, err
	}
	return tok, true, nil
}

// Load reads the keys of path. A missing file is no keys and no error;
// a file that is not a key file is an error naming it.
func Load(path string) ([]Key, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("API key file %s is corrupt: %w", path, err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("API key file %s: version %d, want 1", path, f.Version)
	}
	for i, k := range f.Keys {
		if len(k.ID) != idLen || len(k.Hash) != 64 || len(k.Scopes) == 0 || k.Rate <= 0 || k.Burst < 1 {
			return nil, fmt.Errorf("API key file %s is corrupt: key %d (%q) lacks an id, hash, scope or rate", path, i, k.ID)
		}
		if _, err := hex.DecodeString(k.Hash); err != nil {
			return nil, fmt.Errorf("API key file %s is corrupt: key %s: hash: %v", path, k.ID, err)
		}
	}
	return f.Keys, nil
}

// Save writes keys to path atomically (a temporary file renamed over it),
// readable by the owner only.
func Save(path string, keys []Key) error {
	if keys == nil {
		keys = []Key{}
	}
	b, err := json.MarshalIndent(file{Version: 1, Keys: keys}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".apikeys-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; best effort
		d.Close()
	}
	return nil
}

// Verifier checks tokens against a set of keys: a map on the key id, then
// a constant-time comparison of the secret's hash. Revoked keys are left
// out. It is read-only after construction, so it needs no lock.
type Verifier struct {
	keys map[string]*Entry
}

// Entry is a usable key with its hash decoded.
type Entry struct {
	Key
	hash [sha256.Size]byte
}

// NewVerifier indexes the keys that are not revoked.
func NewVerifier(keys []Key) *Verifier {
	v := &Verifier{keys: make(map[string]*Entry, len(keys))}
	for _, k := range keys {
		if k.Revoked != nil {
			continue
		}
		e := &Entry{Key: k}
		if _, err := hex.Decode(e.hash[:], []byte(k.Hash)); err != nil {
			continue // Load refuses such a file; a hand-built Key is skipped
		}
		v.keys[k.ID] = e
	}
	return v
}

// Len is the number of usable keys.
func (v *Verifier) Len() int { return len(v.keys) }

// Verify returns the key a token belongs to, or nil for an unknown,
// revoked or wrong key.
func (v *Verifier) Verify(tok string) *Entry {
	id, secret, err := ParseToken(tok)
	if err != nil {
		return nil
	}
	e := v.keys[id]
	if e == nil {
		return nil
	}
	var buf [secretLen]byte // hashed from the stack: no allocation per request
	copy(buf[:], secret)
	h := sha256.Sum256(buf[:])
	if subtle.ConstantTimeCompare(h[:], e.hash[:]) != 1 {
		return nil
	}
	return e
}

// Update changes the keys of path under an exclusive lock (path+".lock"),
// so that two commands run at once (two `apikey create`s, say) cannot lose
// each other's change: fn gets the keys as they are now and returns them
// as they should be, which are saved; an error from fn saves nothing.
func Update(path string, fn func([]Key) ([]Key, error)) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	lock := flock.New(path + ".lock")
	if err := lock.Lock(); err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	defer lock.Unlock()
	keys, err := Load(path)
	if err != nil {
		return err
	}
	if keys, err = fn(keys); err != nil {
		return err
	}
	return Save(path, keys)
}
