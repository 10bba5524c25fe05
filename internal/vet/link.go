package vet

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Links are the identity links among a set of records and the clusters
// they form.
type Links struct {
	recs    []Record
	byID    map[string]int
	parent  []int
	pairs   map[[2]int][]Shared // linked pairs (i < j) and what they share
	ignored map[string]int      // "kind hash" -> records, for values over max_shared
	members map[int][]int       // cluster root -> records, once linking is done
}

// Shared is one attribute two or more records have in common.
type Shared struct {
	Kind string `json:"kind"`
	Hint string `json:"hint,omitempty"`
	// Hash is a prefix of the keyed hash: enough to tell values apart in
	// a report, not to test guesses against.
	Hash string `json:"hash,omitempty"`
	// Similarity is the estimated CV similarity, for kind "cv".
	Similarity float64  `json:"similarity,omitempty"`
	Members    []string `json:"members,omitempty"`
}

// Link links records that share attributes whose weights (lc.Weights)
// add up to lc.LinkAt (a shared login address and its network count
// once, at the higher weight), ignoring any value more than lc.MaxShared records
// share, and finds CVs that are near-duplicates by MinHash LSH.
func Link(recs []Record, lc LinkConfig) *Links {
	l := &Links{recs: recs, byID: map[string]int{}, parent: make([]int, len(recs)),
		pairs: map[[2]int][]Shared{}, ignored: map[string]int{}}
	for i := range recs {
		l.byID[recs[i].ID] = i
		l.parent[i] = i
	}
	type valueKey struct{ kind, hash string }
	holders := map[valueKey][]int{}
	hints := map[valueKey]string{}
	for i := range recs {
		for _, a := range recs[i].Attrs {
			if a.Kind == "cv" {
				continue
			}
			k := valueKey{a.Kind, a.Hash}
			holders[k] = append(holders[k], i)
			if hints[k] == "" {
				hints[k] = a.Hint
			}
		}
	}
	cand := map[[2]int][]Shared{}
	for k, hs := range holders {
		if len(hs) < 2 || lc.Weights[k.kind] == 0 {
			continue
		}
		if len(hs) > lc.MaxShared {
			l.ignored[k.kind+" "+k.hash] = len(hs)
			continue
		}
		for x := 0; x < len(hs); x++ {
			for y := x + 1; y < len(hs); y++ {
				p := [2]int{hs[x], hs[y]}
				cand[p] = append(cand[p], Shared{Kind: k.kind, Hint: hints[k], Hash: k.hash[:8]})
			}
		}
	}
	for p, s := range nearDuplicateCVs(recs, lc) {
		cand[p] = append(cand[p], s)
	}
	for p, shared := range cand {
		w := 0.0
		group := map[string]float64{}
		for _, s := range shared {
			g := s.Kind
			if g == "subnet" {
				g = "ip" // one network: an address shared is a network shared
			}
			group[g] = max(group[g], lc.Weights[s.Kind])
		}
		for _, gw := range group {
			w += gw
		}
		if w >= lc.LinkAt-1e-9 {
			sort.Slice(shared, func(i, j int) bool { return shared[i].Kind+shared[i].Hash < shared[j].Kind+shared[j].Hash })
			l.pairs[p] = shared
			l.union(p[0], p[1])
		}
	}
	// settle the roots once, so that reads never write (concurrent
	// screens share a Links)
	l.members = map[int][]int{}
	for i := range recs {
		r := l.find(i)
		l.members[r] = append(l.members[r], i)
	}
	for i := range recs {
		l.parent[i] = l.find(i)
	}
	return l
}

