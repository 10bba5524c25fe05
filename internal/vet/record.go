// Package vet is contractor due diligence: candidate records (names,
// contact points, devices, payout wallets, CV text...) are imported into a
// store that keeps sensitive identifiers only as keyed hashes; screening
// checks a candidate's names against the sanctions list, their payout
// wallets through the risk engine, links them to every other candidate
// and staff member who shares a contact point, device, wallet, account,
// network or CV text, and raises the indicators of configuration.
package vet

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/intel/addrcheck"
)

// Candidate is one person as an application or an HR record describes
// them. Every field but ID and Names may be empty.
type Candidate struct {
	ID   string `json:"id"`
	Kind string `json:"kind,omitempty"` // "candidate" (the default) or "staff"
	// Names holds the name and every alias the person uses.
	Names       []string `json:"names"`
	Birthdate   string   `json:"birthdate,omitempty"`   // YYYY-MM-DD or YYYY
	Nationality []string `json:"nationality,omitempty"` // ISO 3166-1 alpha-2
	// Location is the claimed place of residence, "City, CC"; Timezone its
	// IANA zone when the country alone does not say (US, RU...).
	Location      string    `json:"location,omitempty"`
	Timezone      string    `json:"timezone,omitempty"`
	Emails        []string  `json:"emails,omitempty"`
	Phones        []string  `json:"phones,omitempty"`
	Addresses     []string  `json:"addresses,omitempty"` // postal
	PayoutWallets []Account `json:"payout_wallets,omitempty"`
	BankAccounts  []Account `json:"bank_accounts,omitempty"`
	LoginIPs      []string  `json:"login_ips,omitempty"`
	Devices       []string  `json:"devices,omitempty"` // device fingerprints
	// Handles are code-hosting and social accounts, "github:octocat".
	Handles    []string `json:"handles,omitempty"`
	CVText     string   `json:"cv_text,omitempty"`
	PhotoHash  string   `json:"photo_hash,omitempty"`
	References []string `json:"references,omitempty"`
	// Activity holds times the person was seen working (logins, commits,
	// messages), RFC 3339, for the time-zone check.
	Activity []time.Time `json:"activity,omitempty"`
}

// Account is where a person wants to be paid: a wallet address (plain or
// CAIP-10) or a bank account number, with the exchange or bank that holds
// it and the name it is held in, where known.
type Account struct {
	Number   string `json:"number"`
	Provider string `json:"provider,omitempty"` // exchange or bank
	Holder   string `json:"holder,omitempty"`
}

// UnmarshalJSON takes an account as a string (the number alone) or an
// object.
func (a *Account) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*a = Account{Number: s}
		return nil
	}
	type plain Account
	var p plain
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.DisallowUnknownFields()
	if err := d.Decode(&p); err != nil {
		return fmt.Errorf("want a string or {\"number\", \"provider\", \"holder\"}: %w", err)
	}
	*a = Account(p)
	return nil
}

// FieldError is a record that failed validation: which record (Row: the
// 1-based record number in JSON, the line in CSV), which field, why.
type FieldError struct {
	Row   int
	ID    string
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	id := ""
	if e.ID != "" {
		id = fmt.Sprintf(" (id %s)", e.ID)
	}
	return fmt.Sprintf("row %d%s: field %s: %s", e.Row, id, e.Field, e.Msg)
}

var (
	idRE       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)
	countryRE  = regexp.MustCompile(`^[A-Z]{2}$`)
	emailRE    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	accountRE  = regexp.MustCompile(`^[A-Za-z0-9]{4,40}$`)
	maxText    = 200
	maxCVBytes = 1 << 20
)

