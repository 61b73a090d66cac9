package keyspace

import "bytes"

// table is an open-addressing hash table of entry pointers with linear
// probing. Each slot costs 8 bytes plus a tag byte (7 bits of the hash), so a
// probe rarely touches an entry that is not the one sought. Deletion leaves a
// tombstone; the table is rebuilt when tombstones pile up.
type table struct {
	slots []*Entry
	tags  []uint8
	n     int // live entries
	dead  int // tombstones
}

var tombstone = &Entry{}

func tagOf(h uint64) uint8 { return uint8(h>>57) | 0x80 }

func (t *table) home(h uint64) int { return int((h >> 8) & uint64(len(t.slots)-1)) }

func (t *table) get(key []byte, h uint64) *Entry {
	if t.n == 0 {
		return nil
	}
	mask := len(t.slots) - 1
	tag := tagOf(h)
	for i := t.home(h); ; i = (i + 1) & mask {
		e := t.slots[i]
		if e == nil {
			return nil
		}
		if t.tags[i] == tag && e != tombstone && bytes.Equal(e.Key(), key) {
			return e
		}
	}
}

// put inserts e, returning the entry it replaced (same key) if any.
func (t *table) put(e *Entry, h uint64) *Entry {
	if (t.n+t.dead+1)*5 > len(t.slots)*4 { // load above 0.8
		t.resize()
	}
	mask := len(t.slots) - 1
	tag := tagOf(h)
	key := e.Key()
	free := -1
	for i := t.home(h); ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == nil {
			if free < 0 {
				free = i
			} else {
				t.dead--
			}
			t.slots[free] = e
			t.tags[free] = tag
			t.n++
			return nil
		}
		if s == tombstone {
			if free < 0 {
				free = i
			}
			continue
		}
		if t.tags[i] == tag && bytes.Equal(s.Key(), key) {
			t.slots[i] = e
			return s
		}
	}
}

func (t *table) del(key []byte, h uint64) *Entry {
	if t.n == 0 {
		return nil
	}
	mask := len(t.slots) - 1
	tag := tagOf(h)
	for i := t.home(h); ; i = (i + 1) & mask {
		e := t.slots[i]
		if e == nil {
			return nil
		}
		if t.tags[i] == tag && e != tombstone && bytes.Equal(e.Key(), key) {
			if t.slots[(i+1)&mask] == nil {
				t.slots[i] = nil // end of a run: no tombstone needed
				t.tags[i] = 0
			} else {
				t.slots[i] = tombstone
				t.dead++
			}
			t.n--
			if t.n == 0 {
				*t = table{}
			} else if len(t.slots) > 64 && t.n*8 < len(t.slots) {
				t.resize() // shrink a table that emptied out
			}
			return e
		}
	}
}

func (t *table) resize() {
	size := 8
	for size*4 < (t.n+1)*5*2 { // aim for load <= 0.4 right after
		size *= 2
	}
	old := t.slots
	t.slots = make([]*Entry, size)
	t.tags = make([]uint8, size)
	t.dead = 0
	mask := size - 1
	for _, e := range old {
		if e == nil || e == tombstone {
			continue
		}
		h := hashKey(e.Key())
		i := t.home(h)
		for t.slots[i] != nil {
			i = (i + 1) & mask
		}
		t.slots[i] = e
		t.tags[i] = tagOf(h)
	}
}

// Random returns an entry from a random place in the shard (nil if empty):
// pick(n) must return a number in [0, n). Entries after long empty runs are
// a little likelier, as with Redis' own sampling.
func (s *Shard) Random(pick func(n int) int, ok func(e *Entry) bool) *Entry {
	t := &s.t
	if t.n == 0 {
		return nil
	}
	start := pick(len(t.slots))
	for i := 0; i < len(t.slots); i++ {
		e := t.slots[(start+i)&(len(t.slots)-1)]
		if e != nil && e != tombstone && ok(e) {
			return e
		}
	}
	return nil
}
