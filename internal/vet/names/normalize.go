// Package names screens personal and company names against a list of names
// (the SDN list's individuals and entities) with token-based fuzzy
// matching that survives the ways one name is written in Latin letters:
// hyphens and spacing of syllables ("Kim Jong Un", "Kim Jong-un",
// "Kim Jongun"), the order of family and given names ("Jong Un Kim"),
// diacritics and apostrophes (McCune-Reischauer "Ch'oe So'k-min"), and
// the competing romanisations of Korean and Chinese (Ri/Lee/Rhee/Yi,
// Pak/Park, Choe/Choi, O/Oh, Jon/Jeon/Chon, Kang/Gang, Hsu/Xu...).
//
// Every token is first put in a canonical form (Canon) that merges those
// spellings; tokens are then compared with Jaro-Winkler and aligned one to
// one, each weighted by how rare it is in the list, so that a shared
// "Kim" counts for less than a shared "Hyok". An index of token keys
// finds the few list names worth scoring for a query.
package names

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Tokens splits a name into lower-case tokens with diacritics removed.
// Hyphens, commas, dots and spaces separate tokens; apostrophes and
// similar marks are dropped inside a token (McCune-Reischauer breves and
// aspiration marks: "Pyo'ng" is "pyong").
func Tokens(name string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range norm.NFKD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// a combining mark left by NFKD: drop it
		case r == '\'' || r == '’' || r == '‘' || r == '`' || r == 'ʼ' || r == 'ʻ' || r == '´':
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteString(foldRune(r))
		default:
			flush()
		}
	}
	flush()
	return out
}

// foldRune lower-cases r and spells the Latin letters NFKD does not
// decompose in plain ASCII.
func foldRune(r rune) string {
	switch r {
	case 'ß':
		return "ss"
	case 'ø', 'Ø':
		return "o"
	case 'ł', 'Ł':
		return "l"
	case 'đ', 'Đ', 'ð', 'Ð':
		return "d"
	case 'ı':
		return "i"
	case 'æ', 'Æ':
		return "ae"
	case 'œ', 'Œ':
		return "oe"
	case 'þ', 'Þ':
		return "th"
	}
	return string(unicode.ToLower(r))
}

// isLatin reports whether a token is written in ASCII letters and digits
// (after Tokens' folding).
func isLatin(tok string) bool {
	for i := 0; i < len(tok); i++ {
		if tok[i] >= 0x80 {
			return false
		}
	}
	return true
}

// whole maps whole tokens, before the letter rules, to a spelling the
// rules then reduce to the same canonical form as their variants: Korean
// surnames whose romanisations differ in more than a letter or two.
var whole = map[string]string{
	// 이/리 (Ri, Lee, Rhee, Yi, I, Li, Rhie, Yee)
	"lee": "ri", "rhee": "ri", "yi": "ri", "i": "ri", "li": "ri", "rhie": "ri", "yee": "ri", "rie": "ri", "ree": "ri",
	// 박 (Pak, Park, Bak, Bahk)
	"park": "pak", "bahk": "pak",
	// 최 (Choe, Choi, Chwe, Choy)
	"choi": "choe", "chwe": "choe", "choy": "choe", "choei": "choe",
	// 오 (O, Oh)
	"oh": "o",
	// 서 (So, Seo, Suh)
	"suh": "so",
	// 우 (U, Woo, Wu)
	"woo": "u", "wu": "u",
	// 유/류 (Yu, Yoo, Ryu, Ryoo, You)
	"ryoo": "yu", "yoo": "yu", "ryu": "yu", "you": "yu",
	// 임/림 (Rim, Lim, Im, Yim)
	"lim": "rim", "im": "rim", "yim": "rim",
	// 노/로 (Ro, Roh, No, Noh)
	"roh": "ro", "no": "ro", "noh": "ro",
	// 영/용 spelled with "ou"
	"young": "yong", "ryoung": "yong",
	// Wade-Giles and Cantonese spellings of Chinese surnames
	"tsai": "cai", "tsui": "cui", "tsao": "cao", "tsou": "zou", "tseng": "zeng",
	"hsieh": "xie", "hsu": "xu", "kuo": "guo", "chou": "zhou", "chao": "zhao",
	"chiang": "jiang", "chien": "qian", "shih": "shi", "chih": "zhi", "szu": "si",
	// company forms, full and abbreviated
	"corporation": "corp", "company": "co", "limited": "ltd", "incorporated": "inc",
	"international": "intl", "jsc": "jsc", "llc": "llc",
	// 희 (Hui, Hee, Heui)
	"hee": "hui", "heui": "hui",
}

