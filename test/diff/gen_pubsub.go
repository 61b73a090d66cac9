package diff

import (
	"strconv"
	"strings"
)

// Pub/Sub, keyspace notifications and client-side caching at random.
//
// genPubSub is a TestRandom generator (one connection, RESP2): it only
// makes commands that reply exactly once in subscribed mode (SUBSCRIBE of
// one channel, never an UNSUBSCRIBE without arguments), so the reply-by-
// reply comparison holds; a connection cannot publish to itself in RESP2
// subscribed mode, so messages are the business of the scenario generator.
//
// PubSubScenario builds multi-connection scenarios for TestRandomPubSub
// (sync mode, see cases.go): four connections subscribe, publish, write
// keys with keyspace notifications on, track keys in every mode and switch
// protocols; after every step what each connection received is compared.

func init() { generators["pubsub"] = genPubSub }

var (
	chanPool    = []string{"ch", "news", "n1", "", "a b", "x\x00y", "__keyspace@0__:a"}
	patternPool = []string{"n*", "*", "ch", "?", "[an]*", "x\\*", "__key*__:*", "h[^e]llo"}
)

func genPubSub(g *Gen) Op {
	switch g.R.IntN(16) {
	case 0, 1:
		return Op{Args: []string{"SUBSCRIBE", g.Pick(chanPool...)}}
	case 2:
		return Op{Args: []string{"PSUBSCRIBE", g.Pick(patternPool...)}}
	case 3:
		return Op{Args: []string{"SSUBSCRIBE", g.Pick(chanPool...)}}
	case 4, 5:
		return Op{Args: []string{"UNSUBSCRIBE", g.Pick(chanPool...)}}
	case 6:
		return Op{Args: []string{"PUNSUBSCRIBE", g.Pick(patternPool...)}}
	case 7:
		return Op{Args: []string{"SUNSUBSCRIBE", g.Pick(chanPool...)}}
	case 8:
		return Op{Args: []string{g.Pick("PUBLISH", "SPUBLISH"), g.Pick(chanPool...), g.Value()}}
	case 9:
		return Op{Args: []string{"PUBSUB", "NUMSUB", g.Pick(chanPool...), g.Pick(chanPool...)}}
	case 10:
		return Op{Args: []string{"PUBSUB", g.Pick("CHANNELS", "SHARDCHANNELS"), g.Pick(patternPool...)}, Sort: true}
	case 11:
		return Op{Args: []string{"PUBSUB", g.Pick("NUMPAT", "SHARDNUMSUB", "CHANNELS")}, Sort: true}
	case 12:
		return Op{Args: []string{"PING"}}
	case 13:
		return Op{Args: []string{"PING", g.Value()}}
	case 14:
		// leave subscribed mode so that the other families get a turn
		return Op{Args: []string{"RESET"}}
	default:
		return Op{Args: []string{g.Pick("GET", "SET", "PUBSUB"), g.Key()}}
	}
}

// psConn is what the scenario generator knows of a connection.
type psConn struct {
	resp3    bool
	channels []string
	patterns []string
	shard    []string
	tracking bool
	bcast    bool
}

func (c *psConn) subscribed() bool {
	return len(c.channels)+len(c.patterns)+len(c.shard) > 0
}

func addName(list []string, n string) []string {
	for _, x := range list {
		if x == n {
			return list
		}
	}
	return append(list, n)
}

