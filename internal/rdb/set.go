package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Sets: RDB type 11 (an intset blob stored as one RDB string) and type 2
// (a length, then every member as an RDB string).
//
// An intset blob is Redis' in-memory intset: a little-endian uint32 element
// width (2, 4 or 8 bytes), a uint32 count, then the elements, ascending,
// little-endian, each in that width. Redis widens an intset when a member
// needs it and never narrows it, so the width is part of the value's
// history; DumpIntset takes it from the caller.

// SetObject is a decoded set.
type SetObject struct {
	// Members in payload order: for an intset, ascending, as decimal text.
	Members [][]byte
	// IntsetWidth is the element width of an intset (type 11); 0 for a
	// set of type 2.
	IntsetWidth int
}

func init() {
	RegisterDecoder(TypeSetIntset, decodeIntset)
	RegisterDecoder(TypeSet, decodeSet)
}

// IntWidth is the narrowest intset width that holds v.
func IntWidth(v int64) int {
	switch {
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 2
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 4
	}
	return 8
}

// DumpIntset returns the DUMP payload (RDB type 11) of an intset holding
// vals (ascending) with element width (2, 4 or 8; widened if a value needs
// more).
func DumpIntset(vals []int64, width int) []byte {
	for _, v := range vals {
		if w := IntWidth(v); w > width {
			width = w
		}
	}
	if width != 4 && width != 8 {
		width = 2
	}
	blob := make([]byte, 8, 8+len(vals)*width)
	binary.LittleEndian.PutUint32(blob, uint32(width))
	binary.LittleEndian.PutUint32(blob[4:], uint32(len(vals)))
	for _, v := range vals {
		switch width {
		case 2:
			blob = binary.LittleEndian.AppendUint16(blob, uint16(v))
		case 4:
			blob = binary.LittleEndian.AppendUint32(blob, uint32(v))
		default:
			blob = binary.LittleEndian.AppendUint64(blob, uint64(v))
		}
	}
	p := make([]byte, 0, 1+9+len(blob)+footerLen)
	p = append(p, TypeSetIntset)
	p = AppendString(p, blob)
	return appendFooter(p)
}

// DumpSet returns the DUMP payload (RDB type 2) of a set of n members, which
// each calls fn with, in the order they are to be stored.
func DumpSet(n int, each func(fn func(m []byte))) []byte {
	p := []byte{TypeSet}
	p = AppendLength(p, uint64(n))
	each(func(m []byte) { p = AppendString(p, m) })
	return appendFooter(p)
}

// decodeIntset reads a type 11 body. Redis checks the header and the size
// (and, with sanitize-dump-payload, the order); this decoder also refuses
// members out of order or repeated, which Redis never writes.
func decodeIntset(body []byte) (any, error) {
	blob, _, err := ReadString(body)
	if err != nil || len(blob) < 8 {
		return nil, ErrBadData
	}
	width := int(binary.LittleEndian.Uint32(blob))
	count := uint64(binary.LittleEndian.Uint32(blob[4:]))
	if width != 2 && width != 4 && width != 8 {
		return nil, ErrBadData
	}
	if count == 0 || uint64(len(blob)-8) != count*uint64(width) {
		return nil, ErrBadData
	}
	obj := &SetObject{IntsetWidth: width, Members: make([][]byte, 0, count)}
	var prev int64
	for i := 0; i < int(count); i++ {
		at := blob[8+i*width:]
		var v int64
		switch width {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(at)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(at)))
		default:
			v = int64(binary.LittleEndian.Uint64(at))
		}
		if i > 0 && v <= prev {
			return nil, ErrBadData
		}
		prev = v
		obj.Members = append(obj.Members, strconv.AppendInt(nil, v, 10))
	}
	return obj, nil
}

// decodeSet reads a type 2 body: an empty set or a repeated member is bad
// data, as in Redis.
func decodeSet(body []byte) (any, error) {
	n, rest, err := readPlainLength(body)
	if err != nil || n == 0 || n > len(rest) {
		return nil, ErrBadData
	}
	obj := &SetObject{Members: make([][]byte, 0, n)}
	seen := make(map[string]struct{}, n)
	for i := 0; i < n; i++ {
		var m []byte
		m, rest, err = ReadString(rest)
		if err != nil {
			return nil, ErrBadData
		}
		if _, dup := seen[string(m)]; dup {
			return nil, ErrBadData
		}
		seen[string(m)] = struct{}{}
		obj.Members = append(obj.Members, m)
	}
	return obj, nil
}
