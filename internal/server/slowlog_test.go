package server

import (
	"regexp"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/resp"
)

func TestSlowlog(t *testing.T) {
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	c.wantInt(0, "SLOWLOG", "LEN")
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "slowlog-log-slower-than", "0")
	c.want(resp.KindSimple, "OK", "CLIENT", "SETNAME", "me")
	long := strings.Repeat("x", 200)
	args := []string{"DEL"}
	for i := 0; i < 40; i++ {
		args = append(args, "k")
	}
	c.do(args...)
	c.do("SET", "k", long)
	v := c.do("SLOWLOG", "GET", "2")
	if len(v.Elems) != 2 {
		t.Fatalf("SLOWLOG GET 2 = %v", v)
	}
	set := v.Elems[0].Elems
	if len(set) != 6 || string(set[3].Elems[0].Str) != "SET" || string(set[5].Str) != "me" {
		t.Fatalf("newest entry = %v", v.Elems[0])
	}
	if got := string(set[3].Elems[2].Str); got != strings.Repeat("x", 128)+"... (72 more bytes)" {
		t.Fatalf("long argument logged as %q", got)
	}
	del := v.Elems[1].Elems[3].Elems
	if len(del) != 32 || string(del[31].Str) != "... (10 more arguments)" {
		t.Fatalf("41 arguments logged as %d, last %q", len(del), del[len(del)-1].Str)
	}
	if v.Elems[0].Elems[0].Int <= v.Elems[1].Elems[0].Int {
		t.Fatal("ids do not grow")
	}
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "slowlog-max-len", "3")
	c.wantInt(3, "SLOWLOG", "LEN")
	c.want(resp.KindSimple, "OK", "SLOWLOG", "RESET")
	if n := c.do("SLOWLOG", "LEN").Int; n > 1 { // RESET itself may be logged afterwards
		t.Fatalf("SLOWLOG LEN after RESET = %d", n)
	}
	c.want(resp.KindError, "ERR count should be greater than or equal to -1", "SLOWLOG", "GET", "-2")
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "slowlog-log-slower-than", "-1")
	c.want(resp.KindSimple, "OK", "SLOWLOG", "RESET")
	c.do("PING")
	c.wantInt(0, "SLOWLOG", "LEN")
}

func TestLatencystats(t *testing.T) {
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	for i := 0; i < 10; i++ {
		c.do("SET", "k", "v")
	}
	info := string(c.do("INFO", "latencystats").Str)
	if !regexp.MustCompile(`latency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}`).MatchString(info) {
		t.Fatalf("INFO latencystats:\n%s", info)
	}
	h := c.do("LATENCY", "HISTOGRAM", "set", "nosuch")
	if len(h.Elems) != 2 || string(h.Elems[0].Str) != "set" {
		t.Fatalf("LATENCY HISTOGRAM set = %v", h)
	}
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "latency-monitor-threshold", "1")
	c.do("DEBUG", "SLEEP", "0.01")
	if v := c.do("LATENCY", "LATEST"); len(v.Elems) != 1 || string(v.Elems[0].Elems[0].Str) != "command" {
		t.Fatalf("LATENCY LATEST = %v", v)
	}
	if v := c.do("LATENCY", "HISTORY", "command"); len(v.Elems) != 1 || v.Elems[0].Elems[1].Int < 10 {
		t.Fatalf("LATENCY HISTORY command = %v", v)
	}
	c.wantInt(1, "LATENCY", "RESET")
	c.wantInt(0, "LATENCY", "RESET")
}
