package crdt

import "sort"

// StreamGroup is a consumer group: its last delivered ID and read counter,
// its pending entries list (PEL: entries delivered and not acknowledged)
// and its consumers.
type StreamGroup struct {
	Name        string
	LastID      StreamID
	EntriesRead int64 // -1: unknown (Redis' SCG_INVALID_ENTRIES_READ)
	pel         streamPEL
	consumers   []*StreamConsumer // by name
}

// StreamNACK is one pending entry.
type StreamNACK struct {
	ID            StreamID
	Consumer      *StreamConsumer
	DeliveryTime  int64 // Unix ms
	DeliveryCount uint64
}

// StreamConsumer is a consumer of a group. Its own PEL is the group's
// entries whose NACK names it: ids holds them ascending, possibly with
// stale IDs (acknowledged or claimed since), skipped when read.
type StreamConsumer struct {
	Name     string
	SeenTime int64 // Unix ms
	ids      []StreamID
	pending  int
}

// Pending is the number of entries pending for the consumer.
func (c *StreamConsumer) Pending() int { return c.pending }

// streamPEL: NACKs by ID, and the IDs in order (with stale ones, dropped
// when they outnumber the live).
type streamPEL struct {
	ids []StreamID
	m   map[StreamID]*StreamNACK
}

func searchIDs(ids []StreamID, id StreamID) int {
	return sort.Search(len(ids), func(i int) bool { return !ids[i].Less(id) })
}

// insertID adds id to an ascending slice unless it is there.
func insertID(ids []StreamID, id StreamID) []StreamID {
	if n := len(ids); n == 0 || ids[n-1].Less(id) {
		return append(ids, id)
	}
	i := searchIDs(ids, id)
	if i < len(ids) && ids[i] == id {
		return ids
	}
	ids = append(ids, StreamID{})
	copy(ids[i+1:], ids[i:])
	ids[i] = id
	return ids
}

func (p *streamPEL) get(id StreamID) *StreamNACK { return p.m[id] }

func (p *streamPEL) len() int { return len(p.m) }

func (p *streamPEL) put(n *StreamNACK) {
	if p.m == nil {
		p.m = map[StreamID]*StreamNACK{}
	}
	p.m[n.ID] = n
	p.ids = insertID(p.ids, n.ID)
}

func (p *streamPEL) del(id StreamID) {
	delete(p.m, id)
	if stale := len(p.ids) - len(p.m); stale > 32 && stale > len(p.m) {
		out := p.ids[:0]
		for _, x := range p.ids {
			if _, ok := p.m[x]; ok {
				out = append(out, x)
			}
		}
		p.ids = out
	}
}

// each calls fn for the NACKs with start <= ID <= end, ascending (or
// descending), until fn returns false.
func (p *streamPEL) each(start, end StreamID, rev bool, fn func(n *StreamNACK) bool) {
	if end.Less(start) {
		return
	}
	if !rev {
		for i := searchIDs(p.ids, start); i < len(p.ids); i++ {
			id := p.ids[i]
			if end.Less(id) {
				return
			}
			if n := p.m[id]; n != nil && !fn(n) {
				return
			}
		}
		return
	}
	i := searchIDs(p.ids, end)
	if i == len(p.ids) || end.Less(p.ids[i]) {
		i--
	}
	for ; i >= 0; i-- {
		id := p.ids[i]
		if id.Less(start) {
			return
		}
		if n := p.m[id]; n != nil && !fn(n) {
			return
		}
	}
}

// ---- group ----

// Pending is the number of pending entries.
func (g *StreamGroup) Pending() int { return g.pel.len() }

// NACK returns the pending entry id, nil when it is not pending.
func (g *StreamGroup) NACK(id StreamID) *StreamNACK { return g.pel.get(id) }

// EachPending calls fn for the group's pending entries with start <= ID <=
// end in order (descending with rev) until fn returns false.
func (g *StreamGroup) EachPending(start, end StreamID, rev bool, fn func(n *StreamNACK) bool) {
	g.pel.each(start, end, rev, fn)
}

// EachConsumerPending is EachPending for one consumer's entries.
func (g *StreamGroup) EachConsumerPending(c *StreamConsumer, start, end StreamID, fn func(n *StreamNACK) bool) {
	if end.Less(start) {
		return
	}
	for i := searchIDs(c.ids, start); i < len(c.ids); i++ {
		id := c.ids[i]
		if end.Less(id) {
			return
		}
		if n := g.pel.get(id); n != nil && n.Consumer == c && !fn(n) {
			return
		}
	}
}

// Consumers are the group's consumers by name.
func (g *StreamGroup) Consumers() []*StreamConsumer { return g.consumers }

// Consumer returns the consumer name, nil when none.
func (g *StreamGroup) Consumer(name []byte) *StreamConsumer {
	i := sort.Search(len(g.consumers), func(i int) bool { return g.consumers[i].Name >= string(name) })
	if i < len(g.consumers) && g.consumers[i].Name == string(name) {
		return g.consumers[i]
	}
	return nil
}

