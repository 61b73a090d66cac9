package resp

import (
	"io"
	"math"
	"strconv"
)

// Writer encodes replies into one buffer, written to the underlying
// io.Writer by Flush, or as soon as the buffer holds more than bufSize bytes
// (which bounds memory for huge replies). It does not allocate in steady
// state. The first write error is sticky: later output is discarded and
// Flush returns the error. A Writer is not safe for concurrent use.
type Writer struct {
	w     io.Writer
	buf   []byte
	limit int
	proto int
	err   error
}

// NewWriter returns a Writer with a buffer of bufSize bytes (16 KiB if
// bufSize <= 0), speaking RESP2.
func NewWriter(w io.Writer, bufSize int) *Writer {
	if bufSize <= 0 {
		bufSize = defaultBufSize
	}
	if bufSize < minBufSize {
		bufSize = minBufSize
	}
	return &Writer{w: w, buf: make([]byte, 0, bufSize), limit: bufSize, proto: 2}
}

// SetProto selects the protocol version: 3 for RESP3, anything else RESP2.
func (w *Writer) SetProto(p int) {
	if p != 3 {
		p = 2
	}
	w.proto = p
}

// Proto returns the protocol version in use (2 or 3).
func (w *Writer) Proto() int { return w.proto }

// Buffered returns the number of bytes waiting for Flush.
func (w *Writer) Buffered() int { return len(w.buf) }

// Err returns the first write error, if any.
func (w *Writer) Err() error { return w.err }

// Flush writes the buffered replies to the underlying writer.
func (w *Writer) Flush() error {
	if len(w.buf) > 0 {
		w.writeOut()
	}
	return w.err
}

// Reset discards buffered output and any error, and makes w write to dst
// with RESP2.
func (w *Writer) Reset(dst io.Writer) {
	w.w = dst
	w.buf = w.buf[:0]
	w.err = nil
	w.proto = 2
}

// writeOut is kept out of line so that check stays cheap and inlinable.
//
//go:noinline
func (w *Writer) writeOut() {
	if w.err == nil {
		_, w.err = w.w.Write(w.buf)
	}
	w.buf = w.buf[:0]
}

// check flushes once the buffer grew past its limit.
func (w *Writer) check() {
	if len(w.buf) > w.limit {
		w.writeOut()
	}
}

// Pre-encoded replies.
const nShared = 1024

var (
	sharedInt   [nShared]string // ":n\r\n"
	sharedBulk  [nShared]string // "$n\r\n"
	sharedArray [nShared]string // "*n\r\n"
)

func init() {
	for i := range nShared {
		n := strconv.Itoa(i)
		sharedInt[i] = ":" + n + "\r\n"
		sharedBulk[i] = "$" + n + "\r\n"
		sharedArray[i] = "*" + n + "\r\n"
	}
}

func appendHeader(b []byte, prefix byte, n int64) []byte {
	b = append(b, prefix)
	b = strconv.AppendInt(b, n, 10)
	return append(b, '\r', '\n')
}

func appendBulkHeader(b []byte, n int) []byte {
	if uint(n) < nShared {
		return append(b, sharedBulk[n]...)
	}
	return appendHeader(b, '$', int64(n))
}

func appendArrayHeader(b []byte, n int) []byte {
	if uint(n) < nShared {
		return append(b, sharedArray[n]...)
	}
	return appendHeader(b, '*', int64(n))
}

// appendLine appends prefix, s with CR and LF replaced by spaces, and CRLF.
func appendLine(b []byte, prefix byte, s string) []byte {
	b = append(b, prefix)
	start := len(b)
	b = append(b, s...)
	for i := start; i < len(b); i++ {
		if c := b[i]; c == '\r' || c == '\n' {
			b[i] = ' '
		}
	}
	return append(b, '\r', '\n')
}

// Simple writes a simple string reply "+s". CR and LF in s, which would
// break the protocol, are replaced by spaces.
func (w *Writer) Simple(s string) {
	if s == "OK" {
		w.buf = append(w.buf, "+OK\r\n"...)
	} else {
		w.buf = appendLine(w.buf, '+', s)
	}
	w.check()
}

// Error writes an error reply "-msg". msg carries its own code, e.g.
// "ERR syntax error"; CR and LF in it are replaced by spaces like Redis does.
func (w *Writer) Error(msg string) {
	w.buf = appendLine(w.buf, '-', msg)
	w.check()
}

