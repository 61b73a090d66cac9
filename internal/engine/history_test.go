package engine

import (
	"math/rand"
	"slices"
	"strconv"
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// randomLive makes a causally consistent live history of up to n effects
// from three origins: each effect's frontier is what its origin had
// applied of the others (monotone per origin), some are deletes.
func randomLive(r *rand.Rand, n int) []effect.Effect {
	const origins = 3
	var applied [origins + 1][origins + 1]uint64 // applied[a][b]: what a has of b
	var seq [origins + 1]uint64
	var live []effect.Effect
	for i := r.Intn(n + 1); i > 0; i-- {
		o := 1 + r.Intn(origins)
		// o hears some more of the others (never more than they made)
		for b := 1; b <= origins; b++ {
			if b != o && r.Intn(2) == 0 && applied[o][b] < seq[b] {
				applied[o][b] += uint64(1 + r.Intn(int(seq[b]-applied[o][b])))
			}
		}
		seq[o] += uint64(1 + r.Intn(2)) // effects on other keys in between
		e := effect.Effect{ID: effect.ID{Node: effect.NodeID(o), Seq: seq[o]}}
		if r.Intn(5) == 0 {
			e.Op = effect.OpDelete
		} else {
			e.Op = effect.OpAssign
		}
		for b := 1; b <= origins; b++ {
			if b != o && applied[o][b] > 0 {
				e.Frontier = append(e.Frontier, effect.ID{Node: effect.NodeID(b), Seq: applied[o][b]})
			}
		}
		live = append(live, e)
	}
	// live histories are kept in stamp order; any order of concurrent
	// effects that respects causality is possible: shuffle lightly, then
	// restore each origin's own order
	r.Shuffle(len(live), func(a, b int) { live[a], live[b] = live[b], live[a] })
	slices.SortStableFunc(live, func(a, b effect.Effect) int {
		if a.ID.Node == b.ID.Node {
			return int(a.ID.Seq) - int(b.ID.Seq)
		}
		return 0
	})
	return live
}

// refTips is the pairwise definition of a tip.
func refTips(live []effect.Effect) []effect.ID {
	var tips []effect.ID
	for i := range live {
		tip := true
		for j := range live {
			if i != j && live[j].Observed(live[i].ID) {
				tip = false
				break
			}
		}
		if tip {
			tips = append(tips, live[i].ID)
		}
	}
	return tips
}

func TestTipsMatchPairwiseDefinition(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for iter := 0; iter < 20000; iter++ {
		live := randomLive(r, 12)
		got, want := tipsOf(ptrs(live)), refTips(live)
		if len(live) == 0 {
			got = nil
		}
		if !slices.Equal(got, want) {
			t.Fatalf("iteration %d: tips %v, pairwise %v, live %+v", iter, got, want, live)
		}
	}
}

func TestRemovedMatchesPairwiseDefinition(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	for iter := 0; iter < 20000; iter++ {
		live := randomLive(r, 12)
		var rm removed
		rm.collect(ptrs(live))
		for i := range live {
			want := false
			for j := range live {
				if live[j].Op == effect.OpDelete && live[j].Observed(live[i].ID) {
					want = true
				}
			}
			if got := rm.covers(live[i].ID); got != want {
				t.Fatalf("iteration %d: effect %v removed=%v, pairwise %v; live %+v", iter, live[i].ID, got, want, live)
			}
		}
	}
}

// A key with a long unfolded history (22,000 live effects) is written and
// folded in O(live) per write: this runs in well under a second (with the
// pairwise tips it took minutes; there is no timed assertion, a regression
// shows as a test that takes too long).
func TestLongHistoryWritesAreLinear(t *testing.T) {
	en := New(Config{Node: 1, Members: []effect.NodeID{1, 2}})
	k := []byte("hot")
	for i := 0; i < 22000; i++ {
		tx := en.Begin1(0, k)
		tx.AddInt(0, k, 1)
		tx.End()
	}
	if n := en.LiveEffects(); n != 22000 {
		t.Fatalf("live %d", n)
	}
	en.ObserveFrontier(2, []effect.ID{{Node: 1, Seq: 22000}})
	if n := en.Compact(); n != 22000 {
		t.Fatalf("folded %d", n)
	}
	tx := en.Begin1(0, k)
	v := string(tx.Get(0, k).Str)
	tx.End()
	if v != "22000" {
		t.Fatalf("value %q", v)
	}
}

// checkSummaries compares every key's cached summary with one computed
// afresh from its live effects.
func checkSummaries(t *testing.T, en *Engine) {
	t.Helper()
	for d := range en.dbs {
		for s := 0; s < keyspace.NumShards; s++ {
			en.SnapshotShard(d, s, func(sh *keyspace.Shard) {
				for ent := range sh.Live {
					h := histOf(ent)
					if h == nil {
						continue
					}
					// the materialised value is eval(base, live)
					var want keyspace.Entry
					eval(&want, h, en.ctx())
					if entryDigest(d, ent.Key(), &want) != entryDigest(d, ent.Key(), ent) || want.Expire != ent.Expire || want.Enc != ent.Enc {
						t.Fatalf("key %q: value %q ttl %d enc %d, eval of its history %q ttl %d enc %d", ent.Key(), ent.Str, ent.Expire, ent.Enc, want.Str, want.Expire, want.Enc)
					}
					fresh := &history{live: h.live}
					fresh.summarise()
					if h.sum.tipsOK && (!slices.Equal(h.sum.tips, fresh.sum.tips) || !slices.Equal(refTips(vals(h.live)), fresh.sum.tips)) {
						t.Fatalf("key %q: cached tips %v, fresh %v, pairwise %v", ent.Key(), h.sum.tips, fresh.sum.tips, refTips(vals(h.live)))
					}
					if h.metaOK {
						// the kept descriptions follow the history through
						// inserts and folds
						if len(h.meta) != len(h.live) {
							t.Fatalf("key %q: %d descriptions for %d live effects", ent.Key(), len(h.meta), len(h.live))
						}
						for i, x := range h.live {
							if h.meta[i] != laterOf(x) {
								t.Fatalf("key %q: effect %d described as %+v, is %+v", ent.Key(), i, h.meta[i], laterOf(x))
							}
						}
					}
					if !h.sum.ok {
						continue
					}
					if h.sum.other != fresh.sum.other || h.sum.deltas != fresh.sum.deltas {
						t.Fatalf("key %q: cached other %d, fresh %d", ent.Key(), h.sum.other, fresh.sum.other)
					}
					for _, o := range fresh.sum.last {
						if got, _ := h.sum.last.get(o.node); got != o.seq || len(h.sum.last) != len(fresh.sum.last) {
							t.Fatalf("key %q: cached latest %v, fresh %v", ent.Key(), h.sum.last, fresh.sum.last)
						}
					}
				}
			})
		}
	}
}

// stringWriter makes only string writes and TTLs (SET with and without
// KEEPTTL or EX, INCRBY, APPEND, EXPIRE/PERSIST) on three keys: concurrent
// SETs over such histories take the shadowed fast path.
func stringWriter(r *rand.Rand, en *Engine) {
	key := []byte("k" + strconv.Itoa(r.Intn(3)))
	tx := en.Begin1(0, key)
	defer tx.End()
	ent := tx.Get(0, key)
	if ent != nil && ent.Kind != keyspace.KindString {
		return
	}
	switch r.Intn(6) {
	case 0, 1, 2:
		exp := int64(0)
		if r.Intn(3) == 0 {
			exp = 4_000_000_000_000 + int64(r.Intn(1000))
		}
		tx.Assign(0, key, []byte(strconv.Itoa(r.Intn(50))), exp, r.Intn(4) == 0)
	case 3:
		if ent == nil || isInt(ent.Str) {
			tx.AddInt(0, key, int64(r.Intn(7)-2))
		}
	case 4:
		tx.Append(0, key, []byte{'a' + byte(r.Intn(26))})
	case 5:
		if ent != nil {
			tx.SetExpire(0, key, int64(r.Intn(2))*(4_000_000_000_000+int64(r.Intn(1000))))
		}
	}
}

// The summaries kept incrementally stay equal to recomputed ones under
// random concurrent traffic of every type, partial delivery and folds.
func TestHistorySummaryUnderTraffic(t *testing.T) {
	all := []func(*rand.Rand, *Engine){randomWrite, stringWriter}
	for _, w := range typeWriters {
		all = append(all, w)
	}
	for seed := int64(0); seed < 120; seed++ {
		r := rand.New(rand.NewSource(seed))
		writers := all
		if seed%2 == 0 {
			writers = all[1:2] // strings only: concurrent SETs shadowed by later ones
		}
		members := []effect.NodeID{11, 12, 13}
		var ens []*Engine
		var sinks []*collector
		for _, m := range members {
			s := &collector{}
			sinks = append(sinks, s)
			ens = append(ens, New(Config{Node: m, Members: members, Databases: 2, Sink: s}))
		}
		sent := [3][3]int{}
		for round := 0; round < 30; round++ {
			for _, en := range ens {
				for k := r.Intn(8); k > 0; k-- {
					writers[r.Intn(len(writers))](r, en)
				}
			}
			for i := range ens {
				for j := range ens {
					if i == j {
						continue
					}
					avail := len(sinks[i].out) - sent[i][j]
					k := r.Intn(avail + 1)
					for _, e := range sinks[i].out[sent[i][j] : sent[i][j]+k] {
						ens[j].Apply(&e)
					}
					sent[i][j] += k
				}
			}
			if r.Intn(4) == 0 {
				for i, en := range ens {
					for j, o := range ens {
						if i != j && r.Intn(2) == 0 {
							en.ObserveFrontier(o.Node(), o.Frontier())
						}
					}
					en.Compact()
				}
			}
			for _, en := range ens {
				checkSummaries(t, en)
			}
		}
	}
}

// ptrs is live as the engine keeps it: pointers to the effects.
func ptrs(live []effect.Effect) []*effect.Effect {
	out := make([]*effect.Effect, len(live))
	for i := range live {
		out[i] = &live[i]
	}
	return out
}

// vals copies the effects live points to.
func vals(live []*effect.Effect) []effect.Effect {
	out := make([]effect.Effect, len(live))
	for i, x := range live {
		out[i] = *x
	}
	return out
}
