// Package keyspace is the in-memory key → entry store: numbered databases, each
// split into shards with their own lock so every core can work, plus the
// per-shard index of keys with a TTL that active expiry samples. It holds
// state; it never decides how state changes — that is the engine's job.
//
// Memory per key is a product goal, so an entry is 48 bytes and stores its
// key in the same allocation as its string value (just before it), and each
// shard is an open-addressing table of entry pointers with one tag byte per
// slot rather than a Go map keyed by string.
package keyspace

import (
	"hash/maphash"
	"sync"
	"unsafe"
)

// Kind is the Redis type of a key's value.
type Kind uint8

const (
	KindNone Kind = iota
	KindString
	KindList
	KindHash
	KindSet
	KindZSet
	KindStream
)

var kindNames = [...]string{"none", "string", "list", "hash", "set", "zset", "stream"}

func (k Kind) String() string { return kindNames[k] }

// Encodings reported by OBJECT ENCODING for strings.
const (
	EncRaw uint8 = iota
	EncInt
	EncEmbstr
)

// Aux carries engine-owned metadata for an entry (its unstable history in a
// cluster); nil for the common case of a fully stable key.
type Aux struct{ V any }

type extra struct {
	obj    any
	aux    *Aux
	keyLen int // for keys of 64 KiB and more
}

// Entry is one key's materialised value.
//
// Str is the value of a string key. Its backing array starts with the key
// (keyLen bytes before Str[0]); only the engine replaces Str, through SetStr
// and GrowStr, which keep that layout. Readers must not modify Str.
type Entry struct {
	Str    []byte
	Expire int64 // absolute Unix ms, 0 = no TTL
	x      *extra
	Access uint32 // LRU clock (seconds since process start) of the last access
	keyLen uint16 // 0xFFFF: see x.keyLen
	Kind   Kind
	Enc    uint8
}

const longKey = 0xFFFF

// NewEntry returns an empty entry named key.
func NewEntry(key []byte) *Entry {
	e := &Entry{}
	e.setKeyValue(key, nil, 0)
	return e
}

func (e *Entry) klen() int {
	if e.keyLen == longKey {
		return e.x.keyLen
	}
	return int(e.keyLen)
}

// Key returns the entry's key (aliasing the entry's memory: do not modify).
func (e *Entry) Key() []byte {
	n := e.klen()
	if n == 0 {
		return nil
	}
	p := unsafe.Add(unsafe.Pointer(unsafe.SliceData(e.Str)), -n)
	return unsafe.Slice((*byte)(p), n)
}

// setKeyValue lays out key and value in one allocation with room for
// extra more value bytes.
func (e *Entry) setKeyValue(key, val []byte, extraCap int) {
	kl := len(key)
	if len(val)+extraCap == 0 {
		// an empty value still needs its pointer inside the allocation
		// (Go points a zero-capacity reslice at the array's start)
		extraCap = 1
	}
	buf := make([]byte, kl+len(val), kl+len(val)+extraCap)
	copy(buf, key)
	copy(buf[kl:], val)
	e.Str = buf[kl:]
	if kl >= longKey {
		e.keyLen = longKey
		if e.x == nil {
			e.x = &extra{}
		}
		e.x.keyLen = kl
	} else {
		e.keyLen = uint16(kl)
	}
}

// SetStr replaces the string value with a copy of val.
func (e *Entry) SetStr(val []byte) {
	if cap(e.Str) >= len(val) && cap(e.Str) <= 2*len(val)+32 {
		e.Str = append(e.Str[:0], val...) // in place: readers copy under the lock
		return
	}
	e.setKeyValue(e.Key(), val, 0)
}

// GrowStr makes Str n bytes long, keeping its content and zero-filling the
// rest.
func (e *Entry) GrowStr(n int) {
	if n <= len(e.Str) {
		return
	}
	if n <= cap(e.Str) {
		old := len(e.Str)
		e.Str = e.Str[:n]
		clear(e.Str[old:])
		return
	}
	old := e.Str
	e.setKeyValue(e.Key(), old, n-len(old)+n/4)
	e.Str = e.Str[:n]
	clear(e.Str[len(old):])
}

// AppendStr appends b to the string value.
func (e *Entry) AppendStr(b []byte) {
	n := len(e.Str)
	if n+len(b) > cap(e.Str) {
		old := e.Str
		e.setKeyValue(e.Key(), old, len(b)+(n+len(b))/4)
	}
	e.Str = append(e.Str, b...)
}

// Obj is the value of a key of a non-string kind.
func (e *Entry) Obj() any {
	if e.x == nil {
		return nil
	}
	return e.x.obj
}

// SetObj sets the value of a key of a non-string kind.
func (e *Entry) SetObj(v any) {
	if v == nil && e.x == nil {
		return
	}
	if v == nil && e.x.aux == nil && e.x.keyLen == 0 {
		e.x = nil // a string again: the extra block goes
		return
	}
	if e.x == nil {
		e.x = &extra{}
	}
	e.x.obj = v
}

// Aux returns the engine's metadata, nil when none.
func (e *Entry) Aux() *Aux {
	if e.x == nil {
		return nil
	}
	return e.x.aux
}

