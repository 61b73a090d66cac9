package server

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/resp"
)

// pairs flattens a CONFIG GET reply (RESP2 array or RESP3 map) into a map,
// checking that names are unique.
func configPairs(t *testing.T, v resp.Value) map[string]string {
	t.Helper()
	if v.Kind != resp.KindArray && v.Kind != resp.KindMap || len(v.Elems)%2 != 0 {
		t.Fatalf("CONFIG GET reply: %v", v)
	}
	out := map[string]string{}
	for i := 0; i < len(v.Elems); i += 2 {
		k := string(v.Elems[i].Str)
		if _, dup := out[k]; dup {
			t.Errorf("duplicate %q", k)
		}
		out[k] = string(v.Elems[i+1].Str)
	}
	return out
}

func TestConfigGet(t *testing.T) {
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	got := configPairs(t, c.do("CONFIG", "GET", "databases"))
	if len(got) != 1 || got["databases"] != "16" {
		t.Errorf("databases: %v", got)
	}
	// an exact name is echoed as given; patterns match without case
	got = configPairs(t, c.do("CONFIG", "GET", "MAXCLIENTS", "time*", "maxclients", "*max*"))
	want := map[string]string{"MAXCLIENTS": "10000", "timeout": "0", "proto-max-bulk-len": "536870912"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if _, ok := got["maxclients"]; ok {
		t.Errorf("maxclients reported twice: %v", got)
	}
	if got := configPairs(t, c.do("CONFIG", "GET", "nosuch")); len(got) != 0 {
		t.Errorf("nosuch: %v", got)
	}
	all := configPairs(t, c.do("CONFIG", "GET", "*"))
	if len(all) != len(Params) || all["save"] != "3600 1 300 100 60 10000" || all["appendonly"] != "yes" {
		t.Errorf("CONFIG GET *: %d of %d: %v", len(all), len(Params), all)
	}
	c.want(kErr, "ERR wrong number of arguments for 'config|get' command", "CONFIG", "GET")
	c.do("HELLO", "3")
	v := c.do("CONFIG", "GET", "timeout", "hz")
	if v.Kind != resp.KindMap || len(v.Elems) != 4 {
		t.Errorf("RESP3 CONFIG GET: %v", v)
	}
}

func TestConfigSet(t *testing.T) {
	s, addr := adminTestServer(t)
	c := dialTest(t, addr)
	failed := func(arg, msg string) string {
		return "ERR CONFIG SET failed (possibly related to argument '" + arg + "') - " + msg
	}
	c.want(kSimple, "OK", "CONFIG", "SET", "timeout", "100", "MAXCLIENTS", "500")
	if s.Settings.Get("timeout") != "100" || s.Settings.Get("maxclients") != "500" {
		t.Errorf("not set: %v %v", s.Settings.Get("timeout"), s.Settings.Get("maxclients"))
	}
	for _, tc := range []struct {
		err  string
		args []string
	}{
		{"ERR Unknown option or number of arguments for CONFIG SET - 'foo'", []string{"foo", "bar"}},
		{"ERR Unknown option or number of arguments for CONFIG SET - 'foo'", []string{"timeout", "x", "foo", "1"}},
		{"ERR syntax error", []string{"timeout", "1", "hz"}},
		{failed("timeout", "argument couldn't be parsed into an integer"), []string{"timeout", "abc"}},
		{failed("timeout", "argument must be between 0 and 2147483647 inclusive"), []string{"timeout", "-1"}},
		{failed("databases", "can't set immutable config"), []string{"hz", "10", "databases", "5"}},
		{failed("databases", "can't set immutable config"), []string{"databases", "1", "foo", "1"}},
		{failed("dir", "can't set protected config"), []string{"dir", "/tmp"}},
		{failed("HZ", "duplicate parameter"), []string{"hz", "5", "HZ", "6"}},
		{failed("proto-max-bulk-len", "argument must be a memory value"), []string{"proto-max-bulk-len", "abc"}},
		{failed("appendonly", "argument must be 'yes' or 'no'"), []string{"appendonly", "maybe"}},
		{failed("save", "Invalid save parameters"), []string{"save", "100"}},
		{failed("save", "Invalid save parameters"), []string{"save", "0 0"}},
		{failed("appendfsync", "argument(s) must be one of the following: everysec, always, no"), []string{"appendfsync", "maybe"}},
		// a bad second value leaves the first one unchanged
		{failed("hz", "argument couldn't be parsed into an integer"), []string{"timeout", "7", "hz", "y"}},
	} {
		c.want(kErr, tc.err, append([]string{"CONFIG", "SET"}, tc.args...)...)
	}
	if s.Settings.Get("timeout") != "100" {
		t.Errorf("timeout changed by a failed CONFIG SET: %s", s.Settings.Get("timeout"))
	}
	c.want(kSimple, "OK", "CONFIG", "SET", "appendonly", "no", "save", "")
	c.want(kErr, "ERR wrong number of arguments for 'config|set' command", "CONFIG", "SET", "timeout")

	// loglevel drives Settings.Level
	c.want(kSimple, "OK", "CONFIG", "SET", "loglevel", "warning")
	if s.Settings.Level.Level() != slog.LevelWarn {
		t.Errorf("level %v after loglevel warning", s.Settings.Level.Level())
	}

	// requirepass applies to new connections
	c.want(kSimple, "OK", "CONFIG", "SET", "requirepass", "sekret")
	d := dialTest(t, addr)
	d.want(kErr, "NOAUTH Authentication required.", "GET", "x")
	d.want(kSimple, "OK", "AUTH", "sekret")
	c.want(kSimple, "OK", "CONFIG", "SET", "requirepass", "")

	// proto-max-bulk-len applies to the connections already open
	c.want(kSimple, "OK", "CONFIG", "SET", "proto-max-bulk-len", "1mb")
	d.conn.Write([]byte("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$2097152\r\n"))
	if v := d.read(); v.Kind != kErr || !strings.Contains(string(v.Str), "Protocol error: invalid bulk length") {
		t.Errorf("2 MB bulk after proto-max-bulk-len 1mb: %v", v)
	}
	c.want(kSimple, "OK", "CONFIG", "SET", "proto-max-bulk-len", "512mb")

	if h := c.do("CONFIG", "HELP"); len(h.Elems) != 11 || string(h.Elems[1].Str) != "GET <pattern>" {
		t.Errorf("CONFIG HELP: %v", h)
	}
}

func TestConfigSetPort(t *testing.T) {
	s, addr := adminTestServer(t)
	c := dialTest(t, addr)
	newPort := strconv.Itoa(freeTestPort(t))
	c.want(kSimple, "OK", "CONFIG", "SET", "port", newPort)
	d := dialTest(t, "127.0.0.1:"+newPort)
	d.want(kSimple, "PONG", "PING")
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Error("old port still listening")
	}
	c.want(kSimple, "PONG", "PING") // existing connections stay
	// a port in use: Redis' error, and the old port keeps working
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	c.want(kErr, "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port",
		"CONFIG", "SET", "port", busyPort)
	if s.Settings.Get("port") != newPort {
		t.Errorf("port after failed change: %s", s.Settings.Get("port"))
	}
	dialTest(t, "127.0.0.1:"+newPort).want(kSimple, "PONG", "PING")
	c.want(kErr, "ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.",
		"CONFIG", "SET", "bind", "192.0.2.1")
	dialTest(t, "127.0.0.1:"+newPort).want(kSimple, "PONG", "PING")
	c.want(kSimple, "OK", "CONFIG", "SET", "port", newPort) // unchanged: no re-listen
}

