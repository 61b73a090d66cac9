package cluster_test

import (
	"strconv"
	"testing"
	"time"
)

// TestWaitCountsPeers: on a 3-node cluster WAIT numreplicas timeout is a
// barrier on the node's own writes: WAIT 2 after a write answers 2, and the
// write is then readable on both peers at once (no polling); with one peer
// killed, WAIT 2 100 answers 1 once the 100 ms have passed, and WAIT 1
// answers 1 without waiting for the timeout.
func TestWaitCountsPeers(t *testing.T) {
	ps := startProcs(t, 3, pass)
	var cs []*client
	for _, p := range ps {
		c, err := dial(p.port)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		cs = append(cs, c)
	}
	var worst time.Duration
	for i := 0; i < 20; i++ {
		k, v := "wait"+strconv.Itoa(i), "v"+strconv.Itoa(i)
		must(t, cs[0], "SET", k, v)
		must(t, cs[0], "RPUSH", k+"list", v)
		start := time.Now()
		if n := must(t, cs[0], "WAIT", "2", "15000"); n != "2" {
			t.Fatalf("write %d: WAIT 2 15000 = %s, want 2", i, n)
		}
		worst = max(worst, time.Since(start))
		for j := 1; j < 3; j++ {
			if got := must(t, cs[j], "GET", k); got != v {
				t.Fatalf("write %d: after WAIT 2 answered 2, GET %s on node %d = %q, want %q", i, k, j, got, v)
			}
			if got := must(t, cs[j], "LRANGE", k+"list", "0", "-1"); got != v {
				t.Fatalf("write %d: after WAIT 2 answered 2, LRANGE on node %d = %q, want %q", i, j, got, v)
			}
		}
	}
	t.Logf("WAIT 2 after a write: slowest %v over 20 writes", worst)
	// inside MULTI it does not block: it answers what is acknowledged now
	must(t, cs[0], "MULTI")
	must(t, cs[0], "WAIT", "5", "0")
	if r := must(t, cs[0], "EXEC"); r != "2" {
		t.Fatalf("MULTI WAIT 5 0 EXEC = %q, want 2", r)
	}

	ps[2].kill()
	must(t, cs[0], "SET", "after-kill", "x")
	start := time.Now()
	if n := must(t, cs[0], "WAIT", "2", "100"); n != "1" {
		t.Fatalf("WAIT 2 100 with a peer down = %s, want 1", n)
	}
	el := time.Since(start)
	t.Logf("WAIT 2 100 with a peer down answered 1 after %v", el)
	if el < 95*time.Millisecond {
		t.Fatalf("WAIT 2 100 answered after %v, before its timeout", el)
	}
	start = time.Now()
	if n := must(t, cs[0], "WAIT", "1", "10000"); n != "1" {
		t.Fatalf("WAIT 1 10000 with a peer down = %s, want 1", n)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("WAIT 1 took %v: it waited for the timeout though one peer has the write", el)
	}
	if got := must(t, cs[1], "GET", "after-kill"); got != "x" {
		t.Fatalf("after WAIT 1 answered 1, GET on the live peer = %q", got)
	}
}
