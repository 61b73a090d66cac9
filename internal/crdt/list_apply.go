package crdt

import (
	"strconv"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/listpack"
)

// ---- reading ----

// ListIter walks a list from an element toward the tail, or the head.
type ListIter struct {
	l   *List
	ni  int
	p   int
	k   int // ordinal of the entry at p within its node
	rev bool
	ok  bool
	// the element returned last
	lastNode, lastK int
}

// Iter starts at element i (out of range: an empty walk), moving toward
// the tail, or toward the head when rev.
func (l *List) Iter(i int, rev bool) ListIter {
	it := ListIter{l: l, rev: rev}
	if i < 0 || i >= l.n {
		return it
	}
	it.ni, it.k = l.locate(i)
	it.p = l.node(it.ni).offsetOf(it.k)
	it.ok = true
	return it
}

// Next returns the current element and moves on; ok is false at the end.
// The value aliases the list (or buf, holding an integer's digits) and is
// valid until the list changes.
func (it *ListIter) Next(buf []byte) (v []byte, ok bool) {
	if !it.ok {
		return nil, false
	}
	nd := it.l.node(it.ni)
	s, iv, isInt, n := listpack.DecodeN(nd.b, it.p)
	if isInt {
		v = strconv.AppendInt(buf[:0], iv, 10)
	} else {
		v = s
	}
	it.lastNode, it.lastK = it.ni, it.k
	if !it.rev {
		it.p += n
		it.k++
		if it.k >= int(nd.n) {
			it.next()
		}
		return v, true
	}
	it.step(nd)
	return v, true
}

// NextRaw is Next without formatting: an integer element comes back as
// its value (isInt), a string as a view valid until the list changes.
func (it *ListIter) NextRaw() (s []byte, iv int64, isInt, ok bool) {
	if !it.ok {
		return nil, 0, false, false
	}
	nd := it.l.node(it.ni)
	s, iv, isInt, n := listpack.DecodeN(nd.b, it.p)
	it.lastNode, it.lastK = it.ni, it.k
	if !it.rev {
		it.p += n
		it.k++
		if it.k >= int(nd.n) {
			it.next()
		}
		return s, iv, isInt, true
	}
	it.step(nd)
	return s, iv, isInt, true
}

// next moves to the first entry of the next node.
func (it *ListIter) next() {
	it.ni++
	if it.ni >= it.l.nn {
		it.ok = false
		return
	}
	it.k = 0
	it.p = int(it.l.node(it.ni).lo)
}

// NextEqual reports whether the current element equals s, and moves on.
func (it *ListIter) NextEqual(s []byte) (eq, ok bool) {
	if !it.ok {
		return false, false
	}
	nd := it.l.node(it.ni)
	eq = listpack.Equal(nd.b, it.p, s)
	it.lastNode, it.lastK = it.ni, it.k
	it.step(nd)
	return eq, true
}

func (it *ListIter) step(nd *qlNode) {
	if !it.rev {
		it.p += listpack.Len(nd.b, it.p)
		it.k++
		if it.k >= int(nd.n) {
			it.next()
		}
		return
	}
	if it.k == 0 {
		it.ni--
		if it.ni < 0 {
			it.ok = false
			return
		}
		n := it.l.node(it.ni)
		it.k = int(n.n) - 1
		it.p = listpack.Prev(n.b, int(n.hi))
		return
	}
	it.k--
	it.p = listpack.Prev(nd.b, it.p)
}

// LastID is the identity of the element Next returned last (zero when the
// list keeps none).
func (it *ListIter) LastID() ElemID {
	if !it.l.ids {
		return ElemID{}
	}
	return it.l.node(it.lastNode).ids[it.lastK]
}

// Index returns element i (0 <= i < Len): a view valid until the list
// changes, or buf holding an integer's digits.
func (l *List) Index(i int, buf []byte) []byte {
	ni, k := l.locate(i)
	nd := l.node(ni)
	return listpack.Value(nd.b, nd.offsetOf(k), buf)
}

// IndexRaw is Index without formatting (see NextRaw).
func (l *List) IndexRaw(i int) (s []byte, iv int64, isInt bool) {
	ni, k := l.locate(i)
	nd := l.node(ni)
	return listpack.Decode(nd.b, nd.offsetOf(k))
}

// ID returns element i's identity (zero when the list keeps none).
func (l *List) ID(i int) ElemID {
	if !l.ids {
		return ElemID{}
	}
	ni, k := l.locate(i)
	return l.node(ni).ids[k]
}

// eachID calls fn with the identities of n elements from i on.
func (l *List) eachID(i, n int, fn func(ElemID)) {
	if n <= 0 {
		return
	}
	ni, k := l.locate(i)
	for n > 0 {
		nd := l.node(ni)
		for ; k < int(nd.n) && n > 0; k++ {
			fn(nd.ids[k])
			n--
		}
		ni++
		k = 0
	}
}

