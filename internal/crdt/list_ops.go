package crdt

import "github.com/lightconedb/lightcone/internal/listpack"

// Node storage and the list's element operations, deciding nodes as Redis'
// quicklist does.

// exceeds is Redis' node limit check for a node of newSz listpack bytes
// holding newCount elements.
func (l *List) exceeds(newSz, newCount int) bool {
	f := int(l.fill)
	if f < 0 {
		i := -f - 1
		if i >= len(qlLevels) {
			i = len(qlLevels) - 1
		}
		return newSz > qlLevels[i]
	}
	if newSz > qlSafetyLimit {
		return true
	}
	if f == 0 {
		f = 1
	}
	return newCount > f
}

// allowInsert is whether a value of sz bytes may join node nd.
func (l *List) allowInsert(nd *qlNode, sz int) bool {
	if sz >= qlPackedThreshold {
		return false
	}
	return !l.exceeds(nd.size()+sz+qlEstOverhead, int(nd.n)+1)
}

// allowMerge is whether two nodes may merge. Redis 7.0 estimates the merged
// size as the sum less 11 bytes (a ziplist header and end byte, a leftover
// of the ziplist days: a listpack's are 7), and so do we.
func (l *List) allowMerge(a, b *qlNode) bool {
	return !l.exceeds(a.size()+b.size()-11, int(a.n+b.n))
}

// capLimit is how far a node buffer grows by doubling.
func (l *List) capLimit() int {
	f := int(l.fill)
	if f < 0 {
		i := -f - 1
		if i >= len(qlLevels) {
			i = len(qlLevels) - 1
		}
		return qlLevels[i] - qlHdrEOF
	}
	return qlSafetyLimit - qlHdrEOF
}

// makeRoom ensures k free bytes before lo (front) or after hi (back).
func (nd *qlNode) makeRoom(k int, front bool, limit int) {
	used := int(nd.hi - nd.lo)
	if front && int(nd.lo) >= k || !front && len(nd.b)-int(nd.hi) >= k {
		return
	}
	free := len(nd.b) - used
	if free >= k && free-k >= used/4 {
		// recentre: the requested side gets k plus half of the rest
		side := k + (free-k)/2
		nlo := side
		if !front {
			nlo = free - side
		}
		copy(nd.b[nlo:], nd.b[nd.lo:nd.hi])
		nd.lo, nd.hi = int32(nlo), int32(nlo+used)
		return
	}
	nc := 2 * len(nd.b)
	if nc < 16 {
		nc = 16
	}
	if nc > limit {
		nc = limit
	}
	if nc < used+k {
		nc = used + k
	}
	nb := make([]byte, nc)
	nlo := 0
	if front {
		nlo = nc - used
	}
	copy(nb[nlo:], nd.b[nd.lo:nd.hi])
	nd.b, nd.lo, nd.hi = nb, int32(nlo), int32(nlo+used)
}

// openAt makes k bytes of room at byte offset p (lo <= p <= hi) and
// returns where the new bytes go; bytes before p may move left and bytes
// from p on may move right.
func (nd *qlNode) openAt(p, k, limit int) int {
	lo, hi := int(nd.lo), int(nd.hi)
	frontRoom, backRoom := lo, len(nd.b)-hi
	switch {
	case p == lo:
		nd.makeRoom(k, true, limit)
		nd.lo -= int32(k)
		return int(nd.lo)
	case p == hi:
		nd.makeRoom(k, false, limit)
		nd.hi += int32(k)
		return int(nd.hi) - k
	case frontRoom >= k && (p-lo <= hi-p || backRoom < k):
		copy(nd.b[lo-k:], nd.b[lo:p])
		nd.lo -= int32(k)
		return p - k
	case backRoom >= k:
		copy(nd.b[p+k:], nd.b[p:hi])
		nd.hi += int32(k)
		return p
	}
	used := hi - lo
	nc := 2 * len(nd.b)
	if nc > limit {
		nc = limit
	}
	if nc < used+k {
		nc = used + k
	}
	nb := make([]byte, nc)
	nlo := (nc - used - k) / 2
	copy(nb[nlo:], nd.b[lo:p])
	at := nlo + p - lo
	copy(nb[at+k:], nd.b[p:hi])
	nd.b, nd.lo, nd.hi = nb, int32(nlo), int32(nlo+used+k)
	return at
}

