package crdt

import (
	"encoding/binary"
	"strconv"
)

// Listpacks in Redis' byte format: a stream node is one listpack, so its
// size (which decides when Redis starts a new node) and its DUMP bytes are
// exactly Redis'.
//
//	header: total bytes (uint32 LE), element count (uint16 LE, 65535 =
//	        unknown), then the elements, then 0xFF.
//	element: encoding + data, then its "backlen" (the size of encoding +
//	        data, written so that it can be read from the right).
//
// Encodings: 0xxxxxxx 7-bit unsigned int; 10xxxxxx string of up to 63
// bytes; 110xxxxx + 1 byte 13-bit int; 1110xxxx + 1 byte string of up to
// 4095 bytes; F0 + 4 bytes a longer string; F1/F2/F3/F4 16/24/32/64-bit
// ints (little-endian). A string that reads as a canonical int64 is stored
// as an integer, as Redis' lpAppend does.

const (
	lpHdrSize       = 6
	lpEOF           = 0xFF
	lpNumeleUnknown = 65535
)

func lpNew(capHint int) []byte {
	if capHint < lpHdrSize+1 {
		capHint = lpHdrSize + 1
	}
	b := make([]byte, lpHdrSize+1, capHint)
	binary.LittleEndian.PutUint32(b, lpHdrSize+1)
	b[lpHdrSize] = lpEOF
	return b
}

// lpValidHeader reports whether b looks like a listpack: the header's total
// matches len(b) and it ends with EOF.
func lpValidHeader(b []byte) bool {
	return len(b) >= lpHdrSize+1 && int(binary.LittleEndian.Uint32(b)) == len(b) && b[len(b)-1] == lpEOF
}

func lpNumele(lp []byte) int { return int(binary.LittleEndian.Uint16(lp[4:])) }

func lpSetTotal(lp []byte) { binary.LittleEndian.PutUint32(lp, uint32(len(lp))) }

func lpIncNumele(lp []byte) {
	n := lpNumele(lp)
	if n != lpNumeleUnknown {
		binary.LittleEndian.PutUint16(lp[4:], uint16(n+1))
	}
}

