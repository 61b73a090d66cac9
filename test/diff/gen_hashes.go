package diff

import "strconv"

func init() { generators["hashes"] = genHashes }

// genHashes exercises the Redis 7.0 hash commands: HSET, HMSET, HSETNX,
// HGET, HMGET, HDEL, HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY,
// HINCRBYFLOAT, HRANDFIELD and HSCAN, with OBJECT ENCODING to follow the
// listpack/hashtable conversions, now and then with invalid arguments or
// the wrong arity.
//
// A hashtable's order is Redis' own (its dict, seeded at random), so
// HKEYS, HVALS and HGETALL are sorted; HRANDFIELD's random picks and
// HSCAN's cursor walk are not compared, only their errors and the replies
// that are whole and ordered (a count of 0, the whole hash, sorted).
func genHashes(g *Gen) Op {
	k := g.Key()
	switch g.R.IntN(40) {
	case 0, 1, 2, 3, 4:
		return Op{Args: append([]string{"HSET", k}, hashPairs(g, g.Int(1, 3))...)}
	case 5:
		// the wrong number of arguments
		args := append([]string{g.Pick("HSET", "HMSET"), k}, hashPairs(g, g.Int(0, 2))...)
		return Op{Args: append(args, hashField(g))}
	case 6:
		return Op{Args: append([]string{"HMSET", k}, hashPairs(g, g.Int(1, 3))...)}
	case 7:
		return Op{Args: []string{"HSETNX", k, hashField(g), hashValue(g)}}
	case 8, 9:
		return Op{Args: []string{"HGET", k, hashField(g)}}
	case 10:
		return Op{Args: append([]string{"HMGET", k}, hashFields(g, g.Int(1, 4))...)}
	case 11, 12, 13:
		return Op{Args: append([]string{"HDEL", k}, hashFields(g, g.Int(1, 3))...)}
	case 14:
		return Op{Args: []string{"HLEN", k}}
	case 15:
		return Op{Args: []string{g.Pick("HSTRLEN", "HEXISTS"), k, hashField(g)}}
	case 16, 17:
		return Op{Args: []string{g.Pick("HKEYS", "HVALS", "HGETALL"), k}, Sort: true}
	case 18, 19, 20:
		return Op{Args: []string{"HINCRBY", k, hashField(g), hashIncr(g)}}
	case 21, 22:
		return Op{Args: []string{"HINCRBYFLOAT", k, hashField(g), hashFloatIncr(g)}}
	case 23, 24:
		return hashRandfield(g, k)
	case 25:
		return hashScan(g, k)
	case 26, 27:
		return Op{Args: []string{"OBJECT", "ENCODING", k}}
	case 28:
		// many fields at once: a listpack past 512 fields
		n := g.Int(100, 300)
		args := []string{"HSET", k}
		for i := 0; i < n; i++ {
			args = append(args, "m"+strconv.Itoa(g.Int(0, 600)), g.IntArg(0, 1000))
		}
		return Op{Args: args}
	case 29:
		return Op{Args: []string{"TYPE", k}}
	case 30:
		return Op{Args: []string{"DEL", k}}
	case 31:
		return Op{Args: []string{"EXPIRE", k, g.IntArg(100, 10000)}}
	case 32:
		// a string where a hash was, and the other way round
		return Op{Args: []string{"SET", k, g.Value()}}
	case 33:
		return Op{Args: []string{"HINCRBY", k, hashField(g), g.Pick("x", "1.5", "", "99999999999999999999", "-9223372036854775808")}}
	default:
		return hashBadArity(g, k)
	}
}

// hashField is mostly a field of the shared pool, sometimes a field past the
// 64-byte listpack limit or a numeric one.
func hashField(g *Gen) string {
	switch g.R.IntN(20) {
	case 0:
		b := make([]byte, g.Int(60, 70))
		for i := range b {
			b[i] = 'F'
		}
		return string(b)
	case 1, 2:
		return g.IntArg(-3, 20)
	}
	return g.Field()
}

func hashFields(g *Gen, n int) []string {
	fs := make([]string, n)
	for i := range fs {
		fs[i] = hashField(g)
	}
	return fs
}