// Int writes an integer reply.
func (w *Writer) Int(n int64) {
	if uint64(n) < nShared {
		w.buf = append(w.buf, sharedInt[n]...)
	} else {
		w.buf = appendHeader(w.buf, ':', n)
	}
	w.check()
}

// Bulk writes a bulk string reply. Large payloads are written straight to
// the underlying writer instead of being copied.
func (w *Writer) Bulk(b []byte) {
	w.buf = appendBulkHeader(w.buf, len(b))
	if len(b) > w.limit {
		w.writeOut()
		if w.err == nil {
			_, w.err = w.w.Write(b)
		}
	} else {
		w.buf = append(w.buf, b...)
	}
	w.buf = append(w.buf, '\r', '\n')
	w.check()
}

// BulkString writes a bulk string reply.
func (w *Writer) BulkString(s string) {
	w.buf = appendBulkHeader(w.buf, len(s))
	if len(s) > w.limit {
		w.writeOut()
		if w.err == nil {
			_, w.err = io.WriteString(w.w, s)
		}
	} else {
		w.buf = append(w.buf, s...)
	}
	w.buf = append(w.buf, '\r', '\n')
	w.check()
}

// Null writes a null: "$-1" in RESP2, "_" in RESP3.
func (w *Writer) Null() {
	if w.proto == 3 {
		w.buf = append(w.buf, "_\r\n"...)
	} else {
		w.buf = append(w.buf, "$-1\r\n"...)
	}
	w.check()
}

// NullArray writes a null array: "*-1" in RESP2, "_" in RESP3.
func (w *Writer) NullArray() {
	if w.proto == 3 {
		w.buf = append(w.buf, "_\r\n"...)
	} else {
		w.buf = append(w.buf, "*-1\r\n"...)
	}
	w.check()
}

// ArrayLen starts an array of n elements.
func (w *Writer) ArrayLen(n int) {
	w.buf = appendArrayHeader(w.buf, n)
	w.check()
}

// MapLen starts a map of n key/value pairs: "%n" in RESP3, an array of 2n
// elements in RESP2.
func (w *Writer) MapLen(n int) {
	if w.proto == 3 {
		w.buf = appendHeader(w.buf, '%', int64(n))
	} else {
		w.buf = appendArrayHeader(w.buf, 2*n)
	}
	w.check()
}

// SetLen starts a set of n elements: "~n" in RESP3, an array in RESP2.
func (w *Writer) SetLen(n int) {
	if w.proto == 3 {
		w.buf = appendHeader(w.buf, '~', int64(n))
	} else {
		w.buf = appendArrayHeader(w.buf, n)
	}
	w.check()
}

// PushLen starts a push message of n elements: ">n" in RESP3, an array in
// RESP2.
func (w *Writer) PushLen(n int) {
	if w.proto == 3 {
		w.buf = appendHeader(w.buf, '>', int64(n))
	} else {
		w.buf = appendArrayHeader(w.buf, n)
	}
	w.check()
}

// AttrLen starts an attribute of n key/value pairs ("|n"). RESP3 only: the
// caller must not use it with RESP2 clients.
func (w *Writer) AttrLen(n int) {
	w.buf = appendHeader(w.buf, '|', int64(n))
	w.check()
}

// appendDouble formats f like Redis 7.0 (printf "%.17g"; "inf", "-inf",
// "nan").
func appendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	// Integral values below 1e15 print as plain integers under %.17g;
	// formatting them as integers is much faster.
	if f == math.Trunc(f) && f > -1e15 && f < 1e15 {
		if f == 0 && math.Signbit(f) {
			return append(b, "-0"...)
		}
		return strconv.AppendInt(b, int64(f), 10)
	}
	// Go's 'g' with an explicit precision matches C's %.17g, including
	// the two-digit minimum exponent.
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// Double writes a double: ",<repr>" in RESP3, a bulk string in RESP2.
func (w *Writer) Double(f float64) {
	if w.proto == 3 {
		w.buf = append(w.buf, ',')
		w.buf = appendDouble(w.buf, f)
		w.buf = append(w.buf, '\r', '\n')
	} else {
		var tmp [32]byte
		d := appendDouble(tmp[:0], f)
		w.buf = appendBulkHeader(w.buf, len(d))
		w.buf = append(w.buf, d...)
		w.buf = append(w.buf, '\r', '\n')
	}
	w.check()
}