func TestConfigResetStatAndRewrite(t *testing.T) {
	s, addr := adminTestServer(t)
	c := dialTest(t, addr)
	c.do("SET", "a", "1")
	c.do("GET", "a")
	c.do("NOSUCHCMD")
	if info := c.str("INFO", "commandstats"); !strings.Contains(info, "cmdstat_get:calls=1,") {
		t.Errorf("commandstats before reset: %q", info)
	}
	c.want(kSimple, "OK", "CONFIG", "RESETSTAT")
	info := c.str("INFO", "commandstats", "errorstats", "stats")
	if strings.Contains(info, "cmdstat_get:") || strings.Contains(info, "errorstat_") ||
		!strings.Contains(info, "total_error_replies:0\r\n") || !strings.Contains(info, "keyspace_hits:0\r\n") {
		t.Errorf("stats after reset: %q", info)
	}

	c.want(kErr, "ERR The server is running without a config file", "CONFIG", "REWRITE")
	file := filepath.Join(t.TempDir(), "lc.conf")
	os.WriteFile(file, []byte("# my settings\ntimeout 5\nhz 20\ntimeout 6\nport 1234\n"), 0o644)
	s.Settings.File = file
	c.want(kSimple, "OK", "CONFIG", "SET", "timeout", "42", "requirepass", "a b\"c")
	c.want(kSimple, "OK", "CONFIG", "REWRITE")
	c.want(kSimple, "OK", "CONFIG", "SET", "requirepass", "")
	b, _ := os.ReadFile(file)
	text := string(b)
	port := s.Settings.Get("port")
	for _, want := range []string{"# my settings\n", "timeout 42\n", "hz 10\n", "port " + port + "\n", `requirepass "a b\"c"` + "\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("rewritten file lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "timeout") != 1 {
		t.Errorf("duplicate timeout kept:\n%s", text)
	}
	// the file loads back to the same values
	back := NewSettings()
	if err := back.LoadFile(file); err != nil {
		t.Fatal(err)
	}
	if back.Get("requirepass") != "a b\"c" || back.Get("timeout") != "42" || back.Get("bind") != s.Settings.Get("bind") {
		t.Errorf("reloaded: requirepass %q timeout %q bind %q", back.Get("requirepass"), back.Get("timeout"), back.Get("bind"))
	}
}

func TestConfigTimeoutClosesIdleClients(t *testing.T) {
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	idle := dialTest(t, addr)
	idle.want(kSimple, "PONG", "PING")
	c.want(kSimple, "OK", "CONFIG", "SET", "timeout", "1", "hz", "50")
	if !idle.closed() {
		t.Error("idle client not closed after timeout 1")
	}
}