// String renders the values (debugging, tests).
func (l *List) String() string {
	out := []byte{'['}
	var buf [20]byte
	it := l.Iter(0, false)
	for first := true; ; first = false {
		v, ok := it.Next(buf[:])
		if !ok {
			break
		}
		if !first {
			out = append(out, ' ')
		}
		out = strconv.AppendQuote(out, string(v))
	}
	return string(append(out, ']'))
}

// ---- payload encoders (the command layer) ----

// List payload sub-ops (see List).
const (
	lopPushHead  byte = 'L'
	lopPushTail  byte = 'R'
	lopNodes     byte = 'B'
	lopPopHead   byte = 'h'
	lopPopTail   byte = 't'
	lopPopHeadID byte = 'H'
	lopPopTailID byte = 'T'
	lopRemAt     byte = 'x'
	lopRemAtID   byte = 'X'
	lopInsert    byte = 'i'
	lopInsertID  byte = 'I'
	lopSet       byte = 's'
	lopSetID     byte = 'S'
)

// EncodeListPush writes a push of vals, in argument order, at the head
// (LPUSH: the last one ends up first) or at the tail.
func EncodeListPush(p *Enc, head bool, vals [][]byte) {
	if head {
		p.Byte(lopPushHead)
	} else {
		p.Byte(lopPushTail)
	}
	p.Uvarint(uint64(len(vals)))
	for _, v := range vals {
		p.Bytes(v)
	}
}

// EncodeListPop writes the removal of n elements of l from its head or
// tail (naming them when l keeps identities).
func EncodeListPop(p *Enc, l *List, head bool, n int) {
	if n > l.n {
		n = l.n
	}
	if n <= 0 {
		return
	}
	switch {
	case !l.ids && head:
		p.Byte(lopPopHead)
		p.Uvarint(uint64(n))
	case !l.ids:
		p.Byte(lopPopTail)
		p.Uvarint(uint64(n))
	case head:
		p.Byte(lopPopHeadID)
		p.Uvarint(uint64(n))
		w := idRunWriter{p: p}
		l.eachID(0, n, w.add)
		w.flush()
	default:
		p.Byte(lopPopTailID)
		p.Uvarint(uint64(n))
		w := idRunWriter{p: p}
		l.eachID(l.n-n, n, w.add)
		w.flush()
	}
}

// A pop names its elements as runs: identities of one effect whose
// ordinals step by one, up or down (what RPUSH a b c, or LPUSH's reversed
// order, leaves side by side), each written as the first identity and a
// signed length. An LTRIM of a million pushed elements names them in a
// few bytes.
type idRunWriter struct {
	p     *Enc
	have  bool
	start ElemID
	k     int64 // elements in the run
	dir   int64 // +1 or -1
}

func (w *idRunWriter) add(id ElemID) {
	if w.have && id.Node == w.start.Node && id.Seq == w.start.Seq {
		last := int64(w.start.N) + w.dir*(w.k-1)
		switch {
		case w.k == 1 && (int64(id.N) == last+1 || int64(id.N) == last-1):
			w.dir = int64(id.N) - last
			w.k++
			return
		case w.k > 1 && int64(id.N) == last+w.dir:
			w.k++
			return
		}
	}
	w.flush()
	w.have, w.start, w.k, w.dir = true, id, 1, 1
}

func (w *idRunWriter) flush() {
	if w.have {
		w.p.ID(w.start)
		w.p.Varint(w.k * w.dir)
		w.have = false
	}
}

// readIDRuns reads runs naming n identities, calling fn (when not nil) with
// each; a malformed or short list of runs sets d.Err.
func readIDRuns(d *Dec, n int, fn func(ElemID)) {
	for got := 0; got < n && !d.Err; {
		id := d.ID()
		k := d.Varint()
		step := int64(1)
		if k < 0 {
			k, step = -k, -1
		}
		end := int64(id.N) + step*(k-1)
		if d.Err || k <= 0 || k > int64(n-got) || end < 0 || end > 1<<32-1 {
			d.Err = true
			return
		}
		if fn != nil {
			for i := int64(0); i < k; i++ {
				fn(ElemID{Node: id.Node, Seq: id.Seq, N: uint32(int64(id.N) + step*i)})
			}
		}
		got += int(k)
	}
}