// Bool writes a boolean: "#t"/"#f" in RESP3, ":1"/":0" in RESP2.
func (w *Writer) Bool(b bool) {
	var s string
	switch {
	case w.proto == 3 && b:
		s = "#t\r\n"
	case w.proto == 3:
		s = "#f\r\n"
	case b:
		s = ":1\r\n"
	default:
		s = ":0\r\n"
	}
	w.buf = append(w.buf, s...)
	w.check()
}

// BigNumber writes a big number: "(s" in RESP3, a bulk string in RESP2.
func (w *Writer) BigNumber(s string) {
	if w.proto == 3 {
		w.buf = appendLine(w.buf, '(', s)
		w.check()
		return
	}
	w.BulkString(s)
}

// Verbatim writes a verbatim string "=<len>\r\n<fmt>:<s>" in RESP3 (format
// is padded or cut to three bytes, e.g. "txt" or "mkd"), a bulk string in
// RESP2.
func (w *Writer) Verbatim(format, s string) {
	if w.proto != 3 {
		w.BulkString(s)
		return
	}
	w.buf = appendHeader(w.buf, '=', int64(len(s)+4))
	for i := range 3 {
		c := byte(' ')
		if i < len(format) {
			c = format[i]
		}
		w.buf = append(w.buf, c)
	}
	w.buf = append(w.buf, ':')
	if len(s) > w.limit {
		w.writeOut()
		if w.err == nil {
			_, w.err = io.WriteString(w.w, s)
		}
	} else {
		w.buf = append(w.buf, s...)
	}
	w.buf = append(w.buf, '\r', '\n')
	w.check()
}

// Raw writes pre-encoded bytes as they are.
func (w *Writer) Raw(b []byte) {
	if len(b) > w.limit {
		w.writeOut()
		if w.err == nil {
			_, w.err = w.w.Write(b)
		}
		return
	}
	w.buf = append(w.buf, b...)
	w.check()
}

// WriteValue encodes v exactly as its Kind says, whatever Proto() is (a '$'
// null is written "$-1", a '_' null "_", a map "%n"...). Strings are written
// as they are (no CR/LF replacement); a double is written from its Str text
// when it has one, else from Float; a verbatim string with an empty Format
// uses "txt".
func (w *Writer) WriteValue(v Value) {
	switch v.Kind {
	case KindSimple, KindError, KindBigNumber:
		w.buf = append(w.buf, byte(v.Kind))
		w.buf = append(w.buf, v.Str...)
		w.buf = append(w.buf, '\r', '\n')
	case KindInt:
		w.buf = appendHeader(w.buf, ':', v.Int)
	case KindNull:
		w.buf = append(w.buf, "_\r\n"...)
	case KindDouble:
		w.buf = append(w.buf, ',')
		if len(v.Str) > 0 {
			w.buf = append(w.buf, v.Str...)
		} else {
			w.buf = appendDouble(w.buf, v.Float)
		}
		w.buf = append(w.buf, '\r', '\n')
	case KindBool:
		if v.Int != 0 {
			w.buf = append(w.buf, "#t\r\n"...)
		} else {
			w.buf = append(w.buf, "#f\r\n"...)
		}
	case KindBulk, KindBlobError:
		if v.Null {
			w.buf = append(w.buf, "$-1\r\n"...)
			break
		}
		w.buf = appendHeader(w.buf, byte(v.Kind), int64(len(v.Str)))
		w.buf = append(w.buf, v.Str...)
		w.buf = append(w.buf, '\r', '\n')
	case KindVerbatim:
		f := v.Format
		if f == "" {
			f = "txt"
		}
		w.buf = appendHeader(w.buf, '=', int64(len(v.Str)+4))
		for i := range 3 {
			c := byte(' ')
			if i < len(f) {
				c = f[i]
			}
			w.buf = append(w.buf, c)
		}
		w.buf = append(w.buf, ':')
		w.buf = append(w.buf, v.Str...)
		w.buf = append(w.buf, '\r', '\n')
	case KindArray, KindSet, KindPush, KindMap, KindAttr:
		if v.Null {
			w.buf = append(w.buf, "*-1\r\n"...)
			break
		}
		n, cnt := len(v.Elems), len(v.Elems)
		if v.Kind == KindMap || v.Kind == KindAttr {
			n = cnt / 2
			cnt = 2 * n // an odd trailing key is dropped
		}
		w.buf = appendHeader(w.buf, byte(v.Kind), int64(n))
		w.check()
		for _, e := range v.Elems[:cnt] {
			w.WriteValue(e)
		}
		return
	default:
		w.buf = append(w.buf, "_\r\n"...)
	}
	w.check()
}
