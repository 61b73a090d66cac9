package resp

import (
	"bytes"
	"io"
	"math"
	"strings"
	"testing"
)

func bulk(s string) Value   { return Value{Kind: KindBulk, Str: []byte(s)} }
func simple(s string) Value { return Value{Kind: KindSimple, Str: []byte(s)} }
func integer(n int64) Value { return Value{Kind: KindInt, Int: n} }
func agg(k Kind, e ...Value) Value {
	if e == nil {
		e = []Value{}
	}
	return Value{Kind: k, Elems: e}
}

// equalValue compares values, treating NaN doubles as equal and nil and
// empty slices alike.
func equalValue(a, b Value) bool {
	if a.Kind != b.Kind || !bytes.Equal(a.Str, b.Str) || a.Int != b.Int || a.Null != b.Null ||
		a.Format != b.Format || len(a.Elems) != len(b.Elems) {
		return false
	}
	if a.Float != b.Float && !(math.IsNaN(a.Float) && math.IsNaN(b.Float)) {
		return false
	}
	for i := range a.Elems {
		if !equalValue(a.Elems[i], b.Elems[i]) {
			return false
		}
	}
	return true
}

func TestReadValue(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Value
		err  string // "" means io.EOF after the values
	}{
		{name: "simple", in: "+OK\r\n", want: []Value{simple("OK")}},
		{name: "simple-cr-inside", in: "+a\rb\r\n", want: []Value{simple("a\rb")}},
		{name: "error", in: "-ERR bad\r\n", want: []Value{{Kind: KindError, Str: []byte("ERR bad")}}},
		{name: "int", in: ":-42\r\n:+7\r\n", want: []Value{integer(-42), integer(7)}},
		{name: "bulk", in: "$5\r\nhel\r\n\r\n", want: []Value{bulk("hel\r\n")}},
		{name: "bulk-empty", in: "$0\r\n\r\n", want: []Value{bulk("")}},
		{name: "bulk-null", in: "$-1\r\n", want: []Value{{Kind: KindBulk, Null: true}}},
		{name: "array-null", in: "*-1\r\n", want: []Value{{Kind: KindArray, Null: true}}},
		{name: "array", in: "*2\r\n:1\r\n*1\r\n$1\r\nx\r\n", want: []Value{agg(KindArray, integer(1), agg(KindArray, bulk("x")))}},
		{name: "array-empty", in: "*0\r\n", want: []Value{agg(KindArray)}},
		{name: "null", in: "_\r\n", want: []Value{{Kind: KindNull, Null: true}}},
		{name: "double", in: ",1.5\r\n,inf\r\n,-inf\r\n,1e3\r\n", want: []Value{
			{Kind: KindDouble, Str: []byte("1.5"), Float: 1.5},
			{Kind: KindDouble, Str: []byte("inf"), Float: math.Inf(1)},
			{Kind: KindDouble, Str: []byte("-inf"), Float: math.Inf(-1)},
			{Kind: KindDouble, Str: []byte("1e3"), Float: 1000},
		}},
		{name: "double-nan", in: ",nan\r\n", want: []Value{{Kind: KindDouble, Str: []byte("nan"), Float: math.NaN()}}},
		{name: "bool", in: "#t\r\n#f\r\n", want: []Value{{Kind: KindBool, Int: 1}, {Kind: KindBool, Int: 0}}},
		{name: "blob-error", in: "!21\r\nSYNTAX invalid syntax\r\n", want: []Value{{Kind: KindBlobError, Str: []byte("SYNTAX invalid syntax")}}},
		{name: "verbatim", in: "=15\r\ntxt:Some string\r\n", want: []Value{{Kind: KindVerbatim, Format: "txt", Str: []byte("Some string")}}},
		{name: "verbatim-empty", in: "=4\r\nmkd:\r\n", want: []Value{{Kind: KindVerbatim, Format: "mkd", Str: []byte{}}}},
		{name: "bignum", in: "(3492890328409238509324850943850943825024385\r\n", want: []Value{{Kind: KindBigNumber, Str: []byte("3492890328409238509324850943850943825024385")}}},
		{name: "map", in: "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n", want: []Value{agg(KindMap, simple("first"), integer(1), simple("second"), integer(2))}},
		{name: "set", in: "~2\r\n+a\r\n:1\r\n", want: []Value{agg(KindSet, simple("a"), integer(1))}},
		{name: "push", in: ">2\r\n+message\r\n$2\r\nhi\r\n", want: []Value{agg(KindPush, simple("message"), bulk("hi"))}},
		{name: "attribute-skipped", in: "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n",
			want: []Value{agg(KindArray, integer(2039123), integer(9543892))}},
		{name: "attribute-inside-array", in: "*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n|0\r\n|0\r\n:2\r\n", want: []Value{agg(KindArray, integer(1), integer(2))}},
		{name: "sequence", in: "+OK\r\n:1\r\n$1\r\na\r\n", want: []Value{simple("OK"), integer(1), bulk("a")}},

		{name: "empty-line", in: "\r\n", err: "Protocol error: empty line"},
		{name: "lf-only", in: "+OK\n", err: "Protocol error: line not terminated by CRLF"},
		{name: "bad-type", in: "?x\r\n", err: "Protocol error: unknown type byte"},
		{name: "bad-int", in: ":abc\r\n", err: "Protocol error: invalid integer"},
		{name: "int-overflow", in: ":9223372036854775808\r\n", err: "Protocol error: invalid integer"},
		{name: "bad-bulk-len", in: "$-2\r\n", err: msgInvalidBulk},
		{name: "bulk-no-crlf", in: "$1\r\nabc\r\n", err: "Protocol error: bulk string not terminated by CRLF"},
		{name: "bad-bool", in: "#x\r\n", err: "Protocol error: invalid boolean"},
		{name: "bad-null", in: "_x\r\n", err: "Protocol error: invalid null"},
		{name: "bad-double", in: ",abc\r\n", err: "Protocol error: invalid double"},
		{name: "bad-bignum", in: "(12a\r\n", err: "Protocol error: invalid big number"},
		{name: "bad-verbatim", in: "=3\r\ntxt\r\n", err: "Protocol error: invalid verbatim string"},
		{name: "bad-verbatim-colon", in: "=5\r\ntxt-x\r\n", err: "Protocol error: invalid verbatim string"},
		{name: "bad-aggregate", in: "%-1\r\n", err: "Protocol error: invalid aggregate length"},
		{name: "too-deep", in: strings.Repeat("*1\r\n", maxValueDepth+1) + ":1\r\n", err: "Protocol error: nesting too deep"},
		{name: "truncated-bulk", in: "$10\r\nabc", err: io.ErrUnexpectedEOF.Error()},
		{name: "truncated-array", in: "*3\r\n:1\r\n", err: io.ErrUnexpectedEOF.Error()},
		{name: "truncated-line", in: "+OK", err: io.ErrUnexpectedEOF.Error()},
	}
	for _, tt := range tests {
		for mode := range nFeeds {
			r := newFeedReader([]byte(tt.in), mode)
			var got []Value
			var err error
			for {
				var v Value
				if v, err = r.ReadValue(); err != nil {
					break
				}
				got = append(got, v)
			}
			if len(got) != len(tt.want) {
				t.Errorf("%s/%d: got %d values (%v), want %d", tt.name, mode, len(got), got, len(tt.want))
				continue
			}
			for i := range got {
				if !equalValue(got[i], tt.want[i]) {
					t.Errorf("%s/%d: value %d = %#v, want %#v", tt.name, mode, i, got[i], tt.want[i])
				}
			}
			want := tt.err
			if want == "" {
				want = io.EOF.Error()
			}
			if err == nil || err.Error() != want {
				t.Errorf("%s/%d: err = %v, want %s", tt.name, mode, err, want)
			}
		}
	}
}

