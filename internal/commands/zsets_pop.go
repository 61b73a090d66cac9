package commands

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
)

// ZPOPMIN/ZPOPMAX, ZMPOP, the blocking BZPOPMIN/BZPOPMAX/BZMPOP,
// ZRANDMEMBER and ZSCAN.

const zerrPositive = "ERR value is out of range, must be positive"

func cmdZpop(c *Ctx, max bool) {
	if len(c.Args) > 3 {
		c.Syntax()
		return
	}
	count := int64(-1)
	if len(c.Args) == 3 {
		v, ok := ParseInt(c.Args[2])
		if !ok || v < 0 {
			c.Error(zerrPositive)
			return
		}
		count = v
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	zpopFrom(c, tx, c.Args[1:2], max, false, count, c.Proto() > 2 && count != -1, false)
}

// zpopShape: how a pop replies.
//   - emitKey: the key comes first (BZPOP*, ZMPOP, BZMPOP);
//   - nested: pairs are [member, score] arrays (RESP3 ZPOP* with a count,
//     ZMPOP and BZMPOP always);
//   - nilWhenEmpty: nothing to pop replies a null array, not an empty one.
//
// zpopFrom pops from the first of keys that exists (WRONGTYPE for a key of
// another kind met before it), as Redis' genericZpopCommand. count -1 is a
// plain single pop.
func zpopFrom(c *Ctx, tx *engine.Tx, keys [][]byte, max, emitKey bool, count int64, nested, nilWhenEmpty bool) {
	var key []byte
	var z *crdt.ZSet
	for _, k := range keys {
		ent := tx.Get(c.DB, k)
		if ent == nil {
			continue
		}
		var ok bool
		if z, ok = zsetOf(c, ent); !ok {
			return
		}
		key = k
		break
	}
	if z == nil {
		if nilWhenEmpty {
			c.W.NullArray()
		} else {
			c.W.ArrayLen(0)
		}
		return
	}
	if count == 0 {
		c.W.ArrayLen(0)
		return
	}
	if count == -1 {
		count = 1
	}
	zpopReply(c, tx, key, z, max, emitKey, count, nested)
}

// zpopReply pops up to count members of z (non-empty) at key and replies.
func zpopReply(c *Ctx, tx *engine.Tx, key []byte, z *crdt.ZSet, max, emitKey bool, count int64, nested bool) {
	n := z.Len()
	k := n
	if count < int64(n) {
		k = int(count)
	}
	switch {
	case !nested && !emitKey:
		c.W.ArrayLen(2 * k)
	case nested && !emitKey:
		c.W.ArrayLen(k)
	case !nested && emitKey:
		c.W.ArrayLen(2*k + 1)
		c.W.Bulk(key)
	default:
		c.W.ArrayLen(2)
		c.W.Bulk(key)
		c.W.ArrayLen(k)
	}
	p := tx.Payload()
	w := crdt.BeginZSet(p, crdt.ZSetRem, 0)
	lo, hi := 0, k
	if max {
		lo, hi = n-k, n
	}
	z.Range(lo, hi-1, max, func(m string, s float64) bool {
		if nested {
			c.W.ArrayLen(2)
		}
		c.W.BulkString(m)
		c.W.Double(s)
		w.MemberString(m)
		return true
	})
	w.End()
	tx.Event = notify.ZPopMin
	if max {
		tx.Event = notify.ZPopMax
	}
	tx.Coll(c.DB, key, effect.OpZSet, p)
}

// zmpop is ZMPOP (numkeys at argument 1) and BZMPOP (timeout at 1,
// numkeys at 2).
func zmpop(c *Ctx, numIdx int, block bool) {
	nk, ok := ParseInt(c.Args[numIdx])
	if !ok || nk < 1 {
		c.Error("ERR numkeys should be greater than 0")
		return
	}
	if nk >= int64(len(c.Args)-numIdx-1) {
		c.Syntax()
		return
	}
	whereIdx := numIdx + int(nk) + 1
	var max bool
	switch {
	case c.Is(whereIdx, "min"):
	case c.Is(whereIdx, "max"):
		max = true
	default:
		c.Syntax()
		return
	}
	count := int64(-1)
	for j := whereIdx + 1; j < len(c.Args); j++ {
		if count == -1 && c.Is(j, "count") && j+1 < len(c.Args) {
			j++
			v, ok := ParseInt(c.Args[j])
			if !ok || v < 1 {
				c.Error("ERR count should be greater than 0")
				return
			}
			count = v
			continue
		}
		c.Syntax()
		return
	}
	if count == -1 {
		count = 1
	}
	keys := c.Args[numIdx+1 : whereIdx]
	if !block {
		tx := c.Eng.Begin(c.DB, keys...)
		defer tx.End()
		zpopFrom(c, tx, keys, max, true, count, true, true)
		return
	}
	deadline, ok := c.TimeoutArg(1, true)
	if !ok {
		return
	}
	zblock(c, keys, deadline, max, count, true)
}

func cmdBzpop(c *Ctx, max bool) {
	deadline, ok := c.TimeoutArg(len(c.Args)-1, true)
	if !ok {
		return
	}
	zblock(c, c.Args[1:len(c.Args)-1], deadline, max, -1, false)
}

// zblock serves a blocking pop at once when one of keys holds members,
// else parks the client (nested: the BZMPOP reply shape).
func zblock(c *Ctx, keys [][]byte, deadline int64, max bool, count int64, nested bool) {
	if done := ztryPop(c, keys, max, count, nested, true); done {
		return
	}
	if c.Blocker == nil {
		c.W.NullArray()
		return
	}
	nk := len(keys)
	first := 1
	if nested {
		first = 3 // BZMPOP timeout numkeys key...
	}
	c.Blocker.Block(c, keys, deadline, func(c2 *Ctx) bool {
		return ztryPop(c2, readyKeys(c2, c2.Args[first:first+nk]), max, count, nested, false)
	}, func(c2 *Ctx) { c2.W.NullArray() })
}

// ztryPop pops from the first of keys holding a sorted set and reports
// whether it replied. With typeErrors a key of another kind met first
// replies WRONGTYPE (as the command does); a retry after blocking skips
// such keys and keeps waiting, as Redis does.
func ztryPop(c *Ctx, keys [][]byte, max bool, count int64, nested, typeErrors bool) bool {
	tx := c.Eng.Begin(c.DB, keys...)
	defer tx.End()
	for _, k := range keys {
		ent := tx.Get(c.DB, k)
		if ent == nil {
			continue
		}
		if ent.Kind != keyspace.KindZSet {
			if typeErrors {
				c.WrongType()
				return true
			}
			continue
		}
		z := ent.Obj().(*crdt.ZSet)
		if z.Len() == 0 {
			continue
		}
		if count == -1 {
			count = 1
		}
		zpopReply(c, tx, k, z, max, true, count, nested)
		return true
	}
	return false
}

// ---- ZRANDMEMBER ----

func cmdZrandmember(c *Ctx) {
	if len(c.Args) >= 3 {
		l, ok := c.IntArg(2)
		if !ok {
			return
		}
		if l == math.MinInt64 {
			c.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
			return
		}
		withScores := false
		if len(c.Args) > 4 || (len(c.Args) == 4 && !c.Is(3, "withscores")) {
			c.Syntax()
			return
		} else if len(c.Args) == 4 {
			withScores = true
			if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
				c.Error("ERR value is out of range")
				return
			}
		}
		zrandWithCount(c, l, withScores)
		return
	}
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	z, ok := zsetOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	if z == nil {
		c.W.Null()
		return
	}
	m, _ := z.At(rand.IntN(z.Len()))
	c.W.BulkString(m)
}

