package rdb

import (
	"encoding/binary"
	"strconv"

	"github.com/lightconedb/lightcone/internal/crdt"
)

// Lists in DUMP payloads.
//
// Redis 7.0 writes every list as RDB type 18 (TypeListQuicklist2): the
// number of nodes, then per node its container (2 = packed: a listpack; 1 =
// plain: one element stored raw) and the node as an RDB string. RESTORE
// also takes type 14 (a quicklist of ziplists, Redis 3.2 to 6.2) and type 1
// (a plain sequence of strings, older still), as Redis 7.0 loads them:
// type 14's ziplists become one listpack node each, type 1's elements are
// pushed one by one.

// Quicklist node containers.
const (
	listContainerPlain  = 1
	listContainerPacked = 2
)

// ListValue is a decoded list. Nodes holds the listpack nodes to keep as
// they are (type 18, type 14); Values holds elements to push one by one
// (type 1, plain nodes).
type ListValue struct {
	Nodes  []crdt.ListNode
	Values [][]byte
}

// Len is the number of elements.
func (v *ListValue) Len() int {
	n := len(v.Values)
	for _, nd := range v.Nodes {
		n += nd.Count
	}
	return n
}

func init() {
	RegisterDecoder(TypeListQuicklist2, decodeQuicklist2)
	RegisterDecoder(TypeListQuicklist, decodeQuicklistZiplist)
	RegisterDecoder(TypeList, decodePlainList)
}

// DumpList returns the DUMP payload of a list of n nodes, node(i) giving
// node i's listpack entries (no header, no end byte) and element count.
func DumpList(n int, node func(i int) ([]byte, int)) []byte {
	p := []byte{TypeListQuicklist2}
	p = AppendLength(p, uint64(n))
	var lp []byte
	for i := 0; i < n; i++ {
		entries, count := node(i)
		p = AppendLength(p, listContainerPacked)
		lp = AppendListpack(lp[:0], entries, count)
		p = AppendString(p, lp)
	}
	return appendFooter(p)
}

// AppendListpack appends a whole listpack: the 6-byte header (total bytes,
// element count or 65535 when it does not fit), the entries, the end byte.
func AppendListpack(dst, entries []byte, count int) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(entries)+7))
	if count >= 65535 {
		count = 65535
	}
	dst = binary.LittleEndian.AppendUint16(dst, uint16(count))
	dst = append(dst, entries...)
	return append(dst, 0xFF)
}

// ListpackEntries checks a whole listpack and returns its entries and
// element count: the header's size must be the blob's, the end byte in
// place, every entry well formed, and the header count (unless 65535)
// right.
func ListpackEntries(lp []byte) (entries []byte, count int, err error) {
	if len(lp) < 7 || int(binary.LittleEndian.Uint32(lp)) != len(lp) || lp[len(lp)-1] != 0xFF {
		return nil, 0, ErrBadData
	}
	entries = lp[6 : len(lp)-1]
	count, ok := crdt.ListpackCheck(entries)
	if !ok {
		return nil, 0, ErrBadData
	}
	if h := int(binary.LittleEndian.Uint16(lp[4:])); h != 65535 && h != count {
		return nil, 0, ErrBadData
	}
	return entries, count, nil
}

func decodeQuicklist2(body []byte) (any, error) {
	n, rest, err := readPlainLength(body)
	if err != nil || n == 0 {
		return nil, ErrBadData
	}
	v := &ListValue{}
	for i := 0; i < n; i++ {
		var container int
		if container, rest, err = readPlainLength(rest); err != nil {
			return nil, ErrBadData
		}
		var s []byte
		if s, rest, err = ReadString(rest); err != nil {
			return nil, ErrBadData
		}
		switch container {
		case listContainerPlain:
			v.flushNodesAsValues()
			v.Values = append(v.Values, s)
		case listContainerPacked:
			entries, count, err := ListpackEntries(s)
			if err != nil {
				return nil, err
			}
			if count == 0 {
				continue // Redis skips empty nodes
			}
			if len(v.Values) > 0 {
				// elements after a plain node: keep the order by pushing
				ListpackValues(entries, func(x []byte) { v.Values = append(v.Values, append([]byte(nil), x...)) })
				continue
			}
			v.Nodes = append(v.Nodes, crdt.ListNode{Entries: entries, Count: count})
		default:
			return nil, ErrBadData
		}
	}
	if v.Len() == 0 {
		return nil, ErrBadData
	}
	return v, nil
}

