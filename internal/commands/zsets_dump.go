package commands

import (
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/rdb"
)

// DUMP and RESTORE of sorted sets (internal/rdb/zset.go has the format).

func init() {
	dumpers[keyspace.KindZSet] = dumpZSet
	for _, t := range []byte{rdb.TypeZSetListpack, rdb.TypeZSetZiplist, rdb.TypeZSet2, rdb.TypeZSet} {
		restorers[t] = restoreZSet
	}
}

func dumpZSet(e *keyspace.Entry) []byte {
	z := e.Obj().(*crdt.ZSet)
	return rdb.DumpZSet(z.IsListpack(), z.Len(), func(desc bool, yield func(string, float64) bool) {
		if n := z.Len(); n > 0 {
			z.Range(0, n-1, desc, yield)
		}
	})
}

// restoreZSet writes a decoded sorted set the way Redis 7.0 loads it: a
// listpack payload stays a listpack unless it has more members than
// zset-max-listpack-entries; a skiplist payload becomes a listpack when it
// fits.
func restoreZSet(tx *engine.Tx, db int, key []byte, obj rdb.Object, expireAt int64) bool {
	z, ok := obj.Value.(*rdb.ZSet)
	if !ok || len(z.Members) == 0 {
		return false
	}
	enc := crdt.ZSnapBuilt
	if z.Packed {
		enc = crdt.ZSnapListpack
		if len(z.Members) > crdt.ZSetMaxListpackEntries {
			enc = crdt.ZSnapSkiplist
		}
	}
	p := tx.Payload()
	w := crdt.BeginZSet(p, crdt.ZSetSnap, enc)
	for i, m := range z.Members {
		w.Pair(m, z.Scores[i])
	}
	w.End()
	tx.CollReplace(db, key, effect.OpZSet, p, expireAt, false)
	return true
}
