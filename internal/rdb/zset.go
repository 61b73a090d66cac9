package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Sorted sets in DUMP payloads, as Redis 7.0 writes and reads them:
//
//   - TypeZSetListpack (17): one RDB string holding a listpack of member,
//     score, member, score... in ascending order; an integral score within
//     ±2^62 as an integer, other scores as %.17g text ("inf", "-inf"), and
//     a member that reads as an int64 as an integer;
//   - TypeZSet2 (5): the count, then from the highest score down each
//     member (an RDB string) and its score (8 bytes, little-endian IEEE);
//   - read only: TypeZSetZiplist (12, the pre-7.0 listpack) and TypeZSet
//     (3, scores as length-prefixed text).

func init() {
	RegisterDecoder(TypeZSetListpack, func(b []byte) (any, error) { return decodeZSetPacked(b, false) })
	RegisterDecoder(TypeZSetZiplist, func(b []byte) (any, error) { return decodeZSetPacked(b, true) })
	RegisterDecoder(TypeZSet2, func(b []byte) (any, error) { return decodeZSetSkiplist(b, true) })
	RegisterDecoder(TypeZSet, func(b []byte) (any, error) { return decodeZSetSkiplist(b, false) })
}

// ZSet is a decoded sorted set: distinct members and their scores.
type ZSet struct {
	Members [][]byte
	Scores  []float64
	// Packed is true for listpack and ziplist payloads: Redis loads those
	// as a listpack (converted only when there are more members than
	// zset-max-listpack-entries); skiplist payloads are loaded as a
	// skiplist and converted to a listpack when they fit.
	Packed bool
}

// DumpZSet returns the DUMP payload of a sorted set of n members. each
// visits the members with their scores, ascending, or descending when desc
// is true, until yield returns false. A listpack-encoded set is written as
// TypeZSetListpack, a skiplist as TypeZSet2.
func DumpZSet(listpack bool, n int, each func(desc bool, yield func(member string, score float64) bool)) []byte {
	if listpack {
		lp := make([]byte, 6, 6+n*16+1)
		count := 0
		var num [32]byte
		each(false, func(m string, s float64) bool {
			lp = zlpAppendString(lp, m)
			lp = zlpAppendString(lp, string(zAppendD2String(num[:0], s)))
			count += 2
			return true
		})
		lp = append(lp, 0xff)
		binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
		if count > math.MaxUint16-1 {
			count = math.MaxUint16
		}
		binary.LittleEndian.PutUint16(lp[4:], uint16(count))
		p := make([]byte, 0, len(lp)+16)
		p = append(p, TypeZSetListpack)
		p = AppendString(p, lp)
		return appendFooter(p)
	}
	p := make([]byte, 0, 16+n*24)
	p = append(p, TypeZSet2)
	p = AppendLength(p, uint64(n))
	each(true, func(m string, s float64) bool {
		p = AppendString(p, []byte(m))
		p = binary.LittleEndian.AppendUint64(p, math.Float64bits(s))
		return true
	})
	return appendFooter(p)
}

