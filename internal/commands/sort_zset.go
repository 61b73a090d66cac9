//go:build lightcone_zsets

package commands

import (
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// SORT over sorted sets. Redis 7.0 converts a listpack sorted set to a
// skiplist before it sorts it (SORT_RO too), which OBJECT ENCODING and
// DUMP show afterwards: here that is an effect that rewrites the same
// members and scores as a skiplist, keeps the TTL and raises no event (it
// touches no WATCH, as in Redis).
func init() {
	sortSources[keyspace.KindZSet] = func(c *Ctx, tx *engine.Tx, key []byte, ent *keyspace.Entry) sortSource {
		z := ent.Obj().(*crdt.ZSet)
		if z.IsListpack() {
			p := tx.Payload()
			w := crdt.BeginZSet(p, crdt.ZSetSnap, crdt.ZSnapSkiplist)
			z.Each(func(m string, s float64) bool { w.PairString(m, s); return true })
			w.End()
			tx.Event = effect.EventSilent
			tx.CollReplace(c.DB, key, effect.OpZSet, p, 0, true)
			if ent = tx.Peek(c.DB, key); ent != nil {
				if nz, ok := ent.Obj().(*crdt.ZSet); ok {
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
