package names

import "github.com/chainhound/chainhound/internal/intel"

// FromActors makes list entries of the sanctioned actors (those with
// SDN details) of an attribution store: individuals and entities, not
// vessels or aircraft, which no person or company is named after.
func FromActors(actors []intel.Actor) []Entry {
	var out []Entry
	for _, a := range actors {
		s := a.Sanctions
		if s == nil || (s.PartyType != "Individual" && s.PartyType != "Entity") {
			continue
		}
		out = append(out, Entry{
			ID: a.ID, Name: a.Label, Names: s.Names, Type: s.PartyType, Programs: s.Programs,
			Birthdates: s.Birthdates, Nationalities: s.Nationalities,
		})
	}
	return out
}