// flushNodesAsValues turns the nodes gathered so far into values, so that a
// plain node keeps its place among them.
func (v *ListValue) flushNodesAsValues() {
	if len(v.Nodes) == 0 || len(v.Values) > 0 {
		return
	}
	var vals [][]byte
	for _, nd := range v.Nodes {
		ListpackValues(nd.Entries, func(x []byte) { vals = append(vals, append([]byte(nil), x...)) })
	}
	v.Nodes, v.Values = nil, vals
}

// ListpackValues calls fn with each value of checked entries.
func ListpackValues(entries []byte, fn func(v []byte)) { crdt.ListpackEach(entries, fn) }

func decodeQuicklistZiplist(body []byte) (any, error) {
	n, rest, err := readPlainLength(body)
	if err != nil || n == 0 {
		return nil, ErrBadData
	}
	v := &ListValue{}
	for i := 0; i < n; i++ {
		var zl []byte
		if zl, rest, err = ReadString(rest); err != nil {
			return nil, ErrBadData
		}
		var entries []byte
		count := 0
		if err := ziplistEach(zl, func(x []byte) {
			entries = crdt.AppendListpackEntry(entries, x)
			count++
		}); err != nil {
			return nil, err
		}
		if count == 0 {
			continue
		}
		v.Nodes = append(v.Nodes, crdt.ListNode{Entries: entries, Count: count})
	}
	if v.Len() == 0 {
		return nil, ErrBadData
	}
	return v, nil
}

func decodePlainList(body []byte) (any, error) {
	n, rest, err := readPlainLength(body)
	if err != nil || n == 0 || n > len(rest) {
		return nil, ErrBadData
	}
	v := &ListValue{Values: make([][]byte, 0, n)}
	for i := 0; i < n; i++ {
		var s []byte
		if s, rest, err = ReadString(rest); err != nil {
			return nil, ErrBadData
		}
		v.Values = append(v.Values, s)
	}
	return v, nil
}

// ziplistEach checks a ziplist (the pre-7.0 compact encoding) and calls fn
// with each value:
//
//	zlbytes u32 | zltail u32 | zllen u16 | entry* | 0xFF
//	entry: prevlen (1 byte < 254, or 0xFE + u32) | encoding | data
//	encoding: 00LLLLLL, 01LLLLLL LLLLLLLL, 10000000 + u32 big-endian: a
//	string of that length; 0xC0 int16, 0xD0 int32, 0xE0 int64, 0xF0 int24,
//	0xFE int8 (little-endian); 0xF1..0xFD the value 0..12 itself.
func ziplistEach(zl []byte, fn func(v []byte)) error {
	if len(zl) < 11 || int(binary.LittleEndian.Uint32(zl)) != len(zl) || zl[len(zl)-1] != 0xFF {
		return ErrBadData
	}
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	hdrCount := int(binary.LittleEndian.Uint16(zl[8:]))
	p, prevLen, count, lastStart := 10, 0, 0, -1
	var num [20]byte
	for p < len(zl)-1 {
		start := p
		// prevlen
		if zl[p] < 254 {
			if int(zl[p]) != prevLen {
				return ErrBadData
			}
			p++
		} else {
			if zl[p] != 0xFE || p+5 > len(zl) || int(binary.LittleEndian.Uint32(zl[p+1:])) != prevLen {
				return ErrBadData
			}
			p += 5
		}
		if p >= len(zl)-1 {
			return ErrBadData
		}
		enc := zl[p]
		var val []byte
		need := func(k int) bool { return p+k <= len(zl)-1 }
		switch {
		case enc>>6 == 0:
			n := int(enc & 0x3f)
			if !need(1 + n) {
				return ErrBadData
			}
			val = zl[p+1 : p+1+n]
			p += 1 + n
		case enc>>6 == 1:
			if !need(2) {
				return ErrBadData
			}
			n := int(enc&0x3f)<<8 | int(zl[p+1])
			if !need(2 + n) {
				return ErrBadData
			}
			val = zl[p+2 : p+2+n]
			p += 2 + n
		case enc == 0x80:
			if !need(5) {
				return ErrBadData
			}
			n := uint64(binary.BigEndian.Uint32(zl[p+1:]))
			if n > uint64(len(zl)) || !need(5+int(n)) {
				return ErrBadData
			}
			val = zl[p+5 : p+5+int(n)]
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
			val = strconv.AppendInt(num[:0], x, 10)
			p += 1 + k
		}
		fn(val)
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