// addConsumer creates a consumer (or refreshes its seen time).
func (g *StreamGroup) addConsumer(name []byte, seen int64) *StreamConsumer {
	i := sort.Search(len(g.consumers), func(i int) bool { return g.consumers[i].Name >= string(name) })
	if i < len(g.consumers) && g.consumers[i].Name == string(name) {
		g.consumers[i].SeenTime = seen
		return g.consumers[i]
	}
	c := &StreamConsumer{Name: string(name), SeenTime: seen}
	g.consumers = append(g.consumers, nil)
	copy(g.consumers[i+1:], g.consumers[i:])
	g.consumers[i] = c
	return c
}

// delConsumer removes a consumer and its pending entries.
func (g *StreamGroup) delConsumer(name []byte) {
	i := sort.Search(len(g.consumers), func(i int) bool { return g.consumers[i].Name >= string(name) })
	if i == len(g.consumers) || g.consumers[i].Name != string(name) {
		return
	}
	c := g.consumers[i]
	for _, id := range c.ids {
		if n := g.pel.get(id); n != nil && n.Consumer == c {
			g.pel.del(id)
		}
	}
	copy(g.consumers[i:], g.consumers[i+1:])
	g.consumers[len(g.consumers)-1] = nil
	g.consumers = g.consumers[:len(g.consumers)-1]
}

// setNACK makes id pending for consumer c with the given delivery data.
func (g *StreamGroup) setNACK(id StreamID, c *StreamConsumer, at int64, count uint64) {
	n := g.pel.get(id)
	if n == nil {
		n = &StreamNACK{ID: id}
		g.pel.put(n)
	} else if n.Consumer != c {
		n.Consumer.unref(g)
	}
	if n.Consumer != c {
		n.Consumer = c
		c.ids = insertID(c.ids, id)
		c.pending++
	}
	n.DeliveryTime, n.DeliveryCount = at, count
}

// delNACK acknowledges id.
func (g *StreamGroup) delNACK(id StreamID) bool {
	n := g.pel.get(id)
	if n == nil {
		return false
	}
	g.pel.del(id)
	n.Consumer.unref(g)
	return true
}

// unref notes that one of the consumer's entries left it, and drops stale
// IDs when they outnumber the live.
func (c *StreamConsumer) unref(g *StreamGroup) {
	c.pending--
	if stale := len(c.ids) - c.pending; stale > 32 && stale > c.pending {
		out := c.ids[:0]
		for _, id := range c.ids {
			if n := g.pel.get(id); n != nil && n.Consumer == c {
				out = append(out, id)
			}
		}
		c.ids = out
	}
}

// Groups are the stream's consumer groups by name.
func (s *Stream) Groups() []*StreamGroup { return s.groups }

// Group returns the group name, nil when none.
func (s *Stream) Group(name []byte) *StreamGroup {
	i := sort.Search(len(s.groups), func(i int) bool { return s.groups[i].Name >= string(name) })
	if i < len(s.groups) && s.groups[i].Name == string(name) {
		return s.groups[i]
	}
	return nil
}

func (s *Stream) addGroup(name []byte, last StreamID, read int64) *StreamGroup {
	i := sort.Search(len(s.groups), func(i int) bool { return s.groups[i].Name >= string(name) })
	if i < len(s.groups) && s.groups[i].Name == string(name) {
		g := s.groups[i]
		g.LastID, g.EntriesRead = last, read
		return g
	}
	g := &StreamGroup{Name: string(name), LastID: last, EntriesRead: read}
	s.groups = append(s.groups, nil)
	copy(s.groups[i+1:], s.groups[i:])
	s.groups[i] = g
	return g
}

func (s *Stream) delGroup(name []byte) {
	i := sort.Search(len(s.groups), func(i int) bool { return s.groups[i].Name >= string(name) })
	if i < len(s.groups) && s.groups[i].Name == string(name) {
		copy(s.groups[i:], s.groups[i+1:])
		s.groups[len(s.groups)-1] = nil
		s.groups = s.groups[:len(s.groups)-1]
	}
}

// cloneGroup deep-copies a group.
func cloneGroup(g *StreamGroup) *StreamGroup {
	c := &StreamGroup{Name: g.Name, LastID: g.LastID, EntriesRead: g.EntriesRead}
	cm := make(map[*StreamConsumer]*StreamConsumer, len(g.consumers))
	c.consumers = make([]*StreamConsumer, len(g.consumers))
	for i, x := range g.consumers {
		y := &StreamConsumer{Name: x.Name, SeenTime: x.SeenTime}
		c.consumers[i] = y
		cm[x] = y
	}
	g.pel.each(StreamID{}, StreamIDMax, false, func(n *StreamNACK) bool {
		y := cm[n.Consumer]
		c.pel.put(&StreamNACK{ID: n.ID, Consumer: y, DeliveryTime: n.DeliveryTime, DeliveryCount: n.DeliveryCount})
		y.ids = append(y.ids, n.ID)
		y.pending++
		return true
	})
	return c
}
