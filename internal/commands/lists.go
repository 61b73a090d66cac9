package commands

import (
	"math"
	"strconv"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
)

// List commands. Every write is one list effect per key carrying the
// decision taken here (which elements a pop took, where LINSERT went); the
// reply is computed from the list before the write.

func init() { families = append(families, registerLists) }

func registerLists(t *Table) {
	const pushCx = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."
	wfast := []string{"write", "list", "fast"}
	wslow := []string{"write", "list", "slow"}
	rfast := []string{"read", "list", "fast"}
	rslow := []string{"read", "list", "slow"}
	wblock := []string{"write", "list", "slow", "blocking"}
	key1 := func(c *Command) *Command { c.FirstKey, c.LastKey, c.Step = 1, 1, 1; return c }
	t.Register(
		key1(&Command{Name: "lpush", Arity: -3, Flags: []string{"write", "denyoom", "fast"}, Categories: wfast,
			Summary: "Prepend one or multiple elements to a list", Since: "1.0.0", Group: "list", Complexity: pushCx,
			Syntax: "key element [element ...]", Handler: func(c *Ctx) { cmdPush(c, true, false) }}),
		key1(&Command{Name: "rpush", Arity: -3, Flags: []string{"write", "denyoom", "fast"}, Categories: wfast,
			Summary: "Append one or multiple elements to a list", Since: "1.0.0", Group: "list", Complexity: pushCx,
			Syntax: "key element [element ...]", Handler: func(c *Ctx) { cmdPush(c, false, false) }}),
		key1(&Command{Name: "lpushx", Arity: -3, Flags: []string{"write", "denyoom", "fast"}, Categories: wfast,
			Summary: "Prepend an element to a list, only if the list exists", Since: "2.2.0", Group: "list", Complexity: pushCx,
			Syntax: "key element [element ...]", Handler: func(c *Ctx) { cmdPush(c, true, true) }}),
		key1(&Command{Name: "rpushx", Arity: -3, Flags: []string{"write", "denyoom", "fast"}, Categories: wfast,
			Summary: "Append an element to a list, only if the list exists", Since: "2.2.0", Group: "list", Complexity: pushCx,
			Syntax: "key element [element ...]", Handler: func(c *Ctx) { cmdPush(c, false, true) }}),
		key1(&Command{Name: "lpop", Arity: -2, Flags: []string{"write", "fast"}, Categories: wfast,
			Summary: "Remove and get the first elements in a list", Since: "1.0.0", Group: "list",
			Complexity: "O(N) where N is the number of elements returned", Syntax: "key [count]",
			Handler: func(c *Ctx) { cmdPop(c, true) }}),
		key1(&Command{Name: "rpop", Arity: -2, Flags: []string{"write", "fast"}, Categories: wfast,
			Summary: "Remove and get the last elements in a list", Since: "1.0.0", Group: "list",
			Complexity: "O(N) where N is the number of elements returned", Syntax: "key [count]",
			Handler: func(c *Ctx) { cmdPop(c, false) }}),
		key1(&Command{Name: "llen", Arity: 2, Flags: []string{"readonly", "fast"}, Categories: rfast,
			Summary: "Get the length of a list", Since: "1.0.0", Group: "list", Complexity: "O(1)",
			Syntax: "key", Handler: cmdLlen}),
		key1(&Command{Name: "lrange", Arity: 4, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Get a range of elements from a list", Since: "1.0.0", Group: "list",
			Complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
			Syntax:     "key start stop", Handler: cmdLrange}),
		key1(&Command{Name: "lindex", Arity: 3, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Get an element from a list by its index", Since: "1.0.0", Group: "list",
			Complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
			Syntax:     "key index", Handler: cmdLindex}),
		key1(&Command{Name: "lset", Arity: 4, Flags: []string{"write", "denyoom"}, Categories: wslow,
			Summary: "Set the value of an element in a list by its index", Since: "1.0.0", Group: "list",
			Complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
			Syntax:     "key index element", Handler: cmdLset}),
		key1(&Command{Name: "linsert", Arity: 5, Flags: []string{"write", "denyoom"}, Categories: wslow,
			Summary: "Insert an element before or after another element in a list", Since: "2.2.0", Group: "list",
			Complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
			Syntax:     "key <BEFORE | AFTER> pivot element", Handler: cmdLinsert}),
		key1(&Command{Name: "lrem", Arity: 4, Flags: []string{"write"}, Categories: wslow,
			Summary: "Remove elements from a list", Since: "1.0.0", Group: "list",
			Complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
			Syntax:     "key count element", Handler: cmdLrem}),
		key1(&Command{Name: "ltrim", Arity: 4, Flags: []string{"write"}, Categories: wslow,
			Summary: "Trim a list to the specified range", Since: "1.0.0", Group: "list",
			Complexity: "O(N) where N is the number of elements to be removed by the operation.",
			Syntax:     "key start stop", Handler: cmdLtrim}),
		key1(&Command{Name: "lpos", Arity: -3, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Return the index of matching elements on a list", Since: "6.0.6", Group: "list",
			Complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
			Syntax:     "key element [RANK rank] [COUNT num-matches] [MAXLEN len]", Handler: cmdLpos}),
		&Command{Name: "lmove", Arity: 5, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: 2, Step: 1, Categories: wslow,
			Summary: "Pop an element from a list, push it to another list and return it", Since: "6.2.0", Group: "list",
			Complexity: "O(1)", Syntax: "source destination <LEFT | RIGHT> <LEFT | RIGHT>", Handler: cmdLmove},
		&Command{Name: "rpoplpush", Arity: 3, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: 2, Step: 1, Categories: wslow,
			Summary: "Remove the last element in a list, prepend it to another list and return it", Since: "1.2.0", Group: "list",
			Complexity: "O(1)", Syntax: "source destination", Handler: cmdRpoplpush},
		&Command{Name: "lmpop", Arity: -4, Flags: []string{"write", "movablekeys"}, Categories: wslow,
			Summary: "Pop elements from a list", Since: "7.0.0", Group: "list",
			Complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
			Syntax:     "numkeys key [key ...] <LEFT | RIGHT> [COUNT count]", Keys: mpopKeys(1), Handler: cmdLmpop},
		&Command{Name: "blpop", Arity: -3, Flags: []string{"write", "noscript", "blocking"}, FirstKey: 1, LastKey: -2, Step: 1, Categories: wblock,
			Summary: "Remove and get the first element in a list, or block until one is available", Since: "2.0.0", Group: "list",
			Complexity: "O(N) where N is the number of provided keys.", Syntax: "key [key ...] timeout",
			Handler: func(c *Ctx) { cmdBpop(c, true) }},
		&Command{Name: "brpop", Arity: -3, Flags: []string{"write", "noscript", "blocking"}, FirstKey: 1, LastKey: -2, Step: 1, Categories: wblock,
			Summary: "Remove and get the last element in a list, or block until one is available", Since: "2.0.0", Group: "list",
			Complexity: "O(N) where N is the number of provided keys.", Syntax: "key [key ...] timeout",
			Handler: func(c *Ctx) { cmdBpop(c, false) }},
		&Command{Name: "blmove", Arity: 6, Flags: []string{"write", "denyoom", "noscript", "blocking"}, FirstKey: 1, LastKey: 2, Step: 1, Categories: wblock,
			Summary: "Pop an element from a list, push it to another list and return it; or block until one is available", Since: "6.2.0", Group: "list",
			Complexity: "O(1)", Syntax: "source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout", Handler: cmdBlmove},
		&Command{Name: "brpoplpush", Arity: 4, Flags: []string{"write", "denyoom", "noscript", "blocking"}, FirstKey: 1, LastKey: 2, Step: 1, Categories: wblock,
			Summary: "Pop an element from a list, push it to another list and return it; or block until one is available", Since: "2.2.0", Group: "list",
			Complexity: "O(1)", Syntax: "source destination timeout", Handler: cmdBrpoplpush},
		&Command{Name: "blmpop", Arity: -5, Flags: []string{"write", "blocking", "movablekeys"}, Categories: wblock,
			Summary: "Pop elements from a list, or block until one is available", Since: "7.0.0", Group: "list",
			Complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
			Syntax:     "timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]", Keys: mpopKeys(2), Handler: cmdBlmpop},
	)
}

