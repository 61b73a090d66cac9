package server

import (
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

func TestClientPause(t *testing.T) {
	eachServeMode(t, func(t *testing.T, s *Server, addr string) {
		a, b := dialTest(t, addr), dialTest(t, addr)
		a.want(resp.KindError, "ERR CLIENT PAUSE mode must be WRITE or ALL", "CLIENT", "PAUSE", "100", "SOME")
		a.want(resp.KindError, "ERR timeout is negative", "CLIENT", "PAUSE", "-1")
		a.want(resp.KindError, "ERR timeout is not an integer or out of range", "CLIENT", "PAUSE", "x")

		a.want(resp.KindSimple, "OK", "CLIENT", "PAUSE", "10000", "WRITE")
		start := time.Now()
		b.want(resp.KindBulk, "", "GET", "k") // reads go on (a null bulk)
		if time.Since(start) > 2*time.Second {
			t.Fatal("a read waited for a WRITE pause")
		}
		b.send("SET", "k", "v")
		b.send("GET", "k") // pipelined behind the postponed write
		time.Sleep(50 * time.Millisecond)
		a.want(resp.KindBulk, "", "GET", "k") // not written yet
		a.want(resp.KindSimple, "OK", "CLIENT", "UNPAUSE")
		if v := b.read(); string(v.Str) != "OK" {
			t.Fatalf("postponed SET = %v", v)
		}
		if v := b.read(); string(v.Str) != "v" {
			t.Fatalf("GET after the postponed SET = %v", v)
		}

		a.want(resp.KindSimple, "OK", "CLIENT", "PAUSE", "200", "ALL")
		start = time.Now()
		b.want(resp.KindSimple, "PONG", "PING")
		if d := time.Since(start); d < 150*time.Millisecond {
			t.Fatalf("PING answered after %v during CLIENT PAUSE ALL", d)
		}
	})
}
