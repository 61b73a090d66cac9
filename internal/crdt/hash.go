package crdt

import (
	"encoding/binary"
	"hash/maphash"
	"io"
	"math"
	"sort"
	"strconv"
	"unsafe"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/longdouble"
)

// Hash: an observed-remove map (add wins over a concurrent HDEL). Each field
// is a register (HSET: last writer wins) and a counter (HINCRBY,
// HINCRBYFLOAT: concurrent increments add up; a concurrent HSET sets the
// base and the increments it did not observe apply on top) — crdt.Cell's
// rule. A field may carry a TTL (absolute Unix ms): last writer wins among
// the writes of that field that set it, like a key's TTL, and a field
// created afresh has none.
//
// Payload: a sequence of sub-ops, applied in order (a command that first
// drops expired fields and then writes is still one effect):
//
//	's' flags n (field value [at])*  HSET/HMSET/HSETNX/HSETEX; with
//	                                 HashSetKeepTTL existing fields keep their
//	                                 TTL, with HashSetWithTTL every entry
//	                                 carries its TTL (0 = none), otherwise
//	                                 the TTL is cleared; with HashExact (a
//	                                 whole value: RESTORE, RENAME) sizes do
//	                                 not convert a listpack
//	'i' field delta                  HINCRBY (varint delta)
//	'f' field incr                   HINCRBYFLOAT (the increment's text)
//	'd' n field*                     HDEL, HGETDEL, expired fields
//	'x' n (field at)*                field TTLs (HEXPIRE..., HPERSIST: at 0);
//	                                 a listpack becomes "listpackex"
//	'c' target                       encoding conversion only
//
// Layout mirrors Redis: "listpack" (an insertion-ordered byte buffer) while
// there are at most HashMaxListpackEntries fields and no field or value is
// longer than HashMaxListpackValue, then "hashtable" for good. Once a field
// TTL command touches a listpack it is "listpackex" (Redis 7.4), whose order
// keeps the fields with a TTL first, by TTL, as Redis does. The hashtable is
// a slot slice (one string per field holding field and value) plus an
// open-addressing index, so a random field is O(1) and HSCAN has a cursor
// that survives changes.
type Hash struct {
	lp  []byte   // listpack modes: entries, uvarint(len) field uvarint(len) value
	x   *hashExt // hashtable and/or TTLs; nil for a plain small hash
	n   int32    // fields
	enc uint8
}

type hashExt struct {
	slots slotList // hashtable: uvarint(len(field)) field value, per field
	index []uint64 // hashtable: hash32<<32 | slot+1, 0 = empty
	memo  int      // hashtable: the slot htFind found last, +1 (0 = none)
	ttl   map[string]int64
	min   int64 // earliest TTL (0 = none) unless minStale
	stale bool
}

// Hash encodings.
const (
	hashListpack uint8 = iota
	hashListpackEx
	hashHashtable
)

// HashMaxListpackEntries and HashMaxListpackValue are Redis'
// hash-max-listpack-entries and hash-max-listpack-value (CONFIG SET changes
// them; hash-max-ziplist-* are their aliases).
var (
	HashMaxListpackEntries = 512
	HashMaxListpackValue   = 64
)

// Hash payload sub-ops.
const (
	HashSet      byte = 's'
	HashIncr     byte = 'i'
	HashIncrFlt  byte = 'f'
	HashDel      byte = 'd'
	HashTTL      byte = 'x'
	HashConvert  byte = 'c'
	HashKeepTTL  byte = 1 // 's' flag
	HashWithTTL  byte = 2 // 's' flag
	HashExact    byte = 4 // 's' flag: a whole value, no conversion by size
	HashToHT     byte = 1 // 'c' target: hashtable
	HashToLPEx   byte = 2 // 'c' target: listpackex (when still a listpack)
	hashSetFlags      = HashKeepTTL | HashWithTTL
)

type hashType struct{}

func init() { Register(effect.OpHash, hashType{}) }

func (hashType) Kind() keyspace.Kind { return keyspace.KindHash }

// NewHash returns an empty listpack hash.
func NewHash() *Hash { return &Hash{} }

// --- encoders --------------------------------------------------------------

// EncodeHashSet appends an 's' sub-op for pairs (field, value, field,
// value...) with flags 0 (HSET: TTLs cleared) or HashKeepTTL.
func EncodeHashSet(p *Enc, flags byte, pairs [][]byte) {
	p.Byte(HashSet)
	p.Byte(flags &^ HashWithTTL)
	p.Uvarint(uint64(len(pairs) / 2))
	for i := 0; i+1 < len(pairs); i += 2 {
		p.Bytes(pairs[i])
		p.Bytes(pairs[i+1])
	}
}

// EncodeHashSetTTL appends an 's' sub-op setting every pair with TTL at.
func EncodeHashSetTTL(p *Enc, pairs [][]byte, at int64) {
	p.Byte(HashSet)
	p.Byte(HashWithTTL)
	p.Uvarint(uint64(len(pairs) / 2))
	for i := 0; i+1 < len(pairs); i += 2 {
		p.Bytes(pairs[i])
		p.Bytes(pairs[i+1])
		p.Varint(at)
	}
}

// EncodeHashIncr appends an 'i' sub-op.
func EncodeHashIncr(p *Enc, field []byte, delta int64) {
	p.Byte(HashIncr)
	p.Bytes(field)
	p.Varint(delta)
}

// EncodeHashIncrFloat appends an 'f' sub-op; incr is the increment's text,
// already validated (longdouble.Parse).
func EncodeHashIncrFloat(p *Enc, field, incr []byte) {
	p.Byte(HashIncrFlt)
	p.Bytes(field)
	p.Bytes(incr)
}

// EncodeHashDel appends a 'd' sub-op.
func EncodeHashDel(p *Enc, fields [][]byte) {
	p.Byte(HashDel)
	p.Uvarint(uint64(len(fields)))
	for _, f := range fields {
		p.Bytes(f)
	}
}