// hashValue is mostly g.Value(); often a small integer or float, so that
// HINCRBY and HINCRBYFLOAT mostly succeed.
func hashValue(g *Gen) string {
	switch g.R.IntN(6) {
	case 0, 1:
		return g.IntArg(-50, 50)
	case 2:
		return g.IntArg(0, 9) + "." + g.IntArg(0, 99)
	}
	return g.Value()
}

func hashPairs(g *Gen, n int) []string {
	out := make([]string, 0, 2*n)
	for i := 0; i < n; i++ {
		out = append(out, hashField(g), hashValue(g))
	}
	return out
}

func hashIncr(g *Gen) string {
	switch g.R.IntN(10) {
	case 0:
		return g.Pick("9223372036854775807", "-9223372036854775808", "4611686018427387904")
	case 1:
		return g.Pick("x", "1.0", " 1", "")
	}
	return g.IntArg(-100, 100)
}

func hashFloatIncr(g *Gen) string {
	switch g.R.IntN(8) {
	case 0:
		return g.Float()
	case 1:
		return g.Pick("1e300", "-1e300", "1e4000", "inf", "nan", "0x10", "1e-20")
	}
	return g.IntArg(-20, 20) + "." + g.IntArg(0, 999)
}

func hashRandfield(g *Gen, k string) Op {
	switch g.R.IntN(8) {
	case 0:
		return Op{Args: []string{"HRANDFIELD", k}, NoCompare: true}
	case 1:
		return Op{Args: []string{"HRANDFIELD", k, g.IntArg(-5, 5)}, NoCompare: true}
	case 2:
		return Op{Args: []string{"HRANDFIELD", k, g.IntArg(-5, 5), "WITHVALUES"}, NoCompare: true}
	case 3:
		// the whole hash: deterministic once sorted
		args := []string{"HRANDFIELD", k, g.Pick("1000", "100000", "4611686018427387903")}
		if g.Chance(0.5) {
			args = append(args, "WITHVALUES")
		}
		return Op{Args: args, Sort: true}
	case 4:
		return Op{Args: []string{"HRANDFIELD", k, "0", g.Pick("WITHVALUES", "withvalues")}}
	case 5:
		return Op{Args: []string{"HRANDFIELD", k, g.Pick("-9223372036854775808", "9223372036854775807", "-4611686018427387904", "4611686018427387904"), "WITHVALUES"}}
	case 6:
		return Op{Args: []string{"HRANDFIELD", k, g.Pick("x", "1.5", "", "-9223372036854775808")}}
	default:
		return Op{Args: []string{"HRANDFIELD", k, "1", g.Pick("WITHVALUE", "x", "withvalues extra")}}
	}
}

func hashScan(g *Gen, k string) Op {
	switch g.R.IntN(3) {
	case 0:
		// errors: a bad cursor, COUNT or option (only once the key exists)
		opt := [][]string{{"COUNT", "0"}, {"COUNT", "-1"}, {"COUNT", "x"}, {"NOVALUES"}, {"TYPE", "hash"}, {"MATCH"}}[g.R.IntN(6)]
		return Op{Args: append([]string{"HSCAN", k, g.Pick("0", "-1", "x", "18446744073709551616")}, opt...)}
	case 1:
		return Op{Args: []string{"HSCAN", k, g.Pick("x", "1.5", "+", "18446744073709551616")}}
	default:
		return Op{Args: []string{"HSCAN", k, "0", "MATCH", g.Pick("*", "f*", "?", "[a-z]*"), "COUNT", g.IntArg(1, 20)}, NoCompare: true}
	}
}

func hashBadArity(g *Gen, k string) Op {
	switch g.R.IntN(9) {
	case 0:
		return Op{Args: []string{"HGET", k}}
	case 1:
		return Op{Args: []string{"HSETNX", k, hashField(g)}}
	case 2:
		return Op{Args: []string{"HDEL", k}}
	case 3:
		return Op{Args: []string{"HLEN", k, hashField(g)}}
	case 4:
		return Op{Args: []string{"HINCRBY", k, hashField(g)}}
	case 5:
		return Op{Args: []string{"HINCRBYFLOAT", k, hashField(g), "1", "2"}}
	case 6:
		return Op{Args: []string{"HMGET", k}}
	case 7:
		return Op{Args: []string{"HGETALL"}}
	default:
		return Op{Args: []string{"HSCAN", k}}
	}
}
