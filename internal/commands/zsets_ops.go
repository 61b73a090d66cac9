package commands

import (
	"math"
	"sort"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
)

// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD. Inputs may be
// sorted sets or plain sets (every member scoring 1).

type zop int

const (
	zopUnion zop = iota
	zopInter
	zopDiff
)

const (
	aggSum = iota
	aggMin
	aggMax
)

// zsrc is one input: a sorted set, a set, or nothing.
type zsrc struct {
	z      *crdt.ZSet
	s      *crdt.Set
	weight float64
	id     int // inputs naming the same key share an id
}

func (s *zsrc) len() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.s != nil:
		return s.s.Len()
	}
	return 0
}

// each visits the members with their scores (1 for a set member).
func (s *zsrc) each(fn func(m string, score float64) bool) {
	switch {
	case s.z != nil:
		s.z.Each(fn)
	case s.s != nil:
		s.s.Each(func(m []byte) bool { return fn(string(m), 1) })
	}
}

func (s *zsrc) find(m string) (float64, bool) {
	switch {
	case s.z != nil:
		return s.z.Score([]byte(m))
	case s.s != nil:
		if s.s.Contains([]byte(m)) {
			return 1, true
		}
	}
	return 0, false
}

func zaggregate(target *float64, val float64, agg int) {
	switch agg {
	case aggSum:
		*target += val
		if math.IsNaN(*target) {
			*target = 0 // inf + -inf
		}
	case aggMin:
		if val < *target {
			*target = val
		}
	case aggMax:
		if val > *target {
			*target = val
		}
	}
}