// EncodeHashTTL appends an 'x' sub-op: fields[i] gets TTL ats[i] (0 =
// persist). With no fields it only turns a listpack into a listpackex.
func EncodeHashTTL(p *Enc, fields [][]byte, ats []int64) {
	p.Byte(HashTTL)
	p.Uvarint(uint64(len(fields)))
	for i, f := range fields {
		p.Bytes(f)
		p.Varint(ats[i])
	}
}

// EncodeHashConvert appends a 'c' sub-op (HashToHT or HashToLPEx).
func EncodeHashConvert(p *Enc, target byte) {
	p.Byte(HashConvert)
	p.Byte(target)
}

// HashEntry is one field of a whole-value payload (RESTORE, snapshots).
type HashEntry struct {
	Field, Value []byte
	At           int64 // TTL, absolute Unix ms, 0 = none
}

// EncodeHashValue writes the sub-ops that recreate a hash whose fields, in
// order, are entries, with the given encoding ("listpack", "listpackex" or
// "hashtable") from nothing: the payload of a replacing effect. Fields with
// a TTL are written in reverse so that placing each by its TTL rebuilds
// the given order of a listpackex.
func EncodeHashValue(p *Enc, encoding string, entries []HashEntry) {
	switch encoding {
	case "hashtable":
		EncodeHashConvert(p, HashToHT)
	case "listpackex":
		EncodeHashConvert(p, HashToLPEx)
	}
	p.Byte(HashSet)
	p.Byte(HashWithTTL | HashExact)
	p.Uvarint(uint64(len(entries)))
	put := func(e *HashEntry) {
		p.Bytes(e.Field)
		p.Bytes(e.Value)
		p.Varint(e.At)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].At != 0 {
			put(&entries[i])
		}
	}
	for i := range entries {
		if entries[i].At == 0 {
			put(&entries[i])
		}
	}
}

// validHashPayload decodes a whole payload without applying it.
func validHashPayload(b []byte) bool {
	d := NewDec(b)
	if d.Done() {
		return false
	}
	for !d.Done() {
		switch d.Byte() {
		case HashSet:
			fl := d.Byte()
			if fl&^(hashSetFlags|HashExact) != 0 {
				return false
			}
			n := d.Count()
			for i := 0; i < n && !d.Err; i++ {
				d.Bytes()
				d.Bytes()
				if fl&HashWithTTL != 0 {
					if d.Varint() < 0 {
						return false
					}
				}
			}
		case HashIncr:
			d.Bytes()
			d.Varint()
		case HashIncrFlt:
			d.Bytes()
			if _, ok := longdouble.Parse(d.Bytes()); !ok && !d.Err {
				return false
			}
		case HashDel:
			n := d.Count()
			for i := 0; i < n && !d.Err; i++ {
				d.Bytes()
			}
		case HashTTL:
			n := d.Count()
			for i := 0; i < n && !d.Err; i++ {
				d.Bytes()
				if d.Varint() < 0 {
					return false
				}
			}
		case HashConvert:
			if t := d.Byte(); t != HashToHT && t != HashToLPEx {
				return false
			}
		default:
			return false
		}
	}
	return !d.Err
}

// --- read API --------------------------------------------------------------

// Kind is KindHash.
func (h *Hash) Kind() keyspace.Kind { return keyspace.KindHash }

// Len is the number of fields (expired ones included: the command layer
// removes those first).
func (h *Hash) Len() int { return int(h.n) }

// Encoding is "listpack", "listpackex" or "hashtable".
func (h *Hash) Encoding() string {
	switch h.enc {
	case hashHashtable:
		return "hashtable"
	case hashListpackEx:
		return "listpackex"
	}
	return "listpack"
}

// IsHashtable reports whether the hash is hashtable-encoded.
func (h *Hash) IsHashtable() bool { return h.enc == hashHashtable }

// Get returns field's value (aliasing the hash: valid until it changes).
func (h *Hash) Get(field []byte) ([]byte, bool) {
	if h.enc == hashHashtable {
		s, ok := h.htFind(field)
		if !ok {
			return nil, false
		}
		_, v := slotParts(h.x.slots.at(s))
		return v, true
	}
	off, ok := h.lpFind(field)
	if !ok {
		return nil, false
	}
	_, v, _ := lpEntry(h.lp, off)
	return v, true
}

// TTL is field's expiry time (absolute Unix ms), 0 when it has none.
func (h *Hash) TTL(field []byte) int64 {
	if h.x == nil || h.x.ttl == nil {
		return 0
	}
	return h.x.ttl[string(field)]
}

// HasTTLs reports whether any field has a TTL.
func (h *Hash) HasTTLs() bool { return h.x != nil && len(h.x.ttl) > 0 }

// MinExpire is the earliest field TTL, 0 when no field has one.
func (h *Hash) MinExpire() int64 {
	if h.x == nil || len(h.x.ttl) == 0 {
		return 0
	}
	if h.x.stale {
		m := int64(0)
		for _, at := range h.x.ttl {
			if m == 0 || at < m {
				m = at
			}
		}
		h.x.min, h.x.stale = m, false
	}
	return h.x.min
}

// Expired appends to dst copies of the fields whose TTL is <= now, in
// the hash's order.
func (h *Hash) Expired(now int64, dst [][]byte) [][]byte {
	if m := h.MinExpire(); m == 0 || m > now {
		return dst
	}
	if h.enc != hashHashtable {
		for off := 0; off < len(h.lp); {
			f, _, next := lpEntry(h.lp, off)
			if at := h.x.ttl[string(f)]; at != 0 && at <= now {
				dst = append(dst, append([]byte(nil), f...))
			}
			off = next
		}
		return dst
	}
	start := len(dst)
	for f, at := range h.x.ttl {
		if at <= now {
			dst = append(dst, []byte(f))
		}
	}
	sort.Slice(dst[start:], func(i, j int) bool { return string(dst[start+i]) < string(dst[start+j]) })
	return dst
}

