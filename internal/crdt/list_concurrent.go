package crdt

import "github.com/lightconedb/lightcone/internal/effect"

// ApplyConcurrent implements Commuter for pushes and pops by identity, the
// effects of LPUSH, RPUSH, LPOP, RPOP, LMOVE and their blocking forms.
//
// Replayed in stamp order (list_merge.go), a head push goes right after the
// head, so it ends up behind the elements that head pushes stamped after it
// put there, and in front of everything else; a tail push likewise before
// the tail pushes stamped after it. A pop names the elements it took: it
// removes them wherever they are, and nothing it did not observe. So when
// every later effect is a push or a pop by identity, e applies to the
// merged value by placing its elements behind the leading (or trailing)
// run of elements that later pushes created at that end, and by removing
// the elements it names.
func (t listType) ApplyConcurrent(obj Object, e *effect.Effect, later []Later, c Ctx) (Object, bool) {
	l, _ := obj.(*List)
	if l == nil || !l.ids || l.n == 0 || !listWellFormed(e.Value) || t.Class(e) == 0 {
		return nil, false
	}
	// Effects of one origin are stamped in Seq order, and everything folded
	// into the base was stamped before every live effect: an element was
	// created by a later effect iff its Seq reaches the first Seq of its
	// origin among them. Pushes at the other end are told apart by name.
	var lt laterSet
	headPush, tailPush := false, false
	onlyPushPopByID(e.Value, &headPush, &tailPush)
	var heads, tails []effect.ID // later effects that pushed at the head, the tail
	for i := range later {
		x := &later[i]
		cl := x.Class
		if cl&listPlain == 0 {
			return nil, false
		}
		lt.note(x.ID)
		// a head push needs to know the later tail pushers, and conversely
		if cl&listHead != 0 && tailPush {
			heads = append(heads, x.ID)
		}
		if cl&listTail != 0 && headPush {
			tails = append(tails, x.ID)
		}
	}
	// The runs of later-created elements at each end, computed once: e's
	// own elements are not later-created, so inserting one behind a run
	// leaves both runs as they were, unless the run was the whole list
	// (then the other end's run now stops at it). A pop may remove the
	// element a run stopped at: both are computed again after one.
	headRun, tailRun := -1, -1
	newID := (&elemIDs{e: e}).next
	var ids []ElemID
	d := NewDec(e.Value)
	for !d.Done() {
		switch op := d.Byte(); op {
		case lopPushHead, lopPushTail:
			k := d.Count()
			for i := 0; i < k; i++ {
				v := d.Bytes()
				id := newID()
				var at int
				if op == lopPushHead {
					if headRun < 0 {
						run, ok := l.runOf(&lt, tails, false)
						if !ok {
							return nil, false
						}
						headRun = run
					}
					at = headRun
				} else {
					if tailRun < 0 {
						run, ok := l.runOf(&lt, heads, true)
						if !ok {
							return nil, false
						}
						tailRun = run
					}
					at = l.n - tailRun
				}
				if at == l.n || at == 0 {
					// the run was the whole list (or empty at the tail):
					// recompute the other end's run next time
					if op == lopPushHead {
						tailRun = -1
					} else {
						headRun = -1
					}
				}
				if at == l.n {
					l.pushTail(v, id)
				} else {
					l.insertAt(at, false, v, id)
				}
			}
		case lopPopHeadID, lopPopTailID:
			ids = ids[:0]
			readIDRuns(&d, listPopCount(&d, op), func(id ElemID) { ids = append(ids, id) })
			l.removeIDsFrom(ids, op == lopPopTailID)
			headRun, tailRun = -1, -1
		}
	}
	if l.n == 0 {
		return nil, true
	}
	return l, true
}

// List effect classes (Commuter.Class).
const (
	listPlain uint8 = 1 << iota // pushes and pops by identity only
	listHead                    // it pushes at the head
	listTail                    // it pushes at the tail
)

// Class implements Commuter.
func (listType) Class(e *effect.Effect) uint8 {
	var head, tail bool
	if e.Flags&effect.FlagReplace != 0 || !onlyPushPopByID(e.Value, &head, &tail) {
		return 0
	}
	cl := listPlain
	if head {
		cl |= listHead
	}
	if tail {
		cl |= listTail
	}
	return cl
}

