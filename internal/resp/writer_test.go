package resp

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

func TestWriterEncoding(t *testing.T) {
	long := strings.Repeat("x", 40000)
	tests := []struct {
		name   string
		fn     func(w *Writer)
		r2, r3 string
	}{
		{"simple", func(w *Writer) { w.Simple("PONG") }, "+PONG\r\n", "+PONG\r\n"},
		{"simple-ok", func(w *Writer) { w.Simple("OK") }, "+OK\r\n", "+OK\r\n"},
		{"simple-newlines", func(w *Writer) { w.Simple("a\r\nb") }, "+a  b\r\n", "+a  b\r\n"},
		{"error", func(w *Writer) { w.Error("ERR syntax error") }, "-ERR syntax error\r\n", "-ERR syntax error\r\n"},
		{"error-newlines", func(w *Writer) { w.Error("ERR Protocol error: expected '$', got '\n'") },
			"-ERR Protocol error: expected '$', got ' '\r\n", "-ERR Protocol error: expected '$', got ' '\r\n"},
		{"error-code", func(w *Writer) { w.Error("WRONGTYPE Operation against a key holding the wrong kind of value") },
			"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"int-0", func(w *Writer) { w.Int(0) }, ":0\r\n", ":0\r\n"},
		{"int-1", func(w *Writer) { w.Int(1) }, ":1\r\n", ":1\r\n"},
		{"int-1023", func(w *Writer) { w.Int(1023) }, ":1023\r\n", ":1023\r\n"},
		{"int-1024", func(w *Writer) { w.Int(1024) }, ":1024\r\n", ":1024\r\n"},
		{"int-neg", func(w *Writer) { w.Int(-1) }, ":-1\r\n", ":-1\r\n"},
		{"int-min", func(w *Writer) { w.Int(math.MinInt64) }, ":-9223372036854775808\r\n", ":-9223372036854775808\r\n"},
		{"int-max", func(w *Writer) { w.Int(math.MaxInt64) }, ":9223372036854775807\r\n", ":9223372036854775807\r\n"},
		{"bulk", func(w *Writer) { w.Bulk([]byte("hello")) }, "$5\r\nhello\r\n", "$5\r\nhello\r\n"},
		{"bulk-empty", func(w *Writer) { w.Bulk(nil) }, "$0\r\n\r\n", "$0\r\n\r\n"},
		{"bulk-binary", func(w *Writer) { w.Bulk([]byte("a\r\n\x00")) }, "$4\r\na\r\n\x00\r\n", "$4\r\na\r\n\x00\r\n"},
		{"bulk-long", func(w *Writer) { w.Bulk([]byte(long)) }, "$40000\r\n" + long + "\r\n", "$40000\r\n" + long + "\r\n"},
		{"bulkstring", func(w *Writer) { w.BulkString("héllo") }, "$6\r\nhéllo\r\n", "$6\r\nhéllo\r\n"},
		{"bulkstring-long", func(w *Writer) { w.BulkString(long) }, "$40000\r\n" + long + "\r\n", "$40000\r\n" + long + "\r\n"},
		{"null", func(w *Writer) { w.Null() }, "$-1\r\n", "_\r\n"},
		{"null-array", func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
		{"array", func(w *Writer) { w.ArrayLen(2); w.Int(1); w.BulkString("a") }, "*2\r\n:1\r\n$1\r\na\r\n", "*2\r\n:1\r\n$1\r\na\r\n"},
		{"array-empty", func(w *Writer) { w.ArrayLen(0) }, "*0\r\n", "*0\r\n"},
		{"array-big", func(w *Writer) { w.ArrayLen(100000) }, "*100000\r\n", "*100000\r\n"},
		{"map", func(w *Writer) { w.MapLen(1); w.BulkString("k"); w.Int(5) }, "*2\r\n$1\r\nk\r\n:5\r\n", "%1\r\n$1\r\nk\r\n:5\r\n"},
		{"map-big", func(w *Writer) { w.MapLen(600) }, "*1200\r\n", "%600\r\n"},
		{"set", func(w *Writer) { w.SetLen(1); w.BulkString("m") }, "*1\r\n$1\r\nm\r\n", "~1\r\n$1\r\nm\r\n"},
		{"push", func(w *Writer) { w.PushLen(3) }, "*3\r\n", ">3\r\n"},
		{"attr", func(w *Writer) { w.AttrLen(1) }, "|1\r\n", "|1\r\n"},
		{"double", func(w *Writer) { w.Double(1.5) }, "$3\r\n1.5\r\n", ",1.5\r\n"},
		{"double-int", func(w *Writer) { w.Double(3) }, "$1\r\n3\r\n", ",3\r\n"},
		{"double-0.1", func(w *Writer) { w.Double(0.1) }, "$19\r\n0.10000000000000001\r\n", ",0.10000000000000001\r\n"},
		{"double-1e16", func(w *Writer) { w.Double(1e16) }, "$17\r\n10000000000000000\r\n", ",10000000000000000\r\n"},
		{"double-1e17", func(w *Writer) { w.Double(1e17) }, "$5\r\n1e+17\r\n", ",1e+17\r\n"},
		{"double-big", func(w *Writer) { w.Double(123456789012345678) }, "$22\r\n1.2345678901234568e+17\r\n", ",1.2345678901234568e+17\r\n"},
		{"double-small", func(w *Writer) { w.Double(1e-5) }, "$22\r\n1.0000000000000001e-05\r\n", ",1.0000000000000001e-05\r\n"},
		{"double-denormal", func(w *Writer) { w.Double(5e-324) }, "$23\r\n4.9406564584124654e-324\r\n", ",4.9406564584124654e-324\r\n"},
		{"double-max", func(w *Writer) { w.Double(math.MaxFloat64) }, "$23\r\n1.7976931348623157e+308\r\n", ",1.7976931348623157e+308\r\n"},
		{"double-neg-zero", func(w *Writer) { w.Double(math.Copysign(0, -1)) }, "$2\r\n-0\r\n", ",-0\r\n"},
		{"double-inf", func(w *Writer) { w.Double(math.Inf(1)) }, "$3\r\ninf\r\n", ",inf\r\n"},
		{"double-neg-inf", func(w *Writer) { w.Double(math.Inf(-1)) }, "$4\r\n-inf\r\n", ",-inf\r\n"},
		{"double-nan", func(w *Writer) { w.Double(math.NaN()) }, "$3\r\nnan\r\n", ",nan\r\n"},
		{"bool-true", func(w *Writer) { w.Bool(true) }, ":1\r\n", "#t\r\n"},
		{"bool-false", func(w *Writer) { w.Bool(false) }, ":0\r\n", "#f\r\n"},
		{"bignum", func(w *Writer) { w.BigNumber("3492890328409238509324850943850943825024385") },
			"$43\r\n3492890328409238509324850943850943825024385\r\n", "(3492890328409238509324850943850943825024385\r\n"},
		{"verbatim", func(w *Writer) { w.Verbatim("txt", "Some string") }, "$11\r\nSome string\r\n", "=15\r\ntxt:Some string\r\n"},
		{"verbatim-short-format", func(w *Writer) { w.Verbatim("md", "x") }, "$1\r\nx\r\n", "=5\r\nmd :x\r\n"},
		{"verbatim-long-format", func(w *Writer) { w.Verbatim("markdown", "x") }, "$1\r\nx\r\n", "=5\r\nmar:x\r\n"},
		{"verbatim-long", func(w *Writer) { w.Verbatim("txt", long) }, "$40000\r\n" + long + "\r\n", "=40004\r\ntxt:" + long + "\r\n"},
		{"raw", func(w *Writer) { w.Raw([]byte("+QUEUED\r\n")) }, "+QUEUED\r\n", "+QUEUED\r\n"},
		{"raw-long", func(w *Writer) { w.Raw([]byte(long)) }, long, long},
	}
	for _, tt := range tests {
		for _, proto := range []int{2, 3} {
			want := tt.r2
			if proto == 3 {
				want = tt.r3
			}
			for _, size := range []int{0, 16, 100} {
				var out bytes.Buffer
				w := NewWriter(&out, size)
				w.SetProto(proto)
				w.Simple("A") // something buffered before
				tt.fn(w)
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				if got := out.String(); got != "+A\r\n"+want {
					t.Errorf("%s RESP%d size %d:\n got %q\nwant %q", tt.name, proto, size, trunc(got), trunc("+A\r\n"+want))
				}
				if w.Buffered() != 0 {
					t.Errorf("%s: Buffered after Flush = %d", tt.name, w.Buffered())
				}
			}
		}
	}
}

func trunc(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

func TestWriterProto(t *testing.T) {
	w := NewWriter(io.Discard, 0)
	if w.Proto() != 2 {
		t.Fatalf("default proto %d", w.Proto())
	}
	w.SetProto(3)
	if w.Proto() != 3 {
		t.Fatal("SetProto(3)")
	}
	w.SetProto(7)
	if w.Proto() != 2 {
		t.Fatal("SetProto(7) should mean RESP2")
	}
	w.SetProto(3)
	w.Reset(io.Discard)
	if w.Proto() != 2 {
		t.Fatal("Reset keeps RESP3")
	}
}

type countingWriter struct {
	writes int
	max    int
	n      int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	c.n += len(p)
	c.max = max(c.max, len(p))
	return len(p), nil
}

func TestWriterBoundedBuffer(t *testing.T) {
	cw := &countingWriter{}
	w := NewWriter(cw, 1024)
	for range 10000 {
		w.BulkString("some value of moderate size")
	}
	if cw.writes == 0 {
		t.Fatal("nothing written before Flush")
	}
	if cap(w.buf) > 2048 {
		t.Fatalf("buffer grew to %d", cap(w.buf))
	}
	big := make([]byte, 1<<20)
	w.Bulk(big)
	if cap(w.buf) > 2048 {
		t.Fatalf("buffer grew to %d for a big bulk", cap(w.buf))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := 10000*len("$27\r\nsome value of moderate size\r\n") + len("$1048576\r\n") + 1<<20 + 2; cw.n != want {
		t.Fatalf("wrote %d bytes, want %d", cw.n, want)
	}
}

type failWriter struct{ n int }

var errWrite = errors.New("broken pipe")

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errWrite
}

func TestWriterStickyError(t *testing.T) {
	fw := &failWriter{}
	w := NewWriter(fw, 16)
	w.BulkString("0123456789012345678901234567890")
	w.Simple("OK")
	if err := w.Flush(); err != errWrite {
		t.Fatalf("Flush err = %v", err)
	}
	if fw.n != 1 {
		t.Fatalf("%d writes after the first error", fw.n-1)
	}
	if w.Err() != errWrite {
		t.Fatal("Err")
	}
	var out bytes.Buffer
	w.Reset(&out)
	w.Int(7)
	if err := w.Flush(); err != nil || out.String() != ":7\r\n" {
		t.Fatalf("after Reset: %q %v", out.String(), err)
	}
}

func TestWriterNoAllocs(t *testing.T) {
	w := NewWriter(io.Discard, 0)
	val := []byte("value")
	for _, proto := range []int{2, 3} {
		w.SetProto(proto)
		n := testing.AllocsPerRun(100, func() {
			w.Simple("OK")
			w.Error("ERR x")
			w.Int(5)
			w.Int(123456789)
			w.Bulk(val)
			w.BulkString("abc")
			w.Null()
			w.NullArray()
			w.ArrayLen(3)
			w.MapLen(2)
			w.SetLen(2)
			w.PushLen(2)
			w.Double(3.25)
			w.Double(math.Inf(1))
			w.Bool(true)
			w.BigNumber("12345")
			w.Verbatim("txt", "hello")
			w.Raw(val)
			_ = w.Flush()
		})
		if n != 0 {
			t.Errorf("RESP%d: %v allocations per batch", proto, n)
		}
	}
}
