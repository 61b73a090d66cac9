package script

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// strFormat is Lua 5.1's string.format on C printf semantics: %d %i %o %u
// %x %X %c take the number as a C long, %e %E %f %g %G a double (with C's
// default precision 6), %s uses tostring's number format, %q quotes.
func strFormat(L *lua.LState) int {
	f := checkString(L, 1)
	arg := 1
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(f) {
			libError(L, "invalid option '%%' to 'format'")
		}
		if f[i] == '%' {
			b.WriteByte('%')
			continue
		}
		start := i
		for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
			i++
		}
		if i-start > 5 {
			libError(L, "invalid format (repeated flags)")
		}
		for n := 0; i < len(f) && f[i] >= '0' && f[i] <= '9'; n++ {
			if n >= 2 {
				libError(L, "invalid format (width or precision too long)")
			}
			i++
		}
		if i < len(f) && f[i] == '.' {
			i++
			for n := 0; i < len(f) && f[i] >= '0' && f[i] <= '9'; n++ {
				if n >= 2 {
					libError(L, "invalid format (width or precision too long)")
				}
				i++
			}
		}
		if i >= len(f) {
			libError(L, "invalid option '%%' to 'format'")
		}
		spec := f[start:i]
		conv := f[i]
		arg++
		if conv != 'q' && conv != 's' && arg > L.GetTop() {
			libArgError(L, arg, "number expected, got no value")
		}
		switch conv {
		case 'd', 'i':
			n := toInt64(checkNumber(L, arg))
			b.WriteString(fmt.Sprintf("%"+spec+"d", n))
		case 'o', 'x', 'X':
			n := uint64(toInt64(checkNumber(L, arg)))
			b.WriteString(fmt.Sprintf("%"+spec+string(conv), n))
		case 'u':
			n := uint64(toInt64(checkNumber(L, arg)))
			b.WriteString(fmt.Sprintf("%"+spec+"d", n))
		case 'c':
			b.WriteByte(byte(toInt64(checkNumber(L, arg))))
		case 'e', 'E', 'f', 'g', 'G':
			x := checkNumber(L, arg)
			b.WriteString(cFloat(spec, conv, x))
		case 'q':
			s, _ := luaStringOf(L.CheckAny(arg))
			if _, ok := L.Get(arg).(lua.LString); !ok {
				if _, isNum := L.Get(arg).(lua.LNumber); !isNum {
					libArgError(L, arg, "string expected, got "+L.Get(arg).Type().String())
				}
			}
			b.WriteByte('"')
			for j := 0; j < len(s); j++ {
				switch ch := s[j]; ch {
				case '"', '\\':
					b.WriteByte('\\')
					b.WriteByte(ch)
				case '\n':
					b.WriteString("\\\n")
				case '\r':
					b.WriteString("\\r")
				case 0:
					b.WriteString("\\000")
				default:
					b.WriteByte(ch)
				}
			}
			b.WriteByte('"')
		case 's':
			v := L.CheckAny(arg)
			var s string
			if n, ok := v.(lua.LNumber); ok {
				s = FormatNumber(float64(n))
			} else {
				s = luaToStringValue(L, v)
			}
			b.WriteString(fmt.Sprintf("%"+spec+"s", s))
		default:
			libError(L, "invalid option '%%%c' to 'format'", conv)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

func luaToStringValue(L *lua.LState, v lua.LValue) string {
	switch x := v.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return FormatNumber(float64(x))
	case lua.LBool:
		if x {
			return "true"
		}
		return "false"
	case *lua.LNilType:
		return "nil"
	}
	if fn, ok := L.GetMetaField(v, "__tostring").(*lua.LFunction); ok {
		L.Push(fn)
		L.Push(v)
		L.Call(1, 1)
		r := L.Get(-1)
		L.Pop(1)
		return r.String()
	}
	return v.String()
}

// cFloat formats like C's printf for e/E/f/g/G.
func cFloat(spec string, conv byte, x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		s := "inf"
		if math.IsNaN(x) {
			s = "nan"
			if math.Signbit(x) {
				s = "-nan"
			}
		} else if x < 0 {
			s = "-inf"
		}
		if conv == 'E' || conv == 'G' {
			s = strings.ToUpper(s)
		}
		flags := strings.TrimRight(spec, "0123456789.")
		width := 0
		if w := strings.TrimLeft(spec, "-+ #0"); w != "" {
			if k := strings.IndexByte(w, '.'); k >= 0 {
				w = w[:k]
			}
			width, _ = strconv.Atoi(w)
		}
		if x > 0 && strings.Contains(flags, "+") {
			s = "+" + s
		}
		for len(s) < width {
			if strings.Contains(flags, "-") {
				s += " "
			} else {
				s = " " + s
			}
		}
		return s
	}
	if !strings.Contains(spec, ".") {
		spec += ".6"
	}
	if conv == 'g' || conv == 'G' {
		// C's %g never prints trailing zeros unless '#'; Go's %g with a
		// precision behaves the same, but uses the shortest exponent form
		// with at least two digits, as C does.
		return fmt.Sprintf("%"+spec+string(conv), x)
	}
	return fmt.Sprintf("%"+spec+string(conv), x)
}