// zAppendD2String formats a listpack score as Redis 7.0 stores it: an
// integral value within ±2^62 as an integer (double2ll), "inf", "-inf",
// else printf's %.17g (d2string).
func zAppendD2String(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	if f >= -(1<<62) && f <= 1<<62 && f == math.Trunc(f) {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// ---- listpack encoding ----

// zlpAppendString appends an entry for s: an integer entry when s is the
// canonical text of an int64, else a string entry.
func zlpAppendString(lp []byte, s string) []byte {
	if v, ok := zlpStringToInt64(s); ok {
		return zlpAppendInt(lp, v)
	}
	start := len(lp)
	n := len(s)
	switch {
	case n < 64:
		lp = append(lp, 0x80|byte(n))
	case n < 4096:
		lp = append(lp, 0xe0|byte(n>>8), byte(n))
	default:
		lp = append(lp, 0xf0)
		lp = binary.LittleEndian.AppendUint32(lp, uint32(n))
	}
	lp = append(lp, s...)
	return zlpAppendBacklen(lp, len(lp)-start)
}

func zlpAppendInt(lp []byte, v int64) []byte {
	start := len(lp)
	switch {
	case v >= 0 && v <= 127:
		lp = append(lp, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1fff
		lp = append(lp, 0xc0|byte(u>>8), byte(u))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		lp = append(lp, 0xf1)
		lp = binary.LittleEndian.AppendUint16(lp, uint16(v))
	case v >= -1<<23 && v < 1<<23:
		u := uint32(v)
		lp = append(lp, 0xf2, byte(u), byte(u>>8), byte(u>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		lp = append(lp, 0xf3)
		lp = binary.LittleEndian.AppendUint32(lp, uint32(v))
	default:
		lp = append(lp, 0xf4)
		lp = binary.LittleEndian.AppendUint64(lp, uint64(v))
	}
	return zlpAppendBacklen(lp, len(lp)-start)
}

// zlpAppendBacklen appends an entry's length (encoding and data) so the
// listpack can be walked backwards: 7 bits a byte, the most significant
// first, every byte but the first with its top bit set.
func zlpAppendBacklen(lp []byte, l int) []byte {
	switch {
	case l <= 127:
		return append(lp, byte(l))
	case l < 16383:
		return append(lp, byte(l>>7), byte(l&127)|128)
	case l < 2097151:
		return append(lp, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case l < 268435455:
		return append(lp, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	default:
		return append(lp, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	}
}

// zlpStringToInt64 is the listpack's test for storing a string as an
// integer: the canonical decimal text of an int64 (no '+', no leading
// zeros, no "-0"), at most 20 bytes.
func zlpStringToInt64(s string) (int64, bool) {
	n := len(s)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && s[0] == '0' {
		return 0, true
	}
	i := 0
	neg := s[0] == '-'
	if neg {
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// ---- decoding ----

// zPackedEntry is one listpack/ziplist element: a string or an integer.
type zPackedEntry struct {
	s     []byte
	v     int64
	isInt bool
}

func (e zPackedEntry) bytes() []byte {
	if e.isInt {
		return strconv.AppendInt(nil, e.v, 10)
	}
	return append([]byte(nil), e.s...)
}

// score reads an entry as a score the way Redis does (zzlGetScore): an
// integer as is, text with strtod.
func (e zPackedEntry) score() (float64, bool) {
	if e.isInt {
		return float64(e.v), true
	}
	return zParseScoreText(e.s)
}

// zParseScoreText parses a stored score's text: decimal, "inf"/"-inf" in
// any case (as strtod would); NaN is refused.
func zParseScoreText(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 128 {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	for _, c := range b {
		if c == '_' || c == 'x' || c == 'X' {
			return 0, false
		}
	}
	if math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func decodeZSetPacked(body []byte, ziplist bool) (any, error) {
	blob, _, err := ReadString(body)
	if err != nil {
		return nil, ErrBadData
	}
	var entries []zPackedEntry
	if ziplist {
		entries, err = zZiplistEntries(blob)
	} else {
		entries, err = zListpackEntries(blob)
	}
	if err != nil || len(entries) == 0 || len(entries)%2 != 0 {
		return nil, ErrBadData
	}
	z := &ZSet{Packed: true}
	seen := make(map[string]bool, len(entries)/2)
	for i := 0; i < len(entries); i += 2 {
		m := entries[i].bytes()
		s, ok := entries[i+1].score()
		if !ok || seen[string(m)] {
			return nil, ErrBadData
		}
		seen[string(m)] = true
		z.Members = append(z.Members, m)
		z.Scores = append(z.Scores, s)
	}
	return z, nil
}

// zListpackEntries parses a whole listpack, checking its header, every
// entry's back length and the terminator.
func zListpackEntries(lp []byte) ([]zPackedEntry, error) {
	if len(lp) < 7 || int(binary.LittleEndian.Uint32(lp)) != len(lp) || lp[len(lp)-1] != 0xff {
		return nil, ErrBadData
	}
	count := int(binary.LittleEndian.Uint16(lp[4:]))
	p := lp[6 : len(lp)-1]
	var out []zPackedEntry
	for len(p) > 0 {
		var e zPackedEntry
		var n int // encoding + data length
		b := p[0]
		switch {
		case b&0x80 == 0:
			e, n = zPackedEntry{v: int64(b), isInt: true}, 1
		case b&0xc0 == 0x80:
			l := int(b & 0x3f)
			if 1+l > len(p) {
				return nil, ErrBadData
			}
			e, n = zPackedEntry{s: p[1 : 1+l]}, 1+l
		case b&0xe0 == 0xc0:
			if len(p) < 2 {
				return nil, ErrBadData
			}
			u := uint64(b&0x1f)<<8 | uint64(p[1])
			v := int64(u)
			if u >= 1<<12 {
				v = int64(u) - 1<<13
			}
			e, n = zPackedEntry{v: v, isInt: true}, 2
		case b&0xf0 == 0xe0:
			if len(p) < 2 {
				return nil, ErrBadData
			}
			l := int(b&0x0f)<<8 | int(p[1])
			if 2+l > len(p) {
				return nil, ErrBadData
			}
			e, n = zPackedEntry{s: p[2 : 2+l]}, 2+l
		case b == 0xf0:
			if len(p) < 5 {
				return nil, ErrBadData
			}
			l := int(binary.LittleEndian.Uint32(p[1:]))
			if l < 0 || 5+l > len(p) {
				return nil, ErrBadData
			}
			e, n = zPackedEntry{s: p[5 : 5+l]}, 5+l
		case b == 0xf1:
			if len(p) < 3 {
				return nil, ErrBadData
			}
			e, n = zPackedEntry{v: int64(int16(binary.LittleEndian.Uint16(p[1:]))), isInt: true}, 3
		case b == 0xf2:
			if len(p) < 4 {
				return nil, ErrBadData
			}
			u := uint32(p[1]) | uint32(p[2])<<8 | uint32(p[3])<<16
			e, n = zPackedEntry{v: int64(int32(u<<8) >> 8), isInt: true}, 4
		case b == 0xf3:
			if len(p) < 5 {
				return nil, ErrBadData
			}
			e, n = zPackedEntry{v: int64(int32(binary.LittleEndian.Uint32(p[1:]))), isInt: true}, 5
		case b == 0xf4:
			if len(p) < 9 {
				return nil, ErrBadData
			}
			e, n = zPackedEntry{v: int64(binary.LittleEndian.Uint64(p[1:])), isInt: true}, 9
		default:
			return nil, ErrBadData
		}
		bl := zlpAppendBacklen(nil, n)
		if n+len(bl) > len(p) || string(p[n:n+len(bl)]) != string(bl) {
			return nil, ErrBadData
		}
		out = append(out, e)
		p = p[n+len(bl):]
	}
	if count != math.MaxUint16 && count != len(out) {
		return nil, ErrBadData
	}
	return out, nil
}

// zZiplistEntries parses a whole ziplist (the listpack's predecessor).
func zZiplistEntries(zl []byte) ([]zPackedEntry, error) {
	if len(zl) < 11 || int(binary.LittleEndian.Uint32(zl)) != len(zl) || zl[len(zl)-1] != 0xff {
		return nil, ErrBadData
	}
	count := int(binary.LittleEndian.Uint16(zl[8:]))
	p := zl[10 : len(zl)-1]
	var out []zPackedEntry
	prev := 0
	for len(p) > 0 {
		start := len(p)
		// previous entry length
		var pl int
		if p[0] < 254 {
			pl, p = int(p[0]), p[1:]
		} else if p[0] == 254 && len(p) >= 5 {
			pl, p = int(binary.LittleEndian.Uint32(p[1:])), p[5:]
		} else {
			return nil, ErrBadData
		}
		if pl != prev {
			return nil, ErrBadData
		}
		if len(p) == 0 {
			return nil, ErrBadData
		}
		b := p[0]
		var e zPackedEntry
		switch {
		case b>>6 == 0:
			l := int(b & 0x3f)
			if 1+l > len(p) {
				return nil, ErrBadData
			}
			e, p = zPackedEntry{s: p[1 : 1+l]}, p[1+l:]
		case b>>6 == 1:
			if len(p) < 2 {
				return nil, ErrBadData
			}
			l := int(b&0x3f)<<8 | int(p[1])
			if 2+l > len(p) {
				return nil, ErrBadData
			}
			e, p = zPackedEntry{s: p[2 : 2+l]}, p[2+l:]
		case b == 0x80:
			if len(p) < 5 {
				return nil, ErrBadData
			}
			l := int(binary.BigEndian.Uint32(p[1:]))
			if l < 0 || 5+l > len(p) {
				return nil, ErrBadData
			}
			e, p = zPackedEntry{s: p[5 : 5+l]}, p[5+l:]
		case b == 0xc0:
			if len(p) < 3 {
				return nil, ErrBadData
			}
			e, p = zPackedEntry{v: int64(int16(binary.LittleEndian.Uint16(p[1:]))), isInt: true}, p[3:]
		case b == 0xd0:
			if len(p) < 5 {
				return nil, ErrBadData
			}
			e, p = zPackedEntry{v: int64(int32(binary.LittleEndian.Uint32(p[1:]))), isInt: true}, p[5:]
		case b == 0xe0:
			if len(p) < 9 {
				return nil, ErrBadData
			}
			e, p = zPackedEntry{v: int64(binary.LittleEndian.Uint64(p[1:])), isInt: true}, p[9:]
		case b == 0xf0:
			if len(p) < 4 {
				return nil, ErrBadData
			}
			u := uint32(p[1]) | uint32(p[2])<<8 | uint32(p[3])<<16
			e, p = zPackedEntry{v: int64(int32(u<<8) >> 8), isInt: true}, p[4:]
		case b == 0xfe:
			if len(p) < 2 {
				return nil, ErrBadData
			}
			e, p = zPackedEntry{v: int64(int8(p[1])), isInt: true}, p[2:]
		case b >= 0xf1 && b <= 0xfd:
			e, p = zPackedEntry{v: int64(b&0x0f) - 1, isInt: true}, p[1:]
		default:
			return nil, ErrBadData
		}
		prev = start - len(p)
		out = append(out, e)
	}
	if count != math.MaxUint16 && count != len(out) {
		return nil, ErrBadData
	}
	return out, nil
}

// decodeZSetSkiplist reads TypeZSet2 (binary scores) or TypeZSet (text
// scores).
func decodeZSetSkiplist(body []byte, binaryScores bool) (any, error) {
	n, rest, err := readPlainLength(body)
	if err != nil || n == 0 || n > len(rest) {
		return nil, ErrBadData
	}
	z := &ZSet{Members: make([][]byte, 0, n), Scores: make([]float64, 0, n)}
	seen := make(map[string]bool, n)
	for i := 0; i < n; i++ {
		var m []byte
		m, rest, err = ReadString(rest)
		if err != nil {
			return nil, ErrBadData
		}
		var s float64
		if binaryScores {
			if len(rest) < 8 {
				return nil, ErrBadData
			}
			s = math.Float64frombits(binary.LittleEndian.Uint64(rest))
			rest = rest[8:]
		} else {
			if len(rest) < 1 {
				return nil, ErrBadData
			}
			l := int(rest[0])
			rest = rest[1:]
			switch l {
			case 253:
				s = math.NaN()
			case 254:
				s = math.Inf(1)
			case 255:
				s = math.Inf(-1)
			default:
				if l > len(rest) {
					return nil, ErrBadData
				}
				var ok bool
				if s, ok = zParseScoreText(rest[:l]); !ok {
					return nil, ErrBadData
				}
				rest = rest[l:]
			}
		}
		if math.IsNaN(s) || seen[string(m)] {
			return nil, ErrBadData
		}
		seen[string(m)] = true
		z.Members = append(z.Members, m)
		z.Scores = append(z.Scores, s)
	}
	return z, nil
}
