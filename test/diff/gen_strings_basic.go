package diff

func init() { generators["basic"] = genBasic }

// genBasic exercises the framework with GET, SET (NX/XX/GET/EX/PX/KEEPTTL
// and some invalid combinations), DEL and EXISTS.
func genBasic(g *Gen) Op {
	switch g.R.IntN(10) {
	case 0, 1:
		return Op{Args: []string{"GET", g.Key()}}
	case 2, 3, 4, 5:
		return Op{Args: genSetArgs(g)}
	case 6, 7:
		return Op{Args: append([]string{"DEL"}, g.Keys(g.Int(1, 3))...)}
	case 8:
		return Op{Args: append([]string{"EXISTS"}, g.Keys(g.Int(1, 4))...)}
	default:
		// Arity and type errors now and then.
		return Op{Args: [][]string{{"GET"}, {"GET", g.Key(), g.Key()}, {"SET", g.Key()}, {"DEL"}, {"EXISTS"}}[g.R.IntN(5)]}
	}
}

// genSetArgs returns a SET command with a random, mostly valid, set of
// options in random order.
func genSetArgs(g *Gen) []string {
	var opts [][]string
	switch g.R.IntN(4) {
	case 0:
		opts = append(opts, []string{"NX"})
	case 1:
		opts = append(opts, []string{"XX"})
	}
	if g.Chance(0.3) {
		opts = append(opts, []string{"GET"})
	}
	switch g.R.IntN(5) {
	case 0:
		opts = append(opts, []string{"EX", "1000"})
	case 1:
		opts = append(opts, []string{"PX", "100000"})
	case 2:
		opts = append(opts, []string{"KEEPTTL"})
	}
	if g.Chance(0.05) {
		// Something invalid: conflicting or malformed options.
		opts = append(opts, [][]string{
			{"NX"}, {"XX"}, {"KEEPTTL"}, {"EX", "1000"}, {"PX", "100000"},
			{"EX", "0"}, {"PX", "-5"}, {"EX", "abc"}, {"EX"}, {"BOGUS"}, {"ex", "9223372036854775807"},
		}[g.R.IntN(11)])
	}
	g.R.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
	args := []string{"SET", g.Key(), g.Value()}
	for _, o := range opts {
		for _, w := range o {
			if g.Chance(0.2) {
				w = lowerASCII(w)
			}
			args = append(args, w)
		}
	}
	return args
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
