// Package longdouble emulates the C long double arithmetic of Redis'
// INCRBYFLOAT and HINCRBYFLOAT: Redis keeps their results as an x87 80-bit
// long double (64-bit mantissa), parses them with strtold and prints them
// with "%.17Lf" minus trailing zeros. big.Float at 64 bits of precision
// gives the same digits, so a node replies exactly as Redis.
package longdouble

import (
	"math/big"
	"strings"
)

const (
	// Prec is the mantissa of an x87 long double.
	Prec = 64
	// maxExp is the binary exponent beyond which an x87 long double is
	// infinite.
	maxExp = 16384
	// minExp is the smallest binary exponent of a (denormal) long double.
	minExp = -16445
)

// Zero returns 0 at long double precision.
func Zero() *big.Float { return new(big.Float).SetPrec(Prec) }

// Parse parses s as Redis' string2ld does: no leading space, the whole
// string consumed, no NaN, no overflow or underflow to zero; "inf" and
// "infinity" (any case, signed) and strtold's hexadecimal forms are taken.
func Parse(s []byte) (*big.Float, bool) {
	if len(s) == 0 || len(s) >= 5*1024 {
		return nil, false
	}
	switch s[0] {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return nil, false
	}
	str := string(s)
	low := strings.ToLower(str)
	t := strings.TrimLeft(low, "+-")
	if t == "inf" || t == "infinity" {
		return new(big.Float).SetPrec(Prec).SetInf(strings.HasPrefix(low, "-")), true
	}
	if strings.Contains(low, "nan") || strings.ContainsAny(str, "_ ") {
		return nil, false
	}
	f, _, err := big.ParseFloat(str, 10, Prec, big.ToNearestEven)
	if err != nil {
		if !strings.HasPrefix(t, "0x") {
			return nil, false
		}
		// strtold also takes hexadecimal ("0x1A", "0x1p4")
		if f, _, err = big.ParseFloat(str, 0, Prec, big.ToNearestEven); err != nil {
			return nil, false
		}
	}
	if f.IsInf() {
		return nil, false
	}
	if f.Sign() != 0 {
		if exp := f.MantExp(nil); exp > maxExp || exp < minExp {
			return nil, false // ERANGE: overflow, or underflow to zero
		}
	}
	return f, true
}

// Add returns a+b rounded to long double precision and whether the result
// is finite (Redis refuses an infinite operand or result).
func Add(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	r := new(big.Float).SetPrec(Prec).SetMode(big.ToNearestEven)
	r.Add(a, b)
	if r.Sign() != 0 && r.MantExp(nil) > maxExp {
		return nil, false
	}
	return r, true
}

// Format prints f as Redis' ld2string in human mode: "%.17Lf" without
// trailing zeros (nor a trailing point), "-0" as "0", "inf"/"-inf".
func Format(f *big.Float) []byte {
	if f.IsInf() {
		if f.Sign() > 0 {
			return []byte("inf")
		}
		return []byte("-inf")
	}
	b := f.Append(nil, 'f', 17)
	if i := len(b) - 1; containsDot(b) {
		for b[i] == '0' {
			i--
		}
		if b[i] == '.' {
			i--
		}
		b = b[:i+1]
	}
	if len(b) == 2 && b[0] == '-' && b[1] == '0' {
		b = b[1:]
	}
	return b
}

func containsDot(b []byte) bool {
	for _, c := range b {
		if c == '.' {
			return true
		}
	}
	return false
}
