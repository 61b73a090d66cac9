package resp

import (
	"bytes"
	"errors"
	"io"
	"math"
)

const (
	defaultBufSize = 16 * 1024
	minBufSize     = 16
)

// Reader decodes RESP from an io.Reader. It is not safe for concurrent use.
//
// All input is kept in one buffer that grows only as data arrives (never to a
// length a client merely declares) and is compacted as commands are consumed.
type Reader struct {
	rd       io.Reader
	buf      []byte
	r, w     int // buf[r:w] holds the input not consumed yet
	initSize int
	lim      Limits
	maxMbulk int64 // min(lim.MaxMultibulkLen, INT_MAX)
	authed   bool
	before   func() error
	after    func(pending []byte)

	// State of the command being parsed. While left > 0 a multibulk request
	// is in progress and starts at r.
	pos   int   // parse cursor (absolute index in buf)
	scan  int   // bytes after pos already searched for a line terminator
	stuck bool  // a NUL precedes the terminator: like Redis, never find the line
	left  int   // multibulk arguments still to read
	bulk  int64 // declared length of the argument being read; -1 while reading its header
	offs  []int // start,end pairs of the arguments read so far
	args  [][]byte

	perr error // sticky protocol error
	rerr error // read error that came together with data, reported on the next fill
}

// NewReader returns a Reader reading from rd with an initial buffer of
// bufSize bytes (16 KiB if bufSize <= 0). The reader starts authenticated
// and with DefaultLimits.
func NewReader(rd io.Reader, bufSize int) *Reader {
	if bufSize <= 0 {
		bufSize = defaultBufSize
	}
	if bufSize < minBufSize {
		bufSize = minBufSize
	}
	r := &Reader{
		rd:       rd,
		buf:      make([]byte, bufSize),
		initSize: bufSize,
		authed:   true,
		bulk:     -1,
	}
	r.SetLimits(DefaultLimits())
	return r
}

// SetLimits changes the limits; zero fields take their default value.
func (r *Reader) SetLimits(l Limits) {
	r.lim = l.normalized()
	r.maxMbulk = r.lim.MaxMultibulkLen
}

// SetAuthenticated tells the reader whether the client is authenticated.
// Unauthenticated clients get Redis 7's stricter limits: at most 10
// arguments and bulk lengths of at most 16384 bytes.
func (r *Reader) SetAuthenticated(ok bool) { r.authed = ok }

// SetAfterRead installs a hook called after each read that brought data,
// with all the input not consumed yet (it starts at a command's start). A
// server uses it to look ahead at a pipelined batch; fn must not keep or
// modify the slice.
func (r *Reader) SetAfterRead(fn func(pending []byte)) { r.after = fn }

// SetBeforeRead installs a hook called each time the reader is about to read
// from the underlying io.Reader, i.e. when it may block. A server typically
// passes its Writer's Flush so that replies are never held back while
// waiting for input. An error from fn is returned by the read.
func (r *Reader) SetBeforeRead(fn func() error) { r.before = fn }

// Buffered returns the number of bytes read from the underlying reader and
// not yet consumed (including a partially received command).
func (r *Reader) Buffered() int { return r.w - r.r }

// ReadCommand returns the arguments of the next command. Inline commands
// are split with Redis' rules; empty inline lines and multibulks of count
// <= 0 are skipped. The returned slices alias the reader's buffer and are
// valid only until the next call on the Reader.
//
// Malformed input yields a *ProtocolError whose Msg is the exact Redis text;
// the error is sticky. Exceeding Limits.MaxQueryBuf yields
// ErrQueryBufferLimit. I/O errors are returned as is and the call may be
// retried (e.g. after a read deadline): a partially read command is kept.
func (r *Reader) ReadCommand() ([][]byte, error) {
	if r.perr != nil {
		return nil, r.perr
	}
	for {
		args, err := r.parseCommand()
		if err != nil {
			r.perr = err
			return nil, err
		}
		if args != nil {
			return args, nil
		}
		if int64(r.w-r.r) > r.lim.MaxQueryBuf {
			r.perr = ErrQueryBufferLimit
			return nil, r.perr
		}
		need := 0
		if r.left > 0 && r.bulk >= 0 {
			need = r.pos - r.r + int(r.bulk) + 2
		}
		if err := r.fill(need); err != nil {
			return nil, err
		}
	}
}

