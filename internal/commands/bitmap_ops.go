package commands

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// Pure helpers of the bitmap commands. Bit 0 is the most significant bit of
// byte 0, as in Redis; bits past the end of a string read as 0.

// parseBitOffset parses a SETBIT/GETBIT/BITFIELD bit offset: a strict
// non-negative integer whose byte index stays below proto-max-bulk-len. With
// hash (BITFIELD), "#N" means N*width.
func parseBitOffset(b []byte, hash bool, width int) (int64, bool) {
	mul := false
	if hash && len(b) > 0 && b[0] == '#' {
		b, mul = b[1:], true
	}
	v, ok := ParseInt(b)
	if !ok || v < 0 {
		return 0, false
	}
	if mul {
		if v > math.MaxInt64/int64(width) {
			return 0, false
		}
		v *= int64(width)
	}
	if v>>3 >= protoMaxBulkLen.Load() {
		return 0, false
	}
	return v, true
}

// getBit returns bit off of s.
func getBit(s []byte, off int64) int {
	i := off >> 3
	if i >= int64(len(s)) {
		return 0
	}
	return int(s[i]>>(7-uint(off&7))) & 1
}

// countBits counts the set bits in bits [from, to] (inclusive) of s; the
// range lies within s.
func countBits(s []byte, from, to int64) int64 {
	fb, lb := from>>3, to>>3
	first := byte(0xff) >> uint(from&7)
	last := byte(0xff) << uint(7-to&7)
	if fb == lb {
		return int64(bits.OnesCount8(s[fb] & first & last))
	}
	n := int64(bits.OnesCount8(s[fb]&first)) + int64(bits.OnesCount8(s[lb]&last))
	mid := s[fb+1 : lb]
	for len(mid) >= 8 {
		n += int64(bits.OnesCount64(binary.LittleEndian.Uint64(mid)))
		mid = mid[8:]
	}
	for _, c := range mid {
		n += int64(bits.OnesCount8(c))
	}
	return n
}

// findBit returns the position of the first bit equal to bit in bits
// [from, to] (inclusive) of s, or -1; the range lies within s.
func findBit(s []byte, bit int, from, to int64) int64 {
	var skip byte // a byte with no bit of interest
	if bit == 0 {
		skip = 0xff
	}
	fb, lb := from>>3, to>>3
	for i := fb; i <= lb; i++ {
		c := s[i]
		if i > fb && i < lb {
			// whole bytes: skip eight at a time
			if i+8 <= lb && binary.LittleEndian.Uint64(s[i:]) == uint64(skip)*0x0101010101010101 {
				i += 7
				continue
			}
			if c == skip {
				continue
			}
		}
		if bit == 0 {
			c = ^c
		}
		if i == fb {
			c &= 0xff >> uint(from&7)
		}
		if i == lb {
			c &= 0xff << uint(7-to&7)
		}
		if c != 0 {
			return i*8 + int64(bits.LeadingZeros8(c))
		}
	}
	return -1
}

// bitop combines srcs (a missing key is an empty string) with op "and",
// "or", "xor" or "not"; the result is as long as the longest source, shorter
// sources padded with zero bytes.
func bitop(op string, srcs [][]byte) []byte {
	n := 0
	for _, s := range srcs {
		n = max(n, len(s))
	}
	if n == 0 {
		return nil
	}
	out := make([]byte, n)
	if op == "not" {
		for i, c := range srcs[0] {
			out[i] = ^c
		}
		return out
	}
	copy(out, srcs[0])
	for _, s := range srcs[1:] {
		switch op {
		case "and":
			for i := range out {
				if i < len(s) {
					out[i] &= s[i]
				} else {
					out[i] = 0
				}
			}
		case "or":
			for i, c := range s {
				out[i] |= c
			}
		case "xor":
			for i, c := range s {
				out[i] ^= c
			}
		}
	}
	return out
}

// Bitfield overflow policies.
const (
	owWrap = iota
	owSat
	owFail
)

