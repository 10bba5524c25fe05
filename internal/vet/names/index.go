package names

import (
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Entry is one party of a list: its names (primary first) and what tells
// namesakes apart.
type Entry struct {
	ID       string   `json:"id"`   // e.g. "ofac-sdn:27307"
	Name     string   `json:"name"` // the primary name
	Names    []string `json:"names,omitempty"`
	Type     string   `json:"type,omitempty"` // Individual, Entity, Vessel, Aircraft
	Programs []string `json:"programs,omitempty"`
	// Birthdates are "YYYY-MM-DD", "YYYY" or "FROM/TO" ranges of those.
	Birthdates []string `json:"birthdates,omitempty"`
	// Nationalities are ISO 3166-1 alpha-2 codes (or the list's text).
	Nationalities []string `json:"nationalities,omitempty"`
}

// listName is one indexed spelling of an entry's name.
type listName struct {
	entry int32
	text  string
	toks  []string  // canonical tokens
	pairs []string  // canonical forms of adjacent tokens run together
	w     []float64 // their weights
}

// Index finds the list names worth scoring for a query and scores them.
// It is safe for concurrent searches once built.
type Index struct {
	entries []Entry
	names   []listName
	post    map[string][]int32 // blocking key -> list names holding it
	df      map[string]int     // canonical token -> names holding it
	maxW    float64
	scratch sync.Pool
}

// NewIndex indexes every name of every entry. A name written in two
// scripts ("Jon Jin Yong 전 진영") is indexed as two names, one per
// script, so that neither half counts against a query in the other.
func NewIndex(entries []Entry) *Index {
	ix := &Index{entries: entries, post: map[string][]int32{}, df: map[string]int{}}
	for e := range entries {
		names := entries[e].Names
		if len(names) == 0 {
			names = []string{entries[e].Name}
		}
		seen := map[string]bool{}
		for _, n := range names {
			for _, part := range splitScripts(Tokens(n)) {
				if len(part) > maxTokens {
					part = part[:maxTokens]
				}
				key := strings.Join(part, " ")
				if seen[key] {
					continue
				}
				seen[key] = true
				ix.names = append(ix.names, listName{entry: int32(e), text: n, toks: canonAll(part), pairs: canonPairs(part)})
			}
		}
	}
	for i := range ix.names {
		for _, t := range distinct(ix.names[i].toks) {
			ix.df[t]++
		}
	}
	ix.maxW = ix.weight("\x00never")
	for i := range ix.names {
		ln := &ix.names[i]
		ln.w = make([]float64, len(ln.toks))
		for k, t := range ln.toks {
			ln.w[k] = ix.weight(t)
		}
		for _, key := range blockKeys(ln.toks, ln.pairs) {
			p := ix.post[key]
			if len(p) == 0 || p[len(p)-1] != int32(i) {
				ix.post[key] = append(p, int32(i))
			}
		}
	}
	ix.scratch.New = func() any { return &scratch{hits: make([]uint8, len(ix.names))} }
	return ix
}

// Len is the number of indexed names.
func (ix *Index) Len() int { return len(ix.names) }

// weight is how much a token says about who is named: the inverse
// document frequency of the token among the list's names, so that "kim"
// or "mohammad" count for less than a rare given name. A token the list
// never uses weighs most.
func (ix *Index) weight(tok string) float64 {
	n := float64(len(ix.names) + 1)
	return 1 + math.Log(n/float64(1+ix.df[tok]))
}

// splitScripts splits tokens into runs of Latin and of other scripts.
func splitScripts(toks []string) [][]string {
	var latin, other []string
	for _, t := range toks {
		if isLatin(t) {
			latin = append(latin, t)
		} else {
			other = append(other, t)
		}
	}
	var out [][]string
	if len(latin) > 0 {
		out = append(out, latin)
	}
	if len(other) > 0 {
		out = append(out, other)
	}
	return out
}

// canonPairs is the canonical form of each two adjacent tokens written
// as one word: "kuk", "ryol" -> Canon("kukryol"), which is what a query
// writing them as one word has (the canonical forms of the two run
// together may differ: "ryol" alone loses its r).
func canonPairs(toks []string) []string {
	if len(toks) < 2 || !isLatin(toks[0]) {
		return nil
	}
	out := make([]string, len(toks)-1)
	for i := range out {
		out[i] = Canon(toks[i] + toks[i+1])
	}
	return out
}

func canonAll(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = Canon(t)
	}
	return out
}

