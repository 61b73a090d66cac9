package rdb

import "encoding/binary"

// ziplistEach checks a ziplist (the pre-7.0 compact encoding of small
// hashes, sorted sets and list nodes, which Redis 7.0 still loads) and
// calls fn with each element, a string (aliasing zl) or an integer:
//
//	zlbytes u32 | zltail u32 | zllen u16 | entry* | 0xFF
//	entry: prevlen (1 byte < 254, or 0xFE + u32) | encoding | data
//	encoding: 00LLLLLL, 01LLLLLL LLLLLLLL, 10000000 + u32 big-endian: a
//	string of that length; 0xC0 int16, 0xD0 int32, 0xE0 int64, 0xF0 int24,
//	0xFE int8 (little-endian); 0xF1..0xFD the value 0..12 itself.
//
// Every prevlen must be the previous entry's size, zltail the last entry's
// offset and zllen (unless 65535) the number of entries, as Redis' deep
// integrity check wants.
func ziplistEach(zl []byte, fn func(s []byte, iv int64, isInt bool)) error {
	if len(zl) < 11 || int(binary.LittleEndian.Uint32(zl)) != len(zl) || zl[len(zl)-1] != 0xFF {
		return ErrBadData
	}
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	hdrCount := int(binary.LittleEndian.Uint16(zl[8:]))
	end := len(zl) - 1
	p, prevLen, count, lastStart := 10, 0, 0, -1
	for p < end {
		start := p
		// prevlen
		if zl[p] < 254 {
			if int(zl[p]) != prevLen {
				return ErrBadData
			}
			p++
		} else {
			if zl[p] != 0xFE || p+5 > end || int(binary.LittleEndian.Uint32(zl[p+1:])) != prevLen {
				return ErrBadData
			}
			p += 5
		}
		if p >= end {
			return ErrBadData
		}
		enc := zl[p]
		need := func(k int) bool { return p+k <= end }
		switch {
		case enc>>6 == 0:
			n := int(enc & 0x3f)
			if !need(1 + n) {
				return ErrBadData
			}
			fn(zl[p+1:p+1+n], 0, false)
			p += 1 + n
		case enc>>6 == 1:
			if !need(2) {
				return ErrBadData
			}
			n := int(enc&0x3f)<<8 | int(zl[p+1])
			if !need(2 + n) {
				return ErrBadData
			}
			fn(zl[p+2:p+2+n], 0, false)
			p += 2 + n
		case enc == 0x80:
			if !need(5) {
				return ErrBadData
			}
			n := uint64(binary.BigEndian.Uint32(zl[p+1:]))
			if n > uint64(len(zl)) || !need(5+int(n)) {
				return ErrBadData
			}
			fn(zl[p+5:p+5+int(n)], 0, false)
			p += 5 + int(n)
		default:
			var x int64
			var k int
			switch {
			case enc == 0xC0:
				k = 2
			case enc == 0xD0:
				k = 4
			case enc == 0xE0:
				k = 8
			case enc == 0xF0:
				k = 3
			case enc == 0xFE:
				k = 1
			case enc >= 0xF1 && enc <= 0xFD:
				x = int64(enc&0x0f) - 1
			default:
				return ErrBadData
			}
			if !need(1 + k) {
				return ErrBadData
			}
			d := zl[p+1 : p+1+k]
			switch k {
			case 1:
				x = int64(int8(d[0]))
			case 2:
				x = int64(int16(binary.LittleEndian.Uint16(d)))
			case 3:
				x = int64(int32(uint32(d[0])<<8|uint32(d[1])<<16|uint32(d[2])<<24) >> 8)
			case 4:
				x = int64(int32(binary.LittleEndian.Uint32(d)))
			case 8:
				x = int64(binary.LittleEndian.Uint64(d))
			}
			fn(nil, x, true)
			p += 1 + k
		}
		prevLen = p - start
		lastStart = start
		count++
	}
	if count > 0 && lastStart != tail || count == 0 && tail != 10 {
		return ErrBadData
	}
	if hdrCount != 65535 && hdrCount != count {
		return ErrBadData
	}
	return nil
}