// bfRead reads the width-bit unsigned field at bit off of s.
func bfRead(s []byte, off int64, width int) uint64 {
	var v uint64
	for k := int64(0); k < int64(width); k++ {
		v = v<<1 | uint64(getBit(s, off+k))
	}
	return v
}

// bfWrite stores the low width bits of v at bit off of s, which is long
// enough.
func bfWrite(s []byte, off int64, width int, v uint64) {
	for k := 0; k < width; k++ {
		p := off + int64(k)
		mask := byte(1) << (7 - uint(p&7))
		if v>>(uint(width-1-k))&1 != 0 {
			s[p>>3] |= mask
		} else {
			s[p>>3] &^= mask
		}
	}
}

// bfSigned sign-extends a width-bit field.
func bfSigned(v uint64, width int) int64 {
	shift := uint(64 - width)
	return int64(v<<shift) >> shift
}

// signedRange is the value range of a signed width-bit field.
func signedRange(width int) (lo, hi int64) {
	hi = int64(uint64(1)<<uint(width-1) - 1)
	return -hi - 1, hi
}

// bfSetSigned is the value a signed width-bit field holds after BITFIELD
// SET v under policy ow; ok is false when FAIL refuses it.
//
// Redis 7.0 classifies the overflow of a SET as "upwards" not only when
// v > max but also, for fields narrower than 64 bits, when max - v does not
// fit in an int64 (the difference wraps negative): so SAT stores the maximum
// for the most negative values (observed: SET i8 with -2^63 or -2^63+1 stores
// 127, SET i63 with -2^62-1 stores 2^62-1), and the minimum for the others.
func bfSetSigned(v int64, width, ow int) (int64, bool) {
	lo, hi := signedRange(width)
	up := v > hi || (width < 64 && hi-v < 0) // hi-v wraps on purpose
	down := !up && v < lo
	if !up && !down {
		return v, true
	}
	switch ow {
	case owWrap:
		return bfSigned(uint64(v)&widthMask(width), width), true
	case owSat:
		if up {
			return hi, true
		}
		return lo, true
	}
	return 0, false
}

// bfIncrSigned is old+incr for a signed width-bit field under policy ow.
func bfIncrSigned(old, incr int64, width, ow int) (int64, bool) {
	lo, hi := signedRange(width)
	up := incr > 0 && old > hi-incr
	down := incr < 0 && old < lo-incr
	if !up && !down {
		return old + incr, true
	}
	switch ow {
	case owWrap:
		return bfSigned((uint64(old)+uint64(incr))&widthMask(width), width), true
	case owSat:
		if up {
			return hi, true
		}
		return lo, true
	}
	return 0, false
}

// bfSetUnsigned is the value an unsigned width-bit field holds after
// BITFIELD SET v: v is taken as a 64-bit unsigned number, so a negative v is
// an overflow upwards (SAT stores the maximum).
func bfSetUnsigned(v int64, width, ow int) (uint64, bool) {
	m := widthMask(width)
	u := uint64(v)
	if u <= m {
		return u, true
	}
	switch ow {
	case owWrap:
		return u & m, true
	case owSat:
		return m, true
	}
	return 0, false
}

// bfIncrUnsigned is old+incr for an unsigned width-bit field under ow.
func bfIncrUnsigned(old uint64, incr int64, width, ow int) (uint64, bool) {
	m := widthMask(width)
	up := incr > 0 && uint64(incr) > m-old
	down := incr < 0 && (incr == math.MinInt64 || uint64(-incr) > old)
	if !up && !down {
		return old + uint64(incr), true
	}
	switch ow {
	case owWrap:
		return (old + uint64(incr)) & m, true
	case owSat:
		if up {
			return m, true
		}
		return 0, true
	}
	return 0, false
}

func widthMask(width int) uint64 {
	if width >= 64 {
		return math.MaxUint64
	}
	return uint64(1)<<uint(width) - 1
}
