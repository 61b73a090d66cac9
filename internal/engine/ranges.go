package engine

import (
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// Anti-entropy digests: the keyspace cut into DigestRanges ranges by a hash
// of the key name that every node computes alike, each range summarised by
// the XOR of its keys' digests (those DEBUG DIGEST combines). Two nodes
// that applied the same effects have equal sums in every range; a range
// that differs names where they diverge.

// DigestRanges is the number of key ranges of RangeDigests.
const DigestRanges = 256

// DigestRange is the range a key belongs to (the same on every node): its
// 32-bit FNV-1a hash modulo DigestRanges.
func DigestRange(key []byte) int {
	h := uint32(2166136261)
	for _, c := range key {
		h ^= uint32(c)
		h *= 16777619
	}
	return int(h % DigestRanges)
}

// RangeDigests computes the digest of every key range, one shard lock at a
// time. Keys whose TTL has passed but that are still held count (their
// expiry is part of their digest), so that the result does not depend on
// the moment it is computed.
func (en *Engine) RangeDigests() *[DigestRanges][20]byte {
	var out [DigestRanges][20]byte
	for db := range en.dbs {
		for s := 0; s < keyspace.NumShards; s++ {
			en.SnapshotShard(db, s, func(sh *keyspace.Shard) {
				sh.Range(func(e *keyspace.Entry) bool {
					if !e.Exists() {
						return true
					}
					k := e.Key()
					d := entryDigest(db, k, e)
					r := &out[DigestRange(k)]
					for i := range r {
						r[i] ^= d[i]
					}
					return true
				})
			})
		}
	}
	return &out
}
