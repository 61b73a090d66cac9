package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Hashes in DUMP payloads.
//
// Redis 7.0 writes a hash as RDB_TYPE_HASH_LISTPACK (16: one string holding
// a listpack of field, value, field, value...) or RDB_TYPE_HASH (4: a count
// and string pairs), in RDB version 10. It still loads RDB_TYPE_HASH_ZIPLIST
// (13) and RDB_TYPE_HASH_ZIPMAP (9) from older versions. Redis 7.4 added
// field TTLs and two types, written in RDB version 12, which Redis 7.0
// refuses: RDB_TYPE_HASH_METADATA (24: the earliest TTL as 8 bytes, then a
// count and (ttl, field, value) triples, ttl 0 for none, else relative to
// the earliest plus one) and RDB_TYPE_HASH_LISTPACK_EX (25: the earliest TTL,
// then a listpack of field, value, TTL triples with TTL 0 for none).
//
// The listpack, ziplist and zipmap formats are written here from their
// documented layouts.

// Hash RDB types added by Redis 7.4.
const (
	TypeHashMetadata   = 24
	TypeHashListpackEx = 25
)

// VersionHashTTL is the RDB version of payloads holding field TTLs (Redis
// 7.4 writes version 12).
const VersionHashTTL = 12

// HashField is one field of a decoded hash.
type HashField struct {
	Field, Value []byte
	At           int64 // TTL, absolute Unix ms; 0 = none
}

// HashValue is a decoded hash: its fields in payload order, and the RDB
// type they came in.
type HashValue struct {
	Type   byte
	Fields []HashField
}

func init() {
	for _, t := range []byte{TypeHash, TypeHashZipmap, TypeHashZiplist, TypeHashListpack, TypeHashMetadata, TypeHashListpackEx} {
		typ := t
		RegisterDecoder(typ, func(body []byte) (any, error) { return DecodeHash(typ, body) })
	}
}

// --- DUMP ------------------------------------------------------------------

// DumpHashListpack is the DUMP payload of a listpack hash (type 16), byte for
// byte what Redis 7.0 writes for the same fields in the same order.
func DumpHashListpack(fields []HashField) []byte {
	b := newListpack(2 * len(fields))
	for _, f := range fields {
		b.add(f.Field)
		b.add(f.Value)
	}
	p := []byte{TypeHashListpack}
	p = AppendString(p, b.finish())
	return appendFooter(p)
}

// DumpHashTable is the DUMP payload of a hashtable hash (type 4).
func DumpHashTable(fields []HashField) []byte {
	p := []byte{TypeHash}
	p = AppendLength(p, uint64(len(fields)))
	for _, f := range fields {
		p = AppendString(p, f.Field)
		p = AppendString(p, f.Value)
	}
	return appendFooter(p)
}

// minExpire is the earliest TTL of fields, 0 when none has one.
func minExpire(fields []HashField) int64 {
	m := int64(0)
	for _, f := range fields {
		if f.At != 0 && (m == 0 || f.At < m) {
			m = f.At
		}
	}
	return m
}

// DumpHashListpackEx is the DUMP payload of a listpack hash with field TTLs
// (type 25, RDB version 12) as Redis 7.4 writes it.
func DumpHashListpackEx(fields []HashField) []byte {
	p := []byte{TypeHashListpackEx}
	p = binary.LittleEndian.AppendUint64(p, uint64(minExpire(fields)))
	b := newListpack(3 * len(fields))
	var num [20]byte
	for _, f := range fields {
		b.add(f.Field)
		b.add(f.Value)
		b.add(strconv.AppendInt(num[:0], f.At, 10))
	}
	p = AppendString(p, b.finish())
	return appendFooterVersion(p, VersionHashTTL)
}

