package vet

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// KeyEnv is the environment variable that holds the hashing key itself.
const KeyEnv = "CHAINHOUND_VET_KEY"

// minKeyLen is the shortest key accepted, in bytes.
const minKeyLen = 32

// LoadKey returns the key of the keyed hashes: $CHAINHOUND_VET_KEY, else
// the contents of the configuration's key_file. There is no default: a
// store hashed under a well-known key would let anyone test guesses.
func LoadKey(c Config) ([]byte, error) {
	if k := os.Getenv(KeyEnv); k != "" {
		if len(k) < minKeyLen {
			return nil, fmt.Errorf("%s holds %d bytes: want at least %d", KeyEnv, len(k), minKeyLen)
		}
		return []byte(k), nil
	}
	if c.KeyFile == "" {
		return nil, fmt.Errorf("no hashing key: set %s (at least %d bytes, e.g. from `openssl rand -hex 32`) or key_file in the vet configuration", KeyEnv, minKeyLen)
	}
	b, err := os.ReadFile(c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("vet key_file: %w", err)
	}
	k := strings.TrimSpace(string(b))
	if len(k) < minKeyLen {
		return nil, fmt.Errorf("vet key_file %s holds %d bytes: want at least %d", c.KeyFile, len(k), minKeyLen)
	}
	return []byte(k), nil
}

// Keyer makes the keyed hashes (HMAC-SHA256) under which identifiers are
// stored: equal values give equal hashes under one key, so records link,
// while the store alone does not give the values back.
type Keyer struct {
	key   []byte
	seeds [minhashSize]uint64
}

// NewKeyer makes a Keyer for key (at least 32 bytes).
func NewKeyer(key []byte) (*Keyer, error) {
	if len(key) < minKeyLen {
		return nil, fmt.Errorf("hashing key of %d bytes: want at least %d", len(key), minKeyLen)
	}
	k := &Keyer{key: append([]byte(nil), key...)}
	// the MinHash permutations come from the key too, so a CV signature
	// cannot be recomputed from a guessed CV without it
	for i := 0; i < minhashSize; i += 4 {
		m := k.mac("minhash", fmt.Sprint(i))
		for j := 0; j < 4 && i+j < minhashSize; j++ {
			k.seeds[i+j] = binary.LittleEndian.Uint64(m[8*j:])
		}
	}
	return k, nil
}

func (k *Keyer) mac(kind, v string) []byte {
	h := hmac.New(sha256.New, k.key)
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(v))
	return h.Sum(nil)
}

// Hash is the keyed hash of a normalised value of a kind, 128 bits in hex.
func (k *Keyer) Hash(kind, v string) string { return hex.EncodeToString(k.mac(kind, v)[:16]) }

// Fingerprint identifies the key without revealing it: a store records
// it, and refuses another key (whose hashes would silently never link).
func (k *Keyer) Fingerprint() string { return k.Hash("key-fingerprint", "chainhound vet") }

// Attr is one identifier of a record as stored: its kind, its keyed hash,
// and a hint a reviewer can recognise it by (never the whole value of a
// private identifier).
type Attr struct {
	Kind string `json:"kind"`
	Hash string `json:"hash"`
	Hint string `json:"hint,omitempty"`
}

// attrKinds are the kinds of linking attributes (and of linking.weights).
var attrKinds = []string{"email", "phone", "wallet", "bank_account", "device", "handle", "photo", "cv", "ip", "subnet", "address", "reference"}

// attrs derives the hashed identifiers of a validated candidate.
func (k *Keyer) attrs(c *Candidate, lc LinkConfig) []Attr {
	var out []Attr
	add := func(kind, v, hint string) {
		if v == "" {
			return
		}
		a := Attr{Kind: kind, Hash: k.Hash(kind, v), Hint: hint}
		for _, o := range out {
			if o.Hash == a.Hash && o.Kind == kind {
				return
			}
		}
		out = append(out, a)
	}
	for _, e := range c.Emails {
		n := normalizeEmail(e)
		add("email", n, maskEmail(n))
	}
	for _, p := range c.Phones {
		add("phone", p, p[:min(4, len(p))]+"…"+p[max(0, len(p)-2):])
	}
	for _, w := range c.PayoutWallets {
		add("wallet", strings.ToLower(w.Number), w.Number) // public on chain: shown whole
	}
	for _, b := range c.BankAccounts {
		add("bank_account", b.Number, "…"+b.Number[max(0, len(b.Number)-4):])
	}
	for _, d := range c.Devices {
		d = strings.ToLower(strings.TrimSpace(d))
		add("device", d, d[:min(6, len(d))]+"…")
	}
	for _, h := range c.Handles {
		platform, name := splitHandle(h)
		add("handle", name, platform+name[:min(2, len(name))]+"…")
	}
	if p := strings.ToLower(strings.TrimSpace(c.PhotoHash)); p != "" {
		add("photo", p, p[:min(6, len(p))]+"…")
	}
	for _, ip := range c.LoginIPs {
		a, _ := netip.ParseAddr(ip)
		add("ip", a.String(), "")
		bits := lc.IPv4Prefix
		if a.Is6() {
			bits = lc.IPv6Prefix
		}
		if p, err := a.Prefix(bits); err == nil {
			add("subnet", p.String(), fmt.Sprintf("a /%d network", bits))
		}
	}
	for _, a := range c.Addresses {
		add("address", normalizeText(a), "")
	}
	for _, r := range c.References {
		add("reference", normalizeText(r), "")
	}
	return out
}

// normalizeEmail lower-cases an address and drops what routes to the same
// mailbox: a +tag, and the dots of a Gmail local part.
func normalizeEmail(e string) string {
	e = strings.ToLower(strings.TrimSpace(e))
	local, domain, _ := strings.Cut(e, "@")
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	if domain == "gmail.com" || domain == "googlemail.com" {
		local, domain = strings.ReplaceAll(local, ".", ""), "gmail.com"
	}
	return local + "@" + domain
}

func maskEmail(e string) string {
	local, domain, _ := strings.Cut(e, "@")
	return local[:min(1, len(local))] + "…@" + domain
}

// splitHandle takes "github:octocat" or "@octocat" apart; the name alone
// is hashed, so one handle on two platforms links.
func splitHandle(h string) (platform, name string) {
	h = strings.ToLower(strings.TrimSpace(h))
	if p, n, ok := strings.Cut(h, ":"); ok && !strings.Contains(n, ":") {
		platform, h = p+":", n
	}
	return platform, strings.TrimPrefix(strings.TrimSpace(h), "@")
}

// normalizeText lower-cases text and keeps letters and digits, one space
// between words.
func normalizeText(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r > 0x7f)
	}), " ")
}