// Each calls fn for every field in order (a listpack's insertion order) until
// fn returns false. The slices are valid only during the call.
func (h *Hash) Each(fn func(field, value []byte) bool) {
	if h.enc == hashHashtable {
		for _, ch := range h.x.slots.chunks {
			for _, s := range ch {
				f, v := slotParts(s)
				if !fn(f, v) {
					return
				}
			}
		}
		return
	}
	for off := 0; off < len(h.lp); {
		f, v, next := lpEntry(h.lp, off)
		if !fn(f, v) {
			return
		}
		off = next
	}
}

// EachTTL is Each with every field's TTL (0 = none).
func (h *Hash) EachTTL(fn func(field, value []byte, at int64) bool) {
	var ttl map[string]int64
	if h.x != nil {
		ttl = h.x.ttl
	}
	h.Each(func(f, v []byte) bool {
		var at int64
		if ttl != nil {
			at = ttl[string(f)]
		}
		return fn(f, v, at)
	})
}

// At returns the field in position i (0 <= i < Len): O(1) for a hashtable,
// O(i) for a listpack. Random picks use it.
func (h *Hash) At(i int) (field, value []byte) {
	if h.enc == hashHashtable {
		return slotParts(h.x.slots.at(i))
	}
	off := 0
	for ; i > 0; i-- {
		_, _, off = lpEntry(h.lp, off)
	}
	f, v, _ := lpEntry(h.lp, off)
	return f, v
}

// Scan visits fields for HSCAN: a listpack whole (cursor 0 returned, as
// Redis does for small encodings); a hashtable from cursor (0 = start),
// about count slots, from the top slot down: a removal moves the last field
// into the freed slot, which is either below the cursor (seen again: a
// duplicate, as Redis allows) or above it (already seen), so every field
// present for the whole scan is returned. It returns the next cursor.
func (h *Hash) Scan(cursor uint64, count int, fn func(field, value []byte)) uint64 {
	if h.enc != hashHashtable {
		h.Each(func(f, v []byte) bool { fn(f, v); return true })
		return 0
	}
	slots := &h.x.slots
	hi := slots.n
	if cursor != 0 && cursor < uint64(hi) {
		hi = int(cursor)
	}
	lo := hi - count
	if lo < 0 {
		lo = 0
	}
	for i := hi - 1; i >= lo; i-- {
		fn(slotParts(slots.at(i)))
	}
	return uint64(lo)
}

// --- listpack mode ---------------------------------------------------------

// lpUvarint reads a length at b[off:].
func lpUvarint(b []byte, off int) (uint64, int) {
	if c := b[off]; c < 0x80 {
		return uint64(c), off + 1
	}
	v, n := binary.Uvarint(b[off:])
	return v, off + n
}

// lpEntry decodes the entry at off: field, value and the next offset.
func lpEntry(lp []byte, off int) (f, v []byte, next int) {
	n, p := lpUvarint(lp, off)
	f = lp[p : p+int(n) : p+int(n)]
	p += int(n)
	n, p = lpUvarint(lp, p)
	v = lp[p : p+int(n) : p+int(n)]
	return f, v, p + int(n)
}

// lpFind returns the offset of field's entry.
func (h *Hash) lpFind(field []byte) (int, bool) {
	lp := h.lp
	for off := 0; off < len(lp); {
		n, p := lpUvarint(lp, off)
		if int(n) == len(field) && string(lp[p:p+int(n)]) == string(field) {
			return off, true
		}
		p += int(n)
		n, p = lpUvarint(lp, p)
		off = p + int(n)
	}
	return 0, false
}

func lpEntrySize(f, v []byte) int {
	return uvarintLen(uint64(len(f))) + len(f) + uvarintLen(uint64(len(v))) + len(v)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func appendLPEntry(b, f, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(f)))
	b = append(b, f...)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// lpInsert inserts the entry (f, v) at off.
func (h *Hash) lpInsert(off int, f, v []byte) {
	size := lpEntrySize(f, v)
	if off == len(h.lp) {
		h.lp = appendLPEntry(h.lp, f, v)
		return
	}
	old := len(h.lp)
	h.lp = append(h.lp, make([]byte, size)...)
	copy(h.lp[off+size:], h.lp[off:old])
	appendLPEntry(h.lp[off:off], f, v)
}

// lpRemove removes the entry at off, whose encoded size is size.
func (h *Hash) lpRemove(off, size int) {
	h.lp = append(h.lp[:off], h.lp[off+size:]...)
	if cap(h.lp) > 256 && len(h.lp) < cap(h.lp)/4 {
		h.lp = append([]byte(nil), h.lp...)
	}
}

// lpSetValue replaces the value of the entry at off.
func (h *Hash) lpSetValue(off int, v []byte) {
	_, old, next := lpEntry(h.lp, off)
	if len(old) == len(v) {
		copy(old[:len(v):len(v)], v)
		return
	}
	start := next - len(old) - uvarintLen(uint64(len(old)))
	tail := len(h.lp) - next
	size := uvarintLen(uint64(len(v))) + len(v)
	if grow := size - (next - start); grow > 0 {
		h.lp = append(h.lp, make([]byte, grow)...)
		copy(h.lp[start+size:], h.lp[next:next+tail])
	} else {
		copy(h.lp[start+size:], h.lp[next:])
		h.lp = h.lp[:start+size+tail]
	}
	p := binary.PutUvarint(h.lp[start:], uint64(len(v)))
	copy(h.lp[start+p:], v)
}

