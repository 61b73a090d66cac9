// Package crdt holds the merge rule of every collection type (DESIGN.md
// section 3), one type per file, as pure code: no locks, no I/O, no clock.
//
// A collection write is one effect whose Op names the type (effect.OpList,
// OpHash, ...) and whose Value is a payload this package defines: a sub-op
// byte and its arguments, written with Enc and read back with Dec. Each type
// provides two functions over its materialised Object:
//
//   - Apply: the incremental path. The effect observed everything the object
//     reflects (always true on a single node, and true in a cluster when no
//     concurrent effect is live), so it applies as Redis would apply the
//     command.
//   - Merge: the general path. Given the folded base (which every live effect
//     observed) and the live effects in stamp order, it computes the merged
//     value — a pure function of the set of effects, so every node that holds
//     the same effects holds the same value, whatever order they came in.
//
// Both must agree: Merge(base, live + [e]) == Apply(Merge(base, live), e)
// when e observed every effect of live. The convergence tests check exactly
// this, per type, over random histories.
//
// Payloads come from other nodes and from the log, so decoding never panics:
// a malformed payload is ignored (Dec.Err).
package crdt

import (
	"encoding/binary"
	"io"
	"math"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// Object is a collection value, held in keyspace.Entry.Obj().
type Object interface {
	Kind() keyspace.Kind
	// Len is the number of elements; a collection with none does not exist.
	Len() int
	// Clone is a deep copy (history keeps a base that in-place writes must
	// not reach).
	Clone() Object
	// Encoding is what OBJECT ENCODING says, as Redis 7.0 would for the same
	// contents and history.
	Encoding() string
	// Digest writes a canonical form of the contents: equal iff the values
	// are equal, whatever the internal layout or encoding.
	Digest(w io.Writer)
	// Snapshot writes a payload that recreates the value (and, where it
	// matters, its encoding) when applied with effect.FlagReplace: RENAME,
	// COPY and MOVE write the copy this way.
	Snapshot(p *Enc)
}

// Ctx is what a type needs to know about the engine applying an effect.
type Ctx struct {
	// IDs is true in a cluster: types whose effects refer to elements by
	// identity (lists) keep those identities in the materialised object.
	IDs bool
	// Trusted: the effect was just built by this node's own encoders for a
	// local command, so its payload needs no validation (effects from
	// peers, the log or a snapshot always get it).
	Trusted bool
}

// Type is one collection type's merge rule.
type Type interface {
	Kind() keyspace.Kind
	// Apply applies e, which observed all of obj, to obj (nil when the key
	// holds nothing) and returns the result, possibly obj changed in place;
	// nil or an empty object means the key no longer exists.
	Apply(obj Object, e *effect.Effect, c Ctx) Object
	// Merger starts a merge from base (nil when none), which every effect
	// to come observed. It must not modify base.
	Merger(base Object, c Ctx) Merger
}

// Later describes a live effect stamped after the one ApplyConcurrent
// applies: its identity, operation and Commuter class. The engine keeps
// these beside a key's history, so that a walk over thousands of later
// effects reads one small array instead of every effect.
type Later struct {
	ID    effect.ID
	Op    effect.Op
	Class uint8
}

// A Commuter is a type some of whose effects can join a merged value
// directly although they did not observe every live effect: a push between
// concurrent pushes, an add between concurrent removes. In a cluster a hot
// key written on several nodes at once then costs O(1) per remote effect
// instead of a merge over its whole unstable history.
type Commuter interface {
	// Class describes an effect of this type for ApplyConcurrent: 0 when
	// a concurrent effect stamped before it cannot join the value
	// directly, other values are the type's own. The engine keeps the
	// classes of live effects, so payloads are read once.
	Class(e *effect.Effect) uint8
	// ApplyConcurrent applies e to obj, the merged value of the key's
	// history without e, when the merged value with e is obtained that way;
	// later describes the live effects stamped after e (all of this type,
	// none replacing, every class non-zero; read only). It
	// reports false, having changed nothing, when it cannot tell, and the
	// engine merges instead.
	ApplyConcurrent(obj Object, e *effect.Effect, later []Later, c Ctx) (Object, bool)
}

// Merger replays live effects of one type in stamp order (effect.Less). The
// engine asks Exists after each step: a TTL set while the value existed
// counts, one set on an emptied value does not.
type Merger interface {
	// Step applies the next surviving effect of this type. An effect with
	// effect.FlagReplace first removes everything it observed.
	Step(e *effect.Effect)
	// Exists reports whether the value has any element at this point.
	Exists() bool
	// Result is the merged value (nil when empty); it must not share memory
	// with base.
	Result() Object
}

// HLLApply applies a HyperLogLog effect's payload (effect.OpHLL) to the
// string cur (nil when the key holds nothing) and returns the new string; ok
// is false when cur is not a valid HyperLogLog, which leaves the value alone.
// HyperLogLogs are strings, so the engine applies these like other string
// patches, in stamp order; hll.go installs it.
var HLLApply func(cur []byte, payload []byte) (out []byte, ok bool)

// OpOf is the effect op that writes a collection kind (OpInvalid for none).
func OpOf(k keyspace.Kind) effect.Op {
	switch k {
	case keyspace.KindList:
		return effect.OpList
	case keyspace.KindHash:
		return effect.OpHash
	case keyspace.KindSet:
		return effect.OpSet
	case keyspace.KindZSet:
		return effect.OpZSet
	case keyspace.KindStream:
		return effect.OpStream
	}
	return effect.OpInvalid
}

var types [256]Type

// Register installs the rule of the type whose effects carry op.
func Register(op effect.Op, t Type) { types[op] = t }

// For returns the rule for op, nil when op is not a registered collection op.
func For(op effect.Op) Type { return types[op] }

// Enc builds a payload.
type Enc struct{ B []byte }

// Reset empties the payload, keeping its memory.
func (p *Enc) Reset() { p.B = p.B[:0] }

// Byte appends one byte (a sub-op, a flag).
func (p *Enc) Byte(b byte) { p.B = append(p.B, b) }

// Uvarint appends an unsigned number.
func (p *Enc) Uvarint(v uint64) { p.B = binary.AppendUvarint(p.B, v) }

// Varint appends a signed number.
func (p *Enc) Varint(v int64) { p.B = binary.AppendVarint(p.B, v) }

// Bytes appends a length-prefixed byte string.
func (p *Enc) Bytes(b []byte) {
	p.B = binary.AppendUvarint(p.B, uint64(len(b)))
	p.B = append(p.B, b...)
}

// Float64 appends a float's bits.
func (p *Enc) Float64(f float64) { p.B = binary.BigEndian.AppendUint64(p.B, math.Float64bits(f)) }

// ID appends an element identity.
func (p *Enc) ID(id ElemID) {
	p.Uvarint(uint64(id.Node))
	p.Uvarint(id.Seq)
	p.Uvarint(uint64(id.N))
}

// Dec reads a payload. After any malformed read Err is set and every further
// read returns a zero value; callers check Err before they change anything.
type Dec struct {
	b   []byte
	Err bool
}

// NewDec reads b.
func NewDec(b []byte) Dec { return Dec{b: b} }

// Done reports whether the payload is exhausted (or broken).
func (d *Dec) Done() bool { return d.Err || len(d.b) == 0 }

// Rest is what is left unread.
func (d *Dec) Rest() int { return len(d.b) }

// Byte reads one byte.
func (d *Dec) Byte() byte {
	if d.Err || len(d.b) == 0 {
		d.Err = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// Uvarint reads an unsigned number.
func (d *Dec) Uvarint() uint64 {
	if d.Err {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.Err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Varint reads a signed number.
func (d *Dec) Varint() int64 {
	if d.Err {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.Err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Bytes reads a length-prefixed byte string; it aliases the payload.
func (d *Dec) Bytes() []byte {
	n := d.Uvarint()
	if d.Err || n > uint64(len(d.b)) {
		d.Err = true
		return nil
	}
	b := d.b[:n:n]
	d.b = d.b[n:]
	return b
}

// Float64 reads a float.
func (d *Dec) Float64() float64 {
	if d.Err || len(d.b) < 8 {
		d.Err = true
		return 0
	}
	f := math.Float64frombits(binary.BigEndian.Uint64(d.b))
	d.b = d.b[8:]
	return f
}

// ID reads an element identity.
func (d *Dec) ID() ElemID {
	n := effect.NodeID(d.Uvarint())
	s := d.Uvarint()
	i := d.Uvarint()
	if i > math.MaxUint32 {
		d.Err = true
	}
	return ElemID{Node: n, Seq: s, N: uint32(i)}
}

// Count reads an element count, bounded by what the payload could hold (at
// least one byte per element), so a corrupt count cannot make a reader
// allocate without bound.
func (d *Dec) Count() int {
	n := d.Uvarint()
	if d.Err || n > uint64(len(d.b)) {
		d.Err = true
		return 0
	}
	return int(n)
}

// ElemID names one element of a collection for life: the effect that
// created it and its ordinal within that effect (LPUSH a b c creates three).
type ElemID struct {
	Node effect.NodeID
	Seq  uint64
	N    uint32
}

// Effect is the ID of the effect that created the element.
func (id ElemID) Effect() effect.ID { return effect.ID{Node: id.Node, Seq: id.Seq} }

// IsZero reports whether the identity is unset.
func (id ElemID) IsZero() bool { return id.Node == 0 && id.Seq == 0 && id.N == 0 }

// Cell is one element (set member, hash field, sorted-set member) while a
// Merge replays live effects in stamp order: whether it was in the base, and
// the surviving writes to it. The rule is the string register's (DESIGN.md
// section 3): the last surviving assignment W (or the base when none) gives
// the value, and surviving deltas that W did not observe apply on top of it
// in stamp order (all of them, on the zero value, when there is neither);
// a remove drops exactly the writes it observed (add wins over a concurrent
// remove).
type Cell[V any] struct {
	Base    bool // present in base
	BaseVal V
	w       []cellWrite[V]
}

type cellWrite[V any] struct {
	e     *effect.Effect
	val   V
	delta bool
}

// Assign records an assignment by e.
func (c *Cell[V]) Assign(e *effect.Effect, v V) {
	c.w = append(c.w, cellWrite[V]{e: e, val: v})
}

// Delta records an increment by e.
func (c *Cell[V]) Delta(e *effect.Effect, d V) {
	c.w = append(c.w, cellWrite[V]{e: e, val: d, delta: true})
}

// Remove records an observed-remove by e: the base and every write e had
// observed are gone; writes concurrent with e survive.
func (c *Cell[V]) Remove(e *effect.Effect) {
	c.Base = false
	out := c.w[:0]
	for _, w := range c.w {
		if !e.Observed(w.e.ID) {
			out = append(out, w)
		}
	}
	c.w = out
}

// Present reports whether anything of the element survives.
func (c *Cell[V]) Present() bool { return c.Base || len(c.w) > 0 }

// Result is the merged value; ok is false when the element does not exist.
// add applies a delta to a value and reports false when it does not fit (a
// delta on a non-number, an overflow), which skips that delta, as the writer
// would have refused it.
func (c *Cell[V]) Result(zero V, add func(v, d V) (V, bool)) (v V, ok bool) {
	if !c.Present() {
		return zero, false
	}
	win := -1
	for i := len(c.w) - 1; i >= 0; i-- {
		if !c.w[i].delta {
			win = i
			break
		}
	}
	switch {
	case win >= 0:
		v = c.w[win].val
	case c.Base:
		v = c.BaseVal
	default:
		v = zero
	}
	for i, w := range c.w {
		if !w.delta || i == win {
			continue
		}
		if win >= 0 && c.w[win].e.Observed(w.e.ID) {
			continue
		}
		if r, ok := add(v, w.val); ok {
			v = r
		}
	}
	return v, true
}

// LastWriter is the effect of the last surviving write, nil when only the
// base is left (per-element metadata such as a hash field's TTL follows it).
func (c *Cell[V]) LastWriter() *effect.Effect {
	if len(c.w) == 0 {
		return nil
	}
	return c.w[len(c.w)-1].e
}