// Validate checks every field and puts values in their canonical form
// (countries upper case, phones as +digits, bank numbers without spaces).
// The error names the field; row is only copied into it.
func (c *Candidate) Validate(row int) error {
	bad := func(field, format string, args ...any) error {
		return &FieldError{Row: row, ID: c.ID, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	c.ID = strings.TrimSpace(c.ID)
	if !idRE.MatchString(c.ID) {
		return bad("id", "want 1 to 128 letters, digits or . _ : @ -, starting with a letter or digit")
	}
	switch c.Kind {
	case "":
		c.Kind = "candidate"
	case "candidate", "staff":
	default:
		return bad("kind", "want candidate or staff")
	}
	names := c.Names[:0]
	for _, n := range c.Names {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if len(n) > maxText || strings.ContainsAny(n, "\r\n\t") {
			return bad("names", "a name longer than %d bytes or with a line break", maxText)
		}
		names = append(names, n)
	}
	if c.Names = names; len(names) == 0 {
		return bad("names", "at least one name is required")
	}
	if c.Birthdate != "" && !validDate(c.Birthdate) {
		return bad("birthdate", "want YYYY-MM-DD or YYYY")
	}
	for i, n := range c.Nationality {
		n = strings.ToUpper(strings.TrimSpace(n))
		if !countryRE.MatchString(n) {
			return bad("nationality", "item %d: want an ISO 3166-1 alpha-2 code such as KR", i+1)
		}
		c.Nationality[i] = n
	}
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			return bad("timezone", "not an IANA time zone (want e.g. America/Chicago)")
		}
	}
	if len(c.Location) > maxText {
		return bad("location", "longer than %d bytes", maxText)
	}
	for i, e := range c.Emails {
		if !emailRE.MatchString(strings.TrimSpace(e)) {
			return bad("emails", "item %d is not an e-mail address", i+1)
		}
	}
	for i, p := range c.Phones {
		n, ok := NormalizePhone(p)
		if !ok {
			return bad("phones", "item %d: want an international number, + and 7 to 15 digits", i+1)
		}
		c.Phones[i] = n
	}
	for i := range c.PayoutWallets {
		w := &c.PayoutWallets[i]
		n, err := normalizeWallet(w.Number)
		if err != nil {
			return bad("payout_wallets", "item %d: %v", i+1, err)
		}
		w.Number = n
	}
	for i := range c.BankAccounts {
		b := &c.BankAccounts[i]
		b.Number = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(b.Number))
		if !accountRE.MatchString(b.Number) {
			return bad("bank_accounts", "item %d: want 4 to 40 letters and digits (IBAN or account number)", i+1)
		}
	}
	for i, ip := range c.LoginIPs {
		a, err := netip.ParseAddr(strings.TrimSpace(ip))
		if err != nil {
			return bad("login_ips", "item %d is not an IP address", i+1)
		}
		c.LoginIPs[i] = a.Unmap().String()
	}
	for _, list := range []struct {
		field string
		vals  []string
	}{{"devices", c.Devices}, {"handles", c.Handles}, {"addresses", c.Addresses}, {"references", c.References}} {
		for i, v := range list.vals {
			if strings.TrimSpace(v) == "" || len(v) > 4*maxText {
				return bad(list.field, "item %d is empty or longer than %d bytes", i+1, 4*maxText)
			}
		}
	}
	if len(c.CVText) > maxCVBytes {
		return bad("cv_text", "longer than %d bytes", maxCVBytes)
	}
	if len(c.PhotoHash) > 256 {
		return bad("photo_hash", "longer than 256 bytes")
	}
	return nil
}

func validDate(s string) bool {
	if len(s) == 4 {
		_, err := time.Parse("2006", s)
		return err == nil
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// NormalizePhone writes a phone number as + and its digits (E.164), or
// reports false when it is not an international number: the same line
// written "+1 (555) 010-0199" and "+15550100199" must compare equal.
func NormalizePhone(p string) (string, bool) {
	p = strings.ReplaceAll(strings.TrimSpace(p), "(0)", "") // "+44 (0)20 ...": the trunk 0 is not dialled from abroad
	if strings.HasPrefix(p, "00") {
		p = "+" + p[2:]
	}
	if !strings.HasPrefix(p, "+") {
		return "", false
	}
	var b strings.Builder
	b.WriteByte('+')
	for _, r := range p[1:] {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	n := b.Len() - 1
	return b.String(), n >= 7 && n <= 15
}

// normalizeWallet checks a payout address: CAIP-10 on a chain addrcheck
// knows, or a plain address some known chain accepts; the canonical form
// keeps CAIP-10 ids as such.
func normalizeWallet(w string) (string, error) {
	w = strings.TrimSpace(w)
	if i := strings.LastIndexByte(w, ':'); i > 0 {
		chain, addr := w[:i], w[i+1:]
		if !addrcheck.Known(chain) {
			return "", fmt.Errorf("unknown chain %q", chain)
		}
		canon, _, err := addrcheck.Normalize(chain, addr)
		if err != nil { // the error would quote the address: name the chain only
			return "", fmt.Errorf("not a valid %s address", chain)
		}
		return chain + ":" + canon, nil
	}
	_, canon, _, err := addrcheck.NormalizeAny(addrcheck.Chains(), w)
	if err != nil {
		return "", fmt.Errorf("not an address of any known chain")
	}
	if strings.HasPrefix(canon, "0x") {
		return canon, nil
	}
	return w, nil
}
