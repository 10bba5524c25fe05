package vet

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/risk"
	"github.com/chainhound/chainhound/internal/vet/names"
)

// WalletScreen screens one payout address through the risk engine.
type WalletScreen func(address string) (*risk.Result, error)

// ListInfo describes the sanctions list names are screened against.
type ListInfo struct {
	Source  string `json:"source"`
	Entries int    `json:"entries"`
	Names   int    `json:"names"`
}

// Screener runs every check over stored records.
type Screener struct {
	cfg     Config
	names   *names.Index // nil: no list imported
	list    ListInfo
	wallets WalletScreen // nil: no chain store to screen wallets in
	recs    []Record
	byID    map[string]int
	links   *Links
}

// NewScreener links recs and prepares the checks. ix (the sanctions list)
// and wallets may be nil: the checks that need them are then reported as
// not run, never as clean.
func NewScreener(cfg Config, ix *names.Index, list ListInfo, wallets WalletScreen, recs []Record) *Screener {
	s := &Screener{cfg: cfg, names: ix, list: list, wallets: wallets, recs: recs, byID: map[string]int{}}
	for i := range recs {
		s.byID[recs[i].ID] = i
	}
	s.links = Link(recs, cfg.Linking)
	return s
}

// IDs are every record's id, in store order.
func (s *Screener) IDs(kind string) []string {
	var out []string
	for _, r := range s.recs {
		if kind == "" || r.Kind == kind {
			out = append(out, r.ID)
		}
	}
	return out
}

// Links are the identity links among all records.
func (s *Screener) Links() *Links { return s.links }

// Report is the due-diligence result for one record.
type Report struct {
	ID          string        `json:"id"`
	Kind        string        `json:"kind"`
	Names       []string      `json:"names"`
	Birthdate   string        `json:"birthdate,omitempty"`
	Nationality []string      `json:"nationality,omitempty"`
	Location    string        `json:"location,omitempty"`
	Severity    risk.Severity `json:"severity"`
	Findings    []Finding     `json:"findings"`
	Cluster     *Cluster      `json:"cluster,omitempty"`
	Checks      []CheckStatus `json:"checks"`
	List        ListInfo      `json:"list"`
	ScreenedAt  time.Time     `json:"screened_at"`
}

// CheckStatus says whether a check ran, and what it looked at or why not.
type CheckStatus struct {
	Check string `json:"check"`
	Ran   bool   `json:"ran"`
	Note  string `json:"note,omitempty"`
}

// UnknownIDError: no record has the id.
type UnknownIDError struct{ ID string }

func (e *UnknownIDError) Error() string {
	return fmt.Sprintf("no candidate or staff record has id %q", e.ID)
}

// Screen runs every check for one record.
func (s *Screener) Screen(id string, now time.Time) (*Report, error) {
	i, ok := s.byID[id]
	if !ok {
		return nil, &UnknownIDError{id}
	}
	r := &s.recs[i]
	rep := &Report{ID: r.ID, Kind: r.Kind, Names: r.Names, Birthdate: r.Birthdate, Nationality: r.Nationality,
		Location: r.Location, List: s.list, ScreenedAt: now.UTC(), Findings: []Finding{}}
	s.screenNames(r, rep)
	if err := s.screenWallets(r, rep); err != nil {
		return nil, err
	}
	s.screenLinks(r, rep)
	rep.Findings = append(rep.Findings, r.Flags...)
	rep.Checks = append(rep.Checks, CheckStatus{Check: "voip_phone, hosting_ip", Ran: true, Note: "at import, with the indicators configured then"})
	s.screenTimezone(r, rep, now)
	s.screenHolders(r, rep)
	sort.SliceStable(rep.Findings, func(a, b int) bool { return rep.Findings[a].Severity > rep.Findings[b].Severity })
	for _, f := range rep.Findings {
		rep.Severity = max(rep.Severity, f.Severity)
	}
	return rep, nil
}