func TestReadValueRetryAfterIOError(t *testing.T) {
	in := "*3\r\n$3\r\nfoo\r\n%1\r\n+k\r\n,2.5\r\n=6\r\ntxt:hi\r\n"
	for at := 0; at < len(in); at++ {
		r := NewReader(&errOnceReader{data: []byte(in), at: at}, 16)
		if _, err := r.ReadValue(); err != errTimeout {
			t.Fatalf("at %d: err = %v", at, err)
		}
		v, err := r.ReadValue()
		if err != nil || v.String() != "1) \"foo\"\n2) 1# k => (double) 2.5\n3) hi" {
			t.Fatalf("at %d: %q %v", at, v.String(), err)
		}
	}
}

// TestRoundTrip writes replies with the Writer and reads them back.
func TestRoundTrip(t *testing.T) {
	type step struct {
		fn     func(w *Writer)
		r2, r3 Value
	}
	null2 := Value{Kind: KindBulk, Null: true}
	nullArr2 := Value{Kind: KindArray, Null: true}
	null3 := Value{Kind: KindNull, Null: true}
	steps := []step{
		{func(w *Writer) { w.Simple("OK") }, simple("OK"), simple("OK")},
		{func(w *Writer) { w.Error("ERR x") }, Value{Kind: KindError, Str: []byte("ERR x")}, Value{Kind: KindError, Str: []byte("ERR x")}},
		{func(w *Writer) { w.Int(-9) }, integer(-9), integer(-9)},
		{func(w *Writer) { w.Bulk([]byte("a\r\nb")) }, bulk("a\r\nb"), bulk("a\r\nb")},
		{func(w *Writer) { w.BulkString("") }, bulk(""), bulk("")},
		{func(w *Writer) { w.Null() }, null2, null3},
		{func(w *Writer) { w.NullArray() }, nullArr2, null3},
		{func(w *Writer) { w.ArrayLen(2); w.Int(1); w.ArrayLen(0) }, agg(KindArray, integer(1), agg(KindArray)), agg(KindArray, integer(1), agg(KindArray))},
		{func(w *Writer) { w.MapLen(1); w.BulkString("k"); w.Double(0.5) },
			agg(KindArray, bulk("k"), bulk("0.5")),
			agg(KindMap, bulk("k"), Value{Kind: KindDouble, Str: []byte("0.5"), Float: 0.5})},
		{func(w *Writer) { w.SetLen(1); w.Bool(true) }, agg(KindArray, integer(1)), agg(KindSet, Value{Kind: KindBool, Int: 1})},
		{func(w *Writer) { w.PushLen(1); w.Simple("pong") }, agg(KindArray, simple("pong")), agg(KindPush, simple("pong"))},
		{func(w *Writer) { w.Double(math.Inf(-1)) }, bulk("-inf"), Value{Kind: KindDouble, Str: []byte("-inf"), Float: math.Inf(-1)}},
		{func(w *Writer) { w.BigNumber("-123") }, bulk("-123"), Value{Kind: KindBigNumber, Str: []byte("-123")}},
		{func(w *Writer) { w.Verbatim("txt", "hi\n") }, bulk("hi\n"), Value{Kind: KindVerbatim, Format: "txt", Str: []byte("hi\n")}},
	}
	for _, proto := range []int{2, 3} {
		var buf bytes.Buffer
		w := NewWriter(&buf, 32)
		w.SetProto(proto)
		for _, s := range steps {
			s.fn(w)
		}
		if proto == 3 {
			// An attribute before a value is skipped by ReadValue.
			w.AttrLen(1)
			w.BulkString("ttl")
			w.Int(3)
			w.Int(77)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		r := NewReader(&buf, 16)
		for i, s := range steps {
			want := s.r2
			if proto == 3 {
				want = s.r3
			}
			got, err := r.ReadValue()
			if err != nil || !equalValue(got, want) {
				t.Errorf("RESP%d step %d: got %#v (%v), want %#v", proto, i, got, err, want)
			}
		}
		if proto == 3 {
			if got, err := r.ReadValue(); err != nil || !equalValue(got, integer(77)) {
				t.Errorf("attributed value: %#v %v", got, err)
			}
		}
		if _, err := r.ReadValue(); err != io.EOF {
			t.Errorf("RESP%d: trailing err %v", proto, err)
		}
	}
}

func TestWriteValueRoundTrip(t *testing.T) {
	vals := []Value{
		simple("OK"),
		{Kind: KindError, Str: []byte("ERR x")},
		integer(math.MinInt64),
		bulk("bin\x00\r\n"),
		{Kind: KindBulk, Null: true},
		{Kind: KindArray, Null: true},
		{Kind: KindNull, Null: true},
		{Kind: KindDouble, Str: []byte("1.50"), Float: 1.5},
		{Kind: KindBool, Int: 1},
		{Kind: KindBlobError, Str: []byte("SYNTAX x")},
		{Kind: KindVerbatim, Format: "mkd", Str: []byte("# hi")},
		{Kind: KindBigNumber, Str: []byte("123456789012345678901234567890")},
		agg(KindMap, bulk("a"), agg(KindSet, integer(1)), simple("b"), agg(KindPush)),
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, 0)
	for _, v := range vals {
		w.WriteValue(v)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf, 0)
	for i, want := range vals {
		got, err := r.ReadValue()
		if err != nil || !equalValue(got, want) {
			t.Errorf("value %d: got %#v %v, want %#v", i, got, err, want)
		}
	}
}

func TestValueString(t *testing.T) {
	many := make([]Value, 10)
	for i := range many {
		many[i] = integer(int64(i))
	}
	tests := []struct {
		v    Value
		want string
	}{
		{simple("PONG"), "PONG"},
		{Value{Kind: KindError, Str: []byte("ERR bad")}, "(error) ERR bad"},
		{integer(3), "(integer) 3"},
		{bulk("a\"b\n\x01\xff"), `"a\"b\n\x01\xff"`},
		{Value{Kind: KindBulk, Null: true}, "(nil)"},
		{Value{Kind: KindNull, Null: true}, "(nil)"},
		{Value{Kind: KindArray, Null: true}, "(nil)"},
		{Value{Kind: KindDouble, Str: []byte("1.5"), Float: 1.5}, "(double) 1.5"},
		{Value{Kind: KindDouble, Float: 2.5}, "(double) 2.5"},
		{Value{Kind: KindBool, Int: 1}, "(true)"},
		{Value{Kind: KindBool}, "(false)"},
		{Value{Kind: KindBigNumber, Str: []byte("123")}, "(big number) 123"},
		{Value{Kind: KindVerbatim, Format: "txt", Str: []byte("hi")}, "hi"},
		{agg(KindArray), "(empty array)"},
		{agg(KindSet), "(empty set)"},
		{agg(KindMap), "(empty hash)"},
		{agg(KindArray, bulk("a"), bulk("b")), "1) \"a\"\n2) \"b\""},
		{agg(KindArray, integer(1), agg(KindArray, integer(2), bulk("x"), agg(KindArray))),
			"1) (integer) 1\n2) 1) (integer) 2\n   2) \"x\"\n   3) (empty array)"},
		{agg(KindMap, bulk("f"), bulk("v"), bulk("g"), bulk("w")), "1# \"f\" => \"v\"\n2# \"g\" => \"w\""},
		{agg(KindSet, bulk("a")), "1~ \"a\""},
		{agg(KindArray, many...), " 1) (integer) 0\n 2) (integer) 1\n 3) (integer) 2\n 4) (integer) 3\n 5) (integer) 4\n" +
			" 6) (integer) 5\n 7) (integer) 6\n 8) (integer) 7\n 9) (integer) 8\n10) (integer) 9"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
