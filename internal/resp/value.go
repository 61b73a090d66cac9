package resp

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
)

// maxValueDepth bounds the nesting of aggregates accepted by ReadValue.
const maxValueDepth = 1000

var (
	errEmptyLine     = &ProtocolError{"Protocol error: empty line"}
	errLineTerm      = &ProtocolError{"Protocol error: line not terminated by CRLF"}
	errLineTooLong   = &ProtocolError{"Protocol error: line too long"}
	errBadInt        = &ProtocolError{"Protocol error: invalid integer"}
	errBadDouble     = &ProtocolError{"Protocol error: invalid double"}
	errBadBool       = &ProtocolError{"Protocol error: invalid boolean"}
	errBadNull       = &ProtocolError{"Protocol error: invalid null"}
	errBadBigNum     = &ProtocolError{"Protocol error: invalid big number"}
	errBadVerbatim   = &ProtocolError{"Protocol error: invalid verbatim string"}
	errBulkTerm      = &ProtocolError{"Protocol error: bulk string not terminated by CRLF"}
	errAggregateLen  = &ProtocolError{"Protocol error: invalid aggregate length"}
	errTooDeep       = &ProtocolError{"Protocol error: nesting too deep"}
	errUnknownPrefix = &ProtocolError{"Protocol error: unknown type byte"}
)

// ReadValue reads one complete RESP2/RESP3 value of any type, copying all
// data (the result stays valid after further reads). Attributes ('|') are
// read and discarded; the value that follows them is returned. Streamed
// strings and aggregates ('$?', '*?') are not supported.
//
// Input is consumed only once a whole value has been read, so after an I/O
// error (e.g. a deadline) the call may be retried. A stream that ends inside
// a value yields io.ErrUnexpectedEOF. ReadValue must not be mixed with a
// partially read command.
func (r *Reader) ReadValue() (Value, error) {
	if r.perr != nil {
		return Value{}, r.perr
	}
	off := 0
	v, err := r.readValue(&off, 0)
	if err != nil {
		if err == io.EOF && r.w > r.r {
			err = io.ErrUnexpectedEOF
		}
		return Value{}, err
	}
	r.r += off
	r.pos = r.r
	return v, nil
}

// readValue parses the value at r.r+*off, advancing *off past it.
func (r *Reader) readValue(off *int, depth int) (Value, error) {
	for {
		line, err := r.valueLine(off)
		if err != nil {
			return Value{}, err
		}
		if len(line) == 0 {
			return Value{}, errEmptyLine
		}
		k, body := Kind(line[0]), line[1:]
		switch k {
		case KindSimple, KindError:
			return Value{Kind: k, Str: bytes.Clone(body)}, nil
		case KindInt:
			n, ok := parseInt(body)
			if !ok {
				return Value{}, errBadInt
			}
			return Value{Kind: k, Int: n}, nil
		case KindNull:
			if len(body) != 0 {
				return Value{}, errBadNull
			}
			return Value{Kind: k, Null: true}, nil
		case KindDouble:
			f, ok := parseDouble(body)
			if !ok {
				return Value{}, errBadDouble
			}
			return Value{Kind: k, Str: bytes.Clone(body), Float: f}, nil
		case KindBool:
			if len(body) == 1 && body[0] == 't' {
				return Value{Kind: k, Int: 1}, nil
			}
			if len(body) == 1 && body[0] == 'f' {
				return Value{Kind: k, Int: 0}, nil
			}
			return Value{}, errBadBool
		case KindBigNumber:
			if !validBigNumber(body) {
				return Value{}, errBadBigNum
			}
			return Value{Kind: k, Str: bytes.Clone(body)}, nil
		case KindBulk, KindBlobError, KindVerbatim:
			n, ok := parseInt(body)
			if ok && n == -1 && k == KindBulk {
				return Value{Kind: k, Null: true}, nil
			}
			if !ok || n < 0 || n > r.lim.MaxBulkLen {
				return Value{}, errInvalidBulk
			}
			data, err := r.valueBytes(off, int(n)+2)
			if err != nil {
				return Value{}, err
			}
			if data[n] != '\r' || data[n+1] != '\n' {
				return Value{}, errBulkTerm
			}
			data = data[:n]
			if k == KindVerbatim {
				if n < 4 || data[3] != ':' {
					return Value{}, errBadVerbatim
				}
				return Value{Kind: k, Format: string(data[:3]), Str: bytes.Clone(data[4:])}, nil
			}
			return Value{Kind: k, Str: bytes.Clone(data)}, nil
		case KindArray, KindSet, KindPush, KindMap, KindAttr:
			n, ok := parseInt(body)
			if ok && n == -1 && k == KindArray {
				return Value{Kind: k, Null: true}, nil
			}
			if !ok || n < 0 || n > math.MaxInt32 {
				return Value{}, errAggregateLen
			}
			if depth >= maxValueDepth {
				return Value{}, errTooDeep
			}
			if k == KindMap || k == KindAttr {
				n *= 2
			}
			if k == KindAttr {
				for i := int64(0); i < n; i++ {
					if _, err := r.readValue(off, depth+1); err != nil {
						return Value{}, err
					}
				}
				continue // the attributed value follows
			}
			// Never trust the declared count for allocation.
			elems := make([]Value, 0, min(n, 8))
			for i := int64(0); i < n; i++ {
				e, err := r.readValue(off, depth+1)
				if err != nil {
					return Value{}, err
				}
				elems = append(elems, e)
			}
			return Value{Kind: k, Elems: elems}, nil
		default:
			return Value{}, errUnknownPrefix
		}
	}
}

