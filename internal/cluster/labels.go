package cluster

import (
	"cmp"
	"slices"
)

// TagRef is a cluster-defining tag (an exchange's, a mixer's...) on an
// address id: the name it gives its entity.
type TagRef struct {
	ID       uint64
	Address  string
	Name     string // the tag's actor when it names one, else its label
	Category string
}

// Label is one name an entity's cluster-defining tags give it, with the
// members that carry it.
type Label struct {
	Name      string   `json:"name"`
	Category  string   `json:"category,omitempty"`
	Addresses []string `json:"addresses"`
}

// LiftTags lifts cluster-defining tags to the entities of their
// addresses: for each entity holding one, the distinct names, sorted. An
// entity with two or more names is a conflict; which name is right is not
// decided here, so both are reported.
func (c *Clusterer) LiftTags(refs []TagRef) map[uint64][]Label {
	out := map[uint64][]Label{}
	for _, r := range refs {
		e := c.EntityOf(r.ID)
		ls := out[e]
		i := slices.IndexFunc(ls, func(l Label) bool { return l.Name == r.Name })
		if i < 0 {
			ls = append(ls, Label{Name: r.Name, Category: r.Category})
			i = len(ls) - 1
		}
		if !slices.Contains(ls[i].Addresses, r.Address) {
			ls[i].Addresses = append(ls[i].Addresses, r.Address)
		}
		out[e] = ls
	}
	for _, ls := range out {
		slices.SortFunc(ls, func(a, b Label) int { return cmp.Compare(a.Name, b.Name) })
		for _, l := range ls {
			slices.Sort(l.Addresses)
		}
	}
	return out
}
