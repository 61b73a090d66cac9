package server

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

// busyServer starts a server (event loop or goroutine clients) with a short
// busy threshold.
func busyServer(t *testing.T, fn func(t *testing.T, s *Server, addr string)) {
	eachServeMode(t, func(t *testing.T, s *Server, addr string) {
		a := dialTest(t, addr)
		a.want(resp.KindSimple, "OK", "CONFIG", "SET", "busy-reply-threshold", "100")
		fn(t, s, addr)
	})
}

// waitBusy waits until the running script is past the busy threshold.
func waitBusy(t *testing.T, s *Server) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if s.scripting.busy.Load() {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("the script never became busy")
}

// A runaway script is stopped by SCRIPT KILL and the server keeps serving;
// meanwhile other clients get BUSY, and allowed commands still run.
func TestScriptKillRunaway(t *testing.T) {
	busyServer(t, func(t *testing.T, s *Server, addr string) {
		runner, other, third := dialTest(t, addr), dialTest(t, addr), dialTest(t, addr)
		other.want(resp.KindSimple, "OK", "SET", "k", "before")
		runner.send("EVAL", "local n = 0 while true do n = n + 1 end", "0")
		waitBusy(t, s)
		other.want(resp.KindError, errBusyEval, "GET", "k")
		third.want(resp.KindError, errBusyEval, "SET", "k", "x")
		other.want(resp.KindError, errBusyEval, "FUNCTION", "KILL")
		other.want(resp.KindError, errBusyEval, "FUNCTION", "STATS")
		// allowed while busy: MULTI (then the queued command is refused)
		third.want(resp.KindSimple, "OK", "MULTI")
		third.want(resp.KindError, errBusyEval, "GET", "k")
		third.want(resp.KindError, "EXECABORT Transaction discarded because of: "+errBusyEval, "EXEC")
		other.want(resp.KindSimple, "OK", "SCRIPT", "KILL")
		v := runner.read()
		if v.Kind != resp.KindError || !strings.HasPrefix(string(v.Str), "ERR Script killed by user with SCRIPT KILL... script: ") {
			t.Fatalf("killed script replied %v", v)
		}
		other.want(resp.KindBulk, "before", "GET", "k")
		runner.wantInt(1, "EVAL", "return 1", "0")
		other.want(resp.KindError, errNotBusy, "SCRIPT", "KILL")
	})
}

// A script that wrote cannot be killed; it ends on its own and its writes
// stay.
func TestScriptUnkillableAfterWrite(t *testing.T) {
	busyServer(t, func(t *testing.T, s *Server, addr string) {
		runner, other := dialTest(t, addr), dialTest(t, addr)
		runner.send("EVAL", "redis.call('set','w','1') local n = 0 while n < 2e7 do n = n + 1 end return 'done'", "0")
		waitBusy(t, s)
		other.want(resp.KindError, errUnkillable, "SCRIPT", "KILL")
		other.want(resp.KindError, errUnkillable, "FUNCTION", "KILL")
		runner.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
		v, err := runner.r.ReadValue()
		if err != nil || string(v.Str) != "done" {
			t.Fatalf("script reply %v, %v", v, err)
		}
		other.want(resp.KindBulk, "1", "GET", "w")
	})
}

// FUNCTION KILL stops a busy function; SCRIPT KILL refuses to.
func TestFunctionKill(t *testing.T) {
	busyServer(t, func(t *testing.T, s *Server, addr string) {
		runner, other := dialTest(t, addr), dialTest(t, addr)
		runner.want(resp.KindBulk, "spinlib", "FUNCTION", "LOAD", "#!lua name=spinlib\nredis.register_function('spin', function() while true do end end)")
		runner.send("FCALL", "spin", "0")
		waitBusy(t, s)
		other.want(resp.KindError, errBusyFunc, "PING")
		other.want(resp.KindError, errBusyFunc, "SCRIPT", "KILL")
		st := other.do("FUNCTION", "STATS")
		if st.Kind != resp.KindArray || len(st.Elems) != 4 || st.Elems[1].Kind != resp.KindArray || string(st.Elems[1].Elems[1].Str) != "spin" {
			t.Fatalf("FUNCTION STATS while busy = %v", st)
		}
		other.want(resp.KindSimple, "OK", "FUNCTION", "KILL")
		v := runner.read()
		if v.Kind != resp.KindError || !strings.HasPrefix(string(v.Str), "ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.") {
			t.Fatalf("killed function replied %v", v)
		}
		other.want(resp.KindSimple, "PONG", "PING")
	})
}

// A script is atomic: a reader never sees its writes half done.
func TestScriptIsAtomic(t *testing.T) {
	eachServeMode(t, func(t *testing.T, s *Server, addr string) {
		w, r := dialTest(t, addr), dialTest(t, addr)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				w.wantInt(1, "EVAL", "redis.call('incr', KEYS[1]) redis.call('incr', KEYS[2]) return 1", "2", "a", "b")
			}
			close(stop)
		}()
		for done := false; !done; {
			select {
			case <-stop:
				done = true
			default:
			}
			v := r.do("MGET", "a", "b")
			if string(v.Elems[0].Str) != string(v.Elems[1].Str) {
				t.Fatalf("saw half a script: a=%q b=%q", v.Elems[0].Str, v.Elems[1].Str)
			}
		}
		wg.Wait()
		// inside EXEC a script runs on the transaction's gate
		w.want(resp.KindSimple, "OK", "MULTI")
		w.want(resp.KindSimple, "QUEUED", "EVAL", "return redis.call('incr', KEYS[1])", "1", "a")
		if v := w.do("EXEC"); len(v.Elems) != 1 || v.Elems[0].Int != 301 {
			t.Fatalf("EVAL inside EXEC = %v", v)
		}
	})
}

// SHUTDOWN stops a busy script that wrote.
func TestShutdownStopsBusyScript(t *testing.T) {
	busyServer(t, func(t *testing.T, s *Server, addr string) {
		runner := dialTest(t, addr)
		runner.send("EVAL", "redis.call('set','x','1') while true do end", "0")
		waitBusy(t, s)
		done := make(chan struct{})
		go func() { s.Shutdown(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Shutdown did not stop the busy script")
		}
	})
}

// While a busy script runs on an event loop, a helper serves that loop's
// other clients (BUSY replies) and closes the ones that leave. The loop's
// engine stays the script's alone meanwhile: the helper must not give back
// its kept lock or add up its read counters (under the race detector, a
// helper that did would race with the script's reads).
func TestBusyScriptHelperLeavesLoopEngine(t *testing.T) {
	busyServer(t, func(t *testing.T, s *Server, addr string) {
		runner := dialTest(t, addr)
		runner.want(resp.KindSimple, "OK", "SET", "k", "v")
		runner.send("EVAL", "while true do redis.call('get', 'k') end", "0")
		waitBusy(t, s)
		for i := 0; i < 20; i++ {
			c := dialTest(t, addr)
			c.want(resp.KindError, errBusyEval, "GET", "k")
			c.conn.Close()
		}
		other := dialTest(t, addr)
		other.want(resp.KindSimple, "OK", "SCRIPT", "KILL")
		if v := runner.read(); v.Kind != resp.KindError {
			t.Fatalf("killed script replied %v", v)
		}
		other.want(resp.KindBulk, "v", "GET", "k")
	})
}
