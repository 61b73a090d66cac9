package commands

import (
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
)

// Sorted sets. Every write is one effect per key carrying what the command
// decided (crdt/zset.go): assignments with the resulting scores, increments,
// or exactly the members removed; replies are computed from the state
// before the write.

func init() { families = append(families, registerZSets) }

func registerZSets(t *Table) {
	wfast := []string{"write", "sortedset", "fast"}
	wslow := []string{"write", "sortedset", "slow"}
	rfast := []string{"read", "sortedset", "fast"}
	rslow := []string{"read", "sortedset", "slow"}
	const rangeCx = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned."
	const byCx = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."
	const remCx = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."
	const popCx = "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped."
	const mpopCx = "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped."
	const unionCx = "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set."
	const interCx = "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set."
	const diffCx = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set."
	k1 := func(c *Command) *Command { c.FirstKey, c.LastKey, c.Step, c.Group = 1, 1, 1, "sorted-set"; return c }
	t.Register(
		k1(&Command{Name: "zadd", Arity: -4, Flags: []string{"write", "denyoom", "fast"}, Categories: wfast,
			Summary: "Add one or more members to a sorted set, or update its score if it already exists", Since: "1.2.0",
			Complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
			Syntax:     "key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]", Handler: cmdZadd}),
		k1(&Command{Name: "zincrby", Arity: 4, Flags: []string{"write", "denyoom", "fast"}, Categories: wfast,
			Summary: "Increment the score of a member in a sorted set", Since: "1.2.0",
			Complexity: "O(log(N)) where N is the number of elements in the sorted set.",
			Syntax:     "key increment member", Handler: cmdZincrby}),
		k1(&Command{Name: "zcard", Arity: 2, Flags: []string{"readonly", "fast"}, Categories: rfast,
			Summary: "Get the number of members in a sorted set", Since: "1.2.0", Complexity: "O(1)",
			Syntax: "key", Handler: cmdZcard}),
		k1(&Command{Name: "zcount", Arity: 4, Flags: []string{"readonly", "fast"}, Categories: rfast,
			Summary: "Count the members in a sorted set with scores within the given values", Since: "2.0.0",
			Complexity: "O(log(N)) with N being the number of elements in the sorted set.",
			Syntax:     "key min max", Handler: cmdZcount}),
		k1(&Command{Name: "zlexcount", Arity: 4, Flags: []string{"readonly", "fast"}, Categories: rfast,
			Summary: "Count the number of members in a sorted set between a given lexicographical range", Since: "2.8.9",
			Complexity: "O(log(N)) with N being the number of elements in the sorted set.",
			Syntax:     "key min max", Handler: cmdZlexcount}),
		k1(&Command{Name: "zscore", Arity: 3, Flags: []string{"readonly", "fast"}, Categories: rfast,
			Summary: "Get the score associated with the given member in a sorted set", Since: "1.2.0", Complexity: "O(1)",
			Syntax: "key member", Handler: cmdZscore}),
		k1(&Command{Name: "zmscore", Arity: -3, Flags: []string{"readonly", "fast"}, Categories: rfast,
			Summary: "Get the score associated with the given members in a sorted set", Since: "6.2.0",
			Complexity: "O(N) where N is the number of members being requested.",
			Syntax:     "key member [member ...]", Handler: cmdZmscore}),
		k1(&Command{Name: "zrank", Arity: 3, Flags: []string{"readonly", "fast"}, Categories: rfast,
			Summary: "Determine the index of a member in a sorted set", Since: "2.0.0", Complexity: "O(log(N))",
			Syntax: "key member", Handler: func(c *Ctx) { cmdZrank(c, false) }}),
		k1(&Command{Name: "zrevrank", Arity: 3, Flags: []string{"readonly", "fast"}, Categories: rfast,
			Summary: "Determine the index of a member in a sorted set, with scores ordered from high to low", Since: "2.0.0",
			Complexity: "O(log(N))", Syntax: "key member", Handler: func(c *Ctx) { cmdZrank(c, true) }}),
		k1(&Command{Name: "zrange", Arity: -4, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Return a range of members in a sorted set", Since: "1.2.0", Complexity: rangeCx,
			Syntax:  "key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]",
			Handler: func(c *Ctx) { zrangeGeneric(c, false, zrAuto, zdAuto) }}),
		k1(&Command{Name: "zrangebyscore", Arity: -4, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Return a range of members in a sorted set, by score", Since: "1.0.5", Complexity: byCx,
			Syntax:  "key min max [WITHSCORES] [LIMIT offset count]",
			Handler: func(c *Ctx) { zrangeGeneric(c, false, zrScore, zdForward) }}),
		k1(&Command{Name: "zrevrangebyscore", Arity: -4, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low", Since: "2.2.0",
			Complexity: byCx, Syntax: "key max min [WITHSCORES] [LIMIT offset count]",
			Handler: func(c *Ctx) { zrangeGeneric(c, false, zrScore, zdReverse) }}),
		k1(&Command{Name: "zrangebylex", Arity: -4, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Return a range of members in a sorted set, by lexicographical range", Since: "2.8.9",
			Complexity: byCx, Syntax: "key min max [LIMIT offset count]",
			Handler: func(c *Ctx) { zrangeGeneric(c, false, zrLex, zdForward) }}),
		k1(&Command{Name: "zrevrangebylex", Arity: -4, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", Since: "2.8.9",
			Complexity: byCx, Syntax: "key max min [LIMIT offset count]",
			Handler: func(c *Ctx) { zrangeGeneric(c, false, zrLex, zdReverse) }}),
		k1(&Command{Name: "zrevrange", Arity: -4, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low", Since: "1.2.0",
			Complexity: rangeCx, Syntax: "key start stop [WITHSCORES]",
			Handler: func(c *Ctx) { zrangeGeneric(c, false, zrRank, zdReverse) }}),
		&Command{Name: "zrangestore", Arity: -5, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: 2, Step: 1,
			Categories: wslow, Group: "sorted-set",
			Summary: "Store a range of members from sorted set into another key", Since: "6.2.0",
			Complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
			Syntax:     "dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]",
			Handler:    func(c *Ctx) { zrangeGeneric(c, true, zrAuto, zdAuto) }},
		k1(&Command{Name: "zrem", Arity: -3, Flags: []string{"write", "fast"}, Categories: wfast,
			Summary: "Remove one or more members from a sorted set", Since: "1.2.0",
			Complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
			Syntax:     "key member [member ...]", Handler: cmdZrem}),
		k1(&Command{Name: "zremrangebyrank", Arity: 4, Flags: []string{"write"}, Categories: wslow,
			Summary: "Remove all members in a sorted set within the given indexes", Since: "2.0.0", Complexity: remCx,
			Syntax: "key start stop", Handler: func(c *Ctx) { zremrange(c, zrRank) }}),
		k1(&Command{Name: "zremrangebyscore", Arity: 4, Flags: []string{"write"}, Categories: wslow,
			Summary: "Remove all members in a sorted set within the given scores", Since: "1.2.0", Complexity: remCx,
			Syntax: "key min max", Handler: func(c *Ctx) { zremrange(c, zrScore) }}),
		k1(&Command{Name: "zremrangebylex", Arity: 4, Flags: []string{"write"}, Categories: wslow,
			Summary: "Remove all members in a sorted set between the given lexicographical range", Since: "2.8.9", Complexity: remCx,
			Syntax: "key min max", Handler: func(c *Ctx) { zremrange(c, zrLex) }}),
		k1(&Command{Name: "zpopmin", Arity: -2, Flags: []string{"write", "fast"}, Categories: wfast,
			Summary: "Remove and return members with the lowest scores in a sorted set", Since: "5.0.0", Complexity: popCx,
			Syntax: "key [count]", Handler: func(c *Ctx) { cmdZpop(c, false) }}),
		k1(&Command{Name: "zpopmax", Arity: -2, Flags: []string{"write", "fast"}, Categories: wfast,
			Summary: "Remove and return members with the highest scores in a sorted set", Since: "5.0.0", Complexity: popCx,
			Syntax: "key [count]", Handler: func(c *Ctx) { cmdZpop(c, true) }}),
		&Command{Name: "zmpop", Arity: -4, Flags: []string{"write", "movablekeys"}, Categories: wslow, Group: "sorted-set",
			Summary: "Remove and return members with scores in a sorted set", Since: "7.0.0", Complexity: mpopCx,
			Syntax: "numkeys key [key ...] <MIN | MAX> [COUNT count]", Keys: numkeysKeys(1),
			Handler: func(c *Ctx) { zmpop(c, 1, false) }},
		&Command{Name: "bzpopmin", Arity: -3, Flags: []string{"write", "noscript", "blocking", "fast"}, FirstKey: 1, LastKey: -2, Step: 1,
			Categories: []string{"write", "sortedset", "fast", "blocking"}, Group: "sorted-set",
			Summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", Since: "5.0.0",
			Complexity: "O(log(N)) with N being the number of elements in the sorted set.",
			Syntax:     "key [key ...] timeout", Handler: func(c *Ctx) { cmdBzpop(c, false) }},
		&Command{Name: "bzpopmax", Arity: -3, Flags: []string{"write", "noscript", "blocking", "fast"}, FirstKey: 1, LastKey: -2, Step: 1,
			Categories: []string{"write", "sortedset", "fast", "blocking"}, Group: "sorted-set",
			Summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", Since: "5.0.0",
			Complexity: "O(log(N)) with N being the number of elements in the sorted set.",
			Syntax:     "key [key ...] timeout", Handler: func(c *Ctx) { cmdBzpop(c, true) }},
		&Command{Name: "bzmpop", Arity: -5, Flags: []string{"write", "blocking", "movablekeys"},
			Categories: []string{"write", "sortedset", "slow", "blocking"}, Group: "sorted-set",
			Summary: "Remove and return members with scores in a sorted set or block until one is available", Since: "7.0.0",
			Complexity: mpopCx, Syntax: "timeout numkeys key [key ...] <MIN | MAX> [COUNT count]", Keys: numkeysKeys(2),
			Handler: func(c *Ctx) { zmpop(c, 2, true) }},
		k1(&Command{Name: "zrandmember", Arity: -2, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Get one or multiple random elements from a sorted set", Since: "6.2.0",
			Complexity: "O(N) where N is the number of elements returned",
			Syntax:     "key [count [WITHSCORES]]", Handler: cmdZrandmember}),
		k1(&Command{Name: "zscan", Arity: -3, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Incrementally iterate sorted sets elements and associated scores", Since: "2.8.0",
			Complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
			Syntax:     "key cursor [MATCH pattern] [COUNT count]", Handler: cmdZscan}),
		&Command{Name: "zunion", Arity: -3, Flags: []string{"readonly", "movablekeys"}, Categories: rslow, Group: "sorted-set",
			Summary: "Add multiple sorted sets", Since: "6.2.0", Complexity: unionCx,
			Syntax: "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]",
			Keys:   numkeysKeys(1), Handler: func(c *Ctx) { zsetOp(c, 1, false, zopUnion, false) }},
		&Command{Name: "zinter", Arity: -3, Flags: []string{"readonly", "movablekeys"}, Categories: rslow, Group: "sorted-set",
			Summary: "Intersect multiple sorted sets", Since: "6.2.0", Complexity: interCx,
			Syntax: "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]",
			Keys:   numkeysKeys(1), Handler: func(c *Ctx) { zsetOp(c, 1, false, zopInter, false) }},
		&Command{Name: "zdiff", Arity: -3, Flags: []string{"readonly", "movablekeys"}, Categories: rslow, Group: "sorted-set",
			Summary: "Subtract multiple sorted sets", Since: "6.2.0", Complexity: diffCx,
			Syntax: "numkeys key [key ...] [WITHSCORES]",
			Keys:   numkeysKeys(1), Handler: func(c *Ctx) { zsetOp(c, 1, false, zopDiff, false) }},
		&Command{Name: "zunionstore", Arity: -4, Flags: []string{"write", "denyoom", "movablekeys"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wslow, Group: "sorted-set",
			Summary: "Add multiple sorted sets and store the resulting sorted set in a new key", Since: "2.0.0",
			Complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
			Syntax:     "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]",
			Keys:       storeNumkeysKeys, Handler: func(c *Ctx) { zsetOp(c, 2, true, zopUnion, false) }},
		&Command{Name: "zinterstore", Arity: -4, Flags: []string{"write", "denyoom", "movablekeys"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wslow, Group: "sorted-set",
			Summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key", Since: "2.0.0",
			Complexity: interCx,
			Syntax:     "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]",
			Keys:       storeNumkeysKeys, Handler: func(c *Ctx) { zsetOp(c, 2, true, zopInter, false) }},
		&Command{Name: "zdiffstore", Arity: -4, Flags: []string{"write", "denyoom", "movablekeys"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wslow, Group: "sorted-set",
			Summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key", Since: "6.2.0",
			Complexity: diffCx, Syntax: "destination numkeys key [key ...]",
			Keys: storeNumkeysKeys, Handler: func(c *Ctx) { zsetOp(c, 2, true, zopDiff, false) }},
		&Command{Name: "zintercard", Arity: -3, Flags: []string{"readonly", "movablekeys"}, Categories: rslow, Group: "sorted-set",
			Summary: "Intersect multiple sorted sets and return the cardinality of the result", Since: "7.0.0",
			Complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
			Syntax:     "numkeys key [key ...] [LIMIT limit]",
			Keys:       numkeysKeys(1), Handler: func(c *Ctx) { zsetOp(c, 1, false, zopInter, true) }},
	)
}

// numkeysKeys finds the keys of a command whose argument idx is a key count
// followed by the keys (ZUNION, ZMPOP, ...).
func numkeysKeys(idx int) KeysFunc {
	return func(args [][]byte) []int {
		if idx >= len(args) {
			return nil
		}
		n, ok := ParseInt(args[idx])
		if !ok || n < 1 || n > int64(len(args)-idx-1) {
			return nil
		}
		out := make([]int, 0, n)
		for i := 0; i < int(n); i++ {
			out = append(out, idx+1+i)
		}
		return out
	}
}

// storeNumkeysKeys: the destination, then numkeys keys (ZUNIONSTORE...).
func storeNumkeysKeys(args [][]byte) []int {
	if len(args) < 2 {
		return nil
	}
	return append([]int{1}, numkeysKeys(2)(args)...)
}

// zsetOf returns the sorted set held by ent (nil when ent is nil); ok is
// false, and WRONGTYPE replied, when ent holds another kind.
func zsetOf(c *Ctx, ent *keyspace.Entry) (*crdt.ZSet, bool) {
	if ent == nil {
		return nil, true
	}
	if ent.Kind != keyspace.KindZSet {
		c.WrongType()
		return nil, false
	}
	return ent.Obj().(*crdt.ZSet), true
}

// ---- ZADD / ZINCRBY ----

func cmdZadd(c *Ctx) {
	var nx, xx, gt, lt, ch, incr bool
	i := 2
	for ; i < len(c.Args); i++ {
		a := c.Args[i]
		switch {
		case EqualFold(a, "nx"):
			nx = true
		case EqualFold(a, "xx"):
			xx = true
		case EqualFold(a, "gt"):
			gt = true
		case EqualFold(a, "lt"):
			lt = true
		case EqualFold(a, "ch"):
			ch = true
		case EqualFold(a, "incr"):
			incr = true
		default:
			goto done
		}
	}
done:
	elems := len(c.Args) - i
	if elems == 0 || elems%2 != 0 {
		c.Syntax()
		return
	}
	elems /= 2
	if nx && xx {
		c.Error("ERR XX and NX options at the same time are not compatible")
		return
	}
	if (gt && nx) || (lt && nx) || (gt && lt) {
		c.Error("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	}
	if incr && elems > 1 {
		c.Error("ERR INCR option supports a single increment-element pair")
		return
	}
	zaddGeneric(c, i, elems, nx, xx, gt, lt, ch, incr)
}

func cmdZincrby(c *Ctx) { zaddGeneric(c, 2, 1, false, false, false, false, false, true) }

// zaddGeneric runs ZADD's element loop over elems (score, member) pairs
// from argument idx on.
func zaddGeneric(c *Ctx, idx, elems int, nx, xx, gt, lt, ch, incr bool) {
	var sbuf [8]float64
	scores := sbuf[:0]
	for j := 0; j < elems; j++ {
		f, ok := zDoubleArg(c, idx+2*j, "")
		if !ok {
			return
		}
		scores = append(scores, f)
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	z, ok := zsetOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if z == nil && xx {
		if incr {
			c.W.Null()
		} else {
			c.W.Int(0)
		}
		return
	}
	op := crdt.ZSetAssign
	if incr {
		op = crdt.ZSetIncr
	}
	var w crdt.ZSetPayload
	var p *crdt.Enc
	started := false
	var ov zoverlay
	added, updated := 0, 0
	processed := false
	var newScore float64
	for j := 0; j < elems; j++ {
		m := c.Args[idx+2*j+1]
		s := scores[j]
		cur, exists := ov.score(z, m, elems > 1)
		if exists {
			if nx {
				continue
			}
			if incr {
				s += cur
				if s != s {
					c.Error("ERR resulting score is not a number (NaN)")
					return
				}
			}
			if (lt && s >= cur) || (gt && s <= cur) {
				continue
			}
			processed, newScore = true, s
			if s == cur {
				continue
			}
			updated++
		} else {
			if xx {
				continue
			}
			added++
			processed, newScore = true, s
		}
		if !started {
			p = tx.Payload()
			w = crdt.BeginZSet(p, op, 0)
			started = true
		}
		if incr {
			w.Pair(m, scores[j])
		} else {
			w.Pair(m, s)
		}
		if elems > 1 {
			ov.set(m, s)
		}
	}
	if incr {
		if processed {
			c.W.Double(newScore)
		} else {
			c.W.Null()
		}
	} else if ch {
		c.W.Int(int64(added + updated))
	} else {
		c.W.Int(int64(added))
	}
	if started {
		w.End()
		tx.Event = notify.ZAdd
		if incr {
			tx.Event = notify.ZIncr
		}
		tx.Coll(c.DB, key, effect.OpZSet, p)
	}
}

// zoverlay holds the scores a multi-member ZADD has already given, so later
// pairs for the same member see them (ZADD k 1 a 2 a).
type zoverlay struct {
	ms map[string]float64
}

func (o *zoverlay) score(z *crdt.ZSet, m []byte, multi bool) (float64, bool) {
	if multi && o.ms != nil {
		if s, ok := o.ms[string(m)]; ok {
			return s, true
		}
	}
	if z == nil {
		return 0, false
	}
	return z.Score(m)
}

func (o *zoverlay) set(m []byte, s float64) {
	if o.ms == nil {
		o.ms = map[string]float64{}
	}
	o.ms[string(m)] = s
}

// ---- simple reads ----

func cmdZcard(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	z, ok := zsetOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(z.Len()))
}

func cmdZscore(c *Ctx) {
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
	s, found := z.Score(c.Args[2])
	if !found {
		c.W.Null()
		return
	}
	c.W.Double(s)
}

func cmdZmscore(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	z, ok := zsetOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	c.W.ArrayLen(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		if z == nil {
			c.W.Null()
			continue
		}
		if s, found := z.Score(m); found {
			c.W.Double(s)
		} else {
			c.W.Null()
		}
	}
}

func cmdZrank(c *Ctx, rev bool) {
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
	r, _, found := z.Rank(c.Args[2])
	if !found {
		c.W.Null()
		return
	}
	if rev {
		r = z.Len() - 1 - r
	}
	c.W.Int(int64(r))
}

func cmdZcount(c *Ctx) {
	min, ok1 := parseScoreBound(c.Args[2])
	max, ok2 := parseScoreBound(c.Args[3])
	if !ok1 || !ok2 {
		c.Error("ERR min or max is not a float")
		return
	}
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	z, ok := zsetOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	lo, hi := z.ScoreRanks(min, max)
	c.W.Int(int64(hi - lo))
}

func cmdZlexcount(c *Ctx) {
	min, ok1 := parseLexBound(c.Args[2])
	max, ok2 := parseLexBound(c.Args[3])
	if !ok1 || !ok2 {
		c.Error("ERR min or max not valid string range item")
		return
	}
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	z, ok := zsetOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	lo, hi := z.LexRanks(min, max, false)
	c.W.Int(int64(hi - lo))
}

// ---- ZREM ----

func cmdZrem(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	z, ok := zsetOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	p := tx.Payload()
	w := crdt.BeginZSet(p, crdt.ZSetRem, 0)
	var seen map[string]bool
	for _, m := range c.Args[2:] {
		if _, found := z.Score(m); !found {
			continue
		}
		if len(c.Args) > 3 {
			if seen == nil {
				seen = map[string]bool{}
			}
			if seen[string(m)] {
				continue
			}
			seen[string(m)] = true
		}
		w.Member(m)
	}
	c.W.Int(int64(w.Count()))
	if w.Count() > 0 {
		w.End()
		tx.Event = notify.ZRem
		tx.Coll(c.DB, key, effect.OpZSet, p)
	}
}
