package engine

import (
	"math/rand"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
)

// refPrefix is fold's original choice of prefix, written out plainly.
func refPrefix(en *Engine, live []effect.Effect) int {
	en.emitMu.Lock()
	defer en.emitMu.Unlock()
	k := 0
	for n := 1; n <= len(live); n++ {
		if !en.stableLocked(live[n-1].ID) {
			break
		}
		ok := true
		for j := n; j < len(live) && ok; j++ {
			for i := 0; i < n; i++ {
				if !live[j].Observed(live[i].ID) {
					ok = false
					break
				}
			}
		}
		if ok {
			k = n
		}
	}
	return k
}

func TestFoldPrefixMatchesReference(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for iter := 0; iter < 3000; iter++ {
		en := New(Config{Node: 1, Members: []effect.NodeID{1, 2, 3}})
		en.emitMu.Lock()
		en.applied[2] = uint64(r.Intn(8))
		en.applied[3] = uint64(r.Intn(8))
		en.known[2] = map[effect.NodeID]uint64{1: uint64(r.Intn(8)), 3: uint64(r.Intn(8))}
		en.known[3] = map[effect.NodeID]uint64{1: uint64(r.Intn(8)), 2: uint64(r.Intn(8))}
		en.emitMu.Unlock()
		var live []effect.Effect
		seq := map[effect.NodeID]uint64{}
		for i := r.Intn(9); i > 0; i-- {
			o := effect.NodeID(1 + r.Intn(3))
			seq[o] += uint64(1 + r.Intn(2))
			e := effect.Effect{ID: effect.ID{Node: o, Seq: seq[o]}}
			for n := effect.NodeID(1); n <= 3; n++ {
				if n != o && r.Intn(2) == 0 {
					e.Frontier = append(e.Frontier, effect.ID{Node: n, Seq: uint64(r.Intn(8))})
				}
			}
			live = append(live, e)
		}
		if got, want := en.foldPrefix(ptrs(live)), refPrefix(en, live); got != want {
			t.Fatalf("iteration %d: foldPrefix %d, reference %d for %+v", iter, got, want, live)
		}
	}
}

// A hot key's long history folds in linear time.
func TestCompactFastLongHistory(t *testing.T) {
	en := New(Config{Node: 1, Members: []effect.NodeID{1, 2}})
	for i := 0; i < 600; i++ {
		tx := en.Begin1(0, []byte("hot"))
		tx.AddInt(0, []byte("hot"), 1)
		tx.End()
	}
	if en.LiveEffects() != 600 {
		t.Fatalf("live %d", en.LiveEffects())
	}
	en.ObserveFrontier(2, []effect.ID{{Node: 1, Seq: 450}})
	start := time.Now()
	if n := en.CompactFast(); n != 450 {
		t.Fatalf("folded %d, want 450", n)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("compaction took %v", d)
	}
	tx := en.Begin1(0, []byte("hot"))
	v := string(tx.Get(0, []byte("hot")).Str)
	tx.End()
	if v != "600" {
		t.Fatalf("value %q after folding", v)
	}
}
