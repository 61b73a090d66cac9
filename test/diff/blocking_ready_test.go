package diff

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/resp"
)

// Blocking commands on several keys woken by one MULTI/EXEC or script that
// writes several of their keys: Redis serves each blocked client from the
// key that was signalled ready first (the order the transaction wrote the
// keys in), not from the first of its keys in argument order, and serves a
// client only from a ready key (a key signalled but emptied again by the
// same transaction serves nobody). Each script runs on both servers with
// runBlockScript (lists_block_test.go) and the transcripts must be equal.
//
// These need a connection that stays blocked while another one writes,
// which the case-file harness cannot express (a sync-mode line must not
// block), hence Go scripts.

const readyScript = "redis.call('rpush', KEYS[2], 'x') redis.call('rpush', KEYS[1], 'y') return 1"

var readyOrderScripts = map[string][]bstep{
	"blpop: multi writes the second key first": {
		bg(1, 1, "BLPOP", "a", "b", "0"),
		do(0, "MULTI"), do(0, "RPUSH", "b", "x"), do(0, "RPUSH", "a", "y"), do(0, "EXEC"),
		rd(1),
		do(0, "LRANGE", "a", "0", "-1"), do(0, "LRANGE", "b", "0", "-1"),
	},
	"brpop: multi writes the second key first": {
		bg(1, 1, "BRPOP", "a", "b", "c", "0"),
		do(0, "MULTI"), do(0, "RPUSH", "c", "x1", "x2"), do(0, "RPUSH", "b", "z"), do(0, "RPUSH", "a", "y"), do(0, "EXEC"),
		rd(1),
		do(0, "LRANGE", "a", "0", "-1"), do(0, "LRANGE", "b", "0", "-1"), do(0, "LRANGE", "c", "0", "-1"),
	},
	"blpop: a script writes the second key first": {
		bg(1, 1, "BLPOP", "a", "b", "0"),
		do(0, "EVAL", readyScript, "2", "a", "b"),
		rd(1),
		do(0, "LRANGE", "a", "0", "-1"), do(0, "LRANGE", "b", "0", "-1"),
	},
	"blpop: two clients, each served from its own ready key": {
		bg(1, 1, "BLPOP", "a", "b", "0"),
		bg(2, 2, "BLPOP", "a", "0"),
		do(0, "MULTI"), do(0, "RPUSH", "b", "x"), do(0, "RPUSH", "a", "y"), do(0, "EXEC"),
		rd(1), rd(2),
		do(0, "EXISTS", "a", "b"),
	},
	"blpop: the first ready key emptied again by the transaction": {
		bg(1, 1, "BLPOP", "a", "b", "0"),
		do(0, "MULTI"), do(0, "RPUSH", "b", "x"), do(0, "RPUSH", "a", "y"), do(0, "DEL", "b"), do(0, "EXEC"),
		rd(1),
		do(0, "EXISTS", "a", "b"),
	},
	"blpop: a key written twice keeps its first place": {
		bg(1, 1, "BLPOP", "a", "b", "0"),
		do(0, "MULTI"), do(0, "RPUSH", "a", "y"), do(0, "RPUSH", "b", "x"), do(0, "RPUSH", "a", "y2"), do(0, "EXEC"),
		rd(1),
		do(0, "LRANGE", "a", "0", "-1"), do(0, "LRANGE", "b", "0", "-1"),
	},
	"blmpop: multi writes the second key first": {
		bg(1, 1, "BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "5"),
		do(0, "MULTI"), do(0, "RPUSH", "b", "x1", "x2"), do(0, "RPUSH", "a", "y"), do(0, "EXEC"),
		rd(1),
		do(0, "LRANGE", "a", "0", "-1"), do(0, "EXISTS", "b"),
	},
	"blmove into a key another client waits on, in one transaction": {
		bg(1, 1, "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"),
		bg(2, 2, "BLPOP", "other", "dst", "0"),
		do(0, "MULTI"), do(0, "RPUSH", "src", "s"), do(0, "RPUSH", "other", "o"), do(0, "EXEC"),
		rd(1), rd(2),
		do(0, "LRANGE", "dst", "0", "-1"), do(0, "LRANGE", "other", "0", "-1"),
	},
	"bzpopmin: multi writes the second key first": {
		bg(1, 1, "BZPOPMIN", "a", "b", "0"),
		do(0, "MULTI"), do(0, "ZADD", "b", "1", "x"), do(0, "ZADD", "a", "2", "y"), do(0, "EXEC"),
		rd(1),
		do(0, "ZRANGE", "a", "0", "-1"), do(0, "EXISTS", "b"),
	},
	"bzpopmax: a script writes the second key first": {
		bg(1, 1, "BZPOPMAX", "a", "b", "0"),
		do(0, "EVAL", "redis.call('zadd', KEYS[2], 1, 'x') redis.call('zadd', KEYS[1], 2, 'y') return 1", "2", "a", "b"),
		rd(1),
		do(0, "ZRANGE", "a", "0", "-1"), do(0, "EXISTS", "b"),
	},
	"bzmpop: multi writes the second key first": {
		bg(1, 1, "BZMPOP", "0", "2", "a", "b", "MIN", "COUNT", "3"),
		do(0, "MULTI"), do(0, "ZADD", "b", "1", "x", "2", "x2"), do(0, "ZADD", "a", "0", "y"), do(0, "EXEC"),
		rd(1),
		do(0, "ZRANGE", "a", "0", "-1"), do(0, "EXISTS", "b"),
	},
	"xread: multi writes the second stream first": {
		do(0, "XADD", "a", "1-1", "f", "v"), do(0, "XADD", "b", "1-1", "f", "v"),
		bg(1, 1, "XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$"),
		do(0, "MULTI"), do(0, "XADD", "b", "2-1", "f", "b"), do(0, "XADD", "a", "2-1", "f", "a"), do(0, "EXEC"),
		rd(1),
	},
	"xreadgroup: multi writes the second stream first": {
		do(0, "XGROUP", "CREATE", "a", "g", "$", "MKSTREAM"), do(0, "XGROUP", "CREATE", "b", "g", "$", "MKSTREAM"),
		bg(1, 1, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "a", "b", ">", ">"),
		do(0, "MULTI"), do(0, "XADD", "b", "2-1", "f", "b"), do(0, "XADD", "a", "2-1", "f", "a"), do(0, "EXEC"),
		rd(1),
		do(0, "XPENDING", "a", "g"), do(0, "XPENDING", "b", "g"),
	},
	"mixed kinds: the list waiter and the zset waiter of one transaction": {
		bg(1, 1, "BLPOP", "l1", "l2", "0"),
		bg(2, 2, "BZPOPMIN", "z1", "z2", "0"),
		do(0, "MULTI"), do(0, "ZADD", "z2", "1", "m"), do(0, "RPUSH", "l2", "x"), do(0, "ZADD", "z1", "1", "n"), do(0, "RPUSH", "l1", "y"), do(0, "EXEC"),
		rd(1), rd(2),
		do(0, "LRANGE", "l1", "0", "-1"), do(0, "ZRANGE", "z1", "0", "-1"),
	},
}

func TestBlockingReadyOrder(t *testing.T) {
	needServers(t)
	names := make([]string, 0, len(readyOrderScripts))
	for name := range readyOrderScripts {
		names = append(names, name)
	}
	slices.Sort(names)
	compared := 0
	for _, name := range names {
		script := readyOrderScripts[name]
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			rt, err := runBlockScript(redisAddr, "redis", script)
			if err != nil {
				t.Fatal(err)
			}
			lt, err := runBlockScript(lightAddr, "lightcone", script)
			if err != nil {
				t.Fatal(err)
			}
			compared += compareTranscripts(t, rt, lt)
		})
	}
	t.Logf("%d scripts, %d replies compared", len(names), compared)
}

