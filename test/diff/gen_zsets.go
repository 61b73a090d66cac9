package diff

import (
	"strconv"
	"strings"
)

func init() { generators["zsets"] = genZSets }

// genZSets exercises the sorted-set commands: ZADD with every flag, ZINCRBY,
// ZREM, the reads, every range form, the STORE forms, pops (blocking ones
// only with short timeouts), ZRANDMEMBER, ZSCAN, the set algebra and
// ZINTERCARD, with invalid arguments now and then.
//
// What Redis leaves unspecified is not compared: ZRANDMEMBER picks (only
// "the whole set" answers are), and, once a seed may have made a
// skiplist-encoded set (a member longer than 64 bytes, more than 128
// members), ZSCAN's order and lex ranges — Redis walks lex ranges of a
// skiplist with mixed scores through its random levels — so lex commands
// are not generated at all from then on (a ZREMRANGEBYLEX would make the
// servers diverge).
func genZSets(g *Gen) Op {
	st := zgenState(g)
	k := g.Key()
	switch g.R.IntN(60) {
	case 0, 1, 2, 3, 4, 5, 6:
		return Op{Args: zaddArgs(g, st, k)}
	case 7, 8:
		return Op{Args: []string{"ZINCRBY", k, zScore(g), zMember(g, st)}}
	case 9, 10:
		args := []string{"ZREM", k}
		for i := g.Int(1, 3); i > 0; i-- {
			args = append(args, zMember(g, st))
		}
		return Op{Args: args}
	case 11:
		return Op{Args: []string{"ZCARD", k}}
	case 12:
		return Op{Args: []string{"ZSCORE", k, zMember(g, st)}}
	case 13:
		args := []string{"ZMSCORE", k}
		for i := g.Int(1, 3); i > 0; i-- {
			args = append(args, zMember(g, st))
		}
		return Op{Args: args}
	case 14:
		return Op{Args: []string{g.Pick("ZRANK", "ZREVRANK"), k, zMember(g, st)}}
	case 15:
		return Op{Args: []string{"ZCOUNT", k, zBound(g), zBound(g)}}
	case 16:
		if st.tainted {
			return Op{Args: []string{"ZCARD", k}}
		}
		return Op{Args: []string{"ZLEXCOUNT", k, zLex(g), zLex(g)}}
	case 17, 18, 19, 20, 21:
		return Op{Args: append([]string{"ZRANGE", k}, zrangeTail(g, st)...)}
	case 22, 23:
		cmd := g.Pick("ZRANGEBYSCORE", "ZREVRANGEBYSCORE")
		args := []string{cmd, k, zBound(g), zBound(g)}
		if g.Chance(0.5) {
			args = append(args, "WITHSCORES")
		}
		if g.Chance(0.4) {
			args = append(args, "LIMIT", g.IntArg(-2, 5), g.IntArg(-2, 5))
		}
		return Op{Args: args}
	case 24:
		if st.tainted {
			return Op{Args: []string{"ZREVRANGE", k, g.IntArg(-5, 5), g.IntArg(-5, 5)}}
		}
		args := []string{g.Pick("ZRANGEBYLEX", "ZREVRANGEBYLEX"), k, zLex(g), zLex(g)}
		if g.Chance(0.4) {
			args = append(args, "LIMIT", g.IntArg(-1, 4), g.IntArg(-1, 4))
		}
		return Op{Args: args}
	case 25:
		args := []string{"ZREVRANGE", k, g.IntArg(-6, 6), g.IntArg(-6, 6)}
		if g.Chance(0.5) {
			args = append(args, "WITHSCORES")
		}
		return Op{Args: args}
	case 26, 27:
		tail := zrangeTail(g, st)
		// ZRANGESTORE takes no WITHSCORES: strip it most of the time
		if g.Chance(0.9) {
			out := tail[:0:0]
			for _, a := range tail {
				if a != "WITHSCORES" {
					out = append(out, a)
				}
			}
			tail = out
		}
		return Op{Args: append([]string{"ZRANGESTORE", g.Key(), k}, tail...)}
	case 28:
		return Op{Args: []string{"ZREMRANGEBYRANK", k, g.IntArg(-5, 5), g.IntArg(-5, 5)}}
	case 29:
		return Op{Args: []string{"ZREMRANGEBYSCORE", k, zBound(g), zBound(g)}}
	case 30:
		if st.tainted {
			return Op{Args: []string{"ZREMRANGEBYRANK", k, g.IntArg(-5, 5), g.IntArg(-5, 5)}}
		}
		return Op{Args: []string{"ZREMRANGEBYLEX", k, zLex(g), zLex(g)}}
	case 31, 32, 33:
		args := []string{g.Pick("ZPOPMIN", "ZPOPMAX"), k}
		if g.Chance(0.5) {
			args = append(args, g.Pick("0", "1", "2", "5", "100", "-1", "x"))
		}
		return Op{Args: args}
	case 34:
		n := g.Int(1, 3)
		args := []string{"ZMPOP", strconv.Itoa(n)}
		args = append(args, g.Keys(n)...)
		args = append(args, g.Pick("MIN", "MAX", "max", "mid"))
		if g.Chance(0.5) {
			args = append(args, "COUNT", g.Pick("1", "2", "10", "0", "-1"))
		}
		if g.Chance(0.05) {
			args[1] = g.Pick("0", "x", "9")
		}
		return Op{Args: args}
	case 35:
		// blocking pops: only when they can be served or time out fast
		switch g.R.IntN(3) {
		case 0:
			return Op{Args: []string{g.Pick("BZPOPMIN", "BZPOPMAX"), k, g.Key(), "0.01"}}
		case 1:
			return Op{Args: []string{"BZMPOP", "0.01", "2", k, g.Key(), g.Pick("MIN", "MAX"), "COUNT", g.IntArg(1, 3)}}
		default:
			return Op{Args: []string{"BZPOPMIN", k, g.Pick("-1", "x", "")}}
		}
	case 36:
		// the whole set (count >= size) is deterministic: highest rank first
		args := []string{"ZRANDMEMBER", k, g.Pick("1000", "0")}
		if g.Chance(0.5) {
			args = append(args, "WITHSCORES")
		}
		return Op{Args: args}
	case 37:
		args := []string{"ZRANDMEMBER", k}
		if g.Chance(0.7) {
			args = append(args, g.IntArg(-5, 5))
			if g.Chance(0.5) {
				args = append(args, "WITHSCORES")
			}
		}
		return Op{Args: args, NoCompare: true}
	case 38, 39:
		args := []string{"ZSCAN", k, "0"}
		if g.Chance(0.3) {
			args = append(args, "MATCH", g.Pick("*", "m*", "[a-c]", "?", "*1*"))
		}
		args = append(args, "COUNT", "1000")
		return Op{Args: args, NoCompare: st.tainted}
	case 40, 41, 42, 43:
		return Op{Args: zsetOpArgs(g)}
	case 44:
		args := []string{"ZINTERCARD", "2", k, g.Key()}
		if g.Chance(0.5) {
			args = append(args, "LIMIT", g.IntArg(0, 3))
		}
		return Op{Args: args}
	case 45:
		return Op{Args: []string{"OBJECT", "ENCODING", k}}
	case 46:
		// more than 128 members: a skiplist for good
		st.tainted = true
		args := []string{"ZADD", k}
		for i := 0; i < 130; i++ {
			args = append(args, strconv.Itoa(g.Int(-5, 20)), "bulk"+strconv.Itoa(i))
		}
		return Op{Args: args}
	case 47:
		return Op{Args: []string{"DEL", k}}
	case 48:
		return Op{Args: []string{"TYPE", k}}
	case 49:
		// wrong arity and bad arguments
		return Op{Args: zBadArgs(g, k)}
	default:
		return Op{Args: zaddArgs(g, st, k)}
	}
}

