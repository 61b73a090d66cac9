package keyspace

import (
	"fmt"
	"testing"
)

func TestPrefetchChangesNothing(t *testing.T) {
	db := NewDB()
	var keys [][]byte
	for i := 0; i < 100; i++ {
		k := []byte(fmt.Sprintf("key:%d", i))
		e := NewEntry(k)
		e.Kind = KindString
		e.SetStr([]byte("v"))
		db.Shard(k).Put(e)
		keys = append(keys, k)
	}
	db.Prefetch(keys)
	db.Prefetch([][]byte{[]byte("missing"), nil})
	for _, k := range keys {
		if e := db.Shard(k).Get(k); e == nil || string(e.Str) != "v" {
			t.Fatalf("%s changed", k)
		}
	}
}
