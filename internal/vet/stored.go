package vet

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/risk"
)

// Record is a candidate as the store keeps it: what screening needs in
// clear (names, date of birth, nationality, claimed location, payout
// wallet addresses, which are public on their chains, and the names
// accounts are held in) and every private identifier only as a keyed
// hash with a hint. CV text is kept as a keyed MinHash signature, login
// times as a histogram of UTC hours, login addresses and phones only as
// the indicators they raised at import.
type Record struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"`
	Names         []string  `json:"names"`
	Birthdate     string    `json:"birthdate,omitempty"`
	Nationality   []string  `json:"nationality,omitempty"`
	Location      string    `json:"location,omitempty"`
	Timezone      string    `json:"timezone,omitempty"`
	PayoutWallets []Account `json:"payout_wallets,omitempty"`
	// BankAccounts hold the hint of the number ("…1234"), the bank and
	// the holder.
	BankAccounts []Account `json:"bank_accounts,omitempty"`
	Attrs        []Attr    `json:"attrs,omitempty"`
	CVSignature  []uint64  `json:"cv_signature,omitempty"`
	// ActivityHours counts activity times by UTC hour.
	ActivityHours [24]int `json:"activity_hours"`
	// Flags are the indicators found at import, from values not kept.
	Flags    []Finding `json:"flags,omitempty"`
	Source   string    `json:"source"`
	Imported time.Time `json:"imported"`
}

// Finding is one result of a check, with its severity and evidence.
type Finding struct {
	Check    string        `json:"check"`
	Severity risk.Severity `json:"severity"`
	Summary  string        `json:"summary"`
	Evidence any           `json:"evidence,omitempty"`
}

// Checks, as Finding.Check values.
const (
	CheckSanctionsName = "sanctions_name"
	CheckPayoutWallet  = "payout_wallet"
	CheckIdentityLink  = "identity_link"
	CheckVoIPPhone     = "voip_phone"
	CheckHostingIP     = "hosting_ip"
	CheckTimezone      = "timezone_mismatch"
	CheckPayoutHolder  = "payout_holder"
)

// NewRecord turns a validated candidate into its stored form under k,
// with the import-time indicators of cfg.
func NewRecord(c *Candidate, k *Keyer, cfg Config, source string, now time.Time) Record {
	r := Record{
		ID: c.ID, Kind: c.Kind, Names: c.Names, Birthdate: c.Birthdate, Nationality: c.Nationality,
		Location: c.Location, Timezone: c.Timezone, PayoutWallets: c.PayoutWallets,
		Attrs: k.attrs(c, cfg.Linking), Source: source, Imported: now.UTC(),
	}
	for _, b := range c.BankAccounts {
		b.Number = "…" + b.Number[max(0, len(b.Number)-4):]
		r.BankAccounts = append(r.BankAccounts, b)
	}
	if c.CVText != "" {
		r.CVSignature = k.Signature(c.CVText)
		if r.CVSignature != nil {
			r.Attrs = append(r.Attrs, Attr{Kind: "cv", Hash: "minhash", Hint: "CV text"})
		}
	}
	for _, t := range c.Activity {
		r.ActivityHours[t.UTC().Hour()]++
	}
	r.Flags = importFlags(c, cfg.Indicators)
	return r
}

// importFlags are the indicators that need values the store does not
// keep: VoIP phone prefixes and hosting address ranges.
func importFlags(c *Candidate, in Indicators) []Finding {
	var out []Finding
	for i, p := range c.Phones {
		for _, v := range in.VoIPPrefixes {
			if strings.HasPrefix(p, v.Prefix) {
				out = append(out, Finding{Check: CheckVoIPPhone, Severity: risk.Low,
					Summary:  fmt.Sprintf("phone %d of %d is a %s (prefix %s)", i+1, len(c.Phones), v.Label, v.Prefix),
					Evidence: map[string]string{"prefix": v.Prefix, "label": v.Label}})
				break
			}
		}
	}
	ranges := make([]netip.Prefix, len(in.HostingRanges))
	for i, r := range in.HostingRanges {
		ranges[i], _ = netip.ParsePrefix(r.CIDR)
	}
	hosted := map[string]int{}
	for _, ip := range c.LoginIPs {
		a, _ := netip.ParseAddr(ip)
		for i, p := range ranges {
			if p.Contains(a) {
				hosted[in.HostingRanges[i].Label+" ("+in.HostingRanges[i].CIDR+")"]++
				break
			}
		}
	}
	labels := make([]string, 0, len(hosted))
	for label := range hosted {
		labels = append(labels, label)
	}
	sort.Strings(labels)
	for _, label := range labels {
		n := hosted[label]
		out = append(out, Finding{Check: CheckHostingIP, Severity: risk.Medium,
			Summary:  fmt.Sprintf("%d of %d login addresses are in %s", n, len(c.LoginIPs), label),
			Evidence: map[string]any{"range": label, "logins": n}})
	}
	return out
}