type zgen struct{ tainted bool }

// zgenStates keeps, per generator (one per seed), what the generator has
// done so far.
var zgenStates = map[*Gen]*zgen{}

func zgenState(g *Gen) *zgen {
	st := zgenStates[g]
	if st == nil {
		st = &zgen{}
		zgenStates[g] = st
	}
	return st
}

var zMemberPool = []string{"a", "b", "c", "d", "e", "m1", "m2", "m10", "1", "-2", "3.5", "", "x\x00y", "\xff", "A", "ab", "abc"}

func zMember(g *Gen, st *zgen) string {
	if g.Chance(0.01) {
		st.tainted = true
		return strings.Repeat("L", 65)
	}
	return zMemberPool[g.R.IntN(len(zMemberPool))]
}

func zScore(g *Gen) string {
	switch g.R.IntN(10) {
	case 0, 1, 2, 3:
		return g.IntArg(-3, 10)
	case 4:
		return g.Pick("1.5", "-0.5", "0.1", "0.2", "2.25", "1e300", "-1e300", "1e-5")
	case 5:
		return g.Pick("inf", "-inf", "+inf", "-0", "0x10", "5e0", "+3")
	case 6:
		if g.Chance(0.3) {
			return g.Pick("nan", "abc", "", " 1", "1e400", "0x", "1_0")
		}
		return g.IntArg(0, 3)
	default:
		return g.IntArg(0, 5)
	}
}

