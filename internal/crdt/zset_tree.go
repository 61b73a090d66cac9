package crdt

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"unsafe"

	"github.com/lightconedb/lightcone/internal/keyspace"
)

// The large encoding of a sorted set (OBJECT ENCODING answers "skiplist",
// as Redis does for the same sizes): a B+tree ordered by (score, member)
// whose inner nodes count the members under each child, so that ranks are
// O(log n), plus a member index for O(1) score lookups.
//
// Why a B+tree and not Redis' skiplist: a skiplist descent is a chain of
// 20-30 dependent loads, one node each, and ZADD of an existing member
// does two of them (find the old place, find the new one). Here a descent
// touches three or four nodes for 100,000 members, the upper ones hot in
// the cache, and the binary search inside a node reads scores that sit
// side by side: ZADD on a 100,000-member set spends about half of what the
// skiplist spent in the tree.
//
// Memory layout:
//   - each member is one allocation, its "blob": the score (8 bytes), the
//     member's length (uvarint) and its bytes, rounded up to 8 bytes. The
//     index points at blobs; a member's blob never changes while it is in
//     the set (a score change rewrites the blob's score in place);
//   - a leaf holds up to zbLeaf members as two arrays (scores, blobs), so a
//     binary search loads a member's bytes only when scores tie; leaves are
//     linked both ways for range walks;
//   - an inner node holds up to zbFan children with, for each, the count
//     of members under it and a separator: a lower bound of the child's
//     members (its own score copy and a blob whose member bytes it reads;
//     the blob's score may have moved on, the separator's has not). Child
//     0's separator is unused: its bound is the node's own;
//   - the index is an open-addressing table of blob pointers (8 bytes a
//     slot, linear probing, deletion by backward shift), not a Go map.
//
// Separators are bounds, not copies of the first member: a removal leaves
// them alone, and a member equal to child i's separator lives in child i.

const (
	zbLeaf     = 64 // members a leaf holds at most
	zbFan      = 32 // children an inner node holds at most
	zbMaxDepth = 24 // inner levels; a tree this deep would hold > 8^23 members
)

// Blob accessors: a blob is [score float64][uvarint len][member bytes].

func blobScore(b *byte) float64 { return *(*float64)(unsafe.Pointer(b)) }

func setBlobScore(b *byte, s float64) { *(*float64)(unsafe.Pointer(b)) = s }

func blobMember(b *byte) string {
	p := unsafe.Add(unsafe.Pointer(b), 8)
	l := uint(*(*byte)(p))
	off := uintptr(1)
	if l >= 0x80 {
		l &= 0x7f
		for shift := uint(7); ; shift += 7 {
			c := *(*byte)(unsafe.Add(p, off))
			off++
			l |= uint(c&0x7f) << shift
			if c < 0x80 {
				break
			}
		}
	}
	return unsafe.String((*byte)(unsafe.Add(p, off)), l)
}