// DumpHashMetadata is the DUMP payload of a hashtable hash with field TTLs
// (type 24, RDB version 12) as Redis 7.4 writes it.
func DumpHashMetadata(fields []HashField) []byte {
	m := minExpire(fields)
	p := []byte{TypeHashMetadata}
	p = binary.LittleEndian.AppendUint64(p, uint64(m))
	p = AppendLength(p, uint64(len(fields)))
	for _, f := range fields {
		ttl := uint64(0)
		if f.At != 0 {
			ttl = uint64(f.At-m) + 1
		}
		p = AppendLength(p, ttl)
		p = AppendString(p, f.Field)
		p = AppendString(p, f.Value)
	}
	return appendFooterVersion(p, VersionHashTTL)
}

func appendFooterVersion(p []byte, version uint16) []byte {
	p = binary.LittleEndian.AppendUint16(p, version)
	return binary.LittleEndian.AppendUint64(p, CRC64(0, p))
}

// --- listpack ----------------------------------------------------------------

// listpackBuilder builds a listpack: a 6-byte header (total bytes, element
// count, little-endian), the entries, and a 0xFF terminator. An entry is an
// encoding byte (with its data) followed by its length written backwards
// ("backlen"). Strings that are canonical 64-bit integers are stored as
// integers in the smallest encoding.
type listpackBuilder struct {
	b []byte
	n int
}

func newListpack(hint int) *listpackBuilder {
	return &listpackBuilder{b: make([]byte, 6, 6+hint*4+1)}
}

func (l *listpackBuilder) add(s []byte) {
	start := len(l.b)
	if v, ok := lpInt(s); ok {
		switch {
		case v >= 0 && v <= 127:
			l.b = append(l.b, byte(v))
		case v >= -4096 && v <= 4095:
			u := uint16(v) & 0x1fff
			l.b = append(l.b, 0xc0|byte(u>>8), byte(u))
		case v >= math.MinInt16 && v <= math.MaxInt16:
			l.b = append(l.b, 0xf1)
			l.b = binary.LittleEndian.AppendUint16(l.b, uint16(v))
		case v >= -(1<<23) && v < 1<<23:
			l.b = append(l.b, 0xf2, byte(v), byte(v>>8), byte(v>>16))
		case v >= math.MinInt32 && v <= math.MaxInt32:
			l.b = append(l.b, 0xf3)
			l.b = binary.LittleEndian.AppendUint32(l.b, uint32(v))
		default:
			l.b = append(l.b, 0xf4)
			l.b = binary.LittleEndian.AppendUint64(l.b, uint64(v))
		}
	} else {
		switch n := len(s); {
		case n < 64:
			l.b = append(l.b, 0x80|byte(n))
		case n < 4096:
			l.b = append(l.b, 0xe0|byte(n>>8), byte(n))
		default:
			l.b = append(l.b, 0xf0)
			l.b = binary.LittleEndian.AppendUint32(l.b, uint32(n))
		}
		l.b = append(l.b, s...)
	}
	l.b = appendBacklen(l.b, uint64(len(l.b)-start))
	l.n++
}

func (l *listpackBuilder) finish() []byte {
	l.b = append(l.b, 0xff)
	binary.LittleEndian.PutUint32(l.b, uint32(len(l.b)))
	n := l.n
	if n > 65535 {
		n = 65535
	}
	binary.LittleEndian.PutUint16(l.b[4:], uint16(n))
	return l.b
}