// after maps whole tokens once the letter rules have run: syllables whose
// variants the rules leave apart.
var after = map[string]string{
	"jul":  "jol",  // 철 Chul/Chol/Cheol
	"hyuk": "hyok", // 혁 Hyuk/Hyok/Hyeok
	"hyun": "hyon", // 현 Hyun/Hyon/Hyeon
	"suk":  "sok",  // 석 Suk/Sok/Seok
	"joi":  "joe",  // 최 after ch -> j
	"jwe":  "joe",
}

// Canon is the canonical form of one token (from Tokens): spellings of the
// same syllable in the common romanisations of Korean and Chinese map to
// one form, as do English, French and German spellings of the same sound
// where they differ by a digraph. It is a function applied alike to list
// names and queries, so merging two spellings can only make them match,
// never make two equal spellings differ. Non-Latin tokens are returned as
// they are.
func Canon(tok string) string {
	if !isLatin(tok) || tok == "" {
		return tok
	}
	if w, ok := whole[tok]; ok {
		tok = w
	}
	s := digraphs.Replace(tok)
	switch {
	case strings.HasPrefix(s, "l"):
		s = "r" + s[1:] // 리/이 Ri, Li, Lee
	case strings.HasPrefix(s, "ry") && len(s) > 2:
		s = s[1:] // North Korean Ryong, Ryu vs South Korean Yong, Yu
	case strings.HasPrefix(s, "x"):
		s = "s" + s[1:] // pinyin x, Wade-Giles hs
	case strings.HasPrefix(s, "q"):
		s = "j" + s[1:] // pinyin q, Wade-Giles ch
	}
	s = devoice(s)
	if len(s) <= 6 && strings.HasSuffix(s, "ung") {
		s = s[:len(s)-3] + "ong" // 성 Sung/Song, 정 Jung/Jong, 영 Young/Yong
	}
	if w, ok := after[s]; ok {
		s = w
	}
	return glide(s)
}

// devoice writes the consonants Korean romanisations voice or not
// (McCune-Reischauer k/p/t, Revised g/b/d) unvoiced anywhere in the token,
// so that a name run together ("Yongbok") equals its syllables
// ("Yong Pok") run together; the g of "ng" stays.
func devoice(s string) string {
	b := []byte(s)
	out := b[:0]
	for i, c := range b {
		switch c {
		case 'b':
			c = 'p'
		case 'd':
			c = 't'
		case 'g':
			if i == 0 || b[i-1] != 'n' {
				c = 'k'
			}
		}
		out = append(out, c)
	}
	return string(out)
}

// glide writes a y after the first letter as i and collapses "ii":
// transliterations of Russian, Burmese and Korean differ in just this
// (Dmitriy/Dmitrii, Myint/Miint, Kyong/Kiong).
func glide(s string) string {
	if len(s) < 2 || (!strings.ContainsAny(s[1:], "y") && !strings.Contains(s, "ii")) {
		return s
	}
	b := []byte(s)
	out := b[:1]
	for _, c := range b[1:] {
		if c == 'y' {
			c = 'i'
		}
		if c == 'i' && out[len(out)-1] == 'i' {
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

// digraphs merges letter groups that the romanisations use for one sound.
var digraphs = strings.NewReplacer(
	"eo", "o", // Revised ㅓ: Jeong, Cheol, Hyeok
	"eu", "u", // Revised ㅡ: Geum, Eun
	"oo", "u", // Moon, Hoon, Soo
	"ee", "i",
	"tch", "j",
	"ch", "j", // ㅈ/ㅊ: Jong/Chong, Jo/Cho; Wade-Giles ch/pinyin zh, j
	"zh", "j",
	"hs", "s", // Wade-Giles hs / pinyin x
	"sh", "s", // Shin/Sin
	"kh", "k",
	"ph", "p", // McCune-Reischauer aspirates: Phyong, Thae
	"th", "t",
	"dh", "d",
	"hw", "hu", // 황 Hwang/Huang, 화 Hwa/Hua
	"ou", "u", // French transliteration: Youri, Soun
	"v", "w", // Semenov/Semenow, Mavungal/Mawungal
	"ck", "k",
	"ks", "x",
)
