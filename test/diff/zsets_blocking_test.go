package diff

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

// Blocking sorted-set pops (BZPOPMIN, BZPOPMAX, BZMPOP) with several
// clients: each scenario runs on both servers, one connection per client
// role on each, and every reply is compared.

// zbstep is one step of a scenario: client c sends args (send), reads its
// pending reply (read), or both (do; "nocompare" without comparing, for
// HELLO); "wait N" waits until N clients are blocked; "sleep MS" sleeps.
type zbstep struct {
	op   string // "do", "send", "read", "wait", "sleep"
	c    int
	args []string
	n    int
}

func zbdo(c int, args ...string) zbstep   { return zbstep{op: "do", c: c, args: args} }
func zbsend(c int, args ...string) zbstep { return zbstep{op: "send", c: c, args: args} }
func zbread(c int) zbstep                 { return zbstep{op: "read", c: c} }
func zbwait(n int) zbstep                 { return zbstep{op: "wait", n: n} }
func zbsleep(ms int) zbstep               { return zbstep{op: "sleep", n: ms} }

// zbunblock: client 1 runs CLIENT UNBLOCK on client c's id (on each server)
// with the extra arguments.
func zbunblock(c int, extra ...string) zbstep { return zbstep{op: "unblock", c: c, args: extra} }
func zbhello3(c int) zbstep                   { return zbstep{op: "nocompare", c: c, args: []string{"HELLO", "3"}} }

func TestZSetBlocking(t *testing.T) {
	needServers(t)
	scenarios := map[string][]zbstep{
		"served by a later ZADD": {
			zbsend(0, "BZPOPMIN", "z", "0"), zbwait(1),
			zbdo(1, "ZADD", "z", "2", "b", "1", "a"),
			zbread(0),
			zbdo(1, "ZRANGE", "z", "0", "-1", "WITHSCORES"),
		},
		"max, second key": {
			zbsend(0, "BZPOPMAX", "x", "y", "0"), zbwait(1),
			zbdo(1, "ZADD", "y", "1", "a", "5", "e"),
			zbread(0),
			zbdo(1, "ZRANGE", "y", "0", "-1"),
		},
		"BZMPOP with COUNT": {
			zbsend(0, "BZMPOP", "0", "2", "x", "y", "MIN", "COUNT", "2"), zbwait(1),
			zbdo(1, "ZADD", "y", "3", "c", "1", "a", "2", "b"),
			zbread(0),
			zbdo(1, "ZRANGE", "y", "0", "-1"),
		},
		"FIFO between two waiters, one ZADD of two members": {
			zbsend(0, "BZPOPMIN", "z", "0"), zbwait(1),
			zbsend(2, "BZPOPMIN", "z", "0"), zbwait(2),
			zbdo(1, "ZADD", "z", "1", "a", "2", "b", "3", "c"),
			zbread(0), zbread(2),
			zbdo(1, "ZRANGE", "z", "0", "-1"),
		},
		"FIFO, one member: the second keeps waiting": {
			zbsend(0, "BZPOPMAX", "z", "0"), zbwait(1),
			zbsend(2, "BZPOPMAX", "z", "0"), zbwait(2),
			zbdo(1, "ZADD", "z", "1", "a"),
			zbread(0), zbwait(1),
			zbdo(1, "ZADD", "z", "2", "b"),
			zbread(2), zbwait(0),
		},
		"timeout": {
			zbdo(0, "BZPOPMIN", "z", "0.05"),
			zbdo(0, "BZMPOP", "0.05", "1", "z", "MAX"),
			zbhello3(0),
			zbdo(0, "BZPOPMAX", "z", "0.05"),
			zbdo(0, "BZMPOP", "0.05", "1", "z", "MAX"),
		},
		"a string on the key does not wake it": {
			zbsend(0, "BZPOPMIN", "z", "0"), zbwait(1),
			zbdo(1, "SET", "z", "x"),
			zbsleep(30), zbwait(1),
			zbdo(1, "DEL", "z"),
			zbdo(1, "ZADD", "z", "7", "q"),
			zbread(0),
		},
		"added and removed in one transaction: keeps waiting": {
			zbsend(0, "BZPOPMIN", "z", "0"), zbwait(1),
			zbdo(1, "MULTI"),
			zbdo(1, "ZADD", "z", "1", "a"),
			zbdo(1, "ZREM", "z", "a"),
			zbdo(1, "EXEC"),
			zbsleep(30), zbwait(1),
			zbdo(1, "ZADD", "z", "2", "b"),
			zbread(0),
		},
		"inside MULTI a blocking pop does not block": {
			zbdo(0, "MULTI"),
			zbdo(0, "BZPOPMIN", "z", "0"),
			zbdo(0, "BZMPOP", "0", "1", "z", "MIN"),
			zbdo(0, "EXEC"),
			zbdo(0, "ZADD", "z", "1", "a"),
			zbdo(0, "MULTI"),
			zbdo(0, "BZPOPMIN", "z", "0"),
			zbdo(0, "EXEC"),
		},
		"RESP3 waiter": {
			zbhello3(0),
			zbsend(0, "BZPOPMAX", "z", "0"), zbwait(1),
			zbdo(1, "ZADD", "z", "1.5", "a"),
			zbread(0),
			zbsend(0, "BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"), zbwait(1),
			zbdo(1, "ZADD", "z", "1", "a", "2", "b"),
			zbread(0),
		},
		"CLIENT UNBLOCK": {
			zbsend(0, "BZPOPMIN", "z", "0"), zbwait(1),
			zbunblock(0),
			zbread(0), zbwait(0),
			zbsend(0, "BZMPOP", "0", "1", "z", "MIN"), zbwait(1),
			zbunblock(0, "ERROR"),
			zbread(0), zbwait(0),
			zbunblock(0),
			zbdo(0, "PING"),
		},
		"ZUNIONSTORE and GEOADD wake waiters": {
			zbsend(0, "BZPOPMIN", "z", "0"), zbwait(1),
			zbdo(1, "ZADD", "src", "4", "d"),
			zbdo(1, "ZUNIONSTORE", "z", "1", "src"),
			zbread(0),
			zbsend(0, "BZPOPMAX", "g", "0"), zbwait(1),
			zbdo(1, "GEOADD", "g", "13.361389", "38.115556", "Palermo"),
			zbread(0),
		},
	}
	for name, steps := range scenarios {
		t.Run(name, func(t *testing.T) { runZBlockingScenario(t, steps) })
	}
}

