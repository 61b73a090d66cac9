package rdb

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/lightconedb/lightcone/internal/listpack"
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
func DumpZSet(packed bool, n int, each func(desc bool, yield func(member string, score float64) bool)) []byte {
	if packed {
		lp := listpack.Begin(6 + n*16 + 1)
		count := 0
		var num [32]byte
		each(false, func(m string, s float64) bool {
			lp = listpack.AppendString(lp, m)
			lp = listpack.Append(lp, zAppendD2String(num[:0], s))
			count += 2
			return true
		})
		lp = listpack.Finish(lp, count)
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
		err = ziplistEach(blob, func(s []byte, iv int64, isInt bool) {
			entries = append(entries, zPackedEntry{s: s, v: iv, isInt: isInt})
		})
	} else {
		lp, n, ok := listpack.Entries(blob)
		if !ok {
			return nil, ErrBadData
		}
		entries = make([]zPackedEntry, 0, n)
		for p := 0; p < len(lp); p += listpack.Len(lp, p) {
			s, iv, isInt := listpack.Decode(lp, p)
			entries = append(entries, zPackedEntry{s: s, v: iv, isInt: isInt})
		}
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
