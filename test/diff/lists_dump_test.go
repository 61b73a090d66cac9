package diff

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

var flagListDumpSeeds = flag.Int("diff.listdumpseeds", 10, "TestListsDumpBytes: number of seeds")

// TestListsDumpBytes: random list histories on redis-server and Lightcone,
// with DUMP after every write compared byte for byte — the node layout
// (where pushes open nodes, how LINSERT splits and merges them, what LSET,
// LREM and LTRIM leave) must be Redis' own. Elements are long enough that
// lists span many 8 KB nodes.
func TestListsDumpBytes(t *testing.T) {
	needServers(t)
	for seed := uint64(1); seed <= uint64(*flagListDumpSeeds); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			p := &Pair{redisAddr: redisAddr, lightAddr: lightAddr}
			defer p.Close()
			if err := p.Reset(); err != nil {
				t.Fatal(err)
			}
			g := NewGen(seed)
			var history []string
			for i := 0; i < 400; i++ {
				args := genListsBig(g)
				history = append(history, Quote(args))
				rv, lv, err := p.Do(args...)
				if err != nil {
					t.Fatal(err)
				}
				if msg := compareReplies(rv, lv, false, false); msg != "" {
					t.Fatalf("op %d %s\n%s\nlast: %s", i, Quote(args), msg, lastN(history, 10))
				}
				for _, k := range []string{"a", "b"} {
					rv, lv, err := p.Do("DUMP", k)
					if err != nil {
						t.Fatal(err)
					}
					if !Equal(rv, lv) {
						t.Fatalf("after op %d %s: DUMP %s differs\n  redis:     %q\n  lightcone: %q\nlast: %s",
							i, Quote(args), k, rv.Str, lv.Str, lastN(history, 10))
					}
				}
			}
		})
	}
}

func lastN(h []string, n int) string {
	if len(h) > n {
		h = h[len(h)-n:]
	}
	return "\n  " + strings.Join(h, "\n  ")
}

// bigPool: elements of 1 to 600 bytes, integers among them, few enough to
// repeat.
var bigPool = func() []string {
	var out []string
	for i := 0; i < 24; i++ {
		switch i % 4 {
		case 0:
			out = append(out, strconv.Itoa(i*1000-7000))
		case 1:
			out = append(out, strings.Repeat(string(rune('a'+i)), 1+i*25))
		default:
			out = append(out, fmt.Sprintf("e%d-%s", i, strings.Repeat("x", (i*37)%300)))
		}
	}
	return out
}()

func bigElem(g *Gen) string { return bigPool[g.R.IntN(len(bigPool))] }

func genListsBig(g *Gen) []string {
	k := g.Pick("a", "b")
	switch g.R.IntN(20) {
	case 0, 1, 2, 3, 4:
		args := []string{g.Pick("LPUSH", "RPUSH"), k}
		for n := 1 + g.R.IntN(8); n > 0; n-- {
			args = append(args, bigElem(g))
		}
		return args
	case 5, 6, 7, 8:
		return []string{"LINSERT", k, g.Pick("BEFORE", "AFTER"), bigElem(g), bigElem(g)}
	case 9, 10:
		return []string{"LSET", k, g.IntArg(-60, 60), bigElem(g)}
	case 11:
		return []string{"LREM", k, g.IntArg(-2, 2), bigElem(g)}
	case 12:
		return []string{g.Pick("LPOP", "RPOP"), k, g.IntArg(1, 20)}
	case 13:
		return []string{"LTRIM", k, g.IntArg(0, 5), g.IntArg(-5, -1)}
	case 14:
		return []string{"LMOVE", k, g.Pick("a", "b"), listDir(g), listDir(g)}
	case 15:
		return []string{"LMPOP", "2", "a", "b", listDir(g), "COUNT", g.IntArg(1, 5)}
	case 16:
		return []string{"LRANGE", k, g.IntArg(-80, 80), g.IntArg(-80, 80)}
	case 17:
		return []string{"LPOS", k, bigElem(g), "RANK", g.Pick("1", "-1", "2"), "COUNT", "0"}
	case 18:
		return []string{"LINDEX", k, g.IntArg(-100, 100)}
	default:
		return []string{"LLEN", k}
	}
}
