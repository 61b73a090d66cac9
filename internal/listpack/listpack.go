// Package listpack reads and writes Redis' listpack format (the public
// listpack specification), the one byte layout that list nodes, stream
// nodes and the DUMP payloads of hashes, sorted sets and lists share.
//
// A listpack is a header of 6 bytes (total bytes as a little-endian
// uint32, element count as a little-endian uint16, 65535 when it does not
// fit), the entries, and an end byte 0xFF. An entry is an encoding byte
// (with, for some encodings, more length or integer bytes), the data, then
// its "backlen": the length of encoding + data in 7-bit groups that read
// from right to left, so that a reader can walk backwards.
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
// an int64 (Redis' string2ll, see ParseInt), in the smallest integer
// encoding that holds it; otherwise as a string.
//
// Functions named for an offset p into b read the entry that starts at
// b[p]; those that do not say "untrusted" expect a well formed entry (one
// this package wrote, or one Check accepted) and do no bounds checks of
// their own beyond Go's.
package listpack

import (
	"encoding/binary"
	"unsafe"
)

const (
	// HeaderSize is the size of a listpack's header; the first entry
	// starts there.
	HeaderSize = 6
	// End is the byte that ends a listpack.
	End = 0xFF
	// UnknownCount is the header's element count when the count does not
	// fit in 16 bits.
	UnknownCount = 65535
)

// ParseInt parses a canonical base-10 int64 as Redis' string2ll does: at
// most 20 bytes, no sign other than a leading '-', no leading zeros, no
// spaces, "-0" refused. A listpack stores exactly these strings as
// integers.
func ParseInt(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	i := 0
	neg := b[0] == '-'
	if neg {
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (1<<64-1)/10 {
			return 0, false
		}
		nv := v*10 + uint64(c-'0')
		if nv < v {
			return 0, false
		}
		v = nv
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// --- sizes ---------------------------------------------------------------------

// IntSize is the size of an integer entry's encoding + data.
func IntSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= -32768 && v <= 32767:
		return 3
	case v >= -8388608 && v <= 8388607:
		return 4
	case v >= -2147483648 && v <= 2147483647:
		return 5
	}
	return 9
}

// StrSize is the size of the encoding + data of a string entry of n bytes.
func StrSize(n int) int {
	switch {
	case n < 64:
		return 1 + n
	case n < 4096:
		return 2 + n
	}
	return 5 + n
}

// BacklenSize is the size of the backlen of an entry whose encoding + data
// take l bytes.
func BacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// EntrySize is the whole size (with backlen) of the entry Append writes
// for s.
func EntrySize(s []byte) int {
	var l int
	if v, ok := ParseInt(s); ok {
		l = IntSize(v)
	} else {
		l = StrSize(len(s))
	}
	return l + BacklenSize(l)
}

// --- writing entries -------------------------------------------------------------

// Entry is a value about to be written as one entry: Prepare decides its
// encoding once, Size is how many bytes it takes, Put writes it.
type Entry struct {
	s     []byte
	iv    int64
	isInt bool
	enc   int // encoding + data
	Size  int // with backlen
}

// Prepare decides how s is written (as an integer when it reads as one).
func Prepare(s []byte) Entry {
	v := Entry{s: s}
	if len(s) <= 20 {
		if x, ok := ParseInt(s); ok {
			v.iv, v.isInt = x, true
			v.enc = IntSize(x)
		}
	}
	if !v.isInt {
		v.enc = StrSize(len(s))
	}
	v.Size = v.enc + BacklenSize(v.enc)
	return v
}

// Put writes the entry into dst[:v.Size].
func (v *Entry) Put(dst []byte) {
	_ = dst[v.Size-1]
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
	PutBacklen(dst[v.enc:v.Size], v.enc)
}

// PutBacklen writes the backlen of l into dst, len(dst) == BacklenSize(l).
func PutBacklen(dst []byte, l int) {
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

// AppendBacklen appends the backlen of l: 7 bits a byte, the most
// significant first, every byte but the first with its top bit set.
func AppendBacklen(b []byte, l int) []byte {
	switch {
	case l <= 127:
		return append(b, byte(l))
	case l < 16383:
		return append(b, byte(l>>7), byte(l&127)|128)
	case l < 2097151:
		return append(b, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case l < 268435455:
		return append(b, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	}
	return append(b, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
}

func appendIntEnc(b []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 127:
		return append(b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & (1<<13 - 1)
		return append(b, byte(u>>8)|0xC0, byte(u))
	case v >= -32768 && v <= 32767:
		u := uint16(v)
		return append(b, 0xF1, byte(u), byte(u>>8))
	case v >= -8388608 && v <= 8388607:
		u := uint32(v)
		return append(b, 0xF2, byte(u), byte(u>>8), byte(u>>16))
	case v >= -2147483648 && v <= 2147483647:
		u := uint32(v)
		return append(b, 0xF3, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	b = append(b, 0xF4)
	return binary.LittleEndian.AppendUint64(b, uint64(v))
}

func appendStrEnc(b []byte, s []byte) []byte {
	n := len(s)
	switch {
	case n < 64:
		b = append(b, 0x80|byte(n))
	case n < 4096:
		b = append(b, 0xE0|byte(n>>8), byte(n))
	default:
		b = append(b, 0xF0)
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
	}
	return append(b, s...)
}

// AppendInt appends an integer entry (with its backlen) to b.
func AppendInt(b []byte, v int64) []byte {
	start := len(b)
	b = appendIntEnc(b, v)
	return AppendBacklen(b, len(b)-start)
}

// Append appends s as one entry (with its backlen) to b: an integer entry
// when s reads as one (ParseInt), else a string entry.
func Append(b []byte, s []byte) []byte {
	if v, ok := ParseInt(s); ok {
		return AppendInt(b, v)
	}
	start := len(b)
	b = appendStrEnc(b, s)
	return AppendBacklen(b, len(b)-start)
}

// AppendString is Append of a string (s is only read).
func AppendString(b []byte, s string) []byte {
	return Append(b, unsafe.Slice(unsafe.StringData(s), len(s)))
}