// lpTTLPos is where a field with TTL at goes in a listpackex: before the
// first field with no TTL or a TTL >= at (Redis' order).
func (h *Hash) lpTTLPos(at int64) int {
	for off := 0; off < len(h.lp); {
		f, _, next := lpEntry(h.lp, off)
		if t := h.x.ttl[string(f)]; t == 0 || t >= at {
			return off
		}
		off = next
	}
	return len(h.lp)
}

// --- hashtable mode --------------------------------------------------------

var hashSeed = maphash.MakeSeed()

func hash32(b []byte) uint32 { return uint32(maphash.Bytes(hashSeed, b)) }

// slotParts splits a hashtable slot into field and value (aliasing it).
func slotParts(s string) (f, v []byte) {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	n, p := lpUvarint(b, 0)
	return b[p : p+int(n) : p+int(n)], b[p+int(n):]
}

// makeSlot builds a slot string in one allocation.
func makeSlot(f, v []byte) string {
	b := make([]byte, uvarintLen(uint64(len(f)))+len(f)+len(v))
	p := binary.PutUvarint(b, uint64(len(f)))
	p += copy(b[p:], f)
	copy(b[p:], v)
	return unsafe.String(&b[0], len(b))
}

// slotList holds a hashtable's slots in chunks of at most slotChunk, so
// that growing a big hash never copies one huge array (nor leaves it behind
// for the collector): the first chunk grows as a slice, later ones are
// allocated whole.
type slotList struct {
	chunks [][]string
	n      int
}

const (
	slotShift = 12
	slotChunk = 1 << slotShift
)

func (l *slotList) at(i int) string { return l.chunks[i>>slotShift][i&(slotChunk-1)] }

func (l *slotList) set(i int, s string) { l.chunks[i>>slotShift][i&(slotChunk-1)] = s }

func (l *slotList) push(s string) {
	c := l.n >> slotShift
	if c == len(l.chunks) {
		var ch []string
		if c > 0 {
			ch = make([]string, 0, slotChunk)
		}
		l.chunks = append(l.chunks, ch)
	}
	l.chunks[c] = append(l.chunks[c], s)
	l.n++
}

// pop removes the last slot.
func (l *slotList) pop() {
	l.n--
	c := l.n >> slotShift
	ch := l.chunks[c]
	ch[len(ch)-1] = ""
	ch = ch[:len(ch)-1]
	switch {
	case len(ch) == 0 && c > 0:
		l.chunks[c] = nil
		l.chunks = l.chunks[:c]
	case c == 0 && cap(ch) > 64 && len(ch) < cap(ch)/4:
		l.chunks[0] = append([]string(nil), ch...)
	default:
		l.chunks[c] = ch
	}
}

func (l *slotList) clone() slotList {
	c := slotList{n: l.n, chunks: make([][]string, len(l.chunks))}
	for i, ch := range l.chunks {
		c.chunks[i] = append([]string(nil), ch...)
	}
	return c
}

// htFind returns field's slot.
func (h *Hash) htFind(field []byte) (int, bool) {
	x := h.x
	if len(x.index) == 0 {
		return 0, false
	}
	// A write looks its field up twice (the command's read, then Apply):
	// the slot found last is checked first. Slots are dense, so any index
	// below n is a live slot, and equal field bytes make it the field's.
	if m := x.memo - 1; m >= 0 && m < x.slots.n {
		if f, _ := slotParts(x.slots.at(m)); string(f) == string(field) {
			return m, true
		}
	}
	hv := hash32(field)
	mask := uint32(len(x.index) - 1)
	for i := hv & mask; ; i = (i + 1) & mask {
		e := x.index[i]
		if e == 0 {
			return 0, false
		}
		if uint32(e>>32) == hv {
			s := int(uint32(e)) - 1
			if f, _ := slotParts(x.slots.at(s)); string(f) == string(field) {
				x.memo = s + 1
				return s, true
			}
		}
	}
}

// htIndexOf returns the index position holding slot s (whose field hashes
// to hv).
func (x *hashExt) indexOf(hv uint32, s int) uint32 {
	mask := uint32(len(x.index) - 1)
	want := uint64(s + 1)
	for i := hv & mask; ; i = (i + 1) & mask {
		if e := x.index[i]; uint32(e>>32) == hv && uint64(uint32(e)) == want {
			return i
		}
	}
}

func (x *hashExt) indexInsert(hv uint32, s int) {
	mask := uint32(len(x.index) - 1)
	i := hv & mask
	for x.index[i] != 0 {
		i = (i + 1) & mask
	}
	x.index[i] = uint64(hv)<<32 | uint64(s+1)
}

// indexDelete empties position i, shifting later entries of the probe run
// back (no tombstones).
func (x *hashExt) indexDelete(i uint32) {
	mask := uint32(len(x.index) - 1)
	j := i
	for {
		j = (j + 1) & mask
		e := x.index[j]
		if e == 0 {
			break
		}
		k := uint32(e>>32) & mask
		var stays bool
		if i <= j {
			stays = i < k && k <= j
		} else {
			stays = i < k || k <= j
		}
		if stays {
			continue
		}
		x.index[i] = e
		i = j
	}
	x.index[i] = 0
}

// resize rebuilds the index with room for n fields (load <= 3/4).
func (x *hashExt) resize(n int) {
	size := 8
	for size*3/4 < n {
		size <<= 1
	}
	old := x.index
	x.index = make([]uint64, size)
	mask := uint32(size - 1)
	for _, e := range old {
		if e == 0 {
			continue
		}
		i := uint32(e>>32) & mask
		for x.index[i] != 0 {
			i = (i + 1) & mask
		}
		x.index[i] = e
	}
}

func (h *Hash) htAdd(f, v []byte) {
	x := h.x
	if (x.slots.n+1)*4 > len(x.index)*3 {
		x.resize(x.slots.n + 1)
	}
	s := x.slots.n
	x.slots.push(makeSlot(f, v))
	x.indexInsert(hash32(f), s)
}

