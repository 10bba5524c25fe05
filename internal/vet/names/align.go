package names

// tokenSim is the similarity of two canonical tokens: 1 when equal; for
// Latin tokens longer than shortLen their Jaro-Winkler similarity when it
// reaches minJW (0 below: a different name, not a misspelling).
func tokenSim(a, b string) float64 {
	if a == b {
		return 1
	}
	if len(a) <= shortLen || len(b) <= shortLen || !isLatin(a) || !isLatin(b) {
		return 0
	}
	s := JaroWinkler(a, b)
	lim := minJW
	if min(len(a), len(b)) <= 5 {
		lim = minJWShort
	}
	if s < lim {
		return 0
	}
	return s
}

// Token similarity floors: below them two tokens are different names.
const (
	minJW      = 0.88
	minJWShort = 0.92 // tokens of 4 or 5 letters
	// minJoined is the floor for one token against two run together:
	// long strings score high on Jaro-Winkler by accident.
	minJoined = 0.95
)

// link is one token of one side aligned with one token, or two adjacent
// tokens run together, of the other.
type link struct {
	q0, q1, e0, e1 int // inclusive ranges
	sim            float64
}

// align scores query tokens q against list tokens e, with their weights:
// tokens are paired one to one (or one to two adjacent ones written as
// one word), greedily by similarity, and the score is the weighted share
// of both sides' tokens that found a partner, each pair counting by its
// similarity. Order does not matter; unmatched tokens on either side pull
// the score down by their weight.
func align(q, qp []string, qw []float64, e, ep []string, ew []float64) float64 {
	var buf [64]link
	links := buf[:0]
	for i := range q {
		for j := range e {
			if s := tokenSim(q[i], e[j]); s > 0 {
				links = append(links, link{i, i, j, j, s})
			}
			if j < len(ep) {
				if s := tokenSim(q[i], ep[j]); s >= minJoined {
					links = append(links, link{i, i, j, j + 1, s})
				}
			}
			if i < len(qp) {
				if s := tokenSim(qp[i], e[j]); s >= minJoined {
					links = append(links, link{i, i + 1, j, j, s})
				}
			}
		}
	}
	var usedQ, usedE uint64
	total := 0.0
	for _, w := range qw {
		total += w
	}
	for _, w := range ew {
		total += w
	}
	got := 0.0
	var chosen [64]int8 // list position of the pair of each query position, -1: none
	var ends [64]int8   // the pair's last list position
	for i := range chosen {
		chosen[i] = -1
	}
	for len(links) > 0 {
		best := 0
		for k := range links {
			if links[k].sim > links[best].sim {
				best = k
			}
		}
		l := links[best]
		links[best] = links[len(links)-1]
		links = links[:len(links)-1]
		mq, me := span(l.q0, l.q1), span(l.e0, l.e1)
		if usedQ&mq != 0 || usedE&me != 0 {
			continue
		}
		usedQ |= mq
		usedE |= me
		if l.q0 < len(chosen) {
			chosen[l.q0], ends[l.q0] = int8(min(l.e0, 127)), int8(min(l.e1, 127))
		}
		w := 0.0
		for i := l.q0; i <= l.q1; i++ {
			w += qw[i]
		}
		for j := l.e0; j <= l.e1; j++ {
			w += ew[j]
		}
		got += l.sim * w
	}
	if total == 0 {
		return 0
	}
	if n := min(len(q), len(chosen)); !rotation(chosen[:n], ends[:n], e) {
		got *= shuffled
	}
	return got / total
}

// shuffled scales the score of an alignment whose pairs are not in the
// same order on both sides up to a rotation. Moving the family name from
// first to last ("Jong Un Kim" = "Kim Jong Un") is a rotation; swapping
// the syllables of a given name is another name (Korean 이영수 "Lee
// Young-soo" is not 리수용 "Ri Su Yong"), so it scores below the default
// threshold even when every token matches.
const shuffled = 0.85

// rotation reports whether the list tokens paired with the query's tokens,
// read in the query's order, are those tokens in the list's order up to a
// rotation. Tokens are compared as written, so that of two equal list
// tokens either may be paired first ("Chang Ha Chang" is a rotation of
// "Chang Chang Ha").
func rotation(pos, ends []int8, e []string) bool {
	var qs, es [64]int8 // the pairs' first list positions in query and in list order
	n := 0
	for _, p := range pos {
		if p >= 0 {
			qs[n] = p
			n++
		}
	}
	if n < 3 {
		return true
	}
	m := 0
	for j := range e {
		for _, p := range qs[:n] {
			if int(p) == j {
				es[m] = p
				m++
			}
		}
	}
	end := func(p int8) int8 {
		for i, q := range pos {
			if q == p {
				return ends[i]
			}
		}
		return p
	}
	same := func(a, b int8) bool {
		ea, eb := end(a), end(b)
		if ea-a != eb-b {
			return false
		}
		for k := int8(0); k <= ea-a; k++ {
			if e[a+k] != e[b+k] {
				return false
			}
		}
		return true
	}
	for r := range n {
		ok := true
		for k := range n {
			if !same(qs[k], es[(k+r)%n]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func span(a, b int) uint64 {
	if b >= 63 {
		b = 63
	}
	var m uint64
	for i := a; i <= b; i++ {
		m |= 1 << uint(i)
	}
	return m
}
