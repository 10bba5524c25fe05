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
