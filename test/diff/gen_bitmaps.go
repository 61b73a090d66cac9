package diff

func init() { generators["bitmaps"] = genBitmaps }

// genBitmaps exercises SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
// BITFIELD_RO, with offsets kept small (or past the 512MB limit, an error)
// so that no command allocates much.
func genBitmaps(g *Gen) Op {
	k := g.Key()
	switch g.R.IntN(20) {
	case 0, 1, 2:
		return Op{Args: []string{"SETBIT", k, bmBitOffset(g), bmBit(g)}}
	case 3, 4:
		return Op{Args: []string{"GETBIT", k, bmBitOffset(g)}}
	case 5, 6:
		return Op{Args: bmCountArgs(g, k)}
	case 7, 8:
		return Op{Args: bmPosArgs(g, k)}
	case 9, 10:
		return Op{Args: bmOpArgs(g)}
	case 11, 12, 13, 14:
		return Op{Args: bmFieldArgs(g, k, false)}
	case 15:
		return Op{Args: bmFieldArgs(g, k, true)}
	case 16:
		// bitmap-looking values: runs of 0x00 and 0xff around single bits
		return Op{Args: []string{"SET", k, bmBytes(g)}}
	case 17:
		return Op{Args: []string{"GET", k}}
	default:
		cands := [][]string{
			{"SETBIT", k, "0"}, {"GETBIT", k}, {"BITCOUNT"}, {"BITCOUNT", k, "0"}, {"BITCOUNT", k, "0", "1", "BIT", "x"},
			{"BITPOS", k}, {"BITOP", "AND", k}, {"BITFIELD"}, {"BITFIELD_RO"}, {"SETBIT", k, "1", "1", "1"},
		}
		return Op{Args: cands[g.R.IntN(len(cands))]}
	}
}

func bmBit(g *Gen) string {
	if g.Chance(0.05) {
		return g.Pick("2", "-1", "x", "", "01")
	}
	return g.Pick("0", "1")
}

// bmBitOffset is a SETBIT/GETBIT offset.
func bmBitOffset(g *Gen) string {
	switch g.R.IntN(20) {
	case 0:
		return g.Pick("-1", "4294967296", "x", "1.5", "+3", "9223372036854775807")
	case 1:
		return g.IntArg(0, 5000)
	default:
		return g.IntArg(0, 300)
	}
}

// bmIndex is a BITCOUNT/BITPOS start or end, in bytes or bits.
func bmIndex(g *Gen) string {
	switch g.R.IntN(15) {
	case 0:
		return g.Pick("9223372036854775807", "-9223372036854775808", "x", "1.5")
	case 1, 2:
		return g.IntArg(-300, 300)
	default:
		return g.IntArg(-20, 20)
	}
}

func bmUnit(g *Gen) string {
	if g.Chance(0.05) {
		return g.Pick("FOO", "bits", "")
	}
	return g.Pick("BIT", "BYTE", "bit", "byte")
}

func bmCountArgs(g *Gen, k string) []string {
	args := []string{"BITCOUNT", k}
	if g.Chance(0.7) {
		args = append(args, bmIndex(g), bmIndex(g))
		if g.Chance(0.5) {
			args = append(args, bmUnit(g))
		}
	}
	return args
}

func bmPosArgs(g *Gen, k string) []string {
	bit := g.Pick("0", "1", "0", "1", "0", "1", "2", "x")
	args := []string{"BITPOS", k, bit}
	switch g.R.IntN(4) {
	case 1:
		args = append(args, bmIndex(g))
	case 2:
		args = append(args, bmIndex(g), bmIndex(g))
	case 3:
		args = append(args, bmIndex(g), bmIndex(g), bmUnit(g))
	}
	return args
}

func bmOpArgs(g *Gen) []string {
	op := g.Pick("AND", "OR", "XOR", "NOT", "and", "not")
	if g.Chance(0.03) {
		op = "NAND"
	}
	n := 1
	if op != "NOT" && op != "not" || g.Chance(0.05) {
		n = g.Int(1, 4)
	}
	return append([]string{"BITOP", op, g.Key()}, g.Keys(n)...)
}

// bmType is a BITFIELD type, now and then an invalid one.
func bmType(g *Gen) string {
	if g.Chance(0.04) {
		return g.Pick("u64", "i65", "i0", "u0", "x8", "U8", "u", "i08")
	}
	if g.Chance(0.5) {
		return "i" + g.IntArg(1, 64)
	}
	return "u" + g.IntArg(1, 63)
}

// bmFieldOffset is a BITFIELD offset, plain or "#N".
func bmFieldOffset(g *Gen) string {
	switch g.R.IntN(20) {
	case 0:
		return g.Pick("-1", "x", "#-1", "#", "4294967296", "#9223372036854775807")
	case 1, 2, 3, 4:
		return "#" + g.IntArg(0, 20)
	default:
		return g.IntArg(0, 200)
	}
}

// bmFieldValue is a BITFIELD SET value or INCRBY increment.
func bmFieldValue(g *Gen) string {
	switch g.R.IntN(12) {
	case 0:
		return g.Pick("9223372036854775807", "-9223372036854775808", "4611686018427387904", "-4611686018427387905")
	case 1:
		return g.Pick("x", "1.5", "9223372036854775808", "")
	case 2, 3:
		return g.IntArg(-1<<20, 1<<20)
	default:
		return g.IntArg(-300, 300)
	}
}

func bmFieldArgs(g *Gen, k string, ro bool) []string {
	cmd := "BITFIELD"
	if ro {
		cmd = "BITFIELD_RO"
	}
	args := []string{cmd, k}
	for n := g.Int(0, 5); n > 0; n-- {
		r := g.R.IntN(10)
		if ro && r >= 3 && g.Chance(0.9) {
			r = 0
		}
		switch {
		case r < 3:
			args = append(args, g.Pick("GET", "get"), bmType(g), bmFieldOffset(g))
		case r < 5:
			args = append(args, g.Pick("SET", "set"), bmType(g), bmFieldOffset(g), bmFieldValue(g))
		case r < 7:
			args = append(args, g.Pick("INCRBY", "incrby"), bmType(g), bmFieldOffset(g), bmFieldValue(g))
		case r < 9:
			ow := g.Pick("WRAP", "SAT", "FAIL", "wrap", "sat", "fail")
			if g.Chance(0.03) {
				ow = "FOO"
			}
			args = append(args, "OVERFLOW", ow)
		default:
			// truncated or unknown subcommand
			args = append(args, [][]string{{"GET", "u8"}, {"SET", "i8", "0"}, {"INCRBY"}, {"OVERFLOW"}, {"FOO"}}[g.R.IntN(5)]...)
		}
	}
	return args
}

// bmBytes is a short binary value of 0x00/0xff runs with a few odd bytes.
func bmBytes(g *Gen) string {
	b := make([]byte, g.Int(0, 24))
	fill := byte(0)
	for i := range b {
		if g.Chance(0.2) {
			fill = ^fill
		}
		b[i] = fill
		if g.Chance(0.1) {
			b[i] = byte(g.R.IntN(256))
		}
	}
	return string(b)
}
