package diff

import "strconv"

func init() { generators["hll"] = genHLL }

// hllElem returns an element: a small pool (so PFADD often changes
// nothing) and now and then a fresh one.
func hllElem(g *Gen) string {
	if g.Chance(0.3) {
		return "e" + strconv.Itoa(g.Int(0, 1_000_000))
	}
	return g.Pick("a", "b", "c", "", "1", "-1", "x y", "\x00\xff") + g.IntArg(0, 20)
}

// genHLL exercises PFADD, PFCOUNT (one key and many), PFMERGE and PFDEBUG,
// and reads the bytes back with GET and STRLEN, which must be Redis' own;
// bulk adds grow sparse HLLs into dense ones.
func genHLL(g *Gen) Op {
	switch g.R.IntN(20) {
	case 0, 1, 2, 3, 4:
		n := g.Int(0, 5)
		if g.Chance(0.1) {
			n = g.Int(100, 800)
		}
		args := []string{"PFADD", g.Key()}
		for i := 0; i < n; i++ {
			args = append(args, hllElem(g))
		}
		return Op{Args: args}
	case 5, 6, 7:
		return Op{Args: []string{"PFCOUNT", g.Key()}}
	case 8:
		return Op{Args: append([]string{"PFCOUNT"}, g.Keys(g.Int(2, 4))...)}
	case 9, 10:
		return Op{Args: append([]string{"PFMERGE", g.Key()}, g.Keys(g.Int(0, 3))...)}
	case 11, 12, 13:
		return Op{Args: []string{"GET", g.Key()}}
	case 14:
		if g.Chance(0.5) {
			return Op{Args: []string{"OBJECT", "ENCODING", g.Key()}}
		}
		return Op{Args: []string{"STRLEN", g.Key()}}
	case 15:
		return Op{Args: []string{"PFDEBUG", g.Pick("ENCODING", "DECODE", "TODENSE", "encoding", "bogus"), g.Key()}}
	case 16:
		return Op{Args: []string{"PFDEBUG", "GETREG", g.Key()}}
	case 17:
		// other writes on the same keys: HLLs become other things and back
		switch g.R.IntN(5) {
		case 0:
			return Op{Args: []string{"SET", g.Key(), g.Pick("HYLL", "x", "12")}}
		case 4:
			// a valid empty sparse HLL, set as a (short, embstr) string
			return Op{Args: []string{"SET", g.Key(), "HYLL\x01\x00\x00\x00" + g.Pick("\x00", "\x03") + "\x00\x00\x00\x00\x00\x00" + g.Pick("\x00", "\x80") + "\x7f\xff"}}
		case 1:
			return Op{Args: []string{"APPEND", g.Key(), g.Pick("\x00", "x")}}
		case 2:
			return Op{Args: []string{"SETRANGE", g.Key(), g.Pick("15", "8", "4"), g.Pick("\x80", "\x00", "\x01")}}
		default:
			return Op{Args: []string{"DEL", g.Key()}}
		}
	case 18:
		return Op{Args: []string{g.Pick("EXPIRE", "PEXPIRE"), g.Key(), g.Pick("1000", "100000")}}
	default:
		return Op{Args: [][]string{{"PFADD"}, {"PFCOUNT"}, {"PFMERGE"}, {"PFDEBUG", "ENCODING"}, {"PFSELFTEST", "x"},
			{"TTL", g.Key()}, {"TYPE", g.Key()}}[g.R.IntN(7)]}
	}
}