func (h *Hash) htRemove(s int) {
	x := h.x
	f, _ := slotParts(x.slots.at(s))
	x.indexDelete(x.indexOf(hash32(f), s))
	last := x.slots.n - 1
	if s != last {
		lf, _ := slotParts(x.slots.at(last))
		lh := hash32(lf)
		i := x.indexOf(lh, last)
		x.index[i] = uint64(lh)<<32 | uint64(s+1)
		x.slots.set(s, x.slots.at(last))
	}
	x.slots.pop()
	if len(x.index) > 16 && x.slots.n*8 < len(x.index) {
		x.resize(x.slots.n)
	}
}

// toHashtable converts a listpack hash, keeping the fields' order in the
// slots.
func (h *Hash) toHashtable() {
	if h.enc == hashHashtable {
		return
	}
	if h.x == nil {
		h.x = &hashExt{}
	}
	x := h.x
	x.slots = slotList{}
	x.index = nil
	x.resize(int(h.n))
	for off := 0; off < len(h.lp); {
		f, v, next := lpEntry(h.lp, off)
		x.indexInsert(hash32(f), x.slots.n)
		x.slots.push(makeSlot(f, v))
		off = next
	}
	h.lp = nil
	h.enc = hashHashtable
}

// --- mutation primitives (the single-node path) ----------------------------

func (h *Hash) ext() *hashExt {
	if h.x == nil {
		h.x = &hashExt{}
	}
	return h.x
}

// setTTLValue records field's TTL (0 = none) in the TTL map only.
func (h *Hash) setTTLValue(field []byte, at int64) {
	if at == 0 {
		if h.x == nil || h.x.ttl == nil {
			return
		}
		old, ok := h.x.ttl[string(field)]
		if !ok {
			return
		}
		delete(h.x.ttl, string(field))
		if len(h.x.ttl) == 0 {
			h.x.ttl, h.x.min, h.x.stale = nil, 0, false
		} else if old == h.x.min {
			h.x.stale = true
		}
		return
	}
	x := h.ext()
	if x.ttl == nil {
		x.ttl = map[string]int64{}
		x.min, x.stale = 0, false
	}
	old := x.ttl[string(field)]
	x.ttl[string(field)] = at
	switch {
	case x.stale:
	case old != 0 && old == x.min && at > old:
		x.stale = true
	case x.min == 0 || at < x.min:
		x.min = at
	}
}

// placeTTL gives an existing field TTL at (0 = none), moving it in a
// listpackex as Redis does: a field given a TTL goes to its place by TTL, a
// field losing its TTL goes to the end.
func (h *Hash) placeTTL(field []byte, at int64) {
	old := h.TTL(field)
	if at == 0 && old == 0 {
		return
	}
	h.setTTLValue(field, at)
	if h.enc == hashHashtable {
		return
	}
	off, ok := h.lpFind(field)
	if !ok {
		return
	}
	f, v, next := lpEntry(h.lp, off)
	var buf [128]byte
	e := appendLPEntry(buf[:0], f, v)
	h.lpRemove(off, next-off)
	f, v, _ = lpEntry(e, 0)
	if at == 0 {
		h.lpInsert(len(h.lp), f, v)
	} else {
		h.lpInsert(h.lpTTLPos(at), f, v)
	}
}

// set writes field = value. mode: 0 clears the TTL (HSET), HashKeepTTL
// keeps it, HashWithTTL sets it to at. It reports whether the field is new.
func (h *Hash) set(field, value []byte, mode byte, at int64, exact bool) bool {
	if !exact && h.enc != hashHashtable && (len(field) > HashMaxListpackValue || len(value) > HashMaxListpackValue) {
		h.toHashtable()
	}
	if mode == HashWithTTL && at != 0 && h.enc == hashListpack {
		h.enc = hashListpackEx
	}
	if h.enc == hashHashtable {
		if s, ok := h.htFind(field); ok {
			if _, old := slotParts(h.x.slots.at(s)); string(old) != string(value) {
				h.x.slots.set(s, makeSlot(field, value)) // a slot is never changed in place
			}
			switch mode {
			case 0:
				h.setTTLValue(field, 0)
			case HashWithTTL:
				h.setTTLValue(field, at)
			}
			return false
		}
		h.htAdd(field, value)
		h.n++
		if mode == HashWithTTL && at != 0 {
			h.setTTLValue(field, at)
		}
		return true
	}
	if off, ok := h.lpFind(field); ok {
		h.lpSetValue(off, value)
		switch mode {
		case 0:
			h.placeTTL(field, 0)
		case HashWithTTL:
			if at != 0 {
				h.setTTLValue(field, 0) // re-placed even when equal
				h.placeTTL(field, at)
			} else {
				h.placeTTL(field, 0)
			}
		}
		return false
	}
	h.lpInsert(len(h.lp), field, value)
	h.n++
	if mode == HashWithTTL && at != 0 {
		h.placeTTL(field, at)
	}
	if !exact && int(h.n) > HashMaxListpackEntries {
		h.toHashtable()
	}
	return true
}

// del removes field and reports whether it was there.
func (h *Hash) del(field []byte) bool {
	if h.enc == hashHashtable {
		s, ok := h.htFind(field)
		if !ok {
			return false
		}
		h.setTTLValue(field, 0)
		h.htRemove(s)
	} else {
		off, ok := h.lpFind(field)
		if !ok {
			return false
		}
		h.setTTLValue(field, 0)
		_, _, next := lpEntry(h.lp, off)
		h.lpRemove(off, next-off)
	}
	h.n--
	if h.n == 0 {
		*h = Hash{} // an emptied hash starts afresh
	}
	return true
}

// --- Apply -----------------------------------------------------------------

