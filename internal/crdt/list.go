package crdt

import (
	"encoding/binary"
	"io"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// List: a sequence CRDT in the RGA family (DESIGN.md section 3).
//
// Every element has an identity, the ElemID of the effect that created it
// and its ordinal among the elements that effect created. A single node
// (Ctx.IDs false) keeps no identities at all; a cluster keeps them beside
// the elements. Effects carry the writer's decision, never the command:
// which elements an LPOP took, where an LINSERT went.
//
// Payload: a sequence of sub-ops, each a byte and its arguments, applied in
// order (LMOVE on one key pops and pushes in one effect). Elements created
// by the effect are numbered 0, 1, ... in payload order.
//
//	'L' n v*              push each v at the head in turn (LPUSH's argument order)
//	'R' n v*              push each v at the tail in turn
//	'B' fill k (c e)*     k nodes of pre-encoded listpack entries e holding c
//	                      elements each, appended at the tail as nodes (a
//	                      snapshot, RESTORE); fill is the list's node limit
//	'h' n / 't' n         remove n elements from the head / tail
//	'H' n id* / 'T' n id* the same, naming the elements removed
//	'x' n i*              remove the elements at ascending indexes i
//	'X' n (i id)*         the same, naming them
//	'i' a i v             insert v after (a=1) or before (a=0) the element at i
//	'I' a i id v          the same, naming the anchor
//	's' i v               set the element at i to v
//	'S' i id v            the same, naming it
//
// Apply (the effect observed everything: the list is exactly what the
// writer saw) uses the indexes. The Merger (cluster, list_merge.go) replays
// effects in stamp order over a sequence that keeps removed elements as
// tombstones.
//
// Layout: Redis 7.0's quicklist. Nodes of entries packed in one buffer each
// (listpack entries, see package listpack), sized by list-max-listpack-size
// with the rule Redis uses to decide when a push opens a new node, so a
// list built the same way DUMPs byte for byte as Redis' does. OBJECT
// ENCODING is always "quicklist".
type List struct {
	buf  []qlNode // nodes live in buf[off : off+nn]
	off  int
	nn   int
	n    int   // elements
	fill int16 // list-max-listpack-size when the list was created
	ids  bool  // elements carry identities (cluster)
}

// ListMaxListpackSize is Redis' list-max-listpack-size (alias
// list-max-ziplist-size): negative -1..-5 limit a node to 4, 8, 16, 32 or
// 64 KB; positive values limit a node's element count (and 8 KB). A list
// takes the value in force when it is created, as Redis does.
var ListMaxListpackSize = -2

const (
	qlHdrEOF          = 7 // listpack header (6) and end byte (1)
	qlEstOverhead     = 8 // Redis' estimate of an entry's overhead when deciding to insert
	qlSafetyLimit     = 8192
	qlFillMax         = 1<<15 - 1
	qlPackedThreshold = 1 << 30
)

var qlLevels = [...]int{4096, 8192, 16384, 32768, 65536}

// qlNode is one node: entries in b[lo:hi], n of them, and their identities
// when the list keeps them.
type qlNode struct {
	b      []byte
	lo, hi int32
	n      int32
	ids    []ElemID
}

// size is the node's listpack size in bytes (Redis' node->sz).
func (nd *qlNode) size() int { return int(nd.hi-nd.lo) + qlHdrEOF }

// entries returns the node's listpack entries.
func (nd *qlNode) entries() []byte { return nd.b[nd.lo:nd.hi] }

type listType struct{}

func init() { Register(effect.OpList, listType{}) }

// elemIDs numbers the elements an effect creates, in payload order.
type elemIDs struct {
	e *effect.Effect
	n uint32
}

func (g *elemIDs) next() ElemID {
	id := ElemID{Node: g.e.ID.Node, Seq: g.e.ID.Seq, N: g.n}
	g.n++
	return id
}

func (listType) Kind() keyspace.Kind { return keyspace.KindList }

func clampFill(f int) int16 {
	if f > qlFillMax {
		f = qlFillMax
	} else if f < -5 {
		f = -5
	}
	return int16(f)
}

// NewList returns an empty list; ids makes it keep element identities.
func NewList(ids bool) *List {
	return &List{fill: clampFill(ListMaxListpackSize), ids: ids}
}

// Kind is KindList.
func (l *List) Kind() keyspace.Kind { return keyspace.KindList }

// Len is the number of elements.
func (l *List) Len() int { return l.n }

// Encoding is "quicklist", as every list is in Redis 7.0.
func (l *List) Encoding() string { return "quicklist" }

// HasIDs reports whether the list keeps element identities (cluster).
func (l *List) HasIDs() bool { return l.ids }

// Fill is the list's list-max-listpack-size.
func (l *List) Fill() int { return int(l.fill) }

// Nodes is the number of nodes.
func (l *List) Nodes() int { return l.nn }

// NodeEntries returns node i's listpack entries (no header, no end byte)
// and its element count; the bytes alias the list.
func (l *List) NodeEntries(i int) ([]byte, int) {
	nd := l.node(i)
	return nd.entries(), int(nd.n)
}

func (l *List) node(i int) *qlNode { return &l.buf[l.off+i] }

// Clone is a deep copy.
func (l *List) Clone() Object {
	c := &List{n: l.n, fill: l.fill, ids: l.ids, nn: l.nn}
	c.buf = make([]qlNode, l.nn)
	for i := 0; i < l.nn; i++ {
		nd := l.node(i)
		e := nd.entries()
		b := make([]byte, len(e))
		copy(b, e)
		cn := qlNode{b: b, lo: 0, hi: int32(len(b)), n: nd.n}
		if l.ids {
			cn.ids = append([]ElemID(nil), nd.ids...)
		}
		c.buf[i] = cn
	}
	return c
}

// Digest writes the elements in order, each length-prefixed.
func (l *List) Digest(w io.Writer) {
	var n [binary.MaxVarintLen64]byte
	var buf [20]byte
	for it := l.Iter(0, false); ; {
		v, ok := it.Next(buf[:])
		if !ok {
			return
		}
		w.Write(n[:binary.PutUvarint(n[:], uint64(len(v)))])
		w.Write(v)
	}
}

// Snapshot writes a replace payload that recreates the list node by node.
func (l *List) Snapshot(p *Enc) {
	p.Byte(lopNodes)
	p.Varint(int64(l.fill))
	p.Uvarint(uint64(l.nn))
	for i := 0; i < l.nn; i++ {
		nd := l.node(i)
		p.Uvarint(uint64(nd.n))
		p.Bytes(nd.entries())
	}
}