func runZBlockingScenario(t *testing.T, steps []zbstep) {
	admin, err := DialPair(redisAddr, lightAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, _, err := admin.Do("FLUSHALL"); err != nil {
		t.Fatal(err)
	}
	var clients [3]*Pair
	for i := range clients {
		if clients[i], err = DialPair(redisAddr, lightAddr); err != nil {
			t.Fatal(err)
		}
		defer clients[i].Close()
	}
	var ids [3][2]string // CLIENT ID of each role on each server
	for i := range clients {
		for j, c := range []*Client{clients[i].Redis, clients[i].Light} {
			v, err := c.Do("CLIENT", "ID")
			if err != nil {
				t.Fatal(err)
			}
			ids[i][j] = fmt.Sprint(v.Int)
		}
	}
	for i, st := range steps {
		where := fmt.Sprintf("step %d (%s %d %s)", i, st.op, st.c, strings.Join(st.args, " "))
		p := clients[st.c]
		switch st.op {
		case "send":
			p.Redis.Send(st.args...)
			p.Light.Send(st.args...)
			if err := p.Redis.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := p.Light.Flush(); err != nil {
				t.Fatal(err)
			}
		case "read":
			rv, err1 := p.Redis.Read()
			lv, err2 := p.Light.Read()
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: %v %v", where, err1, err2)
			}
			if msg := compareReplies(rv, lv, false, false); msg != "" {
				t.Errorf("%s\n%s", where, msg)
			}
		case "do":
			rv, lv, err := p.Do(st.args...)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if msg := compareReplies(rv, lv, false, false); msg != "" {
				t.Errorf("%s\n%s", where, msg)
			}
		case "unblock":
			var replies [2]resp.Value
			for j := range replies {
				id := ids[st.c][j]
				other := []*Client{clients[1].Redis, clients[1].Light}[j]
				v, err := other.Do(append([]string{"CLIENT", "UNBLOCK", id}, st.args...)...)
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				replies[j] = v
			}
			if msg := compareReplies(replies[0], replies[1], false, false); msg != "" {
				t.Errorf("%s\n%s", where, msg)
			}
		case "nocompare":
			if _, _, err := p.Do(st.args...); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
		case "sleep":
			time.Sleep(time.Duration(st.n) * time.Millisecond)
		case "wait":
			for _, c := range []*Client{admin.Redis, admin.Light} {
				if err := zWaitBlockedClients(c, st.n); err != nil {
					t.Fatalf("%s: %v", where, err)
				}
			}
		}
	}
}

// zWaitBlockedClients polls INFO clients until blocked_clients is n.
func zWaitBlockedClients(c *Client, n int) error {
	want := fmt.Sprintf("blocked_clients:%d\r", n)
	var last string
	for i := 0; i < 300; i++ {
		v, err := c.Do("INFO", "clients")
		if err != nil {
			return err
		}
		if v.Kind == resp.KindBulk || v.Kind == resp.KindVerbatim {
			last = string(v.Str)
			if strings.Contains(last, want) {
				return nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("%s: never saw %q in %q", c.Name, want, last)
}
