package crdt

// ---- trimming ----

// StreamTrim is a trimming request: XTRIM's or XADD's MAXLEN / MINID.
type StreamTrim struct {
	MinID  bool     // MINID strategy (else MAXLEN)
	MaxLen uint64   // MAXLEN threshold
	ID     StreamID // MINID threshold
	Approx bool     // ~
	Limit  int64    // 0: none
}

// TrimPlan is what a trim does to the node layout: drop the first Nodes
// nodes, then in the next node mark the live entries up to MarkUpTo deleted
// (Marked of them). Removed counts the live entries it removes and Bound is
// the largest of them: the effect's observed-remove bound.
type TrimPlan struct {
	Nodes    int
	Marked   int
	MarkUpTo StreamID
	Removed  int64
	Bound    StreamID
}

// Changes reports whether the plan changes anything.
func (p *TrimPlan) Changes() bool { return p.Nodes > 0 || p.Marked > 0 }

// PlanTrim computes, without changing anything, what trimming does, as
// Redis' streamTrim does it. With pending set, the plan is for the stream
// after appending an entry with that ID (and fields and values of total
// length pendLen).
func (s *Stream) PlanTrim(t StreamTrim, pending *StreamID, pendLen int) TrimPlan {
	var plan TrimPlan
	length := s.length
	nodes := len(s.nodes)
	pendNew := false // the pending entry starts a node of its own
	if pending != nil {
		length++
		if nodes == 0 || needNewNode(s.nodes[nodes-1], pendLen) {
			pendNew = true
			nodes++
		}
	}
	var deleted int64
	for i := 0; i < nodes; i++ {
		if !t.MinID && length <= t.MaxLen {
			break
		}
		var n *streamNode
		pendHere := false
		if i < len(s.nodes) {
			n = s.nodes[i]
			pendHere = pending != nil && !pendNew && i == len(s.nodes)-1
		} else {
			pendHere = true
		}
		var entries int64
		if n != nil {
			entries = n.count()
		}
		if pendHere {
			entries++
		}
		if t.Limit > 0 && deleted+entries > t.Limit {
			break
		}
		var remove bool
		if !t.MinID {
			remove = length-uint64(entries) >= t.MaxLen
		} else {
			var last StreamID
			if pendHere {
				last = *pending
			} else {
				last = n.rawLast()
			}
			remove = last.Less(t.ID)
		}
		if remove {
			plan.Nodes++
			length -= uint64(entries)
			deleted += entries
			if pendHere {
				plan.Bound = *pending
			} else if id, ok := n.lastLive(); ok {
				plan.Bound = id
			}
			continue
		}
		if t.Approx {
			break
		}
		// mark entries within this node
		visit := func(id StreamID, live bool) bool {
			var stop bool
			if !t.MinID {
				stop = length <= t.MaxLen
			} else {
				stop = !id.Less(t.ID)
			}
			if stop {
				return false
			}
			if live {
				plan.Marked++
				plan.MarkUpTo = id
				plan.Bound = id
				length--
				deleted++
			}
			return true
		}
		goOn := true
		if n != nil {
			_, _, nmf, _, off := nodeMaster(n.lp)
			for off < len(n.lp)-1 && goOn {
				p := n.parseEntry(off, nmf)
				off = p.end
				goOn = visit(p.id, !p.deleted())
			}
		}
		if goOn && pendHere {
			visit(*pending, true)
		}
		break
	}
	plan.Removed = deleted
	return plan
}

// execTrim carries out a plan made on this very layout.
func (s *Stream) execTrim(plan *TrimPlan) {
	k := plan.Nodes
	if k > len(s.nodes) {
		k = len(s.nodes)
	}
	for _, n := range s.nodes[:k] {
		s.length -= uint64(n.count())
	}
	if k > 0 {
		copy(s.nodes, s.nodes[k:])
		for j := len(s.nodes) - k; j < len(s.nodes); j++ {
			s.nodes[j] = nil
		}
		s.nodes = s.nodes[:len(s.nodes)-k]
	}
	if plan.Marked == 0 || len(s.nodes) == 0 {
		return
	}
	n := s.nodes[0]
	count, deleted, nmf, _, off := nodeMaster(n.lp)
	marked := int64(0)
	for off < len(n.lp)-1 && marked < int64(plan.Marked) {
		p := n.parseEntry(off, nmf)
		off = p.end
		if !p.deleted() {
			n.markDeleted(&p)
			marked++
		}
	}
	n.setCounts(count-marked, deleted+marked)
	s.length -= uint64(marked)
}

