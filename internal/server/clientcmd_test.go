package server

import (
	"errors"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

// adminTestServer starts a server on a free loopback port with the given
// extra settings (name, value, ...) and stops it when the test ends.
func adminTestServer(t *testing.T, settings ...string) (*Server, string) {
	t.Helper()
	set := NewSettings()
	set.Set("bind", "127.0.0.1")
	set.Set("dir", t.TempDir())
	for i := 0; i+1 < len(settings); i += 2 {
		if err := set.Set(settings[i], settings[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	var s *Server
	for try := 0; ; try++ {
		set.Set("port", strconv.Itoa(freeTestPort(t)))
		var err error
		if s, err = New(set, nil); err != nil {
			t.Fatal(err)
		}
		if err = s.Listen(); err == nil {
			break
		} else if try == 5 {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() { s.Serve(); close(done) }()
	t.Cleanup(func() {
		s.Shutdown()
		<-done
	})
	return s, s.Addrs()[0].String()
}

func freeTestPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// tconn is a test client speaking RESP.
type tconn struct {
	t    *testing.T
	conn net.Conn
	r    *resp.Reader
}

func dialTest(t *testing.T, addr string) *tconn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &tconn{t: t, conn: conn, r: resp.NewReader(conn, 0)}
}

func (c *tconn) send(args ...string) {
	c.t.Helper()
	var b []byte
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *tconn) read() resp.Value {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	v, err := c.r.ReadValue()
	if err != nil {
		c.t.Fatalf("reading reply: %v", err)
	}
	return v
}

// do sends a command and reads its reply.
func (c *tconn) do(args ...string) resp.Value {
	c.t.Helper()
	c.send(args...)
	return c.read()
}

// str is a simple, bulk, verbatim or error reply's text.
func (c *tconn) str(args ...string) string {
	c.t.Helper()
	return string(c.do(args...).Str)
}

// want checks that a command's reply has kind k and text s.
func (c *tconn) want(k resp.Kind, s string, args ...string) {
	c.t.Helper()
	v := c.do(args...)
	if v.Kind != k || string(v.Str) != s {
		c.t.Errorf("%v: got %v, want %c%s", args, v, k, s)
	}
}

func (c *tconn) wantInt(n int64, args ...string) {
	c.t.Helper()
	v := c.do(args...)
	if v.Kind != resp.KindInt || v.Int != n {
		c.t.Errorf("%v: got %v, want :%d", args, v, n)
	}
}

// closed reports whether the server closed the connection (within 5s).
func (c *tconn) closed() bool {
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.r.ReadValue()
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		(err != nil && strings.Contains(err.Error(), "reset"))
}

var clientLineRE = regexp.MustCompile(`^id=(\d+) addr=(\S+) laddr=(\S+) fd=(-?\d+) name=(\S*) age=\d+ idle=\d+ flags=(\S+) db=(\d+) sub=0 psub=0 ssub=0 multi=-1 qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=0 rbs=\d+ rbp=\d+ obl=0 oll=0 omem=0 tot-mem=\d+ events=r cmd=(\S+) user=(\S+) redir=-1 resp=([23])$`)

// clientLines parses a CLIENT LIST reply into its lines' fields.
func clientLines(t *testing.T, text string) [][]string {
	t.Helper()
	if !strings.HasSuffix(text, "\n") && text != "" {
		t.Fatalf("client list does not end with a newline: %q", text)
	}
	var out [][]string
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if l == "" {
			continue
		}
		m := clientLineRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("bad client line %q", l)
		}
		out = append(out, m)
	}
	return out
}

const (
	kSimple = resp.KindSimple
	kErr    = resp.KindError
	kBulk   = resp.KindBulk
)

func TestClientBasics(t *testing.T) {
	_, addr := adminTestServer(t)
	a := dialTest(t, addr)
	id := a.do("CLIENT", "ID")
	if id.Kind != resp.KindInt || id.Int <= 0 {
		t.Fatalf("CLIENT ID: %v", id)
	}
	if v := a.do("CLIENT", "GETNAME"); v.Kind != kBulk || !v.Null {
		t.Errorf("GETNAME without a name: %v", v)
	}
	a.want(kSimple, "OK", "CLIENT", "SETNAME", "worker-1")
	a.want(kBulk, "worker-1", "CLIENT", "GETNAME")
	a.want(kErr, "ERR Client names cannot contain spaces, newlines or special characters.", "CLIENT", "SETNAME", "a b")
	a.want(kErr, "ERR Client names cannot contain spaces, newlines or special characters.", "CLIENT", "SETNAME", "a\nb")
	a.want(kBulk, "worker-1", "CLIENT", "GETNAME")
	a.want(kSimple, "OK", "CLIENT", "SETNAME", "")
	if v := a.do("CLIENT", "GETNAME"); !v.Null {
		t.Errorf("GETNAME after clearing: %v", v)
	}
	a.want(kErr, "ERR wrong number of arguments for 'client|setname' command", "CLIENT", "SETNAME")
	a.want(kErr, "ERR wrong number of arguments for 'client|id' command", "CLIENT", "ID", "x")
	a.want(kErr, "ERR wrong number of arguments for 'client' command", "CLIENT")
	a.want(kErr, "ERR unknown subcommand 'FOO'. Try CLIENT HELP.", "CLIENT", "FOO")
	a.want(kSimple, "OK", "CLIENT", "NO-EVICT", "on")
	a.want(kSimple, "OK", "CLIENT", "NO-TOUCH", "OFF")
	a.want(kErr, "ERR syntax error", "CLIENT", "NO-EVICT", "maybe")
	help := a.do("CLIENT", "HELP")
	if help.Kind != resp.KindArray || len(help.Elems) < 10 ||
		string(help.Elems[0].Str) != "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" ||
		string(help.Elems[len(help.Elems)-1].Str) != "    Prints this help." {
		t.Errorf("CLIENT HELP: %v", help)
	}
}

func TestClientListAndInfo(t *testing.T) {
	_, addr := adminTestServer(t)
	a, b := dialTest(t, addr), dialTest(t, addr)
	b.want(kSimple, "OK", "CLIENT", "SETNAME", "bee")
	b.want(kSimple, "OK", "SELECT", "3")
	a.want(kSimple, "OK", "CLIENT", "NO-EVICT", "on")
	aid := strconv.FormatInt(a.do("CLIENT", "ID").Int, 10)
	bid := strconv.FormatInt(b.do("CLIENT", "ID").Int, 10)

	v := a.do("CLIENT", "LIST")
	if v.Kind != kBulk {
		t.Fatalf("CLIENT LIST in RESP2: %v", v)
	}
	lines := clientLines(t, string(v.Str))
	if len(lines) != 2 || lines[0][1] != aid || lines[1][1] != bid {
		t.Fatalf("CLIENT LIST: %q", v.Str)
	}
	me, other := lines[0], lines[1]
	if me[8] != "client|list" || me[6] != "e" || me[3] != addr {
		t.Errorf("own line: %q", me[0])
	}
	if other[5] != "bee" || other[7] != "3" || other[8] != "client|id" || other[6] != "N" {
		t.Errorf("other line: %q", other[0])
	}
	if fd, _ := strconv.Atoi(me[4]); fd <= 0 {
		t.Errorf("fd: %q", me[0])
	}
	// ID filter, in argument order; unknown ids are skipped
	lines = clientLines(t, a.str("CLIENT", "LIST", "ID", bid, "999", aid))
	if len(lines) != 2 || lines[0][1] != bid || lines[1][1] != aid {
		t.Errorf("CLIENT LIST ID: %v", lines)
	}
	if got := a.str("CLIENT", "LIST", "TYPE", "normal"); len(clientLines(t, got)) != 2 {
		t.Errorf("TYPE normal: %q", got)
	}
	a.want(kBulk, "", "CLIENT", "LIST", "TYPE", "pubsub")
	a.want(kBulk, "", "CLIENT", "LIST", "TYPE", "replica")
	a.want(kErr, "ERR Unknown client type 'foo'", "CLIENT", "LIST", "TYPE", "foo")
	a.want(kErr, "ERR Invalid client ID", "CLIENT", "LIST", "ID", "x")
	a.want(kErr, "ERR syntax error", "CLIENT", "LIST", "TYPE", "normal", "ID", "1")
	a.want(kErr, "ERR syntax error", "CLIENT", "LIST", "ID")

	info := a.str("CLIENT", "INFO")
	lines = clientLines(t, info)
	if len(lines) != 1 || lines[0][1] != aid || lines[0][8] != "client|info" || lines[0][10] != "2" {
		t.Errorf("CLIENT INFO: %q", info)
	}
	// RESP3: a verbatim string, resp=3
	a.do("HELLO", "3")
	v = a.do("CLIENT", "INFO")
	if v.Kind != resp.KindVerbatim || v.Format != "txt" || clientLines(t, string(v.Str))[0][10] != "3" {
		t.Errorf("CLIENT INFO in RESP3: %v", v)
	}
	// the other client sees resp=3 too
	lines = clientLines(t, b.str("CLIENT", "LIST", "ID", aid))
	if lines[0][10] != "3" || lines[0][8] != "client|info" {
		t.Errorf("resp/cmd seen by another client: %v", lines[0][0])
	}
}

func TestClientKill(t *testing.T) {
	_, addr := adminTestServer(t)
	a, b, c := dialTest(t, addr), dialTest(t, addr), dialTest(t, addr)
	b.want(kSimple, "OK", "CLIENT", "SETNAME", "bee")
	c.want(kSimple, "PONG", "PING")
	var baddr string
	for _, l := range clientLines(t, a.str("CLIENT", "LIST")) {
		if l[5] == "bee" {
			baddr = l[2]
		}
	}
	a.want(kSimple, "OK", "CLIENT", "KILL", baddr)
	if !b.closed() {
		t.Error("killed client still connected")
	}
	a.want(kErr, "ERR No such client", "CLIENT", "KILL", baddr)
	a.want(kErr, "ERR client-id should be greater than 0", "CLIENT", "KILL", "ID", "0")
	a.want(kErr, "ERR client-id should be greater than 0", "CLIENT", "KILL", "ID", "abc")
	a.want(kErr, "ERR Unknown client type 'foo'", "CLIENT", "KILL", "TYPE", "foo")
	a.want(kErr, "ERR No such user 'nobody'", "CLIENT", "KILL", "USER", "nobody")
	a.want(kErr, "ERR syntax error", "CLIENT", "KILL", "SKIPME", "maybe")
	a.want(kErr, "ERR syntax error", "CLIENT", "KILL", "ID", "1", "ID")
	a.want(kErr, "ERR syntax error", "CLIENT", "KILL", "FOO", "bar")
	a.wantInt(0, "CLIENT", "KILL", "ID", "999")
	a.wantInt(0, "CLIENT", "KILL", "LADDR", "1.2.3.4:5")
	a.wantInt(0, "CLIENT", "KILL", "TYPE", "pubsub")
	// SKIPME defaults to yes: only c goes
	a.wantInt(1, "CLIENT", "KILL", "TYPE", "normal", "USER", "default", "LADDR", addr)
	if !c.closed() {
		t.Error("client killed by filter still connected")
	}
	a.want(kSimple, "PONG", "PING")
	// killing oneself: the reply is sent, then the connection closes
	id := strconv.FormatInt(a.do("CLIENT", "ID").Int, 10)
	a.wantInt(1, "CLIENT", "KILL", "ID", id, "SKIPME", "no")
	if !a.closed() {
		t.Error("self-kill did not close the connection")
	}
}

func TestClientReply(t *testing.T) {
	_, addr := adminTestServer(t)
	a := dialTest(t, addr)
	a.want(kErr, "ERR syntax error", "CLIENT", "REPLY", "maybe")
	a.want(kSimple, "OK", "CLIENT", "REPLY", "ON")
	a.send("CLIENT", "REPLY", "OFF")
	a.send("SET", "k", "1")
	a.send("GET", "k")
	a.want(kSimple, "OK", "CLIENT", "REPLY", "ON")
	a.send("CLIENT", "REPLY", "SKIP")
	a.send("GET", "k") // skipped
	a.want(kBulk, "1", "GET", "k")
	// SKIP then ON: ON still answers
	a.send("CLIENT", "REPLY", "SKIP")
	a.want(kSimple, "OK", "CLIENT", "REPLY", "ON")
	a.want(kSimple, "PONG", "PING")
	// SKIP while OFF does nothing
	a.send("CLIENT", "REPLY", "OFF")
	a.send("CLIENT", "REPLY", "SKIP")
	a.send("PING")
	a.want(kSimple, "OK", "CLIENT", "REPLY", "ON")
	a.want(kSimple, "PONG", "PING")
}

func TestClientUnixAddr(t *testing.T) {
	sock := t.TempDir() + "/s.sock"
	if len(sock) > 100 {
		sock = os.TempDir() + "/lc-clientcmd-test.sock"
	}
	adminTestServer(t, "unixsocket", sock)
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := &tconn{t: t, conn: conn, r: resp.NewReader(conn, 0)}
	l := clientLines(t, c.str("CLIENT", "INFO"))[0]
	if l[2] != sock+":0" || l[3] != sock+":0" || l[6] != "U" {
		t.Errorf("unix client line: %q", l[0])
	}
}