// SetAux sets the engine's metadata.
func (e *Entry) SetAux(a *Aux) {
	if a == nil && e.x == nil {
		return
	}
	if a == nil && e.x.obj == nil && e.x.keyLen == 0 {
		e.x = nil // history folded away: the extra block goes
		return
	}
	if e.x == nil {
		e.x = &extra{}
	}
	e.x.aux = a
}

// CopyValue copies src's value, kind, encoding and TTL into e (keeping e's
// key and engine metadata): history evaluation builds values on scratch
// entries.
func (e *Entry) CopyValue(src *Entry) {
	e.SetStr(src.Str)
	if src.Str == nil && src.Kind == KindNone {
		e.Str = e.Str[:0]
	}
	e.SetObj(src.Obj())
	e.Kind, e.Enc, e.Expire = src.Kind, src.Enc, src.Expire
}

// Exists reports whether the entry holds a value (an entry with only history
// left, a "ghost", does not).
func (e *Entry) Exists() bool { return e.Kind != KindNone }

// NumShards is the number of shards per database.
const NumShards = 256

var seed = maphash.MakeSeed()

func hashKey(key []byte) uint64 { return maphash.Bytes(seed, key) }

// ShardIndex returns the shard that holds key.
func ShardIndex(key []byte) int { return int(hashKey(key) % NumShards) }

// HashKey is the hash the shards and their tables place key by: a caller
// that looks one key up several times hashes it once (ShardOf, GetHashed).
func HashKey(key []byte) uint64 { return hashKey(key) }

// ShardOf is ShardIndex of a key whose HashKey is h.
func ShardOf(h uint64) int { return int(h % NumShards) }

// Shard is one lock's worth of keys.
type Shard struct {
	sync.Mutex
	t    table
	Vol  map[*Entry]struct{} // entries with Expire != 0
	Live map[*Entry]struct{} // entries with engine metadata (unstable history)
	Fold []FoldQueue         // their unstable effects per origin (fold.go)
}

// DB is one numbered database.
type DB struct {
	Shards [NumShards]Shard
}

// NewDB returns an empty database.
func NewDB() *DB { return &DB{} }

// Shard returns the shard that holds key.
func (db *DB) Shard(key []byte) *Shard { return &db.Shards[ShardIndex(key)] }

// Get returns the entry named key, or nil. The caller holds the lock.
func (s *Shard) Get(key []byte) *Entry { return s.t.get(key, hashKey(key)) }

// GetHashed is Get of a key whose HashKey is h.
func (s *Shard) GetHashed(key []byte, h uint64) *Entry { return s.t.get(key, h) }

// Len is the number of entries, ghosts included.
func (s *Shard) Len() int { return s.t.n }

// Count is the number of existing keys in the shard. The caller holds the lock.
func (s *Shard) Count() int {
	n := s.t.n
	for e := range s.Live {
		if !e.Exists() {
			n--
		}
	}
	return n
}

// Put stores e (named by its key), replacing an entry of the same key, and
// indexes it. The caller holds the shard lock.
func (s *Shard) Put(e *Entry) {
	if old := s.t.put(e, hashKey(e.Key())); old != nil && old != e {
		s.forget(old)
	}
	s.Reindex(e)
}

// Reindex refreshes the volatile and live indexes after e changed in place.
func (s *Shard) Reindex(e *Entry) {
	if e.Expire != 0 && e.Exists() {
		if s.Vol == nil {
			s.Vol = make(map[*Entry]struct{})
		}
		s.Vol[e] = struct{}{}
	} else if s.Vol != nil {
		delete(s.Vol, e)
	}
	if e.Aux() != nil {
		if s.Live == nil {
			s.Live = make(map[*Entry]struct{})
		}
		s.Live[e] = struct{}{}
	} else if s.Live != nil {
		delete(s.Live, e)
		if len(s.Live) == 0 {
			s.Live = nil // Go maps keep their buckets: a hot period's would stay
		}
	}
}

// Delete removes key. The caller holds the shard lock.
func (s *Shard) Delete(key []byte) {
	if old := s.t.del(key, hashKey(key)); old != nil {
		s.forget(old)
	}
}

func (s *Shard) forget(old *Entry) {
	if s.Vol != nil {
		delete(s.Vol, old)
	}
	if s.Live != nil {
		delete(s.Live, old)
	}
}

// Clear empties the shard. The caller holds the shard lock.
func (s *Shard) Clear() {
	s.t = table{}
	s.Vol, s.Live, s.Fold = nil, nil, nil
}

// Range calls fn for every entry (ghosts included) until fn returns false.
// fn must not add or delete entries.
func (s *Shard) Range(fn func(e *Entry) bool) {
	for _, e := range s.t.slots {
		if e != nil && e != tombstone {
			if !fn(e) {
				return
			}
		}
	}
}

// Entries returns the shard's entries (for callers that delete while walking).
func (s *Shard) Entries() []*Entry {
	out := make([]*Entry, 0, s.t.n)
	s.Range(func(e *Entry) bool { out = append(out, e); return true })
	return out
}
