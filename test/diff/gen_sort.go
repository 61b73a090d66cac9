package diff

func init() { generators["sort"] = genSort }

// sortElems are list elements: pool keys themselves (so BY/GET "*" hits
// them), suffixes of pool keys ("1", "2" for "key:*"), numbers, and values
// that do not convert to a double.
var sortElems = []string{"a", "b", "c", "1", "2", "3", "-1", "10", "1.5", "x", "", "sp ace", "k\xc3\xa9\x00",
	"key:1", "{t}x", "0x10", " 7", "inf"}

// sortPatterns are BY and GET patterns over the key pool.
var sortPatterns = []string{"*", "key:*", "*->f1", "*->f2", "key:*->f1", "#", "nosort", "no*", "*x", "k*",
	"{t}*", "*->", "sp *"}

// sortZSetKey is the only key that may hold a sorted set: Redis loads a
// sorted set to sort from its hash table, so equal ALPHA keys under BY come
// out in an unspecified order, as with sortTableSet.
const sortZSetKey = "key:2"

// sortTableSet is the only key that may hold a set of strings (a
// hashtable, iterated in an order Redis does not specify); the other keys'
// sets hold small integers only, so they are intsets, iterated in order.
const sortTableSet = "{t}x"

// genSort exercises SORT and SORT_RO over lists, sets and sorted sets whose elements
// name existing strings and hashes of the pool, and STORE's results. No
// value here makes strtod report ERANGE: redis-server does not clear errno
// before its strtod in SORT, so one ERANGE would fail every later SORT of
// the connection there.
func genSort(g *Gen) Op {
	k := g.Key()
	switch g.R.IntN(26) {
	case 24, 25:
		args := []string{"ZADD", sortZSetKey}
		n := g.Int(1, 5)
		if g.Chance(0.1) {
			n = g.Int(60, 140) // with the members below, past zset-max-listpack-entries (128) at times
		}
		for ; n > 0; n-- {
			m := g.Pick(sortElems...)
			if m != "k\xc3\xa9\x00" { // (one member equal to it up to its NUL at most: ALPHA ties)
				m += g.Pick("", "", "", g.IntArg(0, 150))
			}
			args = append(args, g.Pick("1", "2", "-1", "0.5", "inf", "3"), m)
		}
		return Op{Args: args}
	case 0, 1, 2:
		args := []string{g.Pick("RPUSH", "LPUSH"), k}
		n := g.Int(1, 5)
		if g.Chance(0.2) {
			n = g.Int(8, 40) // long enough for the partial quicksort's own steps
		}
		for ; n > 0; n-- {
			args = append(args, g.Pick(sortElems...))
		}
		return Op{Args: args}
	case 3, 4:
		args := []string{"SADD", k}
		for n := g.Int(1, 4); n > 0; n-- {
			if k == sortTableSet && g.Chance(0.7) {
				args = append(args, g.Pick(sortElems...))
			} else {
				args = append(args, g.IntArg(-3, 12))
			}
		}
		return Op{Args: args}
	case 5, 6:
		// BY/GET targets: strings
		v := g.Value()
		if g.Chance(0.6) {
			v = g.IntArg(-20, 20)
		} else if g.Chance(0.3) {
			v = g.Pick("1.5", "-0.25", "1e3", "x", "", "0x1p4", "inf", "-inf")
		}
		return Op{Args: []string{"SET", k, v}}
	case 7, 8:
		// and hashes
		return Op{Args: []string{"HSET", k, g.Pick("f1", "f2"), g.Pick(g.IntArg(-20, 20), "2.5", "x", "", "-inf")}}
	case 9:
		return Op{Args: []string{"DEL", k}}
	case 10, 11:
		return Op{Args: []string{"LRANGE", k, "0", "-1"}}
	case 12:
		return Op{Args: []string{g.Pick("TYPE", "EXISTS", "TTL"), k}}
	case 13:
		// Redis converts a listpack sorted set to a skiplist when SORT reads
		// it, and so does Lightcone (sort_zset.go): DUMP shows the encoding
		return Op{Args: []string{"DUMP", k}, Dump: true}
	case 14:
		return Op{Args: []string{"EXPIRE", k, "1000"}}
	case 15:
		// arity and syntax errors
		return Op{Args: [][]string{{"SORT"}, {"SORT_RO"}, {"SORT", k, "LIMIT", "1"}, {"SORT", k, "BY"},
			{"SORT", k, "GET"}, {"SORT", k, "STORE"}, {"SORT_RO", k, "STORE", g.Key()}, {"SORT", k, "foo"},
			{"SORT", k, "LIMIT", "x", "1"}}[g.R.IntN(9)]}
	default:
		return genSortCmd(g, k)
	}
}

// genSortCmd builds a random SORT or SORT_RO of src and says how to compare
// its reply.
func genSortCmd(g *Gen, src string) Op {
	ro := g.Chance(0.2)
	args := []string{"SORT", src}
	if ro {
		args[0] = "SORT_RO"
	}
	by, alpha, limit, store, gets := "", false, false, false, 0
	// each option with its own chance, in random order (repeated options:
	// the last BY, LIMIT and STORE win)
	var opts [][]string
	for n := g.R.IntN(3); n > 0; n-- {
		by = g.Pick(sortPatterns...)
		opts = append(opts, []string{"BY", by})
	}
	if g.Chance(0.5) {
		alpha = true
		opts = append(opts, []string{g.Pick("ALPHA", "alpha")})
	}
	if g.Chance(0.5) {
		limit = true
		opts = append(opts, []string{"LIMIT", g.Pick("0", "1", "2", "-1", "5", "100"), g.Pick("0", "1", "2", "3", "-1", "-5", "100")})
	}
	for n := g.R.IntN(4) - 1; n > 0; n-- {
		gets++
		opts = append(opts, []string{"GET", g.Pick(sortPatterns...)})
	}
	if g.Chance(0.4) {
		opts = append(opts, []string{g.Pick("ASC", "DESC", "desc")})
	}
	if !ro && g.Chance(0.25) {
		store = true
		opts = append(opts, []string{"STORE", g.Key()})
	}
	g.R.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
	nosort := false // any BY without '*' (Redis never resets it)
	for _, o := range opts {
		args = append(args, o...)
		if o[0] == "BY" {
			by = o[1]
			nosort = nosort || !containsStar(by)
		}
	}
	op := Op{Args: args}
	if src != sortTableSet && src != sortZSetKey {
		return op
	}
	// src may be a hashtable set: wherever the set's iteration order shows
	// through (no sorting without STORE, equal ALPHA keys under BY), the
	// reply is compared as a multiset, or not at all when LIMIT (or STORE)
	// picks some of the tied elements.
	tied := by != "" && !nosort && alpha
	if tied && store {
		// a list stored in an unspecified order must not be read later:
		// drop the STOREs
		kept := []string{}
		for i := 0; i < len(args); i++ {
			if i >= 2 && args[i] == "STORE" && i+1 < len(args) {
				i++
				continue
			}
			kept = append(kept, args[i])
		}
		op.Args, store = kept, false
	}
	if (nosort && !store) || tied {
		// a multiset, unless LIMIT picks some of the tied elements
		op.Sort, op.NoCompare = !limit, limit
	}
	return op
}

func containsStar(p string) bool {
	for i := 0; i < len(p) && p[i] != 0; i++ {
		if p[i] == '*' {
			return true
		}
	}
	return false
}
