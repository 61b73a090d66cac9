package crdt

import (
	"encoding/binary"
	"hash/maphash"
	"io"
	"math/bits"
	"sort"
	"strconv"
	"unsafe"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/listpack"
)

// Set: an observed-remove set (add wins over a concurrent remove).
//
// Payload: one sub-op byte, then a count and that many members.
//
//	'a' n member*   SADD, SMOVE's destination; with effect.FlagReplace the
//	                whole new value (SINTERSTORE, SUNIONSTORE, SDIFFSTORE)
//	'r' n member*   SREM, SPOP, SMOVE's source: exactly the members that go
//	'c' n member*   SPOP of most of a set: the members that go, after which
//	                the set is encoded afresh from what is left (Redis
//	                rebuilds the set in that case, so a hashtable of few
//	                integers becomes an intset again)
//	's' h n member* with FlagReplace: a copy (RENAME, COPY, RESTORE); h=1
//	                keeps the hashtable encoding, h=2, 4 or 8 an intset's
//	                element width
//
// Commands record the outcome of their decision, never the decision itself:
// SADD lists only the members it added, SPOP the members it picked.
//
// Layout mirrors Redis 7.0's two encodings: "intset" (sorted int64s) while
// every member is a canonical integer and there are at most
// SetMaxIntsetEntries of them, then "hashtable", which stays even when the
// members would fit an intset again (Redis never converts back, except for
// the rebuild of 'c'). The hashtable is a memberTable.
type Set struct {
	ints []int64 // intset: ascending
	iw   uint8   // intset: Redis' element width (0 = 2, 4, 8), which only grows
	ht   bool
	tab  *memberTable // hashtable (nil for an intset)
}

// SetMaxIntsetEntries is Redis' set-max-intset-entries (CONFIG SET changes it).
var SetMaxIntsetEntries = 512

// Set payload sub-ops.
const (
	SetAdd     byte = 'a'
	SetRem     byte = 'r'
	SetRebuild byte = 'c'
	SetSnap    byte = 's' // with FlagReplace: 1 (hashtable) or the intset width, then as SetAdd
)

type setType struct{}

func init() { Register(effect.OpSet, setType{}) }

func (setType) Kind() keyspace.Kind { return keyspace.KindSet }

// NewSet returns an empty set (intset encoded, as Redis starts one whose
// first member is an integer; Add converts as needed).
func NewSet() *Set { return &Set{} }

// EncodeSet writes a payload: op and members.
func EncodeSet(p *Enc, op byte, members [][]byte) {
	p.Byte(op)
	p.Uvarint(uint64(len(members)))
	for _, m := range members {
		p.Bytes(m)
	}
}

// EncodeSetStrings is EncodeSet for members held as strings.
func EncodeSetStrings(p *Enc, op byte, members []string) {
	p.Byte(op)
	p.Uvarint(uint64(len(members)))
	for _, m := range members {
		p.Uvarint(uint64(len(m)))
		p.B = append(p.B, m...)
	}
}

// Kind is KindSet.
func (s *Set) Kind() keyspace.Kind { return keyspace.KindSet }

// Len is the number of members.
func (s *Set) Len() int {
	if s.ht {
		return s.tab.refs.n
	}
	return len(s.ints)
}

// Encoding is "intset" or "hashtable".
func (s *Set) Encoding() string {
	if s.ht {
		return "hashtable"
	}
	return "intset"
}

// IsIntset reports whether the set is intset-encoded.
func (s *Set) IsIntset() bool { return !s.ht }

// Clone is a deep copy.
func (s *Set) Clone() Object {
	c := &Set{ht: s.ht, iw: s.iw}
	if s.ht {
		t := s.tab.clone()
		c.tab = &t
	} else {
		c.ints = append([]int64(nil), s.ints...)
	}
	return c
}

// Contains reports whether m is a member.
func (s *Set) Contains(m []byte) bool {
	if s.ht {
		_, found := s.tab.find(m, s.tab.hash(m))
		return found
	}
	v, ok := parseInt(m)
	if !ok {
		return false
	}
	_, found := s.searchInt(v)
	return found
}

// ContainsString is Contains for a string.
func (s *Set) ContainsString(m string) bool { return s.Contains(sbytes(m)) }

