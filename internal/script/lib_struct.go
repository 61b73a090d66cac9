package script

import (
	"encoding/binary"
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// The struct library (Roberto Ierusalimschy's struct 0.2, as bundled with
// Redis): pack, unpack and size with formats of the options
//
//	< > = !n  little / big / native endian, maximum alignment
//	x b B h H l L T i[n] I[n] f d s c[n]
//
// implemented from its documentation.

const structMaxIntSize = 32
const structNativeAlign = 8

type structFmt struct {
	f      string
	i      int
	little bool
	align  int
}

func (s *structFmt) digitArg(L *lua.LState, def int) int {
	if s.i >= len(s.f) || s.f[s.i] < '0' || s.f[s.i] > '9' {
		return def
	}
	a := 0
	for s.i < len(s.f) && s.f[s.i] >= '0' && s.f[s.i] <= '9' {
		a = a*10 + int(s.f[s.i]-'0')
		if a > math.MaxInt32/10 {
			libError(L, "integral size overflow")
		}
		s.i++
	}
	return a
}

// next reads one option: it returns the option and its size (0 for
// options without data), handling the endianness/alignment controls.
func (s *structFmt) next(L *lua.LState) (opt byte, size int) {
	opt = s.f[s.i]
	s.i++
	switch opt {
	case 'b', 'B', 'x':
		return opt, 1
	case 'h', 'H':
		return opt, 2
	case 'l', 'L', 'T':
		return opt, 8
	case 'f':
		return opt, 4
	case 'd':
		return opt, 8
	case 'c':
		return opt, s.digitArg(L, 1)
	case 'i', 'I':
		n := s.digitArg(L, 4)
		if n > structMaxIntSize {
			libError(L, "integral size %d is larger than limit of %d", n, structMaxIntSize)
		}
		return opt, n
	case 's', ' ':
		return opt, 0
	case '<':
		s.little = true
		return opt, 0
	case '>':
		s.little = false
		return opt, 0
	case '=':
		s.little = true
		return opt, 0
	case '!':
		a := s.digitArg(L, structNativeAlign)
		if a&(a-1) != 0 {
			libError(L, "alignment %d is not a power of 2", a)
		}
		s.align = a
		return opt, 0
	}
	libArgError(L, 1, "invalid format option '"+string(opt)+"'")
	return 0, 0
}

func (s *structFmt) gap(size, total int) int {
	if opt := s.f[s.i-1]; opt == 'c' || opt == 's' || opt == ' ' || opt == 'x' {
		return 0
	}
	align := size
	if align <= 1 {
		return 0
	}
	if align > s.align {
		align = s.align
	}
	if align&(align-1) != 0 {
		return 0
	}
	return (align - total&(align-1)) & (align - 1)
}

func openStruct(L *lua.LState) {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	L.SetGlobal("struct", t)
}

func putInt(b []byte, v uint64, size int, little bool, neg bool) []byte {
	buf := make([]byte, size)
	for i := 0; i < size; i++ {
		var byt byte
		if i < 8 {
			byt = byte(v >> (8 * i))
		} else if neg {
			byt = 0xff
		}
		if little {
			buf[i] = byt
		} else {
			buf[size-1-i] = byt
		}
	}
	return append(b, buf...)
}

func structPack(L *lua.LState) int {
	sf := &structFmt{f: checkString(L, 1), little: true, align: 1}
	arg := 2
	var out []byte
	for sf.i < len(sf.f) {
		opt, size := sf.next(L)
		for g := sf.gap(size, len(out)); g > 0; g-- {
			out = append(out, 0)
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			n := structNumber(L, arg)
			arg++
			var v uint64
			neg := n < 0
			if neg {
				v = uint64(toInt64(n))
			} else if n >= 1.8446744073709552e19 {
				v = math.MaxUint64
			} else {
				v = uint64(n)
			}
			out = putInt(out, v, size, sf.little, neg)
		case 'x':
			out = append(out, 0)
		case 'f':
			n := structNumber(L, arg)
			arg++
			var b [4]byte
			if sf.little {
				binary.LittleEndian.PutUint32(b[:], math.Float32bits(float32(n)))
			} else {
				binary.BigEndian.PutUint32(b[:], math.Float32bits(float32(n)))
			}
			out = append(out, b[:]...)
		case 'd':
			n := structNumber(L, arg)
			arg++
			var b [8]byte
			if sf.little {
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(n))
			} else {
				binary.BigEndian.PutUint64(b[:], math.Float64bits(n))
			}
			out = append(out, b[:]...)
		case 'c', 's':
			s, ok := luaStringOf(L.Get(arg))
			if !ok {
				libTypeError(L, arg, "string")
			}
			l := len(s)
			if size == 0 {
				size = l
			}
			if l < size {
				libArgError(L, arg+1, "string too short")
			}
			out = append(out, s[:size]...)
			if opt == 's' {
				out = append(out, 0)
			}
			arg++
		}
	}
	L.Push(lua.LString(out))
	return 1
}

