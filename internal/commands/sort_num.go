package commands

import (
	"math"
	"math/big"
	"strconv"
)

// sortScore reads a SORT score as Redis does: C's strtod over the value as
// a C string, accepted when nothing but a NUL (or the end) follows the
// number, the result is not NaN and strtod did not report ERANGE. So
// leading blanks, a '+', hexadecimal floats, "inf" and "infinity" are
// fine; "" (and a value starting with NUL) reads as 0; trailing blanks, an
// overflow and an inexact result below the smallest normal double
// (glibc's underflow) are not.
func sortScore(b []byte) (float64, bool) {
	if f, ok := sortScoreInt(b); ok {
		return f, true
	}
	i := 0
	for i < len(b) && sortIsSpace(b[i]) {
		i++
	}
	numStart := i
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	neg := numStart < len(b) && b[numStart] == '-'
	var f float64
	end := 0 // no conversion: strtod leaves the end at the start
	switch {
	case sortHasPrefix(b[i:], "inf"):
		end = i + 3
		if sortHasPrefix(b[i:], "infinity") {
			end = i + 8
		}
		f = math.Inf(1)
		if neg {
			f = -f
		}
	case sortHasPrefix(b[i:], "nan"):
		return 0, false
	case i+1 < len(b) && b[i] == '0' && (b[i+1] == 'x' || b[i+1] == 'X') && sortHexAt(b, i+2):
		e, v, ok := sortParseHex(b, numStart, i+2)
		if !ok {
			return 0, false
		}
		end, f = e, v
	default:
		e, v, ok, conv := sortParseDec(b, numStart, i)
		if !ok {
			return 0, false
		}
		if conv {
			end, f = e, v
		}
	}
	if end < len(b) && b[end] != 0 {
		return 0, false
	}
	return f, true
}

// sortScoreInt is the fast path of sortScore for a plain decimal integer
// of up to 15 digits (exact as a double), optionally signed.
func sortScoreInt(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, i = b[0] == '-', 1
	}
	if len(b) == i || len(b)-i > 15 {
		return 0, false
	}
	var v int64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		if v == 0 {
			return math.Copysign(0, -1), true
		}
		v = -v
	}
	return float64(v), true
}

func sortIsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func sortIsHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func sortIsDigit(c byte) bool { return c >= '0' && c <= '9' }

// sortHasPrefix reports whether b starts with the lower-case word w,
// ignoring case.
func sortHasPrefix(b []byte, w string) bool {
	return len(b) >= len(w) && EqualFold(b[:len(w)], w)
}

// sortHexAt reports whether a hexadecimal mantissa starts at b[i] (a
// hex digit, or '.' and a hex digit): otherwise strtod reads "0x" as 0.
func sortHexAt(b []byte, i int) bool {
	if i < len(b) && sortIsHex(b[i]) {
		return true
	}
	return i+1 < len(b) && b[i] == '.' && sortIsHex(b[i+1])
}

// sortParseDec reads a decimal number at b[i] (after its sign; the
// number's text starts at from): digits, an optional fraction and an
// optional exponent (taken only when digits follow). conv is false when
// there are no digits (no conversion); ok is false on ERANGE.
func sortParseDec(b []byte, from, i int) (end int, f float64, ok, conv bool) {
	digits, nonzero := 0, false
	for i < len(b) && sortIsDigit(b[i]) {
		nonzero = nonzero || b[i] != '0'
		i++
		digits++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && sortIsDigit(b[i]) {
			nonzero = nonzero || b[i] != '0'
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0, true, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		j := i + 1
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j < len(b) && sortIsDigit(b[j]) {
			for j < len(b) && sortIsDigit(b[j]) {
				j++
			}
			i = j
		}
	}
	text := string(b[from:i])
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, 0, false, true // overflow: ERANGE
	}
	if !sortTinyExact(f, nonzero, text) {
		return 0, 0, false, true
	}
	return i, f, true, true
}

// sortParseHex reads a hexadecimal float whose mantissa starts at b[i] (after
// "0x"; the number's text starts at from): hex digits, an optional
// fraction, an optional binary exponent 'p' (taken only when digits
// follow).
func sortParseHex(b []byte, from, i int) (end int, f float64, ok bool) {
	nonzero := false
	for i < len(b) && sortIsHex(b[i]) {
		nonzero = nonzero || b[i] != '0'
		i++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && sortIsHex(b[i]) {
			nonzero = nonzero || b[i] != '0'
			i++
		}
	}
	hasExp := false
	if i < len(b) && (b[i] == 'p' || b[i] == 'P') {
		j := i + 1
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j < len(b) && sortIsDigit(b[j]) {
			for j < len(b) && sortIsDigit(b[j]) {
				j++
			}
			i = j
			hasExp = true
		}
	}
	text := string(b[from:i])
	if !hasExp {
		text += "p0" // Go's hexadecimal floats need the exponent
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, 0, false
	}
	if !sortTinyExact(f, nonzero, text) {
		return 0, 0, false
	}
	return i, f, true
}

// sortTinyExact reports whether f, read from text (nonzero: it has a nonzero
// digit), is free of glibc's underflow ERANGE: a result below the smallest
// normal double is an underflow unless it is exact.
func sortTinyExact(f float64, nonzero bool, text string) bool {
	if !nonzero {
		return true
	}
	if f == 0 {
		return false // a nonzero number rounded to zero
	}
	if math.Abs(f) >= 0x1p-1022 {
		return true
	}
	if len(text) > 4096 {
		return false // (beyond any exact subnormal one would write)
	}
	exact, ok := new(big.Rat).SetString(text)
	if !ok {
		return false
	}
	return exact.Cmp(new(big.Rat).SetFloat64(f)) == 0
}
