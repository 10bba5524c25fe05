package names

import (
	"strings"
	"testing"
)

// TestCanonMerges: the spellings of one Korean or Chinese syllable in the
// usual romanisations have one canonical form; different syllables keep
// different ones.
func TestCanonMerges(t *testing.T) {
	same := [][]string{
		{"Ri", "Lee", "Rhee", "Yi", "Li"},
		{"Pak", "Park", "Bak"},
		{"Choe", "Choi", "Chwe", "Ch'oe"},
		{"O", "Oh"},
		{"Jon", "Jeon", "Chon"},
		{"Kang", "Gang"},
		{"Jong", "Jeong", "Chong", "Chung", "Jung", "Cho'ng"},
		{"Chol", "Cheol", "Chul", "Ch'o'l"},
		{"Hyok", "Hyeok", "Hyuk", "Hyo'k"},
		{"Song", "Seong", "Sung", "So'ng"},
		{"Yong", "Young", "Ryong", "Yeong"},
		{"Kyong", "Gyeong", "Kyung"},
		{"Xu", "Hsu"},
		{"Hsiang", "Xiang"},
		{"Dmitriy", "Dmitrii"},
		{"Semenov", "Semenow"},
	}
	for _, group := range same {
		want := Canon(strings.Join(Tokens(group[0]), ""))
		for _, s := range group[1:] {
			if got := Canon(strings.Join(Tokens(s), "")); got != want {
				t.Errorf("Canon(%q) = %q, Canon(%q) = %q: want equal", group[0], want, s, got)
			}
		}
	}
	for _, pair := range [][2]string{{"Jon", "Jong"}, {"Chol", "Chon"}, {"Kim", "Kin"}, {"Pak", "Paek"}, {"Song", "Son"}} {
		if Canon(strings.ToLower(pair[0])) == Canon(strings.ToLower(pair[1])) {
			t.Errorf("%q and %q merged", pair[0], pair[1])
		}
	}
}

// TestAlign checks the scores that decide a hit on a small list.
func TestAlign(t *testing.T) {
	ix := NewIndex([]Entry{
		{ID: "a", Name: "KIM Jong Un", Type: "Individual", Birthdates: []string{"1984-01-08"}, Nationalities: []string{"KP"}},
		{ID: "b", Name: "Pak Jin Hyok", Type: "Individual"},
		{ID: "c", Name: "KOREA KWANGSON BANKING CORP", Type: "Entity"},
	})
	for _, c := range []struct {
		q    Query
		want string
	}{
		{Query{Names: []string{"Kim Jong-un"}}, "a"},
		{Query{Names: []string{"Jong Un Kim"}}, "a"},
		// McCune-Reischauer writes 은 and 운 alike once its breve is gone
		{Query{Names: []string{"Gim Jeong Eun"}}, "a"},
		{Query{Names: []string{"Kim Jongun"}}, "a"},
		{Query{Names: []string{"Park Jin-hyeok"}}, "b"},
		{Query{Names: []string{"Kim Min-jun"}}, ""},
		{Query{Names: []string{"Korea Kwangson Banking Corporation"}}, "c"},
		// the same name, born 40 years earlier elsewhere: not the listed man
		{Query{Names: []string{"Kim Jong Un"}, Birthdate: "1944-05-01", Nationalities: []string{"KR"}}, ""},
	} {
		hs := ix.Screen(c.q, DefaultThreshold, DefaultAdjustments())
		got := ""
		if len(hs) > 0 {
			got = hs[0].Entry.ID
		}
		if got != c.want {
			t.Errorf("%+v: got %q %+v, want %q", c.q, got, hs, c.want)
		}
	}
}

// TestGivenNameOrder: the family name may move from first to last, but
// syllables of a given name swapped make another name: Lee Young-soo
// (이영수) is not Ri Su Yong (리수용, on the SDN list).
func TestGivenNameOrder(t *testing.T) {
	ix := NewIndex([]Entry{{ID: "e1", Name: "Ri Su Yong", Type: "Individual"}, {ID: "e2", Name: "Chang Chang-ha", Type: "Individual"}})
	for name, want := range map[string]string{
		"Ri Su Yong": "e1", "Su Yong Ri": "e1", "Ri Su-yong": "e1", "Lee Su-yong": "e1", "Suyong Ri": "e1",
		"Lee Young-soo": "", "Young Soo Lee": "", "Ri Yong Su": "", "Su Ri Yong": "",
		"Chang Ha Chang": "e2", "Chang-ha Chang": "e2",
	} {
		hits := ix.Screen(Query{Names: []string{name}}, DefaultThreshold, DefaultAdjustments())
		got := ""
		if len(hits) > 0 {
			got = hits[0].Entry.ID
		}
		if got != want {
			t.Errorf("%q: hit %q, want %q (%v)", name, got, want, hits)
		}
	}
}
