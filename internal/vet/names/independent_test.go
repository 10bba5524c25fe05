package names

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// Variants generated here without the matcher's tables (whole, after,
// digraphs, Canon) and without the southern table of variants_test.go:
// the romanisations come from the published tables of the Revised
// Romanization of Korean (2000) and of the DPRK's official system (1992),
// written out below from those tables, not from what Canon merges.

// Hangul jamo in Unicode order, romanised by the Revised Romanization
// (initials, medials, finals; a syllable is 0xAC00 + (i*21+m)*28 + f).
var (
	rrInitial = []string{"g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"}
	rrMedial  = []string{"a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "eu", "ui", "i"}
	rrFinal   = []string{"", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t"}
)

// rrSyllable romanises one Hangul syllable by the Revised Romanization;
// family marks the first syllable of a family name, where South Korea
// writes an initial ㄹ as nothing before i/y and as n otherwise (리 I,
// 류 Yu, 로 No).
func rrSyllable(r rune, family bool) (string, bool) {
	if r < 0xAC00 || r > 0xD7A3 {
		return "", false
	}
	s := int(r - 0xAC00)
	i, m, f := s/(21*28), (s/28)%21, s%28
	ini, med := rrInitial[i], rrMedial[m]
	if family && i == 5 {
		ini = "n"
		if strings.HasPrefix(med, "i") || strings.HasPrefix(med, "y") {
			ini = ""
		}
	}
	return ini + med + rrFinal[f], true
}

// rrFromHangul writes a Hangul name ("전 진영") by the Revised
// Romanization, family name first, given name hyphenated ("Jeon
// Jin-yeong"); false when the name is not all Hangul.
func rrFromHangul(name string) (string, bool) {
	var words []string
	for wi, w := range strings.Fields(name) {
		var syl []string
		for k, r := range w {
			s, ok := rrSyllable(r, wi == 0 && k == 0)
			if !ok {
				return "", false
			}
			syl = append(syl, s)
		}
		if len(syl) == 0 {
			return "", false
		}
		syl[0] = strings.ToUpper(syl[0][:1]) + syl[0][1:]
		words = append(words, strings.Join(syl, "-"))
	}
	if len(words) < 2 {
		return "", false
	}
	return strings.Join(words, " "), true
}

// dprkToRR rewrites one syllable written in the DPRK's official
// romanisation (as the SDN list writes North Korean names: k/t/p for
// ㄱ/ㄷ/ㅂ, kh/th/ph or k'/t'/p' for the aspirates, j for ㅈ and ch for
// ㅊ, breves dropped) with the Revised Romanization's consonants (g/d/b,
// k/t/p, j, ch), family-name ㄹ as above. Vowels are left: without the
// breves the list does not say whether o is ㅗ or ㅓ.
func dprkToRR(syl string, family bool) string {
	s := strings.ToLower(strings.ReplaceAll(syl, "'", ""))
	if strings.HasSuffix(s, "rk") {
		return syl // already a South Korean spelling (Park): not the DPRK system
	}
	type rule struct{ from, to string }
	for _, r := range []rule{{"kh", "k"}, {"th", "t"}, {"ph", "p"}, {"ch", "ch"}, {"j", "j"}, {"k", "g"}, {"t", "d"}, {"p", "b"}} {
		if strings.HasPrefix(s, r.from) {
			s = r.to + s[len(r.from):]
			break
		}
	}
	if family && strings.HasPrefix(s, "r") && len(s) > 1 {
		if s[1] == 'i' || s[1] == 'y' {
			s = s[1:]
		} else {
			s = "n" + s[1:]
		}
	}
	if s == "" {
		return syl
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// koreanSyllables is the list name's Latin words split at hyphens and
// spaces: the family name first, as the list writes DPRK names.
func koreanSyllables(name string) (family string, given []string) {
	w := words(name)
	if len(w) == 0 {
		return "", nil
	}
	return w[0], w[1:]
}

func title(s string) string {
	s = strings.ToLower(s)
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// typo applies one typing error of the given kind to a word of at least
// three letters, at a position drawn from r.
func typo(w string, kind string, r *rand.Rand) string {
	b := []byte(strings.ToLower(w))
	if len(b) < 3 {
		return w
	}
	p := 1 + r.IntN(len(b)-1) // the first letter is rarely mistyped
	letter := byte('a' + r.IntN(26))
	switch kind {
	case "substitution":
		for letter == b[p] {
			letter = byte('a' + r.IntN(26))
		}
		b[p] = letter
	case "deletion":
		b = append(b[:p], b[p+1:]...)
	case "insertion":
		b = append(b[:p], append([]byte{letter}, b[p:]...)...)
	case "transposition":
		if p == len(b)-1 {
			p--
		}
		b[p], b[p+1] = b[p+1], b[p]
	}
	return title(string(b))
}

// independentVariants are the variant classes of one DPRK list name,
// each a spelling or nothing when the class does not apply.
func independentVariants(e Entry, r *rand.Rand) map[string]string {
	fam, giv := koreanSyllables(e.Name)
	out := map[string]string{}
	if fam == "" || len(giv) == 0 {
		return out
	}
	F := title(fam)
	G := make([]string, len(giv))
	for i, g := range giv {
		G[i] = strings.ToLower(g)
	}
	hy := title(strings.Join(G, "-"))
	run := title(strings.Join(G, ""))
	sp := make([]string, len(G))
	for i, g := range G {
		sp[i] = title(g)
	}
	if len(G) == 2 { // a Korean two-syllable given name; longer ones are not Korean
		out["given hyphenated"] = F + " " + hy
		out["given run together"] = F + " " + run
		out["hyphenated, family last"] = hy + " " + F
		out["run together, family last"] = run + " " + F
	}
	out["spaced, family last"] = strings.Join(sp, " ") + " " + F
	out["comma, family first upper"] = strings.ToUpper(fam) + ", " + strings.Join(sp, " ")
	out["all hyphenated"] = F + "-" + strings.Join(G, "-")
	// the Revised Romanization's consonants (Gang, Bak, Gwang, Deok...)
	rr := []string{dprkToRR(fam, true)}
	for _, g := range giv {
		rr = append(rr, strings.ToLower(dprkToRR(g, false)))
	}
	rrName := rr[0] + " " + title(strings.Join(rr[1:], "-"))
	if !strings.EqualFold(rrName, F+" "+hy) {
		out["RR consonants"] = rrName
		out["RR consonants, family last"] = title(strings.Join(rr[1:], "-")) + " " + rr[0]
	}
	// the Hangul the list gives, romanised in full by the Revised
	// Romanization (vowels too: Cheol, Hyeok, Eun)
	for _, n := range e.Names {
		var hangul []string
		for _, f := range strings.Fields(n) {
			if strings.IndexFunc(f, func(c rune) bool { return unicode.Is(unicode.Hangul, c) }) >= 0 {
				hangul = append(hangul, f)
			}
		}
		if v, ok := rrFromHangul(strings.Join(hangul, " ")); ok {
			out["RR from Hangul"] = v
			break
		}
	}
	// one typing error in a word of three letters or more
	all := append([]string{fam}, giv...)
	var long []int
	for i, w := range all {
		if len(w) >= 3 {
			long = append(long, i)
		}
	}
	if len(long) > 0 {
		for _, kind := range []string{"substitution", "deletion", "insertion", "transposition"} {
			k := long[r.IntN(len(long))]
			ws := make([]string, len(all))
			for i, w := range all {
				ws[i] = title(w)
			}
			ws[k] = typo(all[k], kind, r)
			out["typo: "+kind] = strings.Join(ws, " ")
		}
	}
	return out
}

// TestDPRKIndependentVariants reports, per variant class, the share of
// the list's DPRK-program individuals found with their own entry at the
// default threshold, by name alone, from spellings made without the
// matcher's tables. Hyphenation, order and the Revised Romanization's
// consonants are required (the three kinds); typing errors are
// reported.
func TestDPRKIndependentVariants(t *testing.T) {
	ix, entries := sdnIndex(t)
	r := rand.New(rand.NewPCG(10, 10))
	found, total := map[string]int{}, map[string]int{}
	var misses []string
	for _, e := range entries {
		if e.Type != "Individual" || !isDPRK(e) {
			continue
		}
		for class, v := range independentVariants(e, r) {
			total[class]++
			ok := false
			for _, h := range ix.Screen(Query{Names: []string{v}}, DefaultThreshold, DefaultAdjustments()) {
				if h.Entry.ID == e.ID {
					ok = true
				}
			}
			if ok {
				found[class]++
			} else if !strings.HasPrefix(class, "typo") || testing.Verbose() {
				misses = append(misses, class+": "+e.Name+" -> "+v)
			}
		}
	}
	var classes []string
	for c := range total {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		t.Logf("%-28s %3d of %3d found (%.0f%%)", c, found[c], total[c], 100*float64(found[c])/float64(total[c]))
	}
	sort.Strings(misses)
	for _, m := range misses {
		t.Logf("missed %s", m)
	}
	for _, c := range classes {
		if !strings.HasPrefix(c, "typo") && found[c] < total[c] {
			t.Errorf("%s: %d of %d found", c, found[c], total[c])
		}
	}
}
