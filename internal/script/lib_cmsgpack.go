package script

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The cmsgpack library (lua-cmsgpack 0.4.0 behaviour, as bundled with
// Redis): pack(...) concatenates the MessagePack encoding of each argument;
// unpack / unpack_one / unpack_limit decode.

const msgpackMaxNesting = 16

func openCmsgpack(L *lua.LState) {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(msgpackPack))
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int { return msgpackUnpack(L, 0, 0, false) }))
	t.RawSetString("unpack_one", L.NewFunction(func(L *lua.LState) int {
		off := 0
		if L.GetTop() >= 2 {
			off = int(checkNumber(L, 2))
		}
		return msgpackUnpack(L, 1, off, true)
	}))
	t.RawSetString("unpack_limit", L.NewFunction(func(L *lua.LState) int {
		limit, off := 0, 0
		if L.GetTop() >= 2 {
			limit = int(checkNumber(L, 2))
		}
		if L.GetTop() >= 3 {
			off = int(checkNumber(L, 3))
		}
		return msgpackUnpack(L, limit, off, true)
	}))
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	L.SetGlobal("cmsgpack", t)
}

func msgpackPack(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		libArgError(L, 0, "MessagePack pack needs input.")
	}
	var b []byte
	for i := 1; i <= n; i++ {
		b = mpEncode(b, L.Get(i), 0)
	}
	L.Push(lua.LString(b))
	return 1
}

func mpEncodeInt(b []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 127:
		return append(b, byte(v))
	case v >= 0 && v <= 0xff:
		return append(b, 0xcc, byte(v))
	case v >= 0 && v <= 0xffff:
		return append(b, 0xcd, byte(v>>8), byte(v))
	case v >= 0 && v <= 0xffffffff:
		return append(b, 0xce, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	case v >= 0:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(v))
	case v >= -32:
		return append(b, byte(v))
	case v >= -128:
		return append(b, 0xd0, byte(v))
	case v >= -32768:
		return append(b, 0xd1, byte(v>>8), byte(v))
	case v >= -2147483648:
		return append(b, 0xd2, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(v))
}

func mpEncodeNumber(b []byte, f float64) []byte {
	if !math.IsInf(f, 0) && !math.IsNaN(f) && f >= -9.223372036854775808e18 && f < 9.223372036854775807e18 && float64(int64(f)) == f {
		return mpEncodeInt(b, int64(f))
	}
	if f32 := float32(f); float64(f32) == f {
		return binary.BigEndian.AppendUint32(append(b, 0xca), math.Float32bits(f32))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(f))
}

func mpEncodeBytes(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= 0xff:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = append(b, 0xda, byte(n>>8), byte(n))
	default:
		b = append(b, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, s...)
}

// mpArrayLen is the length of t when it is an array without holes, else -1.
func mpArrayLen(t *lua.LTable) int {
	max, count := 0, 0
	isArray := true
	t.ForEach(func(k, _ lua.LValue) {
		if !isArray {
			return
		}
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) != math.Floor(float64(n)) || n < 1 {
			isArray = false
			return
		}
		if int(n) > max {
			max = int(n)
		}
		count++
	})
	if !isArray || max != count {
		return -1
	}
	return max
}