// markUpTo marks the live entries of n up to bound deleted (the node stays,
// even when none is left: Redis' trim does the same).
func (s *Stream) markUpTo(n *streamNode, bound StreamID) {
	count, deleted, nmf, _, off := nodeMaster(n.lp)
	marked := int64(0)
	for off < len(n.lp)-1 {
		p := n.parseEntry(off, nmf)
		off = p.end
		if p.deleted() {
			continue
		}
		if bound.Less(p.id) {
			break
		}
		n.markDeleted(&p)
		marked++
	}
	n.setCounts(count-marked, deleted+marked)
	s.length -= uint64(marked)
}

// trimUpTo removes every live entry with ID <= bound: the cluster form of a
// trim (whole nodes when all their live entries go, else marks).
func (s *Stream) trimUpTo(bound StreamID) {
	for len(s.nodes) > 0 {
		n := s.nodes[0]
		last, ok := n.lastLive()
		if !ok || !bound.Less(last) {
			s.length -= uint64(n.count())
			s.removeNode(0)
			continue
		}
		if !bound.Less(n.master) {
			s.markUpTo(n, bound)
		}
		return
	}
}

// ---- Redis' consumer-group counters ----

// RangeHasTombstones reports whether an entry was deleted (XDEL) at or
// after start (Redis' streamRangeHasTombstones with no end).
func (s *Stream) RangeHasTombstones(start StreamID) bool {
	if s.length == 0 || s.maxDeleted.IsZero() {
		return false
	}
	if s.maxDeleted.Less(s.firstID) {
		return false
	}
	return !s.maxDeleted.Less(start)
}

// EstimateDistance is the logical read counter of id: the number of entries
// from the first ever added up to id (Redis'
// streamEstimateDistanceFromFirstEverEntry); ok is false when it cannot be
// known.
func (s *Stream) EstimateDistance(id StreamID) (int64, bool) {
	if s.entriesAdded == 0 {
		return 0, true
	}
	if s.length == 0 && id.Cmp(s.lastID) < 1 {
		return int64(s.entriesAdded), true
	}
	switch id.Cmp(s.lastID) {
	case 0:
		return int64(s.entriesAdded), true
	case 1:
		return 0, false
	}
	first := s.firstID
	if s.maxDeleted.IsZero() || s.maxDeleted.Less(first) {
		switch id.Cmp(first) {
		case -1:
			return int64(s.entriesAdded - s.length), true
		case 0:
			return int64(s.entriesAdded - s.length + 1), true
		}
	}
	return 0, false
}

// Lag is a group's lag (XINFO); ok is false when it cannot be known.
func (s *Stream) Lag(g *StreamGroup) (int64, bool) {
	if s.entriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead >= 0 && !s.RangeHasTombstones(g.LastID) {
		return int64(s.entriesAdded) - g.EntriesRead, true
	}
	if r, ok := s.EstimateDistance(g.LastID); ok {
		return int64(s.entriesAdded) - r, true
	}
	return 0, false
}

// ---- radix tree shape ----

// RaxNodes is the number of nodes of the radix tree Redis holds for the
// node keys (XINFO STREAM radix-tree-nodes).
func (s *Stream) RaxNodes() int {
	keys := make([][16]byte, len(s.nodes))
	for i, n := range s.nodes {
		keys[i] = n.master.Key()
	}
	return raxCount(keys)
}

// raxCount counts the nodes of a compressed radix tree holding sorted,
// distinct 16-byte keys: the root, a node after every single-child chain
// (a branching point or a key), and every child of a branching point.
func raxCount(keys [][16]byte) int {
	if len(keys) == 0 {
		return 1
	}
	var count func(lo, hi, depth int) int
	count = func(lo, hi, depth int) int {
		n := 1
		d := depth
		for d < 16 && keys[lo][d] == keys[hi-1][d] {
			d++
		}
		if d > depth {
			n++
		}
		if d == 16 {
			return n
		}
		for i := lo; i < hi; {
			j := i
			for j < hi && keys[j][d] == keys[i][d] {
				j++
			}
			n += count(i, j, d+1)
			i = j
		}
		return n
	}
	return count(0, len(keys), 0)
}

// AdvanceRead moves a group's position (last delivered ID and read counter,
// -1 unknown) past entry id as Redis' XREADGROUP does when it delivers id.
func (s *Stream) AdvanceRead(last StreamID, read int64, id StreamID) (StreamID, int64) {
	if !last.Less(id) {
		return last, read
	}
	if read != -1 && !s.RangeHasTombstones(id) {
		read++
	} else if s.entriesAdded != 0 {
		if v, ok := s.EstimateDistance(id); ok {
			read = v
		} else {
			read = -1
		}
	}
	return id, read
}