// appendBacklen writes an entry's length so it can be read from its end:
// 7 bits per byte, most significant first, every byte but the first with
// its high bit set.
func appendBacklen(b []byte, l uint64) []byte {
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

func backlenSize(l uint64) int {
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

// lpInt reports whether s is stored as an integer in a listpack: Redis'
// string2ll (canonical base 10, at most 20 bytes, no "-0" or leading zeros).
func lpInt(s []byte) (int64, bool) {
	n := len(s)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && s[0] == '0' {
		return 0, true
	}
	i, neg := 0, s[0] == '-'
	if neg {
		if n == 1 {
			return 0, false
		}
		i = 1
	}
	if s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' || v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// readListpack checks a listpack thoroughly (header, every entry and its
// backlen, the terminator, the element count) and returns its elements as
// strings (integers formatted in base 10).
func readListpack(lp []byte) ([][]byte, error) {
	if len(lp) < 7 || int(binary.LittleEndian.Uint32(lp)) != len(lp) || lp[len(lp)-1] != 0xff {
		return nil, ErrBadData
	}
	count := int(binary.LittleEndian.Uint16(lp[4:]))
	var out [][]byte
	p := lp[6 : len(lp)-1]
	for len(p) > 0 {
		c := p[0]
		var hdr, size int
		var elem []byte
		isInt := false
		var v int64
		switch {
		case c&0x80 == 0:
			hdr, isInt, v = 1, true, int64(c)
		case c&0xc0 == 0x80:
			hdr, size = 1, int(c&0x3f)
		case c&0xe0 == 0xc0:
			if len(p) < 2 {
				return nil, ErrBadData
			}
			u := uint16(c&0x1f)<<8 | uint16(p[1])
			hdr, isInt, v = 2, true, int64(int16(u<<3)>>3)
		case c&0xf0 == 0xe0:
			if len(p) < 2 {
				return nil, ErrBadData
			}
			hdr, size = 2, int(c&0x0f)<<8|int(p[1])
		case c == 0xf0:
			if len(p) < 5 {
				return nil, ErrBadData
			}
			n := binary.LittleEndian.Uint32(p[1:])
			if uint64(n) > uint64(len(p)) {
				return nil, ErrBadData
			}
			hdr, size = 5, int(n)
		case c == 0xf1:
			if len(p) < 3 {
				return nil, ErrBadData
			}
			hdr, isInt, v = 3, true, int64(int16(binary.LittleEndian.Uint16(p[1:])))
		case c == 0xf2:
			if len(p) < 4 {
				return nil, ErrBadData
			}
			u := uint32(p[1]) | uint32(p[2])<<8 | uint32(p[3])<<16
			hdr, isInt, v = 4, true, int64(int32(u<<8)>>8)
		case c == 0xf3:
			if len(p) < 5 {
				return nil, ErrBadData
			}
			hdr, isInt, v = 5, true, int64(int32(binary.LittleEndian.Uint32(p[1:])))
		case c == 0xf4:
			if len(p) < 9 {
				return nil, ErrBadData
			}
			hdr, isInt, v = 9, true, int64(binary.LittleEndian.Uint64(p[1:]))
		default:
			return nil, ErrBadData
		}
		entry := hdr + size
		total := entry + backlenSize(uint64(entry))
		if total > len(p) {
			return nil, ErrBadData
		}
		if isInt {
			elem = strconv.AppendInt(nil, v, 10)
		} else {
			elem = append([]byte(nil), p[hdr:entry]...)
		}
		var want [5]byte
		if string(appendBacklen(want[:0], uint64(entry))) != string(p[entry:total]) {
			return nil, ErrBadData
		}
		out = append(out, elem)
		p = p[total:]
	}
	if count != 65535 && count != len(out) {
		return nil, ErrBadData
	}
	return out, nil
}

// --- ziplist and zipmap (older Redis versions) ---------------------------------

// readZiplist checks a ziplist (header: total bytes, tail offset, count;
// entries: previous entry length, encoding, data; 0xFF) and returns its
// elements.
func readZiplist(zl []byte) ([][]byte, error) {
	if len(zl) < 11 || int(binary.LittleEndian.Uint32(zl)) != len(zl) || zl[len(zl)-1] != 0xff {
		return nil, ErrBadData
	}
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	count := int(binary.LittleEndian.Uint16(zl[8:]))
	var out [][]byte
	pos, prev, last := 10, 0, 10
	for pos < len(zl)-1 {
		start := pos
		p := zl[pos : len(zl)-1]
		// previous entry length
		var plen int
		if p[0] < 254 {
			plen, p = int(p[0]), p[1:]
		} else if p[0] == 254 && len(p) >= 5 {
			plen, p = int(binary.LittleEndian.Uint32(p[1:])), p[5:]
		} else {
			return nil, ErrBadData
		}
		if plen != prev {
			return nil, ErrBadData
		}
		if len(p) == 0 {
			return nil, ErrBadData
		}
		c := p[0]
		var elem []byte
		need := func(n int) bool { return len(p) >= n }
		switch {
		case c>>6 == 0:
			n := int(c & 0x3f)
			if !need(1 + n) {
				return nil, ErrBadData
			}
			elem, p = append([]byte(nil), p[1:1+n]...), p[1+n:]
		case c>>6 == 1:
			if !need(2) {
				return nil, ErrBadData
			}
			n := int(c&0x3f)<<8 | int(p[1])
			if !need(2 + n) {
				return nil, ErrBadData
			}
			elem, p = append([]byte(nil), p[2:2+n]...), p[2+n:]
		case c == 0x80:
			if !need(5) {
				return nil, ErrBadData
			}
			n := binary.BigEndian.Uint32(p[1:])
			if uint64(n)+5 > uint64(len(p)) {
				return nil, ErrBadData
			}
			elem, p = append([]byte(nil), p[5:5+n]...), p[5+n:]
		case c == 0xc0:
			if !need(3) {
				return nil, ErrBadData
			}
			elem, p = strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(p[1:]))), 10), p[3:]
		case c == 0xd0:
			if !need(5) {
				return nil, ErrBadData
			}
			elem, p = strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(p[1:]))), 10), p[5:]
		case c == 0xe0:
			if !need(9) {
				return nil, ErrBadData
			}
			elem, p = strconv.AppendInt(nil, int64(binary.LittleEndian.Uint64(p[1:])), 10), p[9:]
		case c == 0xf0:
			if !need(4) {
				return nil, ErrBadData
			}
			u := uint32(p[1]) | uint32(p[2])<<8 | uint32(p[3])<<16
			elem, p = strconv.AppendInt(nil, int64(int32(u<<8)>>8), 10), p[4:]
		case c == 0xfe:
			if !need(2) {
				return nil, ErrBadData
			}
			elem, p = strconv.AppendInt(nil, int64(int8(p[1])), 10), p[2:]
		case c >= 0xf1 && c <= 0xfd:
			elem, p = strconv.AppendInt(nil, int64(c&0x0f)-1, 10), p[1:]
		default:
			return nil, ErrBadData
		}
		out = append(out, elem)
		last = start
		pos = len(zl) - 1 - len(p)
		prev = pos - start
	}
	if (len(out) > 0 && tail != last) || (len(out) == 0 && tail != 10) {
		return nil, ErrBadData
	}
	if count != 65535 && count != len(out) {
		return nil, ErrBadData
	}
	return out, nil
}

