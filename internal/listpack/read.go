package listpack

import (
	"encoding/binary"
	"strconv"
)

// EncLen is the size of the encoding + data of the entry at b[p].
func EncLen(b []byte, p int) int {
	c := b[p]
	switch {
	case c < 0x80:
		return 1
	case c < 0xC0:
		return 1 + int(c&0x3f)
	case c < 0xE0:
		return 2
	case c < 0xF0:
		return 2 + (int(c&0x0f)<<8 | int(b[p+1]))
	}
	switch c {
	case 0xF0:
		return 5 + int(binary.LittleEndian.Uint32(b[p+1:]))
	case 0xF1:
		return 3
	case 0xF2:
		return 4
	case 0xF3:
		return 5
	}
	return 9
}

// Len is the whole size (with backlen) of the entry at b[p].
func Len(b []byte, p int) int {
	l := EncLen(b, p)
	return l + BacklenSize(l)
}

// Next is the offset of the entry after the one at b[p].
func Next(b []byte, p int) int { return p + Len(b, p) }

// Prev returns the start of the entry that ends right before b[e] (an
// entry's start, or the end byte). There must be one: in a whole listpack
// the first entry starts at HeaderSize.
func Prev(b []byte, e int) int {
	p := e - 1
	l, shift := 0, 0
	for {
		c := b[p]
		l |= int(c&127) << shift
		if c&128 == 0 {
			break
		}
		shift += 7
		p--
	}
	return p - l
}

// Decode reads the entry at b[p]: a string (aliasing b) or an integer.
func Decode(b []byte, p int) (s []byte, iv int64, isInt bool) {
	c := b[p]
	switch {
	case c < 0x80:
		return nil, int64(c), true
	case c < 0xC0:
		n := int(c & 0x3f)
		return b[p+1 : p+1+n], 0, false
	case c < 0xE0:
		u := int64(c&0x1f)<<8 | int64(b[p+1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		return nil, u, true
	case c < 0xF0:
		n := int(c&0x0f)<<8 | int(b[p+1])
		return b[p+2 : p+2+n], 0, false
	}
	switch c {
	case 0xF0:
		n := int(binary.LittleEndian.Uint32(b[p+1:]))
		return b[p+5 : p+5+n], 0, false
	case 0xF1:
		return nil, int64(int16(binary.LittleEndian.Uint16(b[p+1:]))), true
	case 0xF2:
		u := uint32(b[p+1]) | uint32(b[p+2])<<8 | uint32(b[p+3])<<16
		return nil, int64(int32(u<<8) >> 8), true
	case 0xF3:
		return nil, int64(int32(binary.LittleEndian.Uint32(b[p+1:]))), true
	}
	return nil, int64(binary.LittleEndian.Uint64(b[p+1:])), true
}

// DecodeN is Decode that also returns the entry's whole size.
func DecodeN(b []byte, p int) (s []byte, iv int64, isInt bool, n int) {
	c := b[p]
	switch {
	case c < 0x80:
		return nil, int64(c), true, 2
	case c < 0xC0:
		l := int(c & 0x3f)
		return b[p+1 : p+1+l], 0, false, 1 + l + BacklenSize(1+l)
	}
	s, iv, isInt = Decode(b, p)
	return s, iv, isInt, Len(b, p)
}

// Value returns the value of the entry at b[p]: a view into b for a
// string, or the integer formatted into buf (which the result may alias).
func Value(b []byte, p int, buf []byte) []byte {
	s, iv, isInt := Decode(b, p)
	if isInt {
		return strconv.AppendInt(buf[:0], iv, 10)
	}
	return s
}

// Int reads the entry at b[p] as an integer: a string that reads as one
// counts, anything else is 0.
func Int(b []byte, p int) int64 {
	s, iv, isInt := Decode(b, p)
	if isInt {
		return iv
	}
	iv, _ = ParseInt(s)
	return iv
}

// Equal reports whether the value of the entry at b[p] is s.
func Equal(b []byte, p int, s []byte) bool {
	v, iv, isInt := Decode(b, p)
	if !isInt {
		return string(v) == string(s)
	}
	var tmp [20]byte
	return string(strconv.AppendInt(tmp[:0], iv, 10)) == string(s)
}

// Check validates the (untrusted) entry at b[p] and returns its whole
// size, or 0 when it is malformed: a bad encoding byte, a length or a
// backlen that runs past the end of b, or a backlen that is not the
// entry's.
func Check(b []byte, p int) int {
	if p < 0 || p >= len(b) {
		return 0
	}
	c := b[p]
	var l int
	need := func(k int) bool { return p+k <= len(b) }
	switch {
	case c < 0x80:
		l = 1
	case c < 0xC0:
		l = 1 + int(c&0x3f)
	case c < 0xE0:
		l = 2
	case c < 0xF0:
		if !need(2) {
			return 0
		}
		l = 2 + (int(c&0x0f)<<8 | int(b[p+1]))
	default:
		switch c {
		case 0xF0:
			if !need(5) {
				return 0
			}
			n := uint64(binary.LittleEndian.Uint32(b[p+1:]))
			if n > uint64(len(b)) {
				return 0
			}
			l = 5 + int(n)
		case 0xF1:
			l = 3
		case 0xF2:
			l = 4
		case 0xF3:
			l = 5
		case 0xF4:
			l = 9
		default:
			return 0
		}
	}
	bl := BacklenSize(l)
	if !need(l + bl) {
		return 0
	}
	var want [5]byte
	PutBacklen(want[:bl], l)
	if string(b[p+l:p+l+bl]) != string(want[:bl]) {
		return 0
	}
	return l + bl
}

// CheckEntries validates a run of entries (no header, no end byte) and
// returns how many there are; ok is false when any is malformed.
func CheckEntries(entries []byte) (count int, ok bool) {
	for p := 0; p < len(entries); {
		n := Check(entries, p)
		if n == 0 {
			return 0, false
		}
		p += n
		count++
	}
	return count, true
}

// Each calls fn with the value of every entry of a run of checked entries;
// an integer's digits are in a buffer that fn must not keep.
func Each(entries []byte, fn func(v []byte)) {
	var buf [20]byte
	for p := 0; p < len(entries); p += Len(entries, p) {
		fn(Value(entries, p, buf[:]))
	}
}
