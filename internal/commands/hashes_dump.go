package commands

import (
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/rdb"
)

// DUMP and RESTORE of hashes. A listpack is dumped as RDB type 16 (byte for
// byte Redis 7.0's payload for the same fields in the same order), a
// hashtable as type 4 (Redis orders its fields by its own hash table, so
// only the contents match), both in RDB version 10. A hash with field TTLs
// (Redis 7.4) is dumped as type 25 (listpackex) or 24 (hashtable) in RDB
// version 12, as Redis 7.4 writes them; Redis 7.0 refuses those.
//
// RESTORE takes types 16, 4, 13 (ziplist) and 9 (zipmap) as Redis 7.0
// does, and 24 and 25; the resulting encoding is the one Redis gives.

func init() {
	dumpers[keyspace.KindHash] = dumpHash
	for _, t := range []byte{rdb.TypeHash, rdb.TypeHashZipmap, rdb.TypeHashZiplist, rdb.TypeHashListpack, rdb.TypeHashMetadata, rdb.TypeHashListpackEx} {
		restorers[t] = restoreHash
	}
}

func dumpHash(e *keyspace.Entry) []byte {
	h, ok := e.Obj().(*crdt.Hash)
	if !ok {
		return nil
	}
	fields := make([]rdb.HashField, 0, h.Len())
	h.EachTTL(func(f, v []byte, at int64) bool {
		fields = append(fields, rdb.HashField{Field: f, Value: v, At: at})
		return true
	})
	switch h.Encoding() {
	case "listpack":
		return rdb.DumpHashListpack(fields)
	case "listpackex":
		return rdb.DumpHashListpackEx(fields)
	}
	if h.HasTTLs() {
		return rdb.DumpHashMetadata(fields)
	}
	return rdb.DumpHashTable(fields)
}

// restoreHash writes a decoded hash under key with the encoding Redis 7.0
// loads it in (checked against redis-server): a listpack or ziplist (16,
// 13) is a listpack unless it has too many fields, whatever their length; a
// zipmap (9) or a plain hash (4) is a listpack unless it has too many fields
// or a field or value too long; the types with TTLs become a listpackex
// (25, or 24 when small enough) or a hashtable.
func restoreHash(tx *engine.Tx, db int, key []byte, obj rdb.Object, expireAt int64) bool {
	hv, ok := obj.Value.(*rdb.HashValue)
	if !ok || len(hv.Fields) == 0 {
		return false
	}
	tooMany := len(hv.Fields) > crdt.HashMaxListpackEntries
	tooLong := false
	for _, f := range hv.Fields {
		if len(f.Field) > crdt.HashMaxListpackValue || len(f.Value) > crdt.HashMaxListpackValue {
			tooLong = true
			break
		}
	}
	enc := "listpack"
	switch hv.Type {
	case rdb.TypeHashListpack, rdb.TypeHashZiplist:
		if tooMany {
			enc = "hashtable"
		}
	case rdb.TypeHashListpackEx:
		enc = "listpackex"
		if tooMany {
			enc = "hashtable"
		}
	case rdb.TypeHashMetadata:
		enc = "listpackex"
		if tooMany || tooLong {
			enc = "hashtable"
		}
	default:
		if tooMany || tooLong {
			enc = "hashtable"
		}
	}
	es := make([]crdt.HashEntry, len(hv.Fields))
	for i, f := range hv.Fields {
		es[i] = crdt.HashEntry{Field: f.Field, Value: f.Value, At: f.At}
	}
	p := tx.Payload()
	crdt.EncodeHashValue(p, enc, es)
	tx.CollReplace(db, key, effect.OpHash, p, expireAt, false)
	return true
}
