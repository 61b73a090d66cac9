package engine

import (
	"crypto/sha1"
	"encoding/binary"
	"time"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// ScanShard calls fn for every live, unexpired key in one shard of db, under
// that shard's lock. fn must not use the engine.
func (en *Engine) ScanShard(db, shard int, fn func(key string, e *keyspace.Entry)) {
	tx := en.newTx()
	tx.locks = append(tx.locks, lockRef{db: db, shard: shard})
	tx.lock()
	tx.locks[0].ptr.Shards[shard].Range(func(e *keyspace.Entry) bool {
		if e.Exists() && (e.Expire == 0 || e.Expire > tx.Now) {
			fn(string(e.Key()), e)
		}
		return true
	})
	tx.End()
}

// DBSize is the number of keys in db (like Redis, keys that expired but were
// not yet reclaimed still count).
func (en *Engine) DBSize(db int) int {
	en.Release()
	n := 0
	d := en.db(db)
	for s := range d.Shards {
		sh := &d.Shards[s]
		sh.Lock()
		n += sh.Count()
		sh.Unlock()
	}
	return n
}

// Volatile is the number of keys with a TTL in db.
func (en *Engine) Volatile(db int) int {
	en.Release()
	n := 0
	d := en.db(db)
	for s := range d.Shards {
		sh := &d.Shards[s]
		sh.Lock()
		n += len(sh.Vol)
		sh.Unlock()
	}
	return n
}

// ActiveExpire samples keys with a TTL and deletes the expired ones (each
// deletion an effect), like Redis' active expire cycle: it keeps going while
// more than a quarter of a sample was expired, within budget.
func (en *Engine) ActiveExpire(budget time.Duration) int {
	en.Release()
	deadline := time.Now().Add(budget)
	total := 0
	for db := range en.dbs {
		for s := 0; s < keyspace.NumShards; s++ {
			for {
				if time.Now().After(deadline) {
					return total
				}
				d := en.db(db)
				sh := &d.Shards[s]
				sh.Lock()
				if len(sh.Vol) == 0 {
					sh.Unlock()
					break
				}
				now := en.clock.PhysicalNow()
				var expired []string
				sampled := 0
				for e := range sh.Vol {
					if e.Expire <= now {
						expired = append(expired, string(e.Key()))
					}
					sampled++
					if sampled >= 20 {
						break
					}
				}
				sh.Unlock()
				if len(expired) == 0 {
					break
				}
				for _, k := range expired {
					tx := en.Begin1(db, []byte(k))
					tx.Get(db, []byte(k)) // deletes it if still expired
					tx.End()
				}
				total += len(expired)
				if len(expired)*4 <= sampled {
					break
				}
			}
		}
	}
	return total
}

// KeyDigest is a digest of one key's value and TTL (not its name), equal
// on two nodes iff the key's data is equal — and for two keys holding the
// same value (DEBUG DIGEST-VALUE); ok is false when the key does not exist.
func (en *Engine) KeyDigest(db int, key []byte) (sum [20]byte, ok bool) {
	tx := en.Begin1(db, key)
	defer tx.End()
	e := tx.Peek(db, key)
	if e == nil {
		return sum, false
	}
	return entryDigest(0, nil, e), true
}

func entryDigest(db int, key []byte, e *keyspace.Entry) [20]byte {
	h := sha1.New()
	var hdr [8 + 8 + 1 + 8]byte
	binary.BigEndian.PutUint64(hdr[0:], uint64(db))
	binary.BigEndian.PutUint64(hdr[8:], uint64(len(key)))
	hdr[16] = byte(e.Kind)
	binary.BigEndian.PutUint64(hdr[17:], uint64(e.Expire))
	h.Write(hdr[:])
	h.Write(key)
	h.Write(e.Str)
	if o, ok := e.Obj().(crdt.Object); ok {
		o.Digest(h)
	}
	var out [20]byte
	h.Sum(out[:0])
	return out
}

// Digest is an order-independent digest of the whole dataset: all zeros when
// empty, otherwise equal on two nodes iff they hold the same data.
func (en *Engine) Digest() [20]byte {
	var acc [20]byte
	for db := range en.dbs {
		for s := 0; s < keyspace.NumShards; s++ {
			en.ScanShard(db, s, func(k string, e *keyspace.Entry) {
				d := entryDigest(db, []byte(k), e)
				for i := range acc {
					acc[i] ^= d[i]
				}
			})
		}
	}
	return acc
}
