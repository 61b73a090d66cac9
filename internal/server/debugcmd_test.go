package server

import (
	"strings"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

const zeroDigest = "0000000000000000000000000000000000000000"

func TestDebugDigest(t *testing.T) {
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	c.want(kSimple, zeroDigest, "DEBUG", "DIGEST")
	c.want(kSimple, "OK", "SET", "a", "1")
	d1 := c.str("DEBUG", "DIGEST")
	if len(d1) != 40 || d1 == zeroDigest || strings.Trim(d1, "0123456789abcdef") != "" {
		t.Fatalf("digest after SET: %q", d1)
	}
	c.want(kSimple, "OK", "SET", "b", "2")
	d2 := c.str("DEBUG", "DIGEST")
	if d2 == d1 {
		t.Error("digest unchanged by a second key")
	}
	v := c.do("DEBUG", "DIGEST-VALUE", "a", "nosuch", "b")
	if len(v.Elems) != 3 || v.Elems[0].Kind != kSimple || len(v.Elems[0].Str) != 40 || string(v.Elems[0].Str) == zeroDigest ||
		string(v.Elems[1].Str) != zeroDigest || string(v.Elems[0].Str) == string(v.Elems[2].Str) {
		t.Errorf("DIGEST-VALUE: %v", v)
	}
	if v := c.do("DEBUG", "DIGEST-VALUE"); v.Kind != resp.KindArray || len(v.Elems) != 0 {
		t.Errorf("DIGEST-VALUE without keys: %v", v)
	}
	c.want(kSimple, "OK", "SET", "a", "changed")
	if c.str("DEBUG", "DIGEST") == d2 {
		t.Error("digest unchanged by an overwrite")
	}
	c.want(kSimple, "OK", "FLUSHALL")
	c.want(kSimple, zeroDigest, "DEBUG", "DIGEST")
}

func TestDebugMisc(t *testing.T) {
	s, addr := adminTestServer(t)
	c := dialTest(t, addr)
	c.want(kErr, "ERR wrong number of arguments for 'debug' command", "DEBUG")
	c.want(kErr, "ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.", "DEBUG", "foo")
	c.want(kErr, "ERR unknown subcommand or wrong number of arguments for 'digest'. Try DEBUG HELP.", "DEBUG", "digest", "x")
	c.want(kErr, "ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP.", "DEBUG", "SLEEP")
	start := time.Now()
	c.want(kSimple, "OK", "DEBUG", "SLEEP", "0.05")
	if time.Since(start) < 50*time.Millisecond {
		t.Error("DEBUG SLEEP 0.05 returned early")
	}
	c.want(kSimple, "OK", "DEBUG", "SLEEP", "x") // strtod: 0
	c.want(kSimple, "OK", "DEBUG", "SET-ACTIVE-EXPIRE", "0")
	if !s.admin.noActiveExpire.Load() {
		t.Error("active expire still on")
	}
	c.want(kSimple, "OK", "DEBUG", "SET-ACTIVE-EXPIRE", "1")
	if s.admin.noActiveExpire.Load() {
		t.Error("active expire still off")
	}
	c.want(kErr, "CUSTOM my error", "DEBUG", "ERROR", "CUSTOM my error")
	c.want(kSimple, "OK", "DEBUG", "LOG", "hello")
	c.want(kBulk, "Hello World", "DEBUG", "PROTOCOL", "string")
	c.wantInt(1, "DEBUG", "PROTOCOL", "true")
	c.want(kErr, "ERR RESP2 is not supported by this command", "DEBUG", "PROTOCOL", "push")
	c.do("HELLO", "3")
	if v := c.do("DEBUG", "PROTOCOL", "map"); v.Kind != resp.KindMap || len(v.Elems) != 6 || v.Elems[3].Kind != resp.KindBool {
		t.Errorf("PROTOCOL map: %v", v)
	}
	if v := c.do("DEBUG", "PROTOCOL", "attrib"); string(v.Str) != "Some real reply following the attribute" {
		t.Errorf("PROTOCOL attrib: %v", v)
	}
	if v := c.do("DEBUG", "PROTOCOL", "double"); v.Kind != resp.KindDouble || v.Float != 3.141 {
		t.Errorf("PROTOCOL double: %v", v)
	}
	if h := c.do("DEBUG", "HELP"); len(h.Elems) < 10 {
		t.Errorf("DEBUG HELP: %v", h)
	}
}

func TestDebugActiveExpireSwitch(t *testing.T) {
	s, addr := adminTestServer(t, "hz", "100")
	c := dialTest(t, addr)
	c.want(kSimple, "OK", "DEBUG", "SET-ACTIVE-EXPIRE", "0")
	c.want(kSimple, "OK", "SET", "k", "v", "PX", "1")
	time.Sleep(100 * time.Millisecond) // ten cron cycles at hz 100
	if n := s.Eng.DBSize(0); n != 1 {
		t.Fatalf("key reclaimed with active expiry off: dbsize %d", n)
	}
	c.want(kSimple, "OK", "DEBUG", "SET-ACTIVE-EXPIRE", "1")
	for deadline := time.Now().Add(5 * time.Second); s.Eng.DBSize(0) != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("expired key not reclaimed with active expiry on")
		}
	}
}

func TestDebugNotAllowed(t *testing.T) {
	_, addr := adminTestServer(t, "enable-debug-command", "no")
	c := dialTest(t, addr)
	c.want(kErr, debugNotAllowed, "DEBUG", "DIGEST")
	c.want(kErr, "ERR wrong number of arguments for 'debug' command", "DEBUG")
}

func TestShutdown(t *testing.T) {
	s, addr := adminTestServer(t)
	c := dialTest(t, addr)
	c.want(kErr, "ERR syntax error", "SHUTDOWN", "foo")
	c.want(kErr, "ERR syntax error", "SHUTDOWN", "NOSAVE", "SAVE")
	c.want(kErr, "ERR syntax error", "SHUTDOWN", "ABORT", "NOW")
	c.want(kErr, "ERR No shutdown in progress.", "SHUTDOWN", "ABORT")
	other := dialTest(t, addr)
	c.send("SHUTDOWN", "NOSAVE", "NOW")
	if !c.closed() || !other.closed() {
		t.Fatal("connections still open after SHUTDOWN")
	}
	select {
	case <-s.stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop")
	}
}
