package commands

import (
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// SORT over sorted sets: BY nosort keeps the rank order (reversed by DESC)
// and takes only the LIMIT range; a real sort loads every member.
//
// Redis 7.0 also converts a listpack sorted set to a skiplist before it
// sorts it (SORT_RO too), which OBJECT ENCODING and DUMP show afterwards:
// here that is an encoding-only effect (it changes no member or score, so
// it cannot undo a concurrent write elsewhere), silent like Redis'.
func init() {
	sortSources[keyspace.KindZSet] = func(c *Ctx, tx *engine.Tx, key []byte, ent *keyspace.Entry) sortSource {
		z := ent.Obj().(*crdt.ZSet)
		if z.IsListpack() {
			p := tx.Payload()
			crdt.EncodeZSetToSkiplist(p)
			tx.Event = effect.EventSilent
			tx.Coll(c.DB, key, effect.OpZSet, p)
			if e := tx.Peek(c.DB, key); e != nil {
				if nz, ok := e.Obj().(*crdt.ZSet); ok {
					z = nz
				}
			}
		}
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
