package diff

import "strconv"

func init() { generators["strings"] = genStrings }

// genStrings exercises the string commands: SETNX, SETEX, PSETEX, GETSET,
// GETDEL, GETEX, MGET, MSET, MSETNX, APPEND, STRLEN, INCR, DECR, INCRBY,
// DECRBY, INCRBYFLOAT, GETRANGE, SUBSTR, SETRANGE and LCS, now and then with
// invalid arguments or the wrong arity. TTLs are long (>= 100 s) or already
// past (EXAT/PXAT in the past delete the key in both servers alike).
func genStrings(g *Gen) Op {
	k := g.Key()
	switch g.R.IntN(32) {
	case 0:
		return Op{Args: []string{"SETNX", k, strValue(g)}}
	case 1:
		return Op{Args: []string{"SETEX", k, strTTL(g, 100, 100000), strValue(g)}}
	case 2:
		return Op{Args: []string{"PSETEX", k, strTTL(g, 100000, 100000000), strValue(g)}}
	case 3:
		return Op{Args: []string{"GETSET", k, strValue(g)}}
	case 4:
		return Op{Args: []string{"GETDEL", k}}
	case 5, 6:
		return Op{Args: strGetexArgs(g, k)}
	case 7:
		return Op{Args: append([]string{"MGET"}, g.Keys(g.Int(1, 5))...)}
	case 8, 9:
		return Op{Args: strMsetArgs(g, "MSET")}
	case 10:
		return Op{Args: strMsetArgs(g, "MSETNX")}
	case 11, 12:
		return Op{Args: []string{"APPEND", k, strValue(g)}}
	case 13:
		return Op{Args: []string{"STRLEN", k}}
	case 14:
		return Op{Args: []string{g.Pick("INCR", "DECR"), k}}
	case 15, 16:
		return Op{Args: []string{g.Pick("INCRBY", "DECRBY"), k, strIncrement(g)}}
	case 17, 18:
		return Op{Args: []string{"INCRBYFLOAT", k, strFloatIncrement(g)}}
	case 19, 20:
		return Op{Args: []string{g.Pick("GETRANGE", "GETRANGE", "SUBSTR"), k, strIndex(g), strIndex(g)}}
	case 21, 22:
		return Op{Args: []string{"SETRANGE", k, strOffset(g), strValue(g)}}
	case 23, 24:
		return Op{Args: strLcsArgs(g)}
	case 25:
		// a counter-friendly value, so INCR & co. mostly succeed
		return Op{Args: []string{"SET", k, g.IntArg(-100, 100)}}
	case 26:
		// values made of few letters: LCS with many equally long answers
		return Op{Args: []string{"SET", k, strLetters(g, "ab", 0, 40)}}
	case 27:
		return Op{Args: []string{"SET", k, strLetters(g, "abc\x00", 0, 40)}}
	case 28:
		return Op{Args: []string{"GET", k}}
	default:
		return Op{Args: strBadArity(g, k)}
	}
}

// strValue is mostly g.Value(), sometimes a longer or digit-only string.
func strValue(g *Gen) string {
	switch g.R.IntN(10) {
	case 0:
		return strLetters(g, "abcxyz", 0, 30)
	case 1:
		return strLetters(g, "0123456789", 1, 19)
	default:
		return g.Value()
	}
}

// strLetters is a string of n (lo..hi) bytes drawn from alphabet.
func strLetters(g *Gen, alphabet string, lo, hi int) string {
	b := make([]byte, g.Int(lo, hi))
	for i := range b {
		b[i] = alphabet[g.R.IntN(len(alphabet))]
	}
	return string(b)
}

// strTTL is a relative TTL in [lo, hi], or now and then an invalid one.
func strTTL(g *Gen, lo, hi int) string {
	if g.Chance(0.08) {
		return g.Pick("0", "-1", "abc", "1.5", "", "9223372036854775807", "9223372036854775")
	}
	return g.IntArg(lo, hi)
}

// strBadInt returns an argument that is not a valid integer (or overflows).
func strBadInt(g *Gen) string {
	return g.Pick("abc", "1.5", "", " 1", "+1", "007", "-0", "9223372036854775808", "-9223372036854775809", "1e3")
}

// strIncrement is an INCRBY/DECRBY argument: small, extreme or invalid.
func strIncrement(g *Gen) string {
	switch g.R.IntN(12) {
	case 0:
		return g.Pick("9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807")
	case 1:
		return strBadInt(g)
	case 2:
		return strconv.FormatInt(g.R.Int64(), 10)
	default:
		return g.IntArg(-1000, 1000)
	}
}

