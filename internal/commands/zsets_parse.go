package commands

import (
	"math"
	"strconv"

	"github.com/lightconedb/lightcone/internal/crdt"
)

// Number parsing for sorted sets, as Redis 7.0 does it with C's strtod:
// decimal and hexadecimal (0x1.8p1, 0x10) forms, "inf"/"infinity" in any
// case, an optional sign. Two flavours:
//
//   - scores, increments, weights, coordinates (getDoubleFromObject): the
//     whole string, no leading space, not empty, no NaN, and no overflow
//     to ±inf or underflow to zero (a subnormal result is fine);
//   - range bounds (zslParseRange): leading space skipped, the string ends
//     at its first NUL byte, "" is 0, overflow and underflow accepted.

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// zstrtod parses all of b as strtod would. ok is false when strtod would
// not consume the whole of b or the value is NaN; erange reports an
// overflow to ±inf or an underflow to zero (strtod's ERANGE cases that
// Redis refuses).
func zstrtod(b []byte) (f float64, ok, erange bool) {
	if len(b) == 0 {
		return 0, true, false
	}
	// the common case, a plain integer of at most 15 digits: exact in a
	// float64, so no general parse is needed
	if len(b) <= 15 {
		var v int64
		i := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			v = v*10 + int64(b[i]-'0')
			i++
		}
		if i == len(b) {
			return float64(v), true, false
		}
	}
	i := 0
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i++
	}
	rest := b[i:]
	if word, n := infWord(rest); n > 0 && n == len(rest) {
		_ = word
		if neg {
			return math.Inf(-1), true, false
		}
		return math.Inf(1), true, false
	}
	var buf [64]byte
	var num []byte
	nonzero := false
	if len(rest) > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') {
		// hexadecimal: 0x digits [. digits] [p [sign] digits]
		j := 2
		digits := 0
		for j < len(rest) && isHexDigit(rest[j]) {
			nonzero = nonzero || rest[j] != '0'
			j++
			digits++
		}
		if j < len(rest) && rest[j] == '.' {
			j++
			for j < len(rest) && isHexDigit(rest[j]) {
				nonzero = nonzero || rest[j] != '0'
				j++
				digits++
			}
		}
		if digits == 0 {
			return 0, false, false // strtod reads "0" and stops at the x
		}
		num = append(buf[:0], rest[:j]...)
		if j < len(rest) && (rest[j] == 'p' || rest[j] == 'P') {
			k := j + 1
			if k < len(rest) && (rest[k] == '+' || rest[k] == '-') {
				k++
			}
			e := k
			for e < len(rest) && rest[e] >= '0' && rest[e] <= '9' {
				e++
			}
			if e == k {
				return 0, false, false // the p is not part of the number
			}
			num = append(num, rest[j:e]...)
			j = e
		} else {
			num = append(num, 'p', '0')
		}
		if j != len(rest) {
			return 0, false, false
		}
	} else {
		j := 0
		digits := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			nonzero = nonzero || rest[j] != '0'
			j++
			digits++
		}
		if j < len(rest) && rest[j] == '.' {
			j++
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				nonzero = nonzero || rest[j] != '0'
				j++
				digits++
			}
		}
		if digits == 0 {
			return 0, false, false
		}
		if j < len(rest) && (rest[j] == 'e' || rest[j] == 'E') {
			k := j + 1
			if k < len(rest) && (rest[k] == '+' || rest[k] == '-') {
				k++
			}
			e := k
			for e < len(rest) && rest[e] >= '0' && rest[e] <= '9' {
				e++
			}
			if e > k {
				j = e
			}
		}
		if j != len(rest) {
			return 0, false, false
		}
		num = rest
	}
	v, err := strconv.ParseFloat(string(num), 64)
	if err != nil {
		if ne, isNum := err.(*strconv.NumError); !isNum || ne.Err != strconv.ErrRange {
			return 0, false, false
		}
		erange = true // overflow: v is ±Inf
	}
	if v == 0 && nonzero {
		erange = true
	}
	if neg {
		v = -v
	}
	return v, true, erange
}

// infWord reports whether b starts with "inf" or "infinity" (any case):
// n is the length matched, 0 for none; "nan" matches nothing (NaN is
// refused everywhere).
func infWord(b []byte) (string, int) {
	if len(b) >= 8 && EqualFold(b[:8], "infinity") {
		return "infinity", 8
	}
	if len(b) >= 3 && EqualFold(b[:3], "inf") {
		return "inf", 3
	}
	return "", 0
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// parseZDouble parses a score, increment or weight as Redis'
// getDoubleFromObject.
func parseZDouble(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	f, ok, erange := zstrtod(b)
	if !ok || erange {
		return 0, false
	}
	return f, true
}

// zDoubleArg parses argument i as a score; on failure it replies msg (or
// "ERR value is not a valid float").
func zDoubleArg(c *Ctx, i int, msg string) (float64, bool) {
	f, ok := parseZDouble(c.Args[i])
	if !ok {
		if msg == "" {
			msg = ErrNotFloat
		}
		c.Error(msg)
	}
	return f, ok
}

// parseScoreBound parses a ZRANGEBYSCORE bound: "(x" exclusive, else
// inclusive, as zslParseRange does.
func parseScoreBound(b []byte) (crdt.ScoreBound, bool) {
	for i, ch := range b {
		if ch == 0 {
			b = b[:i] // a C string ends at NUL
			break
		}
	}
	var r crdt.ScoreBound
	if len(b) > 0 && b[0] == '(' {
		r.Exclusive = true
		b = b[1:]
	}
	for len(b) > 0 && isCSpace(b[0]) {
		b = b[1:]
	}
	f, ok, _ := zstrtod(b)
	if !ok {
		return r, false
	}
	r.Score = f
	return r, true
}

// parseLexBound parses a ZRANGEBYLEX bound: "-", "+", "(value" or
// "[value".
func parseLexBound(b []byte) (crdt.LexBound, bool) {
	if len(b) == 0 {
		return crdt.LexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) > 1 && b[1] != 0 {
			return crdt.LexBound{}, false
		}
		if b[0] == '+' {
			return crdt.LexBound{Inf: 1}, true
		}
		return crdt.LexBound{Inf: -1}, true
	case '(':
		return crdt.LexBound{Value: string(b[1:]), Exclusive: true}, true
	case '[':
		return crdt.LexBound{Value: string(b[1:])}, true
	}
	return crdt.LexBound{}, false
}