// EncodeListRemove writes the removal of the elements of l at ascending
// indexes idx, naming them with ids (parallel to idx) when l keeps
// identities.
func EncodeListRemove(p *Enc, l *List, idx []int, ids []ElemID) {
	if len(idx) == 0 {
		return
	}
	if !l.ids {
		p.Byte(lopRemAt)
		p.Uvarint(uint64(len(idx)))
		for _, i := range idx {
			p.Uvarint(uint64(i))
		}
		return
	}
	p.Byte(lopRemAtID)
	p.Uvarint(uint64(len(idx)))
	for j, i := range idx {
		p.Uvarint(uint64(i))
		p.ID(ids[j])
	}
}

// EncodeListInsert writes LINSERT of v after (or before) element i of l.
func EncodeListInsert(p *Enc, l *List, i int, after bool, v []byte) {
	var a byte
	if after {
		a = 1
	}
	if l.ids {
		p.Byte(lopInsertID)
		p.Byte(a)
		p.Uvarint(uint64(i))
		p.ID(l.ID(i))
	} else {
		p.Byte(lopInsert)
		p.Byte(a)
		p.Uvarint(uint64(i))
	}
	p.Bytes(v)
}

// EncodeListSet writes LSET of element i of l to v.
func EncodeListSet(p *Enc, l *List, i int, v []byte) {
	if l.ids {
		p.Byte(lopSetID)
		p.Uvarint(uint64(i))
		p.ID(l.ID(i))
	} else {
		p.Byte(lopSet)
		p.Uvarint(uint64(i))
	}
	p.Bytes(v)
}

// ListNode is one node of listpack entries (no header, no end byte).
type ListNode struct {
	Entries []byte
	Count   int
}

// EncodeListNodes writes the append of nodes as they are (RESTORE, with a
// replacing write); fill is the list's list-max-listpack-size.
func EncodeListNodes(p *Enc, fill int, nodes []ListNode) {
	p.Byte(lopNodes)
	p.Varint(int64(fill))
	p.Uvarint(uint64(len(nodes)))
	for _, n := range nodes {
		p.Uvarint(uint64(n.Count))
		p.Bytes(n.Entries)
	}
}

// ---- Apply ----

// listPopCount reads a pop's count, bounded by a sane maximum (the list's
// length, or the runs naming the elements, are checked by the caller).
func listPopCount(d *Dec, op byte) int {
	v := d.Uvarint()
	if v > 1<<40 {
		d.Err = true
		return 0
	}
	return int(v)
}

// listCheck walks a payload without changing anything: it must be well
// formed, and every positional reference must fit a list that has n
// elements when the payload starts — except, with hints, the indexes that
// come with identities (Apply then checks them against the identities).
func listCheck(b []byte, n int, hints bool) bool {
	d := NewDec(b)
	for !d.Done() {
		op := d.Byte()
		switch op {
		case lopPushHead, lopPushTail:
			c := d.Count()
			for i := 0; i < c; i++ {
				d.Bytes()
			}
			n += c
		case lopNodes:
			d.Varint()
			k := d.Count()
			for i := 0; i < k && !d.Err; i++ {
				c := d.Uvarint()
				e := d.Bytes()
				if d.Err {
					return false
				}
				got, ok := listpack.CheckEntries(e)
				if !ok || uint64(got) != c {
					return false
				}
				n += got
			}
		case lopPopHead, lopPopTail, lopPopHeadID, lopPopTailID:
			c := listPopCount(&d, op)
			if op == lopPopHeadID || op == lopPopTailID {
				readIDRuns(&d, c, nil)
			}
			if c > n && !(hints && (op == lopPopHeadID || op == lopPopTailID)) {
				return false
			}
			n = max(n-c, 0)
		case lopRemAt, lopRemAtID:
			c := d.Count()
			last := -1
			for i := 0; i < c && !d.Err; i++ {
				x := d.Uvarint()
				if op == lopRemAtID {
					d.ID()
				}
				if x > 1<<40 || int(x) <= last || x >= uint64(n) && !(hints && op == lopRemAtID) {
					return false
				}
				last = int(x)
			}
			n = max(n-c, 0)
		case lopInsert, lopInsertID:
			d.Byte()
			x := d.Uvarint()
			if op == lopInsertID {
				d.ID()
			}
			d.Bytes()
			if x >= uint64(n) && !(hints && op == lopInsertID) {
				return false
			}
			n++
		case lopSet, lopSetID:
			x := d.Uvarint()
			if op == lopSetID {
				d.ID()
			}
			d.Bytes()
			if x >= uint64(n) && !(hints && op == lopSetID) {
				return false
			}
		default:
			return false
		}
		if d.Err {
			return false
		}
	}
	return !d.Err
}

