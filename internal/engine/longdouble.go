package engine

import (
	"math/big"
	"strings"
)

// Redis keeps INCRBYFLOAT values as C long double (x87 80-bit: 64-bit
// mantissa) and prints them with "%.17Lf" minus trailing zeros. We emulate that
// with big.Float at 64 bits of precision so a node replies exactly as Redis.

const ldPrec = 64
const ldMaxExp = 16384 // beyond this an x87 long double is infinite

// ParseLongDouble parses s as Redis' string2ld does: no leading space, the
// whole string consumed, no NaN, no overflow or underflow to zero.
func ParseLongDouble(s []byte) (*big.Float, bool) {
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
		f := new(big.Float).SetPrec(ldPrec).SetInf(strings.HasPrefix(low, "-"))
		return f, true
	}
	if strings.Contains(low, "nan") || strings.ContainsAny(str, "_ ") {
		return nil, false
	}
	f, _, err := big.ParseFloat(str, 10, ldPrec, big.ToNearestEven)
	if err != nil {
		// strtold also takes hexadecimal ("0x1A", "0x1p4")
		if strings.HasPrefix(t, "0x") {
			f, _, err = big.ParseFloat(str, 0, ldPrec, big.ToNearestEven)
			if err != nil {
				return nil, false
			}
		} else {
			return nil, false
		}
	}
	if f.IsInf() {
		return nil, false
	}
	if f.Sign() != 0 {
		exp := f.MantExp(nil)
		if exp > ldMaxExp || exp < -16445 {
			return nil, false // ERANGE: overflow, or underflow to zero
		}
	}
	return f, true
}

// AddLongDouble returns a+b rounded to long double precision and whether the
// result is finite.
func AddLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	r := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven)
	r.Add(a, b)
	if r.Sign() != 0 && r.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	return r, true
}

// FormatLongDouble prints f as Redis' ld2string in human mode.
func FormatLongDouble(f *big.Float) []byte {
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