// cut removes bytes [p, q) of the node's entries; it reports whether the
// bytes before p moved (right, by q-p) rather than those from q on (left).
func (nd *qlNode) cut(p, q int) (frontMoved bool) {
	lo, hi := int(nd.lo), int(nd.hi)
	if p-lo <= hi-q {
		copy(nd.b[lo+(q-p):], nd.b[lo:p])
		nd.lo += int32(q - p)
		return true
	}
	copy(nd.b[p:], nd.b[q:hi])
	nd.hi -= int32(q - p)
	return false
}

// shrink gives memory back when a node holds far less than its buffer.
func (nd *qlNode) shrink() {
	used := int(nd.hi - nd.lo)
	if len(nd.b) >= 1024 && used < len(nd.b)/4 {
		nb := make([]byte, 2*used)
		nlo := used / 2
		copy(nb[nlo:], nd.b[nd.lo:nd.hi])
		nd.b, nd.lo, nd.hi = nb, int32(nlo), int32(nlo+used)
	}
}

// offsetOf is the byte offset of the node's k-th entry (k == n: hi).
func (nd *qlNode) offsetOf(k int) int {
	if k <= int(nd.n)/2 {
		p := int(nd.lo)
		for ; k > 0; k-- {
			p += listpack.Len(nd.b, p)
		}
		return p
	}
	p := int(nd.hi)
	for k = int(nd.n) - k; k > 0; k-- {
		p = listpack.Prev(nd.b, p)
	}
	return p
}

// newNodeWith makes a node holding v. A node opened because its neighbour
// is full (big is true) will likely fill too: it gets its full size at once
// rather than growing by doubling, which would leave garbage behind.
func newNodeWith(v *listpack.Entry, id ElemID, ids bool, front bool, big int) qlNode {
	c := v.Size
	if c < 16 {
		c = 16
	}
	if big > c {
		c = big
	}
	nd := qlNode{b: make([]byte, c), n: 1}
	if front {
		nd.lo, nd.hi = int32(c-v.Size), int32(c)
	} else {
		nd.lo, nd.hi = 0, int32(v.Size)
	}
	v.Put(nd.b[nd.lo:nd.hi])
	if ids {
		nd.ids = []ElemID{id}
	}
	return nd
}

// insertNodes makes room for k zeroed nodes before position i and returns
// them.
func (l *List) insertNodes(i, k int) []qlNode {
	switch {
	case i == 0 && l.off >= k:
		l.off -= k
		l.nn += k
		return l.buf[l.off : l.off+k]
	case i == l.nn && l.off+l.nn+k <= len(l.buf):
		s := l.buf[l.off+l.nn : l.off+l.nn+k]
		l.nn += k
		return s
	case l.off+l.nn+k <= len(l.buf):
		copy(l.buf[l.off+i+k:], l.buf[l.off+i:l.off+l.nn])
		l.nn += k
		s := l.buf[l.off+i : l.off+i+k]
		for j := range s {
			s[j] = qlNode{}
		}
		return s
	}
	nc := 2*(l.nn+k) + 2
	nb := make([]qlNode, nc)
	var noff int
	if i == 0 {
		noff = nc - l.nn - k // head pushes: room in front
	} else if i < l.nn {
		noff = (nc - l.nn - k) / 2
	}
	copy(nb[noff:], l.buf[l.off:l.off+i])
	copy(nb[noff+i+k:], l.buf[l.off+i:l.off+l.nn])
	l.buf, l.off = nb, noff
	l.nn += k
	return l.buf[l.off+i : l.off+i+k]
}

