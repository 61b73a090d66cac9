package commands

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Redis' error replies, word for word.
const (
	ErrSyntax        = "ERR syntax error"
	ErrWrongType     = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrNotInt        = "ERR value is not an integer or out of range"
	ErrNotFloat      = "ERR value is not a valid float"
	ErrOverflow      = "ERR increment or decrement would overflow"
	ErrNoSuchKey     = "ERR no such key"
	ErrDBIndex       = "ERR DB index is out of range"
	ErrInvalidDB     = "ERR invalid DB index"
	ErrSameObject    = "ERR source and destination objects are the same"
	ErrInvalidExpire = "ERR invalid expire time in '%s' command"
	ErrBitOffset     = "ERR bit offset is not an integer or out of range"
	ErrBitValue      = "ERR bit is not an integer or out of range"
	ErrMaxStringLen  = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	ErrNaNInf        = "ERR increment would produce NaN or Infinity"
	ErrTimeout       = "ERR timeout is not an integer or out of range"
	ErrBusyKey       = "BUSYKEY Target key name already exists."
)

// Error writes an error reply (msg carries its prefix, e.g. "ERR ...").
func (c *Ctx) Error(msg string) {
	c.Failed = true
	c.LastError = msg
	if c.ErrorTag == "" {
		tag := msg
		if i := strings.IndexByte(tag, ' '); i >= 0 {
			tag = tag[:i]
		}
		c.ErrorTag = tag
	}
	c.W.Error(msg)
}

// Errorf is Error with formatting.
func (c *Ctx) Errorf(format string, args ...any) {
	c.Error(sprintf(format, args...))
}

// WrongArgs replies Redis' arity error for the running command.
func (c *Ctx) WrongArgs() {
	c.Error("ERR wrong number of arguments for '" + c.Cmd.Name + "' command")
}

// Syntax replies "ERR syntax error".
func (c *Ctx) Syntax() { c.Error(ErrSyntax) }

// WrongType replies the WRONGTYPE error.
func (c *Ctx) WrongType() { c.Error(ErrWrongType) }

// OK replies +OK.
func (c *Ctx) OK() { c.W.Simple("OK") }

// IntArg parses argument i as Redis' string2ll; on failure it replies
// ErrNotInt and returns ok=false.
func (c *Ctx) IntArg(i int) (int64, bool) {
	v, ok := ParseInt(c.Args[i])
	if !ok {
		c.Error(ErrNotInt)
	}
	return v, ok
}

// ParseInt is Redis' string2ll (strict, canonical base 10).
func ParseInt(b []byte) (int64, bool) {
	// Redis accepts a leading '+'? No: string2ll rejects it. Leading zeros
	// ("007") are rejected too, except "0" itself.
	return parseInt(b)
}

// ParseFloat parses a double as Redis' getDoubleFromObject / string2d: no
// spaces, the whole string, no NaN.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 5*1024 {
		return 0, false
	}
	if b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r' || b[0] == '\v' || b[0] == '\f' {
		return 0, false
	}
	s := string(b)
	switch strings.ToLower(s) {
	case "inf", "+inf", "infinity", "+infinity":
		return inf(1), true
	case "-inf", "-infinity":
		return inf(-1), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, false
		}
		return 0, false
	}
	if f != f {
		return 0, false
	}
	return f, true
}

// TimeoutArg parses argument i as a blocking timeout the way Redis does:
// seconds as a float (BLPOP, BZPOPMIN, ...) when seconds is true, else whole
// milliseconds (XREAD BLOCK). It returns the absolute deadline in Unix ms,
// 0 for "wait forever"; on bad input it replies Redis' error.
func (c *Ctx) TimeoutArg(i int, seconds bool) (deadlineMs int64, ok bool) {
	var ms int64
	if seconds {
		f, ok := ParseFloat(c.Args[i])
		if !ok || math.IsNaN(f) {
			c.Error("ERR timeout is not a float or out of range")
			return 0, false
		}
		f = math.Ceil(f * 1000)
		if f >= 9.2233720368547758e18 {
			// Redis converts to a long long first: it overflows negative
			c.Error("ERR timeout is negative")
			return 0, false
		}
		ms = int64(f)
	} else {
		v, ok := ParseInt(c.Args[i])
		if !ok {
			c.Error("ERR timeout is not an integer or out of range")
			return 0, false
		}
		ms = v
	}
	if ms < 0 {
		c.Error("ERR timeout is negative")
		return 0, false
	}
	if ms == 0 {
		return 0, true
	}
	now := time.Now().UnixMilli()
	if ms > math.MaxInt64-now {
		c.Error("ERR timeout is out of range")
		return 0, false
	}
	return now + ms, true
}