func (hashType) Apply(obj Object, e *effect.Effect, c Ctx) Object {
	h, _ := obj.(*Hash)
	if !c.Trusted && !validHashPayload(e.Value) {
		return obj
	}
	if h == nil {
		h = NewHash()
	}
	h.apply(e.Value)
	return h
}

// apply runs a validated payload.
func (h *Hash) apply(b []byte) {
	d := NewDec(b)
	for !d.Done() {
		switch d.Byte() {
		case HashSet:
			fl := d.Byte()
			n := d.Count()
			exact := fl&HashExact != 0
			if h.enc != hashHashtable && !exact {
				// Redis checks every argument before it sets any
				save := d
				for i := 0; i < n; i++ {
					f, v := save.Bytes(), save.Bytes()
					if fl&HashWithTTL != 0 {
						save.Varint()
					}
					if len(f) > HashMaxListpackValue || len(v) > HashMaxListpackValue {
						h.toHashtable()
						break
					}
				}
			}
			mode := fl & hashSetFlags
			if mode == hashSetFlags {
				mode = HashWithTTL
			}
			for i := 0; i < n; i++ {
				f, v := d.Bytes(), d.Bytes()
				var at int64
				if fl&HashWithTTL != 0 {
					at = d.Varint()
				}
				h.set(f, v, mode, at, exact)
			}
		case HashIncr:
			f := d.Bytes()
			delta := d.Varint()
			cur := int64(0)
			if v, ok := h.Get(f); ok {
				c, ok := parseInt(v)
				if !ok {
					continue
				}
				cur = c
			}
			if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) || (delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
				continue
			}
			var buf [24]byte
			h.set(f, strconv.AppendInt(buf[:0], cur+delta, 10), HashKeepTTL, 0, false)
		case HashIncrFlt:
			f := d.Bytes()
			incr, _ := longdouble.Parse(d.Bytes())
			cur := longdouble.Zero()
			if v, ok := h.Get(f); ok {
				c, ok := longdouble.Parse(v)
				if !ok {
					continue
				}
				cur = c
			}
			sum, ok := longdouble.Add(cur, incr)
			if !ok {
				continue
			}
			h.set(f, longdouble.Format(sum), HashKeepTTL, 0, false)
		case HashDel:
			n := d.Count()
			for i := 0; i < n; i++ {
				h.del(d.Bytes())
			}
		case HashTTL:
			n := d.Count()
			if h.enc == hashListpack && h.n > 0 {
				h.enc = hashListpackEx
			}
			for i := 0; i < n; i++ {
				f := d.Bytes()
				at := d.Varint()
				if h.n == 0 {
					continue
				}
				if _, ok := h.Get(f); !ok {
					continue
				}
				if at != 0 {
					h.setTTLValue(f, 0) // re-placed even when equal
				}
				h.placeTTL(f, at)
			}
		case HashConvert:
			switch d.Byte() {
			case HashToHT:
				h.toHashtable()
			case HashToLPEx:
				if h.enc == hashListpack {
					h.enc = hashListpackEx
				}
			}
		}
	}
}

// --- Merger ----------------------------------------------------------------

// hval is a field write in a merge: a value (k 0), an integer delta (k 1,
// d) or a float increment (k 2, its text in s).
type hval struct {
	s string
	d int64
	k uint8
}

var hvalZero = hval{s: "0"}

func hvalAdd(v, d hval) (hval, bool) {
	switch d.k {
	case 1:
		cur, ok := parseInt([]byte(v.s))
		if !ok || (d.d < 0 && cur < 0 && d.d < math.MinInt64-cur) || (d.d > 0 && cur > 0 && d.d > math.MaxInt64-cur) {
			return v, false
		}
		return hval{s: strconv.FormatInt(cur+d.d, 10)}, true
	case 2:
		cur, ok := longdouble.Parse([]byte(v.s))
		if !ok {
			return v, false
		}
		incr, ok := longdouble.Parse([]byte(d.s))
		if !ok {
			return v, false
		}
		sum, ok := longdouble.Add(cur, incr)
		if !ok {
			return v, false
		}
		return hval{s: string(longdouble.Format(sum))}, true
	}
	return v, false
}

// hev is a surviving write of a field that matters for its TTL and place.
type hev struct {
	e    *effect.Effect
	val  hval  // evAssign, evDelta: what went into the Cell
	dead bool  // superseded within its own effect: not in the Cell
	pos  int64 // replay step: a later step is a later place
	at   int64
	kind uint8 // evAssign, evDelta, evTTL
	mode byte  // evAssign: 0, HashKeepTTL or HashWithTTL
}

const (
	evAssign uint8 = iota
	evDelta
	evTTL
)

type hcell struct {
	Cell[hval]
	baseTTL int64
	basePos int64
	ev      []hev
}

// remove drops the field's writes e observed — and e's own, when e wrote
// the field earlier in its payload (Cell.Remove keeps those: an effect does
// not observe itself, so the cell is rebuilt from the survivors then).
func (c *hcell) remove(e *effect.Effect) {
	c.Cell.Remove(e)
	own := false
	out := c.ev[:0]
	for _, w := range c.ev {
		switch {
		case w.e.ID == e.ID:
			own = true
		case !e.Observed(w.e.ID):
			out = append(out, w)
		}
	}
	c.ev = out
	if own {
		c.rebuild()
	}
}

// rebuild refills the Cell from the surviving writes (base dropped).
func (c *hcell) rebuild() {
	c.Cell = Cell[hval]{}
	for _, w := range c.ev {
		if w.dead {
			continue
		}
		switch w.kind {
		case evAssign:
			c.Assign(w.e, w.val)
		case evDelta:
			c.Delta(w.e, w.val)
		}
	}
}