// parseCommand parses from r.pos. It returns (nil, nil) when more input is
// needed.
func (r *Reader) parseCommand() ([][]byte, error) {
	buf := r.buf[:r.w]
	for {
		if r.left == 0 {
			// At a command boundary (r.pos == r.r).
			if r.pos >= len(buf) {
				return nil, nil
			}
			if buf[r.pos] != '*' {
				args, end, err := r.inline(buf)
				if err != nil || end == 0 {
					return nil, err
				}
				r.pos, r.r, r.scan = end, end, 0
				if len(args) == 0 {
					continue
				}
				return args, nil
			}
			n, ok, end, err := r.number(buf, errTooBigMbulk)
			if err != nil || end == 0 {
				return nil, err
			}
			if !ok || n > r.maxMbulk {
				return nil, errInvalidMultibulk
			}
			if n > unauthMaxMultibulk && !r.authed {
				return nil, errUnauthMultibulk
			}
			r.pos, r.scan = end, 0
			if n <= 0 {
				r.r = end
				continue
			}
			r.left = int(n)
			r.bulk = -1
			r.offs = r.offs[:0]
		}
		for r.left > 0 {
			if r.bulk < 0 {
				if r.pos >= len(buf) {
					return nil, nil
				}
				if buf[r.pos] != '$' {
					// Like Redis, the header line must be complete before
					// its first byte is checked.
					end, err := r.lineEnd(buf, '\r', errTooBigBulk)
					if err != nil || end == 0 {
						return nil, err
					}
					return nil, &ProtocolError{"Protocol error: expected '$', got '" + string([]byte{buf[r.pos]}) + "'"}
				}
				n, ok, end, err := r.number(buf, errTooBigBulk)
				if err != nil || end == 0 {
					return nil, err
				}
				if !ok || n < 0 || n > r.lim.MaxBulkLen {
					return nil, errInvalidBulk
				}
				if n > unauthMaxBulk && !r.authed {
					return nil, errUnauthBulk
				}
				r.pos, r.scan, r.bulk = end, 0, n
			}
			if int64(len(buf)-r.pos) < r.bulk+2 {
				return nil, nil
			}
			// Redis skips the two bytes after the data without checking
			// that they are CRLF; so do we.
			end := r.pos + int(r.bulk)
			r.offs = append(r.offs, r.pos, end)
			r.pos = end + 2
			r.bulk = -1
			r.left--
		}
		args := r.args[:0]
		for i := 0; i+1 < len(r.offs); i += 2 {
			s, e := r.offs[i], r.offs[i+1]
			args = append(args, buf[s:e:e])
		}
		r.args = args
		r.r = r.pos
		return args, nil
	}
}

// number parses the header line at r.pos ("*<n>\r\n" or "$<n>\r\n"). end is
// the index just past the line, 0 when more input is needed; ok reports
// whether the text is a valid integer by Redis' string2ll rules.
func (r *Reader) number(buf []byte, tooBig *ProtocolError) (n int64, ok bool, end int, err error) {
	// Fast path: [-]digits followed by '\r' and one more byte.
	p := r.pos + 1
	i := p
	neg := false
	if i < len(buf) && buf[i] == '-' {
		neg = true
		i++
	}
	ds := i
	lim := i + 20
	if lim > len(buf) {
		lim = len(buf)
	}
	var v uint64
	for i < lim {
		d := buf[i] - '0'
		if d > 9 {
			break
		}
		v = v*10 + uint64(d)
		i++
	}
	if i+1 < len(buf) && buf[i] == '\r' {
		nd := i - ds
		switch {
		case nd == 0 || nd > 19:
			return 0, false, i + 2, nil
		case buf[ds] == '0' && (nd > 1 || neg): // leading zero, "-0"
			return 0, false, i + 2, nil
		case neg:
			if v > 1<<63 {
				return 0, false, i + 2, nil
			}
			return int64(-v), true, i + 2, nil
		default:
			if v > math.MaxInt64 {
				return 0, false, i + 2, nil
			}
			return int64(v), true, i + 2, nil
		}
	}
	// Slow path: wait for the line, or it holds something that is not a
	// number (the fast path would have accepted it otherwise).
	end, err = r.lineEnd(buf, '\r', tooBig)
	return 0, false, end, err
}

