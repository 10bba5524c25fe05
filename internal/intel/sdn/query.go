package sdn

import (
	"slices"
	"strings"

	"github.com/chainhound/chainhound/internal/intel"
)

// Query selects sanctioned parties by program and relationship, the way
// analysts cut the list ("everything DPRK, and whoever works for Lazarus").
type Query struct {
	// ProgramPrefix matches parties with a program starting with it
	// ("DPRK" matches DPRK, DPRK2, DPRK3, DPRK4, DPRK-NKSPEA).
	ProgramPrefix string
	// LinkedTo lists anchor parties by uid: an anchor matches, and so does
	// every party with a relationship to one (the list's ProfileRelationship
	// from that party to the anchor).
	LinkedTo []int
	// LinkedToProgram also matches every party with a relationship to a
	// party that ProgramPrefix matches.
	LinkedToProgram bool
}

// DPRKQuery is the rule of the DPRK subset published beside the
// 2025-11-19 list in ofac-brave: a DPRK program, or LAZARUS GROUP (27307)
// itself, or linked to it by a relationship.
func DPRKQuery() Query { return Query{ProgramPrefix: "DPRK", LinkedTo: []int{27307}} }

// Match is a party a query selected and why.
type Match struct {
	Actor *intel.Actor
	// Reasons, in this order: "program:<P>" per matching program,
	// "is:<NAME>" for an anchor, "linked_to:<NAME>" per relationship that
	// matched, names upper-case as in OFAC's legacy list.
	Reasons []string
}

// Select returns the parties among actors that q matches, in their order.
// Actors without Sanctions are ignored.
func Select(actors []intel.Actor, q Query) []Match {
	inProgram := map[int]bool{}
	for _, a := range actors {
		if a.Sanctions != nil && len(q.programs(a.Sanctions)) > 0 {
			inProgram[a.Sanctions.UID] = true
		}
	}
	var out []Match
	for i := range actors {
		s := actors[i].Sanctions
		if s == nil {
			continue
		}
		var why []string
		for _, p := range q.programs(s) {
			why = append(why, "program:"+p)
		}
		if slices.Contains(q.LinkedTo, s.UID) {
			why = append(why, "is:"+strings.ToUpper(s.Names[0]))
		}
		for _, r := range s.Relations {
			if slices.Contains(q.LinkedTo, r.UID) || (q.LinkedToProgram && inProgram[r.UID]) {
				why = append(why, "linked_to:"+strings.ToUpper(r.Name))
			}
		}
		if len(why) > 0 {
			out = append(out, Match{Actor: &actors[i], Reasons: why})
		}
	}
	return out
}

func (q Query) programs(s *intel.Sanctioned) []string {
	var ps []string
	for _, p := range s.Programs {
		if q.ProgramPrefix != "" && strings.HasPrefix(p, q.ProgramPrefix) {
			ps = append(ps, p)
		}
	}
	return ps
}
