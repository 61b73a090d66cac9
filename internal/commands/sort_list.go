package commands

import (
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
)

// SORT over lists, and STORE, which always writes a list.

func init() {
	sortSources[keyspace.KindList] = func(_ *Ctx, _ *engine.Tx, _ []byte, ent *keyspace.Entry) sortSource {
		l := ent.Obj().(*crdt.List)
		n := l.Len()
		return sortSource{n: n, ordered: true, load: func(ar *sortArena, lo, hi int, rev bool) {
			first := lo
			if rev {
				first = n - 1 - lo
			}
			var buf [24]byte
			it := l.Iter(first, rev)
			for k := hi - lo + 1; k > 0; k-- {
				v, ok := it.Next(buf[:])
				if !ok {
					return
				}
				ar.add(v)
			}
		}}
	}
}

// sortStoreFill is the list-max-listpack-size of a list SORT STORE writes:
// Redis 7.0 creates it with the quicklist default, whatever the setting.
const sortStoreFill = -2

// sortStore replaces key with a list of vals (its TTL dropped), or deletes
// it when there are none.
func sortStore(tx *engine.Tx, db int, key []byte, vals [][]byte) {
	exists := tx.Get(db, key) != nil // an expired destination goes first, as in Redis
	if len(vals) == 0 {
		if exists {
			tx.Delete(db, key)
		}
		return
	}
	p := tx.Payload()
	crdt.EncodeListNodes(p, sortStoreFill, nil) // (sets the new list's fill)
	crdt.EncodeListPush(p, false, vals)
	tx.Event = notify.SortStore
	tx.CollReplace(db, key, effect.OpList, p, 0, false)
}