func (s *Screener) screenNames(r *Record, rep *Report) {
	if s.names == nil {
		rep.Checks = append(rep.Checks, CheckStatus{Check: CheckSanctionsName, Note: "no SDN list in the intelligence store (chainhound intel import sdn FILE)"})
		return
	}
	nc := s.cfg.Names
	hits := s.names.Screen(names.Query{Names: r.Names, Birthdate: r.Birthdate, Nationalities: r.Nationality}, nc.Threshold, nc.Adjustments)
	rep.Checks = append(rep.Checks, CheckStatus{Check: CheckSanctionsName, Ran: true,
		Note: fmt.Sprintf("%d names against %d individuals and entities (%d names) of %s, threshold %.2f", len(r.Names), s.list.Entries, s.list.Names, s.list.Source, nc.Threshold)})
	for _, h := range hits {
		sev := risk.High
		if h.Score >= nc.SevereFrom {
			sev = risk.Severe
		}
		rep.Findings = append(rep.Findings, Finding{Check: CheckSanctionsName, Severity: sev,
			Summary: fmt.Sprintf("name %q matches %s %q (%s; %s) with score %.3f", h.Query, strings.ToLower(h.Entry.Type), h.Name,
				h.Entry.ID, strings.Join(h.Entry.Programs, ", "), h.Score),
			Evidence: h})
	}
}

func (s *Screener) screenWallets(r *Record, rep *Report) error {
	if len(r.PayoutWallets) == 0 {
		rep.Checks = append(rep.Checks, CheckStatus{Check: CheckPayoutWallet, Ran: true, Note: "no payout wallet given"})
		return nil
	}
	if s.wallets == nil {
		rep.Checks = append(rep.Checks, CheckStatus{Check: CheckPayoutWallet, Note: "no chain store to screen wallets in"})
		return nil
	}
	var notes []string
	for _, w := range r.PayoutWallets {
		res, err := s.wallets(w.Number)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: not screened: %v", w.Number, err))
			continue
		}
		notes = append(notes, fmt.Sprintf("%s: %s", res.Account, res.Severity))
		if res.Severity == risk.None {
			continue
		}
		why := strings.Join(res.Reasons, "; ")
		rep.Findings = append(rep.Findings, Finding{Check: CheckPayoutWallet, Severity: res.Severity,
			Summary: fmt.Sprintf("payout wallet %s: %s", res.Account, why), Evidence: res})
	}
	rep.Checks = append(rep.Checks, CheckStatus{Check: CheckPayoutWallet, Ran: true, Note: strings.Join(notes, "; ")})
	return nil
}

func (s *Screener) screenLinks(r *Record, rep *Report) {
	c, _ := s.links.ClusterOf(r.ID)
	rep.Checks = append(rep.Checks, CheckStatus{Check: CheckIdentityLink, Ran: true,
		Note: fmt.Sprintf("against %d candidate and staff records", len(s.recs))})
	if len(c.Members) < 2 {
		return
	}
	rep.Cluster = &c
	if c.Persons < 2 {
		return
	}
	var others, staff, kinds []string
	for _, m := range c.Members {
		if m.ID != r.ID {
			others = append(others, m.ID)
			if m.Kind == "staff" {
				staff = append(staff, m.ID)
			}
		}
	}
	seen := map[string]bool{}
	for _, sh := range c.Shared {
		if !seen[sh.Kind] {
			seen[sh.Kind] = true
			kinds = append(kinds, sh.Kind)
		}
	}
	sum := fmt.Sprintf("one cluster of %d records claiming %d different people (%s) through shared %s",
		len(c.Members), c.Persons, strings.Join(others, ", "), strings.Join(kinds, ", "))
	if len(staff) > 0 {
		sum += "; staff in the cluster: " + strings.Join(staff, ", ")
	}
	rep.Findings = append(rep.Findings, Finding{Check: CheckIdentityLink, Severity: risk.High, Summary: sum, Evidence: c})
}

func (s *Screener) screenHolders(r *Record, rep *Report) {
	n := 0
	for _, group := range []struct {
		what string
		accs []Account
	}{{"payout wallet", r.PayoutWallets}, {"bank account", r.BankAccounts}} {
		for _, a := range group.accs {
			if a.Holder == "" {
				continue
			}
			n++
			best := 0.0
			for _, name := range r.Names {
				best = max(best, names.Similar(a.Holder, name))
			}
			if best >= holderSame {
				continue
			}
			where := a.Provider
			if where == "" {
				where = "an unnamed provider"
			}
			rep.Findings = append(rep.Findings, Finding{Check: CheckPayoutHolder, Severity: risk.Medium,
				Summary:  fmt.Sprintf("%s %s at %s is held in another name: %q", group.what, a.Number, where, a.Holder),
				Evidence: map[string]any{"account": a.Number, "provider": a.Provider, "holder": a.Holder, "best_similarity": names.Round(best)}})
		}
	}
	rep.Checks = append(rep.Checks, CheckStatus{Check: CheckPayoutHolder, Ran: true, Note: fmt.Sprintf("%d accounts with a holder name", n)})
}