func structUnpack(L *lua.LState) int {
	sf := &structFmt{f: checkString(L, 1), little: true, align: 1}
	data := checkString(L, 2)
	pos := 0
	if L.GetTop() >= 3 {
		pos = int(checkNumber(L, 3)) - 1
	}
	if pos < 0 || pos > len(data) {
		libArgError(L, 3, "offset must be 1 or greater")
	}
	n := 0
	for sf.i < len(sf.f) {
		opt, size := sf.next(L)
		pos += sf.gap(size, pos)
		if size > len(data)-pos || pos+size < pos {
			libArgError(L, 2, "data string too short")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			signed := opt == 'b' || opt == 'h' || opt == 'l' || opt == 'i'
			var v uint64
			for i := 0; i < size; i++ {
				var byt byte
				if sf.little {
					byt = data[pos+size-1-i]
				} else {
					byt = data[pos+i]
				}
				v = v<<8 | uint64(byt)
			}
			var f float64
			if signed {
				if size < 8 {
					shift := uint(64 - 8*size)
					f = float64(int64(v<<shift) >> shift)
				} else {
					f = float64(int64(v))
				}
			} else {
				f = float64(v)
			}
			L.Push(lua.LNumber(f))
			n++
		case 'x':
		case 'f':
			var u uint32
			if sf.little {
				u = binary.LittleEndian.Uint32([]byte(data[pos : pos+4]))
			} else {
				u = binary.BigEndian.Uint32([]byte(data[pos : pos+4]))
			}
			L.Push(lua.LNumber(math.Float32frombits(u)))
			n++
		case 'd':
			var u uint64
			if sf.little {
				u = binary.LittleEndian.Uint64([]byte(data[pos : pos+8]))
			} else {
				u = binary.BigEndian.Uint64([]byte(data[pos : pos+8]))
			}
			L.Push(lua.LNumber(math.Float64frombits(u)))
			n++
		case 'c':
			if size == 0 {
				if n == 0 {
					libError(L, "format 'c0' needs a previous size")
				}
				prev, ok := L.Get(-1).(lua.LNumber)
				if !ok {
					libError(L, "format 'c0' needs a previous size")
				}
				L.Pop(1)
				n--
				size = int(prev)
				if size < 0 || size > len(data)-pos {
					libArgError(L, 2, "data string too short")
				}
			}
			L.Push(lua.LString(data[pos : pos+size]))
			n++
		case 's':
			end := -1
			for j := pos; j < len(data); j++ {
				if data[j] == 0 {
					end = j
					break
				}
			}
			if end < 0 {
				libError(L, "unfinished string in data")
			}
			L.Push(lua.LString(data[pos:end]))
			n++
			size = end - pos + 1
		}
		pos += size
	}
	L.Push(lua.LNumber(pos + 1))
	return n + 1
}

func structSize(L *lua.LState) int {
	sf := &structFmt{f: checkString(L, 1), little: true, align: 1}
	total := 0
	for sf.i < len(sf.f) {
		opt, size := sf.next(L)
		total += sf.gap(size, total)
		if opt == 's' {
			libArgError(L, 1, "option 's' has no fixed size")
		}
		if opt == 'c' && size == 0 {
			libArgError(L, 1, "option 'c0' has no fixed size")
		}
		total += size
	}
	L.Push(lua.LNumber(total))
	return 1
}

var _ = strconv.Itoa

// structNumber is checkNumber as struct.pack reports a missing argument
// ("got nil": it pads the stack first).
func structNumber(L *lua.LState, i int) float64 {
	if i > L.GetTop() {
		libArgError(L, i, "number expected, got nil")
	}
	return checkNumber(L, i)
}
