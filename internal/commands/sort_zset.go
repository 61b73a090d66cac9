package commands

import (
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// SORT over sorted sets: BY nosort keeps the rank order (reversed by DESC)
// and takes only the LIMIT range; a real sort loads every member.
//
// Redis 7.0 also converts a listpack sorted set to a skiplist before it
// sorts it (SORT_RO too), which OBJECT ENCODING and DUMP show afterwards.
// That is not done here: the only effects that could do it re-assert the
// members and scores with a new stamp (a snapshot or ZSetAssign), which
// would undo a concurrent ZREM or ZADD on another node — a read must not
// change data. It needs an encoding-only sub-op of the zset type (as
// hashes have EncodeHashConvert).
func init() {
	sortSources[keyspace.KindZSet] = func(_ *Ctx, _ *engine.Tx, _ []byte, ent *keyspace.Entry) sortSource {
		z := ent.Obj().(*crdt.ZSet)
		n := z.Len()
		return sortSource{n: n, ordered: true, load: func(ar *sortArena, lo, hi int, rev bool) {
			add := func(m string, _ float64) bool { ar.addString(m); return true }
			if rev {
				z.Range(n-1-hi, n-1-lo, true, add)
			} else {
				z.Range(lo, hi, false, add)
			}
		}}
	}
}