// mpopKeys finds the keys of LMPOP/BLMPOP/ZMPOP-style commands: numkeys at
// argument idx, then that many keys.
func mpopKeys(idx int) KeysFunc {
	return func(args [][]byte) []int {
		if idx >= len(args) {
			return nil
		}
		n, ok := ParseInt(args[idx])
		if !ok || n <= 0 || n > int64(len(args)-idx-1) {
			return nil
		}
		out := make([]int, n)
		for i := range out {
			out[i] = idx + 1 + i
		}
		return out
	}
}

// listOf returns the list an entry holds (nil for a missing key); ok is
// false when the key holds another type (WRONGTYPE has been replied).
func listOf(c *Ctx, ent *keyspace.Entry) (l *crdt.List, ok bool) {
	if ent == nil {
		return nil, true
	}
	if ent.Kind != keyspace.KindList {
		c.WrongType()
		return nil, false
	}
	l, _ = ent.Obj().(*crdt.List)
	return l, true
}

// listWhere parses LEFT or RIGHT (head is true for LEFT).
func listWhere(b []byte) (head, ok bool) {
	switch {
	case EqualFold(b, "left"):
		return true, true
	case EqualFold(b, "right"):
		return false, true
	}
	return false, false
}

// positiveArg parses a count that must be >= 0 (Redis'
// getPositiveLongFromObjectOrReply): msg replaces both errors when set.
func (c *Ctx) positiveArg(i int, msg string) (int64, bool) {
	v, ok := ParseInt(c.Args[i])
	if !ok || v < 0 {
		if msg == "" {
			msg = "ERR value is out of range, must be positive"
		}
		c.Error(msg)
		return 0, false
	}
	return v, true
}

