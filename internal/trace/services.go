package trace

import (
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
)

// IntelServices attributes addresses of one chain from the attribution
// store's index: an address is a service when one of its tags has an exit
// category. Of several such tags, the one whose category comes first in
// the policy's list names it.
type IntelServices struct {
	Index      *intel.Index
	CAIP2      string
	Categories []string // exit categories, in order of precedence
	Freezing   []string // categories whose venues can freeze deposits
	cache      map[chain.Address]*Service
	listed     map[chain.Chain][]chain.Address
}

// ServiceAddresses implements ServiceLister: the addresses on the index's
// chain CAIP2 (taken to be c) that have a tag of an exit category.
func (s *IntelServices) ServiceAddresses(c chain.Chain) ([]chain.Address, bool) {
	if out, ok := s.listed[c]; ok {
		return out, true
	}
	var out []chain.Address
	for _, raw := range s.Index.Addresses(s.CAIP2) {
		a, err := chain.ParseAddress(c, raw)
		if err != nil {
			continue // not an address of c, so no trace on c reaches it
		}
		if _, ok := s.Service(a); ok {
			out = append(out, a)
		}
	}
	if s.listed == nil {
		s.listed = map[chain.Chain][]chain.Address{}
	}
	s.listed[c] = out
	return out, true
}

// Service implements Services.
func (s *IntelServices) Service(a chain.Address) (Service, bool) {
	if s.cache == nil {
		s.cache = map[chain.Address]*Service{}
	}
	if v, ok := s.cache[a]; ok {
		if v == nil {
			return Service{}, false
		}
		return *v, true
	}
	var best *Service
	rank := len(s.Categories)
	for _, t := range s.Index.Tags(intel.Account(s.CAIP2, a.String())) {
		if r := slices.Index(s.Categories, t.Category); r >= 0 && r < rank {
			rank = r
			best = &Service{Name: t.Label, Actor: t.Actor, Category: t.Category, Source: t.Source,
				CanFreeze: slices.Contains(s.Freezing, t.Category)}
		}
	}
	s.cache[a] = best
	if best == nil {
		return Service{}, false
	}
	return *best, true
}