// servedEventScripts add, to readyOrderScripts, clients served after
// blocking whose serving raises events of its own.
var servedEventScripts = map[string][]bstep{
	"blpop served by rpush": {
		bg(1, 1, "BLPOP", "k", "0"),
		do(0, "RPUSH", "k", "a"),
		rd(1),
	},
	"brpop and blpop served by one rpush": {
		bg(1, 1, "BRPOP", "k", "0"),
		bg(2, 2, "BLPOP", "k", "0"),
		do(0, "RPUSH", "k", "a", "b", "c"),
		rd(1), rd(2),
	},
	"blmove served, its destination serves another": {
		bg(1, 1, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"),
		bg(2, 2, "BRPOPLPUSH", "dst", "dst2", "0"),
		do(0, "LPUSH", "src", "a"),
		rd(1), rd(2),
	},
	"blmpop served with a count": {
		bg(1, 1, "BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2"),
		do(0, "RPUSH", "b", "1", "2", "3"),
		rd(1),
	},
	"bzpopmin and bzmpop served": {
		bg(1, 1, "BZPOPMIN", "z", "0"),
		do(0, "ZADD", "z", "1", "a"),
		rd(1),
		bg(1, 1, "BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"),
		do(0, "ZADD", "z", "1", "a", "2", "b"),
		rd(1),
	},
	"xreadgroup served creates its consumer": {
		do(0, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
		bg(1, 1, "XREADGROUP", "GROUP", "g", "newc", "BLOCK", "0", "STREAMS", "s", ">"),
		do(0, "XADD", "s", "1-1", "f", "v"),
		rd(1),
		bg(1, 1, "XREADGROUP", "GROUP", "g", "newc", "BLOCK", "0", "STREAMS", "s", ">"),
		do(0, "XADD", "s", "2-1", "f", "v"),
		rd(1),
	},
	"xreadgroup blocked, its stream deleted": {
		do(0, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
		bg(1, 1, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"),
		do(0, "DEL", "s"),
		rd(1),
	},
}

// TestBlockingServedEvents runs the ready-order scripts and the scripts
// above with a __key*__:* subscriber (notify-keyspace-events KEA): the
// events of the writes and of the serving of blocked clients, in order,
// must be those of redis-server.
func TestBlockingServedEvents(t *testing.T) {
	needServers(t)
	all := map[string][]bstep{}
	for name, s := range readyOrderScripts {
		all[name] = s
	}
	for name, s := range servedEventScripts {
		all[name] = s
	}
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	slices.Sort(names)
	compared, events := 0, 0
	for _, name := range names {
		script := all[name]
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			rt, rev, err := blockScriptEvents(redisAddr, "redis", script)
			if err != nil {
				t.Fatal(err)
			}
			lt, lev, err := blockScriptEvents(lightAddr, "lightcone", script)
			if err != nil {
				t.Fatal(err)
			}
			compared += compareTranscripts(t, rt, lt)
			rv := resp.Value{Kind: resp.KindArray, Elems: rev}
			lv := resp.Value{Kind: resp.KindArray, Elems: lev}
			compared++
			events += len(rev)
			if !Equal(rv, lv) {
				t.Errorf("keyspace events differ:\n%s", describe(rv, lv))
			}
		})
	}
	t.Logf("%d scripts, %d replies and event sequences compared (%d events)", len(names), compared, events)
}

// blockScriptEvents runs a blocking script with a subscriber to every
// keyspace event and returns the transcript and the events received.
func blockScriptEvents(addr, name string, script []bstep) ([]transcriptEntry, []resp.Value, error) {
	sub, err := Dial(name, addr)
	if err != nil {
		return nil, nil, err
	}
	defer sub.Close()
	if v, err := sub.Do("CONFIG", "SET", "notify-keyspace-events", "KEA"); err != nil || v.Kind == resp.KindError {
		return nil, nil, fmt.Errorf("CONFIG SET: %v %s", err, v)
	}
	defer func() {
		if c, err := Dial(name, addr); err == nil {
			c.Do("CONFIG", "SET", "notify-keyspace-events", "")
			c.Close()
		}
	}()
	if _, err := sub.Do("PSUBSCRIBE", "__key*__:*"); err != nil {
		return nil, nil, err
	}
	tr, err := runBlockScript(addr, name, script)
	if err != nil {
		return nil, nil, err
	}
	const marker = "lightcone-served-events"
	sub.Send("PING", marker)
	if err := sub.Flush(); err != nil {
		return nil, nil, err
	}
	var evs []resp.Value
	for {
		v, err := sub.Read()
		if err != nil {
			return nil, nil, err
		}
		if isMarker(v, marker, false) {
			return tr, evs, nil
		}
		evs = append(evs, v)
	}
}
