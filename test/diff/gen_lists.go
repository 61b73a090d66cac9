package diff

func init() { generators["lists"] = genLists }

// genLists exercises every list command over the shared key pool, with
// elements from a small pool (so that LREM, LPOS and LINSERT find their
// targets) mixed with the generic values; blocking commands use a short
// timeout (a wait that runs out replies the same null on both servers).
func genLists(g *Gen) Op {
	k := g.Key()
	switch g.R.IntN(41) {
	case 0, 1, 2, 3:
		return Op{Args: append([]string{g.Pick("LPUSH", "RPUSH"), k}, listElems(g, 1+g.R.IntN(4))...)}
	case 4:
		return Op{Args: append([]string{g.Pick("LPUSHX", "RPUSHX"), k}, listElems(g, 1+g.R.IntN(3))...)}
	case 5, 6:
		if g.Chance(0.5) {
			return Op{Args: []string{g.Pick("LPOP", "RPOP"), k}}
		}
		return Op{Args: []string{g.Pick("LPOP", "RPOP"), k, listCount(g)}}
	case 7:
		return Op{Args: []string{"LLEN", k}}
	case 8, 9, 10:
		return Op{Args: []string{"LRANGE", k, listIndexArg(g), listIndexArg(g)}}
	case 11, 12:
		return Op{Args: []string{"LINDEX", k, listIndexArg(g)}}
	case 13, 14:
		return Op{Args: []string{"LSET", k, listIndexArg(g), listElem(g)}}
	case 15, 16:
		return Op{Args: []string{"LINSERT", k, g.Pick("BEFORE", "AFTER", "before", "after"), listElem(g), listElem(g)}}
	case 17, 18:
		return Op{Args: []string{"LREM", k, g.IntArg(-3, 3), listElem(g)}}
	case 19, 20:
		return Op{Args: []string{"LTRIM", k, listIndexArg(g), listIndexArg(g)}}
	case 21, 22:
		args := []string{"LPOS", k, listElem(g)}
		for n := g.R.IntN(3); n > 0; n-- {
			switch g.R.IntN(3) {
			case 0:
				args = append(args, "RANK", g.Pick("1", "2", "-1", "-2", "3", "-3"))
			case 1:
				args = append(args, "COUNT", g.Pick("0", "1", "2", "5"))
			default:
				args = append(args, "MAXLEN", g.Pick("0", "1", "3", "10"))
			}
		}
		return Op{Args: args}
	case 23, 24:
		return Op{Args: []string{"LMOVE", k, g.Key(), listDir(g), listDir(g)}}
	case 25:
		return Op{Args: []string{"RPOPLPUSH", k, g.Key()}}
	case 26, 27:
		n := 1 + g.R.IntN(3)
		args := append([]string{"LMPOP", g.IntArg(n, n)}, g.Keys(n)...)
		args = append(args, listDir(g))
		if g.Chance(0.5) {
			args = append(args, "COUNT", g.Pick("1", "2", "3", "10"))
		}
		return Op{Args: args}
	case 28:
		return Op{Args: append(append([]string{g.Pick("BLPOP", "BRPOP")}, g.Keys(1+g.R.IntN(2))...), "0.01")}
	case 29:
		return Op{Args: []string{"BLMOVE", k, g.Key(), listDir(g), listDir(g), "0.01"}}
	case 30:
		return Op{Args: []string{"BRPOPLPUSH", k, g.Key(), "0.01"}}
	case 31:
		n := 1 + g.R.IntN(2)
		args := append([]string{"BLMPOP", "0.01", g.IntArg(n, n)}, g.Keys(n)...)
		args = append(args, listDir(g), "COUNT", g.Pick("1", "2", "5"))
		return Op{Args: args}
	case 32:
		return Op{Args: []string{"TYPE", k}}
	case 33:
		return Op{Args: []string{"OBJECT", "ENCODING", k}}
	case 34:
		return Op{Args: []string{"DUMP", k}, Dump: true}
	default:
		cands := [][]string{
			{"LPUSH", k}, {"RPUSH"}, {"LPOP", k, "1", "2"}, {"LPOP", k, "-1"}, {"RPOP", k, "x"},
			{"LRANGE", k, "0"}, {"LRANGE", k, "a", "1"}, {"LINDEX", k, "x"}, {"LSET", k, "x", "v"},
			{"LINSERT", k, "MIDDLE", "a", "b"}, {"LREM", k, "x", "a"}, {"LTRIM", k, "0", "x"},
			{"LPOS", k, "a", "RANK", "0"}, {"LPOS", k, "a", "COUNT", "-1"}, {"LPOS", k, "a", "MAXLEN"},
			{"LMOVE", k, k, "UP", "LEFT"}, {"LMPOP", "0", k, "LEFT"}, {"LMPOP", "1", k, "LEFT", "COUNT", "0"},
			{"BLPOP", k, "-1"}, {"BLMPOP", "x", "1", k, "LEFT"}, {"SET", k, "str"}, {"DEL", k},
		}
		return Op{Args: cands[g.R.IntN(len(cands))]}
	}
}

var listElemPool = []string{"a", "b", "c", "1", "2", "-1", "300", "70000", "", "x y", "9223372036854775808", "007"}

func listElem(g *Gen) string {
	if g.Chance(0.15) {
		return g.Value()
	}
	return listElemPool[g.R.IntN(len(listElemPool))]
}

func listElems(g *Gen, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = listElem(g)
	}
	return out
}

func listDir(g *Gen) string { return g.Pick("LEFT", "RIGHT", "left", "right") }

func listIndexArg(g *Gen) string {
	if g.Chance(0.05) {
		return g.Pick("9223372036854775807", "-9223372036854775808", "100", "-100")
	}
	return g.IntArg(-6, 6)
}

func listCount(g *Gen) string {
	if g.Chance(0.1) {
		return g.Pick("0", "100", "9223372036854775807")
	}
	return g.IntArg(1, 4)
}