// removeNode drops node i.
func (l *List) removeNode(i int) {
	switch {
	case i == 0:
		l.buf[l.off] = qlNode{}
		l.off++
	case i == l.nn-1:
		l.buf[l.off+i] = qlNode{}
	default:
		copy(l.buf[l.off+i:], l.buf[l.off+i+1:l.off+l.nn])
		l.buf[l.off+l.nn-1] = qlNode{}
	}
	l.nn--
	if l.nn == 0 {
		l.buf, l.off = nil, 0
	} else if len(l.buf) > 64 && l.nn < len(l.buf)/4 {
		nb := make([]qlNode, 2*l.nn+2)
		noff := l.nn / 2
		copy(nb[noff:], l.buf[l.off:l.off+l.nn])
		l.buf, l.off = nb, noff
	}
}

// pushHead pushes s at the head.
func (l *List) pushHead(s []byte, id ElemID) {
	v := listpack.Prepare(s)
	if l.nn > 0 && l.allowInsert(l.node(0), len(s)) {
		nd := l.node(0)
		nd.makeRoom(v.Size, true, l.capLimit())
		nd.lo -= int32(v.Size)
		v.Put(nd.b[nd.lo:])
		nd.n++
		if l.ids {
			nd.ids = append(nd.ids, ElemID{})
			copy(nd.ids[1:], nd.ids)
			nd.ids[0] = id
		}
	} else {
		big := l.bigNode(l.edge(true))
		l.insertNodes(0, 1)[0] = newNodeWith(&v, id, l.ids, true, big)
	}
	l.n++
}

// bigNode is the buffer size for a node a push opens next to the full
// node nd: for a size limit, the full size; for a count limit, about what
// the full node holds. A new list (nd nil) starts small.
func (l *List) bigNode(nd *qlNode) int {
	if nd == nil {
		return 0
	}
	if l.fill < 0 {
		return l.capLimit()
	}
	used := int(nd.hi - nd.lo)
	return min(l.capLimit(), used+used/4+16)
}

// edge is the head (or tail) node, nil for an empty list.
func (l *List) edge(head bool) *qlNode {
	switch {
	case l.nn == 0:
		return nil
	case head:
		return l.node(0)
	}
	return l.node(l.nn - 1)
}

// pushTail pushes s at the tail.
func (l *List) pushTail(s []byte, id ElemID) {
	v := listpack.Prepare(s)
	if l.nn > 0 && l.allowInsert(l.node(l.nn-1), len(s)) {
		nd := l.node(l.nn - 1)
		nd.makeRoom(v.Size, false, l.capLimit())
		v.Put(nd.b[nd.hi:])
		nd.hi += int32(v.Size)
		nd.n++
		if l.ids {
			nd.ids = append(nd.ids, id)
		}
	} else {
		big := l.bigNode(l.edge(false))
		l.insertNodes(l.nn, 1)[0] = newNodeWith(&v, id, l.ids, false, big)
	}
	l.n++
}

// appendEntry appends one already encoded entry at the tail, by the push
// rule (sz is the element's length, as Redis measures it for the rule).
func (l *List) appendEntry(ent []byte, sz int, id ElemID) {
	if l.nn > 0 && l.allowInsert(l.node(l.nn-1), sz) {
		nd := l.node(l.nn - 1)
		nd.makeRoom(len(ent), false, l.capLimit())
		copy(nd.b[nd.hi:], ent)
		nd.hi += int32(len(ent))
		nd.n++
		if l.ids {
			nd.ids = append(nd.ids, id)
		}
	} else {
		c := len(ent)
		if c < 16 {
			c = 16
		}
		if big := l.bigNode(l.edge(false)); big > c {
			c = big
		}
		nd := qlNode{b: make([]byte, c), hi: int32(len(ent)), n: 1}
		copy(nd.b, ent)
		if l.ids {
			nd.ids = []ElemID{id}
		}
		l.insertNodes(l.nn, 1)[0] = nd
	}
	l.n++
}

// appendNode appends a node of already validated entries (copied).
func (l *List) appendNode(entries []byte, count int, ids []ElemID) {
	if count == 0 {
		return
	}
	b := make([]byte, len(entries))
	copy(b, entries)
	nd := qlNode{b: b, hi: int32(len(b)), n: int32(count)}
	if l.ids {
		nd.ids = ids
	}
	l.insertNodes(l.nn, 1)[0] = nd
	l.n += count
}

