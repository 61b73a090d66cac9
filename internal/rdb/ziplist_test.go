package rdb

import (
	"encoding/binary"
	"strconv"
)

// testZiplist builds a ziplist (the pre-7.0 format) of elems, the way older
// Redis versions wrote small hashes, sorted sets and list nodes: a string
// that is the canonical text of an int64 in the smallest integer encoding.
func testZiplist(elems []string) []byte {
	zl := make([]byte, 10)
	prev, last := 0, 10
	for _, s := range elems {
		start := len(zl)
		if prev < 254 {
			zl = append(zl, byte(prev))
		} else {
			zl = append(zl, 254)
			zl = binary.LittleEndian.AppendUint32(zl, uint32(prev))
		}
		if v, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(v, 10) == s {
			switch {
			case v >= 0 && v <= 12:
				zl = append(zl, 0xf1+byte(v))
			case v >= -128 && v <= 127:
				zl = append(zl, 0xfe, byte(v))
			case v >= -32768 && v <= 32767:
				zl = append(zl, 0xc0)
				zl = binary.LittleEndian.AppendUint16(zl, uint16(v))
			case v >= -(1<<23) && v < 1<<23:
				zl = append(zl, 0xf0, byte(v), byte(v>>8), byte(v>>16))
			case v >= -(1<<31) && v < 1<<31:
				zl = append(zl, 0xd0)
				zl = binary.LittleEndian.AppendUint32(zl, uint32(v))
			default:
				zl = append(zl, 0xe0)
				zl = binary.LittleEndian.AppendUint64(zl, uint64(v))
			}
		} else {
			switch n := len(s); {
			case n < 64:
				zl = append(zl, byte(n))
			case n < 16384:
				zl = append(zl, 0x40|byte(n>>8), byte(n))
			default:
				zl = append(zl, 0x80)
				zl = binary.BigEndian.AppendUint32(zl, uint32(n))
			}
			zl = append(zl, s...)
		}
		prev, last = len(zl)-start, start
	}
	zl = append(zl, 0xff)
	binary.LittleEndian.PutUint32(zl, uint32(len(zl)))
	binary.LittleEndian.PutUint32(zl[4:], uint32(last))
	binary.LittleEndian.PutUint16(zl[8:], uint16(len(elems)))
	return zl
}
