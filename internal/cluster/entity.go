package cluster

// EntityOf returns the entity id of address id: the smallest address id
// of its entity. An address no transaction linked is its own entity. Safe
// for concurrent readers (finds compress paths, so they are serialised).
func (c *Clusterer) EntityOf(id uint64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entityOf(id)
}

func (c *Clusterer) entityOf(id uint64) uint64 {
	if id == 0 || id >= uint64(c.Forest.Len()) {
		return id
	}
	return uint64(c.Forest.Entity(uint32(id)))
}

// Members lists the address ids of entity e in increasing order, at most
// limit of them after the id after (0: from the start), and the total
// count. The first call builds a member index (each entity's members
// linked in a cycle, 4 bytes per address, one pass over the forest);
// later calls walk only the entity: O(members). A merge drops the index.
// Safe for concurrent readers.
func (c *Clusterer) Members(e, after uint64, limit int) (ids []uint64, total uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
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
	if f.Entity(uint32(e)) != uint32(e) {
		return nil, 0 // e is a member of another entity, not an entity id
	}
	if len(c.next) != f.Len() {
		c.buildMemberIndex()
	}
	x := uint32(e)
	for {
		total++
		if uint64(x) > after && len(ids) < limit {
			ids = append(ids, uint64(x))
		}
		if x = c.next[x]; x == uint32(e) {
			return ids, total
		}
	}
}

// buildMemberIndex links every entity's members in increasing id order,
// the last back to the first (the entity id, its smallest member).
func (c *Clusterer) buildMemberIndex() {
	f := c.Forest
	n := f.Len()
	next := make([]uint32, n)
	last := make([]uint32, n) // per root: the member linked last; 0 none yet
	for i := 1; i < n; i++ {
		r := f.Find(uint32(i))
		if l := last[r]; l != 0 {
			next[l] = uint32(i)
		}
		last[r] = uint32(i)
	}
	for r, l := range last {
		if l != 0 {
			next[l] = f.Entity(uint32(r))
		}
	}
	c.next = next
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
