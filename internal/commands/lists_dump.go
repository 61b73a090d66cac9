package commands

import (
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/rdb"
)

// DUMP writes a list as Redis 7.0 does (RDB type 18, one listpack per
// node); RESTORE takes types 18, 14 and 1.

func init() {
	dumpers[keyspace.KindList] = dumpList
	restorers[rdb.TypeListQuicklist2] = restoreList
	restorers[rdb.TypeListQuicklist] = restoreList
	restorers[rdb.TypeList] = restoreList
}

func dumpList(e *keyspace.Entry) []byte {
	l, ok := e.Obj().(*crdt.List)
	if !ok {
		return nil
	}
	return rdb.DumpList(l.Nodes(), l.NodeEntries)
}

func restoreList(tx *engine.Tx, db int, key []byte, obj rdb.Object, expireAt int64) bool {
	v, ok := obj.Value.(*rdb.ListValue)
	if !ok || v.Len() == 0 {
		return false
	}
	p := tx.Payload()
	if len(v.Nodes) > 0 {
		crdt.EncodeListNodes(p, crdt.ListMaxListpackSize, v.Nodes)
	}
	if len(v.Values) > 0 {
		crdt.EncodeListPush(p, false, v.Values)
	}
	tx.CollReplace(db, key, effect.OpList, p, expireAt, false)
	return true
}