// zsetOp is Redis' zunionInterDiffGenericCommand: numkeys at numIdx, a
// destination at argument 1 when store, or with card the ZINTERCARD count.
func zsetOp(c *Ctx, numIdx int, store bool, op zop, card bool) {
	setnum, ok := c.IntArg(numIdx)
	if !ok {
		return
	}
	if setnum < 1 {
		c.Errorf("ERR at least 1 input key is needed for '%s' command", c.Cmd.Name)
		return
	}
	if setnum > int64(len(c.Args)-numIdx-1) {
		c.Syntax()
		return
	}
	n := int(setnum)
	keys := c.Args[numIdx+1 : numIdx+1+n]
	lockKeys := keys
	if store {
		lockKeys = append([][]byte{c.Args[1]}, keys...)
	}
	tx := c.Eng.Begin(c.DB, lockKeys...)
	defer tx.End()
	src := make([]zsrc, n)
	for i, k := range keys {
		src[i].weight = 1
		src[i].id = i
		for j := 0; j < i; j++ {
			if string(keys[j]) == string(k) {
				src[i].id = src[j].id
				break
			}
		}
		ent := tx.Read(c.DB, k)
		if ent == nil {
			continue
		}
		switch ent.Kind {
		case keyspace.KindZSet:
			src[i].z = ent.Obj().(*crdt.ZSet)
		case keyspace.KindSet:
			src[i].s = ent.Obj().(*crdt.Set)
		default:
			c.WrongType()
			return
		}
	}
	agg := aggSum
	withScores := false
	limit := int64(0)
	for j := numIdx + 1 + n; j < len(c.Args); {
		remaining := len(c.Args) - j
		switch {
		case op != zopDiff && !card && remaining >= n+1 && c.Is(j, "weights"):
			j++
			for i := 0; i < n; i++ {
				w, ok := zDoubleArg(c, j, "ERR weight value is not a float")
				if !ok {
					return
				}
				src[i].weight = w
				j++
			}
		case op != zopDiff && !card && remaining >= 2 && c.Is(j, "aggregate"):
			switch {
			case c.Is(j+1, "sum"):
				agg = aggSum
			case c.Is(j+1, "min"):
				agg = aggMin
			case c.Is(j+1, "max"):
				agg = aggMax
			default:
				c.Syntax()
				return
			}
			j += 2
		case remaining >= 1 && !store && !card && c.Is(j, "withscores"):
			withScores = true
			j++
		case card && remaining >= 2 && c.Is(j, "limit"):
			v, ok := ParseInt(c.Args[j+1])
			if !ok || v < 0 {
				c.Error("ERR LIMIT can't be negative")
				return
			}
			limit = v
			j += 2
		default:
			c.Syntax()
			return
		}
	}
	if op != zopDiff {
		// smallest input first, as Redis orders them (it changes the order
		// in which scores add up)
		sort.SliceStable(src, func(a, b int) bool { return src[a].len() < src[b].len() })
	}
	var out []crdt.ZEntry
	switch op {
	case zopInter:
		if src[0].len() > 0 {
			cardinality := int64(0)
			src[0].each(func(m string, s0 float64) bool {
				score := src[0].weight * s0
				if math.IsNaN(score) {
					score = 0
				}
				j := 1
				for ; j < n; j++ {
					var v float64
					if src[j].id == src[0].id {
						v = s0 * src[j].weight
					} else if s, found := src[j].find(m); found {
						v = s * src[j].weight
					} else {
						break
					}
					zaggregate(&score, v, agg)
				}
				if j < n {
					return true
				}
				if card {
					cardinality++
					return limit == 0 || cardinality < limit
				}
				out = append(out, crdt.ZEntry{Member: m, Score: score})
				return true
			})
			if card {
				c.W.Int(cardinality)
				return
			}
		} else if card {
			c.W.Int(0)
			return
		}
	case zopUnion:
		acc := map[string]int{}
		for i := range src {
			if src[i].len() == 0 {
				continue
			}
			w := src[i].weight
			src[i].each(func(m string, s float64) bool {
				score := w * s
				if math.IsNaN(score) {
					score = 0
				}
				if at, found := acc[m]; found {
					zaggregate(&out[at].Score, score, agg)
				} else {
					acc[m] = len(out)
					out = append(out, crdt.ZEntry{Member: m, Score: score})
				}
				return true
			})
		}
	case zopDiff:
		if src[0].len() > 0 {
			src[0].each(func(m string, s float64) bool {
				for j := 1; j < n; j++ {
					if src[j].id == src[0].id {
						return false // the first set minus itself: nothing
					}
					if _, found := src[j].find(m); found {
						return true
					}
				}
				out = append(out, crdt.ZEntry{Member: m, Score: s})
				return true
			})
			for j := 1; j < n; j++ {
				if src[j].id == src[0].id {
					out = nil
				}
			}
		}
	}
	if store {
		dst := c.Args[1]
		if len(out) == 0 {
			if tx.Get(c.DB, dst) != nil {
				tx.Delete(c.DB, dst)
			}
			c.W.Int(0)
			return
		}
		p := tx.Payload()
		w := crdt.BeginZSet(p, crdt.ZSetSnap, crdt.ZSnapBuilt)
		for _, e := range out {
			w.PairString(e.Member, e.Score)
		}
		w.End()
		tx.Event = [...]uint8{zopUnion: notify.ZUnionStore, zopInter: notify.ZInterStore, zopDiff: notify.ZDiffStore}[op]
		tx.CollReplace(c.DB, dst, effect.OpZSet, p, 0, false)
		c.W.Int(int64(len(out)))
		return
	}
	sort.Slice(out, func(a, b int) bool {
		x, y := &out[a], &out[b]
		return x.Score < y.Score || (x.Score == y.Score && x.Member < y.Member)
	})
	resp3 := c.Proto() > 2
	if withScores && !resp3 {
		c.W.ArrayLen(2 * len(out))
	} else {
		c.W.ArrayLen(len(out))
	}
	for _, e := range out {
		if withScores && resp3 {
			c.W.ArrayLen(2)
		}
		c.W.BulkString(e.Member)
		if withScores {
			c.W.Double(e.Score)
		}
	}
}
