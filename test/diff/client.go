// Package diff holds the differential tests: the same commands are sent to a
// real redis-server and to Lightcone, and the replies must be identical.
//
//	go test ./test/diff/                          everything
//	go test ./test/diff/ -run TestCases/strings   one case file (testdata/strings.txt)
//	go test ./test/diff/ -run TestRandom -diff.seeds=200 -diff.gen=basic
//	go test ./test/diff/ -run TestRandom -diff.seed=7 -diff.seeds=1 -v
//	go test ./test/diff/ -run TestProtocol
//
// The servers are started once by TestMain (see main_test.go): a
// redis-server and a Lightcone built from the tree, both on free ports.
// LIGHTCONE_BIN=path uses a prebuilt binary instead; LIGHTCONE_ADDR=host:port
// tests a server that is already running. Without redis-server on PATH
// every test skips.
package diff

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

// replyTimeout bounds every wait for a reply, so that a hung server fails
// the test instead of hanging it.
const replyTimeout = 10 * time.Second

// Client is a minimal RESP client built on the project's own codec.
type Client struct {
	Name string // "redis" or "lightcone", for messages
	nc   net.Conn
	r    *resp.Reader
	w    *resp.Writer
}

// Dial connects to addr.
func Dial(name, addr string) (*Client, error) {
	nc, err := net.DialTimeout("tcp", addr, replyTimeout)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Client{Name: name, nc: nc, r: resp.NewReader(nc, 0), w: resp.NewWriter(nc, 0)}, nil
}

// Send buffers one command, encoded as an array of bulk strings (the
// project has no client-side encoder: the writer's ArrayLen and Bulk make
// exactly the request encoding).
func (c *Client) Send(args ...string) {
	c.w.ArrayLen(len(args))
	for _, a := range args {
		c.w.BulkString(a)
	}
}

// Flush writes the buffered commands.
func (c *Client) Flush() error {
	c.nc.SetWriteDeadline(time.Now().Add(replyTimeout))
	if err := c.w.Flush(); err != nil {
		return fmt.Errorf("%s: write: %w", c.Name, err)
	}
	return nil
}

// Read reads one reply, failing after replyTimeout.
func (c *Client) Read() (resp.Value, error) {
	c.nc.SetReadDeadline(time.Now().Add(replyTimeout))
	v, err := c.r.ReadValue()
	if err != nil {
		return v, fmt.Errorf("%s: read: %w", c.Name, err)
	}
	return v, nil
}

// Do sends one command and reads its reply.
func (c *Client) Do(args ...string) (resp.Value, error) {
	c.Send(args...)
	if err := c.Flush(); err != nil {
		return resp.Value{}, err
	}
	return c.Read()
}

// ExpectClosed reports whether the server closes the connection (EOF)
// within d, without sending anything more.
func (c *Client) ExpectClosed(d time.Duration) error {
	c.nc.SetReadDeadline(time.Now().Add(d))
	v, err := c.r.ReadValue()
	switch {
	case err == nil:
		return fmt.Errorf("%s: connection still open, got %s", c.Name, v)
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return nil
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("%s: connection not closed after %v", c.Name, d)
		}
		// A reset is a close too.
		return nil
	}
}

// Close closes the connection.
func (c *Client) Close() {
	if c != nil && c.nc != nil {
		c.nc.Close()
	}
}

// Pair is one connection to each server.
type Pair struct {
	Redis, Light         *Client
	redisAddr, lightAddr string
}

// DialPair connects to both servers.
func DialPair(redisAddr, lightAddr string) (*Pair, error) {
	r, err := Dial("redis", redisAddr)
	if err != nil {
		return nil, err
	}
	l, err := Dial("lightcone", lightAddr)
	if err != nil {
		r.Close()
		return nil, err
	}
	return &Pair{Redis: r, Light: l, redisAddr: redisAddr, lightAddr: lightAddr}, nil
}

// Do sends args to both servers (both are written before either is read)
// and returns both replies.
func (p *Pair) Do(args ...string) (rv, lv resp.Value, err error) {
	p.Redis.Send(args...)
	p.Light.Send(args...)
	if err = p.Redis.Flush(); err != nil {
		return
	}
	if err = p.Light.Flush(); err != nil {
		return
	}
	if rv, err = p.Redis.Read(); err != nil {
		return
	}
	lv, err = p.Light.Read()
	return
}

