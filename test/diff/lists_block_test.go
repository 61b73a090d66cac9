package diff

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

// Blocking list commands across several connections: each script runs on
// redis-server and on Lightcone, and the transcripts (every reply, in the
// order the script reads them) must be identical.

// bstep is one step of a blocking script, on connection conn (0..3).
type bstep struct {
	conn    int
	args    []string // command to send ($ID1 ... become that connection's CLIENT ID)
	async   bool     // send only: the reply is read by a later read step
	read    bool     // read the pending reply of conn (args unused)
	blocked int      // after sending, wait until that many clients are blocked
	sleep   time.Duration
	skip    bool // read the reply but leave it out of the transcript (CLIENT ID, HELLO)
}

func do(conn int, args ...string) bstep { return bstep{conn: conn, args: args} }
func bg(conn, blocked int, args ...string) bstep {
	return bstep{conn: conn, args: args, async: true, blocked: blocked}
}
func rd(conn int) bstep { return bstep{conn: conn, read: true} }

var blockScripts = map[string][]bstep{
	"fifo": {
		bg(1, 1, "BLPOP", "k", "0"),
		bg(2, 2, "BLPOP", "k", "0"),
		bg(3, 3, "BRPOP", "k", "0"),
		do(0, "RPUSH", "k", "a", "b", "c", "d"),
		rd(1), rd(2), rd(3),
		do(0, "LRANGE", "k", "0", "-1"),
	},
	"one push serves the first waiter only": {
		bg(1, 1, "BLPOP", "k", "0"),
		bg(2, 2, "BLPOP", "k", "0"),
		do(0, "LPUSH", "k", "a"),
		rd(1),
		do(0, "LPUSH", "k", "b", "c"),
		rd(2),
		do(0, "LRANGE", "k", "0", "-1"),
	},
	"several keys": {
		bg(1, 1, "BLPOP", "k1", "k2", "0"),
		do(0, "RPUSH", "k2", "v"),
		rd(1),
		bg(1, 1, "BRPOP", "k1", "k2", "0"),
		do(0, "RPUSH", "k1", "x", "y"),
		rd(1),
		do(0, "LRANGE", "k1", "0", "-1"),
	},
	"blmove chain": {
		bg(1, 1, "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"),
		bg(2, 2, "BLPOP", "dst", "0"),
		do(0, "RPUSH", "src", "x", "y"),
		rd(1), rd(2),
		do(0, "LRANGE", "src", "0", "-1"),
		do(0, "EXISTS", "dst"),
		bg(1, 1, "BRPOPLPUSH", "q", "q", "0"),
		do(0, "RPUSH", "q", "a"),
		rd(1),
		do(0, "LRANGE", "q", "0", "-1"),
	},
	"blmpop": {
		bg(1, 1, "BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2"),
		do(0, "RPUSH", "b", "1", "2", "3"),
		rd(1),
		do(0, "LRANGE", "b", "0", "-1"),
		bg(1, 1, "BLMPOP", "0", "1", "c", "LEFT"),
		do(0, "RPUSH", "c", "1", "2"),
		rd(1),
	},
	"timeouts": {
		do(1, "BLPOP", "nokey", "0.05"),
		do(1, "BRPOP", "nokey", "nokey2", "0.05"),
		do(1, "BLMOVE", "nokey", "x", "LEFT", "LEFT", "0.05"),
		do(1, "BRPOPLPUSH", "nokey", "x", "0.05"),
		do(1, "BLMPOP", "0.05", "1", "nokey", "LEFT"),
		bstep{conn: 1, args: []string{"HELLO", "3"}, skip: true},
		do(1, "BLPOP", "nokey", "0.05"),
		do(1, "BLMOVE", "nokey", "x", "LEFT", "LEFT", "0.05"),
		do(1, "BLMPOP", "0.05", "1", "nokey", "LEFT", "COUNT", "3"),
	},
	"another type while blocked": {
		bg(1, 1, "BLPOP", "k", "0"),
		do(0, "SET", "k", "str"),
		bstep{conn: 0, sleep: 50 * time.Millisecond},
		do(0, "DEL", "k"),
		do(0, "RPUSH", "k", "v"),
		rd(1),
		bg(1, 1, "BLMOVE", "src", "str", "LEFT", "LEFT", "0"),
		do(0, "SET", "str", "x"),
		do(0, "RPUSH", "src", "v"),
		rd(1),
		do(0, "LRANGE", "src", "0", "-1"),
	},
	"pusher's next command sees the list after serving": {
		bg(1, 1, "BLPOP", "k", "0"),
		bstep{conn: 0, args: []string{"RPUSH", "k", "x"}, async: true},
		bstep{conn: 0, args: []string{"LPOP", "k"}, async: true},
		rd(0), rd(0), rd(1),
	},
	"multi answers at once": {
		do(0, "MULTI"),
		do(0, "BLPOP", "nokey", "0"),
		do(0, "BLMOVE", "nokey", "x", "LEFT", "LEFT", "0"),
		do(0, "BRPOPLPUSH", "nokey", "x", "0"),
		do(0, "BLMPOP", "0", "1", "nokey", "LEFT"),
		do(0, "EXEC"),
	},
	"client unblock": {
		bstep{conn: 1, args: []string{"CLIENT", "ID"}, skip: true},
		bg(1, 1, "BLPOP", "k", "0"),
		do(0, "CLIENT", "UNBLOCK", "$ID1"),
		rd(1),
		bg(1, 1, "BLMOVE", "k", "d", "LEFT", "LEFT", "0"),
		do(0, "CLIENT", "UNBLOCK", "$ID1", "ERROR"),
		rd(1),
		do(0, "RPUSH", "k", "still-here"),
		do(0, "LRANGE", "k", "0", "-1"),
	},
}