// assign records an assignment by e; writes of the value by e earlier in
// its own payload are superseded (the Cell would add e's own earlier
// increments on top, as e does not observe itself).
func (c *hcell) assign(e *effect.Effect, w hev) {
	stale := false
	for i := range c.ev {
		if x := &c.ev[i]; x.e.ID == e.ID && !x.dead && x.kind != evTTL {
			x.dead, stale = true, true
		}
	}
	c.ev = append(c.ev, w)
	if stale {
		base, bv := c.Base, c.BaseVal
		c.rebuild()
		c.Base, c.BaseVal = base, bv
		return
	}
	c.Assign(e, w.val)
}

// fold replays the surviving writes for the field's TTL and place, as Apply
// would have: a field created afresh has no TTL and goes to the end; HSET
// clears the TTL (and a field losing its TTL goes to the end); a TTL set
// re-places it.
func (c *hcell) fold() (ttl, pos int64) {
	exists := c.Base
	if exists {
		ttl, pos = c.baseTTL, c.basePos
	}
	for i := range c.ev {
		w := &c.ev[i]
		switch w.kind {
		case evAssign:
			if !exists {
				exists, ttl, pos = true, 0, w.pos
			}
			switch w.mode {
			case 0:
				if ttl != 0 {
					ttl, pos = 0, w.pos
				}
			case HashWithTTL:
				if w.at != 0 || ttl != 0 {
					ttl, pos = w.at, w.pos
				}
			}
		case evDelta:
			if !exists {
				exists, ttl, pos = true, 0, w.pos
			}
		case evTTL:
			if !exists {
				continue
			}
			if w.at != 0 || ttl != 0 {
				ttl, pos = w.at, w.pos
			}
		}
	}
	return ttl, pos
}

type hashMerger struct {
	cells   map[string]*hcell
	order   []string // first-seen order
	present int
	ht, ex  bool
	step    int64
}

func (hashType) Merger(base Object, _ Ctx) Merger {
	m := &hashMerger{cells: map[string]*hcell{}}
	if b, ok := base.(*Hash); ok && b != nil && b.n > 0 {
		m.ht = b.enc == hashHashtable
		m.ex = b.enc == hashListpackEx
		n := int64(b.n)
		i := int64(0)
		b.EachTTL(func(f, v []byte, at int64) bool {
			c := m.cell(string(f))
			c.Base, c.BaseVal = true, hval{s: string(v)}
			c.baseTTL = at
			if at != 0 {
				c.basePos = n - i
			} else {
				c.basePos = i + 1
			}
			i++
			return true
		})
		m.present = int(b.n)
		m.step = n + 1
	}
	return m
}

func (m *hashMerger) cell(f string) *hcell {
	c := m.cells[f]
	if c == nil {
		c = &hcell{}
		m.cells[f] = c
		m.order = append(m.order, f)
	}
	return c
}

func (m *hashMerger) added(was bool, c *hcell, exact bool) {
	if !was && c.Present() {
		m.present++
		if !exact && !m.ht && m.present > HashMaxListpackEntries {
			m.ht = true
		}
	}
}

func (m *hashMerger) removed(was bool, c *hcell) {
	if was && !c.Present() {
		m.present--
		if m.present == 0 {
			m.ht, m.ex = false, false
		}
	}
}

func (m *hashMerger) Step(e *effect.Effect) {
	if !validHashPayload(e.Value) {
		return
	}
	if e.Flags&effect.FlagReplace != 0 {
		for _, c := range m.cells {
			was := c.Present()
			c.remove(e)
			m.removed(was, c)
		}
		m.ht, m.ex = m.present > HashMaxListpackEntries, false
		if m.present > 0 && !m.ht {
			// concurrent writes the replace did not see survive: the
			// survivors decide whether a listpack can hold them
			for f, c := range m.cells {
				if !c.Present() {
					continue
				}
				if v, _ := c.Result(hvalZero, hvalAdd); len(f) > HashMaxListpackValue || len(v.s) > HashMaxListpackValue {
					m.ht = true
					break
				}
			}
		}
	}
	d := NewDec(e.Value)
	for !d.Done() {
		switch op := d.Byte(); op {
		case HashSet:
			fl := d.Byte()
			n := d.Count()
			mode := fl & hashSetFlags
			if mode == hashSetFlags {
				mode = HashWithTTL
			}
			exact := fl&HashExact != 0
			if !m.ht && !exact {
				save := d
				for i := 0; i < n; i++ {
					f, v := save.Bytes(), save.Bytes()
					if fl&HashWithTTL != 0 {
						save.Varint()
					}
					if len(f) > HashMaxListpackValue || len(v) > HashMaxListpackValue {
						m.ht = true
						break
					}
				}
			}
			for i := 0; i < n; i++ {
				f, v := d.Bytes(), d.Bytes()
				var at int64
				if fl&HashWithTTL != 0 {
					at = d.Varint()
				}
				m.step++
				c := m.cell(string(f))
				was := c.Present()
				c.assign(e, hev{e: e, val: hval{s: string(v)}, pos: m.step, at: at, kind: evAssign, mode: mode})
				if mode == HashWithTTL && at != 0 && !m.ht {
					m.ex = true
				}
				m.added(was, c, exact)
			}
		case HashIncr, HashIncrFlt:
			f := d.Bytes()
			var w hval
			if op == HashIncr {
				w = hval{d: d.Varint(), k: 1}
			} else {
				w = hval{s: string(d.Bytes()), k: 2}
			}
			m.step++
			c := m.cell(string(f))
			was := c.Present()
			c.Delta(e, w)
			c.ev = append(c.ev, hev{e: e, val: w, pos: m.step, kind: evDelta})
			if !m.ht {
				if len(f) > HashMaxListpackValue {
					m.ht = true
				} else if v, _ := c.Result(hvalZero, hvalAdd); len(v.s) > HashMaxListpackValue {
					m.ht = true
				}
			}
			m.added(was, c, false)
		case HashDel:
			n := d.Count()
			for i := 0; i < n; i++ {
				c := m.cells[string(d.Bytes())]
				if c == nil {
					continue
				}
				was := c.Present()
				c.remove(e)
				m.removed(was, c)
			}
		case HashTTL:
			n := d.Count()
			if !m.ht && m.present > 0 {
				m.ex = true
			}
			for i := 0; i < n; i++ {
				f := d.Bytes()
				at := d.Varint()
				m.step++
				c := m.cell(string(f))
				c.ev = append(c.ev, hev{e: e, pos: m.step, at: at, kind: evTTL})
			}
		case HashConvert:
			switch d.Byte() {
			case HashToHT:
				m.ht = true
			case HashToLPEx:
				if !m.ht {
					m.ex = true
				}
			}
		}
	}
	if m.present == 0 {
		m.ht, m.ex = false, false
	}
}