// valueLine returns the CRLF-terminated line at r.r+*off, without its
// terminator, and advances *off past it. The slice is valid until the next
// fill.
func (r *Reader) valueLine(off *int) ([]byte, error) {
	scanned := 0
	for {
		start := r.r + *off
		if i := bytes.IndexByte(r.buf[start+scanned:r.w], '\n'); i >= 0 {
			i += start + scanned
			if i == start || r.buf[i-1] != '\r' {
				return nil, errLineTerm
			}
			*off = i + 1 - r.r
			return r.buf[start : i-1], nil
		}
		scanned = r.w - start
		if int64(scanned) > r.lim.MaxBulkLen {
			return nil, errLineTooLong
		}
		if err := r.fill(0); err != nil {
			return nil, err
		}
	}
}

// valueBytes returns the n bytes at r.r+*off, reading as needed, and
// advances *off past them. The slice is valid until the next fill.
func (r *Reader) valueBytes(off *int, n int) ([]byte, error) {
	for r.w-r.r-*off < n {
		if err := r.fill(*off + n); err != nil {
			return nil, err
		}
	}
	start := r.r + *off
	*off += n
	return r.buf[start : start+n], nil
}

// parseInt parses an optionally signed decimal int64.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

func parseDouble(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 512 {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

func validBigNumber(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// String renders v the way redis-cli does on a terminal, for test output
// and diffs. Aggregates span several lines; there is no trailing newline.
func (v Value) String() string {
	return string(v.appendRepr(nil, 0))
}

func (v Value) appendRepr(b []byte, indent int) []byte {
	switch v.Kind {
	case KindSimple:
		return append(b, v.Str...)
	case KindError, KindBlobError:
		b = append(b, "(error) "...)
		return append(b, v.Str...)
	case KindInt:
		b = append(b, "(integer) "...)
		return strconv.AppendInt(b, v.Int, 10)
	case KindNull:
		return append(b, "(nil)"...)
	case KindBulk:
		if v.Null {
			return append(b, "(nil)"...)
		}
		return appendQuoted(b, v.Str)
	case KindVerbatim:
		return append(b, v.Str...)
	case KindDouble:
		b = append(b, "(double) "...)
		if len(v.Str) > 0 {
			return append(b, v.Str...)
		}
		return appendDouble(b, v.Float)
	case KindBool:
		if v.Int != 0 {
			return append(b, "(true)"...)
		}
		return append(b, "(false)"...)
	case KindBigNumber:
		b = append(b, "(big number) "...)
		return append(b, v.Str...)
	case KindArray, KindSet, KindPush, KindMap, KindAttr:
		if v.Null {
			return append(b, "(nil)"...)
		}
		mark, empty := byte(')'), "(empty array)"
		switch v.Kind {
		case KindSet:
			mark, empty = '~', "(empty set)"
		case KindMap, KindAttr:
			mark, empty = '#', "(empty hash)"
		}
		n := len(v.Elems)
		step := 1
		if v.Kind == KindMap || v.Kind == KindAttr {
			step = 2
		}
		if n == 0 {
			return append(b, empty...)
		}
		width := len(strconv.Itoa((n + step - 1) / step))
		for i := 0; i < n; i += step {
			if i > 0 {
				b = append(b, '\n')
				b = appendSpaces(b, indent)
			}
			num := strconv.Itoa(i/step + 1)
			b = appendSpaces(b, width-len(num))
			b = append(b, num...)
			b = append(b, mark, ' ')
			sub := indent + width + 2
			if step == 2 {
				b = v.Elems[i].appendRepr(b, sub)
				b = append(b, " => "...)
				if i+1 < n {
					b = v.Elems[i+1].appendRepr(b, sub)
				}
			} else {
				b = v.Elems[i].appendRepr(b, sub)
			}
		}
		return b
	default:
		b = append(b, "(unknown "...)
		b = strconv.AppendQuote(b, string(rune(v.Kind)))
		return append(b, ')')
	}
}

func appendSpaces(b []byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, ' ')
	}
	return b
}

// appendQuoted appends s double-quoted with C-style escapes, as redis-cli
// prints bulk strings.
func appendQuoted(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, c := range s {
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= 0x20 && c < 0x7f {
				b = append(b, c)
			} else {
				b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			}
		}
	}
	return append(b, '"')
}
