package rdb

import (
	"encoding/binary"
	"strconv"

	"github.com/lightconedb/lightcone/internal/listpack"
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
	lp := listpack.Begin(6 + 2*len(fields)*4 + 1)
	for _, f := range fields {
		lp = listpack.Append(lp, f.Field)
		lp = listpack.Append(lp, f.Value)
	}
	p := []byte{TypeHashListpack}
	p = AppendString(p, listpack.Finish(lp, 2*len(fields)))
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
	lp := listpack.Begin(6 + 3*len(fields)*4 + 1)
	for _, f := range fields {
		lp = listpack.Append(lp, f.Field)
		lp = listpack.Append(lp, f.Value)
		lp = listpack.AppendInt(lp, f.At)
	}
	p = AppendString(p, listpack.Finish(lp, 3*len(fields)))
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

// --- listpack, ziplist and zipmap ----------------------------------------------

// readListpack checks a whole listpack (package listpack) and returns copies
// of its elements as strings (integers in base 10).
func readListpack(lp []byte) ([][]byte, error) {
	entries, n, ok := listpack.Entries(lp)
	if !ok {
		return nil, ErrBadData
	}
	out := make([][]byte, 0, n)
	listpack.Each(entries, func(v []byte) { out = append(out, append([]byte(nil), v...)) })
	return out, nil
}

// readZiplist checks a ziplist (ziplistEach) and returns copies of its
// elements as strings.
func readZiplist(zl []byte) ([][]byte, error) {
	var out [][]byte
	err := ziplistEach(zl, func(s []byte, iv int64, isInt bool) {
		if isInt {
			out = append(out, strconv.AppendInt(nil, iv, 10))
		} else {
			out = append(out, append([]byte(nil), s...))
		}
	})
	if err != nil {
		return nil, err
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
