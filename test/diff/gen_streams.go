package diff

import "strconv"

func init() { generators["streams"] = genStreams }

// genStreams: stream commands with explicit IDs (small milliseconds, so
// that XADD, XDEL, trims and groups collide; never "*", whose ID is the
// clock's), groups with a few consumers, and only the replies that do not
// show a clock: XCLAIM / XAUTOCLAIM with min-idle 0 or huge, XPENDING's
// extended form with a huge IDLE, XINFO CONSUMERS / STREAM FULL and DUMP
// unchecked.
func genStreams(g *Gen) Op {
	key := g.Key()
	switch g.R.IntN(40) {
	case 0, 1, 2, 3, 4, 5, 6, 7:
		return Op{Args: xaddArgs(g, key)}
	case 8:
		return Op{Args: []string{"XLEN", key}}
	case 9, 10:
		args := []string{"XRANGE", key, xBound(g, false), xBound(g, true)}
		if g.Chance(0.5) {
			args = append(args, "COUNT", g.IntArg(-1, 5))
		}
		return Op{Args: args}
	case 11:
		args := []string{"XREVRANGE", key, xBound(g, true), xBound(g, false)}
		if g.Chance(0.5) {
			args = append(args, "COUNT", g.IntArg(-1, 5))
		}
		return Op{Args: args}
	case 12, 13:
		args := []string{"XDEL", key}
		for i := g.Int(1, 3); i > 0; i-- {
			args = append(args, xID(g))
		}
		return Op{Args: args}
	case 14, 15:
		args := []string{"XTRIM", key}
		return Op{Args: append(args, xTrimOpts(g, true)...)}
	case 16:
		args := []string{"XSETID", key, xID(g)}
		if g.Chance(0.3) {
			args = append(args, "ENTRIESADDED", g.IntArg(-1, 30))
		}
		if g.Chance(0.3) {
			args = append(args, "MAXDELETEDID", xID(g))
		}
		return Op{Args: args}
	case 17, 18:
		args := []string{"XGROUP", "CREATE", key, xGroup(g), g.Pick("$", "0", xID(g))}
		if g.Chance(0.5) {
			args = append(args, "MKSTREAM")
		}
		if g.Chance(0.2) {
			args = append(args, "ENTRIESREAD", g.IntArg(-2, 20))
		}
		return Op{Args: args}
	case 19:
		args := []string{"XGROUP", "SETID", key, xGroup(g), g.Pick("$", "0", "-", xID(g))}
		if g.Chance(0.3) {
			args = append(args, "ENTRIESREAD", g.IntArg(-1, 20))
		}
		return Op{Args: args}
	case 20:
		switch g.R.IntN(3) {
		case 0:
			return Op{Args: []string{"XGROUP", "DESTROY", key, xGroup(g)}}
		case 1:
			return Op{Args: []string{"XGROUP", "CREATECONSUMER", key, xGroup(g), xConsumer(g)}}
		default:
			return Op{Args: []string{"XGROUP", "DELCONSUMER", key, xGroup(g), xConsumer(g)}}
		}
	case 21, 22, 23, 24:
		args := []string{"XREADGROUP", "GROUP", xGroup(g), xConsumer(g)}
		if g.Chance(0.6) {
			args = append(args, "COUNT", g.IntArg(0, 4))
		}
		if g.Chance(0.2) {
			args = append(args, "NOACK")
		}
		if g.Chance(0.1) {
			args = append(args, "BLOCK", "10")
		}
		args = append(args, "STREAMS", key)
		switch g.R.IntN(4) {
		case 0:
			return Op{Args: append(args, "0")}
		case 1:
			return Op{Args: append(args, xID(g))}
		default:
			return Op{Args: append(args, ">")}
		}
	case 25, 26:
		args := []string{"XREAD"}
		if g.Chance(0.5) {
			args = append(args, "COUNT", g.IntArg(0, 4))
		}
		k2 := g.Key()
		args = append(args, "STREAMS", key, k2, g.Pick("0", "$", xID(g)), g.Pick("0", "$", xID(g)))
		return Op{Args: args}
	case 27, 28:
		args := []string{"XACK", key, xGroup(g)}
		for i := g.Int(1, 3); i > 0; i-- {
			args = append(args, xID(g))
		}
		return Op{Args: args}
	case 29:
		if g.Chance(0.5) {
			return Op{Args: []string{"XPENDING", key, xGroup(g)}}
		}
		args := []string{"XPENDING", key, xGroup(g)}
		if g.Chance(0.5) {
			args = append(args, "IDLE", "1000000000")
		}
		args = append(args, xBound(g, false), xBound(g, true), g.IntArg(0, 5))
		if g.Chance(0.4) {
			args = append(args, xConsumer(g))
		}
		return Op{Args: args, NoCompare: args[3] != "IDLE"}
	case 30, 31:
		args := []string{"XCLAIM", key, xGroup(g), xConsumer(g), g.Pick("0", "0", "1000000000")}
		for i := g.Int(1, 3); i > 0; i-- {
			args = append(args, xID(g))
		}
		if g.Chance(0.3) {
			args = append(args, "RETRYCOUNT", g.IntArg(0, 5))
		}
		if g.Chance(0.2) {
			args = append(args, "FORCE")
		}
		if g.Chance(0.2) {
			args = append(args, "LASTID", xID(g))
		}
		if g.Chance(0.2) {
			args = append(args, "TIME", "1000")
		}
		if g.Chance(0.5) {
			args = append(args, "JUSTID")
		}
		return Op{Args: args}
	case 32:
		args := []string{"XAUTOCLAIM", key, xGroup(g), xConsumer(g), g.Pick("0", "0", "1000000000"), xBound(g, false)}
		if g.Chance(0.5) {
			args = append(args, "COUNT", g.IntArg(1, 4))
		}
		if g.Chance(0.5) {
			args = append(args, "JUSTID")
		}
		return Op{Args: args}
	case 33, 34:
		return Op{Args: []string{"XINFO", "STREAM", key}}
	case 35:
		return Op{Args: []string{"XINFO", "GROUPS", key}}
	case 36:
		return Op{Args: []string{"XINFO", "CONSUMERS", key, xGroup(g)}, NoCompare: true}
	case 37:
		return Op{Args: []string{"XINFO", "STREAM", key, "FULL"}, NoCompare: true}
	case 38:
		return Op{Args: []string{"DUMP", key}, NoCompare: true}
	default:
		return Op{Args: [][]string{
			{"XADD", key}, {"XADD", key, "1-1", "f"}, {"XRANGE", key, "-"}, {"XDEL", key},
			{"XGROUP", "CREATE", key}, {"XREADGROUP", "GROUP", "g", "c", "STREAMS", key},
			{"XACK", key, "g"}, {"XCLAIM", key, "g", "c", "0"}, {"XINFO", "STREAM"},
			{"XADD", key, "0-0", "f", "v"}, {"XADD", key, "MAXLEN", "-1", "1-1", "f", "v"},
			{"XTRIM", key, "LIMIT", "5"}, {"XREAD", "STREAMS", key, "$", "x"},
		}[g.R.IntN(13)]}
	}
}