// meanHour is the circular mean of activity hours (UTC).
func meanHour(h [24]int) float64 {
	var x, y float64
	for i, c := range h {
		a := 2 * math.Pi * float64(i) / 24
		x += float64(c) * math.Cos(a)
		y += float64(c) * math.Sin(a)
	}
	return math.Mod(math.Atan2(y, x)*24/(2*math.Pi)+24, 24)
}

// holderSame is the similarity from which an account holder's name is the
// person's own.
const holderSame = 0.8

func (s *Screener) screenTimezone(r *Record, rep *Report, now time.Time) {
	in := s.cfg.Indicators
	n := 0
	for _, c := range r.ActivityHours {
		n += c
	}
	zone := r.Timezone
	if zone == "" {
		if i := strings.LastIndexByte(r.Location, ','); i >= 0 {
			zone = in.CountryTimezones[strings.ToUpper(strings.TrimSpace(r.Location[i+1:]))]
		} else {
			zone = in.CountryTimezones[strings.ToUpper(strings.TrimSpace(r.Location))]
		}
	}
	switch {
	case n < in.MinActivity:
		rep.Checks = append(rep.Checks, CheckStatus{Check: CheckTimezone, Note: fmt.Sprintf("%d activity times: at least %d needed", n, in.MinActivity)})
		return
	case zone == "":
		rep.Checks = append(rep.Checks, CheckStatus{Check: CheckTimezone, Note: "no claimed time zone (give timezone, or a location ending in a country code the configuration knows)"})
		return
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		rep.Checks = append(rep.Checks, CheckStatus{Check: CheckTimezone, Note: fmt.Sprintf("zone %q: %v", zone, err)})
		return
	}
	_, off := now.In(loc).Zone()
	claimed := (off + 1800) / 3600
	share := func(offset int) float64 {
		in := 0
		for h, c := range r.ActivityHours {
			local := ((h+offset)%24 + 24) % 24
			if local >= s.cfg.Indicators.WorkingHours[0] && local < s.cfg.Indicators.WorkingHours[1] {
				in += c
			}
		}
		return float64(in) / float64(n)
	}
	// the zone that best fits: the most activity in working hours, and
	// among equals the one that puts the activity's mean hour nearest
	// the middle of the working day
	mean := meanHour(r.ActivityHours)
	mid := float64(in.WorkingHours[0]+in.WorkingHours[1]) / 2
	dist := func(o int) float64 {
		d := math.Mod(mean+float64(o)-mid+48, 24)
		return math.Min(d, 24-d)
	}
	best, bestShare := claimed, share(claimed)
	for o := -12; o <= 14; o++ {
		sh := share(o)
		if sh > bestShare+1e-9 || (math.Abs(sh-bestShare) < 1e-9 && dist(o) < dist(best)) {
			best, bestShare = o, sh
		}
	}
	d := ((best-claimed)%24 + 24) % 24
	d = min(d, 24-d)
	cs := share(claimed)
	rep.Checks = append(rep.Checks, CheckStatus{Check: CheckTimezone, Ran: true,
		Note: fmt.Sprintf("%d activity times; %.0f%% in working hours of the claimed %s", n, 100*cs, zone)})
	if cs < 0.5 && d >= in.TimezoneTolerance {
		rep.Findings = append(rep.Findings, Finding{Check: CheckTimezone, Severity: risk.Medium,
			Summary: fmt.Sprintf("claims %s (UTC%+d) but only %.0f%% of %d activity times fall in its working hours; %.0f%% fall in those of UTC%+d",
				zone, claimed, 100*cs, n, 100*bestShare, best),
			Evidence: map[string]any{"claimed_zone": zone, "claimed_offset": claimed, "claimed_share": names.Round(cs),
				"best_offset": best, "best_share": names.Round(bestShare), "activity": n, "utc_hours": r.ActivityHours}})
	}
}
