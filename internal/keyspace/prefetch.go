package keyspace

import "unsafe"

// MaxPrefetch is the most keys Prefetch looks at in one call.
const MaxPrefetch = 32

// Prefetch warms the cache for the lookups of keys that are about to run (a
// pipelined batch of commands): it brings each key's table slot, entry and
// key bytes towards the CPU in three passes, so that the cache misses of
// different keys overlap instead of being paid one after another when the
// commands run. It changes nothing; a key whose home slot is taken by
// another key is simply not warmed. Each pass holds a shard's lock only for
// a few loads.
func (db *DB) Prefetch(keys [][]byte) { db.prefetch(keys, true) }

// PrefetchLocked is Prefetch for a caller that holds the locks of every
// shard of keys (a multi-key command inside its transaction): no locking.
func (db *DB) PrefetchLocked(keys [][]byte) { db.prefetch(keys, false) }

func (db *DB) prefetch(keys [][]byte, lock bool) {
	n := len(keys)
	if n > MaxPrefetch {
		n = MaxPrefetch
	}
	var hs [MaxPrefetch]uint64
	for i := 0; i < n; i++ {
		h := hashKey(keys[i])
		hs[i] = h
		s := &db.Shards[h%NumShards]
		if lock {
			s.Lock()
		}
		if t := &s.t; t.n > 0 {
			j := t.home(h)
			prefetch(uintptr(unsafe.Pointer(&t.slots[j])))
			prefetch(uintptr(unsafe.Pointer(&t.tags[j])))
		}
		if lock {
			s.Unlock()
		}
	}
	for i := 0; i < n; i++ {
		s := &db.Shards[hs[i]%NumShards]
		if lock {
			s.Lock()
		}
		if t := &s.t; t.n > 0 {
			if e := t.slots[t.home(hs[i])]; e != nil {
				prefetch(uintptr(unsafe.Pointer(e)))
			}
		}
		if lock {
			s.Unlock()
		}
	}
	for i := 0; i < n; i++ {
		s := &db.Shards[hs[i]%NumShards]
		if lock {
			s.Lock()
		}
		if t := &s.t; t.n > 0 {
			if e := t.slots[t.home(hs[i])]; e != nil && e != tombstone && len(e.Str) < 1<<20 {
				p := uintptr(unsafe.Pointer(unsafe.SliceData(e.Str)))
				prefetch(p - uintptr(e.klen()))
			}
		}
		if lock {
			s.Unlock()
		}
	}
}

// PrefetchLine asks the CPU to bring the cache line at p closer, for
// collections warming their own lookups; it never faults, whatever p is.
func PrefetchLine(p unsafe.Pointer) { prefetch(uintptr(p)) }