// popHead removes k elements from the head.
func (l *List) popHead(k int) {
	for k > 0 && l.nn > 0 {
		nd := l.node(0)
		if int(nd.n) <= k {
			k -= int(nd.n)
			l.n -= int(nd.n)
			l.removeNode(0)
			continue
		}
		p := int(nd.lo)
		for i := 0; i < k; i++ {
			p += listpack.Len(nd.b, p)
		}
		nd.lo = int32(p)
		nd.n -= int32(k)
		if l.ids {
			nd.ids = append(nd.ids[:0], nd.ids[k:]...)
		}
		l.n -= k
		nd.shrink()
		return
	}
}

// popTail removes k elements from the tail.
func (l *List) popTail(k int) {
	for k > 0 && l.nn > 0 {
		nd := l.node(l.nn - 1)
		if int(nd.n) <= k {
			k -= int(nd.n)
			l.n -= int(nd.n)
			l.removeNode(l.nn - 1)
			continue
		}
		p := int(nd.hi)
		for i := 0; i < k; i++ {
			p = listpack.Prev(nd.b, p)
		}
		nd.hi = int32(p)
		nd.n -= int32(k)
		if l.ids {
			nd.ids = nd.ids[:len(nd.ids)-k]
		}
		l.n -= k
		nd.shrink()
		return
	}
}

// locate finds element i (0 <= i < n): its node and its ordinal there.
func (l *List) locate(i int) (ni, k int) {
	if i < l.n/2 {
		for ni = 0; ; ni++ {
			c := int(l.node(ni).n)
			if i < c {
				return ni, i
			}
			i -= c
		}
	}
	j := l.n - 1 - i // from the tail
	for ni = l.nn - 1; ; ni-- {
		c := int(l.node(ni).n)
		if j < c {
			return ni, c - 1 - j
		}
		j -= c
	}
}

// removeAt removes the elements at ascending, distinct, in-range indexes,
// node by node; a node left empty goes.
func (l *List) removeAt(idx []int) {
	base := 0 // index of node ni's first element, before any removal
	j := 0
	for ni := 0; ni < l.nn && j < len(idx); {
		nd := l.node(ni)
		cnt := int(nd.n)
		if idx[j] >= base+cnt {
			base += cnt
			ni++
			continue
		}
		w, p, kept := int(nd.lo), int(nd.lo), 0
		var ids []ElemID
		if l.ids {
			ids = nd.ids[:0]
		}
		for k := 0; k < cnt; k++ {
			n := listpack.Len(nd.b, p)
			if j < len(idx) && idx[j] == base+k {
				j++
			} else {
				if w != p {
					copy(nd.b[w:], nd.b[p:p+n])
				}
				w += n
				if l.ids {
					ids = append(ids, nd.ids[k])
				}
				kept++
			}
			p += n
		}
		l.n -= cnt - kept
		base += cnt
		if kept == 0 {
			l.removeNode(ni)
			continue
		}
		nd.hi = int32(w)
		nd.n = int32(kept)
		if l.ids {
			nd.ids = ids
		}
		nd.shrink()
		ni++
	}
}

// setAt replaces element i with s (LSET: in place, whatever the node's size).
func (l *List) setAt(i int, s []byte) {
	ni, k := l.locate(i)
	nd := l.node(ni)
	p := nd.offsetOf(k)
	old := listpack.Len(nd.b, p)
	v := listpack.Prepare(s)
	switch {
	case v.Size < old:
		if nd.cut(p+v.Size, p+old) {
			p += old - v.Size
		}
	case v.Size > old:
		// room right after the old entry; if the front part moved left
		// instead, the old entry moved with it
		if q := nd.openAt(p+old, v.Size-old, l.capLimit()); q != p+old {
			p = q - old
		}
	}
	v.Put(nd.b[p : p+v.Size])
}