// xID is an ID with a small millisecond part.
func xID(g *Gen) string {
	ms := g.Int(0, 40)
	switch g.R.IntN(4) {
	case 0:
		return strconv.Itoa(ms)
	default:
		return strconv.Itoa(ms) + "-" + g.IntArg(0, 3)
	}
}

// xBound is a range bound: an ID, "-"/"+", or an exclusive "(ID".
func xBound(g *Gen, end bool) string {
	switch g.R.IntN(5) {
	case 0:
		if end {
			return "+"
		}
		return "-"
	case 1:
		return "(" + xID(g)
	default:
		return xID(g)
	}
}

func xGroup(g *Gen) string { return g.Pick("g1", "g1", "g2", "g3") }

func xConsumer(g *Gen) string { return g.Pick("alice", "alice", "bob", "carol") }

// xTrimOpts returns MAXLEN / MINID options (the threshold and maybe LIMIT).
func xTrimOpts(g *Gen, always bool) []string {
	var o []string
	if g.Chance(0.5) {
		o = append(o, "MAXLEN")
	} else {
		o = append(o, "MINID")
	}
	approx := false
	switch g.R.IntN(3) {
	case 0:
		o = append(o, "~")
		approx = true
	case 1:
		o = append(o, "=")
	}
	if o[0] == "MAXLEN" {
		o = append(o, g.IntArg(0, 12))
	} else {
		o = append(o, xID(g))
	}
	if approx && g.Chance(0.3) {
		o = append(o, "LIMIT", g.IntArg(0, 5))
	}
	return o
}

func xaddArgs(g *Gen, key string) []string {
	args := []string{"XADD", key}
	if g.Chance(0.1) {
		args = append(args, "NOMKSTREAM")
	}
	if g.Chance(0.2) {
		args = append(args, xTrimOpts(g, false)...)
	}
	switch g.R.IntN(3) {
	case 0:
		args = append(args, strconv.Itoa(g.Int(0, 40))+"-*")
	default:
		args = append(args, xID(g))
	}
	fields := []string{"f", "name", "n"}
	for i := g.Int(1, 3); i > 0; i-- {
		if g.Chance(0.8) {
			args = append(args, fields[g.R.IntN(len(fields))], g.Value())
		} else {
			args = append(args, g.Field(), g.Value())
		}
	}
	return args
}
