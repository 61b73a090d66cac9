package crdt

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"unsafe"

	"github.com/lightconedb/lightcone/internal/keyspace"
)

// The "skiplist" encoding of a sorted set: a skiplist ordered by (score,
// member) whose links carry spans (how many elements they jump over), so
// that ranks are O(log n), plus a member index for O(1) score lookups.
//
// Memory layout, chosen to keep a member well under Redis' ~115 bytes:
//   - a node is 32 bytes: the member, the score, the backward link and the
//     level-0 link (level 0 needs no span: it is always 1);
//   - the member is a pointer to one small allocation holding the node's
//     height, the member's length (uvarint) and its bytes, so the node
//     carries no 16-byte string header and no pointer to its upper levels;
//   - the upper levels of the one node in four that has any are 24-byte
//     links allocated with the node, right after it (so a step along an
//     upper level touches the node's own cache line), each caching the
//     next node's score so that a descent stopping there does not load it;
//     every algorithm reaches a node's level i through a predecessor at
//     level i, so only setScore ever asks a node its height;
//   - the index is an open-addressing table of node pointers (8 bytes a
//     slot, linear probing, deletion by backward shift), not a Go map.

const zslMaxLevel = 32

type zsLevel struct {
	forward *zsNode
	span    int
	score   float64 // forward's score, so a descent that stops here need not load forward
}

type zsNode struct {
	mem      *byte // height, uvarint member length, member bytes
	score    float64
	backward *zsNode
	next     *zsNode // level 0 forward link
}

// member is the node's member (it aliases the node's member allocation,
// which never changes).
func (n *zsNode) member() string {
	p := unsafe.Pointer(n.mem)
	l := uint(*(*byte)(unsafe.Add(p, 1)))
	off := uintptr(2)
	if l >= 0x80 {
		l &= 0x7f
		for shift := uint(7); ; shift += 7 {
			b := *(*byte)(unsafe.Add(p, off))
			off++
			l |= uint(b&0x7f) << shift
			if b < 0x80 {
				break
			}
		}
	}
	return unsafe.String((*byte)(unsafe.Add(p, off)), l)
}

// before reports whether n comes before (score, member), loading n's
// member only when the scores tie.
func (n *zsNode) before(score float64, member string) bool {
	return n.score < score || (n.score == score && n.member() < member)
}

// is reports whether n holds exactly (score, member) in the order.
func (n *zsNode) is(score float64, member string) bool {
	return n.score == score && n.member() == member
}

// height is the number of levels of n.
func (n *zsNode) height() int { return int(*n.mem) }

// lv returns the node's link at level i >= 1 (the node must have it).
func (n *zsNode) lv(i int) *zsLevel {
	return (*zsLevel)(unsafe.Add(unsafe.Pointer(n), unsafe.Sizeof(zsNode{})+uintptr(i-1)*unsafe.Sizeof(zsLevel{})))
}

// fwd is the node's forward link at level i.
func (n *zsNode) fwd(i int) *zsNode {
	if i == 0 {
		return n.next
	}
	return n.lv(i).forward
}

// span is how many elements the level-i link jumps (1 at level 0).
func (n *zsNode) span(i int) int {
	if i == 0 {
		return 1
	}
	return n.lv(i).span
}

// nodeWith allocates a node followed by its upper levels T ([k]zsLevel).
func nodeWith[T any]() *zsNode {
	b := new(struct {
		n  zsNode
		lv T
	})
	return &b.n
}

