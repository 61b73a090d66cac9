package server

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/resp"
)

// pipeline sends commands in one write, so that each runs while the lock
// kept by the one before may still be held, and reads every reply.
func (c *tconn) pipeline(cmds ...[]string) []resp.Value {
	c.t.Helper()
	c.write(cmds)
	out := make([]resp.Value, len(cmds))
	for i := range cmds {
		out[i] = c.read()
	}
	return out
}

// write sends commands in one write, without reading replies.
func (c *tconn) write(cmds [][]string) {
	c.t.Helper()
	var b []byte
	for _, args := range cmds {
		b = fmt.Appendf(b, "*%d\r\n", len(args))
		for _, a := range args {
			b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// sameShard returns a key named after prefix whose shard is key's.
func sameShard(key, prefix string) string {
	for i := 0; ; i++ {
		k := prefix + strconv.Itoa(i)
		if keyspace.ShardIndex([]byte(k)) == keyspace.ShardIndex([]byte(key)) {
			return k
		}
	}
}

// An event loop keeps a hot key's shard lock from one plain command to the
// next (engine.Engine.Loop). Every other kind of command that follows in the
// same pipeline, on the same shard, must still run — none may wait for the
// lock its own loop keeps — and clients on the other loop, blocked clients
// and transactions on the same shard must go on.
func TestKeptLockNeverBlocksWhatFollows(t *testing.T) {
	_, addr := pushServer(t, 2)
	list := sameShard("h", "list")
	other := sameShard("h", "o")

	blocked := dialTest(t, addr)
	blocked.send("BLPOP", list, "0")

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a client on the other loop hammers the same key
		defer wg.Done()
		c := dialTest(t, addr)
		for r := 0; r < 50; r++ {
			var cmds [][]string
			for i := 0; i < 16; i++ {
				cmds = append(cmds, []string{"HINCRBY", "h", "n", "1"})
			}
			for _, v := range c.pipeline(cmds...) {
				if v.Kind != resp.KindInt {
					t.Errorf("HINCRBY: %v", v)
					return
				}
			}
		}
	}()

	a := dialTest(t, addr)
	hset := func(f string) []string { return []string{"HSET", "h", f, "v"} }
	cmds := [][]string{
		hset("f1"), hset("f2"), {"OBJECT", "ENCODING", "h"},
		hset("f3"), {"DBSIZE"},
		hset("f4"), {"KEYS", "h"},
		hset("f5"), {"SCAN", "0", "COUNT", "1000"},
		hset("f6"), {"EVAL", "return redis.call('HGET', KEYS[1], 'f1')", "1", "h"},
		hset("f7"), {"MULTI"}, hset("m"), {"SET", other, "x"}, {"EXEC"},
		hset("f8"), {"WATCH", "h"}, {"UNWATCH"},
		hset("f9"), {"LPUSH", list, "wake"}, hset("f10"),
		hset("f11"), {"RENAME", other, other + "b"}, {"RENAME", other + "b", other},
		hset("f12"), {"SWAPDB", "0", "1"}, {"SWAPDB", "0", "1"},
		hset("f13"), {"DEBUG", "DIGEST-VALUE", "h"},
		hset("f14"), {"RANDOMKEY"},
		hset("f15"), {"HLEN", "h"},
	}
	replies := a.pipeline(cmds...)
	for i, v := range replies {
		if v.Kind == resp.KindError {
			t.Errorf("%v: %s", cmds[i], v.Str)
		}
	}
	if got := blocked.read(); got.Kind != resp.KindArray || len(got.Elems) != 2 || string(got.Elems[1].Str) != "wake" {
		t.Errorf("BLPOP woken by a pipelined LPUSH: %v", got)
	}
	wg.Wait()
	if v := a.do("HLEN", "h"); v.Int != 17 { // f1..f15, m, n
		t.Errorf("HLEN h = %v, want 17", v)
	}
	if v := a.str("HGET", "h", "n"); v != "800" {
		t.Errorf("HGET h n = %q, want 800 (50 pipelines of 16 HINCRBY)", v)
	}
}

// A loop keeps its gate slot and its kept lock from one ready client to
// the next in a round (roundLock). Clients of one loop whose batches arrive
// together must all be served: a batch on the kept key warms its members
// under the lock the loop holds (a prefetch that took it again would hang),
// and a batch on another shard, a script, a transaction and a blocking
// command with a timeout, served in the same rounds, each give it back
// first.
func TestRoundLockAcrossClients(t *testing.T) {
	_, addr := pushServer(t, 1)
	const clients, rounds, batch = 4, 150, 16
	cs := make([]*tconn, clients)
	for i := range cs {
		cs[i] = dialTest(t, addr)
	}
	mixed := dialTest(t, addr)
	sleeper := dialTest(t, addr)
	other := "z" // some other shard than "h"
	for i := 0; keyspace.ShardIndex([]byte(other)) == keyspace.ShardIndex([]byte("h")); i++ {
		other = "z" + strconv.Itoa(i)
	}
	near := sameShard("h", "l")
	for r := 0; r < rounds; r++ {
		// the loop sleeps while every client's batch arrives, so that
		// they are served in one round, one after the other
		sleeper.send("DEBUG", "SLEEP", "0.003")
		for i, c := range cs {
			var cmds [][]string
			for j := 0; j < batch; j++ { // each batch ends keeping h's lock
				cmds = append(cmds, []string{"HSET", "h", fmt.Sprintf("f%d-%d", i, (r*batch+j)%500), "v"})
			}
			c.write(cmds)
		}
		var mix [][]string
		switch r % 4 {
		case 0:
			mix = [][]string{{"ZADD", other, strconv.Itoa(r), "m"}, {"HLEN", "h"}}
		case 1:
			mix = [][]string{{"EVAL", "return redis.call('HLEN', KEYS[1])", "1", "h"}}
		case 2:
			mix = [][]string{{"MULTI"}, {"HGET", "h", "f0-0"}, {"EXEC"}}
		case 3:
			mix = [][]string{{"BLPOP", near, "0.01"}}
		}
		mixed.write(mix)
		sleeper.read()
		for i, c := range cs {
			for j := 0; j < batch; j++ {
				if v := c.read(); v.Kind != resp.KindInt {
					t.Fatalf("round %d client %d HSET %d: %v", r, i, j, v)
				}
			}
		}
		for _, args := range mix {
			if v := mixed.read(); v.Kind == resp.KindError {
				t.Fatalf("round %d %v: %s", r, args, v.Str)
			}
		}
	}
	if n := cs[0].do("HLEN", "h"); n.Int != clients*500 {
		t.Fatalf("HLEN h = %v, want %d", n, clients*500)
	}
}
