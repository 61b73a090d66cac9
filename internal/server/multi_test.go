package server

import (
	"sync"
	"testing"

	"github.com/lightconedb/lightcone/internal/resp"
)

// A reader never sees half of a transaction: EXEC increments two keys, a
// reader on another connection always finds them equal.
func TestExecIsAtomic(t *testing.T) {
	eachServeMode(t, func(t *testing.T, s *Server, addr string) {
		w, r := dialTest(t, addr), dialTest(t, addr)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				w.send("MULTI")
				w.send("INCR", "a")
				w.send("INCR", "b")
				w.send("EXEC")
				for j := 0; j < 4; j++ {
					w.read()
				}
			}
			close(stop)
		}()
		checks := 0
		for done := false; !done; {
			select {
			case <-stop:
				done = true
			default:
			}
			v := r.do("MGET", "a", "b")
			if string(v.Elems[0].Str) != string(v.Elems[1].Str) {
				t.Fatalf("saw half a transaction: a=%q b=%q", v.Elems[0].Str, v.Elems[1].Str)
			}
			checks++
		}
		wg.Wait()
		if v := r.do("MGET", "a", "b"); string(v.Elems[0].Str) != "300" || string(v.Elems[1].Str) != "300" {
			t.Fatalf("final a, b = %v", v)
		}
	})
}

// WATCH sees another client's write.
func TestWatchOtherClient(t *testing.T) {
	eachServeMode(t, func(t *testing.T, s *Server, addr string) {
		a, b := dialTest(t, addr), dialTest(t, addr)
		a.want(resp.KindSimple, "OK", "WATCH", "k")
		b.want(resp.KindSimple, "OK", "SET", "k", "1")
		a.want(resp.KindSimple, "OK", "MULTI")
		a.want(resp.KindSimple, "QUEUED", "SET", "k", "2")
		if v := a.do("EXEC"); !v.Null {
			t.Fatalf("EXEC after a concurrent write = %v, want null", v)
		}
		a.want(resp.KindBulk, "1", "GET", "k")
		// blocking commands answer at once inside a transaction
		a.want(resp.KindSimple, "OK", "MULTI")
		a.want(resp.KindSimple, "QUEUED", "x-take", "nokey", "0")
		if v := a.do("EXEC"); len(v.Elems) != 1 || !v.Elems[0].Null {
			t.Fatalf("blocking command in EXEC = %v", v)
		}
	})
}
