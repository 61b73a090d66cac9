package crdt

import (
	"encoding/binary"
	"io"
	"math"
	"sort"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// ZSet: a sorted set. Membership is observed-remove (an add wins over a
// concurrent remove); a member's score is a register with counter deltas,
// crdt.Cell's rule: the last surviving assignment (ZADD, GEOADD) gives the
// score and surviving increments (ZINCRBY, ZADD INCR) it had not observed
// are added on top, in stamp order.
//
// Payload: one sub-op byte, then a count and that many items.
//
//	'a' n (member score)*   assignments: ZADD, GEOADD (the writer has applied
//	                        NX/XX/GT/LT: these are the resulting scores)
//	'i' n (member delta)*   increments: ZINCRBY, ZADD INCR
//	'r' n member*           removals: ZREM, pops, range removals (exactly the
//	                        members that go)
//	's' enc n (member score)*  with effect.FlagReplace: the whole new value
//	                        (ZUNIONSTORE, ZRANGESTORE, RESTORE, COPY...); enc
//	                        1 forces the skiplist encoding
//
// Scores are float64 bits; members length-prefixed bytes.
//
// Layout mirrors Redis 7.0's two encodings: "listpack" (a sorted array)
// while there are at most ZSetMaxListpackEntries members, none longer than
// ZSetMaxListpackValue bytes, then "skiplist" (a B+tree with a member
// index, see zset_tree.go) for good. As in a listpack, which stores scores as text, a listpack never
// holds -0: it holds 0.
type ZSet struct {
	lp []ZEntry // listpack: ascending (score, member)
	sl *ztree   // the "skiplist" encoding (a B+tree, zset_tree.go) when non-nil
	// last is the blob of the last member looked up: a command reads a
	// member's score, then its effect sets it, with one index lookup
	// between them
	last *byte
}

// ZEntry is one member and its score.
type ZEntry struct {
	Member string
	Score  float64
}

// Redis' zset-max-listpack-entries and zset-max-listpack-value (CONFIG SET
// changes them; the zset-max-ziplist-* names are aliases).
var (
	ZSetMaxListpackEntries = 128
	ZSetMaxListpackValue   = 64
)

// ZSet payload sub-ops.
const (
	ZSetAssign byte = 'a'
	ZSetIncr   byte = 'i'
	ZSetRem    byte = 'r'
	ZSetSnap   byte = 's'
	// ZSetToSkiplist (no items) converts a listpack to a skiplist and
	// changes no member or score (SORT does this, as Redis does).
	ZSetToSkiplist byte = 'c'
)

type zsetType struct{}

func init() { Register(effect.OpZSet, zsetType{}) }

func (zsetType) Kind() keyspace.Kind { return keyspace.KindZSet }

// NewZSet returns an empty listpack-encoded sorted set.
func NewZSet() *ZSet { return &ZSet{} }

// NewZSetSkiplist returns an empty skiplist-encoded sorted set sized for
// about hint members.
func NewZSetSkiplist(hint int) *ZSet { return &ZSet{sl: newZTree(hint)} }

// Kind is KindZSet.
func (z *ZSet) Kind() keyspace.Kind { return keyspace.KindZSet }

// Len is the number of members.
func (z *ZSet) Len() int {
	if z.sl != nil {
		return z.sl.length
	}
	return len(z.lp)
}

// Encoding is "listpack" or "skiplist".
func (z *ZSet) Encoding() string {
	if z.sl != nil {
		return "skiplist"
	}
	return "listpack"
}

// IsListpack reports whether the set is listpack-encoded.
func (z *ZSet) IsListpack() bool { return z.sl == nil }

// Clone is a deep copy.
func (z *ZSet) Clone() Object {
	if z.sl == nil {
		return &ZSet{lp: append([]ZEntry(nil), z.lp...)}
	}
	c := zcursor{z.sl.first, 0}
	return &ZSet{sl: buildZTree(z.sl.length, func(int) (string, float64) {
		m, s := c.entry()
		c.next()
		return m, s
	})}
}

// node finds member m's blob in the tree encoding.
func (z *ZSet) node(m []byte) *byte {
	if l := z.last; l != nil && blobMember(l) == string(m) {
		return l
	}
	b := z.sl.index.get(string(m))
	if b != nil {
		z.last = b
	}
	return b
}

// Score returns member m's score.
func (z *ZSet) Score(m []byte) (float64, bool) {
	if z.sl != nil {
		b := z.node(m)
		if b == nil {
			return 0, false
		}
		return blobScore(b), true
	}
	for i := range z.lp {
		if z.lp[i].Member == string(m) {
			return z.lp[i].Score, true
		}
	}
	return 0, false
}

// Rank returns member m's 0-based rank in ascending order, and its score.
func (z *ZSet) Rank(m []byte) (int, float64, bool) {
	if z.sl != nil {
		b := z.node(m)
		if b == nil {
			return 0, 0, false
		}
		return z.sl.rankOf(b), blobScore(b), true
	}
	for i := range z.lp {
		if z.lp[i].Member == string(m) {
			return i, z.lp[i].Score, true
		}
	}
	return 0, 0, false
}

func (z *ZSet) lpFind(m []byte) (int, bool) {
	for i := range z.lp {
		if z.lp[i].Member == string(m) {
			return i, true
		}
	}
	return 0, false
}

// lpSearch is the index at which (score, member) belongs in the listpack.
func (z *ZSet) lpSearch(score float64, member string) int {
	return sort.Search(len(z.lp), func(i int) bool {
		e := &z.lp[i]
		return !zless(e.Score, e.Member, score, member)
	})
}

// Set gives member m the score, adding it when absent; it reports whether
// m was added. It converts to a skiplist as Redis does when the listpack
// would grow past the limits.
func (z *ZSet) Set(m []byte, score float64) bool {
	if z.sl != nil {
		if b := z.node(m); b != nil {
			if old := blobScore(b); old != score || math.Signbit(old) != math.Signbit(score) {
				z.sl.setScore(b, score)
			}
			return false
		}
		z.sl.insert(string(m), score)
		return true
	}
	if len(z.lp)+1 > ZSetMaxListpackEntries || len(m) > ZSetMaxListpackValue {
		if _, found := z.lpFind(m); !found {
			// the new member does not fit: convert first (its score is
			// then kept exactly, -0 included)
			z.toSkiplist(len(z.lp) + 1)
			z.sl.insert(string(m), score)
			return true
		}
	}
	if score == 0 {
		score = 0 // a listpack stores scores as text: -0 reads back as 0
	}
	for i := range z.lp {
		if z.lp[i].Member != string(m) {
			continue
		}
		if z.lp[i].Score == score {
			return false
		}
		member := z.lp[i].Member
		copy(z.lp[i:], z.lp[i+1:])
		z.lp = z.lp[:len(z.lp)-1]
		j := z.lpSearch(score, member)
		z.lp = append(z.lp, ZEntry{})
		copy(z.lp[j+1:], z.lp[j:])
		z.lp[j] = ZEntry{Member: member, Score: score}
		return false
	}
	member := string(m)
	j := z.lpSearch(score, member)
	z.lp = append(z.lp, ZEntry{})
	copy(z.lp[j+1:], z.lp[j:])
	z.lp[j] = ZEntry{Member: member, Score: score}
	return true
}

// toSkiplist converts a listpack to the skiplist encoding.
func (z *ZSet) toSkiplist(hint int) {
	if z.sl != nil {
		return
	}
	lp := z.lp
	z.sl = buildZTree(len(lp), func(i int) (string, float64) { return lp[i].Member, lp[i].Score })
	if hint > len(lp) {
		z.sl.index.resize(indexSize(hint))
	}
	z.lp = nil
}

// ToSkiplist converts the set to the skiplist encoding (RESTORE of a large
// listpack, STORE commands).
func (z *ZSet) ToSkiplist() { z.toSkiplist(z.Len()) }

// Remove deletes member m and reports whether it was there.
func (z *ZSet) Remove(m []byte) bool {
	if z.sl != nil {
		b := z.node(m)
		if b == nil {
			return false
		}
		z.last = nil
		z.sl.removeBlob(b)
		z.sl.index.del(blobMember(b))
		return true
	}
	for i := range z.lp {
		if z.lp[i].Member == string(m) {
			copy(z.lp[i:], z.lp[i+1:])
			z.lp[len(z.lp)-1] = ZEntry{}
			z.lp = z.lp[:len(z.lp)-1]
			return true
		}
	}
	return false
}

// Range calls fn for the members of ranks start..end (0-based, inclusive,
// 0 <= start <= end < Len), ascending, or from end down to start when rev,
// until fn returns false.
func (z *ZSet) Range(start, end int, rev bool, fn func(member string, score float64) bool) {
	if start > end || start < 0 || end >= z.Len() {
		return
	}
	if z.sl == nil {
		if rev {
			for i := end; i >= start; i-- {
				if !fn(z.lp[i].Member, z.lp[i].Score) {
					return
				}
			}
			return
		}
		for i := start; i <= end; i++ {
			if !fn(z.lp[i].Member, z.lp[i].Score) {
				return
			}
		}
		return
	}
	if rev {
		c := z.sl.byRank(end)
		for i := end; i >= start && c.ok(); i-- {
			if !fn(c.entry()) {
				return
			}
			c.prev()
		}
		return
	}
	c := z.sl.byRank(start)
	for i := start; i <= end && c.ok(); i++ {
		if !fn(c.entry()) {
			return
		}
		c.next()
	}
}

// At returns the member of rank r (0 <= r < Len).
func (z *ZSet) At(r int) (string, float64) {
	if z.sl == nil {
		return z.lp[r].Member, z.lp[r].Score
	}
	c := z.sl.byRank(r)
	return c.entry()
}

// Each calls fn for every member in ascending order until fn returns false.
func (z *ZSet) Each(fn func(member string, score float64) bool) {
	if n := z.Len(); n > 0 {
		z.Range(0, n-1, false, fn)
	}
}

// ScoreBound is one end of a score interval.
type ScoreBound struct {
	Score     float64
	Exclusive bool
}

// ScoreRanks returns the ranks [lo, hi) of the members whose scores lie
// between min and max (empty when lo >= hi).
func (z *ZSet) ScoreRanks(min, max ScoreBound) (lo, hi int) {
	below := func(s float64) bool { // s lies before the interval
		if min.Exclusive {
			return s <= min.Score
		}
		return s < min.Score
	}
	notAbove := func(s float64) bool { // s lies before the interval's end
		if max.Exclusive {
			return s < max.Score
		}
		return s <= max.Score
	}
	if z.sl == nil {
		lo = sort.Search(len(z.lp), func(i int) bool { return !below(z.lp[i].Score) })
		hi = sort.Search(len(z.lp), func(i int) bool { return !notAbove(z.lp[i].Score) })
	} else {
		lo = z.sl.countBefore(func(s float64, _ *byte) bool { return below(s) })
		hi = z.sl.countBefore(func(s float64, _ *byte) bool { return notAbove(s) })
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// LexBound is one end of a lexicographic interval: "-" and "+" are the
// infinities, otherwise Value with Exclusive for '(' and not for '['.
type LexBound struct {
	Inf       int // -1: "-", +1: "+", 0: Value
	Value     string
	Exclusive bool
}

// gteMin: member m is not before the interval's start.
func (b *LexBound) gteMin(m string) bool {
	switch b.Inf {
	case -1:
		return true
	case 1:
		return false
	}
	if b.Exclusive {
		return m > b.Value
	}
	return m >= b.Value
}

// lteMax: member m is not past the interval's end.
func (b *LexBound) lteMax(m string) bool {
	switch b.Inf {
	case -1:
		return false
	case 1:
		return true
	}
	if b.Exclusive {
		return m < b.Value
	}
	return m <= b.Value
}

// lexEmpty reports whether the interval is empty whatever the members.
func lexEmpty(min, max *LexBound) bool {
	if min.Inf == 1 || max.Inf == -1 {
		return true
	}
	if min.Inf == -1 || max.Inf == 1 {
		return false
	}
	if min.Value > max.Value {
		return true
	}
	return min.Value == max.Value && (min.Exclusive || max.Exclusive)
}

// LexRanks returns the ranks [lo, hi) of the members between min and max,
// for a set whose members all have the same score (Redis leaves the result
// unspecified otherwise). The listpack walks as Redis' listpack does (so
// it answers as Redis even then): forwards from the first member >= min
// while members are <= max, or with rev backwards from the last member <=
// max while members are >= min.
func (z *ZSet) LexRanks(min, max LexBound, rev bool) (lo, hi int) {
	n := z.Len()
	if n == 0 || lexEmpty(&min, &max) {
		return 0, 0
	}
	if z.sl == nil {
		// Redis first checks the ends: the last member must be >= min and
		// the first <= max
		if !min.gteMin(z.lp[n-1].Member) || !max.lteMax(z.lp[0].Member) {
			return 0, 0
		}
		if rev {
			hi = n
			for hi > 0 && !max.lteMax(z.lp[hi-1].Member) {
				hi--
			}
			lo = hi
			for lo > 0 && min.gteMin(z.lp[lo-1].Member) {
				lo--
			}
			return lo, hi
		}
		for lo < n && !min.gteMin(z.lp[lo].Member) {
			lo++
		}
		hi = lo
		for hi < n && max.lteMax(z.lp[hi].Member) {
			hi++
		}
		return lo, hi
	}
	sl := z.sl
	last, first := zcursor{sl.last, sl.last.n - 1}, zcursor{sl.first, 0}
	if !min.gteMin(last.member()) || !max.lteMax(first.member()) {
		return 0, 0
	}
	lo = sl.countBefore(func(_ float64, b *byte) bool { return !min.gteMin(blobMember(b)) })
	hi = sl.countBefore(func(_ float64, b *byte) bool { return max.lteMax(blobMember(b)) })
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// LexWalk is ZRANGEBYLEX's walk with LIMIT: from the first member in range
// (forwards: the first >= min, which must be <= max; backwards: the last
// <= max, which must be >= min), skip offset members whatever they are,
// then take up to limit (all when negative) members while they stay on the
// near side of the far bound. It returns the ranks [lo, hi) taken (walked
// from hi-1 down when rev). For a set whose members all share a score this
// is the plain lexicographic range; for mixed scores it answers as Redis
// does.
func (z *ZSet) LexWalk(min, max LexBound, rev bool, offset, limit int64) (lo, hi int) {
	n := z.Len()
	a, b := z.LexRanks(min, max, rev) // the contiguous run in range
	if offset < 0 || a >= b || offset >= int64(n) {
		return 0, 0
	}
	if !rev {
		p := a + int(offset)
		if p >= n {
			return 0, 0
		}
		q := b
		if p >= b { // skipped past the run: take on from p
			q = p
			z.Range(p, n-1, false, func(m string, _ float64) bool {
				if !max.lteMax(m) {
					return false
				}
				q++
				return true
			})
		}
		if limit >= 0 && int64(q-p) > limit {
			q = p + int(limit)
		}
		return p, q
	}
	p := b - 1 - int(offset) // the first taken, walking down
	if p < 0 {
		return 0, 0
	}
	q := a // the last taken
	if p < a {
		q = p + 1
		z.Range(0, p, true, func(m string, _ float64) bool {
			if !min.gteMin(m) {
				return false
			}
			q--
			return true
		})
	}
	if limit >= 0 && int64(p+1-q) > limit {
		q = p + 1 - int(limit)
	}
	return q, p + 1
}

// Scan visits members for ZSCAN from cursor (0 = start), about count of
// them, and returns the next cursor (0 = done). A listpack is returned
// whole, as Redis does for small encodings.
func (z *ZSet) Scan(cursor uint64, count int, fn func(member string, score float64)) uint64 {
	if z.sl == nil {
		for _, e := range z.lp {
			fn(e.Member, e.Score)
		}
		return 0
	}
	return z.sl.index.scan(cursor, count, func(b *byte) { fn(blobMember(b), blobScore(b)) })
}

// EncodeZSetMembers writes a payload of members (op ZSetRem).
func EncodeZSetMembers(p *Enc, op byte, members [][]byte) {
	p.Byte(op)
	p.Uvarint(uint64(len(members)))
	for _, m := range members {
		p.Bytes(m)
	}
}

// ZSetPayload writes a payload incrementally: Begin, then Member/Pair for
// each item, then End fixes the count. Items go in the order they apply.
type ZSetPayload struct {
	p     *Enc
	start int
	n     int
}

// Snapshot encodings (the byte after ZSetSnap): how the new value is
// built, as Redis builds it for the command that writes it.
const (
	// ZSnapIncremental adds the members one by one to a listpack that
	// converts when it outgrows the limits (ZRANGESTORE, RESTORE ...).
	ZSnapIncremental byte = 0
	// ZSnapSkiplist builds a skiplist whatever the size (a copy of a
	// skiplist; ZRANGESTORE of a rank range longer than the limit).
	ZSnapSkiplist byte = 1
	// ZSnapBuilt builds the whole set, then makes it a listpack if it fits
	// (ZUNIONSTORE and friends, RESTORE of a skiplist dump).
	ZSnapBuilt byte = 2
	// ZSnapListpack builds a listpack whatever the limits (a copy of a
	// listpack; RESTORE of a listpack payload within the entry limit, which
	// Redis loads as it is even with members longer than the value limit).
	ZSnapListpack byte = 3
)

// BeginZSet starts a payload of sub-op op on p; a snapshot (ZSetSnap) takes
// its encoding byte enc (ZSnap*), other sub-ops ignore it.
func BeginZSet(p *Enc, op byte, enc byte) ZSetPayload {
	p.Byte(op)
	if op == ZSetSnap {
		p.Byte(enc)
	}
	start := len(p.B)
	// room for the count, fixed in End (5 bytes of uvarint hold 2^35)
	p.B = append(p.B, 0x80, 0x80, 0x80, 0x80, 0)
	return ZSetPayload{p: p, start: start}
}

// Pair adds a member and a score (or delta).
func (w *ZSetPayload) Pair(m []byte, score float64) {
	w.p.Bytes(m)
	w.p.Float64(score)
	w.n++
}

// PairString is Pair for a string member.
func (w *ZSetPayload) PairString(m string, score float64) {
	w.p.Uvarint(uint64(len(m)))
	w.p.B = append(w.p.B, m...)
	w.p.Float64(score)
	w.n++
}

// Member adds a member (ZSetRem).
func (w *ZSetPayload) Member(m []byte) {
	w.p.Bytes(m)
	w.n++
}

// MemberString is Member for a string.
func (w *ZSetPayload) MemberString(m string) {
	w.p.Uvarint(uint64(len(m)))
	w.p.B = append(w.p.B, m...)
	w.n++
}

// Count is the number of items so far.
func (w *ZSetPayload) Count() int { return w.n }

// End writes the item count into its reserved room (a padded uvarint).
func (w *ZSetPayload) End() {
	b := w.p.B[w.start : w.start+5]
	v := uint64(w.n)
	for i := 0; i < 4; i++ {
		b[i] = byte(v&0x7f) | 0x80
		v >>= 7
	}
	b[4] = byte(v)
}

// EncodeZSetPairs writes a payload of one sub-op (ZSetAssign, ZSetIncr)
// with members and scores.
func EncodeZSetPairs(p *Enc, op byte, members [][]byte, scores []float64) {
	p.Byte(op)
	p.Uvarint(uint64(len(members)))
	for i, m := range members {
		p.Bytes(m)
		p.Float64(scores[i])
	}
}

// Snapshot writes a replace payload that recreates the set and its
// encoding.
func (z *ZSet) Snapshot(p *Enc) {
	enc := ZSnapListpack // a copy keeps the encoding, whatever the limits say now
	if z.sl != nil {
		enc = ZSnapSkiplist
	}
	w := BeginZSet(p, ZSetSnap, enc)
	z.Each(func(m string, s float64) bool { w.PairString(m, s); return true })
	w.End()
}

// Digest writes the members sorted by member, each with its score (0 and
// -0 digest alike).
func (z *ZSet) Digest(w io.Writer) {
	es := make([]ZEntry, 0, z.Len())
	z.Each(func(m string, s float64) bool { es = append(es, ZEntry{m, s}); return true })
	sort.Slice(es, func(i, j int) bool { return es[i].Member < es[j].Member })
	var b [binary.MaxVarintLen64 + 8]byte
	for _, e := range es {
		w.Write(b[:binary.PutUvarint(b[:], uint64(len(e.Member)))])
		io.WriteString(w, e.Member)
		s := e.Score
		if s == 0 {
			s = 0
		}
		binary.BigEndian.PutUint64(b[:8], math.Float64bits(s))
		w.Write(b[:8])
	}
}

// zsetHeader reads a payload's sub-op, snapshot encoding and item count.
func zsetHeader(d *Dec) (op byte, enc byte, n int) {
	op = d.Byte()
	if op == ZSetSnap {
		enc = d.Byte()
	}
	n = d.Count()
	switch op {
	case ZSetAssign, ZSetIncr, ZSetRem, ZSetSnap, ZSetToSkiplist:
	default:
		d.Err = true
	}
	return op, enc, n
}

// EncodeZSetToSkiplist writes the encoding-only conversion payload.
func EncodeZSetToSkiplist(p *Enc) {
	p.Byte(ZSetToSkiplist)
	p.Uvarint(0)
}

func (zsetType) Apply(obj Object, e *effect.Effect, _ Ctx) Object {
	z, _ := obj.(*ZSet)
	d := NewDec(e.Value)
	op, enc, n := zsetHeader(&d)
	if d.Err {
		return obj
	}
	if op == ZSetToSkiplist {
		if z != nil && z.IsListpack() {
			z.ToSkiplist()
		}
		return obj
	}
	if z == nil && op == ZSetRem {
		return nil
	}
	if z == nil && op == ZSetSnap && (enc == ZSnapBuilt || enc == ZSnapListpack) {
		return buildFromPayload(&d, n, enc == ZSnapListpack)
	}
	if z == nil {
		if op == ZSetSnap && enc == ZSnapSkiplist {
			z = NewZSetSkiplist(n)
		} else {
			z = NewZSet()
		}
	}
	for i := 0; i < n; i++ {
		m := d.Bytes()
		if op == ZSetRem {
			if d.Err {
				break
			}
			z.Remove(m)
			continue
		}
		s := d.Float64()
		if d.Err || s != s {
			break
		}
		if op == ZSetIncr {
			if cur, ok := z.Score(m); ok {
				ns := cur + s
				if ns != ns {
					continue // the writer refuses a NaN result
				}
				s = ns
			}
		}
		z.Set(m, s)
	}
	return z
}

// buildFromPayload builds a ZSnapBuilt (or, with listpack, ZSnapListpack)
// snapshot's set from its n pairs.
func buildFromPayload(d *Dec, n int, listpack bool) Object {
	es := make([]ZEntry, 0, n)
	at := make(map[string]int, n)
	for i := 0; i < n; i++ {
		m := d.Bytes()
		s := d.Float64()
		if d.Err || s != s {
			break
		}
		if j, dup := at[string(m)]; dup {
			es[j].Score = s
			continue
		}
		at[string(m)] = len(es)
		es = append(es, ZEntry{Member: string(m), Score: s})
	}
	if len(es) == 0 {
		return nil
	}
	if listpack {
		sort.Slice(es, func(i, j int) bool { return zless(es[i].Score, es[i].Member, es[j].Score, es[j].Member) })
		for i := range es {
			if es[i].Score == 0 {
				es[i].Score = 0
			}
		}
		return &ZSet{lp: es}
	}
	return BuildZSet(es, false)
}

// zval is a score while merging: set is false for "no value yet", so that
// the first increment on nothing gives exactly the increment (-0 stays -0),
// as ZINCRBY on a new member does.
type zval struct {
	f   float64
	set bool
}

func zadd(v, d zval) (zval, bool) {
	if !v.set {
		return zval{f: d.f, set: true}, true
	}
	r := v.f + d.f
	if r != r {
		return v, false
	}
	return zval{f: r, set: true}, true
}

type zsetMerger struct {
	cells    map[string]*Cell[zval]
	order    []string // first-seen order
	present  int
	skiplist bool
}

func (zsetType) Merger(base Object, _ Ctx) Merger {
	m := &zsetMerger{cells: map[string]*Cell[zval]{}}
	if b, ok := base.(*ZSet); ok && b != nil {
		m.skiplist = b.sl != nil
		b.Each(func(x string, s float64) bool {
			c := m.cell(x)
			c.Base = true
			c.BaseVal = zval{f: s, set: true}
			m.present++
			return true
		})
	}
	return m
}

func (m *zsetMerger) cell(x string) *Cell[zval] {
	c := m.cells[x]
	if c == nil {
		c = &Cell[zval]{}
		m.cells[x] = c
		m.order = append(m.order, x)
	}
	return c
}

func (m *zsetMerger) Step(e *effect.Effect) {
	d := NewDec(e.Value)
	op, enc, n := zsetHeader(&d)
	if d.Err {
		return
	}
	if e.Flags&effect.FlagReplace != 0 {
		m.present = 0
		for _, c := range m.cells {
			c.Remove(e)
			if c.Present() {
				m.present++
			}
		}
		m.skiplist = op == ZSetSnap && enc == ZSnapSkiplist
	} else if op == ZSetSnap {
		return // a snapshot only ever comes as a replacement
	} else if op == ZSetToSkiplist {
		if m.present > 0 {
			m.skiplist = true
		}
		return
	}
	for i := 0; i < n; i++ {
		x := d.Bytes()
		var s float64
		if op != ZSetRem {
			s = d.Float64()
			if s != s {
				d.Err = true
			}
		}
		if d.Err {
			break
		}
		c := m.cell(string(x))
		was := c.Present()
		switch op {
		case ZSetRem:
			c.Remove(e)
		case ZSetIncr:
			c.Delta(e, zval{f: s, set: true})
		default:
			c.Assign(e, zval{f: s, set: true})
		}
		if now := c.Present(); now != was {
			if now {
				m.present++
				if len(x) > ZSetMaxListpackValue {
					m.skiplist = true
				}
			} else {
				m.present--
			}
		}
		if m.present > ZSetMaxListpackEntries {
			m.skiplist = true
		}
	}
	if m.present == 0 {
		m.skiplist = false // gone: a new one starts as a listpack, as Apply's does
	}
}

func (m *zsetMerger) Exists() bool { return m.present > 0 }

func (m *zsetMerger) Result() Object {
	sort.Strings(m.order)
	es := make([]ZEntry, 0, m.present)
	for _, x := range m.order {
		v, ok := m.cells[x].Result(zval{}, zadd)
		if ok {
			es = append(es, ZEntry{Member: x, Score: v.f})
		}
	}
	if len(es) == 0 {
		return nil
	}
	return BuildZSet(es, m.skiplist)
}

// BuildZSet makes a sorted set of distinct members (in any order): a
// skiplist when skiplist is true or the members do not fit a listpack.
func BuildZSet(es []ZEntry, skiplist bool) *ZSet {
	sort.Slice(es, func(i, j int) bool { return zless(es[i].Score, es[i].Member, es[j].Score, es[j].Member) })
	if !skiplist {
		if len(es) > ZSetMaxListpackEntries {
			skiplist = true
		}
		for i := range es {
			if len(es[i].Member) > ZSetMaxListpackValue {
				skiplist = true
				break
			}
		}
	}
	z := &ZSet{lp: es}
	if skiplist {
		z.toSkiplist(len(es))
		return z
	}
	for i := range z.lp {
		if z.lp[i].Score == 0 {
			z.lp[i].Score = 0
		}
	}
	return z
}