// lpIntSize is the size of an integer's encoding + data (listpack
// entries of lists and streams alike).
func lpIntSize(v int64) int {
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

// lpStrSize is the size of a string's encoding + data.
func lpStrSize(n int) int {
	switch {
	case n < 64:
		return 1 + n
	case n < 4096:
		return 2 + n
	}
	return 5 + n
}

// lpBacklenSize is the size of the backlen of an element of l bytes.
func lpBacklenSize(l int) int {
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

// lpElemSize is the whole size (with backlen) of s appended with lpAppend.
func lpElemSize(s []byte) int {
	var l int
	if v, ok := parseInt(s); ok {
		l = lpIntSize(v)
	} else {
		l = lpStrSize(len(s))
	}
	return l + lpBacklenSize(l)
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

func appendBacklen(b []byte, l int) []byte {
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

// lpAppendInt appends an integer element.
func lpAppendInt(lp []byte, v int64) []byte {
	lp = lp[:len(lp)-1]
	start := len(lp)
	lp = appendIntEnc(lp, v)
	lp = appendBacklen(lp, len(lp)-start)
	lp = append(lp, lpEOF)
	lpSetTotal(lp)
	lpIncNumele(lp)
	return lp
}

// lpAppend appends a string element (as an integer when it reads as one).
func lpAppend(lp []byte, s []byte) []byte {
	if v, ok := parseInt(s); ok {
		return lpAppendInt(lp, v)
	}
	lp = lp[:len(lp)-1]
	start := len(lp)
	lp = appendStrEnc(lp, s)
	lp = appendBacklen(lp, len(lp)-start)
	lp = append(lp, lpEOF)
	lpSetTotal(lp)
	lpIncNumele(lp)
	return lp
}

// lpEncLen is the size of the element at off without its backlen; 0 when
// malformed (or at EOF).
func lpEncLen(lp []byte, off int) int {
	if off >= len(lp) {
		return 0
	}
	b := lp[off]
	switch {
	case b&0x80 == 0:
		return 1
	case b&0xC0 == 0x80:
		return 1 + int(b&0x3F)
	case b&0xE0 == 0xC0:
		return 2
	case b&0xF0 == 0xE0:
		if off+1 >= len(lp) {
			return 0
		}
		return 2 + (int(b&0x0F)<<8 | int(lp[off+1]))
	}
	switch b {
	case 0xF0:
		if off+5 > len(lp) {
			return 0
		}
		return 5 + int(binary.LittleEndian.Uint32(lp[off+1:]))
	case 0xF1:
		return 3
	case 0xF2:
		return 4
	case 0xF3:
		return 5
	case 0xF4:
		return 9
	}
	return 0
}

// lpNext returns the offset of the element after the one at off.
func lpNext(lp []byte, off int) int {
	l := lpEncLen(lp, off)
	return off + l + lpBacklenSize(l)
}

// lpPrev returns the offset of the element before the one (or the EOF) at
// off, -1 when off is the first element.
func lpPrev(lp []byte, off int) int {
	if off <= lpHdrSize {
		return -1
	}
	p := off - 1
	var l, shift int
	for {
		c := lp[p]
		l |= int(c&127) << shift
		if c&128 == 0 {
			break
		}
		shift += 7
		p--
	}
	return p - l
}

// lpGet reads the element at off: an integer (isInt) or a string aliasing lp.
func lpGet(lp []byte, off int) (v int64, s []byte, isInt bool) {
	b := lp[off]
	switch {
	case b&0x80 == 0:
		return int64(b), nil, true
	case b&0xC0 == 0x80:
		n := int(b & 0x3F)
		return 0, lp[off+1 : off+1+n], false
	case b&0xE0 == 0xC0:
		u := uint64(b&0x1F)<<8 | uint64(lp[off+1])
		if u >= 1<<12 {
			return int64(u) - 1<<13, nil, true
		}
		return int64(u), nil, true
	case b&0xF0 == 0xE0:
		n := int(b&0x0F)<<8 | int(lp[off+1])
		return 0, lp[off+2 : off+2+n], false
	}
	switch b {
	case 0xF0:
		n := int(binary.LittleEndian.Uint32(lp[off+1:]))
		return 0, lp[off+5 : off+5+n], false
	case 0xF1:
		return int64(int16(binary.LittleEndian.Uint16(lp[off+1:]))), nil, true
	case 0xF2:
		u := uint32(lp[off+1]) | uint32(lp[off+2])<<8 | uint32(lp[off+3])<<16
		return int64(int32(u<<8) >> 8), nil, true
	case 0xF3:
		return int64(int32(binary.LittleEndian.Uint32(lp[off+1:]))), nil, true
	case 0xF4:
		return int64(binary.LittleEndian.Uint64(lp[off+1:])), nil, true
	}
	return 0, nil, false
}

// lpInt reads the element at off as an integer (a string that reads as one
// counts; anything else is 0).
func lpInt(lp []byte, off int) int64 {
	v, s, isInt := lpGet(lp, off)
	if isInt {
		return v
	}
	v, _ = parseInt(s)
	return v
}

// lpStr reads the element at off as a string: integers are formatted into
// buf (which the result may alias).
func lpStr(lp []byte, off int, buf []byte) []byte {
	v, s, isInt := lpGet(lp, off)
	if isInt {
		return strconv.AppendInt(buf[:0], v, 10)
	}
	return s
}

// lpReplaceInt replaces the element at off with the integer v; the element
// may change size. It returns the new listpack (off stays valid).
func lpReplaceInt(lp []byte, off int, v int64) []byte {
	old := lpEncLen(lp, off)
	oldTotal := old + lpBacklenSize(old)
	nl := lpIntSize(v)
	newTotal := nl + lpBacklenSize(nl)
	if newTotal != oldTotal {
		diff := newTotal - oldTotal
		if diff > 0 {
			lp = append(lp, make([]byte, diff)...)
			copy(lp[off+newTotal:], lp[off+oldTotal:len(lp)-diff])
		} else {
			copy(lp[off+newTotal:], lp[off+oldTotal:])
			lp = lp[:len(lp)+diff]
		}
	}
	b := appendIntEnc(lp[off:off], v)
	appendBacklen(b, len(b))
	lpSetTotal(lp)
	return lp
}

// lpValidate walks every element of lp and reports whether they are well
// formed (every element and its backlen inside the listpack, the last byte
// EOF), and the number of elements.
func lpValidate(lp []byte) (int, bool) {
	if !lpValidHeader(lp) {
		return 0, false
	}
	n := 0
	off := lpHdrSize
	for off < len(lp)-1 {
		l := lpEncLen(lp, off)
		if l == 0 {
			return 0, false
		}
		end := off + l + lpBacklenSize(l)
		if end > len(lp)-1 || end < off {
			return 0, false
		}
		// the backlen must be l's
		var bl [5]byte
		if string(appendBacklen(bl[:0], l)) != string(lp[off+l:end]) {
			return 0, false
		}
		off = end
		n++
	}
	if off != len(lp)-1 {
		return 0, false
	}
	if c := lpNumele(lp); c != lpNumeleUnknown && c != n {
		return 0, false
	}
	return n, true
}
