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

// bstep is one step of a scenario: client c sends args (send), reads its
// pending reply (read), or both (do; "nocompare" without comparing, for
// HELLO); "wait N" waits until N clients are blocked; "sleep MS" sleeps.
type bstep struct {
	op   string // "do", "send", "read", "wait", "sleep"
	c    int
	args []string
	n    int
}

func bdo(c int, args ...string) bstep   { return bstep{op: "do", c: c, args: args} }
func bsend(c int, args ...string) bstep { return bstep{op: "send", c: c, args: args} }
func bread(c int) bstep                 { return bstep{op: "read", c: c} }
func bwait(n int) bstep                 { return bstep{op: "wait", n: n} }
func bsleep(ms int) bstep               { return bstep{op: "sleep", n: ms} }

// bunblock: client 1 runs CLIENT UNBLOCK on client c's id (on each server)
// with the extra arguments.
func bunblock(c int, extra ...string) bstep { return bstep{op: "unblock", c: c, args: extra} }
func bhello3(c int) bstep                   { return bstep{op: "nocompare", c: c, args: []string{"HELLO", "3"}} }

func TestZSetBlocking(t *testing.T) {
	needServers(t)
	scenarios := map[string][]bstep{
		"served by a later ZADD": {
			bsend(0, "BZPOPMIN", "z", "0"), bwait(1),
			bdo(1, "ZADD", "z", "2", "b", "1", "a"),
			bread(0),
			bdo(1, "ZRANGE", "z", "0", "-1", "WITHSCORES"),
		},
		"max, second key": {
			bsend(0, "BZPOPMAX", "x", "y", "0"), bwait(1),
			bdo(1, "ZADD", "y", "1", "a", "5", "e"),
			bread(0),
			bdo(1, "ZRANGE", "y", "0", "-1"),
		},
		"BZMPOP with COUNT": {
			bsend(0, "BZMPOP", "0", "2", "x", "y", "MIN", "COUNT", "2"), bwait(1),
			bdo(1, "ZADD", "y", "3", "c", "1", "a", "2", "b"),
			bread(0),
			bdo(1, "ZRANGE", "y", "0", "-1"),
		},
		"FIFO between two waiters, one ZADD of two members": {
			bsend(0, "BZPOPMIN", "z", "0"), bwait(1),
			bsend(2, "BZPOPMIN", "z", "0"), bwait(2),
			bdo(1, "ZADD", "z", "1", "a", "2", "b", "3", "c"),
			bread(0), bread(2),
			bdo(1, "ZRANGE", "z", "0", "-1"),
		},
		"FIFO, one member: the second keeps waiting": {
			bsend(0, "BZPOPMAX", "z", "0"), bwait(1),
			bsend(2, "BZPOPMAX", "z", "0"), bwait(2),
			bdo(1, "ZADD", "z", "1", "a"),
			bread(0), bwait(1),
			bdo(1, "ZADD", "z", "2", "b"),
			bread(2), bwait(0),
		},
		"timeout": {
			bdo(0, "BZPOPMIN", "z", "0.05"),
			bdo(0, "BZMPOP", "0.05", "1", "z", "MAX"),
			bhello3(0),
			bdo(0, "BZPOPMAX", "z", "0.05"),
			bdo(0, "BZMPOP", "0.05", "1", "z", "MAX"),
		},
		"a string on the key does not wake it": {
			bsend(0, "BZPOPMIN", "z", "0"), bwait(1),
			bdo(1, "SET", "z", "x"),
			bsleep(30), bwait(1),
			bdo(1, "DEL", "z"),
			bdo(1, "ZADD", "z", "7", "q"),
			bread(0),
		},
		"added and removed in one transaction: keeps waiting": {
			bsend(0, "BZPOPMIN", "z", "0"), bwait(1),
			bdo(1, "MULTI"),
			bdo(1, "ZADD", "z", "1", "a"),
			bdo(1, "ZREM", "z", "a"),
			bdo(1, "EXEC"),
			bsleep(30), bwait(1),
			bdo(1, "ZADD", "z", "2", "b"),
			bread(0),
		},
		"inside MULTI a blocking pop does not block": {
			bdo(0, "MULTI"),
			bdo(0, "BZPOPMIN", "z", "0"),
			bdo(0, "BZMPOP", "0", "1", "z", "MIN"),
			bdo(0, "EXEC"),
			bdo(0, "ZADD", "z", "1", "a"),
			bdo(0, "MULTI"),
			bdo(0, "BZPOPMIN", "z", "0"),
			bdo(0, "EXEC"),
		},
		"RESP3 waiter": {
			bhello3(0),
			bsend(0, "BZPOPMAX", "z", "0"), bwait(1),
			bdo(1, "ZADD", "z", "1.5", "a"),
			bread(0),
			bsend(0, "BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"), bwait(1),
			bdo(1, "ZADD", "z", "1", "a", "2", "b"),
			bread(0),
		},
		"CLIENT UNBLOCK": {
			bsend(0, "BZPOPMIN", "z", "0"), bwait(1),
			bunblock(0),
			bread(0), bwait(0),
			bsend(0, "BZMPOP", "0", "1", "z", "MIN"), bwait(1),
			bunblock(0, "ERROR"),
			bread(0), bwait(0),
			bunblock(0),
			bdo(0, "PING"),
		},
		"ZUNIONSTORE and GEOADD wake waiters": {
			bsend(0, "BZPOPMIN", "z", "0"), bwait(1),
			bdo(1, "ZADD", "src", "4", "d"),
			bdo(1, "ZUNIONSTORE", "z", "1", "src"),
			bread(0),
			bsend(0, "BZPOPMAX", "g", "0"), bwait(1),
			bdo(1, "GEOADD", "g", "13.361389", "38.115556", "Palermo"),
			bread(0),
		},
	}
	for name, steps := range scenarios {
		t.Run(name, func(t *testing.T) { runBlockingScenario(t, steps) })
	}
}

func runBlockingScenario(t *testing.T, steps []bstep) {
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
				if err := waitBlockedClients(c, st.n); err != nil {
					t.Fatalf("%s: %v", where, err)
				}
			}
		}
	}
}

// waitBlockedClients polls INFO clients until blocked_clients is n.
func waitBlockedClients(c *Client, n int) error {
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
