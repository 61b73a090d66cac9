package diff

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// quietPeriod is how long a connection must stay silent to count as
// "waiting for more input" rather than about to reply or close.
const quietPeriod = 400 * time.Millisecond

// rawResult is everything a server sent back for some raw bytes, and
// whether it then closed the connection.
type rawResult struct {
	data   []byte
	closed bool
}

func (r rawResult) String() string {
	s := strconv.Quote(string(r.data))
	if len(s) > 300 {
		s = s[:300] + "...(" + strconv.Itoa(len(r.data)) + " bytes)"
	}
	if r.closed {
		return s + " then closed the connection"
	}
	return s + " and kept the connection open"
}

// rawExchange sends payload on a new connection to addr, calls during (if
// not nil) while the server is busy with it, and collects the reply until
// the server closes the connection or stays quiet for quietPeriod.
func rawExchange(t *testing.T, addr string, payload []byte, during func()) rawResult {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, replyTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// The server may close the connection before reading everything: write
	// in the background and ignore write errors.
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		nc.SetWriteDeadline(time.Now().Add(replyTimeout))
		nc.Write(payload)
	}()
	if during != nil {
		during()
	}
	var res rawResult
	buf := make([]byte, 64*1024)
	end := time.Now().Add(replyTimeout)
	for time.Now().Before(end) {
		nc.SetReadDeadline(time.Now().Add(quietPeriod))
		n, err := nc.Read(buf)
		res.data = append(res.data, buf[:n]...)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			break
		}
		res.closed = true // EOF or reset
		if !errors.Is(err, io.EOF) {
			t.Logf("%s: read: %v", addr, err)
		}
		break
	}
	nc.Close()
	<-wrote
	return res
}

// TestProtocol sends malformed and inline requests to redis-server and to
// Lightcone: Lightcone must send the same bytes (Redis' exact error reply)
// and close or keep the connection like Redis, while another client keeps
// being served during and after.
func TestProtocol(t *testing.T) {
	needServers(t)
	digits := strings.Repeat("1", 70*1024)
	// Deliberate difference: Redis 7.0 accepts multibulk counts up to
	// INT_MAX and waits for the elements; Lightcone refuses more than
	// 1024*1024 arguments in one command (Redis' historical limit) with
	// Redis' own error and closes the connection, so one client cannot make
	// the server reserve an argv of billions of entries.
	const refused = "-ERR Protocol error: invalid multibulk length\r\n"
	cases := []struct {
		name    string
		payload string
		want    string // when set: Lightcone's expected bytes (and a close), instead of Redis'
	}{
		{"bad bulk length", "*1\r\n$x\r\n", ""},
		{"negative bulk length", "*1\r\n$-1\r\n", ""},
		{"missing dollar", "*3\r\nfoo\r\n", ""},
		{"truncated bulk header", "*3\r\nfoo", ""},
		{"bad multibulk length", "*abc\r\n", ""},
		{"multibulk length over INT_MAX", "*3000000000\r\n", ""},
		{"bulk length 2 GB", "*1\r\n$2147483648\r\n", ""},
		{"bulk length just over proto-max-bulk-len", "*1\r\n$536870913\r\n", ""},
		{"bulk of 512 MB partially sent", "*1\r\n$536870912\r\n" + strings.Repeat("x", 1<<20), ""},
		{"multibulk of 2000000 elements", "*2000000\r\n", refused},
		{"multibulk of 2000000 elements, some sent", "*2000000\r\n" + strings.Repeat("$1\r\na\r\n", 1000), refused},
		{"too big mbulk count string", "*" + digits, ""},
		{"too big bulk count string", "*1\r\n$" + digits, ""},
		{"too big inline request", strings.Repeat("a", 70*1024), ""},
		{"unbalanced quotes", "SET a \"b c\r\n", ""},
		{"closing quote not followed by space", "SET a \"b\"c\r\n", ""},
		{"inline PING", "PING\r\n", ""},
		{"inline PING with LF only", "PING\n", ""},
		{"inline SET with quotes", "SET a \"b c\"\r\nGET a\r\n", ""},
		{"inline with escapes", "ECHO \"\\x41\\n\" 'it\\'s'\r\nECHO 'x\"y'\r\n", ""},
		{"empty inline lines", "\r\n\r\n\nPING\r\n", ""},
		{"empty multibulk", "*0\r\n*-1\r\nPING\r\n", ""},
		{"bulk not terminated by CRLF", "*1\r\n$4\r\nPINGxx", ""},
		{"bulk header as inline", "$4\r\nPING\r\n", ""},
		{"pipelined with garbage after", "*1\r\n$4\r\nPING\r\n*1\r\n$y\r\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want rawResult
			if c.want != "" {
				want = rawResult{data: []byte(c.want), closed: true}
			} else {
				want = rawExchange(t, redisAddr, []byte(c.payload), nil)
			}

			good, err := Dial("lightcone", lightAddr)
			if err != nil {
				t.Fatal(err)
			}
			defer good.Close()
			ping := func(when string) {
				v, err := good.Do("PING")
				if err != nil || string(v.Str) != "PONG" {
					t.Errorf("PING on another client %s: %v %v", when, v, err)
				}
			}
			ping("before")
			got := rawExchange(t, lightAddr, []byte(c.payload), func() {
				time.Sleep(50 * time.Millisecond)
				ping("during")
			})
			ping("after")
			if !bytes.Equal(got.data, want.data) || got.closed != want.closed {
				t.Errorf("sent %.80q\n  redis:     %s\n  lightcone: %s", c.payload, want, got)
			}
		})
	}
}
