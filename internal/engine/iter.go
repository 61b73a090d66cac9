package engine

import (
	"math/rand/v2"

	"github.com/lightconedb/lightcone/internal/keyspace"
)

// Helpers for commands that walk the keyspace a shard at a time (SCAN,
// RANDOMKEY). They only read; expired keys they meet are left to Get/Peek,
// which delete them as one effect each.

// BeginShard locks one whole shard of db. Keys of that shard (and only
// those) may be used with the Tx.
func (en *Engine) BeginShard(db, shard int) *Tx {
	tx := en.newTx()
	tx.locks = append(tx.locks, lockRef{db: db, shard: shard})
	tx.lock()
	return tx
}

// lockedShard returns a shard the Tx holds.
func (tx *Tx) lockedShard(db, shard int) *keyspace.Shard {
	for i := range tx.locks {
		if tx.locks[i].db == db && tx.locks[i].shard == shard {
			return &tx.locks[i].ptr.Shards[shard]
		}
	}
	panic("engine: shard used outside its transaction's locks")
}

// ShardKeys appends to dst the keys of a locked shard that hold a value,
// expired ones included (the caller looks each up to have those deleted).
func (tx *Tx) ShardKeys(db, shard int, dst []string) []string {
	tx.lockedShard(db, shard).Range(func(e *keyspace.Entry) bool {
		if e.Exists() {
			dst = append(dst, string(e.Key()))
		}
		return true
	})
	return dst
}

// AnyKey returns a key of a locked shard that holds a value (possibly
// expired), taken from a random place in the shard. ok is false when the
// shard holds no value.
func (tx *Tx) AnyKey(db, shard int) (key []byte, ok bool) {
	e := tx.lockedShard(db, shard).Random(rand.IntN, (*keyspace.Entry).Exists)
	if e == nil {
		return nil, false
	}
	return append([]byte(nil), e.Key()...), true
}

// ShardSizes stores in n the number of entries of every shard of db (ghosts
// included), locking one shard at a time: a cheap, slightly stale census for
// choosing a random key.
func (en *Engine) ShardSizes(db int, n *[keyspace.NumShards]int) {
	en.Release()
	d := en.db(db)
	for s := range d.Shards {
		sh := &d.Shards[s]
		sh.Lock()
		n[s] = sh.Len()
		sh.Unlock()
	}
}

// Prefetch warms the cache for keys of database db that commands are about
// to use (see keyspace.DB.Prefetch). It changes nothing.
func (en *Engine) Prefetch(db int, keys [][]byte) {
	en.Release()
	if db >= 0 && db < len(en.dbs) {
		en.db(db).Prefetch(keys)
	}
}

// Prefetch is Engine.Prefetch for keys whose shards tx holds: it warms the
// cache for their lookups without taking any lock.
func (tx *Tx) Prefetch(db int, keys [][]byte) {
	if db >= 0 && db < len(tx.en.dbs) {
		tx.en.db(db).PrefetchLocked(keys)
	}
}

// MemberPrefetcher is a collection that can warm the cache for lookups of
// its members (see crdt.Hash.PrefetchMembers).
type MemberPrefetcher interface {
	PrefetchMembers(members [][]byte)
}

// PrefetchMembers warms the cache for the lookups of members of the
// collection at key that a pipelined batch of commands is about to make. It
// changes nothing (not even an expired key is deleted).
func (en *Engine) PrefetchMembers(db int, key []byte, members [][]byte) {
	if db < 0 || db >= len(en.dbs) || len(members) < 2 {
		return
	}
	d := en.db(db)
	si := keyspace.ShardIndex(key)
	sh := &d.Shards[si]
	kept := false
	if st := en.st; st != nil && st.held {
		if st.db == db && st.shard == si && st.ptr == d {
			kept = true // this loop holds it already
		} else {
			en.Release()
		}
	}
	if !kept {
		sh.Lock()
	}
	if e := sh.Get(key); e != nil && e.Exists() && e.Kind != keyspace.KindString {
		if p, ok := e.Obj().(MemberPrefetcher); ok {
			p.PrefetchMembers(members)
		}
	}
	if !kept {
		sh.Unlock()
	}
}