func (listType) Apply(obj Object, e *effect.Effect, c Ctx) Object {
	l, _ := obj.(*List)
	n := 0
	if l != nil {
		n = l.n
	}
	if l == nil {
		l = NewList(c.IDs)
	}
	if !c.Trusted && !listCheck(e.Value, n, l.ids) {
		return obj
	}
	newID := (&elemIDs{e: e}).next
	var idx []int
	var ids []ElemID
	d := NewDec(e.Value)
	for !d.Done() {
		switch op := d.Byte(); op {
		case lopPushHead, lopPushTail:
			k := d.Count()
			for i := 0; i < k; i++ {
				v := d.Bytes()
				if op == lopPushHead {
					l.pushHead(v, newID())
				} else {
					l.pushTail(v, newID())
				}
			}
		case lopNodes:
			if f := d.Varint(); l.n == 0 {
				l.fill = clampFill(int(f))
			}
			k := d.Count()
			for i := 0; i < k; i++ {
				cnt := int(d.Uvarint())
				en := d.Bytes()
				var ids []ElemID
				if l.ids {
					ids = make([]ElemID, cnt)
					for j := range ids {
						ids[j] = newID()
					}
				}
				l.appendNode(en, cnt, ids)
			}
		case lopPopHead, lopPopTail:
			if k := listPopCount(&d, op); op == lopPopHead {
				l.popHead(k)
			} else {
				l.popTail(k)
			}
		case lopPopHeadID, lopPopTailID:
			k := listPopCount(&d, op)
			idx, ids = idx[:0], ids[:0]
			first := 0
			if op == lopPopTailID {
				first = l.n - k
			}
			for i := 0; i < k; i++ {
				idx = append(idx, first+i)
			}
			readIDRuns(&d, k, func(id ElemID) { ids = append(ids, id) })
			if l.ids && !l.idsAt(idx, ids) {
				l.removeIDs(ids)
			} else if op == lopPopHeadID {
				l.popHead(k)
			} else {
				l.popTail(k)
			}
		case lopRemAt, lopRemAtID:
			k := d.Count()
			idx, ids = idx[:0], ids[:0]
			for i := 0; i < k; i++ {
				idx = append(idx, int(d.Uvarint()))
				if op == lopRemAtID {
					ids = append(ids, d.ID())
				}
			}
			if op == lopRemAtID && l.ids && !l.idsAt(idx, ids) {
				l.removeIDs(ids)
			} else {
				l.removeAt(idx)
			}
		case lopInsert, lopInsertID:
			after := d.Byte() == 1
			i := int(d.Uvarint())
			if op == lopInsertID {
				if id := d.ID(); l.ids && (i >= l.n || l.ID(i) != id) {
					i = l.findID(id)
				}
			}
			v := d.Bytes()
			if i < 0 {
				l.pushTail(v, newID()) // the anchor is gone: as the Merger does
			} else {
				l.insertAt(i, after, v, newID())
			}
		case lopSet, lopSetID:
			i := int(d.Uvarint())
			if op == lopSetID {
				if id := d.ID(); l.ids && (i >= l.n || l.ID(i) != id) {
					i = l.findID(id)
				}
			}
			if v := d.Bytes(); i >= 0 {
				l.setAt(i, v)
			}
		}
	}
	if l.n == 0 {
		return nil
	}
	return l
}

// The effect that Apply gets observed everything the list reflects, so the
// indexes it carries are right; with identities at hand they are checked
// all the same, and an effect whose elements are not where it says (history
// folded differently) falls back to finding them by identity, as the Merger
// does.

// idsAt reports whether the elements at idx have the identities ids.
func (l *List) idsAt(idx []int, ids []ElemID) bool {
	for j, i := range idx {
		if i < 0 || i >= l.n || l.ID(i) != ids[j] {
			return false
		}
	}
	return true
}

// findID returns the index of the element with identity id, -1 if none.
func (l *List) findID(id ElemID) int {
	base := 0
	for ni := 0; ni < l.nn; ni++ {
		nd := l.node(ni)
		for k, x := range nd.ids {
			if x == id {
				return base + k
			}
		}
		base += int(nd.n)
	}
	return -1
}

// removeIDs removes the elements with the given identities (those present).
func (l *List) removeIDs(ids []ElemID) {
	want := make(map[ElemID]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	var idx []int
	base := 0
	for ni := 0; ni < l.nn; ni++ {
		nd := l.node(ni)
		for k, x := range nd.ids {
			if want[x] {
				idx = append(idx, base+k)
			}
		}
		base += int(nd.n)
	}
	l.removeAt(idx)
}

// ListFromValues builds a list of vals pushed at the tail in turn (tests,
// tools); ids gives the elements identities (effect zero, ordinals 0..).
func ListFromValues(vals [][]byte, ids bool) *List {
	l := NewList(ids)
	for i, v := range vals {
		l.pushTail(v, ElemID{N: uint32(i)})
	}
	return l
}
