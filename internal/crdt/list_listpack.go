package crdt

import (
	"encoding/binary"
	"strconv"
)

// The elements of a list live in nodes of packed entries in Redis' listpack
// entry format (the public listpack specification), so a node's bytes are
// what DUMP writes between the listpack header and its end byte, and what
// RESTORE hands back. An entry is an encoding byte (and for some encodings
// more length or integer bytes), the data, then "backlen": the length of
// encoding+data written in 7-bit groups that read from right to left, which
// lets a reader walk backwards.
//
//	0xxxxxxx                 integer 0..127
//	10LLLLLL data            string of up to 63 bytes
//	110xxxxx xxxxxxxx        13-bit signed integer (high bits first)
//	1110LLLL LLLLLLLL data   string of up to 4095 bytes (length high bits first)
//	11110000 L*4 data        string, 32-bit little-endian length
//	11110001 x*2             16-bit little-endian signed integer
//	11110010 x*3             24-bit
//	11110011 x*4             32-bit
//	11110100 x*8             64-bit
//
// A value is stored as an integer when it is the canonical decimal form of
// an int64 (Redis' string2ll), in the smallest integer encoding that holds
// it; otherwise as a string.

// qlVal is a value about to be written: its integer form when it has one.
type qlVal struct {
	s     []byte
	iv    int64
	isInt bool
	enc   int // encoding+data length
	tot   int // with backlen
}

func qlPrepare(s []byte) qlVal {
	v := qlVal{s: s}
	if len(s) <= 20 {
		if x, ok := parseInt(s); ok {
			v.iv, v.isInt = x, true
			v.enc = lpIntSize(x)
		}
	}
	if !v.isInt {
		v.enc = lpStrSize(len(s))
	}
	v.tot = v.enc + lpBacklenSize(v.enc)
	return v
}

// put writes the entry into dst[:v.tot].
func (v *qlVal) put(dst []byte) {
	_ = dst[v.tot-1]
	if v.isInt {
		x := v.iv
		switch v.enc {
		case 1:
			dst[0] = byte(x)
		case 2:
			u := uint64(x) & 0x1fff
			dst[0] = 0xC0 | byte(u>>8)
			dst[1] = byte(u)
		case 3:
			dst[0] = 0xF1
			binary.LittleEndian.PutUint16(dst[1:], uint16(x))
		case 4:
			dst[0] = 0xF2
			u := uint32(x)
			dst[1], dst[2], dst[3] = byte(u), byte(u>>8), byte(u>>16)
		case 5:
			dst[0] = 0xF3
			binary.LittleEndian.PutUint32(dst[1:], uint32(x))
		default:
			dst[0] = 0xF4
			binary.LittleEndian.PutUint64(dst[1:], uint64(x))
		}
	} else {
		n := len(v.s)
		var h int
		switch {
		case n < 64:
			dst[0] = 0x80 | byte(n)
			h = 1
		case n < 4096:
			dst[0] = 0xE0 | byte(n>>8)
			dst[1] = byte(n)
			h = 2
		default:
			dst[0] = 0xF0
			binary.LittleEndian.PutUint32(dst[1:], uint32(n))
			h = 5
		}
		copy(dst[h:], v.s)
	}
	qlPutBacklen(dst[v.enc:v.tot], v.enc)
}

// qlPutBacklen writes the backlen of l into dst (len(dst) == lpBacklenSize(l)).
func qlPutBacklen(dst []byte, l int) {
	n := len(dst)
	for i := n - 1; i >= 0; i-- {
		b := byte(l & 127)
		if i != 0 {
			b |= 128
		}
		dst[i] = b
		l >>= 7
	}
}

// AppendListpackEntry appends s as one listpack entry (with backlen).
func AppendListpackEntry(dst []byte, s []byte) []byte {
	v := qlPrepare(s)
	n := len(dst)
	dst = append(dst, make([]byte, v.tot)...)
	v.put(dst[n:])
	return dst
}

// qlEncAt returns the encoding+data length of the entry at b[p] (trusted).
func qlEncAt(b []byte, p int) int {
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

// qlLenAt is the full length (with backlen) of the entry at b[p] (trusted).
func qlLenAt(b []byte, p int) int {
	l := qlEncAt(b, p)
	return l + lpBacklenSize(l)
}

// qlPrev returns the start of the entry that ends at b[e] (exclusive).
func qlPrev(b []byte, e int) int {
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

// qlDecode reads the entry at b[p] (trusted): a string (aliasing b) or an
// integer.
func qlDecode(b []byte, p int) (s []byte, iv int64, isInt bool) {
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

// qlDecodeN is qlDecode that also returns the entry's full length.
func qlDecodeN(b []byte, p int) (s []byte, iv int64, isInt bool, n int) {
	c := b[p]
	switch {
	case c < 0x80:
		return nil, int64(c), true, 2
	case c < 0xC0:
		l := int(c & 0x3f)
		return b[p+1 : p+1+l], 0, false, 1 + l + lpBacklenSize(1+l)
	}
	s, iv, isInt = qlDecode(b, p)
	return s, iv, isInt, qlLenAt(b, p)
}

// qlValue returns the value of the entry at b[p]: a view into b for a
// string, or the integer formatted into buf.
func qlValue(b []byte, p int, buf []byte) []byte {
	s, iv, isInt := qlDecode(b, p)
	if isInt {
		return strconv.AppendInt(buf[:0], iv, 10)
	}
	return s
}

// qlEqual reports whether the entry at b[p] equals s.
func qlEqual(b []byte, p int, s []byte) bool {
	v, iv, isInt := qlDecode(b, p)
	if !isInt {
		return string(v) == string(s)
	}
	var tmp [20]byte
	return string(strconv.AppendInt(tmp[:0], iv, 10)) == string(s)
}

// qlCheckEntry validates the entry at b[p] (untrusted) and returns its full
// length, or 0 when it is malformed (bad encoding byte, runs past the end,
// or a backlen that does not match).
func qlCheckEntry(b []byte, p int) int {
	if p >= len(b) {
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
	bl := lpBacklenSize(l)
	if !need(l + bl) {
		return 0
	}
	var want [5]byte
	qlPutBacklen(want[:bl], l)
	if string(b[p+l:p+l+bl]) != string(want[:bl]) {
		return 0
	}
	return l + bl
}

// ListpackCheck validates a run of listpack entries (no header, no end
// byte) and returns how many there are; ok is false when any is malformed.
func ListpackCheck(entries []byte) (count int, ok bool) {
	for p := 0; p < len(entries); {
		n := qlCheckEntry(entries, p)
		if n == 0 {
			return 0, false
		}
		p += n
		count++
	}
	return count, true
}

// ListpackEach calls fn with the value of every entry of a run of entries
// already checked with ListpackCheck.
func ListpackEach(entries []byte, fn func(v []byte)) {
	var buf [20]byte
	for p := 0; p < len(entries); p += qlLenAt(entries, p) {
		fn(qlValue(entries, p, buf[:]))
	}
}