func allocNode(level int) *zsNode {
	switch level {
	case 1:
		return &zsNode{}
	case 2:
		return nodeWith[[1]zsLevel]()
	case 3:
		return nodeWith[[2]zsLevel]()
	case 4:
		return nodeWith[[3]zsLevel]()
	case 5:
		return nodeWith[[4]zsLevel]()
	case 6:
		return nodeWith[[5]zsLevel]()
	case 7:
		return nodeWith[[6]zsLevel]()
	case 8:
		return nodeWith[[7]zsLevel]()
	case 9:
		return nodeWith[[8]zsLevel]()
	case 10:
		return nodeWith[[9]zsLevel]()
	case 11:
		return nodeWith[[10]zsLevel]()
	case 12:
		return nodeWith[[11]zsLevel]()
	case 13:
		return nodeWith[[12]zsLevel]()
	case 14:
		return nodeWith[[13]zsLevel]()
	case 15:
		return nodeWith[[14]zsLevel]()
	case 16:
		return nodeWith[[15]zsLevel]()
	}
	return nodeWith[[zslMaxLevel - 1]zsLevel]() // beyond 16: one in 4^16
}

func newNode(level int, member string, score float64) *zsNode {
	n := allocNode(level)
	var hdr [1 + binary.MaxVarintLen64]byte
	hdr[0] = byte(level)
	k := 1 + binary.PutUvarint(hdr[1:], uint64(len(member)))
	blob := make([]byte, k+len(member))
	copy(blob, hdr[:k])
	copy(blob[k:], member)
	n.mem, n.score = &blob[0], score
	return n
}

func randomLevel() int {
	// each further level with probability 1/4: two random bits per level
	r := rand.Uint64()
	l := 1 + bits.TrailingZeros64(r|1<<62)/2
	if l > zslMaxLevel {
		l = zslMaxLevel
	}
	return l
}

