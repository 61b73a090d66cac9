// Package effect defines the effect record — the one unit of change in
// Lightcone — its identity, the causality relation between effects, and its
// canonical binary encoding (same effect, same bytes, on every node). It does
// no I/O.
package effect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/lightconedb/lightcone/internal/hlc"
)

// NodeID names a node for life; it is generated once and kept in the data dir.
type NodeID uint64

// ID identifies one effect: its origin node and the origin's sequence number.
type ID struct {
	Node NodeID
	Seq  uint64
}

func (id ID) String() string { return fmt.Sprintf("%016x:%d", uint64(id.Node), id.Seq) }

// IsZero reports whether the ID is empty (no transaction, no dependency).
func (id ID) IsZero() bool { return id.Node == 0 && id.Seq == 0 }

// Op is the kind of operation an effect carries: a small algebra whose merge
// rules are in DESIGN.md section 3 and docs/SEMANTICS.md.
type Op uint8

const (
	OpInvalid  Op = iota
	OpAssign      // string register assignment: Value; TTL set to Int unless FlagKeepTTL
	OpAddInt      // counter delta Int
	OpAddFloat    // counter delta, Value holds the increment's decimal text
	OpAppend      // append Value to the string
	OpSetRange    // overwrite at byte offset Int with Value
	OpSetBit      // set bit number Int to (Flags&FlagBit != 0)
	OpExpire      // TTL: absolute Unix ms in Int, 0 = persist
	OpDelete      // observed-remove of the key
	OpFlushDB     // observed-remove of every key of DB
	OpSwapDB      // swap DB with DB number Int
	OpList        // list operation; Value is a payload owned by internal/crdt
	OpHash        // hash operation (crdt payload)
	OpSet         // set operation (crdt payload)
	OpZSet        // sorted-set operation (crdt payload)
	OpHLL         // HyperLogLog registers (a string value): Value holds a crdt payload
	OpStream      // stream operation (crdt payload)
	opMax
)

