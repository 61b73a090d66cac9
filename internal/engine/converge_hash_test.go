package engine

import (
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

func init() { typeWriters["hash"] = randomHashWrite }

// randomHashWrite is HSET / HSETNX / HMSET / HSETEX / HINCRBY /
// HINCRBYFLOAT / HDEL / HEXPIRE / HPERSIST / a replacing store / DEL /
// EXPIRE on small hashes, validating as the command layer does (so only
// effects a real command could make). Limits are lowered so that every
// encoding and conversion occurs.
func randomHashWrite(r *rand.Rand, en *Engine) {
	db := r.Intn(2)
	key := []byte("k" + strconv.Itoa(r.Intn(6)))
	tx := en.Begin1(db, key)
	defer tx.End()
	ent := tx.Get(db, key)
	if ent != nil && ent.Kind != keyspace.KindHash {
		if r.Intn(3) == 0 {
			tx.Delete(db, key)
		}
		return
	}
	var h *crdt.Hash
	if ent != nil {
		h = ent.Obj().(*crdt.Hash)
	}
	field := func() []byte {
		if h != nil && h.Len() > 0 && r.Intn(2) == 0 {
			f, _ := h.At(r.Intn(h.Len()))
			return append([]byte(nil), f...)
		}
		if r.Intn(25) == 0 {
			return []byte(strings.Repeat("F", 70))
		}
		return []byte("f" + strconv.Itoa(r.Intn(10)))
	}
	value := func() []byte {
		switch r.Intn(8) {
		case 0:
			return []byte(strings.Repeat("V", 70))
		case 1, 2, 3:
			return []byte(strconv.Itoa(r.Intn(40) - 20))
		case 4:
			return []byte(strconv.Itoa(r.Intn(9)) + ".5")
		}
		return []byte("v" + strconv.Itoa(r.Intn(50)))
	}
	at := func() int64 { return 4_000_000_000_000 + int64(r.Intn(5)) }
	p := tx.Payload()
	switch r.Intn(14) {
	case 0, 1, 2:
		var pairs [][]byte
		for n := 1 + r.Intn(3); n > 0; n-- {
			pairs = append(pairs, field(), value())
		}
		crdt.EncodeHashSet(p, 0, pairs)
	case 3:
		f := field()
		if h != nil {
			if _, ok := h.Get(f); ok {
				return // HSETNX on an existing field writes nothing
			}
		}
		crdt.EncodeHashSet(p, 0, [][]byte{f, value()})
	case 4:
		var pairs [][]byte
		for n := 1 + r.Intn(2); n > 0; n-- {
			pairs = append(pairs, field(), value())
		}
		if r.Intn(2) == 0 {
			crdt.EncodeHashSetTTL(p, pairs, at())
		} else {
			crdt.EncodeHashSet(p, crdt.HashKeepTTL, pairs)
		}
	case 5, 6:
		f := field()
		cur := int64(0)
		if h != nil {
			if v, ok := h.Get(f); ok {
				c, ok := ParseInt(v)
				if !ok {
					return
				}
				cur = c
			}
		}
		d := int64(r.Intn(20) - 8)
		if (d > 0 && cur > math.MaxInt64-d) || (d < 0 && cur < math.MinInt64-d) {
			return
		}
		crdt.EncodeHashIncr(p, f, d)
	case 7:
		f := field()
		incr := []byte(strconv.Itoa(r.Intn(5)) + "." + strconv.Itoa(r.Intn(100)))
		if h != nil {
			if v, ok := h.Get(f); ok {
				if _, ok := ParseLongDouble(v); !ok {
					return
				}
			}
		}
		crdt.EncodeHashIncrFloat(p, f, incr)
	case 8, 9:
		if h == nil {
			return
		}
		var fs [][]byte
		for n := 1 + r.Intn(2); n > 0; n-- {
			fs = append(fs, field())
		}
		crdt.EncodeHashDel(p, fs)
	case 10:
		if h == nil {
			return
		}
		var fs [][]byte
		var ats []int64
		for n := 1 + r.Intn(2); n > 0; n-- {
			f := field()
			if _, ok := h.Get(f); !ok {
				continue
			}
			if r.Intn(3) == 0 {
				if h.TTL(f) == 0 {
					continue
				}
				fs, ats = append(fs, f), append(ats, 0)
			} else {
				fs, ats = append(fs, f), append(ats, at())
			}
		}
		crdt.EncodeHashTTL(p, fs, ats)
	case 11:
		var es []crdt.HashEntry
		for n := 1 + r.Intn(3); n > 0; n-- {
			e := crdt.HashEntry{Field: field(), Value: value()}
			if r.Intn(3) == 0 {
				e.At = at()
			}
			dup := false
			for _, x := range es {
				dup = dup || string(x.Field) == string(e.Field)
			}
			if !dup {
				es = append(es, e)
			}
		}
		enc := []string{"listpack", "listpackex", "hashtable"}[r.Intn(3)]
		crdt.EncodeHashValue(p, enc, es)
		tx.CollReplace(db, key, effect.OpHash, p, 0, false)
		return
	case 12:
		if h != nil {
			tx.SetExpire(db, key, 4_000_000_000_000+int64(r.Intn(9)))
		}
		return
	case 13:
		if h != nil {
			tx.Delete(db, key)
		}
		return
	}
	tx.Coll(db, key, effect.OpHash, p)
}

// hashLimits lowers the listpack limits for a test.
func hashLimits(t *testing.T, entries, value int) {
	e, v := crdt.HashMaxListpackEntries, crdt.HashMaxListpackValue
	crdt.HashMaxListpackEntries, crdt.HashMaxListpackValue = entries, value
	t.Cleanup(func() { crdt.HashMaxListpackEntries, crdt.HashMaxListpackValue = e, v })
}

// hashLayout renders every hash of an engine with its encoding and, for
// listpacks, its order: what HGETALL and OBJECT ENCODING would show.
func hashLayout(en *Engine) string {
	var b strings.Builder
	for db := 0; db < en.Databases(); db++ {
		for i := 0; i < 6; i++ {
			k := []byte("k" + strconv.Itoa(i))
			tx := en.Begin1(db, k)
			if e := tx.Peek(db, k); e != nil && e.Kind == keyspace.KindHash {
				h := e.Obj().(*crdt.Hash)
				fmt.Fprintf(&b, "db%d %s %s:", db, k, h.Encoding())
				if !h.IsHashtable() {
					h.EachTTL(func(f, v []byte, at int64) bool {
						fmt.Fprintf(&b, " %s=%s@%d", f, v, at)
						return true
					})
				}
				b.WriteString("\n")
			}
			tx.End()
		}
	}
	return b.String()
}

// TestHashLayoutConverges: beyond equal contents (TestTypesConverge), the
// engines agree on each hash's encoding and on a listpack's field order, so
// HGETALL answers alike on every node. Same exchange as convergeOnce.
func TestHashLayoutConverges(t *testing.T) {
	hashLimits(t, 6, 20)
	seeds := 600
	if testing.Short() {
		seeds = 100
	}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		members := []effect.NodeID{100, 101, 102}
		ens := make([]*Engine, 3)
		sinks := make([]*collector, 3)
		for i := range ens {
			sinks[i] = &collector{}
			ens[i] = New(Config{Node: members[i], Members: members, Databases: 2, Sink: sinks[i]})
		}
		sent := [3][3]int{}
		exchange := func(full bool) {
			for j := range ens {
				for i := range ens {
					if i == j {
						continue
					}
					avail := sinks[i].out[sent[i][j]:]
					k := len(avail)
					if !full && k > 0 {
						k = r.Intn(k + 1)
					}
					take := append([]effect.Effect(nil), avail[:k]...)
					sent[i][j] += k
					r.Shuffle(len(take), func(a, b int) { take[a], take[b] = take[b], take[a] })
					deliverTo(r, ens[j], take)
				}
			}
		}
		for round := 3 + r.Intn(5); round > 0; round-- {
			for i := range ens {
				for w := r.Intn(10); w > 0; w-- {
					randomHashWrite(r, ens[i])
				}
			}
			exchange(false)
			if r.Intn(3) == 0 {
				for _, en := range ens {
					en.Compact()
				}
			}
		}
		exchange(true)
		exchange(true)
		want := hashLayout(ens[0])
		for i, en := range ens {
			if got := hashLayout(en); got != want {
				t.Fatalf("seed %d: engine %d layout\n%s\nengine 0\n%s", seed, i, got, want)
			}
		}
		for i, en := range ens {
			for j, other := range ens {
				if i != j {
					en.ObserveFrontier(other.Node(), other.Frontier())
				}
			}
		}
		for i, en := range ens {
			en.Compact()
			if got := hashLayout(en); got != want {
				t.Fatalf("seed %d: engine %d layout changed by compaction\n%s\nbefore\n%s", seed, i, got, want)
			}
		}
	}
}