// rangeArg parses an integer in [min, max]; msg replaces both errors.
func (c *Ctx) rangeArg(i int, min, max int64, msg string) (int64, bool) {
	v, ok := ParseInt(c.Args[i])
	if !ok || v < min || v > max {
		c.Error(msg)
		return 0, false
	}
	return v, true
}

func cmdPush(c *Ctx, head, xx bool) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	l, ok := listOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	n := 0
	if l != nil {
		n = l.Len()
	} else if xx {
		c.W.Int(0)
		return
	}
	p := tx.Payload()
	crdt.EncodeListPush(p, head, c.Args[2:])
	tx.Event = pushEvent(head)
	tx.Coll(c.DB, key, effect.OpList, p)
	c.W.Int(int64(n + len(c.Args) - 2))
}

func cmdPop(c *Ctx, head bool) {
	if len(c.Args) > 3 {
		c.WrongArgs()
		return
	}
	hasCount := len(c.Args) == 3
	var count int64
	if hasCount {
		var ok bool
		if count, ok = c.positiveArg(2, ""); !ok {
			return
		}
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	l, ok := listOf(c, tx.Get(c.DB, key))
	switch {
	case !ok:
		return
	case l == nil && hasCount:
		c.W.NullArray()
		return
	case l == nil:
		c.W.Null()
		return
	case hasCount && count == 0:
		c.W.ArrayLen(0)
		return
	}
	if !hasCount {
		i := 0
		if !head {
			i = l.Len() - 1
		}
		bulkIndex(c, l, i)
		p := tx.Payload()
		crdt.EncodeListPop(p, l, head, 1)
		tx.Event = popEvent(head)
		tx.Coll(c.DB, key, effect.OpList, p)
		return
	}
	popRangeReply(c, l, head, count)
	p := tx.Payload()
	crdt.EncodeListPop(p, l, head, int(min(count, int64(l.Len()))))
	tx.Event = popEvent(head)
	tx.Coll(c.DB, key, effect.OpList, p)
}

// popRangeReply replies the up to count elements a pop takes from one end,
// in the order they are popped.
func popRangeReply(c *Ctx, l *crdt.List, head bool, count int64) {
	n := int(min(count, int64(l.Len())))
	c.W.ArrayLen(n)
	start := 0
	if !head {
		start = l.Len() - 1
	}
	it := l.Iter(start, !head)
	for i := 0; i < n; i++ {
		s, iv, isInt, _ := it.NextRaw()
		bulkElem(c, s, iv, isInt)
	}
}

// bulkIndex replies element i.
func bulkIndex(c *Ctx, l *crdt.List, i int) {
	s, iv, isInt := l.IndexRaw(i)
	bulkElem(c, s, iv, isInt)
}

// bulkElem replies one element: a string as it is, an integer-encoded one
// formatted (the digits' buffer is only made for those).
func bulkElem(c *Ctx, s []byte, iv int64, isInt bool) {
	if !isInt {
		c.W.Bulk(s)
		return
	}
	var buf [20]byte
	c.W.Bulk(strconv.AppendInt(buf[:0], iv, 10))
}

func cmdLlen(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	l, ok := listOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(l.Len()))
}

