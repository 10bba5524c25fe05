package names

import (
	"fmt"
	"strconv"
	"strings"
)

// Query is one person or company to screen: every name they use, and
// what tells them from a namesake.
type Query struct {
	Names []string
	// Birthdate is "YYYY-MM-DD" or "YYYY"; empty if unknown.
	Birthdate string
	// Nationalities are ISO 3166-1 alpha-2 codes.
	Nationalities []string
}

// Hit is a list entry that a query's name matches.
type Hit struct {
	Entry Entry  `json:"entry"`
	Query string `json:"query"`     // the query's name that matched
	Name  string `json:"list_name"` // the entry's name it matched
	// NameScore is the name similarity; Score adds what date of birth and
	// nationality say (Notes explains each step).
	NameScore float64  `json:"name_score"`
	Score     float64  `json:"score"`
	Notes     []string `json:"notes,omitempty"`
}

// DefaultThreshold is the score from which a hit is reported (docs/vet.md
// gives the measured recall and false-positive share at it).
const DefaultThreshold = 0.86

// Adjustments are what agreeing or disagreeing facts add to a name score.
type Adjustments struct {
	BirthdateDay     float64 `yaml:"birthdate_day" json:"birthdate_day"`     // the same day of birth
	BirthdateYear    float64 `yaml:"birthdate_year" json:"birthdate_year"`   // the same year (or inside a listed range)
	BirthdateOther   float64 `yaml:"birthdate_other" json:"birthdate_other"` // more than a year from every listed date
	NationalitySame  float64 `yaml:"nationality_same" json:"nationality_same"`
	NationalityOther float64 `yaml:"nationality_other" json:"nationality_other"`
}

// DefaultAdjustments are the documented defaults (docs/vet.md).
func DefaultAdjustments() Adjustments {
	return Adjustments{BirthdateDay: 0.06, BirthdateYear: 0.03, BirthdateOther: -0.15, NationalitySame: 0.03, NationalityOther: -0.05}
}

// maxRaise is the most the adjustments can add: names scoring this much
// below the threshold are still looked at.
func (a Adjustments) maxRaise() float64 {
	return max(a.BirthdateDay, a.BirthdateYear, 0) + max(a.NationalitySame, 0)
}

// Screen returns the entries that any of q's names matches with a final
// score of at least threshold, best first, one hit per entry.
func (ix *Index) Screen(q Query, threshold float64, adj Adjustments) []Hit {
	var ms []NameMatch
	for _, n := range q.Names {
		for _, part := range splitScripts(Tokens(n)) {
			ms = ix.matchTokens(n, part, threshold-adj.maxRaise(), ms)
		}
	}
	var hits []Hit
	for _, m := range bestPerEntry(ms) {
		e := ix.entries[m.Entry]
		h := Hit{Entry: e, Query: m.Query, Name: m.Name, NameScore: round(m.Score), Score: m.Score}
		h.adjust(q, adj)
		if h.Score >= threshold {
			h.Score = round(h.Score)
			hits = append(hits, h)
		}
	}
	sortHits(hits)
	return hits
}

func sortHits(hs []Hit) {
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && hs[j].Score > hs[j-1].Score; j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
}

func round(f float64) float64 { return Round(f) }

// Round rounds a score to three decimals, as reports show it.
func Round(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }

func (h *Hit) adjust(q Query, adj Adjustments) {
	if q.Birthdate != "" && len(h.Entry.Birthdates) > 0 {
		switch rel := birthRelation(q.Birthdate, h.Entry.Birthdates); rel {
		case "day":
			h.Score += adj.BirthdateDay
			h.Notes = append(h.Notes, fmt.Sprintf("date of birth %s is listed", q.Birthdate))
		case "year":
			h.Score += adj.BirthdateYear
			h.Notes = append(h.Notes, fmt.Sprintf("year of birth of %s is listed (%s)", q.Birthdate, strings.Join(h.Entry.Birthdates, ", ")))
		case "near":
			h.Notes = append(h.Notes, fmt.Sprintf("date of birth %s is within a year of the listed %s", q.Birthdate, strings.Join(h.Entry.Birthdates, ", ")))
		default:
			h.Score += adj.BirthdateOther
			h.Notes = append(h.Notes, fmt.Sprintf("date of birth %s differs from the listed %s", q.Birthdate, strings.Join(h.Entry.Birthdates, ", ")))
		}
	}
	if len(q.Nationalities) > 0 && len(h.Entry.Nationalities) > 0 {
		same := false
		for _, a := range q.Nationalities {
			for _, b := range h.Entry.Nationalities {
				same = same || strings.EqualFold(a, b)
			}
		}
		if same {
			h.Score += adj.NationalitySame
			h.Notes = append(h.Notes, "nationality "+strings.Join(q.Nationalities, ", ")+" is listed")
		} else {
			h.Score += adj.NationalityOther
			h.Notes = append(h.Notes, fmt.Sprintf("nationality %s differs from the listed %s", strings.Join(q.Nationalities, ", "), strings.Join(h.Entry.Nationalities, ", ")))
		}
	}
	h.Score = min(1, max(0, h.Score))
}

// birthRelation compares a date of birth with listed ones: "day" (the
// same day), "year" (the same year, or inside a listed range), "near"
// (within a year of one) or "other".
func birthRelation(dob string, listed []string) string {
	y, d := parseDate(dob)
	best := "other"
	for _, l := range listed {
		from, to, _ := strings.Cut(l, "/")
		if to == "" {
			to = from
		}
		fy, fd := parseDate(from)
		ty, td := parseDate(to)
		if fy == 0 || y == 0 {
			continue
		}
		switch {
		case d != "" && fd != "" && from == to && d == fd:
			return "day"
		case d != "" && fd != "" && td != "" && from != to && d >= fd && d <= td && fy == ty:
			best = "year"
		case y >= fy && y <= ty:
			best = "year"
		case y >= fy-1 && y <= ty+1 && best == "other":
			best = "near"
		}
	}
	return best
}

func parseDate(s string) (year int, day string) {
	if len(s) < 4 {
		return 0, ""
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil {
		return 0, ""
	}
	if len(s) == 10 {
		return y, s
	}
	return y, ""
}

// Similar is how alike two names are, every token weighing the same (no
// list to weigh them by): for comparing the name an account is held in
// with the names a person gives.
func Similar(a, b string) float64 {
	best := 0.0
	for _, pa := range splitScripts(Tokens(a)) {
		for _, pb := range splitScripts(Tokens(b)) {
			pa, pb := pa[:min(len(pa), maxTokens)], pb[:min(len(pb), maxTokens)]
			wa, wb := make([]float64, len(pa)), make([]float64, len(pb))
			for i := range wa {
				wa[i] = 1
			}
			for i := range wb {
				wb[i] = 1
			}
			best = max(best, align(canonAll(pa), canonPairs(pa), wa, canonAll(pb), canonPairs(pb), wb))
		}
	}
	return best
}