var opNames = [...]string{"invalid", "assign", "add-int", "add-float", "append", "setrange", "setbit", "expire", "delete", "flushdb", "swapdb", "list", "hash", "set", "zset", "hll", "stream"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Replaces reports whether x replaces the key's whole value, whatever kind it
// held: a string assignment, or a collection write with FlagReplace (SORT
// STORE, SUNIONSTORE, RESTORE, COPY, ...). It supersedes everything it
// observed.
func (x *Effect) Replaces() bool { return x.Op == OpAssign || x.Flags&FlagReplace != 0 }

// Collection reports whether o operates on a collection type: its payload is
// defined by that type's merge rule in internal/crdt.
func (o Op) Collection() bool { return o >= OpList && o < opMax && o != OpHLL }

// EventSilent marks an effect that changes no data a client could notice
// (only an encoding), so it raises no keyspace event and touches no WATCH.
const EventSilent uint8 = 255

// Flags.
const (
	FlagKeepTTL   uint8 = 1 << iota // OpAssign leaves the TTL alone
	FlagBit                         // OpSetBit sets the bit to 1
	FlagEncRaw                      // OpAssign: value was built in place (Redis "raw" encoding)
	FlagEncEmbstr                   // OpAssign: keep Redis' "embstr" encoding even for a number
	FlagReplace                     // collection op that replaces the key's whole value (TTL := Int unless FlagKeepTTL)
	flagMask      = FlagKeepTTL | FlagBit | FlagEncRaw | FlagEncEmbstr | FlagReplace
)

// Effect is one immutable write. Key and Value may alias caller memory: an
// effect handed to a Sink is valid only during the call, so a sink that keeps
// it must copy (Clone) or encode it.
type Effect struct {
	ID       ID
	HLC      hlc.Timestamp
	DB       uint32
	Key      []byte
	Deps     []ID // the key's unstable tips the writer had observed (stable history is implied)
	Frontier []ID // origin's applied frontier for other origins at creation, sorted by Node
	Txn      ID   // zero unless part of a coordinated transaction
	Op       Op
	Flags    uint8
	Event    uint8 // the Redis keyspace event it raises, when not implied by Op (see internal/notify)
	Int      int64
	Value    []byte
}

// Observed reports whether effect x had observed effect id when it was made:
// an origin applies its own effects in order, and the frontier names what it
// had applied of everyone else's.
func (x *Effect) Observed(id ID) bool {
	if id.Node == x.ID.Node {
		return id.Seq < x.ID.Seq
	}
	return id.Seq <= FrontierOf(x.Frontier, id.Node)
}

// FrontierOf returns the sequence a sorted frontier holds for node, 0 if none.
func FrontierOf(f []ID, node NodeID) uint64 {
	if len(f) < 8 {
		for _, e := range f {
			if e.Node == node {
				return e.Seq
			}
		}
		return 0
	}
	i := sort.Search(len(f), func(i int) bool { return f[i].Node >= node })
	if i < len(f) && f[i].Node == node {
		return f[i].Seq
	}
	return 0
}

// Less is the total order (HLC, NodeID, Seq) used wherever a tie-break is needed.
func Less(a, b *Effect) bool {
	if a.HLC != b.HLC {
		return a.HLC < b.HLC
	}
	if a.ID.Node != b.ID.Node {
		return a.ID.Node < b.ID.Node
	}
	return a.ID.Seq < b.ID.Seq
}

// Clone returns a deep copy owning all its memory.
func (x *Effect) Clone() Effect {
	c := *x
	buf := make([]byte, 0, len(x.Key)+len(x.Value))
	buf = append(buf, x.Key...)
	c.Key = buf[:len(x.Key):len(x.Key)]
	if x.Value != nil {
		buf = append(buf, x.Value...)
		c.Value = buf[len(x.Key):]
	}
	if x.Deps != nil {
		c.Deps = append([]ID(nil), x.Deps...)
	}
	if x.Frontier != nil {
		c.Frontier = append([]ID(nil), x.Frontier...)
	}
	return c
}

// Canonical encoding, version 2:
//
//	u8 version=2 | uvarint node | uvarint seq | u64be hlc | uvarint db | u8 op | u8 flags | u8 event
//	| varint int | uvarint len key | key | uvarint len value+1 (0 = nil) | value
//	| uvarint ndeps | (uvarint node, uvarint seq)* | uvarint nfrontier | (uvarint node, uvarint seq)*
//	| uvarint txn.node | uvarint txn.seq
//
// Deps and frontier are written sorted (by Node, then Seq) so equal effects
// encode to equal bytes.
const encVersion = 2

// EncodingVersion is the first byte of every encoded effect.
const EncodingVersion = encVersion

// Errors returned by Decode.
var (
	ErrTruncated = errors.New("effect: truncated record")
	ErrCorrupt   = errors.New("effect: corrupt record")
)

// MaxField bounds a decoded key or value length (512 MiB like Redis' bulk limit)
// and MaxIDs a decoded deps/frontier list, so a corrupt length cannot make the
// decoder allocate without bound.
const (
	MaxField = 512 << 20
	MaxIDs   = 1 << 16
)

// AppendBinary appends the canonical encoding of x to dst. It runs once per
// local write when the log is on (and per effect sent to peers), so it
// grows dst once and writes the fixed fields in place rather than append by
// append (TestAppendBinaryMatchesReference holds it to the plain version).
func (x *Effect) AppendBinary(dst []byte) []byte {
	// version, node, seq, hlc, db, op/flags/event, int, key length, value
	// length: at most 1+10+10+8+5+3+10+10+10 bytes; txn at most 20
	const fixed = 87 + 20
	n := len(dst)
	if cap(dst)-n < fixed+len(x.Key)+len(x.Value) {
		dst = slices.Grow(dst, fixed+len(x.Key)+len(x.Value))
	}
	b := dst[n : n+fixed]
	b[0] = encVersion
	i := 1
	i += putUvarint(b[i:], uint64(x.ID.Node))
	i += putUvarint(b[i:], x.ID.Seq)
	binary.BigEndian.PutUint64(b[i:], uint64(x.HLC))
	i += 8
	i += putUvarint(b[i:], uint64(x.DB))
	b[i], b[i+1], b[i+2] = byte(x.Op), x.Flags, x.Event
	i += 3
	i += binary.PutVarint(b[i:], x.Int)
	i += putUvarint(b[i:], uint64(len(x.Key)))
	dst = append(dst[:n+i], x.Key...)
	if x.Value == nil {
		dst = append(dst, 0)
	} else {
		dst = binary.AppendUvarint(dst, uint64(len(x.Value))+1)
		dst = append(dst, x.Value...)
	}
	if len(x.Deps) == 0 && len(x.Frontier) == 0 && x.Txn.IsZero() {
		return append(dst, 0, 0, 0, 0) // no deps, no frontier, no txn
	}
	dst = appendIDs(dst, x.Deps)
	dst = appendIDs(dst, x.Frontier)
	dst = binary.AppendUvarint(dst, uint64(x.Txn.Node))
	dst = binary.AppendUvarint(dst, x.Txn.Seq)
	return dst
}

// putUvarint is binary.PutUvarint with a one-byte fast path.
func putUvarint(b []byte, v uint64) int {
	if v < 0x80 {
		b[0] = byte(v)
		return 1
	}
	return binary.PutUvarint(b, v)
}

func appendIDs(dst []byte, ids []ID) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(ids)))
	sorted := true
	for i := 1; i < len(ids); i++ {
		if idLess(ids[i], ids[i-1]) {
			sorted = false
			break
		}
	}
	if !sorted {
		ids = append([]ID(nil), ids...)
		sort.Slice(ids, func(i, j int) bool { return idLess(ids[i], ids[j]) })
	}
	for _, id := range ids {
		dst = binary.AppendUvarint(dst, uint64(id.Node))
		dst = binary.AppendUvarint(dst, id.Seq)
	}
	return dst
}

