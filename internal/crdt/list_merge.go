package crdt

import (
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/listpack"
)

// listMerger replays list effects in stamp order (cluster). The sequence
// keeps every element ever placed, removed ones as tombstones, in a linked
// list threaded through items (0 is the head sentinel, 1 the tail), with an
// index by identity:
//   - a head push goes right after the head, a tail push right before the
//     tail, an insert right next to its anchor (live or tombstone); an
//     element never moves once placed;
//   - LSET is last-writer-wins per element (the later stamp replays last)
//     and leaves a removed element removed;
//   - a remove is observed-remove by identity: it names the elements it saw;
//   - a replacing write first removes everything it observed;
//   - an insert whose anchor is unknown (its creator was dropped by a
//     concurrent DEL or a type change) goes to the tail.
//
// Positional sub-ops (a payload without identities, which only a single
// node writes) are applied to the visible sequence.
type listMerger struct {
	items []mItem
	index map[ElemID]int32 // built on the first lookup: most merges need none
	live  int
	fill  int16
}

type mItem struct {
	id         ElemID
	ent        []byte // the element as a listpack entry (base, 'B'), or nil
	val        []byte // the element's value when ent is nil
	dead       bool
	base       bool
	prev, next int32
}

func (listType) Merger(base Object, c Ctx) Merger {
	m := &listMerger{fill: clampFill(ListMaxListpackSize)}
	m.items = append(m.items, mItem{prev: -1, next: 1}, mItem{prev: 0, next: -1})
	if b, ok := base.(*List); ok && b != nil {
		m.fill = b.fill
		for ni := 0; ni < b.nn; ni++ {
			nd := b.node(ni)
			p := int(nd.lo)
			for k := 0; k < int(nd.n); k++ {
				n := listpack.Len(nd.b, p)
				var id ElemID
				if b.ids {
					id = nd.ids[k]
				}
				m.add(mItem{id: id, ent: nd.b[p : p+n], base: true}, 1, false)
				p += n
			}
		}
	}
	return m
}

// add places it next to item at (before it, or after it when after) and
// returns its index.
func (m *listMerger) add(it mItem, at int32, after bool) int32 {
	i := int32(len(m.items))
	if after {
		it.prev, it.next = at, m.items[at].next
	} else {
		it.prev, it.next = m.items[at].prev, at
	}
	m.items = append(m.items, it)
	m.items[it.prev].next = i
	m.items[it.next].prev = i
	if m.index != nil && !it.id.IsZero() {
		m.index[it.id] = i
	}
	if !it.dead {
		m.live++
	}
	return i
}

func (m *listMerger) kill(i int32) {
	if i > 1 && !m.items[i].dead {
		m.items[i].dead = true
		m.live--
	}
}

func (m *listMerger) find(id ElemID) int32 {
	if m.index == nil {
		m.index = make(map[ElemID]int32, len(m.items))
		for i := 2; i < len(m.items); i++ {
			if x := m.items[i].id; !x.IsZero() {
				m.index[x] = int32(i)
			}
		}
	}
	if i, ok := m.index[id]; ok {
		return i
	}
	return -1
}

// visible returns the item of the i-th live element, -1 when out of range.
func (m *listMerger) visible(i int) int32 {
	for x := m.items[0].next; x != 1; x = m.items[x].next {
		if m.items[x].dead {
			continue
		}
		if i == 0 {
			return x
		}
		i--
	}
	return -1
}

func (m *listMerger) Step(e *effect.Effect) {
	if !listWellFormed(e.Value) {
		return // positional references are checked as they are used
	}
	if e.Flags&effect.FlagReplace != 0 {
		for x := m.items[0].next; x != 1; x = m.items[x].next {
			it := &m.items[x]
			if it.base || e.Observed(it.id.Effect()) {
				m.kill(x)
			}
		}
	}
	newID := (&elemIDs{e: e}).next
	d := NewDec(e.Value)
	for !d.Done() {
		switch op := d.Byte(); op {
		case lopPushHead:
			k := d.Count()
			for i := 0; i < k; i++ {
				m.add(mItem{id: newID(), val: d.Bytes()}, 0, true)
			}
		case lopPushTail:
			k := d.Count()
			for i := 0; i < k; i++ {
				m.add(mItem{id: newID(), val: d.Bytes()}, 1, false)
			}
		case lopNodes:
			f := d.Varint()
			if m.live == 0 {
				m.fill = clampFill(int(f))
			}
			k := d.Count()
			for i := 0; i < k; i++ {
				d.Uvarint()
				en := d.Bytes()
				for p := 0; p < len(en); {
					n := listpack.Len(en, p)
					m.add(mItem{id: newID(), ent: en[p : p+n]}, 1, false)
					p += n
				}
			}
		case lopPopHead, lopPopTail:
			k := listPopCount(&d, op)
			for ; k > 0 && m.live > 0; k-- {
				if op == lopPopHead {
					m.kill(m.visible(0))
				} else {
					m.kill(m.visible(m.live - 1))
				}
			}
		case lopPopHeadID, lopPopTailID:
			readIDRuns(&d, listPopCount(&d, op), func(id ElemID) {
				if x := m.find(id); x >= 0 {
					m.kill(x)
				}
			})
		case lopRemAt:
			k := d.Count()
			var xs []int32
			for i := 0; i < k; i++ {
				if x := m.visible(int(d.Uvarint())); x >= 0 {
					xs = append(xs, x)
				}
			}
			for _, x := range xs {
				m.kill(x)
			}
		case lopRemAtID:
			k := d.Count()
			for i := 0; i < k; i++ {
				d.Uvarint()
				if x := m.find(d.ID()); x >= 0 {
					m.kill(x)
				}
			}
		case lopInsert, lopInsertID:
			after := d.Byte() == 1
			i := int(d.Uvarint())
			anchor := int32(-1)
			if op == lopInsertID {
				anchor = m.find(d.ID())
			} else {
				anchor = m.visible(i)
			}
			v := d.Bytes()
			if anchor < 0 {
				m.add(mItem{id: newID(), val: v}, 1, false)
			} else {
				m.add(mItem{id: newID(), val: v}, anchor, after)
			}
		case lopSet, lopSetID:
			i := int(d.Uvarint())
			x := int32(-1)
			if op == lopSetID {
				x = m.find(d.ID())
			} else {
				x = m.visible(i)
			}
			v := d.Bytes()
			if x > 1 && !m.items[x].dead {
				m.items[x].ent, m.items[x].val = nil, v
			}
		}
	}
}

// listWellFormed checks a payload's structure only.
func listWellFormed(b []byte) bool { return listCheck(b, 1<<40, true) }

func (m *listMerger) Exists() bool { return m.live > 0 }

func (m *listMerger) Result() Object {
	if m.live == 0 {
		return nil
	}
	l := &List{fill: m.fill, ids: true}
	var ent []byte
	var digits [20]byte
	for x := m.items[0].next; x != 1; x = m.items[x].next {
		it := &m.items[x]
		if it.dead {
			continue
		}
		if it.ent != nil {
			l.appendEntry(it.ent, len(listpack.Value(it.ent, 0, digits[:0])), it.id)
			continue
		}
		v := listpack.Prepare(it.val)
		if cap(ent) < v.Size {
			ent = make([]byte, v.Size)
		}
		ent = ent[:v.Size]
		v.Put(ent)
		l.appendEntry(ent, len(it.val), it.id)
	}
	return l
}
