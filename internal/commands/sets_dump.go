package commands

import (
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/rdb"
)

// DUMP and RESTORE of sets: an intset as RDB type 11 (byte for byte what
// Redis 7.0 writes, its element width included), a hashtable as type 2 (the
// members in this set's own order, which Redis leaves unspecified).

func init() {
	dumpers[keyspace.KindSet] = dumpSet
	restorers[rdb.TypeSetIntset] = restoreSet
	restorers[rdb.TypeSet] = restoreSet
}

func dumpSet(e *keyspace.Entry) []byte {
	s, ok := e.Obj().(*crdt.Set)
	if !ok {
		return nil
	}
	if s.IsIntset() {
		return rdb.DumpIntset(s.Ints(), int(s.IntsetWidth()))
	}
	return rdb.DumpSet(s.Len(), func(fn func(m []byte)) {
		s.Each(func(m []byte) bool { fn(m); return true })
	})
}

// restoreSet loads a set as Redis 7.0 does: an intset stays one (with its
// width) unless it holds more than set-max-intset-entries members; a type 2
// set of at most that many members starts as an intset and becomes a
// hashtable at its first non-integer member, a larger one is a hashtable.
func restoreSet(tx *engine.Tx, db int, key []byte, obj rdb.Object, expireAt int64) bool {
	so, ok := obj.Value.(*rdb.SetObject)
	if !ok || len(so.Members) == 0 {
		return false
	}
	p := tx.Payload()
	p.Byte(crdt.SetSnap)
	switch {
	case len(so.Members) > crdt.SetMaxIntsetEntries:
		p.Byte(1)
	case so.IntsetWidth != 0:
		p.Byte(byte(so.IntsetWidth))
	default:
		p.Byte(0)
	}
	p.Uvarint(uint64(len(so.Members)))
	for _, m := range so.Members {
		p.Bytes(m)
	}
	tx.CollReplace(db, key, effect.OpSet, p, expireAt, false)
	return true
}
