package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/resp"
)

// x-take key [key ...] timeout: a test-only blocking command that takes
// (GETDEL) the first existing string among keys, or waits for one.
func xTake(c *commands.Ctx) {
	keys := c.Args[1 : len(c.Args)-1]
	deadline, ok := c.TimeoutArg(len(c.Args)-1, true)
	if !ok {
		return
	}
	take := func(c *commands.Ctx) bool {
		tx := c.Eng.Begin(c.DB, keys...)
		defer tx.End()
		for _, k := range keys {
			if e := tx.Get(c.DB, k); e != nil {
				c.W.ArrayLen(2)
				c.W.Bulk(k)
				c.W.Bulk(e.Str)
				tx.Delete(c.DB, k)
				return true
			}
		}
		return false
	}
	if take(c) {
		return
	}
	if c.Blocker == nil {
		c.W.NullArray()
		return
	}
	c.Blocker.Block(c, keys, deadline, take, func(c *commands.Ctx) { c.W.NullArray() })
}

func blockingServer(t *testing.T, goroutines bool) (*Server, string) {
	if goroutines {
		t.Setenv("LIGHTCONE_NO_EVENT_LOOP", "1")
	}
	s, addr := adminTestServer(t)
	s.Table.Register(&commands.Command{Name: "x-take", Arity: -3, Flags: []string{"write"}, FirstKey: 1, LastKey: -2, Step: 1, Handler: xTake})
	return s, addr
}

func eachServeMode(t *testing.T, fn func(t *testing.T, s *Server, addr string)) {
	for _, mode := range []string{"eventloop", "goroutine"} {
		t.Run(mode, func(t *testing.T) {
			s, addr := blockingServer(t, mode == "goroutine")
			fn(t, s, addr)
		})
	}
}

func wantPair(t *testing.T, v resp.Value, k, val string) {
	t.Helper()
	if v.Kind != resp.KindArray || len(v.Elems) != 2 || string(v.Elems[0].Str) != k || string(v.Elems[1].Str) != val {
		t.Fatalf("got %v, want [%s %s]", v, k, val)
	}
}

// waitBlocked waits until n clients are blocked.
func waitBlocked(t *testing.T, s *Server, n int64) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if s.blockedClients() == n {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("blocked clients = %d, want %d", s.blockedClients(), n)
}

func TestBlockingWakesInFIFOOrder(t *testing.T) {
	eachServeMode(t, func(t *testing.T, s *Server, addr string) {
		a, b, w := dialTest(t, addr), dialTest(t, addr), dialTest(t, addr)
		a.send("x-take", "k", "0")
		waitBlocked(t, s, 1)
		b.send("x-take", "other", "k", "0")
		waitBlocked(t, s, 2)
		if !strings.Contains(w.str("CLIENT", "LIST"), "flags=b") {
			t.Fatal("CLIENT LIST shows no blocked client")
		}
		w.want(resp.KindSimple, "OK", "SET", "k", "first")
		wantPair(t, a.read(), "k", "first")
		waitBlocked(t, s, 1)
		w.want(resp.KindSimple, "OK", "SET", "k", "second")
		wantPair(t, b.read(), "k", "second")
		waitBlocked(t, s, 0)
		w.wantInt(0, "EXISTS", "k")
		// both connections go on serving
		a.want(resp.KindSimple, "PONG", "PING")
		b.want(resp.KindSimple, "PONG", "PING")
	})
}

func TestBlockingPipelinedInputWaits(t *testing.T) {
	eachServeMode(t, func(t *testing.T, s *Server, addr string) {
		a, w := dialTest(t, addr), dialTest(t, addr)
		a.send("x-take", "k", "0")
		a.send("ECHO", "after")
		waitBlocked(t, s, 1)
		w.want(resp.KindSimple, "OK", "SET", "k", "v")
		wantPair(t, a.read(), "k", "v")
		if v := a.read(); string(v.Str) != "after" {
			t.Fatalf("pipelined reply = %v", v)
		}
	})
}

func TestBlockingTimeoutAndUnblock(t *testing.T) {
	eachServeMode(t, func(t *testing.T, s *Server, addr string) {
		a, w := dialTest(t, addr), dialTest(t, addr)
		start := time.Now()
		if v := a.do("x-take", "k", "0.05"); v.Kind != resp.KindArray || !v.Null {
			t.Fatalf("timeout reply = %v", v)
		}
		if time.Since(start) < 40*time.Millisecond {
			t.Fatal("timed out early")
		}
		id := strconv.FormatInt(a.do("CLIENT", "ID").Int, 10)
		a.send("x-take", "k", "0")
		waitBlocked(t, s, 1)
		w.wantInt(1, "CLIENT", "UNBLOCK", id)
		if v := a.read(); !v.Null {
			t.Fatalf("CLIENT UNBLOCK reply = %v", v)
		}
		w.wantInt(0, "CLIENT", "UNBLOCK", id)
		a.send("x-take", "k", "0")
		waitBlocked(t, s, 1)
		w.wantInt(1, "CLIENT", "UNBLOCK", id, "ERROR")
		if v := a.read(); v.Kind != resp.KindError || string(v.Str) != "UNBLOCKED client unblocked via CLIENT UNBLOCK" {
			t.Fatalf("CLIENT UNBLOCK ERROR reply = %v", v)
		}
		w.want(resp.KindError, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR", "CLIENT", "UNBLOCK", id, "maybe")
		w.want(resp.KindError, "ERR timeout is negative", "x-take", "k", "-1")
		w.want(resp.KindError, "ERR timeout is not a float or out of range", "x-take", "k", "soon")
	})
}

func TestBlockingDisconnectForgetsClient(t *testing.T) {
	eachServeMode(t, func(t *testing.T, s *Server, addr string) {
		a, w := dialTest(t, addr), dialTest(t, addr)
		a.send("x-take", "k", "0")
		waitBlocked(t, s, 1)
		a.conn.Close()
		waitBlocked(t, s, 0)
		w.want(resp.KindSimple, "OK", "SET", "k", "v")
		w.wantInt(1, "EXISTS", "k") // nobody took it
	})
}
