package rdb

import (
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/listpack"
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
		lp = listpack.Wrap(lp[:0], entries, count)
		p = AppendString(p, lp)
	}
	return appendFooter(p)
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
			entries, count, ok := listpack.Entries(s)
			if !ok {
				return nil, ErrBadData
			}
			if count == 0 {
				continue // Redis skips empty nodes
			}
			if len(v.Values) > 0 {
				// elements after a plain node: keep the order by pushing
				listpack.Each(entries, func(x []byte) { v.Values = append(v.Values, append([]byte(nil), x...)) })
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
		listpack.Each(nd.Entries, func(x []byte) { vals = append(vals, append([]byte(nil), x...)) })
	}
	v.Nodes, v.Values = nil, vals
}

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
		if err := ziplistEach(zl, func(s []byte, iv int64, isInt bool) {
			if isInt {
				entries = listpack.AppendInt(entries, iv)
			} else {
				entries = listpack.Append(entries, s)
			}
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