func zBound(g *Gen) string {
	switch g.R.IntN(8) {
	case 0:
		return g.Pick("-inf", "+inf", "inf", "(-inf", "(+inf")
	case 1:
		return "(" + g.IntArg(-2, 8)
	case 2:
		return g.Pick("1.5", "(2.5", "0.1", "(0")
	case 3:
		if g.Chance(0.2) {
			return g.Pick("abc", "nan", "((1", "")
		}
		return g.IntArg(0, 5)
	default:
		return g.IntArg(-2, 8)
	}
}

func zLex(g *Gen) string {
	switch g.R.IntN(6) {
	case 0:
		return g.Pick("-", "+")
	case 1:
		if g.Chance(0.2) {
			return g.Pick("a", "", "+x", "-x")
		}
		return "(" + zMemberPool[g.R.IntN(len(zMemberPool))]
	default:
		return g.Pick("[", "(") + zMemberPool[g.R.IntN(len(zMemberPool))]
	}
}

func zaddArgs(g *Gen, st *zgen, k string) []string {
	args := []string{"ZADD", k}
	if g.Chance(0.35) {
		flags := []string{"NX", "XX", "GT", "LT", "CH", "INCR"}
		for i := g.Int(1, 2); i > 0; i-- {
			args = append(args, flags[g.R.IntN(len(flags))])
		}
	}
	n := 1
	if g.Chance(0.5) {
		n = g.Int(1, 4)
	}
	for i := 0; i < n; i++ {
		args = append(args, zScore(g), zMember(g, st))
	}
	if g.Chance(0.02) {
		args = append(args, "1")
	}
	return args
}

// zrangeTail is a random ZRANGE tail: min max and options.
func zrangeTail(g *Gen, st *zgen) []string {
	var args []string
	by := g.R.IntN(3)
	if by == 2 && st.tainted {
		by = 1
	}
	rev := g.Chance(0.3)
	switch by {
	case 0:
		args = []string{g.IntArg(-6, 6), g.IntArg(-6, 6)}
	case 1:
		args = []string{zBound(g), zBound(g), "BYSCORE"}
	default:
		args = []string{zLex(g), zLex(g), "BYLEX"}
	}
	if rev {
		args = append(args, "REV")
	}
	if by != 0 && g.Chance(0.4) || g.Chance(0.03) {
		args = append(args, "LIMIT", g.IntArg(-1, 4), g.IntArg(-2, 4))
	}
	if by != 2 && g.Chance(0.4) || g.Chance(0.03) {
		args = append(args, "WITHSCORES")
	}
	if len(args) > 2 && g.Chance(0.2) {
		g.Shuffle(args[2:])
	}
	return args
}

func zsetOpArgs(g *Gen) []string {
	n := g.Int(1, 3)
	var args []string
	store := g.Chance(0.4)
	kind := g.Pick("UNION", "INTER", "DIFF")
	if store {
		args = []string{"Z" + kind + "STORE", g.Key(), strconv.Itoa(n)}
	} else {
		args = []string{"Z" + kind, strconv.Itoa(n)}
	}
	args = append(args, g.Keys(n)...)
	if kind != "DIFF" && g.Chance(0.4) {
		args = append(args, "WEIGHTS")
		for i := 0; i < n; i++ {
			args = append(args, g.Pick("1", "2", "0.5", "-1", "0", "3"))
		}
	}
	if kind != "DIFF" && g.Chance(0.4) {
		args = append(args, "AGGREGATE", g.Pick("SUM", "MIN", "MAX", "sum"))
	}
	if !store && g.Chance(0.5) {
		args = append(args, "WITHSCORES")
	}
	if g.Chance(0.03) {
		args = append(args, "junk")
	}
	return args
}

func zBadArgs(g *Gen, k string) []string {
	switch g.R.IntN(8) {
	case 0:
		return []string{"ZADD", k}
	case 1:
		return []string{"ZADD", k, "NX", "XX", "1", "a"}
	case 2:
		return []string{"ZRANGE", k, "0"}
	case 3:
		return []string{"ZSCORE", k}
	case 4:
		return []string{"ZUNION", "0", k}
	case 5:
		return []string{"ZRANGE", k, "0", "-1", "LIMIT", "0", "1"}
	case 6:
		return []string{"ZMPOP", "1", k}
	default:
		return []string{"ZINCRBY", k, "1"}
	}
}