func distinct(toks []string) []string {
	s := slices.Clone(toks)
	slices.Sort(s)
	return slices.Compact(s)
}

// shortLen is the longest token that must match exactly: Jaro-Winkler
// cannot tell "jon" from "jong" or "chol" from "chon" in so few letters,
// and Canon already merged the true variants of short syllables.
const shortLen = 3

// maxTokens is the most tokens of a name that are compared; the rest of
// a longer one (a company's full style) is ignored.
const maxTokens = 12

// key is a token's blocking key: the token itself when it is short (it
// can only match exactly), else its consonant skeleton (first letter, then
// the consonants, vowels and y, w, h, r dropped, repeats collapsed), which
// spellings close enough to score well nearly always share.
func key(tok string) string {
	if len(tok) <= shortLen || !isLatin(tok) {
		return "=" + tok
	}
	b := make([]byte, 0, len(tok)+1)
	b = append(b, '~', tok[0])
	for i := 1; i < len(tok); i++ {
		c := tok[i]
		switch c {
		case 'a', 'e', 'i', 'o', 'u', 'y', 'w', 'h', 'r':
			continue
		}
		if b[len(b)-1] != c {
			b = append(b, c)
		}
	}
	return string(b)
}

// blockKeys are the keys of every token and of every two adjacent tokens
// run together (so "jongun" finds "jong un").
func blockKeys(toks, pairs []string) []string {
	keys := make([]string, 0, len(toks)+len(pairs))
	for _, t := range toks {
		keys = append(keys, key(t))
	}
	for _, p := range pairs {
		keys = append(keys, key(p))
	}
	return distinct(keys)
}

type scratch struct {
	hits    []uint8
	touched []int32
}

// candidates returns the list names that share enough blocking keys with
// the query tokens: at least two, or one when either side has a single
// token.
func (ix *Index) candidates(q, qp []string, sc *scratch) []int32 {
	keys := blockKeys(q, qp)
	sc.touched = sc.touched[:0]
	for _, k := range keys {
		for _, id := range ix.post[k] {
			if sc.hits[id] == 0 {
				sc.touched = append(sc.touched, id)
			}
			if sc.hits[id] < 255 {
				sc.hits[id]++
			}
		}
	}
	out := sc.touched[:0:0]
	for _, id := range sc.touched {
		need := uint8(2)
		if len(q) == 1 || len(ix.names[id].toks) == 1 {
			need = 1
		}
		if sc.hits[id] >= need {
			out = append(out, id)
		}
		sc.hits[id] = 0
	}
	return out
}

// NameMatch is how well one query name matches one list name.
type NameMatch struct {
	Entry int     // index in Entries
	Query string  // the query's spelling
	Name  string  // the list's spelling
	Score float64 // in [0, 1]
}

func (ix *Index) matchTokens(query string, raw []string, min float64, out []NameMatch) []NameMatch {
	if len(raw) == 0 {
		return out
	}
	if len(raw) > maxTokens {
		raw = raw[:maxTokens]
	}
	q, qp := canonAll(raw), canonPairs(raw)
	sc := ix.scratch.Get().(*scratch)
	defer ix.scratch.Put(sc)
	qw := make([]float64, len(q))
	for i, t := range q {
		qw[i] = ix.weight(t)
	}
	for _, id := range ix.candidates(q, qp, sc) {
		ln := &ix.names[id]
		if s := align(q, qp, qw, ln.toks, ln.pairs, ln.w); s >= min {
			out = append(out, NameMatch{Entry: int(ln.entry), Query: query, Name: ln.text, Score: s})
		}
	}
	return out
}

func bestPerEntry(ms []NameMatch) []NameMatch {
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].Score != ms[j].Score {
			return ms[i].Score > ms[j].Score
		}
		return ms[i].Entry < ms[j].Entry
	})
	seen := map[int]bool{}
	out := ms[:0]
	for _, m := range ms {
		if !seen[m.Entry] {
			seen[m.Entry] = true
			out = append(out, m)
		}
	}
	return out
}