// readZipmap checks a zipmap (a count byte, then key length, key, value
// length, a free-space byte, value and that many free bytes, per pair;
// 0xFF) and returns key, value, key, value...
func readZipmap(zm []byte) ([][]byte, error) {
	if len(zm) < 2 || zm[len(zm)-1] != 0xff {
		return nil, ErrBadData
	}
	count := int(zm[0])
	p := zm[1:]
	var out [][]byte
	readLen := func() (int, bool) {
		if len(p) == 0 {
			return 0, false
		}
		switch b := p[0]; {
		case b < 254:
			p = p[1:]
			return int(b), true
		case b == 254 && len(p) >= 5:
			n := binary.LittleEndian.Uint32(p[1:])
			p = p[5:]
			return int(n), uint64(n) <= uint64(len(p))
		}
		return 0, false
	}
	for len(p) > 0 && p[0] != 0xff {
		kl, ok := readLen()
		if !ok || kl > len(p) {
			return nil, ErrBadData
		}
		k := append([]byte(nil), p[:kl]...)
		p = p[kl:]
		vl, ok := readLen()
		if !ok || len(p) < 1 {
			return nil, ErrBadData
		}
		free := int(p[0])
		p = p[1:]
		if vl+free > len(p) {
			return nil, ErrBadData
		}
		v := append([]byte(nil), p[:vl]...)
		p = p[vl+free:]
		out = append(out, k, v)
	}
	if len(p) != 1 || (count < 254 && count != len(out)/2) {
		return nil, ErrBadData
	}
	return out, nil
}

