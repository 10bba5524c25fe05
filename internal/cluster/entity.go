package cluster

// EntityOf returns the entity id of address id: the smallest address id
// of its entity. An address no transaction linked is its own entity.
func (c *Clusterer) EntityOf(id uint64) uint64 {
	if id == 0 || id >= uint64(c.Forest.Len()) {
		return id
	}
	return uint64(c.Forest.Entity(uint32(id)))
}

// Members lists the address ids of entity e in increasing order, at most
// limit of them after the id after (0: from the start), and the total
// count. It scans the whole forest: O(addresses).
func (c *Clusterer) Members(e, after uint64, limit int) (ids []uint64, total uint64) {
	f := c.Forest
	if e == 0 {
		return nil, 0
	}
	if e >= uint64(f.Len()) {
		if after < e && limit > 0 {
			ids = []uint64{e}
		}
		return ids, 1
	}
	root := f.Find(uint32(e))
	if f.Entity(uint32(e)) != uint32(e) {
		return nil, 0 // e is a member of another entity, not an entity id
	}
	for i := e; i < uint64(f.Len()); i++ {
		if f.Find(uint32(i)) != root {
			continue
		}
		total++
		if i > after && len(ids) < limit {
			ids = append(ids, i)
		}
	}
	return ids, total
}

// Summary describes the partition as a whole.
type Summary struct {
	IDs             uint64 // address ids the forest covers (the largest input id seen)
	Entities        uint64 // entities of two or more addresses
	Clustered       uint64 // addresses in those entities
	Largest         uint64 // members of the largest entity
	LargestID       uint64 // its entity id
	ForestBytes     int64  // memory of the union-find
	BytesPerAddress float64
}

// Summarize walks the forest once, counting entity sizes in a scratch
// array of 4 bytes per id.
func (c *Clusterer) Summarize() Summary {
	f := c.Forest
	s := Summary{ForestBytes: f.Bytes()}
	if f.Len() <= 1 {
		return s
	}
	s.IDs = uint64(f.Len() - 1)
	s.BytesPerAddress = float64(f.Bytes()) / float64(f.Len())
	size := make([]uint32, f.Len())
	for i := 1; i < f.Len(); i++ {
		size[f.Find(uint32(i))]++
	}
	for r, n := range size {
		if n < 2 {
			continue
		}
		s.Entities++
		s.Clustered += uint64(n)
		if uint64(n) > s.Largest {
			s.Largest, s.LargestID = uint64(n), uint64(f.Entity(uint32(r)))
		}
	}
	return s
}
