package commands

// Glob patterns of KEYS and SCAN MATCH, with Redis' semantics (its
// stringmatchlen, observed black-box and written here from scratch):
//
//   - '*' matches any run of bytes, '?' any one byte;
//   - '[...]' a class of bytes: '^' first negates it, "x-y" is a range (the
//     bounds may come in either order and compare as signed chars, as C's char
//     does on x86), '\' escapes the next byte, a ']' right after '[' (or '^')
//     closes an empty class, and a class left open runs to the end of the
//     pattern;
//   - '\' outside a class makes the next byte literal; a trailing '\' is a
//     literal backslash;
//   - an empty string matches only the empty pattern (Redis never lets "*"
//     match nothing when nothing is left to match; KEYS and SCAN special-case
//     the pattern "*" before calling the matcher);
//   - Redis recurses once per '*' and gives up past a nesting of 1000: a
//     pattern whose 1001st run of stars is not its last token never matches.
//
// The pattern is compiled once into tokens and matched with the classic
// iterative algorithm that backtracks only to the last star, so matching is
// O(len(pattern) * len(string)) at worst, never exponential.

const globMaxNesting = 1000

const (
	globLit = iota
	globAny
	globStar
	globClass
)

type globToken struct {
	kind uint8
	lit  byte
	set  [4]uint64 // globClass: membership of each byte value
}

func (t *globToken) matches(b byte) bool {
	switch t.kind {
	case globAny:
		return true
	case globLit:
		return t.lit == b
	case globClass:
		return t.set[b>>6]&(1<<(b&63)) != 0
	}
	return false
}

// glob is a compiled pattern.
type glob struct {
	toks  []globToken
	empty bool // the pattern is ""
	never bool // the nesting limit makes every non-empty string fail
	all   bool // the pattern is exactly "*" (KEYS/SCAN match everything)
}

func addToClass(t *globToken, b byte) { t.set[b>>6] |= 1 << (b & 63) }

// compileGlob compiles a pattern.
func compileGlob(p []byte) *glob {
	g := &glob{empty: len(p) == 0, all: len(p) == 1 && p[0] == '*'}
	n := len(p)
	i := 0
	for i < n {
		switch p[i] {
		case '*':
			for i < n && p[i] == '*' {
				i++
			}
			g.toks = append(g.toks, globToken{kind: globStar})
		case '?':
			g.toks = append(g.toks, globToken{kind: globAny})
			i++
		case '[':
			i++
			neg := i < n && p[i] == '^'
			if neg {
				i++
			}
			t := globToken{kind: globClass}
			for {
				if i+1 < n && p[i] == '\\' {
					addToClass(&t, p[i+1])
					i += 2
				} else if i < n && p[i] == ']' {
					i++
					break
				} else if i >= n {
					break
				} else if i+2 < n && p[i+1] == '-' {
					lo, hi := int(int8(p[i])), int(int8(p[i+2]))
					if lo > hi {
						lo, hi = hi, lo
					}
					for b := 0; b < 256; b++ {
						if c := int(int8(b)); c >= lo && c <= hi {
							addToClass(&t, byte(b))
						}
					}
					i += 3
				} else {
					addToClass(&t, p[i])
					i++
				}
			}
			if neg {
				for w := range t.set {
					t.set[w] = ^t.set[w]
				}
			}
			g.toks = append(g.toks, t)
		case '\\':
			if i+1 < n {
				i++
			}
			g.toks = append(g.toks, globToken{kind: globLit, lit: p[i]})
			i++
		default:
			g.toks = append(g.toks, globToken{kind: globLit, lit: p[i]})
			i++
		}
	}
	stars := 0
	for j := range g.toks {
		if g.toks[j].kind == globStar {
			stars++
			if stars == globMaxNesting+1 && j != len(g.toks)-1 {
				g.never = true
			}
		}
	}
	return g
}

// match reports whether s matches the pattern, as stringmatchlen does.
func (g *glob) match(s string) bool {
	if len(s) == 0 {
		return g.empty
	}
	if g.never {
		return false
	}
	toks := g.toks
	ti, si := 0, 0
	starT, starS := -1, 0
	for si < len(s) {
		if ti < len(toks) {
			t := &toks[ti]
			if t.kind == globStar {
				starT, starS = ti, si
				ti++
				continue
			}
			if t.matches(s[si]) {
				ti++
				si++
				continue
			}
		}
		if starT < 0 {
			return false
		}
		// let the last star swallow one more byte and retry the rest
		starS++
		si = starS
		ti = starT + 1
	}
	for ti < len(toks) && toks[ti].kind == globStar {
		ti++
	}
	return ti == len(toks)
}

// matchKey is match with KEYS/SCAN's shortcut: the pattern "*" matches every
// key, the empty one included.
func (g *glob) matchKey(s string) bool { return g.all || g.match(s) }

// GlobMatch reports whether s matches pattern with Redis' glob rules (for
// other packages' pattern commands: PSUBSCRIBE, CONFIG GET, ACL, ...).
func GlobMatch(pattern, s []byte) bool { return compileGlob(pattern).match(string(s)) }

// scanOptions parses the COUNT and MATCH options of SCAN, HSCAN, SSCAN and
// ZSCAN from argument from on (and TYPE when typ is not nil), replying
// Redis' error and returning ok=false on bad input. g is nil when every
// element matches.
func scanOptions(c *Ctx, from int, typ *[]byte) (count int64, g *glob, ok bool) {
	count = 10
	for i := from; i < len(c.Args); i += 2 {
		if i+1 >= len(c.Args) {
			c.Syntax()
			return 0, nil, false
		}
		switch {
		case c.Is(i, "count"):
			n, ok := ParseInt(c.Args[i+1])
			if !ok {
				c.Error(ErrNotInt)
				return 0, nil, false
			}
			if n < 1 {
				c.Syntax()
				return 0, nil, false
			}
			count = n
		case c.Is(i, "match"):
			g = compileGlob(c.Args[i+1])
			if g.all {
				g = nil
			}
		case typ != nil && c.Is(i, "type"):
			*typ = c.Args[i+1]
		default:
			c.Syntax()
			return 0, nil, false
		}
	}
	return count, g, true
}
