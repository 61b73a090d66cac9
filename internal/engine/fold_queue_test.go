package engine

import (
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// Compaction finds unstable history through the shards' fold queues: history
// loaded from a snapshot (LoadEntry) must be queued as well as history made
// by applying effects, or it would never fold.
func TestLoadedHistoryFolds(t *testing.T) {
	const a, b = effect.NodeID(1), effect.NodeID(2)
	src := New(Config{Node: a, Members: []effect.NodeID{a, b}})
	setKey(src, "k1", "v1")
	setKey(src, "k2", "v2")
	if n := src.LiveEffects(); n != 2 {
		t.Fatalf("live effects before the snapshot: %d", n)
	}
	var snap [][]byte
	src.Frozen(func(shard func(db, s int) *keyspace.Shard) {
		for s := 0; s < keyspace.NumShards; s++ {
			shard(0, s).Range(func(e *keyspace.Entry) bool {
				snap = append(snap, AppendEntry(nil, e, &crdt.Enc{}))
				return true
			})
		}
	})
	dst := New(Config{Node: a, Members: []effect.NodeID{a, b}, StartSeq: 2})
	for _, rec := range snap {
		if _, err := dst.LoadEntry(0, rec); err != nil {
			t.Fatal(err)
		}
	}
	if n := dst.LiveEffects(); n != 2 {
		t.Fatalf("live effects after loading: %d", n)
	}
	if n := dst.Compact(); n != 0 {
		t.Fatalf("folded %d effects nobody else has", n)
	}
	dst.ObserveFrontier(b, []effect.ID{{Node: a, Seq: 2}})
	if n := dst.Compact(); n != 2 {
		t.Fatalf("folded %d of 2 stable effects", n)
	}
	if n := dst.LiveEffects(); n != 0 {
		t.Fatalf("live effects after folding: %d", n)
	}
	for _, k := range []string{"k1", "k2"} {
		tx := dst.Begin1(0, []byte(k))
		v := tx.Get(0, []byte(k))
		tx.End()
		if v == nil || string(v.Str) != "v"+k[1:] {
			t.Fatalf("%s after folding: %v", k, v)
		}
	}
}