func zrandWithCount(c *Ctx, count int64, withScores bool) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	z, ok := zsetOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	if z == nil {
		c.W.ArrayLen(0)
		return
	}
	uniq := true
	if count < 0 {
		count, uniq = -count, false
	}
	if count == 0 {
		c.W.ArrayLen(0)
		return
	}
	resp3 := c.Proto() > 2
	emit := func(m string, s float64) {
		if withScores && resp3 {
			c.W.ArrayLen(2)
		}
		c.W.BulkString(m)
		if withScores {
			c.W.Double(s)
		}
	}
	header := func(n int) {
		if withScores && !resp3 {
			c.W.ArrayLen(2 * n)
		} else {
			c.W.ArrayLen(n)
		}
	}
	size := z.Len()
	if !uniq || count == 1 {
		// with repetitions, in random order
		header(int(count))
		for i := int64(0); i < count; i++ {
			m, s := z.At(rand.IntN(size))
			emit(m, s)
		}
		return
	}
	if count >= int64(size) {
		// the whole set, from the highest rank down (as Redis 7.0 does)
		header(size)
		z.Range(0, size-1, true, func(m string, s float64) bool { emit(m, s); return true })
		return
	}
	// count distinct ranks (Floyd's sampling); a listpack answers in its
	// own order, as Redis does, a skiplist in random order
	k := int(count)
	picked := make(map[int]struct{}, k)
	ranks := make([]int, 0, k)
	for j := size - k; j < size; j++ {
		t := rand.IntN(j + 1)
		if _, dup := picked[t]; dup {
			t = j
		}
		picked[t] = struct{}{}
		ranks = append(ranks, t)
	}
	if z.IsListpack() {
		sortInts(ranks)
	} else {
		rand.Shuffle(len(ranks), func(a, b int) { ranks[a], ranks[b] = ranks[b], ranks[a] })
	}
	header(k)
	for _, r := range ranks {
		m, s := z.At(r)
		emit(m, s)
	}
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// ---- ZSCAN ----