func mpEncode(b []byte, v lua.LValue, level int) []byte {
	switch x := v.(type) {
	case lua.LString:
		return mpEncodeBytes(b, string(x))
	case lua.LBool:
		if x {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		return mpEncodeNumber(b, float64(x))
	case *lua.LTable:
		if level >= msgpackMaxNesting {
			return append(b, 0xc0)
		}
		if n := mpArrayLen(x); n >= 0 {
			switch {
			case n < 16:
				b = append(b, 0x90|byte(n))
			case n <= 0xffff:
				b = append(b, 0xdc, byte(n>>8), byte(n))
			default:
				b = append(b, 0xdd, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
			}
			for i := 1; i <= n; i++ {
				b = mpEncode(b, x.RawGetInt(i), level+1)
			}
			return b
		}
		n := 0
		x.ForEach(func(_, _ lua.LValue) { n++ })
		switch {
		case n < 16:
			b = append(b, 0x80|byte(n))
		case n <= 0xffff:
			b = append(b, 0xde, byte(n>>8), byte(n))
		default:
			b = append(b, 0xdf, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		}
		x.ForEach(func(k, val lua.LValue) {
			b = mpEncode(b, k, level+1)
			b = mpEncode(b, val, level+1)
		})
		return b
	}
	return append(b, 0xc0)
}

type mpDecoder struct {
	L   *lua.LState
	s   string
	i   int
	err string
}

func (d *mpDecoder) need(n int) bool {
	if len(d.s)-d.i < n {
		d.err = "Missing bytes in input."
		return false
	}
	return true
}

func (d *mpDecoder) uint(n int) uint64 {
	var v uint64
	for j := 0; j < n; j++ {
		v = v<<8 | uint64(d.s[d.i+j])
	}
	d.i += n
	return v
}

func (d *mpDecoder) decode() lua.LValue {
	if d.err != "" || !d.need(1) {
		return lua.LNil
	}
	c := d.s[d.i]
	d.i++
	L := d.L
	switch {
	case c <= 0x7f:
		return lua.LNumber(c)
	case c >= 0xe0:
		return lua.LNumber(int8(c))
	case c&0xe0 == 0xa0:
		return d.bytes(int(c & 0x1f))
	case c&0xf0 == 0x90:
		return d.array(int(c & 0x0f))
	case c&0xf0 == 0x80:
		return d.mapping(int(c & 0x0f))
	}
	sized := func(n int) (uint64, bool) {
		if !d.need(n) {
			return 0, false
		}
		return d.uint(n), true
	}
	switch c {
	case 0xc0:
		return lua.LNil
	case 0xc2:
		return lua.LFalse
	case 0xc3:
		return lua.LTrue
	case 0xcc, 0xcd, 0xce, 0xcf:
		v, ok := sized(1 << (c - 0xcc))
		if !ok {
			return lua.LNil
		}
		return lua.LNumber(float64(v))
	case 0xd0:
		v, ok := sized(1)
		if !ok {
			return lua.LNil
		}
		return lua.LNumber(int8(v))
	case 0xd1:
		v, ok := sized(2)
		if !ok {
			return lua.LNil
		}
		return lua.LNumber(int16(v))
	case 0xd2:
		v, ok := sized(4)
		if !ok {
			return lua.LNil
		}
		return lua.LNumber(int32(v))
	case 0xd3:
		v, ok := sized(8)
		if !ok {
			return lua.LNil
		}
		return lua.LNumber(float64(int64(v)))
	case 0xca:
		v, ok := sized(4)
		if !ok {
			return lua.LNil
		}
		return lua.LNumber(math.Float32frombits(uint32(v)))
	case 0xcb:
		v, ok := sized(8)
		if !ok {
			return lua.LNil
		}
		return lua.LNumber(math.Float64frombits(v))
	case 0xd9:
		n, ok := sized(1)
		if !ok {
			return lua.LNil
		}
		return d.bytes(int(n))
	case 0xda:
		n, ok := sized(2)
		if !ok {
			return lua.LNil
		}
		return d.bytes(int(n))
	case 0xdb:
		n, ok := sized(4)
		if !ok {
			return lua.LNil
		}
		return d.bytes(int(n))
	case 0xdc:
		n, ok := sized(2)
		if !ok {
			return lua.LNil
		}
		return d.array(int(n))
	case 0xdd:
		n, ok := sized(4)
		if !ok {
			return lua.LNil
		}
		return d.array(int(n))
	case 0xde:
		n, ok := sized(2)
		if !ok {
			return lua.LNil
		}
		return d.mapping(int(n))
	case 0xdf:
		n, ok := sized(4)
		if !ok {
			return lua.LNil
		}
		return d.mapping(int(n))
	}
	_ = L
	d.err = "Bad data format in input."
	return lua.LNil
}

func (d *mpDecoder) bytes(n int) lua.LValue {
	if !d.need(n) {
		return lua.LNil
	}
	s := d.s[d.i : d.i+n]
	d.i += n
	return lua.LString(s)
}

func (d *mpDecoder) array(n int) lua.LValue {
	t := d.L.CreateTable(min(n, 1024), 0)
	for j := 1; j <= n && d.err == ""; j++ {
		t.RawSetInt(j, d.decode())
	}
	return t
}

func (d *mpDecoder) mapping(n int) lua.LValue {
	t := d.L.CreateTable(0, min(n, 1024))
	for j := 0; j < n && d.err == ""; j++ {
		k := d.decode()
		v := d.decode()
		if k != lua.LNil && d.err == "" {
			t.RawSet(k, v)
		}
	}
	return t
}

// msgpackUnpack decodes up to limit objects (0 = all) from offset; with
// withOffset the next offset (-1 at the end) comes first.
func msgpackUnpack(L *lua.LState, limit, offset int, withOffset bool) int {
	s := checkString(L, 1)
	if offset < 0 || limit < 0 {
		libError(L, "Invalid request to unpack with offset of %d and limit of %d.", offset, limit)
	}
	if offset > len(s) {
		libError(L, "Start offset %d greater than input length %d.", offset, len(s))
	}
	d := &mpDecoder{L: L, s: s, i: offset}
	var vals []lua.LValue
	for d.i < len(s) && (limit == 0 || len(vals) < limit) {
		v := d.decode()
		if d.err != "" {
			libError(L, "%s", d.err)
		}
		vals = append(vals, v)
	}
	n := 0
	if withOffset {
		next := d.i
		if next >= len(s) {
			next = -1
		}
		L.Push(lua.LNumber(next))
		n++
	}
	for _, v := range vals {
		L.Push(v)
	}
	return n + len(vals)
}