// --- RESTORE -------------------------------------------------------------------

// DecodeHash decodes the body of a hash DUMP payload of RDB type typ. It
// refuses an empty hash and duplicate fields.
func DecodeHash(typ byte, body []byte) (*HashValue, error) {
	hv := &HashValue{Type: typ}
	pairs := func(elems [][]byte, err error) error {
		if err != nil || len(elems)%2 != 0 {
			return ErrBadData
		}
		for i := 0; i < len(elems); i += 2 {
			hv.Fields = append(hv.Fields, HashField{Field: elems[i], Value: elems[i+1]})
		}
		return nil
	}
	var err error
	switch typ {
	case TypeHash, TypeHashMetadata:
		p := body
		var min int64
		if typ == TypeHashMetadata {
			if len(p) < 8 {
				return nil, ErrBadData
			}
			min, p = int64(binary.LittleEndian.Uint64(p)), p[8:]
		}
		var n uint64
		n, _, p, err = ReadLength(p)
		if err != nil || n > uint64(len(p)) {
			return nil, ErrBadData
		}
		for i := uint64(0); i < n; i++ {
			var f HashField
			if typ == TypeHashMetadata {
				var ttl uint64
				var enc bool
				ttl, enc, p, err = ReadLength(p)
				if err != nil || enc {
					return nil, ErrBadData
				}
				if ttl != 0 {
					f.At = min + int64(ttl) - 1
					if f.At <= 0 {
						return nil, ErrBadData
					}
				}
			}
			if f.Field, p, err = ReadString(p); err != nil {
				return nil, ErrBadData
			}
			if f.Value, p, err = ReadString(p); err != nil {
				return nil, ErrBadData
			}
			hv.Fields = append(hv.Fields, f)
		}
	case TypeHashListpack, TypeHashZiplist, TypeHashZipmap:
		blob, _, err := ReadString(body)
		if err != nil {
			return nil, ErrBadData
		}
		switch typ {
		case TypeHashListpack:
			err = pairs(readListpack(blob))
		case TypeHashZiplist:
			err = pairs(readZiplist(blob))
		default:
			err = pairs(readZipmap(blob))
		}
		if err != nil {
			return nil, err
		}
	case TypeHashListpackEx:
		if len(body) < 8 {
			return nil, ErrBadData
		}
		blob, _, err := ReadString(body[8:])
		if err != nil {
			return nil, ErrBadData
		}
		elems, err := readListpack(blob)
		if err != nil || len(elems)%3 != 0 {
			return nil, ErrBadData
		}
		for i := 0; i < len(elems); i += 3 {
			at, err := strconv.ParseInt(string(elems[i+2]), 10, 64)
			if err != nil || at < 0 {
				return nil, ErrBadData
			}
			hv.Fields = append(hv.Fields, HashField{Field: elems[i], Value: elems[i+1], At: at})
		}
	default:
		return nil, ErrBadData
	}
	if len(hv.Fields) == 0 {
		return nil, ErrBadData
	}
	seen := make(map[string]struct{}, len(hv.Fields))
	for _, f := range hv.Fields {
		if _, dup := seen[string(f.Field)]; dup {
			return nil, ErrBadData
		}
		seen[string(f.Field)] = struct{}{}
	}
	return hv, nil
}
