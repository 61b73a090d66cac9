package diff

// Random differential sequences (TestRandom in random_test.go).
//
// A command family adds a generator in its own file gen_<family>.go:
//
//	func init() { generators["hash"] = genHash }
//
//	func genHash(g *Gen) Op {
//		switch g.R.IntN(3) {
//		case 0:
//			return Op{Args: []string{"HSET", g.Key(), g.Field(), g.Value()}}
//		case 1:
//			return Op{Args: []string{"HGETALL", g.Key()}, Sort: true}
//		...
//	}
//
// Rules: keys come from g.Key() (a small pool, so that operations collide,
// also across families and types); TTLs must be long (>= 100 s, e.g. EX 1000
// or PX 100000) so that timing never decides a reply; commands whose result
// is unspecified (RANDOMKEY, TIME, SRANDMEMBER, SPOP...) must be NoCompare,
// and replies in unspecified order (SMEMBERS, HGETALL...) Sort.

import (
	"math/rand/v2"
	"strconv"
)

// Gen produces random arguments from a seeded source.
type Gen struct {
	R *rand.Rand
}

// NewGen returns a Gen seeded with seed.
func NewGen(seed uint64) *Gen {
	return &Gen{R: rand.New(rand.NewPCG(seed, 0x6c69676874636f6e))}
}

// Op is one generated command.
type Op struct {
	Args      []string
	Sort      bool // sort the elements of an aggregate reply before comparing
	NoCompare bool // send to both servers but ignore the replies
	Dump      bool // the reply is a DUMP payload: compare the values (see !dump)
}

// generators maps a family name to its generator; gen_<family>.go files add
// themselves in init().
var generators = map[string]func(g *Gen) Op{}

// keyPool is small so that operations hit the same keys; it includes an
// empty name, a space and non-ASCII bytes.
var keyPool = []string{"a", "b", "c", "key:1", "key:2", "{t}x", "sp ace", "k\xc3\xa9\x00"}

// Key returns a key from the pool.
func (g *Gen) Key() string { return keyPool[g.R.IntN(len(keyPool))] }

// Keys returns n keys from the pool (repetitions allowed).
func (g *Gen) Keys(n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = g.Key()
	}
	return ks
}

// Field returns a hash field / set member name from a small pool.
func (g *Gen) Field() string {
	return fieldPool[g.R.IntN(len(fieldPool))]
}

var fieldPool = []string{"f1", "f2", "f3", "1", "-2", "3.5", "", "f\x00\xff", "long-field-name-0123456789"}

// Int returns an int in [lo, hi].
func (g *Gen) Int(lo, hi int) int { return lo + g.R.IntN(hi-lo+1) }

// IntArg returns an int in [lo, hi] as a decimal argument.
func (g *Gen) IntArg(lo, hi int) string { return strconv.Itoa(g.Int(lo, hi)) }

// Chance is true with probability p.
func (g *Gen) Chance(p float64) bool { return g.R.Float64() < p }

// Pick returns one of xs.
func (g *Gen) Pick(xs ...string) string { return xs[g.R.IntN(len(xs))] }

// Shuffle shuffles xs in place.
func (g *Gen) Shuffle(xs []string) {
	g.R.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
}

// Value returns a random value: small, negative and huge integers (also
// just past int64), floats, short strings, "", binary bytes, or a 50-100
// byte string.
func (g *Gen) Value() string {
	switch g.R.IntN(10) {
	case 0, 1:
		return strconv.Itoa(g.Int(-10, 100))
	case 2:
		return g.Pick("9223372036854775807", "-9223372036854775808", "9223372036854775808",
			"-9223372036854775809", "18446744073709551615", "4294967296", "-2147483649",
			strconv.FormatInt(g.R.Int64(), 10), "0", "-0", "007", "+1", " 1")
	case 3:
		return g.Float()
	case 4, 5:
		return g.Pick("x", "hello", "foo bar", "a", "ab", "abc", "Redis", "\u00e9t\u00e9")
	case 6:
		return ""
	case 7:
		b := make([]byte, g.Int(1, 8))
		for i := range b {
			b[i] = g.Pick("\x00", "\r", "\n", "\xff", "\x7f", "\"", "\\", "a")[0]
			if g.Chance(0.3) {
				b[i] = byte(g.R.IntN(256))
			}
		}
		return string(b)
	default:
		b := make([]byte, g.Int(50, 100))
		for i := range b {
			b[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[g.R.IntN(36)]
		}
		return string(b)
	}
}

// Float returns a float-looking argument, valid or not.
func (g *Gen) Float() string {
	return g.Pick("3.14", "-0.5", "0.1", "1e10", "1.5e-3", "-1e300", "inf", "-inf", "+inf",
		"1.7976931348623157e308", "0.0", "1.", ".5", "nan", "1e", strconv.FormatFloat(g.R.NormFloat64()*1000, 'f', -1, 64))
}
