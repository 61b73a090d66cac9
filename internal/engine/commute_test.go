package engine

import (
	"strconv"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

func pushTo(en *Engine, key string, head bool, v string) {
	tx := en.Begin1(0, []byte(key))
	p := tx.Payload()
	crdt.EncodeListPush(p, head, [][]byte{[]byte(v)})
	tx.Coll(0, []byte(key), effect.OpList, p)
	tx.End()
}

func popFrom(en *Engine, key string, head bool) {
	tx := en.Begin1(0, []byte(key))
	if e := tx.Get(0, []byte(key)); e != nil {
		p := tx.Payload()
		crdt.EncodeListPop(p, e.Obj().(*crdt.List), head, 1)
		tx.Coll(0, []byte(key), effect.OpList, p)
	}
	tx.End()
}

func addTo(en *Engine, key, m string) {
	tx := en.Begin1(0, []byte(key))
	p := tx.Payload()
	crdt.EncodeSet(p, crdt.SetAdd, [][]byte{[]byte(m)})
	tx.Coll(0, []byte(key), effect.OpSet, p)
	tx.End()
}

// Three nodes pushing to and popping from one list, and adding to one set,
// at once: each node applies the others' effects without merging the key's
// history (crdt.Commuter), and all end with the value a merge computes.
func TestConcurrentPushesPopsAndAddsNeedNoMerge(t *testing.T) {
	members := []effect.NodeID{1, 2, 3}
	ens := make([]*Engine, 3)
	sinks := make([]*collector, 3)
	for i := range ens {
		sinks[i] = &collector{}
		ens[i] = New(Config{Node: members[i], Members: members, Sink: sinks[i]})
	}
	sent := make([][]int, 3)
	for i := range sent {
		sent[i] = make([]int, 3)
	}
	// a list and a set every node holds already (a push into an empty list
	// at the tail lands at its head too, and then only a merge can tell
	// where a concurrent head push goes)
	pushTo(ens[0], "l", true, "first")
	addTo(ens[0], "s", "first")
	for _, en := range ens[1:] {
		en.ApplyBatch(sinks[0].out)
	}
	for i := range ens[1:] {
		sent[0][i+1] = len(sinks[0].out)
	}
	for round := 0; round < 20; round++ {
		for i, en := range ens {
			for k := 0; k < 10; k++ {
				v := strconv.Itoa(round*100 + i*10 + k)
				pushTo(en, "l", (k+i)%2 == 0, v)
				addTo(en, "s", v)
				if k%4 == 3 {
					popFrom(en, "l", k%8 == 3)
				}
			}
		}
		for j, en := range ens {
			for i := range ens {
				if i != j {
					en.ApplyBatch(sinks[i].out[sent[i][j]:])
					sent[i][j] = len(sinks[i].out)
				}
			}
		}
	}
	for i, en := range ens {
		if m := en.Stats().Merges.Load(); m != 0 {
			t.Errorf("engine %d merged a history %d times", i, m)
		}
	}
	want := ens[0].Digest()
	for i, en := range ens {
		if got := en.Digest(); got != want {
			t.Fatalf("engine %d digest %x, engine 0 %x", i, got, want)
		}
	}
	// the value is the one a merge of the whole history gives
	for _, en := range ens {
		for _, k := range []string{"l", "s"} {
			tx := en.Begin1(0, []byte(k))
			ent := tx.Get(0, []byte(k))
			h := histOf(ent)
			merged := keyspace.NewEntry([]byte(k))
			eval(merged, h, en.ctx())
			d1, d2 := entryDigest(0, []byte(k), ent), entryDigest(0, []byte(k), merged)
			tx.End()
			if d1 != d2 {
				t.Fatalf("%s on %d: applied %x, merged %x", k, en.Node(), d1, d2)
			}
		}
	}
}
