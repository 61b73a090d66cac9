package rdb

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// This file holds a minimal RESP client and a helper that starts a throwaway
// redis-server, for differential tests against the real thing.

// redisConn is a tiny RESP2 client: enough to pipeline commands and read
// simple, error, integer, bulk and array replies.
type redisConn struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

// redisError is an error reply.
type redisError string

func (e redisError) Error() string { return string(e) }

// startRedis starts redis-server on a free loopback port with persistence
// off, stops it when the test ends, and returns a connection to it. It skips
// the test when redis-server is not installed.
func startRedis(t *testing.T) *redisConn {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not on PATH; skipping differential test against real Redis")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", t.TempDir())
	var logBuf bytes.Buffer
	cmd.Stdout = &logBuf
	cmd.Stderr = &logBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			rc := &redisConn{c: c, r: bufio.NewReader(c), w: bufio.NewWriter(c)}
			t.Cleanup(func() { c.Close() })
			if _, err := rc.do("PING"); err == nil {
				return rc
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not come up on %s: %v\n%s", addr, err, logBuf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// send writes one command without flushing.
func (rc *redisConn) send(args ...any) {
	fmt.Fprintf(rc.w, "*%d\r\n", len(args))
	for _, a := range args {
		var b []byte
		switch v := a.(type) {
		case string:
			b = []byte(v)
		case []byte:
			b = v
		case int:
			b = strconv.AppendInt(nil, int64(v), 10)
		default:
			panic(fmt.Sprintf("unsupported argument %T", a))
		}
		fmt.Fprintf(rc.w, "$%d\r\n", len(b))
		rc.w.Write(b)
		rc.w.WriteString("\r\n")
	}
}

// flush sends everything buffered.
func (rc *redisConn) flush() error { return rc.w.Flush() }

// do sends one command and reads its reply.
func (rc *redisConn) do(args ...any) (any, error) {
	rc.send(args...)
	if err := rc.flush(); err != nil {
		return nil, err
	}
	return rc.read()
}

// read reads one reply: string for simple strings, int64, []byte (nil for a
// null bulk string), []any, or a redisError as the error.
func (rc *redisConn) read() (any, error) {
	rc.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("bad reply line %q", line)
	}
	head, body := line[0], line[1:len(line)-2]
	switch head {
	case '+':
		return body, nil
	case '-':
		return nil, redisError(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return []byte(nil), nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(rc.r, b); err != nil {
			return nil, err
		}
		return b[:n], nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return []any(nil), nil
		}
		arr := make([]any, n)
		for i := range arr {
			v, err := rc.read()
			var re redisError
			if err != nil && !errors.As(err, &re) {
				return nil, err
			}
			if err != nil {
				v = re
			}
			arr[i] = v
		}
		return arr, nil
	}
	return nil, fmt.Errorf("unknown reply type %q", line)
}