// lineEnd finds the end of the line starting at r.pos the way Redis does
// (strchr on the query buffer): the first delim not preceded by a NUL byte.
// For '\r' one more byte must follow, and the returned end is past it; for
// '\n' end is just past the newline. It returns 0 when more input is needed,
// and tooBig when no terminator was found within Limits.MaxInline bytes.
func (r *Reader) lineEnd(buf []byte, delim byte, tooBig *ProtocolError) (int, error) {
	if !r.stuck {
		from := r.pos + r.scan
		if i := bytes.IndexByte(buf[from:], delim); i >= 0 {
			i += from
			if bytes.IndexByte(buf[r.pos:i], 0) < 0 {
				if delim == '\n' {
					return i + 1, nil
				}
				if i+1 < len(buf) {
					return i + 2, nil
				}
				r.scan = i - r.pos
				return 0, nil
			}
			r.stuck = true
		} else {
			r.scan = len(buf) - r.pos
		}
	}
	if len(buf)-r.pos > r.lim.MaxInline {
		return 0, tooBig
	}
	return 0, nil
}

// inline parses an inline command at r.pos. end is 0 if more input is
// needed.
func (r *Reader) inline(buf []byte) (args [][]byte, end int, err error) {
	end, err = r.lineEnd(buf, '\n', errTooBigInline)
	if end == 0 || err != nil {
		return nil, 0, err
	}
	line := buf[r.pos : end-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	args, ok := splitArgs(line, r.args[:0])
	r.args = args
	if !ok {
		return nil, 0, errUnbalanced
	}
	return args, end, nil
}

// isSpace reports whether c is a C isspace() character.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// splitArgs splits an inline request line like Redis' sdssplitargs and
// appends the arguments to dst. Unescaping happens in place (output never
// outruns input), so the arguments alias line. ok is false on unbalanced
// quotes. line must not contain NUL bytes.
func splitArgs(line []byte, dst [][]byte) ([][]byte, bool) {
	n := len(line)
	p, o := 0, 0 // read and write positions, o <= p
	for {
		for p < n && isSpace(line[p]) {
			p++
		}
		if p == n {
			return dst, true
		}
		start := o
		inq, insq := false, false
	token:
		for {
			switch {
			case inq:
				if p == n {
					return dst, false
				}
				c := line[p]
				if c == '\\' && p+3 < n && line[p+1] == 'x' {
					hi, ok1 := hexVal(line[p+2])
					lo, ok2 := hexVal(line[p+3])
					if ok1 && ok2 {
						line[o] = hi<<4 | lo
						o++
						p += 4
						continue
					}
				}
				if c == '\\' && p+1 < n {
					p++
					switch c = line[p]; c {
					case 'n':
						c = '\n'
					case 'r':
						c = '\r'
					case 't':
						c = '\t'
					case 'b':
						c = '\b'
					case 'a':
						c = '\a'
					}
					line[o] = c
					o++
					p++
					continue
				}
				if c == '"' {
					// The closing quote must be followed by a space or the end.
					if p+1 < n && !isSpace(line[p+1]) {
						return dst, false
					}
					p++
					break token
				}
				line[o] = c
				o++
				p++
			case insq:
				if p == n {
					return dst, false
				}
				c := line[p]
				if c == '\\' && p+1 < n && line[p+1] == '\'' {
					line[o] = '\''
					o++
					p += 2
					continue
				}
				if c == '\'' {
					if p+1 < n && !isSpace(line[p+1]) {
						return dst, false
					}
					p++
					break token
				}
				line[o] = c
				o++
				p++
			default:
				if p == n {
					break token
				}
				switch c := line[p]; c {
				case ' ', '\n', '\r', '\t':
					p++
					break token
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					line[o] = c
					o++
				}
				p++
			}
		}
		dst = append(dst, line[start:o:o])
	}
}

// fill reads more input. need, if > 0, is the number of bytes from r.r the
// caller knows it needs; it caps buffer growth so that a large declared
// bulk does not over-allocate (growth otherwise doubles, as data arrives).
func (r *Reader) fill(need int) error {
	if r.rerr != nil {
		err := r.rerr
		r.rerr = nil
		return err
	}
	if r.r == r.w && r.left == 0 {
		// Nothing pending: rewind, and drop a buffer grown for a big request.
		r.r, r.w, r.pos, r.scan, r.stuck = 0, 0, 0, 0, false
		if len(r.buf) > 4*r.initSize && len(r.buf) > 128<<10 {
			r.buf = make([]byte, r.initSize)
		}
	}
	if r.w == len(r.buf) {
		r.makeRoom(need)
	}
	if r.before != nil {
		if err := r.before(); err != nil {
			return err
		}
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.rd.Read(r.buf[r.w:])
		if n < 0 || n > len(r.buf)-r.w {
			return errors.New("resp: reader returned invalid count")
		}
		r.w += n
		if err != nil {
			if n > 0 {
				r.rerr = err
				return nil
			}
			return err
		}
		if n > 0 {
			if r.after != nil {
				r.after(r.buf[r.r:r.w])
			}
			return nil
		}
	}
	return io.ErrNoProgress
}

// makeRoom makes buf[w:] non-empty, compacting the pending input to the
// start of the buffer and growing it when compaction would free less than
// half of it.
func (r *Reader) makeRoom(need int) {
	pending := r.w - r.r
	size := len(r.buf)
	if pending*2 > size && (need <= 0 || need > size) {
		size *= 2
		if need > len(r.buf) && need < size {
			size = need
		}
	}
	if size == len(r.buf) && r.r == 0 {
		size *= 2
	}
	shift := r.r
	if size == len(r.buf) {
		copy(r.buf, r.buf[r.r:r.w])
	} else {
		nb := make([]byte, size)
		copy(nb, r.buf[r.r:r.w])
		r.buf = nb
	}
	r.r = 0
	r.w = pending
	r.pos -= shift
	for i := range r.offs {
		r.offs[i] -= shift
	}
}

// CommandKeys appends to dst the second argument (the key, for most
// commands) of each complete multibulk command at the start of b, at most
// max of them, stopping at anything else. It is a cheap look-ahead for
// prefetching, not a validating parser.
func CommandKeys(b []byte, dst [][]byte, max int) [][]byte {
	for len(dst) < max && len(b) > 0 && b[0] == '*' {
		argc, i, ok := scanNum(b, 1)
		if !ok {
			return dst
		}
		var key []byte
		for a := int64(0); a < argc; a++ {
			if i >= len(b) || b[i] != '$' {
				return dst
			}
			var n int64
			n, i, ok = scanNum(b, i+1)
			if !ok || n < 0 || int64(len(b)-i) < n+2 {
				return dst
			}
			if a == 1 {
				key = b[i : i+int(n)]
			}
			i += int(n) + 2
		}
		if key != nil {
			dst = append(dst, key)
		}
		b = b[i:]
	}
	return dst
}

// scanNum reads a decimal number ending in CRLF at b[i:]; it returns the
// number and the index after the CRLF.
func scanNum(b []byte, i int) (int64, int, bool) {
	var n int64
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' && i-start < 12 {
		n = n*10 + int64(b[i]-'0')
		i++
	}
	if i == start || i+1 >= len(b) || b[i] != '\r' || b[i+1] != '\n' {
		return 0, i, false
	}
	return n, i + 2, true
}

// EachCommand calls fn with the arguments of each complete multibulk
// command at the start of b, at most max commands, stopping at anything
// else or when fn returns false. A command with more than 16 arguments is
// passed its first 16. Like CommandKeys it is a cheap look-ahead, not a
// validating parser; args is only valid during the call.
func EachCommand(b []byte, max int, fn func(args [][]byte) bool) {
	var buf [16][]byte
	for ; max > 0 && len(b) > 0 && b[0] == '*'; max-- {
		argc, i, ok := scanNum(b, 1)
		if !ok {
			return
		}
		args := buf[:0]
		for a := int64(0); a < argc; a++ {
			if i >= len(b) || b[i] != '$' {
				return
			}
			var n int64
			n, i, ok = scanNum(b, i+1)
			if !ok || n < 0 || int64(len(b)-i) < n+2 {
				return
			}
			if len(args) < len(buf) {
				args = append(args, b[i:i+int(n)])
			}
			i += int(n) + 2
		}
		if argc > 0 && !fn(args) { // "*0" is no command (the reader skips it)
			return
		}
		b = b[i:]
	}
}