func dropName(list []string, n string) []string {
	for i, x := range list {
		if x == n {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

// PubSubScenario returns a scenario of ops steps: four connections and
// keyspace notifications turned on at the start and off at the end.
func PubSubScenario(seed uint64, ops int) []caseStep {
	g := NewGen(seed)
	conns := make([]psConn, 5) // 1..4
	var steps []caseStep
	add := func(conn int, unordered bool, args ...string) {
		steps = append(steps, caseStep{line: len(steps) + 1, text: "@" + strconv.Itoa(conn) + " " + Quote(args),
			conn: conn, args: args, unorder: unordered})
	}
	add(1, false, "CONFIG", "SET", "notify-keyspace-events", "KEA")
	keys := []string{"a", "b", "ab", "n1", "x"}
	for i := 0; i < ops; i++ {
		n := g.Int(1, 4)
		c := &conns[n]
		// a message to a connection with several matching patterns comes
		// once per pattern, in Redis' hash order: compare as multisets
		unordered := false
		for k := 1; k <= 4; k++ {
			if len(conns[k].patterns) > 1 {
				unordered = true
			}
		}
		switch r := g.R.IntN(40); {
		case r < 4:
			ch := g.Pick(chanPool...)
			if g.Chance(0.3) {
				ch2 := g.Pick(chanPool...)
				add(n, unordered, "SUBSCRIBE", ch, ch2)
				c.channels = addName(addName(c.channels, ch), ch2)
			} else {
				add(n, unordered, "SUBSCRIBE", ch)
				c.channels = addName(c.channels, ch)
			}
		case r < 6:
			p := g.Pick(patternPool...)
			add(n, unordered, "PSUBSCRIBE", p)
			c.patterns = addName(c.patterns, p)
		case r < 7:
			ch := g.Pick(chanPool...)
			add(n, unordered, "SSUBSCRIBE", ch)
			c.shard = addName(c.shard, ch)
		case r < 9:
			ch := g.Pick(chanPool...)
			if len(c.channels) <= 1 && g.Chance(0.3) {
				// without arguments: deterministic with at most one channel
				add(n, unordered, "UNSUBSCRIBE")
				c.channels = nil
			} else {
				add(n, unordered, "UNSUBSCRIBE", ch)
				c.channels = dropName(c.channels, ch)
			}
		case r < 10:
			p := g.Pick(patternPool...)
			if len(c.patterns) > 0 && g.Chance(0.5) {
				p = c.patterns[g.R.IntN(len(c.patterns))]
			}
			add(n, unordered, "PUNSUBSCRIBE", p)
			c.patterns = dropName(c.patterns, p)
		case r < 11:
			ch := g.Pick(chanPool...)
			add(n, unordered, "SUNSUBSCRIBE", ch)
			c.shard = dropName(c.shard, ch)
		case r < 16:
			add(n, unordered, "PUBLISH", g.Pick(chanPool...), g.Value())
		case r < 17:
			add(n, unordered, "SPUBLISH", g.Pick(chanPool...), g.Pick("m", "", "long message text"))
		case r < 18:
			add(n, unordered, "PUBSUB", "NUMSUB", g.Pick(chanPool...), g.Pick(chanPool...))
			steps[len(steps)-1].sort = false
		case r < 19:
			add(n, unordered, "PUBSUB", g.Pick("CHANNELS", "SHARDCHANNELS", "NUMPAT"))
			steps[len(steps)-1].sort = true
		case r < 27:
			// writes raise keyspace events and invalidations
			k := g.Pick(keys...)
			switch g.R.IntN(8) {
			case 0:
				add(n, unordered, "SET", k, g.Value())
			case 1:
				add(n, unordered, "INCR", k)
			case 2:
				add(n, unordered, "DEL", k, g.Pick(keys...))
			case 3:
				add(n, unordered, "APPEND", k, "x")
			case 4:
				add(n, unordered, "EXPIRE", k, g.Pick("100", "-1", "0"))
			case 5:
				add(n, unordered, "MSET", k, "1", g.Pick(keys...), "2")
			case 6:
				add(n, unordered, "RENAME", k, g.Pick(keys...))
			default:
				add(n, unordered, "GETDEL", k)
			}
		case r < 31:
			// reads: tracked keys, keymiss events
			k := g.Pick(keys...)
			switch g.R.IntN(4) {
			case 0:
				add(n, unordered, "GET", k)
			case 1:
				add(n, unordered, "MGET", k, g.Pick(keys...))
			case 2:
				add(n, unordered, "EXISTS", k)
			default:
				add(n, unordered, "STRLEN", k)
			}
		case r < 34:
			// tracking
			switch g.R.IntN(7) {
			case 0:
				add(n, unordered, "CLIENT", "TRACKING", "on")
			case 1:
				add(n, unordered, "CLIENT", "TRACKING", "on", "noloop")
			case 2:
				add(n, unordered, "CLIENT", "TRACKING", "on", "bcast", "prefix", g.Pick("a", "n", ""))
			case 3:
				add(n, unordered, "CLIENT", "TRACKING", "on", g.Pick("optin", "optout"))
			case 4:
				add(n, unordered, "CLIENT", "CACHING", g.Pick("yes", "no"))
			case 5:
				add(n, unordered, "CLIENT", "TRACKING", "on", "redirect", "@id"+strconv.Itoa(g.Int(1, 4)))
				steps[len(steps)-1].ids = true
			default:
				add(n, unordered, "CLIENT", "TRACKING", "off")
			}
		case r < 35:
			steps = append(steps, caseStep{line: len(steps) + 1, text: "HELLO", conn: n,
				args: []string{"HELLO", g.Pick("2", "3")}, noCmp: true})
		case r < 36:
			add(n, unordered, "CONFIG", "SET", "notify-keyspace-events", g.Pick("KEA", "KEg$", "Kx", "E", "KEAm", "KEAn", ""))
		case r < 37:
			add(n, unordered, "PING")
		case r < 38:
			add(n, unordered, "RESET")
			*c = psConn{}
		case r < 39:
			add(n, unordered, "FLUSHDB")
		default:
			add(n, unordered, "QUIT")
			*c = psConn{}
		}
	}
	add(1, false, "CONFIG", "SET", "notify-keyspace-events", "")
	// leave nothing behind for the next seed (closing is asynchronous)
	for n := 1; n <= 4; n++ {
		add(n, false, "RESET")
	}
	for i := range steps {
		steps[i].text = strings.TrimSpace(steps[i].text)
	}
	return steps
}
