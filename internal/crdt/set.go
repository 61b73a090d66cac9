package crdt

import (
	"encoding/binary"
	"io"
	"sort"
	"strconv"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// Set: an observed-remove set (add wins over a concurrent remove).
//
// Payload: one sub-op byte, then a count and that many members.
//
//	'a' n member*   SADD (with effect.FlagReplace: the whole new value)
//	'r' n member*   SREM, SPOP, SMOVE's source
//
// Layout mirrors Redis 7.0's two encodings: "intset" (sorted int64s) while
// every member is a canonical integer and there are at most
// SetMaxIntsetEntries of them, then "hashtable" for good (Redis never
// converts back). The hashtable is a slice plus an index, so a random member
// is O(1) and SSCAN has a cursor that survives concurrent changes (see Scan).
type Set struct {
	ints  []int64 // intset: ascending
	ht    bool
	elems []string       // hashtable: members in slot order
	index map[string]int // hashtable: member -> slot
}

// SetMaxIntsetEntries is Redis' set-max-intset-entries (CONFIG SET changes it).
var SetMaxIntsetEntries = 512

// Set payload sub-ops.
const (
	SetAdd  byte = 'a'
	SetRem  byte = 'r'
	SetSnap byte = 's' // with FlagReplace: 0|1 (hashtable), then as SetAdd
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

// Kind is KindSet.
func (s *Set) Kind() keyspace.Kind { return keyspace.KindSet }

// Len is the number of members.
func (s *Set) Len() int {
	if s.ht {
		return len(s.elems)
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
	c := &Set{ht: s.ht}
	if s.ht {
		c.elems = append([]string(nil), s.elems...)
		c.index = make(map[string]int, len(s.index))
		for k, v := range s.index {
			c.index[k] = v
		}
	} else {
		c.ints = append([]int64(nil), s.ints...)
	}
	return c
}

// Contains reports whether m is a member.
func (s *Set) Contains(m []byte) bool {
	if s.ht {
		_, ok := s.index[string(m)]
		return ok
	}
	v, ok := parseInt(m)
	if !ok {
		return false
	}
	_, found := s.searchInt(v)
	return found
}

func (s *Set) searchInt(v int64) (int, bool) {
	i := sort.Search(len(s.ints), func(i int) bool { return s.ints[i] >= v })
	return i, i < len(s.ints) && s.ints[i] == v
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
			if len(s.ints) > SetMaxIntsetEntries {
				s.toHashtable()
			}
			return true
		}
		s.toHashtable()
	}
	if _, ok := s.index[string(m)]; ok {
		return false
	}
	k := string(m)
	s.index[k] = len(s.elems)
	s.elems = append(s.elems, k)
	return true
}

func (s *Set) toHashtable() {
	s.ht = true
	s.elems = make([]string, 0, len(s.ints)+1)
	s.index = make(map[string]int, len(s.ints)+1)
	for _, v := range s.ints {
		k := strconv.FormatInt(v, 10)
		s.index[k] = len(s.elems)
		s.elems = append(s.elems, k)
	}
	s.ints = nil
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
	i, ok := s.index[string(m)]
	if !ok {
		return false
	}
	last := len(s.elems) - 1
	if i != last {
		s.elems[i] = s.elems[last]
		s.index[s.elems[i]] = i
	}
	s.elems[last] = ""
	s.elems = s.elems[:last]
	delete(s.index, string(m))
	return true
}

// At returns the member in slot i (0 <= i < Len): for an intset the i-th
// smallest. Random picks use it.
func (s *Set) At(i int) string {
	if s.ht {
		return s.elems[i]
	}
	return strconv.FormatInt(s.ints[i], 10)
}

// AppendAt appends the member in slot i to dst without allocating a string.
func (s *Set) AppendAt(dst []byte, i int) []byte {
	if s.ht {
		return append(dst, s.elems[i]...)
	}
	return strconv.AppendInt(dst, s.ints[i], 10)
}

// Each calls fn for every member in Redis' order for the encoding (an
// intset ascending) until fn returns false. The member is only valid during
// the call.
func (s *Set) Each(fn func(m []byte) bool) {
	if s.ht {
		for _, e := range s.elems {
			if !fn([]byte(e)) {
				return
			}
		}
		return
	}
	var buf [24]byte
	for _, v := range s.ints {
		if !fn(strconv.AppendInt(buf[:0], v, 10)) {
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
	hi := len(s.elems)
	if cursor != 0 && cursor < uint64(hi) {
		hi = int(cursor)
	}
	lo := hi - count
	if lo < 0 {
		lo = 0
	}
	for i := hi - 1; i >= lo; i-- {
		fn([]byte(s.elems[i]))
	}
	return uint64(lo)
}

// Snapshot writes a replace payload that recreates the set and its encoding.
func (s *Set) Snapshot(p *Enc) {
	p.Byte(SetSnap)
	if s.ht {
		p.Byte(1)
	} else {
		p.Byte(0)
	}
	p.Uvarint(uint64(s.Len()))
	for i := 0; i < s.Len(); i++ {
		if s.ht {
			p.Bytes([]byte(s.elems[i]))
		} else {
			var b [24]byte
			p.Bytes(strconv.AppendInt(b[:0], s.ints[i], 10))
		}
	}
}

// setHeader reads a payload's sub-op (a snapshot reads as an add, with its
// encoding flag) and member count.
func setHeader(d *Dec) (op byte, ht bool, n int) {
	op = d.Byte()
	if op == SetSnap {
		ht = d.Byte() == 1
		op = SetAdd
	}
	n = d.Count()
	return op, ht, n
}

// Digest writes the members sorted.
func (s *Set) Digest(w io.Writer) {
	var ms []string
	s.Each(func(m []byte) bool { ms = append(ms, string(m)); return true })
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
	op, ht, n := setHeader(&d)
	if d.Err || (op != SetAdd && op != SetRem) {
		return obj
	}
	if s == nil {
		if op == SetRem {
			return nil
		}
		s = NewSet()
	}
	if ht && !s.ht {
		s.toHashtable()
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
	return s
}

type setMerger struct {
	cells   map[string]*Cell[struct{}]
	order   []string // first-seen order
	present int
	ht      bool
}

func (setType) Merger(base Object, _ Ctx) Merger {
	m := &setMerger{cells: map[string]*Cell[struct{}]{}}
	if b, ok := base.(*Set); ok && b != nil {
		m.ht = b.ht
		b.Each(func(x []byte) bool {
			m.cell(string(x)).Base = true
			m.present++
			return true
		})
	}
	return m
}

func (m *setMerger) cell(x string) *Cell[struct{}] {
	c := m.cells[x]
	if c == nil {
		c = &Cell[struct{}]{}
		m.cells[x] = c
		m.order = append(m.order, x)
	}
	return c
}

func (m *setMerger) Step(e *effect.Effect) {
	d := NewDec(e.Value)
	op, ht, n := setHeader(&d)
	if d.Err || (op != SetAdd && op != SetRem) {
		return
	}
	if ht {
		m.ht = true
	}
	if e.Flags&effect.FlagReplace != 0 {
		m.present = 0
		for _, c := range m.cells {
			c.Remove(e)
			if c.Present() {
				m.present++
			}
		}
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
			} else {
				m.present--
			}
		}
	}
}

func (m *setMerger) Exists() bool { return m.present > 0 }

func (m *setMerger) Result() Object {
	sort.Strings(m.order)
	s := NewSet()
	if m.ht {
		s.toHashtable()
	}
	for _, x := range m.order {
		if m.cells[x].Present() {
			s.Add([]byte(x))
		}
	}
	if s.Len() == 0 {
		return nil
	}
	return s
}

// parseInt parses a canonical base-10 int64 as Redis' string2ll does (no
// sign other than a leading '-', no leading zeros, no spaces, "-0" refused).
func parseInt(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	i := 0
	neg := b[0] == '-'
	if neg {
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (1<<64-1)/10 {
			return 0, false
		}
		nv := v*10 + uint64(c-'0')
		if nv < v {
			return 0, false
		}
		v = nv
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// ParseInt is Redis' string2ll (exported for the command layer).
func ParseInt(b []byte) (int64, bool) { return parseInt(b) }