func idLess(a, b ID) bool {
	if a.Node != b.Node {
		return a.Node < b.Node
	}
	return a.Seq < b.Seq
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n > 1 && d.b[n-1] == 0 {
		n = -1 // not minimal, so not canonical
	}
	if n <= 0 {
		if n == 0 {
			d.err = ErrTruncated
		} else {
			d.err = ErrCorrupt
		}
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n > 1 && d.b[n-1] == 0 {
		n = -1
	}
	if n <= 0 {
		if n == 0 {
			d.err = ErrTruncated
		} else {
			d.err = ErrCorrupt
		}
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > MaxField {
		d.err = ErrCorrupt
		return nil
	}
	if uint64(len(d.b)) < n {
		d.err = ErrTruncated
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) ids() []ID {
	n := d.uvarint()
	if d.err != nil || n == 0 {
		return nil
	}
	if n > MaxIDs || n > uint64(len(d.b)) {
		if n > MaxIDs {
			d.err = ErrCorrupt
		} else {
			d.err = ErrTruncated
		}
		return nil
	}
	ids := make([]ID, n)
	for i := range ids {
		ids[i].Node = NodeID(d.uvarint())
		ids[i].Seq = d.uvarint()
		if i > 0 && d.err == nil && !idLess(ids[i-1], ids[i]) {
			d.err = ErrCorrupt // not canonical
		}
	}
	return ids
}

// Decode parses one effect from the front of b and returns it with the number
// of bytes consumed. Key and Value alias b.
func Decode(b []byte) (Effect, int, error) {
	var x Effect
	if len(b) == 0 {
		return x, 0, ErrTruncated
	}
	if b[0] != encVersion {
		return x, 0, ErrCorrupt
	}
	d := decoder{b: b[1:]}
	x.ID.Node = NodeID(d.uvarint())
	x.ID.Seq = d.uvarint()
	if d.err == nil {
		if len(d.b) < 8 {
			d.err = ErrTruncated
		} else {
			x.HLC = hlc.Timestamp(binary.BigEndian.Uint64(d.b))
			d.b = d.b[8:]
		}
	}
	db := d.uvarint()
	if d.err == nil && db > 1<<31 {
		d.err = ErrCorrupt
	}
	x.DB = uint32(db)
	if d.err == nil {
		if len(d.b) < 3 {
			d.err = ErrTruncated
		} else {
			x.Op, x.Flags, x.Event = Op(d.b[0]), d.b[1], d.b[2]
			d.b = d.b[3:]
			if x.Op == OpInvalid || x.Op >= opMax || x.Flags&^flagMask != 0 {
				d.err = ErrCorrupt
			}
		}
	}
	x.Int = d.varint()
	x.Key = d.bytes(d.uvarint())
	if vl := d.uvarint(); vl > 0 {
		x.Value = d.bytes(vl - 1)
		if x.Value == nil && d.err == nil {
			x.Value = []byte{}
		}
	}
	x.Deps = d.ids()
	x.Frontier = d.ids()
	x.Txn.Node = NodeID(d.uvarint())
	x.Txn.Seq = d.uvarint()
	if d.err != nil {
		return Effect{}, 0, d.err
	}
	return x, len(b) - len(d.b), nil
}