// zless orders (score, member) pairs as Redis does: by score, then by
// member bytes.
func zless(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

type skiplist struct {
	header *zsNode
	tail   *zsNode
	length int
	level  int
	index  zsIndex
}

func newSkiplist(sizeHint int) *skiplist {
	sl := &skiplist{header: newNode(zslMaxLevel, "", 0), level: 1}
	sl.index.init(sizeHint)
	return sl
}

// insert adds a member known to be absent and returns its node.
func (sl *skiplist) insert(member string, score float64) *zsNode {
	level := randomLevel()
	n := newNode(level, member, score)
	sl.link(n, level)
	sl.index.add(n)
	return n
}

// link puts node n, of the given height, in its place by (score, member).
func (sl *skiplist) link(n *zsNode, level int) {
	var update [zslMaxLevel]*zsNode
	var rank [zslMaxLevel]int
	x := sl.header
	score, member := n.score, n.member()
	for i := sl.level - 1; i >= 1; i-- {
		if i < sl.level-1 {
			rank[i] = rank[i+1]
		}
		for {
			l := x.lv(i)
			f := l.forward
			if f == nil || l.score > score || (l.score == score && f.member() >= member) {
				break
			}
			rank[i] += l.span
			x = f
		}
		update[i] = x
	}
	if sl.level > 1 {
		rank[0] = rank[1]
	}
	for {
		f := x.next
		if f == nil || !f.before(score, member) {
			break
		}
		rank[0]++
		x = f
	}
	update[0] = x
	if level > sl.level {
		for i := sl.level; i < level; i++ {
			rank[i] = 0
			update[i] = sl.header
			sl.header.lv(i).span = sl.length
		}
		sl.level = level
	}
	n.next = update[0].next
	update[0].next = n
	for i := 1; i < level; i++ {
		ul, nl := update[i].lv(i), n.lv(i)
		nl.forward, nl.score = ul.forward, ul.score
		ul.forward, ul.score = n, score
		nl.span = ul.span - (rank[0] - rank[i])
		ul.span = rank[0] - rank[i] + 1
	}
	for i := level; i < sl.level; i++ {
		update[i].lv(i).span++
	}
	n.backward = nil
	if update[0] != sl.header {
		n.backward = update[0]
	}
	if n.next != nil {
		n.next.backward = n
	} else {
		sl.tail = n
	}
	sl.length++
}

// findUpdate fills update with the last node before (score, member) at each
// level.
func (sl *skiplist) findUpdate(member string, score float64, update *[zslMaxLevel]*zsNode) {
	sl.descend(nil, member, score, update)
}

// findPreds fills update with the last node before node n (which is in the
// list) at each level, stopping at n itself without comparing it.
func (sl *skiplist) findPreds(n *zsNode, update *[zslMaxLevel]*zsNode) {
	sl.descend(n, n.member(), n.score, update)
}

// descend fills update with the last node before (score, member) at each
// level; a step to stop is never taken onto it.
func (sl *skiplist) descend(stop *zsNode, member string, score float64, update *[zslMaxLevel]*zsNode) {
	x := sl.header
	for i := sl.level - 1; i >= 1; i-- {
		for {
			l := x.lv(i)
			f := l.forward
			if f == nil || l.score > score || (l.score == score && (f == stop || f.member() >= member)) {
				break
			}
			x = f
		}
		update[i] = x
	}
	for {
		f := x.next
		if f == nil || f == stop || !f.before(score, member) {
			break
		}
		x = f
	}
	update[0] = x
}

// unlink removes node x given its predecessors and returns its height.
func (sl *skiplist) unlink(x *zsNode, update *[zslMaxLevel]*zsNode) int {
	height := 1
	if update[0].next == x {
		update[0].next = x.next
	}
	for i := 1; i < sl.level; i++ {
		ul := update[i].lv(i)
		if ul.forward == x {
			xl := x.lv(i)
			ul.span += xl.span - 1
			ul.forward, ul.score = xl.forward, xl.score
			height = i + 1
		} else {
			ul.span--
		}
	}
	if x.next != nil {
		x.next.backward = x.backward
	} else {
		sl.tail = x.backward
	}
	for sl.level > 1 && sl.header.lv(sl.level-1).forward == nil {
		sl.level--
	}
	sl.length--
	return height
}

// remove deletes member (which must be present as node n).
func (sl *skiplist) remove(n *zsNode) {
	var update [zslMaxLevel]*zsNode
	sl.findPreds(n, &update)
	sl.unlink(n, &update)
	sl.index.del(n.member())
}

// setScore changes n's score, moving it only when the order changes; the
// node (and so the index entry) stays the same.
func (sl *skiplist) setScore(n *zsNode, score float64) {
	m := n.member()
	prevOK := n.backward == nil || n.backward.before(score, m)
	nextOK := n.next == nil || !n.next.before(score, m) && !n.next.is(score, m)
	if prevOK && nextOK && n.height() == 1 {
		n.score = score // no upper link holds a copy of it
		return
	}
	var update [zslMaxLevel]*zsNode
	sl.findPreds(n, &update)
	if prevOK && nextOK {
		for i := 1; i < sl.level; i++ {
			if l := update[i].lv(i); l.forward == n {
				l.score = score
			}
		}
		n.score = score
		return
	}
	h := sl.unlink(n, &update)
	n.score = score
	sl.link(n, h)
}

// byRank returns the node at 0-based rank r (0 <= r < length).
func (sl *skiplist) byRank(r int) *zsNode {
	switch r {
	case 0:
		return sl.header.next
	case sl.length - 1:
		return sl.tail
	}
	target := r + 1
	traversed := 0
	x := sl.header
	for i := sl.level - 1; i >= 0; i-- {
		for {
			f := x.fwd(i)
			if f == nil || traversed+x.span(i) > target {
				break
			}
			traversed += x.span(i)
			x = f
		}
		if traversed == target {
			return x
		}
	}
	return nil
}

// rankOf returns the 0-based rank of node n.
func (sl *skiplist) rankOf(n *zsNode) int {
	r := 0
	nm := n.member()
	x := sl.header
	for i := sl.level - 1; i >= 0; i-- {
		for {
			f := x.fwd(i)
			if f == nil || !(f == n || f.before(n.score, nm)) {
				break
			}
			r += x.span(i)
			x = f
		}
		if x == n {
			return r - 1
		}
	}
	return r - 1
}

// countBefore returns how many elements satisfy before(node) — a predicate
// that holds for a prefix of the order.
func (sl *skiplist) countBefore(before func(n *zsNode) bool) int {
	r := 0
	x := sl.header
	for i := sl.level - 1; i >= 0; i-- {
		for {
			f := x.fwd(i)
			if f == nil || !before(f) {
				break
			}
			r += x.span(i)
			x = f
		}
	}
	return r
}

// zsIndex maps members to nodes: open addressing with linear probing over
// a power-of-two table of node pointers.
type zsIndex struct {
	slots []*zsNode
	n     int
}

var zsSeed = maphash.MakeSeed()

func zhash(m string) uint64 { return maphash.String(zsSeed, m) }

func (ix *zsIndex) init(hint int) {
	size := 8
	for size*3/4 < hint {
		size <<= 1
	}
	ix.slots = make([]*zsNode, size)
	ix.n = 0
}

func (ix *zsIndex) get(m string) *zsNode {
	mask := uint64(len(ix.slots) - 1)
	for i := zhash(m) & mask; ; i = (i + 1) & mask {
		n := ix.slots[i]
		if n == nil || n.member() == m {
			return n
		}
	}
}

// add inserts n, whose member is absent.
func (ix *zsIndex) add(n *zsNode) {
	if (ix.n+1)*4 > len(ix.slots)*3 {
		ix.resize(len(ix.slots) * 2)
	}
	ix.place(n)
	ix.n++
}

func (ix *zsIndex) place(n *zsNode) {
	mask := uint64(len(ix.slots) - 1)
	i := zhash(n.member()) & mask
	for ix.slots[i] != nil {
		i = (i + 1) & mask
	}
	ix.slots[i] = n
}

func (ix *zsIndex) resize(size int) {
	old := ix.slots
	ix.slots = make([]*zsNode, size)
	for _, n := range old {
		if n != nil {
			ix.place(n)
		}
	}
}

// del removes member m (present).
func (ix *zsIndex) del(m string) {
	mask := uint64(len(ix.slots) - 1)
	i := zhash(m) & mask
	for ix.slots[i] != nil && ix.slots[i].member() != m {
		i = (i + 1) & mask
	}
	if ix.slots[i] == nil {
		return
	}
	// backward shift: pull later members of the cluster into the hole when
	// their home slot is not between the hole and their place
	for j := (i + 1) & mask; ix.slots[j] != nil; j = (j + 1) & mask {
		h := zhash(ix.slots[j].member()) & mask
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
func (ix *zsIndex) scan(cursor uint64, count int, fn func(n *zsNode)) uint64 {
	mask := uint64(len(ix.slots) - 1)
	got := 0
	for visits := 0; ; visits++ {
		home := cursor & mask
		for i := home; ix.slots[i] != nil; i = (i + 1) & mask {
			if zhash(ix.slots[i].member())&mask == home {
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
// slots, the candidate nodes and their member bytes, then the neighbours of
// each member's node (ZADD's check whether a new score keeps the order), a
// pass at a time so that the cache misses of different members overlap. It
// changes nothing.
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
			nd := ix.slots[j]
			if nd == nil {
				break
			}
			keyspace.PrefetchLine(unsafe.Pointer(nd))
		}
	}
	for i := 0; i < n; i++ {
		for j, k := pos[i], 0; k < probe; j, k = (j+1)&mask, k+1 {
			nd := ix.slots[j]
			if nd == nil {
				break
			}
			keyspace.PrefetchLine(unsafe.Pointer(nd.mem))
		}
	}
	for i := 0; i < n; i++ {
		if nd := ix.get(unsafe.String(unsafe.SliceData(ms[i]), len(ms[i]))); nd != nil {
			if nd.backward != nil {
				keyspace.PrefetchLine(unsafe.Pointer(nd.backward))
			}
			if nd.next != nil {
				keyspace.PrefetchLine(unsafe.Pointer(nd.next))
			}
		}
	}
}