// listRange clamps [start, stop] (negative from the end) to a list of n
// elements; empty is true when nothing is in range.
func listRange(start, stop int64, n int) (lo, hi int, empty bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= ln {
		return 0, 0, true
	}
	if stop >= ln {
		stop = ln - 1
	}
	return int(start), int(stop), false
}

func cmdLrange(c *Ctx) {
	start, ok := c.IntArg(2)
	if !ok {
		return
	}
	stop, ok := c.IntArg(3)
	if !ok {
		return
	}
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	l, ok := listOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	if l == nil {
		c.W.ArrayLen(0)
		return
	}
	lo, hi, empty := listRange(start, stop, l.Len())
	if empty {
		c.W.ArrayLen(0)
		return
	}
	n := hi - lo + 1
	c.W.ArrayLen(n)
	it := l.Iter(lo, false)
	for i := 0; i < n; i++ {
		s, iv, isInt, _ := it.NextRaw()
		bulkElem(c, s, iv, isInt)
	}
}

// listIndex normalizes an index (negative from the end); ok is false when
// it is out of range.
func listIndex(i int64, n int) (int, bool) {
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

func cmdLindex(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	l, ok := listOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	if l == nil {
		c.W.Null()
		return
	}
	i, ok := c.IntArg(2)
	if !ok {
		return
	}
	idx, ok := listIndex(i, l.Len())
	if !ok {
		c.W.Null()
		return
	}
	bulkIndex(c, l, idx)
}

func cmdLset(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	l, ok := listOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if l == nil {
		c.Error(ErrNoSuchKey)
		return
	}
	i, ok := c.IntArg(2)
	if !ok {
		return
	}
	idx, ok := listIndex(i, l.Len())
	if !ok {
		c.Error("ERR index out of range")
		return
	}
	p := tx.Payload()
	crdt.EncodeListSet(p, l, idx, c.Args[3])
	tx.Event = notify.LSet
	tx.Coll(c.DB, key, effect.OpList, p)
	c.OK()
}

func cmdLinsert(c *Ctx) {
	var after bool
	switch {
	case c.Is(2, "after"):
		after = true
	case c.Is(2, "before"):
	default:
		c.Syntax()
		return
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	l, ok := listOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	pivot := c.Args[3]
	it := l.Iter(0, false)
	for i := 0; ; i++ {
		eq, more := it.NextEqual(pivot)
		if !more {
			c.W.Int(-1)
			return
		}
		if eq {
			n := l.Len() + 1
			p := tx.Payload()
			crdt.EncodeListInsert(p, l, i, after, c.Args[4])
			tx.Event = notify.LInsert
			tx.Coll(c.DB, key, effect.OpList, p)
			c.W.Int(int64(n))
			return
		}
	}
}

func cmdLrem(c *Ctx) {
	count, ok := c.IntArg(2)
	if !ok {
		return
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	l, ok := listOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	rev := count < 0
	limit := count
	if rev {
		limit = -count // LLONG_MIN stays negative: no limit, as in Redis
	}
	el := c.Args[3]
	var idx []int
	var ids []crdt.ElemID
	start := 0
	if rev {
		start = l.Len() - 1
	}
	it := l.Iter(start, rev)
	for i := 0; ; i++ {
		eq, more := it.NextEqual(el)
		if !more {
			break
		}
		if !eq {
			continue
		}
		at := i
		if rev {
			at = l.Len() - 1 - i
		}
		idx = append(idx, at)
		if l.HasIDs() {
			ids = append(ids, it.LastID())
		}
		if limit > 0 && int64(len(idx)) == limit {
			break
		}
	}
	if len(idx) > 0 {
		if rev {
			for a, b := 0, len(idx)-1; a < b; a, b = a+1, b-1 {
				idx[a], idx[b] = idx[b], idx[a]
			}
			for a, b := 0, len(ids)-1; a < b; a, b = a+1, b-1 {
				ids[a], ids[b] = ids[b], ids[a]
			}
		}
		p := tx.Payload()
		crdt.EncodeListRemove(p, l, idx, ids)
		tx.Event = notify.LRem
		tx.Coll(c.DB, key, effect.OpList, p)
	}
	c.W.Int(int64(len(idx)))
}

func cmdLtrim(c *Ctx) {
	start, ok := c.IntArg(2)
	if !ok {
		return
	}
	stop, ok := c.IntArg(3)
	if !ok {
		return
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	l, ok := listOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if l == nil {
		c.OK()
		return
	}
	n := l.Len()
	ltrim, rtrim := n, 0
	if lo, hi, empty := listRange(start, stop, n); !empty {
		ltrim, rtrim = lo, n-hi-1
	}
	// written even when it trims nothing: Redis still counts the key as
	// modified (WATCH)
	p := tx.Payload()
	crdt.EncodeListPop(p, l, true, ltrim)
	crdt.EncodeListPop(p, l, false, rtrim)
	tx.Event = notify.LTrim
	tx.Coll(c.DB, key, effect.OpList, p)
	c.OK()
}

func cmdLpos(c *Ctx) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(c.Args); j++ {
		more := j+1 < len(c.Args)
		switch {
		case c.Is(j, "rank") && more:
			j++
			v, ok := c.IntArg(j)
			if !ok {
				return
			}
			if v == 0 {
				c.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
			rank = v
		case c.Is(j, "count") && more:
			j++
			v, ok := c.positiveArg(j, "ERR COUNT can't be negative")
			if !ok {
				return
			}
			count = v
		case c.Is(j, "maxlen") && more:
			j++
			v, ok := c.positiveArg(j, "ERR MAXLEN can't be negative")
			if !ok {
				return
			}
			maxlen = v
		default:
			c.Syntax()
			return
		}
	}
	rev := false
	if rank < 0 {
		rank = -rank // MinInt64 stays negative: every match counts, as in Redis
		rev = true
	}
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	ent := tx.Read(c.DB, c.Args[1])
	if ent == nil {
		if count != -1 {
			c.W.ArrayLen(0)
		} else {
			c.W.Null()
		}
		return
	}
	l, ok := listOf(c, ent)
	if !ok {
		return
	}
	n := l.Len()
	start := 0
	if rev {
		start = n - 1
	}
	it := l.Iter(start, rev)
	el := c.Args[2]
	var matches int64
	var found []int
	single := -1
	for i := 0; maxlen == 0 || int64(i) < maxlen; i++ {
		eq, more := it.NextEqual(el)
		if !more {
			break
		}
		if !eq {
			continue
		}
		matches++
		if matches < rank {
			continue
		}
		at := i
		if rev {
			at = n - 1 - i
		}
		if count == -1 {
			single = at
			break
		}
		found = append(found, at)
		if count != 0 && matches-rank+1 >= count {
			break
		}
	}
	if count == -1 {
		if single < 0 {
			c.W.Null()
		} else {
			c.W.Int(int64(single))
		}
		return
	}
	c.W.ArrayLen(len(found))
	for _, x := range found {
		c.W.Int(int64(x))
	}
}

// moveResult is what an LMOVE attempt did.
type moveResult int

const (
	moveNone  moveResult = iota // source missing: nothing replied
	moveDone                    // moved and replied
	moveError                   // replied an error
)

// tryMove pops from src and pushes to dst in one transaction, replying
// the element; with a missing source (or, when retrying a blocked client,
// a source of another type) it replies nothing.
func tryMove(c *Ctx, src, dst []byte, fromHead, toHead, retry bool) moveResult {
	tx := c.Eng.Begin(c.DB, src, dst)
	defer tx.End()
	sent := tx.Get(c.DB, src)
	if retry && sent != nil && sent.Kind != keyspace.KindList {
		return moveNone
	}
	l, ok := listOf(c, sent)
	if !ok {
		return moveError
	}
	if l == nil || l.Len() == 0 {
		return moveNone
	}
	if _, ok := listOf(c, tx.Get(c.DB, dst)); !ok {
		return moveError
	}
	i := 0
	if !fromHead {
		i = l.Len() - 1
	}
	es, iv, isInt := l.IndexRaw(i)
	bulkElem(c, es, iv, isInt)
	// the element, for the push: the pop changes the list before it
	var tmp [64]byte
	val := append(tmp[:0], es...)
	if isInt {
		val = strconv.AppendInt(tmp[:0], iv, 10)
	}
	p := tx.Payload()
	if string(src) == string(dst) {
		crdt.EncodeListPop(p, l, fromHead, 1)
		crdt.EncodeListPush(p, toHead, [][]byte{val})
		tx.Event = rotateEvent(toHead, fromHead)
		tx.Coll(c.DB, src, effect.OpList, p)
		return moveDone
	}
	// Redis 7.0 announces the push before the pop: write them in that order
	crdt.EncodeListPush(p, toHead, [][]byte{val})
	tx.Event = pushEvent(toHead)
	tx.Coll(c.DB, dst, effect.OpList, p)
	p = tx.Payload()
	crdt.EncodeListPop(p, l, fromHead, 1)
	tx.Event = popEvent(fromHead)
	tx.Coll(c.DB, src, effect.OpList, p)
	return moveDone
}

func cmdLmove(c *Ctx) {
	from, ok1 := listWhere(c.Args[3])
	to, ok2 := listWhere(c.Args[4])
	if !ok1 || !ok2 {
		c.Syntax()
		return
	}
	if tryMove(c, c.Args[1], c.Args[2], from, to, false) == moveNone {
		c.W.Null()
	}
}

func cmdRpoplpush(c *Ctx) {
	if tryMove(c, c.Args[1], c.Args[2], false, true, false) == moveNone {
		c.W.Null()
	}
}

// mpopArgs parses "numkeys key... LEFT|RIGHT [COUNT n]" from argument idx.
func mpopArgs(c *Ctx, idx int) (keys [][]byte, head bool, count int64, ok bool) {
	numkeys, ok := c.rangeArg(idx, 1, math.MaxInt64, "ERR numkeys should be greater than 0")
	if !ok {
		return nil, false, 0, false
	}
	if numkeys > int64(len(c.Args)-idx-2) {
		c.Syntax()
		return nil, false, 0, false
	}
	whereIdx := idx + 1 + int(numkeys)
	head, ok = listWhere(c.Args[whereIdx])
	if !ok {
		c.Syntax()
		return nil, false, 0, false
	}
	count = -1
	for j := whereIdx + 1; j < len(c.Args); j++ {
		if count == -1 && c.Is(j, "count") && j+1 < len(c.Args) {
			j++
			if count, ok = c.rangeArg(j, 1, math.MaxInt64, "ERR count should be greater than 0"); !ok {
				return nil, false, 0, false
			}
			continue
		}
		c.Syntax()
		return nil, false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return c.Args[idx+1 : whereIdx], head, count, true
}

// popResult is what a multi-key pop attempt did.
type popResult int

const (
	popNone  popResult = iota // every key missing (or skipped): nothing replied
	popDone                   // popped and replied
	popError                  // replied WRONGTYPE
)

// tryPopKeys pops from the first non-empty list among keys: count < 0 is
// BLPOP's single element ([key, value]), else LMPOP's [key, [values]].
// With skipWrong, keys of another type are passed over (a blocked client
// keeps waiting) instead of failing the command.
func tryPopKeys(c *Ctx, keys [][]byte, head bool, count int64, skipWrong bool) popResult {
	tx := c.Eng.Begin(c.DB, keys...)
	defer tx.End()
	for _, k := range keys {
		ent := tx.Get(c.DB, k)
		if ent == nil {
			continue
		}
		if ent.Kind != keyspace.KindList {
			if skipWrong {
				continue
			}
			c.WrongType()
			return popError
		}
		l, _ := ent.Obj().(*crdt.List)
		if l == nil || l.Len() == 0 {
			continue
		}
		c.W.ArrayLen(2)
		c.W.Bulk(k)
		n := 1
		if count < 0 {
			i := 0
			if !head {
				i = l.Len() - 1
			}
			bulkIndex(c, l, i)
		} else {
			popRangeReply(c, l, head, count)
			n = int(min(count, int64(l.Len())))
		}
		p := tx.Payload()
		crdt.EncodeListPop(p, l, head, n)
		tx.Event = popEvent(head)
		tx.Coll(c.DB, k, effect.OpList, p)
		return popDone
	}
	return popNone
}

func cmdLmpop(c *Ctx) {
	keys, head, count, ok := mpopArgs(c, 1)
	if !ok {
		return
	}
	if tryPopKeys(c, keys, head, count, false) == popNone {
		c.W.NullArray()
	}
}

// listTimeout parses a blocking timeout in seconds. A timeout whose
// milliseconds do not fit an int64 (inf, 1e16) comes out of Redis'
// conversion as the most negative int64, hence "timeout is negative".
func listTimeout(c *Ctx, i int) (int64, bool) {
	if f, ok := ParseFloat(c.Args[i]); ok && math.Ceil(f*1000) >= 1<<63 {
		c.Error("ERR timeout is negative")
		return 0, false
	}
	return c.TimeoutArg(i, true)
}

// block parks the client until one of keys is written, retrying with try;
// without a Blocker (MULTI, scripts) it answers as on timeout at once.
func block(c *Ctx, keys [][]byte, deadline int64, try func(c *Ctx) bool, timeout func(c *Ctx)) {
	if c.Blocker == nil {
		timeout(c)
		return
	}
	// a wait that runs out replies a null array, whatever the command
	c.Blocker.Block(c, keys, deadline, try, func(c *Ctx) { c.W.NullArray() })
}

func cmdBpop(c *Ctx, head bool) {
	deadline, ok := listTimeout(c, len(c.Args)-1)
	if !ok {
		return
	}
	keys := c.Args[1 : len(c.Args)-1]
	if tryPopKeys(c, keys, head, -1, false) != popNone {
		return
	}
	block(c, keys, deadline, func(c *Ctx) bool {
		return tryPopKeys(c, readyKeys(c, c.Args[1:len(c.Args)-1]), head, -1, true) == popDone
	}, func(c *Ctx) { c.W.NullArray() })
}

func cmdBlmpop(c *Ctx) {
	keys, head, count, ok := mpopArgs(c, 2)
	if !ok {
		return
	}
	deadline, ok := listTimeout(c, 1)
	if !ok {
		return
	}
	if tryPopKeys(c, keys, head, count, false) != popNone {
		return
	}
	block(c, keys, deadline, func(c *Ctx) bool {
		keys := readyKeys(c, mpopKeysOf(c.Args, 2))
		return tryPopKeys(c, keys, head, count, true) == popDone
	}, func(c *Ctx) { c.W.NullArray() })
}

// mpopKeysOf returns the keys of an already validated mpop command.
func mpopKeysOf(args [][]byte, idx int) [][]byte {
	n, _ := ParseInt(args[idx])
	return args[idx+1 : idx+1+int(n)]
}

func blmove(c *Ctx, from, to bool, timeoutIdx int) {
	deadline, ok := listTimeout(c, timeoutIdx)
	if !ok {
		return
	}
	switch tryMove(c, c.Args[1], c.Args[2], from, to, false) {
	case moveDone, moveError:
		return
	}
	block(c, c.Args[1:2], deadline, func(c *Ctx) bool {
		return tryMove(c, c.Args[1], c.Args[2], from, to, true) != moveNone
	}, func(c *Ctx) { c.W.Null() })
}

func cmdBlmove(c *Ctx) {
	from, ok1 := listWhere(c.Args[3])
	to, ok2 := listWhere(c.Args[4])
	if !ok1 || !ok2 {
		c.Syntax()
		return
	}
	blmove(c, from, to, 5)
}

func cmdBrpoplpush(c *Ctx) { blmove(c, false, true, 3) }

// Keyspace events of list writes (internal/notify).
func pushEvent(head bool) uint8 {
	if head {
		return notify.LPush
	}
	return notify.RPush
}

func popEvent(head bool) uint8 {
	if head {
		return notify.LPop
	}
	return notify.RPop
}

// rotateEvent is LMOVE / RPOPLPUSH on one key: the push, then the pop.
func rotateEvent(toHead, fromHead bool) uint8 {
	switch {
	case toHead && fromHead:
		return notify.LPushThenLPop
	case !toHead && fromHead:
		return notify.RPushThenLPop
	case toHead:
		return notify.LPushThenRPop
	}
	return notify.RPushThenRPop
}