// onlyPushPopByID reports whether a list payload holds only pushes and pops
// by identity, and (when asked) whether it pushes at the head or the tail.
func onlyPushPopByID(b []byte, head, tail *bool) bool {
	d := NewDec(b)
	for !d.Done() {
		switch op := d.Byte(); op {
		case lopPushHead, lopPushTail:
			if op == lopPushHead && head != nil {
				*head = true
			}
			if op == lopPushTail && tail != nil {
				*tail = true
			}
			for k := d.Count(); k > 0 && !d.Err; k-- {
				d.Bytes()
			}
		case lopPopHeadID, lopPopTailID:
			readIDRuns(&d, listPopCount(&d, op), nil)
		default:
			return false
		}
	}
	return !d.Err
}

// laterSet tells whether an element was created by a later effect: per
// origin, the first Seq among the later effects.
type laterSet struct {
	node  [8]effect.NodeID
	first [8]uint64
	n     int
	more  map[effect.NodeID]uint64
}

func (s *laterSet) note(id effect.ID) {
	for i := 0; i < s.n; i++ {
		if s.node[i] == id.Node {
			s.first[i] = min(s.first[i], id.Seq)
			return
		}
	}
	if s.n < len(s.node) {
		s.node[s.n], s.first[s.n] = id.Node, id.Seq
		s.n++
		return
	}
	if s.more == nil {
		s.more = map[effect.NodeID]uint64{}
	}
	if f, ok := s.more[id.Node]; !ok || id.Seq < f {
		s.more[id.Node] = id.Seq
	}
}

func (s *laterSet) has(id ElemID) bool {
	for i := 0; i < s.n; i++ {
		if s.node[i] == id.Node {
			return id.Seq >= s.first[i]
		}
	}
	if f, ok := s.more[id.Node]; ok {
		return id.Seq >= f
	}
	return false
}

// runOf counts the elements at the head (or the tail) that later effects
// created, up to the first that no later effect created. It reports false
// when one of them was pushed at the other end (other names those effects):
// the list was empty then, and where the new element goes takes a merge.
func (l *List) runOf(lt *laterSet, other []effect.ID, fromTail bool) (int, bool) {
	if lt.n == 0 {
		return 0, true
	}
	var otherSet map[effect.ID]bool
	if len(other) > 8 {
		otherSet = make(map[effect.ID]bool, len(other))
		for _, o := range other {
			otherSet[o] = true
		}
	}
	check := func(id ElemID) (later, ok bool) {
		if !lt.has(id) {
			return false, true
		}
		x := id.Effect()
		if otherSet != nil {
			return true, !otherSet[x]
		}
		for _, o := range other {
			if o == x {
				return true, false
			}
		}
		return true, true
	}
	n, ok := 0, true
	l.walkIDs(fromTail, func(id ElemID) bool {
		later, fine := check(id)
		if !fine {
			ok = false
			return false
		}
		if !later {
			return false
		}
		n++
		return true
	})
	if !ok {
		return 0, false
	}
	return n, true
}

// walkIDs calls fn with the identities of the elements from the head (or
// the tail) until fn returns false.
func (l *List) walkIDs(fromTail bool, fn func(ElemID) bool) {
	if !fromTail {
		for ni := 0; ni < l.nn; ni++ {
			for _, id := range l.node(ni).ids {
				if !fn(id) {
					return
				}
			}
		}
		return
	}
	for ni := l.nn - 1; ni >= 0; ni-- {
		ids := l.node(ni).ids
		for k := len(ids) - 1; k >= 0; k-- {
			if !fn(ids[k]) {
				return
			}
		}
	}
}

// removeIDsFrom removes the elements with the given identities that are
// present, searching from the head (or the tail) and stopping once all are
// found: a pop's elements are near the end it popped from.
func (l *List) removeIDsFrom(ids []ElemID, fromTail bool) {
	if len(ids) == 0 {
		return
	}
	left := len(ids)
	var idx []int
	match := func(x ElemID) bool {
		for _, id := range ids {
			if id == x {
				return true
			}
		}
		return false
	}
	if !fromTail {
		base := 0
		for ni := 0; ni < l.nn && left > 0; ni++ {
			nd := l.node(ni)
			for k, x := range nd.ids {
				if match(x) {
					idx = append(idx, base+k)
					if left--; left == 0 {
						break
					}
				}
			}
			base += int(nd.n)
		}
	} else {
		base := l.n
		for ni := l.nn - 1; ni >= 0 && left > 0; ni-- {
			nd := l.node(ni)
			base -= int(nd.n)
			for k := len(nd.ids) - 1; k >= 0; k-- {
				if match(nd.ids[k]) {
					idx = append(idx, base+k)
					if left--; left == 0 {
						break
					}
				}
			}
		}
		for i, j := 0, len(idx)-1; i < j; i, j = i+1, j-1 {
			idx[i], idx[j] = idx[j], idx[i]
		}
	}
	l.removeAt(idx)
}