func (m *hashMerger) Exists() bool { return m.present > 0 }

type hashOut struct {
	f, v     string
	ttl, pos int64
}

func (m *hashMerger) Result() Object {
	if m.present == 0 {
		return nil
	}
	out := make([]hashOut, 0, m.present)
	for _, f := range m.order {
		c := m.cells[f]
		if !c.Present() {
			continue
		}
		v, _ := c.Result(hvalZero, hvalAdd)
		ttl, pos := c.fold()
		out = append(out, hashOut{f: f, v: v.s, ttl: ttl, pos: pos})
	}
	// a listpack's order: fields with a TTL first by TTL (the latest placed
	// first among equals), then the others in the order they were placed
	sort.Slice(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if (a.ttl != 0) != (b.ttl != 0) {
			return a.ttl != 0
		}
		if a.ttl != 0 {
			if a.ttl != b.ttl {
				return a.ttl < b.ttl
			}
			return a.pos > b.pos
		}
		return a.pos < b.pos
	})
	h := NewHash()
	if m.ht {
		h.toHashtable()
	} else if m.ex {
		h.enc = hashListpackEx
	}
	for i := range out {
		o := &out[i]
		f, v := unsafe.Slice(unsafe.StringData(o.f), len(o.f)), unsafe.Slice(unsafe.StringData(o.v), len(o.v))
		if h.enc == hashHashtable {
			h.htAdd(f, v)
		} else {
			h.lp = appendLPEntry(h.lp, f, v)
		}
		h.n++
		if o.ttl != 0 {
			h.setTTLValue(f, o.ttl)
		}
	}
	return h
}

// --- whole-value operations ------------------------------------------------

// Clone is a deep copy.
func (h *Hash) Clone() Object {
	c := &Hash{n: h.n, enc: h.enc}
	if h.lp != nil {
		c.lp = append([]byte(nil), h.lp...)
	}
	if h.x != nil {
		x := &hashExt{min: h.x.min, stale: h.x.stale}
		if h.enc == hashHashtable {
			x.slots = h.x.slots.clone()
			x.index = append([]uint64(nil), h.x.index...)
		}
		if h.x.ttl != nil {
			x.ttl = make(map[string]int64, len(h.x.ttl))
			for k, v := range h.x.ttl {
				x.ttl[k] = v
			}
		}
		c.x = x
	}
	return c
}

// Entries returns the fields in order with their TTLs (copies).
func (h *Hash) Entries() []HashEntry {
	out := make([]HashEntry, 0, h.n)
	h.EachTTL(func(f, v []byte, at int64) bool {
		out = append(out, HashEntry{Field: append([]byte(nil), f...), Value: append([]byte(nil), v...), At: at})
		return true
	})
	return out
}

// Snapshot writes a replace payload that recreates the hash, its order,
// TTLs and encoding.
func (h *Hash) Snapshot(p *Enc) { EncodeHashValue(p, h.Encoding(), h.Entries()) }

// Digest writes the fields sorted, each with its value and TTL.
func (h *Hash) Digest(w io.Writer) {
	es := h.Entries()
	sort.Slice(es, func(i, j int) bool { return string(es[i].Field) < string(es[j].Field) })
	var b []byte
	for _, e := range es {
		b = binary.AppendUvarint(b[:0], uint64(len(e.Field)))
		b = append(b, e.Field...)
		b = binary.AppendUvarint(b, uint64(len(e.Value)))
		b = append(b, e.Value...)
		b = binary.AppendVarint(b, e.At)
		w.Write(b)
	}
}

// PrefetchMembers warms the cache for the lookups of fields that commands
// about to run will make (a pipelined batch on this hash): in three passes
// it brings each field's index entry, slot and slot bytes closer, so that
// the cache misses of different fields overlap instead of being paid one
// after another. It changes nothing.
func (h *Hash) PrefetchMembers(fields [][]byte) {
	if h.enc != hashHashtable || len(h.x.index) == 0 {
		return
	}
	x := h.x
	var pos [32]uint32
	var hv [32]uint32
	n := min(len(fields), len(pos))
	mask := uint32(len(x.index) - 1)
	for i := 0; i < n; i++ {
		hv[i] = hash32(fields[i])
		pos[i] = hv[i] & mask
		keyspace.PrefetchLine(unsafe.Pointer(&x.index[pos[i]]))
	}
	for i := 0; i < n; i++ {
		pos[i] = ^uint32(0)
		for j := hv[i] & mask; ; j = (j + 1) & mask {
			e := x.index[j]
			if e == 0 {
				break
			}
			if uint32(e>>32) == hv[i] {
				s := uint32(e) - 1
				pos[i] = s
				keyspace.PrefetchLine(unsafe.Pointer(&x.slots.chunks[s>>slotShift][s&(slotChunk-1)]))
				break
			}
		}
	}
	for i := 0; i < n; i++ {
		if s := pos[i]; s != ^uint32(0) {
			keyspace.PrefetchLine(unsafe.Pointer(unsafe.StringData(x.slots.at(int(s)))))
		}
	}
}