func (s *Set) searchInt(v int64) (int, bool) {
	lo, hi := 0, len(s.ints)
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if s.ints[h] < v {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo, lo < len(s.ints) && s.ints[lo] == v
}

// Add inserts m and reports whether it was new.
func (s *Set) Add(m []byte) bool {
	if !s.ht {
		if v, ok := parseInt(m); ok {
			i, found := s.searchInt(v)
			if found {
				return false
			}
			s.ints = append(s.ints, 0)
			copy(s.ints[i+1:], s.ints[i:])
			s.ints[i] = v
			if w := intWidth(v); w > s.iw {
				s.iw = w
			}
			if len(s.ints) > SetMaxIntsetEntries {
				s.toHashtable()
			}
			return true
		}
		s.toHashtable()
	}
	return s.tab.add(m)
}

func (s *Set) toHashtable() {
	s.ht = true
	s.tab = &memberTable{fill: -1}
	s.tab.rehash(indexSize(len(s.ints) + 1))
	var buf [24]byte
	for _, v := range s.ints {
		s.tab.add(strconv.AppendInt(buf[:0], v, 10))
	}
	s.ints, s.iw = nil, 0
}

// toIntset converts a hashtable whose members are all integers back to an
// intset (the caller checked).
func (s *Set) toIntset() {
	ints := make([]int64, 0, s.Len())
	var iw uint8
	s.tab.refs.each(func(ref uint64) bool {
		v, _ := parseInt(s.tab.member(ref))
		ints = append(ints, v)
		if w := intWidth(v); w > iw {
			iw = w
		}
		return true
	})
	sort.Slice(ints, func(i, j int) bool { return ints[i] < ints[j] })
	s.ints, s.iw, s.ht, s.tab = ints, iw, false, nil
}

// fitsIntset reports whether the members would make an intset.
func (s *Set) fitsIntset() bool {
	if !s.ht {
		return len(s.ints) <= SetMaxIntsetEntries
	}
	if s.Len() > SetMaxIntsetEntries {
		return false
	}
	ok := true
	s.tab.refs.each(func(ref uint64) bool {
		_, ok = parseInt(s.tab.member(ref))
		return ok
	})
	return ok
}

// Remove deletes m and reports whether it was there.
func (s *Set) Remove(m []byte) bool {
	if !s.ht {
		v, ok := parseInt(m)
		if !ok {
			return false
		}
		i, found := s.searchInt(v)
		if !found {
			return false
		}
		s.ints = append(s.ints[:i], s.ints[i+1:]...)
		return true
	}
	return s.tab.remove(m)
}

// At returns the member in slot i (0 <= i < Len): for an intset the i-th
// smallest. Random picks use it.
func (s *Set) At(i int) string {
	if s.ht {
		return bstr(s.tab.member(s.tab.refs.get(i)))
	}
	return strconv.FormatInt(s.ints[i], 10)
}

// AppendAt appends the member in slot i to dst without allocating a string.
func (s *Set) AppendAt(dst []byte, i int) []byte {
	if s.ht {
		return append(dst, s.tab.member(s.tab.refs.get(i))...)
	}
	return strconv.AppendInt(dst, s.ints[i], 10)
}

// Each calls fn for every member in Redis' order for the encoding (an
// intset ascending) until fn returns false. The member is only valid during
// the call and must not be modified.
func (s *Set) Each(fn func(m []byte) bool) {
	if s.ht {
		s.tab.refs.each(func(ref uint64) bool { return fn(s.tab.member(ref)) })
		return
	}
	var buf [24]byte
	for _, v := range s.ints {
		if !fn(strconv.AppendInt(buf[:0], v, 10)) {
			return
		}
	}
}

// EachString is Each with members as strings, which may be kept.
func (s *Set) EachString(fn func(m string) bool) {
	if s.ht {
		// page bytes never change once written: the view is immutable
		s.tab.refs.each(func(ref uint64) bool { return fn(bstr(s.tab.member(ref))) })
		return
	}
	for _, v := range s.ints {
		if !fn(strconv.FormatInt(v, 10)) {
			return
		}
	}
}

// Scan visits members for SSCAN: from cursor (0 = start), about count slots,
// and returns the next cursor (0 = done). Slots are walked from the top
// down: a removal moves the last member into the freed slot, which is either
// below the cursor (seen again: a duplicate, as Redis allows) or above it
// (already seen), so every member present for the whole scan is returned.
// An intset is returned whole, as Redis does for small encodings.
func (s *Set) Scan(cursor uint64, count int, fn func(m []byte)) uint64 {
	if !s.ht {
		s.Each(func(m []byte) bool { fn(m); return true })
		return 0
	}
	hi := s.Len()
	if cursor != 0 && cursor < uint64(hi) {
		hi = int(cursor)
	}
	lo := hi - count
	if lo < 0 || count <= 0 {
		lo = 0
	}
	for i := hi - 1; i >= lo; i-- {
		fn(s.tab.member(s.tab.refs.get(i)))
	}
	return uint64(lo)
}

// Snapshot writes a replace payload that recreates the set and its encoding.
func (s *Set) Snapshot(p *Enc) {
	p.Byte(SetSnap)
	if s.ht {
		p.Byte(1)
	} else {
		p.Byte(s.IntsetWidth())
	}
	p.Uvarint(uint64(s.Len()))
	if s.ht {
		s.tab.refs.each(func(ref uint64) bool { p.Bytes(s.tab.member(ref)); return true })
		return
	}
	var b [24]byte
	for _, v := range s.ints {
		p.Bytes(strconv.AppendInt(b[:0], v, 10))
	}
}

// setHeader reads a payload's sub-op (a snapshot reads as an add, with its
// encoding: hashtable or an intset width) and member count.
func setHeader(d *Dec) (op byte, ht bool, iw uint8, n int) {
	op = d.Byte()
	if op == SetSnap {
		switch f := d.Byte(); f {
		case 1:
			ht = true
		case 4, 8:
			iw = f
		}
		op = SetAdd
	}
	n = d.Count()
	return op, ht, iw, n
}

// IntsetWidth is the element width (2, 4 or 8 bytes) Redis would give the
// intset: the widest member it ever held since it became an intset.
func (s *Set) IntsetWidth() byte {
	if s.iw == 0 {
		return 2
	}
	return s.iw
}

// Ints returns an intset's members, ascending; the caller must not modify
// them (nil for a hashtable).
func (s *Set) Ints() []int64 { return s.ints }

func intWidth(v int64) uint8 {
	switch {
	case v >= -1<<15 && v < 1<<15:
		return 2
	case v >= -1<<31 && v < 1<<31:
		return 4
	}
	return 8
}

// Digest writes the members sorted.
func (s *Set) Digest(w io.Writer) {
	ms := make([]string, 0, s.Len())
	s.EachString(func(m string) bool { ms = append(ms, m); return true })
	sort.Strings(ms)
	var n [binary.MaxVarintLen64]byte
	for _, m := range ms {
		w.Write(n[:binary.PutUvarint(n[:], uint64(len(m)))])
		io.WriteString(w, m)
	}
}

func (setType) Apply(obj Object, e *effect.Effect, _ Ctx) Object {
	s, _ := obj.(*Set)
	d := NewDec(e.Value)
	op, ht, iw, n := setHeader(&d)
	if d.Err || (op != SetAdd && op != SetRem && op != SetRebuild) {
		return obj
	}
	if s == nil {
		if op != SetAdd {
			return nil
		}
		s = NewSet()
	}
	if ht && !s.ht {
		s.toHashtable()
	}
	if !s.ht && iw > s.iw {
		s.iw = iw
	}
	for i := 0; i < n && !d.Err; i++ {
		m := d.Bytes()
		if d.Err {
			break
		}
		if op == SetAdd {
			s.Add(m)
		} else {
			s.Remove(m)
		}
	}
	if op == SetRebuild && s.fitsIntset() {
		if s.ht {
			s.toIntset()
		} else {
			s.iw = 0
			for _, v := range s.ints {
				if w := intWidth(v); w > s.iw {
					s.iw = w
				}
			}
		}
	}
	return s
}

// setMerger replays live effects over base. Only members that a live effect
// names get a Cell; the others keep their base membership (until a replace,
// which every live effect's base observed, drops them all). Alongside it
// replays the encoding as Apply would have changed it step by step, so that
// a history that happens to be linear ends with Apply's encoding.
type setMerger struct {
	base     *Set // read-only
	baseGone bool // a replace dropped the untouched base members
	cells    map[string]*Cell[struct{}]
	order    []string // touched members, first-touch order
	present  int
	ht       bool
	iw       uint8 // the intset width, while !ht
}

func (setType) Merger(base Object, _ Ctx) Merger {
	m := &setMerger{cells: map[string]*Cell[struct{}]{}}
	if b, ok := base.(*Set); ok && b != nil {
		m.base = b
		m.ht = b.ht
		m.iw = b.iw
		m.present = b.Len()
	}
	return m
}

func (m *setMerger) cell(x string) *Cell[struct{}] {
	c := m.cells[x]
	if c == nil {
		c = &Cell[struct{}]{}
		if m.base != nil && !m.baseGone && m.base.ContainsString(x) {
			c.Base = true
		}
		m.cells[x] = c
		m.order = append(m.order, x)
	}
	return c
}

func (m *setMerger) Step(e *effect.Effect) {
	d := NewDec(e.Value)
	op, ht, iw, n := setHeader(&d)
	if d.Err || (op != SetAdd && op != SetRem && op != SetRebuild) {
		return
	}
	if e.Flags&effect.FlagReplace != 0 {
		// the new value starts empty: whatever survives it is what the
		// replace did not observe, plus its own members
		m.baseGone = true
		m.present = 0
		m.ht, m.iw = false, 0
		for x, c := range m.cells {
			c.Remove(e)
			if c.Present() {
				m.present++
				m.noteAdded(sbytes(x))
			}
		}
	}
	if ht {
		m.ht = true
	}
	if iw > m.iw {
		m.iw = iw
	}
	for i := 0; i < n; i++ {
		x := d.Bytes()
		if d.Err {
			break
		}
		c := m.cell(string(x))
		was := c.Present()
		if op == SetAdd {
			c.Assign(e, struct{}{})
		} else {
			c.Remove(e)
		}
		if now := c.Present(); now != was {
			if now {
				m.present++
				m.noteAdded(x)
			} else {
				m.present--
			}
		}
	}
	if m.present > SetMaxIntsetEntries {
		m.ht = true
	}
	if op == SetRebuild {
		m.ht = !m.fitsIntset()
		if !m.ht {
			m.iw = m.widthNeeded()
		}
	}
	if m.present == 0 {
		// the key no longer exists: a later add creates a new set
		m.ht = false
	}
	if m.ht || m.present == 0 {
		m.iw = 0
	}
}

// noteAdded follows the encoding as Apply changes it when x joins the set:
// a non-integer turns it into a hashtable, an integer may widen the intset.
func (m *setMerger) noteAdded(x []byte) {
	if m.ht {
		return
	}
	v, ok := parseInt(x)
	if !ok {
		m.ht = true
		return
	}
	if w := intWidth(v); w > m.iw {
		m.iw = w
	}
}

// widthNeeded is the narrowest intset width for the members present (all
// integers: the caller checked).
func (m *setMerger) widthNeeded() uint8 {
	var iw uint8
	note := func(x []byte) {
		v, _ := parseInt(x)
		if w := intWidth(v); w > iw {
			iw = w
		}
	}
	for x, c := range m.cells {
		if c.Present() {
			note(sbytes(x))
		}
	}
	if m.base != nil && !m.baseGone {
		m.base.Each(func(x []byte) bool {
			if _, touched := m.cells[string(x)]; !touched {
				note(x)
			}
			return true
		})
	}
	return iw
}

// fitsIntset reports whether the members present now would make an intset.
func (m *setMerger) fitsIntset() bool {
	if m.present > SetMaxIntsetEntries {
		return false
	}
	for x, c := range m.cells {
		if c.Present() {
			if _, ok := parseInt(sbytes(x)); !ok {
				return false
			}
		}
	}
	if m.base == nil || m.baseGone || !m.base.ht {
		return true
	}
	ok := true
	m.base.Each(func(x []byte) bool {
		if _, touched := m.cells[string(x)]; touched {
			return true
		}
		_, ok = parseInt(x)
		return ok
	})
	return ok
}

func (m *setMerger) Exists() bool { return m.present > 0 }

func (m *setMerger) Result() Object {
	if m.present == 0 {
		return nil
	}
	var s *Set
	if m.base != nil && !m.baseGone {
		s = m.base.Clone().(*Set)
	} else {
		s = NewSet()
	}
	if m.ht && !s.ht {
		s.toHashtable()
	}
	sort.Strings(m.order) // a deterministic slot order for the hashtable
	for _, x := range m.order {
		if m.cells[x].Present() {
			s.Add(sbytes(x))
		} else {
			s.Remove(sbytes(x))
		}
	}
	if m.ht && !s.ht {
		s.toHashtable()
	} else if !m.ht && s.ht && s.fitsIntset() {
		s.toIntset()
	}
	if !s.ht {
		s.iw = m.iw
		for _, v := range s.ints {
			if w := intWidth(v); w > s.iw {
				s.iw = w
			}
		}
	}
	if s.Len() == 0 {
		return nil
	}
	return s
}

// memberTable is the hashtable encoding: members in slots (a slice of
// references, so a random member is O(1) and SSCAN has a cursor that
// survives changes), found through an open-addressing index with linear
// probing. Member bytes live in pages, each a length then the bytes, written
// once and never changed, so a member costs its bytes, a byte of length, an
// 8-byte reference and 5-10 bytes of index, with nothing for the garbage
// collector to trace. Removed members' bytes are reclaimed by compacting the
// pages when they are mostly dead.
type memberTable struct {
	refs  refList  // slot -> page<<32 | offset
	index []uint32 // position -> slot+1, 0 when free; len is a power of two
	tags  []uint8  // position -> top byte of the member's hash
	pages [][]byte
	fill  int // the page being appended to; -1 for none
	used  int // page bytes of present members
	dead  int // page bytes of removed members
}

const (
	pageMin   = 256
	pageMax   = 64 << 10
	bigMember = 4 << 10 // members at least this long get a page of their own
)

var setSeed = maphash.MakeSeed()

// indexSize is the index length for n members: a power of two, at most 3/4
// full.
func indexSize(n int) int {
	if n <= 6 {
		return 8
	}
	size := 1 << bits.Len(uint(n-1)) // the smallest power of two >= n
	if n*4 > size*3 {
		size *= 2
	}
	return size
}

func (t *memberTable) hash(m []byte) uint64 { return maphash.Bytes(setSeed, m) }

// member returns the bytes a reference points to.
func (t *memberTable) member(ref uint64) []byte {
	p := t.pages[ref>>32][uint32(ref):]
	n, k := uint64(p[0]), 1
	if n >= 0x80 {
		n, k = binary.Uvarint(p)
	}
	return p[k : k+int(n) : k+int(n)]
}

// find returns m's index position, or where it would be inserted.
func (t *memberTable) find(m []byte, h uint64) (pos int, found bool) {
	mask := len(t.index) - 1
	tag := uint8(h >> 56)
	pos = int(h) & mask
	for {
		v := t.index[pos]
		if v == 0 {
			return pos, false
		}
		if t.tags[pos] == tag && string(t.member(t.refs.get(int(v-1)))) == string(m) {
			return pos, true
		}
		pos = (pos + 1) & mask
	}
}

// add inserts m and reports whether it was new.
func (t *memberTable) add(m []byte) bool {
	h := t.hash(m)
	pos, found := t.find(m, h)
	if found {
		return false
	}
	if (t.refs.n+1)*4 > len(t.index)*3 {
		t.rehash(indexSize(t.refs.n + 1))
		pos, _ = t.find(m, h)
	}
	t.refs.push(t.store(m))
	t.index[pos] = uint32(t.refs.n)
	t.tags[pos] = uint8(h >> 56)
	return true
}

// store writes m into a page and returns its reference.
func (t *memberTable) store(m []byte) uint64 {
	need := len(m) + 1
	if len(m) >= 0x80 {
		need = len(m) + uvarintLen(uint64(len(m)))
	}
	t.used += need
	if need >= bigMember {
		p := make([]byte, 0, need)
		p = binary.AppendUvarint(p, uint64(len(m)))
		t.pages = append(t.pages, append(p, m...))
		return uint64(len(t.pages)-1) << 32
	}
	if t.fill < 0 || cap(t.pages[t.fill])-len(t.pages[t.fill]) < need {
		size := t.used / 2
		if size < pageMin {
			size = pageMin
		}
		if size > pageMax {
			size = pageMax
		}
		t.pages = append(t.pages, make([]byte, 0, size))
		t.fill = len(t.pages) - 1
	}
	p := t.pages[t.fill]
	off := len(p)
	p = binary.AppendUvarint(p, uint64(len(m)))
	t.pages[t.fill] = append(p, m...)
	return uint64(t.fill)<<32 | uint64(off)
}

// remove deletes m and reports whether it was there: the last slot's member
// moves into its slot, and the index closes the gap by shifting back the
// entries that probed past it.
func (t *memberTable) remove(m []byte) bool {
	pos, found := t.find(m, t.hash(m))
	if !found {
		return false
	}
	slot := int(t.index[pos]) - 1
	size := len(m) + uvarintLen(uint64(len(m)))
	t.used -= size
	t.dead += size
	t.unindex(pos)
	last := t.refs.n - 1
	if slot != last {
		moved := t.member(t.refs.get(last))
		p, _ := t.find(moved, t.hash(moved))
		t.index[p] = uint32(slot + 1)
		t.refs.set(slot, t.refs.get(last))
	}
	t.refs.pop()
	if len(t.index) > 8 && t.refs.n*8 < len(t.index) {
		t.rehash(indexSize(t.refs.n))
	}
	if t.dead > t.used && t.dead > pageMin {
		t.compact()
	}
	return true
}

func (t *memberTable) unindex(pos int) {
	mask := len(t.index) - 1
	i, j := pos, pos
	for {
		j = (j + 1) & mask
		v := t.index[j]
		if v == 0 {
			break
		}
		k := int(t.hash(t.member(t.refs.get(int(v-1))))) & mask
		// the entry at j stays when its home lies cyclically in (i, j]
		if i <= j {
			if i < k && k <= j {
				continue
			}
		} else if i < k || k <= j {
			continue
		}
		t.index[i], t.tags[i] = v, t.tags[j]
		i = j
	}
	t.index[i] = 0
}

func (t *memberTable) rehash(size int) {
	t.index = make([]uint32, size)
	t.tags = make([]uint8, size)
	mask := size - 1
	i := 0
	t.refs.each(func(ref uint64) bool {
		h := t.hash(t.member(ref))
		pos := int(h) & mask
		for t.index[pos] != 0 {
			pos = (pos + 1) & mask
		}
		i++
		t.index[pos] = uint32(i)
		t.tags[pos] = uint8(h >> 56)
		return true
	})
}

// compact rewrites the present members into fresh pages.
func (t *memberTable) compact() {
	old := t.pages
	src := memberTable{pages: old}
	t.pages, t.fill, t.used, t.dead = nil, -1, 0, 0
	for i := 0; i < t.refs.n; i++ {
		t.refs.set(i, t.store(src.member(t.refs.get(i))))
	}
}

// clone is a deep copy. Pages are shared: their written bytes never change,
// and the copy appends to pages of its own.
func (t *memberTable) clone() memberTable {
	c := memberTable{
		refs:  t.refs.clone(),
		index: append([]uint32(nil), t.index...),
		tags:  append([]uint8(nil), t.tags...),
		pages: make([][]byte, len(t.pages)),
		fill:  -1,
		used:  t.used,
		dead:  t.dead,
	}
	for i, p := range t.pages {
		c.pages[i] = p[:len(p):len(p)]
	}
	return c
}

// refList is the slot array of a memberTable: chunks of refChunk
// references (the first grows up to that as a slice does), so a large set
// grows without copying its slots and leaves no old copies behind.
type refList struct {
	chunks [][]uint64
	n      int
}

const (
	refShift = 12
	refChunk = 1 << refShift
)

func (l *refList) get(i int) uint64    { return l.chunks[i>>refShift][i&(refChunk-1)] }
func (l *refList) set(i int, v uint64) { l.chunks[i>>refShift][i&(refChunk-1)] = v }

func (l *refList) push(v uint64) {
	c := l.n >> refShift
	if c == len(l.chunks) {
		size := refChunk
		if c == 0 {
			size = 8
		}
		l.chunks = append(l.chunks, make([]uint64, 0, size))
	}
	l.chunks[c] = append(l.chunks[c], v)
	l.n++
}

func (l *refList) pop() {
	l.n--
	c := l.n >> refShift
	l.chunks[c] = l.chunks[c][:len(l.chunks[c])-1]
	switch {
	case len(l.chunks[c]) == 0 && c > 0:
		l.chunks[c] = nil
		l.chunks = l.chunks[:c]
	case c == 0 && cap(l.chunks[0]) > 64 && len(l.chunks[0]) < cap(l.chunks[0])/4:
		l.chunks[0] = append(make([]uint64, 0, len(l.chunks[0])*2), l.chunks[0]...)
	}
}

func (l *refList) each(fn func(ref uint64) bool) {
	for _, c := range l.chunks {
		for _, ref := range c {
			if !fn(ref) {
				return
			}
		}
	}
}

func (l *refList) clone() refList {
	c := refList{chunks: make([][]uint64, len(l.chunks)), n: l.n}
	for i, ch := range l.chunks {
		c.chunks[i] = append(make([]uint64, 0, cap(ch)), ch...)
	}
	return c
}

// bstr views b as a string without copying (only for lookups).
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// sbytes views s as bytes without copying; they must not be modified.
func sbytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// parseInt is Redis' string2ll: the strings a listpack stores as integers
// (listpack.ParseInt).
func parseInt(b []byte) (int64, bool) { return listpack.ParseInt(b) }

// ParseInt is Redis' string2ll (exported for the command layer).
func ParseInt(b []byte) (int64, bool) { return parseInt(b) }

// ApplyConcurrent implements Commuter for SADD: an add wins over every
// concurrent remove, and no remove stamped after it observed it, so its
// members belong to the merged value whatever else is live. (Encodings
// agree too: once a set is a hashtable it stays one, and an intset only
// widens, so the order of adds does not change where they end.)
func (t setType) ApplyConcurrent(obj Object, e *effect.Effect, later []Later, c Ctx) (Object, bool) {
	d := NewDec(e.Value)
	op, _, _, _ := setHeader(&d)
	if d.Err || op != SetAdd || e.Flags&effect.FlagReplace != 0 {
		return nil, false
	}
	return t.Apply(obj, e, c), true
}

// Class implements Commuter: an add joins the value whatever was stamped
// after it, so every set effect will do.
func (setType) Class(e *effect.Effect) uint8 { return 1 }

// PrefetchMembers warms the cache for the lookups of members that commands
// about to run will make (a pipelined batch on this set), in three passes
// (index and tag, reference, member bytes) so that the cache misses of
// different members overlap. It changes nothing.
func (s *Set) PrefetchMembers(ms [][]byte) {
	t := s.tab
	if t == nil || len(t.index) == 0 {
		return
	}
	var pos [32]int
	var tag [32]uint8
	n := min(len(ms), len(pos))
	mask := len(t.index) - 1
	for i := 0; i < n; i++ {
		h := t.hash(ms[i])
		pos[i], tag[i] = int(h)&mask, uint8(h>>56)
		keyspace.PrefetchLine(unsafe.Pointer(&t.index[pos[i]]))
		keyspace.PrefetchLine(unsafe.Pointer(&t.tags[pos[i]]))
	}
	for i := 0; i < n; i++ {
		p := pos[i]
		pos[i] = -1
		for ; ; p = (p + 1) & mask {
			v := t.index[p]
			if v == 0 {
				break
			}
			if t.tags[p] == tag[i] {
				r := int(v - 1)
				pos[i] = r
				keyspace.PrefetchLine(unsafe.Pointer(&t.refs.chunks[r>>refShift][r&(refChunk-1)]))
				break
			}
		}
	}
	for i := 0; i < n; i++ {
		if r := pos[i]; r >= 0 {
			ref := t.refs.get(r)
			if pg := t.pages[ref>>32]; int(uint32(ref)) < len(pg) {
				keyspace.PrefetchLine(unsafe.Pointer(&pg[uint32(ref)]))
			}
		}
	}
}
