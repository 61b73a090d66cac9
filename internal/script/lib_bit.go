package script

import (
	"math"
	"math/bits"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The bit library (LuaBitOp 1.0 semantics): numbers are converted to
// 32-bit integers by rounding to nearest, wrapping modulo 2^32, and results
// are signed 32-bit numbers.

// checkNumber is luaL_checknumber: numbers, and strings that convert.
func checkNumber(L *lua.LState, i int) float64 {
	switch v := L.Get(i).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, ok := strToNumber(string(v)); ok {
			return f
		}
	}
	argTypeError(L, i, "number")
	return 0
}

// strToNumber converts a string like Lua 5.1's lua_tonumber.
func strToNumber(s string) (float64, bool) {
	t := strings.TrimSpace(cString(s)) // strtod reads a C string
	if t == "" {
		return 0, false
	}
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X") {
		n, err := strconv.ParseUint(t[2:], 16, 64)
		if err != nil {
			return 0, false
		}
		return float64(n), true
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	if f != f {
		// strtod's NaN is the default quiet NaN (Go's has a payload bit)
		if strings.HasPrefix(t, "-") {
			return math.Float64frombits(0xfff8000000000000), true
		}
		return math.Float64frombits(0x7ff8000000000000), true
	}
	return f, true
}

func tobit(f float64) int32 {
	return int32(uint32(math.Float64bits(f + 6755399441055744.0)))
}

func bitArg(L *lua.LState, i int) uint32 { return uint32(tobit(checkNumber(L, i))) }

func pushBit(L *lua.LState, v uint32) int {
	L.Push(lua.LNumber(int32(v)))
	return 1
}

func openBit(L *lua.LState) {
	t := L.NewTable()
	fold := func(op func(a, b uint32) uint32) lua.LGFunction {
		return func(L *lua.LState) int {
			r := bitArg(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				r = op(r, bitArg(L, i))
			}
			return pushBit(L, r)
		}
	}
	shift := func(op func(a uint32, n uint) uint32) lua.LGFunction {
		return func(L *lua.LState) int {
			a := bitArg(L, 1)
			n := uint(bitArg(L, 2) & 31)
			return pushBit(L, op(a, n))
		}
	}
	fns := map[string]lua.LGFunction{
		"tobit":   func(L *lua.LState) int { return pushBit(L, bitArg(L, 1)) },
		"bnot":    func(L *lua.LState) int { return pushBit(L, ^bitArg(L, 1)) },
		"band":    fold(func(a, b uint32) uint32 { return a & b }),
		"bor":     fold(func(a, b uint32) uint32 { return a | b }),
		"bxor":    fold(func(a, b uint32) uint32 { return a ^ b }),
		"lshift":  shift(func(a uint32, n uint) uint32 { return a << n }),
		"rshift":  shift(func(a uint32, n uint) uint32 { return a >> n }),
		"arshift": shift(func(a uint32, n uint) uint32 { return uint32(int32(a) >> n) }),
		"rol":     shift(func(a uint32, n uint) uint32 { return bits.RotateLeft32(a, int(n)) }),
		"ror":     shift(func(a uint32, n uint) uint32 { return bits.RotateLeft32(a, -int(n)) }),
		"bswap":   func(L *lua.LState) int { return pushBit(L, bits.ReverseBytes32(bitArg(L, 1))) },
		"tohex": func(L *lua.LState) int {
			b := bitArg(L, 1)
			n := int32(8)
			if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
				n = tobit(checkNumber(L, 2))
			}
			digits := "0123456789abcdef"
			if n < 0 {
				n = -n
				digits = "0123456789ABCDEF"
			}
			if n > 8 {
				n = 8
			}
			buf := make([]byte, n)
			for i := int(n) - 1; i >= 0; i-- {
				buf[i] = digits[b&15]
				b >>= 4
			}
			L.Push(lua.LString(buf))
			return 1
		},
	}
	for k, f := range fns {
		t.RawSetString(k, L.NewFunction(f))
	}
	L.SetGlobal("bit", t)
}

// argTypeError is luaL_typerror: "bad argument #i to 'f' (number expected,
// got no value)".
func argTypeError(L *lua.LState, i int, want string) {
	got := "no value"
	if i <= L.GetTop() {
		got = L.Get(i).Type().String()
	}
	libArgError(L, i, want+" expected, got "+got)
}
