package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Length encoding: the two top bits of the first byte select the form.
const (
	len6Bit  = 0    // 00LLLLLL
	len14Bit = 1    // 01LLLLLL LLLLLLLL
	len32Bit = 0x80 // 10000000 + 4 bytes big-endian
	len64Bit = 0x81 // 10000001 + 8 bytes big-endian
	lenEnc   = 3    // 11EEEEEE: a special string encoding E follows
)

// Special string encodings, found in the low 6 bits of an 11xxxxxx length
// byte.
const (
	EncInt8  = 0 // one signed byte
	EncInt16 = 1 // two bytes, little-endian signed
	EncInt32 = 2 // four bytes, little-endian signed
	EncLZF   = 3 // compressed length, uncompressed length, LZF data
)

// Redis only tries LZF on strings longer than this.
const lzfMinLen = 20

// AppendLength appends n in RDB length encoding, using the shortest form.
func AppendLength(dst []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(dst, byte(n))
	case n < 1<<14:
		return append(dst, byte(n>>8)|len14Bit<<6, byte(n))
	case n <= math.MaxUint32:
		dst = append(dst, len32Bit)
		return binary.BigEndian.AppendUint32(dst, uint32(n))
	default:
		dst = append(dst, len64Bit)
		return binary.BigEndian.AppendUint64(dst, n)
	}
}

// ReadLength reads an RDB length from the start of p. When the first byte is
// of the form 11xxxxxx, encoded is true and n is the special encoding in its
// low 6 bits (EncInt8 ... EncLZF) rather than a length.
func ReadLength(p []byte) (n uint64, encoded bool, rest []byte, err error) {
	if len(p) == 0 {
		return 0, false, p, ErrBadData
	}
	b := p[0]
	switch b >> 6 {
	case len6Bit:
		return uint64(b & 0x3f), false, p[1:], nil
	case len14Bit:
		if len(p) < 2 {
			return 0, false, p, ErrBadData
		}
		return uint64(b&0x3f)<<8 | uint64(p[1]), false, p[2:], nil
	case lenEnc:
		return uint64(b & 0x3f), true, p[1:], nil
	}
	switch b {
	case len32Bit:
		if len(p) < 5 {
			return 0, false, p, ErrBadData
		}
		return uint64(binary.BigEndian.Uint32(p[1:])), false, p[5:], nil
	case len64Bit:
		if len(p) < 9 {
			return 0, false, p, ErrBadData
		}
		return binary.BigEndian.Uint64(p[1:]), false, p[9:], nil
	}
	return 0, false, p, ErrBadData
}

// readPlainLength reads a length where Redis does not expect a special
// encoding. Like Redis, it takes the 6-bit value of an 11xxxxxx byte as is.
func readPlainLength(p []byte) (int, []byte, error) {
	n, _, rest, err := ReadLength(p)
	if err != nil {
		return 0, p, err
	}
	if n > math.MaxInt {
		return 0, p, ErrBadData
	}
	return int(n), rest, nil
}

// AppendString appends s as an RDB string, choosing the encoding as
// redis-server 7.0 does: a canonical decimal integer (no sign but '-', no
// leading zeros, as strconv.FormatInt would print it) that fits in 32 bits is
// stored in the smallest integer encoding; a string longer than 20 bytes is
// LZF-compressed when that saves at least 4 bytes (see LZFCompress); anything
// else is stored raw.
func AppendString(dst []byte, s []byte) []byte {
	if v, ok := canonicalInt32(s); ok {
		return appendIntString(dst, v)
	}
	if len(s) > lzfMinLen {
		if c := LZFCompress(s); c != nil {
			dst = append(dst, lenEnc<<6|EncLZF)
			dst = AppendLength(dst, uint64(len(c)))
			dst = AppendLength(dst, uint64(len(s)))
			return append(dst, c...)
		}
	}
	return AppendRawString(dst, s)
}

// AppendRawString appends s as a plain length-prefixed string, with no integer
// or LZF encoding.
func AppendRawString(dst []byte, s []byte) []byte {
	dst = AppendLength(dst, uint64(len(s)))
	return append(dst, s...)
}

// canonicalInt32 reports whether s is the decimal form of an integer that
// fits in 32 bits, written exactly as strconv.FormatInt writes it.
func canonicalInt32(s []byte) (int32, bool) {
	if len(s) == 0 || len(s) > 11 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(s), 10, 32)
	if err != nil {
		return 0, false
	}
	var buf [12]byte
	if string(strconv.AppendInt(buf[:0], v, 10)) != string(s) {
		return 0, false
	}
	return int32(v), true
}

// appendIntString stores v in the smallest of the INT8/16/32 encodings.
func appendIntString(dst []byte, v int32) []byte {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(dst, lenEnc<<6|EncInt8, byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		dst = append(dst, lenEnc<<6|EncInt16)
		return binary.LittleEndian.AppendUint16(dst, uint16(v))
	default:
		dst = append(dst, lenEnc<<6|EncInt32)
		return binary.LittleEndian.AppendUint32(dst, uint32(v))
	}
}

// ReadString reads an RDB string (raw, integer-encoded or LZF-compressed)
// from the start of p. The returned bytes never alias p. Lengths are checked
// against the data actually present before anything is allocated.
func ReadString(p []byte) (s []byte, rest []byte, err error) {
	n, encoded, rest, err := ReadLength(p)
	if err != nil {
		return nil, p, err
	}
	if !encoded {
		if n > uint64(len(rest)) {
			return nil, p, ErrBadData
		}
		s = make([]byte, n)
		copy(s, rest)
		return s, rest[n:], nil
	}
	switch n {
	case EncInt8:
		if len(rest) < 1 {
			return nil, p, ErrBadData
		}
		return strconv.AppendInt(nil, int64(int8(rest[0])), 10), rest[1:], nil
	case EncInt16:
		if len(rest) < 2 {
			return nil, p, ErrBadData
		}
		v := int16(binary.LittleEndian.Uint16(rest))
		return strconv.AppendInt(nil, int64(v), 10), rest[2:], nil
	case EncInt32:
		if len(rest) < 4 {
			return nil, p, ErrBadData
		}
		v := int32(binary.LittleEndian.Uint32(rest))
		return strconv.AppendInt(nil, int64(v), 10), rest[4:], nil
	case EncLZF:
		clen, r, err := readPlainLength(rest)
		if err != nil {
			return nil, p, err
		}
		ulen, r, err := readPlainLength(r)
		if err != nil {
			return nil, p, err
		}
		if clen > len(r) {
			return nil, p, ErrBadData
		}
		if ulen == 0 {
			// Redis accepts any data here: its decompressor reports 0
			// bytes written both on error and for an empty result.
			return []byte{}, r[clen:], nil
		}
		s, err := LZFDecompress(r[:clen], ulen)
		if err != nil {
			return nil, p, ErrBadData
		}
		return s, r[clen:], nil
	}
	return nil, p, ErrBadData
}
