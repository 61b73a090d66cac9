package engine

import (
	"math/rand/v2"

	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
)

// Eviction (maxmemory with an eviction policy) picks keys from random
// samples, as Redis does, and deletes each with an ordinary delete effect
// raising the keyspace event "evicted": the log keeps the deletion, and in
// a cluster every node drops the key, so nodes stay equal (a key evicted on
// one node only would be a divergence for anti-entropy to repair).

// EvictCandidate is a key eviction may remove, with what the policies
// compare.
type EvictCandidate struct {
	DB     int
	Key    []byte
	Access uint32 // LRU clock of the last access (OBJECT IDLETIME)
	Expire int64  // Unix ms, 0 = none
}

// EvictionSample appends to dst up to n keys of db that hold a value, one
// from each shard, walking the shards from a random one: any key, or with
// volatile only keys with a time to live. It returns fewer only when the
// database holds fewer, and locks one shard at a time.
func (en *Engine) EvictionSample(db int, volatile bool, n int, dst []EvictCandidate) []EvictCandidate {
	en.Release()
	d := en.db(db)
	start := rand.IntN(keyspace.NumShards)
	for i := 0; n > 0 && i < keyspace.NumShards; i++ {
		sh := &d.Shards[(start+i)%keyspace.NumShards]
		sh.Lock()
		var e *keyspace.Entry
		if volatile {
			for v := range sh.Vol { // a map's iteration starts at a random place
				if v.Exists() {
					e = v
					break
				}
			}
		} else {
			e = sh.Random(rand.IntN, (*keyspace.Entry).Exists)
		}
		if e != nil {
			dst = append(dst, EvictCandidate{DB: db, Key: append([]byte(nil), e.Key()...), Access: e.Access, Expire: e.Expire})
			n--
		}
		sh.Unlock()
	}
	return dst
}

// Evict deletes key of db as eviction does, returning size(entry) measured
// just before; ok is false when the key holds no value any more.
func (en *Engine) Evict(db int, key []byte, size func(*keyspace.Entry) int) (freed int, ok bool) {
	tx := en.Begin1(db, key)
	defer tx.End()
	e := tx.Peek(db, key)
	if e == nil {
		return 0, false
	}
	freed = size(e)
	tx.Event = notify.EvictedKey
	tx.Delete(db, key)
	return freed, true
}