func TestListsBlocking(t *testing.T) {
	needServers(t)
	for name, script := range blockScripts {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			rt, err := runBlockScript(redisAddr, "redis", script)
			if err != nil {
				t.Fatal(err)
			}
			lt, err := runBlockScript(lightAddr, "lightcone", script)
			if err != nil {
				t.Fatal(err)
			}
			compareTranscripts(t, rt, lt)
		})
	}
}

// compareTranscripts compares redis-server's and Lightcone's replies to one
// blocking script, reply by reply, and returns how many it compared.
func compareTranscripts(t *testing.T, rt, lt []transcriptEntry) int {
	t.Helper()
	if len(rt) != len(lt) {
		t.Fatalf("transcripts differ in length: redis %d, lightcone %d", len(rt), len(lt))
	}
	for i := range rt {
		if !Equal(rt[i].v, lt[i].v) {
			t.Errorf("reply %d (%s):\n%s", i, rt[i].what, describe(rt[i].v, lt[i].v))
		}
	}
	return len(rt)
}

type transcriptEntry struct {
	what string
	v    resp.Value
}

func runBlockScript(addr, name string, script []bstep) ([]transcriptEntry, error) {
	var conns [4]*Client
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range conns {
		c, err := Dial(name, addr)
		if err != nil {
			return nil, err
		}
		conns[i] = c
	}
	if _, err := conns[0].Do("FLUSHALL"); err != nil {
		return nil, err
	}
	ids := map[string]string{}
	pending := make([][]string, len(conns)) // commands sent, replies unread
	var out []transcriptEntry
	for _, st := range script {
		c := conns[st.conn]
		switch {
		case st.sleep > 0:
			time.Sleep(st.sleep)
		case st.read:
			if len(pending[st.conn]) == 0 {
				return nil, fmt.Errorf("script reads conn %d with nothing pending", st.conn)
			}
			v, err := c.Read()
			if err != nil {
				return nil, err
			}
			out = append(out, transcriptEntry{strings.Join(pending[st.conn][0:1], " "), v})
			pending[st.conn] = pending[st.conn][1:]
		default:
			args := make([]string, len(st.args))
			for i, a := range st.args {
				if id, ok := ids[a]; ok {
					a = id
				}
				args[i] = a
			}
			c.Send(args...)
			if err := c.Flush(); err != nil {
				return nil, err
			}
			if st.async {
				pending[st.conn] = append(pending[st.conn], strings.Join(args, " "))
				if st.blocked > 0 {
					if err := waitBlockedClients(conns[0], st.blocked); err != nil {
						return nil, err
					}
				}
				continue
			}
			v, err := c.Read()
			if err != nil {
				return nil, err
			}
			if st.skip {
				if v.Kind == resp.KindInt {
					ids[fmt.Sprintf("$ID%d", st.conn)] = fmt.Sprint(v.Int)
				}
				continue
			}
			out = append(out, transcriptEntry{strings.Join(args, " "), v})
		}
	}
	return out, nil
}

// waitBlockedClients polls INFO clients until blocked_clients is n.
func waitBlockedClients(c *Client, n int) error {
	want := fmt.Sprintf("blocked_clients:%d\r", n)
	for i := 0; i < 500; i++ {
		v, err := c.Do("INFO", "clients")
		if err != nil {
			return err
		}
		if strings.Contains(string(v.Str), want) {
			return nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return fmt.Errorf("%s: blocked_clients never reached %d", c.Name, n)
}
