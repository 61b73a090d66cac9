package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"
)

// feed modes: how the input reaches the Reader.
const (
	feedWhole   = iota // one bytes.Reader, default buffer
	feedOneByte        // one byte per Read, tiny buffer
	feedSmall          // 7-byte reads, 16-byte buffer
	nFeeds
)

type chunkReader struct {
	data []byte
	n    int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), c.n, len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func newFeedReader(input []byte, mode int) *Reader {
	switch mode {
	case feedOneByte:
		return NewReader(iotest.OneByteReader(bytes.NewReader(input)), 16)
	case feedSmall:
		return NewReader(&chunkReader{data: input, n: 7}, 16)
	default:
		return NewReader(bytes.NewReader(input), 0)
	}
}

// readAll reads commands until an error and renders them as strings.
func readAll(r *Reader) ([]string, error) {
	var out []string
	for {
		args, err := r.ReadCommand()
		if err != nil {
			return out, err
		}
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = fmt.Sprintf("%q", a)
		}
		out = append(out, strings.Join(parts, " "))
	}
}

func q(args ...string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(parts, " ")
}

func TestReadCommand(t *testing.T) {
	type tc struct {
		name  string
		in    string
		want  []string
		err   string // "" means io.EOF; else ProtocolError.Msg
		unath bool
		lim   *Limits
	}
	tests := []tc{
		// Well-formed multibulk.
		{name: "ping", in: "*1\r\n$4\r\nPING\r\n", want: []string{q("PING")}},
		{name: "pipeline", in: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
			want: []string{q("SET", "k", "value"), q("GET", "k")}},
		{name: "empty-bulk", in: "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", want: []string{q("ECHO", "")}},
		{name: "binary", in: "*2\r\n$4\r\nECHO\r\n$5\r\na\x00b\r\n\r\n", want: []string{q("ECHO", "a\x00b\r\n")}},
		{name: "no-crlf-check-after-bulk", in: "*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", want: []string{q("PING"), q("PING")}},
		{name: "any-byte-after-cr", in: "*1\rX$4\r\nPING\r\n", want: []string{q("PING")}},
		{name: "skip-zero", in: "*0\r\nPING\r\n", want: []string{q("PING")}},
		{name: "skip-minus1", in: "*-1\r\n*1\r\n$4\r\nPING\r\n", want: []string{q("PING")}},
		{name: "skip-negative", in: "*-5\r\nPING\r\n", want: []string{q("PING")}},
		{name: "skip-minint64", in: "*-9223372036854775808\r\nPING\r\n", want: []string{q("PING")}},
		{name: "partial-waits", in: "*2\r\n$3\r\nGET\r\n$1\r\n", want: nil},
		{name: "partial-header-waits", in: "*1\r\n$4\r", want: nil},
		{name: "big-declared-bulk-waits", in: "*1\r\n$536870912\r\nabc", want: nil},

		// Multibulk count errors.
		{name: "mb-letters", in: "*abc\r\n", err: msgInvalidMultibulk},
		{name: "mb-empty", in: "*\r\n", err: msgInvalidMultibulk},
		{name: "mb-space", in: "* 1\r\n", err: msgInvalidMultibulk},
		{name: "mb-plus", in: "*+1\r\n", err: msgInvalidMultibulk},
		{name: "mb-leading-zero", in: "*01\r\n$4\r\nPING\r\n", err: msgInvalidMultibulk},
		{name: "mb-minus-zero", in: "*-0\r\n", err: msgInvalidMultibulk},
		{name: "mb-minus-only", in: "*-\r\n", err: msgInvalidMultibulk},
		{name: "mb-overflow", in: "*99999999999999999999\r\n", err: msgInvalidMultibulk},
		{name: "mb-neg-overflow", in: "*-9223372036854775809\r\n", err: msgInvalidMultibulk},
		{name: "mb-trailing-junk", in: "*1x\r\n", err: msgInvalidMultibulk},
		{name: "mb-lf-only-then-cr", in: "*1\n$4\r\n", err: msgInvalidMultibulk},
		{name: "mb-over-default-limit", in: "*1048577\r\n", err: msgInvalidMultibulk},
		{name: "mb-at-default-limit", in: "*1048576\r\n", want: nil},
		{name: "mb-int-max", in: "*2147483647\r\n", want: nil, lim: &Limits{MaxMultibulkLen: math.MaxInt64}},
		{name: "mb-over-int-max", in: "*2147483648\r\n", err: msgInvalidMultibulk, lim: &Limits{MaxMultibulkLen: math.MaxInt64}},
		{name: "mb-nul-waits", in: "*1\x00\r\n", want: nil},

		// Bulk header errors.
		{name: "expected-dollar", in: "*1\r\nPING\r\n", err: "Protocol error: expected '$', got 'P'"},
		{name: "expected-dollar-lf", in: "*1\r\n\n\r\n", err: "Protocol error: expected '$', got '\n'"},
		{name: "expected-dollar-cr", in: "*1\r\n\r\n", err: "Protocol error: expected '$', got '\r'"},
		{name: "expected-dollar-high", in: "*1\r\n\x80\r\n", err: "Protocol error: expected '$', got '\x80'"},
		{name: "expected-dollar-after-arg", in: "*2\r\n$1\r\na\r\n:1\r\n", err: "Protocol error: expected '$', got ':'"},
		{name: "expected-dollar-waits-line", in: "*1\r\nPING", want: nil},
		{name: "nul-before-cr-waits", in: "*1\r\n\x00\r\n", want: nil},
		{name: "nul-in-line-waits", in: "*1\r\nX\x00\r\n", want: nil},
		{name: "bulk-minus1", in: "*1\r\n$-1\r\n", err: msgInvalidBulk},
		{name: "bulk-letters", in: "*1\r\n$abc\r\n", err: msgInvalidBulk},
		{name: "bulk-leading-zero", in: "*1\r\n$04\r\nPING\r\n", err: msgInvalidBulk},
		{name: "bulk-empty", in: "*1\r\n$\r\n", err: msgInvalidBulk},
		{name: "bulk-over-max", in: "*1\r\n$536870913\r\n", err: msgInvalidBulk},
		{name: "bulk-over-custom-max", in: "*1\r\n$11\r\n", err: msgInvalidBulk, lim: &Limits{MaxBulkLen: 10}},
		{name: "bulk-huge", in: "*1\r\n$9223372036854775807\r\n", err: msgInvalidBulk, lim: &Limits{MaxBulkLen: math.MaxInt64}},

		// Unauthenticated limits.
		{name: "unauth-mb-10", in: "*10\r\n", want: nil, unath: true},
		{name: "unauth-mb-11", in: "*11\r\n", err: msgUnauthMultibulk, unath: true},
		{name: "unauth-mb-invalid-first", in: "*abc\r\n", err: msgInvalidMultibulk, unath: true},
		{name: "unauth-mb-3G", in: "*3000000000\r\n", err: msgInvalidMultibulk, unath: true},
		{name: "unauth-mb-negative", in: "*-1\r\n*1\r\n$4\r\nAUTH\r\n", want: []string{q("AUTH")}, unath: true},
		{name: "unauth-bulk-16384", in: "*1\r\n$16384\r\n", want: nil, unath: true},
		{name: "unauth-bulk-16385", in: "*1\r\n$16385\r\n", err: msgUnauthBulk, unath: true},
		{name: "unauth-bulk-negative", in: "*1\r\n$-3\r\n", err: msgInvalidBulk, unath: true},
		{name: "unauth-bulk-600M", in: "*1\r\n$600000000\r\n", err: msgInvalidBulk, unath: true},
		{name: "unauth-inline-many-args", in: "AUTH a b c d e f g h i j k l\r\n",
			want: []string{q("AUTH", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l")}, unath: true},

		// Inline commands.
		{name: "inline", in: "PING\r\n", want: []string{q("PING")}},
		{name: "inline-lf", in: "ECHO x\n", want: []string{q("ECHO", "x")}},
		{name: "inline-crcr", in: "ECHO x\r\r\n", want: []string{q("ECHO", "x")}},
		{name: "inline-spaces", in: "  ECHO   x  \r\n", want: []string{q("ECHO", "x")}},
		{name: "inline-empty-lines", in: "\r\n\n   \r\nPING\n", want: []string{q("PING")}},
		{name: "inline-no-newline-waits", in: "PING", want: nil},
		{name: "inline-then-multibulk", in: "PING\r\n*1\r\n$4\r\nPING\r\n", want: []string{q("PING"), q("PING")}},
		{name: "inline-dq-escapes", in: `ECHO "a\x41\x4g\n\q"` + "\r\n", want: []string{q("ECHO", "aAx4g\nq")}},
		{name: "inline-dq-hex", in: `ECHO "\xZZ\x4A" "\xfF"` + "\r\n", want: []string{q("ECHO", "xZZJ", "\xff")}},
		{name: "inline-dq-ctl", in: `ECHO "\b\a\t\r"` + "\r\n", want: []string{q("ECHO", "\b\a\t\r")}},
		{name: "inline-dq-quote", in: `ECHO "a\"b"` + "\r\n", want: []string{q("ECHO", `a"b`)}},
		{name: "inline-dq-backslash", in: `ECHO "a\\b"` + "\r\n", want: []string{q("ECHO", `a\b`)}},
		{name: "inline-dq-short-hex", in: `ECHO "\x4"` + "\r\n", want: []string{q("ECHO", "x4")}},
		{name: "inline-sq-escape", in: `ECHO 'a\'b'` + "\r\n", want: []string{q("ECHO", "a'b")}},
		{name: "inline-sq-backslash", in: `ECHO 'a\b'` + "\r\n", want: []string{q("ECHO", `a\b`)}},
		{name: "inline-sq-trailing-escape", in: `ECHO 'a\''` + "\r\n", want: []string{q("ECHO", "a'")}},
		{name: "inline-sq-dq-inside", in: `ECHO 'ab"c' "ab'c"` + "\r\n", want: []string{q("ECHO", `ab"c`, "ab'c")}},
		{name: "inline-quote-mid-token", in: "ECHO ab'c d'\r\n", want: []string{q("ECHO", "abc d")}},
		{name: "inline-empty-quotes", in: `ECHO "" ''` + "\r\n", want: []string{q("ECHO", "", "")}},
		{name: "inline-vt-in-token", in: "ECHO\va\r\n", want: []string{q("ECHO\va")}},
		{name: "inline-leading-vt", in: "\vPING\r\n", want: []string{q("PING")}},
		{name: "inline-tab", in: "ECHO\ta\r\n", want: []string{q("ECHO", "a")}},
		{name: "inline-tab-after-quote", in: "ECHO \"a\"\tb\r\n", want: []string{q("ECHO", "a", "b")}},
		{name: "inline-vt-after-quote", in: "ECHO \"a\"\v\r\n", want: []string{q("ECHO", "a")}},
		{name: "inline-cr-splits", in: "ECHO a\rb\r\n", want: []string{q("ECHO", "a", "b")}},
		{name: "inline-dq-cr-kept", in: "ECHO \"a\rb\"\r\n", want: []string{q("ECHO", "a\rb")}},
		{name: "inline-unbalanced-dq", in: `ECHO "abc` + "\r\n", err: msgUnbalanced},
		{name: "inline-unbalanced-sq", in: "ECHO 'abc\r\n", err: msgUnbalanced},
		{name: "inline-dq-followed", in: `ECHO "a"b` + "\r\n", err: msgUnbalanced},
		{name: "inline-sq-followed", in: "ECHO 'a'b\r\n", err: msgUnbalanced},
		{name: "inline-mid-quote-followed", in: `ECHO a"b c"d` + "\r\n", err: msgUnbalanced},
		{name: "inline-escaped-quote-outside", in: `ECHO a\"b` + "\r\n", err: msgUnbalanced},
		{name: "inline-lone-backslash", in: `ECHO "\` + "\r\n", err: msgUnbalanced},
		{name: "inline-sq-escape-at-end", in: `ECHO 'a\'` + "\r\n", err: msgUnbalanced},
		{name: "inline-error-after-good", in: "PING\r\nECHO \"x\r\n", want: []string{q("PING")}, err: msgUnbalanced},
		{name: "inline-nul-waits", in: "PING\x00garbage\r\n", want: nil},
		{name: "inline-nul-quoted-waits", in: "ECHO \"a\x00b\"\r\n", want: nil},
		{name: "inline-leading-nul-waits", in: "\x00PING\r\n", want: nil},

		// Too big lines (independent of read sizes).
		{name: "inline-64k-waits", in: strings.Repeat("A", 65536), want: nil},
		{name: "inline-too-big", in: strings.Repeat("A", 65537), err: msgTooBigInline},
		{name: "inline-nul-too-big", in: "A\x00" + strings.Repeat("A", 65535) + "\r\n", err: msgTooBigInline},
		{name: "mbulk-count-waits", in: "*" + strings.Repeat("1", 65535), want: nil},
		{name: "mbulk-count-too-big", in: "*" + strings.Repeat("1", 65536), err: msgTooBigMbulk},
		{name: "mbulk-count-junk-too-big", in: "*1" + strings.Repeat("x", 70000), err: msgTooBigMbulk},
		{name: "bulk-count-waits", in: "*1\r\n" + strings.Repeat("$", 65536), want: nil},
		{name: "bulk-count-too-big", in: "*1\r\n" + strings.Repeat("$", 65537), err: msgTooBigBulk},
		{name: "bulk-count-not-dollar-too-big", in: "*1\r\n" + strings.Repeat("P", 70000), err: msgTooBigBulk},
		{name: "bulk-count-digits-too-big", in: "*1\r\n$" + strings.Repeat("1", 70000), err: msgTooBigBulk},
		{name: "custom-max-inline", in: strings.Repeat("A", 11), err: msgTooBigInline, lim: &Limits{MaxInline: 10}},

		// Query buffer limit.
		{name: "querybuf-bulk", in: "*1\r\n$2000\r\n" + strings.Repeat("a", 1500), err: ErrQueryBufferLimit.Error(), lim: &Limits{MaxQueryBuf: 1000}},
		{name: "querybuf-inline", in: "ECHO " + strings.Repeat("a", 2000), err: ErrQueryBufferLimit.Error(), lim: &Limits{MaxQueryBuf: 1000}},
	}
	for _, tt := range tests {
		for mode := range nFeeds {
			t.Run(fmt.Sprintf("%s/%d", tt.name, mode), func(t *testing.T) {
				r := newFeedReader([]byte(tt.in), mode)
				if tt.lim != nil {
					r.SetLimits(*tt.lim)
				}
				if tt.unath {
					r.SetAuthenticated(false)
				}
				got, err := readAll(r)
				if !equalStrings(got, tt.want) {
					t.Errorf("commands = %v, want %v", got, tt.want)
				}
				if tt.err == "" {
					if err != io.EOF {
						t.Errorf("err = %v, want EOF", err)
					}
					return
				}
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %q, want %q", err, tt.err)
				}
				if tt.err != ErrQueryBufferLimit.Error() {
					var pe *ProtocolError
					if !errors.As(err, &pe) {
						t.Fatalf("err %T is not a *ProtocolError", err)
					}
				}
				// Errors are sticky.
				if _, err2 := r.ReadCommand(); err2 != err {
					t.Errorf("second call err = %v, want sticky %v", err2, err)
				}
			})
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Whether a line longer than MaxInline is accepted depends on how much of it
// is buffered when its end arrives, as in Redis: here, all at once.
func TestReadCommandLongLineInOneRead(t *testing.T) {
	in := "ECHO " + strings.Repeat("A", 70000) + "\r\n"
	r := NewReader(bytes.NewReader([]byte(in)), 128*1024)
	args, err := r.ReadCommand()
	if err != nil || len(args) != 2 || len(args[1]) != 70000 {
		t.Fatalf("got %d args, err %v", len(args), err)
	}
	r = NewReader(bytes.NewReader([]byte("*"+strings.Repeat("1", 70000)+"\r\n")), 128*1024)
	if _, err := r.ReadCommand(); err == nil || err.Error() != msgInvalidMultibulk {
		t.Fatalf("err = %v", err)
	}
}

func TestReadCommandNoUpfrontAllocation(t *testing.T) {
	in := []byte("*2\r\n$3\r\nSET\r\n$500000000\r\nabc")
	r := NewReader(bytes.NewReader(in), 1024)
	if _, err := r.ReadCommand(); err != io.EOF {
		t.Fatalf("err = %v", err)
	}
	if len(r.buf) > 4096 {
		t.Fatalf("buffer grew to %d bytes for %d bytes of input", len(r.buf), len(in))
	}
}

func TestReadCommandLargeBulkGrowth(t *testing.T) {
	const n = 3<<20 + 17
	var in bytes.Buffer
	in.WriteString("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n")
	fmt.Fprintf(&in, "$%d\r\n", n)
	val := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
	in.Write(val)
	in.WriteString("\r\n*1\r\n$4\r\nPING\r\n")
	r := NewReader(&chunkReader{data: in.Bytes(), n: 4096}, 4096)
	args, err := r.ReadCommand()
	if err != nil || len(args) != 3 || !bytes.Equal(args[2], val) {
		t.Fatalf("bad big command: %d args, err %v", len(args), err)
	}
	if len(r.buf) > 2*n+8192 {
		t.Errorf("buffer %d for a %d bulk", len(r.buf), n)
	}
	args, err = r.ReadCommand()
	if err != nil || len(args) != 1 || string(args[0]) != "PING" {
		t.Fatalf("after big command: %q %v", args, err)
	}
	if _, err := r.ReadCommand(); err != io.EOF {
		t.Fatalf("err = %v", err)
	}
	if len(r.buf) != 4096 {
		t.Errorf("buffer not shrunk when idle: %d", len(r.buf))
	}
}

func TestReadCommandBuffered(t *testing.T) {
	in := "*1\r\n$4\r\nPING\r\nPING\r\n*1\r\n$4\r\nPI"
	r := NewReader(bytes.NewReader([]byte(in)), 0)
	if _, err := r.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	if got, want := r.Buffered(), len(in)-14; got != want {
		t.Fatalf("Buffered = %d, want %d", got, want)
	}
	if _, err := r.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	if got := r.Buffered(); got != 10 {
		t.Fatalf("Buffered = %d, want 10", got)
	}
}

func TestReadCommandArgsCapped(t *testing.T) {
	r := NewReader(bytes.NewReader([]byte("*2\r\n$1\r\na\r\n$1\r\nb\r\nSET x 'y' \"z\"\r\n")), 0)
	for range 2 {
		args, err := r.ReadCommand()
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range args {
			if cap(a) != len(a) {
				t.Fatalf("arg %q has spare capacity %d", a, cap(a))
			}
		}
	}
}

// errOnceReader serves data in 3-byte reads and fails once, with a
// timeout-like error, when offset at is reached.
type errOnceReader struct {
	data    []byte
	off, at int
	fired   bool
}

var errTimeout = errors.New("i/o timeout")

func (e *errOnceReader) Read(p []byte) (int, error) {
	if !e.fired && e.off == e.at {
		e.fired = true
		return 0, errTimeout
	}
	if e.off == len(e.data) {
		return 0, io.EOF
	}
	end := min(len(e.data), e.off+len(p), e.off+3)
	if !e.fired && end > e.at {
		end = e.at
	}
	n := copy(p, e.data[e.off:end])
	e.off += n
	return n, nil
}

func TestReadCommandResumesAfterIOError(t *testing.T) {
	in := "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"
	for at := 0; at < len(in); at++ {
		r := NewReader(&errOnceReader{data: []byte(in), at: at}, 16)
		_, err := r.ReadCommand()
		if err != errTimeout {
			t.Fatalf("at %d: err = %v, want timeout", at, err)
		}
		args, err := r.ReadCommand()
		if err != nil || q(string(args[0]), string(args[1]), string(args[2])) != q("SET", "key", "value") {
			t.Fatalf("at %d: after retry %q %v", at, args, err)
		}
	}
}

func TestReadCommandDataWithError(t *testing.T) {
	r := NewReader(iotest.DataErrReader(bytes.NewReader([]byte("PING\r\n"))), 0)
	args, err := r.ReadCommand()
	if err != nil || string(args[0]) != "PING" {
		t.Fatalf("%q %v", args, err)
	}
	if _, err := r.ReadCommand(); err != io.EOF {
		t.Fatalf("err = %v", err)
	}
}

func TestReadCommandBeforeRead(t *testing.T) {
	r := NewReader(iotest.OneByteReader(bytes.NewReader([]byte("PING\r\n"))), 0)
	calls := 0
	r.SetBeforeRead(func() error { calls++; return nil })
	if _, err := r.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	if calls != 6 {
		t.Fatalf("before-read hook called %d times, want 6", calls)
	}
	hookErr := errors.New("flush failed")
	r.SetBeforeRead(func() error { return hookErr })
	if _, err := r.ReadCommand(); err != hookErr {
		t.Fatalf("err = %v", err)
	}
}

func TestReadCommandNoAllocs(t *testing.T) {
	batch := bytes.Repeat([]byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\nGET key\r\n"), 64)
	src := bytes.NewReader(batch)
	r := NewReader(src, 0)
	readBatch := func() {
		src.Reset(batch)
		for range 128 {
			if _, err := r.ReadCommand(); err != nil {
				t.Fatal(err)
			}
		}
	}
	readBatch()
	if n := testing.AllocsPerRun(20, readBatch); n != 0 {
		t.Fatalf("%v allocations per batch", n)
	}
}

func TestSplitArgsInPlace(t *testing.T) {
	line := []byte(`SET "a\x41" 'b\'c' d`)
	args, ok := splitArgs(line, nil)
	if !ok || len(args) != 4 || string(args[1]) != "aA" || string(args[2]) != "b'c" || string(args[3]) != "d" {
		t.Fatalf("%q %v", args, ok)
	}
}

func TestCommandKeys(t *testing.T) {
	in := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nvv\r\n*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$3\r\nabc\r\n*2\r\n$3\r\nGET\r\n$3\r\nab")
	got := CommandKeys(in, nil, 10)
	if len(got) != 2 || string(got[0]) != "k" || string(got[1]) != "abc" {
		t.Fatalf("keys = %q", got)
	}
	if got := CommandKeys(in, nil, 1); len(got) != 1 {
		t.Fatalf("max not honoured: %q", got)
	}
	for _, bad := range []string{"", "PING\r\n", "*x\r\n", "*2\r\n$-1\r\n", "*2\r\n$99999999999999\r\n", "*1\r"} {
		if got := CommandKeys([]byte(bad), nil, 10); len(got) != 0 {
			t.Fatalf("%q: keys = %q", bad, got)
		}
	}
}
