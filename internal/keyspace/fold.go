package keyspace

// The engine keeps, per shard and per origin, the unstable effects of the
// shard's entries in Seq order (one FoldRef each), so that compaction visits
// only the entries whose history gained a stable effect since the last pass,
// instead of every entry with history.

// FoldRef names an entry that holds an unstable effect of an origin.
type FoldRef struct {
	Ent *Entry
	Seq uint64
}

// FoldQueue is one origin's FoldRefs of a shard, in Seq order from Head.
type FoldQueue struct {
	Node  uint64
	Items []FoldRef
	Head  int
}

// NoteFold records that e holds the effect (node, seq).
func (s *Shard) NoteFold(node, seq uint64, e *Entry) {
	for i := range s.Fold {
		if q := &s.Fold[i]; q.Node == node {
			q.Items = append(q.Items, FoldRef{Ent: e, Seq: seq})
			return
		}
	}
	s.Fold = append(s.Fold, FoldQueue{Node: node, Items: []FoldRef{{Ent: e, Seq: seq}}})
}

// Advance drops the first n items of q from view, and reclaims their room
// once they are half of it.
func (q *FoldQueue) Advance(n int) {
	for i := q.Head; i < q.Head+n; i++ {
		q.Items[i] = FoldRef{}
	}
	q.Head += n
	if q.Head == len(q.Items) {
		q.Items, q.Head = q.Items[:0], 0
		if cap(q.Items) > 256 {
			q.Items = nil
		}
	} else if q.Head > len(q.Items)/2 && q.Head > 64 {
		q.Items = append(q.Items[:0], q.Items[q.Head:]...)
		q.Head = 0
	}
}