func cmdZscan(c *Ctx) {
	cursor, ok := parseScanCursor(c.Args[2])
	if !ok {
		c.Error("ERR invalid cursor")
		return
	}
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	z, ok := zsetOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	if z == nil {
		c.W.ArrayLen(2)
		c.W.BulkString("0")
		c.W.ArrayLen(0)
		return
	}
	count, g, ok := scanOptions(c, 3, nil)
	if !ok {
		return
	}
	if count > math.MaxInt32 {
		count = math.MaxInt32
	}
	var out []crdt.ZEntry
	next := z.Scan(cursor, int(count), func(m string, s float64) {
		if g != nil && !g.match(m) {
			return
		}
		out = append(out, crdt.ZEntry{Member: m, Score: s})
	})
	var buf [32]byte
	c.W.ArrayLen(2)
	c.W.Bulk(strconv.AppendUint(buf[:0], next, 10))
	c.W.ArrayLen(2 * len(out))
	lp := z.IsListpack()
	for _, e := range out {
		c.W.BulkString(e.Member)
		if lp {
			c.W.Bulk(appendListpackScore(buf[:0], e.Score))
		} else {
			c.W.Bulk(appendZScore(buf[:0], e.Score))
		}
	}
}

// appendListpackScore formats a score as a listpack holds it (what ZSCAN
// of a listpack returns): an integral value within ±2^62 as an integer,
// else as appendZScore.
func appendListpackScore(b []byte, f float64) []byte {
	if f >= -(1<<62) && f <= 1<<62 && f == math.Trunc(f) {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return appendZScore(b, f)
}

// appendZScore formats a score as Redis prints one in text (%.17g, "inf",
// "-inf"): ZSCAN's scores of a skiplist, RESP2 doubles.
func appendZScore(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	if f == math.Trunc(f) && f > -1e15 && f < 1e15 {
		if f == 0 && math.Signbit(f) {
			return append(b, "-0"...)
		}
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}