// Close closes both connections.
func (p *Pair) Close() {
	if p != nil {
		p.Redis.Close()
		p.Light.Close()
	}
}

// Reset makes a fresh scenario: both connections are new (RESP2, db 0) and
// every database of both servers is flushed.
func (p *Pair) Reset() error {
	p.Close()
	np, err := DialPair(p.redisAddr, p.lightAddr)
	if err != nil {
		return err
	}
	*p = *np
	rv, lv, err := p.Do("FLUSHALL")
	if err != nil {
		return err
	}
	for _, v := range []struct {
		name string
		v    resp.Value
	}{{"redis", rv}, {"lightcone", lv}} {
		if v.v.Kind != resp.KindSimple || string(v.v.Str) != "OK" {
			return fmt.Errorf("FLUSHALL on %s replied %s", v.name, v.v)
		}
	}
	return nil
}

// Equal reports whether two replies are identical: same kind, bytes,
// nullness and nesting. Doubles compare by their text.
func Equal(a, b resp.Value) bool {
	if a.Kind != b.Kind || a.Null != b.Null || a.Int != b.Int || a.Format != b.Format ||
		!bytes.Equal(a.Str, b.Str) || len(a.Elems) != len(b.Elems) {
		return false
	}
	if a.Kind == resp.KindDouble && len(a.Str) == 0 && a.Float != b.Float {
		return false
	}
	for i := range a.Elems {
		if !Equal(a.Elems[i], b.Elems[i]) {
			return false
		}
	}
	return true
}

// canon appends an unambiguous encoding of v, used as a sort key.
func canon(b []byte, v resp.Value) []byte {
	b = append(b, byte(v.Kind))
	if v.Null {
		return append(b, 'N')
	}
	b = fmt.Appendf(b, "%d:%s%d:%s%d|", len(v.Str), v.Str, v.Int, v.Format, len(v.Elems))
	for _, e := range v.Elems {
		b = canon(b, e)
	}
	return b
}

// SortReply sorts the elements of an aggregate reply (maps by key/value
// pair), so that replies in unspecified order compare equal. Other replies
// are returned unchanged.
func SortReply(v resp.Value) resp.Value {
	switch v.Kind {
	case resp.KindArray, resp.KindSet, resp.KindPush:
		v.Elems = sortGroups(v.Elems, 1)
	case resp.KindMap:
		v.Elems = sortGroups(v.Elems, 2)
	}
	return v
}

// sortGroups sorts elems in groups of n consecutive elements.
func sortGroups(elems []resp.Value, n int) []resp.Value {
	if len(elems)%n != 0 {
		n = 1
	}
	type group struct {
		key  string
		vals []resp.Value
	}
	gs := make([]group, 0, len(elems)/n)
	for i := 0; i < len(elems); i += n {
		var k []byte
		for _, e := range elems[i : i+n] {
			k = canon(k, e)
		}
		gs = append(gs, group{string(k), elems[i : i+n]})
	}
	slices.SortStableFunc(gs, func(a, b group) int { return strings.Compare(a.key, b.key) })
	out := make([]resp.Value, 0, len(elems))
	for _, g := range gs {
		out = append(out, g.vals...)
	}
	return out
}

// Quote renders args as one redis-cli line (the case file syntax), so that
// a failing random sequence can be pasted into a case file.
func Quote(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && !strings.ContainsFunc(a, func(r rune) bool {
			return r <= ' ' || r == '"' || r == '\'' || r == '\\' || r >= 0x7f
		}) {
			b.WriteString(a)
			continue
		}
		b.WriteByte('"')
		for i := 0; i < len(a); i++ {
			switch c := a[i]; c {
			case '\\', '"':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				if c < 0x20 || c >= 0x7f {
					fmt.Fprintf(&b, `\x%02x`, c)
				} else {
					b.WriteByte(c)
				}
			}
		}
		b.WriteByte('"')
	}
	return b.String()
}

// indent prefixes every line but the first of a rendered reply, for
// multi-line messages.
func indent(s, pad string) string {
	return strings.ReplaceAll(s, "\n", "\n"+pad)
}