// insertAt inserts s after (or before) element i, choosing the node as
// Redis' quicklist does: the element's node when it has room; else the
// head of the next (tail of the previous) node when the element is at the
// node's edge and that node has room; else a new node at that edge; else
// the node is split at the element and the neighbours merged if they fit.
func (l *List) insertAt(i int, after bool, s []byte, id ElemID) {
	ni, k := l.locate(i)
	nd := l.node(ni)
	sz := len(s)
	full := !l.allowInsert(nd, sz)
	atTail := after && k == int(nd.n)-1
	atHead := !after && k == 0
	availNext := atTail && ni+1 < l.nn && l.allowInsert(l.node(ni+1), sz)
	availPrev := atHead && ni > 0 && l.allowInsert(l.node(ni-1), sz)
	v := listpack.Prepare(s)
	l.n++
	switch {
	case !full:
		pos := k
		if after {
			pos++
		}
		l.nodeInsert(ni, pos, &v, id)
	case atTail && availNext:
		l.nodeInsert(ni+1, 0, &v, id)
	case atHead && availPrev:
		l.nodeInsert(ni-1, int(l.node(ni-1).n), &v, id)
	case atTail:
		l.insertNodes(ni+1, 1)[0] = newNodeWith(&v, id, l.ids, false, 0)
	case atHead:
		l.insertNodes(ni, 1)[0] = newNodeWith(&v, id, l.ids, true, 0)
	case after:
		// the node keeps [0..k]; a new node after it takes the rest, v at
		// its head
		l.splitNode(ni, k+1)
		l.nodeInsert(ni+1, 0, &v, id)
		l.mergeAround(ni)
	default:
		// a new node before takes [0..k-1], v at its tail; the node keeps
		// the rest
		l.splitNode(ni, k)
		l.nodeInsert(ni, k, &v, id)
		l.mergeAround(ni + 1)
	}
}

// nodeInsert inserts the prepared value as entry pos of node ni.
func (l *List) nodeInsert(ni, pos int, v *listpack.Entry, id ElemID) {
	nd := l.node(ni)
	p := nd.offsetOf(pos)
	at := nd.openAt(p, v.Size, l.capLimit())
	v.Put(nd.b[at : at+v.Size])
	nd.n++
	if l.ids {
		nd.ids = append(nd.ids, ElemID{})
		copy(nd.ids[pos+1:], nd.ids[pos:])
		nd.ids[pos] = id
	}
}

// splitNode splits node ni before its entry k: entries [0, k) stay in node
// ni, the rest move to a new node ni+1.
func (l *List) splitNode(ni, k int) {
	nd := l.node(ni)
	p := nd.offsetOf(k)
	rb := make([]byte, int(nd.hi)-p)
	copy(rb, nd.b[p:nd.hi])
	right := qlNode{b: rb, hi: int32(len(rb)), n: nd.n - int32(k)}
	if l.ids {
		right.ids = append([]ElemID(nil), nd.ids[k:]...)
		nd.ids = nd.ids[:k:k]
	}
	nd.hi = int32(p)
	nd.n = int32(k)
	l.insertNodes(ni+1, 1)[0] = right
}

// mergeAround tries to merge the nodes around node c as Redis does after a
// split: (c-2, c-1), (c+1, c+2), then (c-1, c), then the result with its
// next node.
func (l *List) mergeAround(c int) {
	if c-2 >= 0 && l.allowMerge(l.node(c-1), l.node(c-2)) {
		l.mergeNodes(c - 2)
		c--
	}
	if c+2 < l.nn && l.allowMerge(l.node(c+1), l.node(c+2)) {
		l.mergeNodes(c + 1)
	}
	t := c
	if c-1 >= 0 && l.allowMerge(l.node(c), l.node(c-1)) {
		l.mergeNodes(c - 1)
		t = c - 1
	}
	if t+1 < l.nn && l.allowMerge(l.node(t), l.node(t+1)) {
		l.mergeNodes(t)
	}
}

// mergeNodes appends node i+1's entries to node i and drops node i+1.
func (l *List) mergeNodes(i int) {
	a, b := l.node(i), l.node(i+1)
	eb := b.entries()
	a.makeRoom(len(eb), false, 0)
	copy(a.b[a.hi:], eb)
	a.hi += int32(len(eb))
	a.n += b.n
	if l.ids {
		a.ids = append(a.ids, b.ids...)
	}
	l.removeNode(i + 1)
}