// nearDuplicateCVs finds pairs of records whose CV signatures collide in
// an LSH band and whose estimated similarity reaches lc.CVSimilarity.
func nearDuplicateCVs(recs []Record, lc LinkConfig) map[[2]int]Shared {
	buckets := map[uint64][]int{}
	for i := range recs {
		for b, key := range bandKeys(recs[i].CVSignature) {
			k := key ^ uint64(b)<<56
			buckets[k] = append(buckets[k], i)
		}
	}
	out := map[[2]int]Shared{}
	for _, ids := range buckets {
		if len(ids) < 2 || len(ids) > 10*lc.MaxShared {
			continue // a boilerplate CV template shared by many: not evidence
		}
		for x := 0; x < len(ids); x++ {
			for y := x + 1; y < len(ids); y++ {
				p := [2]int{ids[x], ids[y]}
				if _, done := out[p]; done {
					continue
				}
				if s := Similarity(recs[p[0]].CVSignature, recs[p[1]].CVSignature); s >= lc.CVSimilarity {
					out[p] = Shared{Kind: "cv", Hint: "near-duplicate CV text", Similarity: s}
				}
			}
		}
	}
	return out
}

func (l *Links) find(i int) int {
	for l.parent[i] != i {
		l.parent[i] = l.parent[l.parent[i]]
		i = l.parent[i]
	}
	return i
}

func (l *Links) union(a, b int) {
	ra, rb := l.find(a), l.find(b)
	if ra != rb {
		if ra < rb {
			l.parent[rb] = ra
		} else {
			l.parent[ra] = rb
		}
	}
}

// Clusters returns every cluster of two or more records, as record ids,
// each sorted, the clusters in order of their first id.
func (l *Links) Clusters() [][]string {
	var out [][]string
	for _, m := range l.members {
		if len(m) > 1 {
			g := make([]string, len(m))
			for k, i := range m {
				g[k] = l.recs[i].ID
			}
			sort.Strings(g)
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Cluster is the cluster of one record: its members and every attribute
// any linked pair among them shares.
type Cluster struct {
	Members []ClusterMember `json:"members"`
	Shared  []Shared        `json:"shared"`
	// Persons is how many distinct people the members claim to be (by
	// name and date of birth).
	Persons int `json:"claimed_persons"`
}

// ClusterMember is one record of a cluster.
type ClusterMember struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"`
	Names     []string `json:"names"`
	Birthdate string   `json:"birthdate,omitempty"`
	Location  string   `json:"location,omitempty"`
}

// ClusterOf returns the cluster of the record id (just the record when
// nothing links it); ok is false for an unknown id.
func (l *Links) ClusterOf(id string) (c Cluster, ok bool) {
	i, ok := l.byID[id]
	if !ok {
		return c, false
	}
	members := l.members[l.parent[i]]
	persons := map[string]bool{}
	for _, j := range members {
		r := &l.recs[j]
		c.Members = append(c.Members, ClusterMember{ID: r.ID, Kind: r.Kind, Names: r.Names, Birthdate: r.Birthdate, Location: r.Location})
		persons[claimedPerson(r)] = true
	}
	c.Persons = len(persons)
	merged := map[string]*Shared{}
	var keys []string
	for x := 0; x < len(members); x++ {
		for y := x + 1; y < len(members); y++ {
			for _, s := range l.pairs[[2]int{members[x], members[y]}] {
				k := s.Kind + " " + s.Hash
				if s.Kind == "cv" {
					k = fmt.Sprintf("cv %d", len(keys))
				}
				m := merged[k]
				if m == nil {
					cp := s
					cp.Members = nil
					m = &cp
					merged[k] = m
					keys = append(keys, k)
				}
				for _, id := range []string{l.recs[members[x]].ID, l.recs[members[y]].ID} {
					if !slices.Contains(m.Members, id) {
						m.Members = append(m.Members, id)
					}
				}
			}
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		sort.Strings(merged[k].Members)
		c.Shared = append(c.Shared, *merged[k])
	}
	return c, true
}

// claimedPerson is who a record claims to be: its first name's tokens in
// order-free form and its date of birth.
func claimedPerson(r *Record) string {
	toks := strings.Fields(strings.ToLower(normalizeText(r.Names[0])))
	sort.Strings(toks)
	return strings.Join(toks, " ") + "|" + r.Birthdate
}
