// Package keyspace is the in-memory key → entry store: numbered databases, each
// split into shards with their own lock so every core can work, plus the
// per-shard index of keys with a TTL that active expiry samples. It holds
// state; it never decides how state changes — that is the engine's job.
package keyspace

import (
	"hash/maphash"
	"sync"
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

// Entry is one key's materialised value. The layout is kept small: the
// keyspace's memory per key is a product goal.
type Entry struct {
	Str    []byte // value of a string key
	Obj    any    // value of a key of another kind
	Expire int64  // absolute Unix ms, 0 = no TTL
	Aux    *Aux   // engine metadata, nil when the key has no unstable history
	Access uint32 // LRU clock (seconds since process start) of the last access
	Kind   Kind
	Enc    uint8
}

// Exists reports whether the entry holds a value (an entry with only history
// left, a "ghost", does not).
func (e *Entry) Exists() bool { return e.Kind != KindNone }

// NumShards is the number of shards per database.
const NumShards = 256

// Shard is one lock's worth of keys.
type Shard struct {
	sync.Mutex
	M    map[string]*Entry // every entry, ghosts included
	Vol  map[string]*Entry // entries with Expire != 0
	Live map[string]*Entry // entries with Aux != nil
	_    [40]byte          // keep hot shards on separate cache lines
}

// Count is the number of existing keys in the shard. The caller holds the lock.
func (s *Shard) Count() int {
	n := len(s.M)
	for _, e := range s.Live {
		if !e.Exists() {
			n--
		}
	}
	return n
}

// DB is one numbered database.
type DB struct {
	Shards [NumShards]Shard
}

var seed = maphash.MakeSeed()

// ShardIndex returns the shard that holds key.
func ShardIndex(key []byte) int {
	return int(maphash.Bytes(seed, key) % NumShards)
}

// NewDB returns an empty database.
func NewDB() *DB {
	db := &DB{}
	for i := range db.Shards {
		db.Shards[i].M = make(map[string]*Entry)
	}
	return db
}

// Shard returns the shard that holds key.
func (db *DB) Shard(key []byte) *Shard { return &db.Shards[ShardIndex(key)] }

// Put stores e under key, keeping the volatile and live indexes and the ghost
// count right. The caller holds the shard lock.
func (s *Shard) Put(key string, e *Entry) {
	if old, ok := s.M[key]; ok && old != e {
		s.forget(key, old)
	}
	s.M[key] = e
	s.Reindex(key, e)
}

// Reindex refreshes the indexes after e (stored under key) changed in place.
func (s *Shard) Reindex(key string, e *Entry) {
	if e.Expire != 0 && e.Exists() {
		if s.Vol == nil {
			s.Vol = make(map[string]*Entry)
		}
		s.Vol[key] = e
	} else if s.Vol != nil {
		delete(s.Vol, key)
	}
	if e.Aux != nil {
		if s.Live == nil {
			s.Live = make(map[string]*Entry)
		}
		s.Live[key] = e
	} else if s.Live != nil {
		delete(s.Live, key)
	}
}

// Delete removes key. The caller holds the shard lock.
func (s *Shard) Delete(key string) {
	if old, ok := s.M[key]; ok {
		s.forget(key, old)
		delete(s.M, key)
	}
}

func (s *Shard) forget(key string, old *Entry) {
	if s.Vol != nil {
		delete(s.Vol, key)
	}
	if s.Live != nil {
		delete(s.Live, key)
	}
}

// Clear empties the shard. The caller holds the shard lock.
func (s *Shard) Clear() {
	s.M = make(map[string]*Entry)
	s.Vol, s.Live = nil, nil
}
