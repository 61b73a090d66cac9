package engine

import (
	"math"
	"math/rand"
	"strconv"
	"strings"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

func init() { typeWriters["zset"] = randomZSetWrite }

// randomZSetWrite makes the effects the sorted-set commands make: ZADD
// assignments (after NX/XX/GT/LT decisions), ZINCRBY increments (refused
// when the result would be NaN), ZREM, pops and range removals of members
// read from the current value, replacing stores in each build mode, TTLs
// and DEL, over a small member pool (with now and then a member too long
// for a listpack).
func randomZSetWrite(r *rand.Rand, en *Engine) {
	db := r.Intn(2)
	key := []byte("k" + strconv.Itoa(r.Intn(6)))
	tx := en.Begin1(db, key)
	defer tx.End()
	ent := tx.Get(db, key)
	if ent != nil && ent.Kind != keyspace.KindZSet {
		if r.Intn(3) == 0 {
			tx.Delete(db, key)
		}
		return
	}
	var z *crdt.ZSet
	if ent != nil {
		z = ent.Obj().(*crdt.ZSet)
	}
	member := func() []byte {
		if r.Intn(40) == 0 {
			return []byte(strings.Repeat("L", 70) + strconv.Itoa(r.Intn(2)))
		}
		return []byte("m" + strconv.Itoa(r.Intn(10)))
	}
	score := func() float64 {
		switch r.Intn(10) {
		case 0:
			return math.Inf(1 - 2*r.Intn(2))
		case 1:
			return math.Copysign(0, -1)
		case 2:
			return float64(r.Intn(100)) / 10
		}
		return float64(r.Intn(7) - 3)
	}
	p := tx.Payload()
	switch r.Intn(12) {
	case 0, 1, 2, 3:
		w := crdt.BeginZSet(p, crdt.ZSetAssign, 0)
		for i := 1 + r.Intn(3); i > 0; i-- {
			w.Pair(member(), score())
		}
		w.End()
		tx.Coll(db, key, effect.OpZSet, p)
	case 4, 5:
		m, d := member(), score()
		if z != nil {
			if cur, ok := z.Score(m); ok && math.IsNaN(cur+d) {
				return // ZINCRBY refuses: "resulting score is not a number"
			}
		}
		w := crdt.BeginZSet(p, crdt.ZSetIncr, 0)
		w.Pair(m, d)
		w.End()
		tx.Coll(db, key, effect.OpZSet, p)
	case 6, 7:
		if z == nil {
			return
		}
		w := crdt.BeginZSet(p, crdt.ZSetRem, 0)
		if r.Intn(2) == 0 {
			// ZREM of members that are there
			for i := 1 + r.Intn(2); i > 0; i-- {
				m := member()
				if _, ok := z.Score(m); ok {
					w.Member(m)
				}
			}
		} else {
			// a pop or a range removal: exactly the members of a rank range
			lo := r.Intn(z.Len())
			hi := lo + 1 + r.Intn(z.Len()-lo)
			z.Range(lo, hi-1, false, func(m string, _ float64) bool { w.MemberString(m); return true })
		}
		if w.Count() == 0 {
			return
		}
		w.End()
		tx.Coll(db, key, effect.OpZSet, p)
	case 8:
		w := crdt.BeginZSet(p, crdt.ZSetSnap, byte(r.Intn(3)))
		seen := map[string]bool{}
		for i := 1 + r.Intn(4); i > 0; i-- {
			m := member()
			if !seen[string(m)] {
				seen[string(m)] = true
				w.Pair(m, score())
			}
		}
		w.End()
		tx.CollReplace(db, key, effect.OpZSet, p, 0, false)
	case 9:
		if z != nil {
			// RENAME/COPY onto itself would be a no-op; a snapshot of the
			// value as COPY writes it
			z.Snapshot(p)
			tx.CollReplace(db, key, effect.OpZSet, p, 0, false)
		}
	case 10:
		if z != nil {
			tx.SetExpire(db, key, 4_000_000_000_000+int64(r.Intn(9)))
		}
	case 11:
		if z != nil {
			tx.Delete(db, key)
		}
	}
}