func newBlob(member string, score float64) *byte {
	var hdr [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(hdr[:], uint64(len(member)))
	size := (8 + k + len(member) + 7) &^ 7 // a multiple of 8: 8-byte aligned
	buf := make([]byte, size)
	copy(buf[8:], hdr[:k])
	copy(buf[8+k:], member)
	b := &buf[0]
	setBlobScore(b, score)
	return b
}

// zless orders (score, member) pairs as Redis does: by score, then by
// member bytes.
func zless(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

type zleaf struct {
	n          int
	prev, next *zleaf
	scores     [zbLeaf]float64
	blobs      [zbLeaf]*byte
}

type zinner struct {
	n      int
	scores [zbFan]float64 // separators' scores (index 0 unused)
	seps   [zbFan]*byte   // separators' members (index 0 unused)
	cnt    [zbFan]int     // members under each child
	kids   [zbFan]unsafe.Pointer
}

// lowerBound is the first position in the leaf whose member is not before
// (s, m).
func (l *zleaf) lowerBound(s float64, m string) int {
	lo, hi := 0, l.n
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if l.scores[h] < s || (l.scores[h] == s && blobMember(l.blobs[h]) < m) {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

// child is the child of in whose range holds (s, m): the last whose
// separator is not after it.
func (in *zinner) child(s float64, m string) int {
	lo, hi := 1, in.n // find the first separator after (s, m)
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if s < in.scores[h] || (s == in.scores[h] && m < blobMember(in.seps[h])) {
			hi = h
		} else {
			lo = h + 1
		}
	}
	return lo - 1
}

func (l *zleaf) insertAt(i int, s float64, b *byte) {
	copy(l.scores[i+1:l.n+1], l.scores[i:l.n])
	copy(l.blobs[i+1:l.n+1], l.blobs[i:l.n])
	l.scores[i], l.blobs[i] = s, b
	l.n++
}

func (l *zleaf) removeAt(i int) {
	copy(l.scores[i:l.n-1], l.scores[i+1:l.n])
	copy(l.blobs[i:l.n-1], l.blobs[i+1:l.n])
	l.n--
	l.blobs[l.n] = nil
}

// insertKid puts child k, with separator (s, b) and count c, at index i.
func (in *zinner) insertKid(i int, s float64, b *byte, c int, k unsafe.Pointer) {
	copy(in.scores[i+1:in.n+1], in.scores[i:in.n])
	copy(in.seps[i+1:in.n+1], in.seps[i:in.n])
	copy(in.cnt[i+1:in.n+1], in.cnt[i:in.n])
	copy(in.kids[i+1:in.n+1], in.kids[i:in.n])
	in.scores[i], in.seps[i], in.cnt[i], in.kids[i] = s, b, c, k
	in.n++
}

func (in *zinner) removeKid(i int) {
	copy(in.scores[i:in.n-1], in.scores[i+1:in.n])
	copy(in.seps[i:in.n-1], in.seps[i+1:in.n])
	copy(in.cnt[i:in.n-1], in.cnt[i+1:in.n])
	copy(in.kids[i:in.n-1], in.kids[i+1:in.n])
	in.n--
	in.seps[in.n], in.kids[in.n] = nil, nil
}

func (in *zinner) total() int {
	t := 0
	for _, c := range in.cnt[:in.n] {
		t += c
	}
	return t
}

type zstep struct {
	in *zinner
	i  int
}

// zpath is the way from the root to a leaf: the inner node and the child
// taken at each level, root first.
type zpath struct {
	step [zbMaxDepth]zstep
	d    int
	leaf *zleaf
	pos  int
}

type ztree struct {
	root        unsafe.Pointer // *zleaf when height is 0, else *zinner
	height      int            // inner levels above the leaves
	first, last *zleaf
	length      int
	index       zsIndex
}

func newZTree(sizeHint int) *ztree {
	l := &zleaf{}
	t := &ztree{root: unsafe.Pointer(l), first: l, last: l}
	t.index.init(sizeHint)
	return t
}

// find fills p with the way to the place of (s, m): the leaf and the first
// position there not before it.
func (t *ztree) find(s float64, m string, p *zpath) {
	p.leaf = t.descend(s, m, p)
	p.pos = p.leaf.lowerBound(s, m)
}

// descend records in p the inner nodes on the way to the leaf whose range
// holds (s, m), and returns that leaf.
func (t *ztree) descend(s float64, m string, p *zpath) *zleaf {
	x := t.root
	p.d = 0
	for h := t.height; h > 0; h-- {
		in := (*zinner)(x)
		i := in.child(s, m)
		p.step[p.d] = zstep{in, i}
		p.d++
		x = in.kids[i]
	}
	return (*zleaf)(x)
}

// insert adds a member known to be absent and returns its blob.
func (t *ztree) insert(member string, score float64) *byte {
	b := newBlob(member, score)
	t.insertBlob(b)
	t.index.add(b)
	return b
}

// insertBlob puts blob b in its place in the tree.
func (t *ztree) insertBlob(b *byte) {
	var p zpath
	t.find(blobScore(b), blobMember(b), &p)
	t.insertAt(&p, b)
}

func (t *ztree) insertAt(p *zpath, b *byte) {
	s := blobScore(b)
	for k := 0; k < p.d; k++ {
		p.step[k].in.cnt[p.step[k].i]++
	}
	t.length++
	l, pos := p.leaf, p.pos
	if l.n < zbLeaf {
		l.insertAt(pos, s, b)
		return
	}
	// split the full leaf in two halves, then insert into the one that
	// takes pos
	r := &zleaf{}
	half := zbLeaf / 2
	r.n = zbLeaf - half
	copy(r.scores[:], l.scores[half:])
	copy(r.blobs[:], l.blobs[half:])
	clear(l.blobs[half:])
	l.n = half
	r.prev, r.next = l, l.next
	if l.next != nil {
		l.next.prev = r
	} else {
		t.last = r
	}
	l.next = r
	if pos <= half {
		l.insertAt(pos, s, b)
	} else {
		r.insertAt(pos-half, s, b)
	}
	t.addKid(p, p.d, r.scores[0], r.blobs[0], unsafe.Pointer(r), l.n, r.n, unsafe.Pointer(l))
}

// addKid gives the node at level d-1 of p (the parent of what was split)
// a new child k right after the child p took, with separator (s, b); lc
// and rc are the member counts of the split child and of k. At the root,
// a new root is made over left and k.
func (t *ztree) addKid(p *zpath, d int, s float64, b *byte, k unsafe.Pointer, lc, rc int, left unsafe.Pointer) {
	if d == 0 {
		nr := &zinner{n: 2}
		nr.kids[0], nr.kids[1] = left, k
		nr.cnt[0], nr.cnt[1] = lc, rc
		nr.scores[1], nr.seps[1] = s, b
		t.root = unsafe.Pointer(nr)
		t.height++
		return
	}
	in, i := p.step[d-1].in, p.step[d-1].i
	in.cnt[i] = lc
	if in.n < zbFan {
		in.insertKid(i+1, s, b, rc, k)
		return
	}
	// split the full inner node: the right half's first separator moves
	// up as the bound between the halves
	r := &zinner{}
	half := zbFan / 2
	r.n = zbFan - half
	copy(r.scores[:], in.scores[half:])
	copy(r.seps[:], in.seps[half:])
	copy(r.cnt[:], in.cnt[half:])
	copy(r.kids[:], in.kids[half:])
	clear(in.seps[half:])
	clear(in.kids[half:])
	in.n = half
	upS, upB := r.scores[0], r.seps[0]
	r.scores[0], r.seps[0] = 0, nil
	if i+1 <= half {
		in.insertKid(i+1, s, b, rc, k)
	} else {
		r.insertKid(i+1-half, s, b, rc, k)
	}
	t.addKid(p, d-1, upS, upB, unsafe.Pointer(r), in.total(), r.total(), unsafe.Pointer(in))
}

// locate fills p with the way to blob b, which is in the tree. In the
// leaf it finds the first score not below b's, then b itself by pointer,
// loading no member's bytes there.
func (t *ztree) locate(b *byte, p *zpath) {
	s := blobScore(b)
	l := t.descend(s, blobMember(b), p)
	lo, hi := 0, l.n
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if l.scores[h] < s {
			lo = h + 1
		} else {
			hi = h
		}
	}
	for lo < l.n && l.blobs[lo] != b {
		lo++
	}
	if lo == l.n {
		panic("crdt: sorted set tree lost a member")
	}
	p.leaf, p.pos = l, lo
}

// removeBlob takes blob b, which is in the tree, out of it (the index is
// left alone).
func (t *ztree) removeBlob(b *byte) {
	var p zpath
	t.locate(b, &p)
	t.removeAt(&p)
}

func (t *ztree) removeAt(p *zpath) {
	for k := 0; k < p.d; k++ {
		p.step[k].in.cnt[p.step[k].i]--
	}
	t.length--
	l := p.leaf
	l.removeAt(p.pos)
	if p.d == 0 || l.n >= zbLeaf/4 {
		return
	}
	// an underfull leaf: drop it when empty, else merge it with a
	// neighbour under the same parent when both fit in three quarters of
	// a leaf
	in, i := p.step[p.d-1].in, p.step[p.d-1].i
	switch {
	case l.n == 0:
		t.unlinkLeaf(l)
		in.removeKid(i)
	case i > 0 && (*zleaf)(in.kids[i-1]).n+l.n <= zbLeaf*3/4:
		left := (*zleaf)(in.kids[i-1])
		copy(left.scores[left.n:], l.scores[:l.n])
		copy(left.blobs[left.n:], l.blobs[:l.n])
		left.n += l.n
		in.cnt[i-1] += in.cnt[i]
		t.unlinkLeaf(l)
		in.removeKid(i)
	case i+1 < in.n && (*zleaf)(in.kids[i+1]).n+l.n <= zbLeaf*3/4:
		right := (*zleaf)(in.kids[i+1])
		copy(l.scores[l.n:], right.scores[:right.n])
		copy(l.blobs[l.n:], right.blobs[:right.n])
		l.n += right.n
		in.cnt[i] += in.cnt[i+1]
		t.unlinkLeaf(right)
		in.removeKid(i + 1)
	default:
		return
	}
	t.shrink(p, p.d-1)
}

func (t *ztree) unlinkLeaf(l *zleaf) {
	if l.prev != nil {
		l.prev.next = l.next
	} else {
		t.first = l.next
	}
	if l.next != nil {
		l.next.prev = l.prev
	} else {
		t.last = l.prev
	}
	l.prev, l.next = nil, nil
}

// shrink rebalances the inner node at level d of p after it lost a child:
// an empty node leaves its parent, an underfull one merges with a
// neighbour when both fit in three quarters of a node, and a root with one
// child gives way to it.
func (t *ztree) shrink(p *zpath, d int) {
	in := p.step[d].in
	if d == 0 {
		for t.height > 0 {
			r := (*zinner)(t.root)
			if r.n > 1 {
				return
			}
			if r.n == 0 { // the tree is empty
				l := &zleaf{}
				t.root, t.height, t.first, t.last = unsafe.Pointer(l), 0, l, l
				return
			}
			t.root = r.kids[0]
			t.height--
		}
		return
	}
	if in.n >= zbFan/4 {
		return
	}
	par, i := p.step[d-1].in, p.step[d-1].i
	switch {
	case in.n == 0:
		par.removeKid(i)
	case i > 0 && (*zinner)(par.kids[i-1]).n+in.n <= zbFan*3/4:
		left := (*zinner)(par.kids[i-1])
		in.scores[0], in.seps[0] = par.scores[i], par.seps[i]
		appendKids(left, in)
		par.cnt[i-1] += par.cnt[i]
		par.removeKid(i)
	case i+1 < par.n && (*zinner)(par.kids[i+1]).n+in.n <= zbFan*3/4:
		right := (*zinner)(par.kids[i+1])
		right.scores[0], right.seps[0] = par.scores[i+1], par.seps[i+1]
		appendKids(in, right)
		par.cnt[i] += par.cnt[i+1]
		par.removeKid(i + 1)
	default:
		return
	}
	t.shrink(p, d-1)
}

// appendKids moves src's children to the end of dst; src's child 0 must
// carry its separator already.
func appendKids(dst, src *zinner) {
	copy(dst.scores[dst.n:], src.scores[:src.n])
	copy(dst.seps[dst.n:], src.seps[:src.n])
	copy(dst.cnt[dst.n:], src.cnt[:src.n])
	copy(dst.kids[dst.n:], src.kids[:src.n])
	dst.n += src.n
}

// setScore changes blob b's score, moving it only when its place changes.
func (t *ztree) setScore(b *byte, score float64) {
	var p zpath
	t.locate(b, &p)
	l, i := p.leaf, p.pos
	m := blobMember(b)
	// in place when both neighbours are in this leaf and stay on their
	// sides (the leaf's separator bounds are then kept too)
	if i > 0 && i+1 < l.n &&
		zless(l.scores[i-1], blobMember(l.blobs[i-1]), score, m) &&
		zless(score, m, l.scores[i+1], blobMember(l.blobs[i+1])) {
		l.scores[i] = score
		setBlobScore(b, score)
		return
	}
	t.removeAt(&p)
	setBlobScore(b, score)
	t.insertBlob(b)
}

// zcursor is a position in the tree: a leaf and an index in it.
type zcursor struct {
	l *zleaf
	i int
}

func (c *zcursor) ok() bool                 { return c.l != nil }
func (c *zcursor) score() float64           { return c.l.scores[c.i] }
func (c *zcursor) member() string           { return blobMember(c.l.blobs[c.i]) }
func (c *zcursor) entry() (string, float64) { return c.member(), c.score() }

func (c *zcursor) next() {
	c.i++
	if c.i >= c.l.n {
		c.l, c.i = c.l.next, 0
	}
}

func (c *zcursor) prev() {
	c.i--
	if c.i < 0 {
		c.l = c.l.prev
		if c.l != nil {
			c.i = c.l.n - 1
		}
	}
}

// byRank returns the cursor at 0-based rank r (0 <= r < length).
func (t *ztree) byRank(r int) zcursor {
	if r == 0 {
		return zcursor{t.first, 0}
	}
	if r == t.length-1 {
		return zcursor{t.last, t.last.n - 1}
	}
	x := t.root
	for h := t.height; h > 0; h-- {
		in := (*zinner)(x)
		i := 0
		for ; i < in.n-1 && r >= in.cnt[i]; i++ {
			r -= in.cnt[i]
		}
		x = in.kids[i]
	}
	return zcursor{(*zleaf)(x), r}
}

// rankOf returns the 0-based rank of blob b, which is in the tree.
func (t *ztree) rankOf(b *byte) int {
	s, m := blobScore(b), blobMember(b)
	r := 0
	x := t.root
	for h := t.height; h > 0; h-- {
		in := (*zinner)(x)
		i := in.child(s, m)
		for _, c := range in.cnt[:i] {
			r += c
		}
		x = in.kids[i]
	}
	return r + (*zleaf)(x).lowerBound(s, m)
}

// countBefore returns how many members satisfy before(score, member), a
// predicate that holds for a prefix of the order. member is called only
// when the predicate needs it.
func (t *ztree) countBefore(before func(score float64, member *byte) bool) int {
	r := 0
	x := t.root
	for h := t.height; h > 0; h-- {
		in := (*zinner)(x)
		lo, hi := 1, in.n // the first separator the predicate fails
		for lo < hi {
			k := int(uint(lo+hi) >> 1)
			if before(in.scores[k], in.seps[k]) {
				lo = k + 1
			} else {
				hi = k
			}
		}
		i := lo - 1
		for _, c := range in.cnt[:i] {
			r += c
		}
		x = in.kids[i]
	}
	l := (*zleaf)(x)
	lo, hi := 0, l.n
	for lo < hi {
		k := int(uint(lo+hi) >> 1)
		if before(l.scores[k], l.blobs[k]) {
			lo = k + 1
		} else {
			hi = k
		}
	}
	return r + lo
}

// buildZTree makes a tree of n members given in order by at (a bulk load:
// leaves filled to seven eighths, so the first inserts do not all split).
func buildZTree(n int, at func(i int) (string, float64)) *ztree {
	t := newZTree(n)
	if n == 0 {
		return t
	}
	const fillLeaf, fillFan = zbLeaf * 7 / 8, zbFan * 7 / 8
	type kid struct {
		p   unsafe.Pointer
		s   float64
		b   *byte
		cnt int
	}
	var level []kid
	var prev *zleaf
	for i := 0; i < n; {
		l := &zleaf{prev: prev}
		if prev != nil {
			prev.next = l
		} else {
			t.first = l
		}
		for ; l.n < fillLeaf && i < n; i++ {
			m, s := at(i)
			b := newBlob(m, s)
			l.scores[l.n], l.blobs[l.n] = s, b
			l.n++
			t.index.add(b)
		}
		level = append(level, kid{unsafe.Pointer(l), l.scores[0], l.blobs[0], l.n})
		prev = l
	}
	t.last = prev
	t.length = n
	for len(level) > 1 {
		var up []kid
		for j := 0; j < len(level); {
			in := &zinner{}
			k0 := level[j]
			for ; in.n < fillFan && j < len(level); j++ {
				k := level[j]
				in.kids[in.n], in.cnt[in.n] = k.p, k.cnt
				if in.n > 0 {
					in.scores[in.n], in.seps[in.n] = k.s, k.b
				}
				in.n++
			}
			up = append(up, kid{unsafe.Pointer(in), k0.s, k0.b, in.total()})
		}
		level = up
		t.height++
	}
	t.root = level[0].p
	return t
}

// zsIndex maps members to blobs: open addressing with linear probing over
// a power-of-two table of blob pointers.
type zsIndex struct {
	slots []*byte
	n     int
}

var zsSeed = maphash.MakeSeed()

func zhash(m string) uint64 { return maphash.String(zsSeed, m) }

func (ix *zsIndex) init(hint int) {
	ix.slots = make([]*byte, indexSize(hint))
	ix.n = 0
}

func (ix *zsIndex) get(m string) *byte {
	mask := uint64(len(ix.slots) - 1)
	for i := zhash(m) & mask; ; i = (i + 1) & mask {
		b := ix.slots[i]
		if b == nil || blobMember(b) == m {
			return b
		}
	}
}

// add inserts b, whose member is absent.
func (ix *zsIndex) add(b *byte) {
	if (ix.n+1)*4 > len(ix.slots)*3 {
		ix.resize(len(ix.slots) * 2)
	}
	ix.place(b)
	ix.n++
}

func (ix *zsIndex) place(b *byte) {
	mask := uint64(len(ix.slots) - 1)
	i := zhash(blobMember(b)) & mask
	for ix.slots[i] != nil {
		i = (i + 1) & mask
	}
	ix.slots[i] = b
}

func (ix *zsIndex) resize(size int) {
	old := ix.slots
	ix.slots = make([]*byte, size)
	for _, b := range old {
		if b != nil {
			ix.place(b)
		}
	}
}

// del removes member m (present).
func (ix *zsIndex) del(m string) {
	mask := uint64(len(ix.slots) - 1)
	i := zhash(m) & mask
	for ix.slots[i] != nil && blobMember(ix.slots[i]) != m {
		i = (i + 1) & mask
	}
	if ix.slots[i] == nil {
		return
	}
	// backward shift: pull later members of the cluster into the hole when
	// their home slot is not between the hole and their place
	for j := (i + 1) & mask; ix.slots[j] != nil; j = (j + 1) & mask {
		h := zhash(blobMember(ix.slots[j])) & mask
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			ix.slots[i] = ix.slots[j]
			i = j
		}
	}
	ix.slots[i] = nil
	ix.n--
	if len(ix.slots) > 8 && ix.n*8 < len(ix.slots) {
		ix.resize(len(ix.slots) / 2)
	}
}

// scan visits the members whose home slot is the one named by cursor, and
// the following home slots in reverse-binary order (as Redis' dictScan
// does, so that members present for a whole scan are returned even if the
// table grows or shrinks in between), until about count members were
// returned. It returns the next cursor, 0 when done.
func (ix *zsIndex) scan(cursor uint64, count int, fn func(b *byte)) uint64 {
	mask := uint64(len(ix.slots) - 1)
	got := 0
	for visits := 0; ; visits++ {
		home := cursor & mask
		for i := home; ix.slots[i] != nil; i = (i + 1) & mask {
			if zhash(blobMember(ix.slots[i]))&mask == home {
				fn(ix.slots[i])
				got++
			}
		}
		// next cursor: increment the reversed bits above the mask
		cursor |= ^mask
		cursor = bits.Reverse64(cursor)
		cursor++
		cursor = bits.Reverse64(cursor)
		if cursor == 0 || got >= count || visits >= count*10 {
			return cursor
		}
	}
}

// PrefetchMembers warms the cache for the lookups of members that commands
// about to run will make (a pipelined batch on this sorted set): the index
// slots, then the candidate blobs, a pass at a time so that the cache
// misses of different members overlap. It changes nothing.
func (z *ZSet) PrefetchMembers(ms [][]byte) {
	if z.sl == nil || len(z.sl.index.slots) == 0 {
		return
	}
	ix := &z.sl.index
	var pos [32]uint64
	n := min(len(ms), len(pos))
	mask := uint64(len(ix.slots) - 1)
	for i := 0; i < n; i++ {
		pos[i] = zhash(unsafe.String(unsafe.SliceData(ms[i]), len(ms[i]))) & mask
		keyspace.PrefetchLine(unsafe.Pointer(&ix.slots[pos[i]]))
	}
	const probe = 3 // candidates warmed per member (the mean probe is shorter)
	for i := 0; i < n; i++ {
		for j, k := pos[i], 0; k < probe; j, k = (j+1)&mask, k+1 {
			b := ix.slots[j]
			if b == nil {
				break
			}
			keyspace.PrefetchLine(unsafe.Pointer(b))
		}
	}
}