// strFloatIncrement is an INCRBYFLOAT argument.
func strFloatIncrement(g *Gen) string {
	switch g.R.IntN(5) {
	case 0:
		return g.Float()
	case 1:
		return g.Pick("1e3", "-2.5", "0.1", "5.", ".5", "+3", "0x10", "1e-5", "-1e-20", "3.0e2", "1e308", "1e4000", "-0")
	default:
		return strconv.Itoa(g.Int(-100, 100)) + "." + g.IntArg(0, 99)
	}
}

// strIndex is a GETRANGE index: around the string, far away or invalid.
func strIndex(g *Gen) string {
	switch g.R.IntN(12) {
	case 0:
		return g.Pick("9223372036854775807", "-9223372036854775808", "1000000", "-1000000")
	case 1:
		if g.Chance(0.5) {
			return strBadInt(g)
		}
		return g.IntArg(-120, 120)
	default:
		return g.IntArg(-30, 30)
	}
}

// strOffset is a SETRANGE offset: small, negative, just past the 512MB
// limit (an error, so nothing is allocated), or invalid.
func strOffset(g *Gen) string {
	switch g.R.IntN(20) {
	case 0:
		return g.Pick("-1", "536870912", "9223372036854775807") // (536870911 would allocate 512 MB on both servers)
	case 1:
		return strBadInt(g)
	case 2:
		return g.IntArg(0, 2000)
	default:
		return g.IntArg(0, 40)
	}
}

func strGetexArgs(g *Gen, k string) []string {
	args := []string{"GETEX", k}
	switch g.R.IntN(10) {
	case 0, 1:
	case 2:
		args = append(args, "EX", strTTL(g, 100, 100000))
	case 3:
		args = append(args, "PX", strTTL(g, 100000, 100000000))
	case 4:
		args = append(args, "EXAT", g.Pick("1", "99999999999", "4102444800", "0", "-5", "abc", "9223372036854775807"))
	case 5:
		args = append(args, "PXAT", g.Pick("1", "99999999999000", "4102444800000", "0", "abc"))
	case 6, 7:
		args = append(args, "PERSIST")
	default:
		// repeated, conflicting or unknown options
		args = append(args, [][]string{
			{"EX", "1000", "EX", "2000"}, {"PERSIST", "PERSIST"}, {"EX", "1000", "PX", "100000"},
			{"PERSIST", "EX", "1000"}, {"EX"}, {"FOO"}, {"KEEPTTL"}, {"px", "100000"},
		}[g.R.IntN(8)]...)
	}
	return args
}

func strMsetArgs(g *Gen, cmd string) []string {
	args := []string{cmd}
	for n := g.Int(1, 4); n > 0; n-- {
		args = append(args, g.Key(), strValue(g))
	}
	if g.Chance(0.05) {
		args = args[:len(args)-1] // odd number of arguments
	}
	return args
}

func strLcsArgs(g *Gen) []string {
	args := []string{"LCS", g.Key(), g.Key()}
	opts := [][]string{{"LEN"}, {"IDX"}, {"WITHMATCHLEN"}, {"MINMATCHLEN", g.IntArg(-1, 5)}}
	g.R.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
	for _, o := range opts[:g.Int(0, 3)] {
		args = append(args, o...)
	}
	if g.Chance(0.05) {
		args = append(args, g.Pick("FOO", "MINMATCHLEN", "IDX"))
	}
	return args
}

// strBadArity returns a string command with too few or too many arguments.
func strBadArity(g *Gen, k string) []string {
	cands := [][]string{
		{"SETNX", k}, {"SETEX", k, "1000"}, {"PSETEX", k}, {"GETSET", k}, {"GETDEL"}, {"GETDEL", k, k},
		{"GETEX"}, {"MGET"}, {"MSET", k}, {"MSETNX"}, {"APPEND", k}, {"STRLEN"}, {"INCR"}, {"DECR", k, k},
		{"INCRBY", k}, {"DECRBY", k, "1", "2"}, {"INCRBYFLOAT", k}, {"GETRANGE", k, "0"}, {"SUBSTR", k},
		{"SETRANGE", k, "0"}, {"LCS", k},
	}
	return cands[g.R.IntN(len(cands))]
}
