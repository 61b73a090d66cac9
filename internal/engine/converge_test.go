package engine

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

type collector struct{ out []effect.Effect }

func (c *collector) Emit(e *effect.Effect, local bool) {
	if local {
		c.out = append(c.out, e.Clone())
	}
}

// randomWrite performs one random string/keyspace write on en, validating like
// the command layer does (so only effects a real command could make).
func randomWrite(r *rand.Rand, en *Engine) {
	db := r.Intn(2)
	key := []byte("k" + strconv.Itoa(r.Intn(6)))
	far := int64(4_000_000_000_000) + int64(r.Intn(1000))
	if r.Intn(40) == 0 {
		tx := en.BeginDBs(db)
		tx.FlushDB(db)
		tx.End()
		return
	}
	tx := en.Begin1(db, key)
	defer tx.End()
	ent := tx.Get(db, key)
	op := r.Intn(11)
	if ent != nil && ent.Kind != keyspace.KindString && op >= 2 && op <= 7 {
		return // WRONGTYPE: only SET, EXPIRE and DEL apply to another kind
	}
	switch op {
	case 0, 1:
		val := []byte(strconv.Itoa(r.Intn(100)))
		if r.Intn(3) == 0 {
			val = []byte(fmt.Sprintf("v%d", r.Intn(100)))
		}
		exp := int64(0)
		if r.Intn(3) == 0 {
			exp = far
		}
		tx.Assign(db, key, val, exp, r.Intn(4) == 0)
	case 2, 3:
		if ent == nil {
			tx.AddInt(db, key, int64(r.Intn(10)-3))
		} else if _, ok := ParseInt(ent.Str); ok {
			tx.AddInt(db, key, int64(r.Intn(10)-3))
		}
	case 4:
		incr := []byte(fmt.Sprintf("%d.%d", r.Intn(5), r.Intn(100)))
		if ent == nil {
			tx.AddFloat(db, key, incr)
		} else if _, ok := ParseLongDouble(ent.Str); ok {
			tx.AddFloat(db, key, incr)
		}
	case 5:
		tx.Append(db, key, []byte{byte('a' + r.Intn(26))})
	case 6:
		tx.SetRange(db, key, int64(r.Intn(8)), []byte("xy"))
	case 7:
		tx.SetBit(db, key, int64(r.Intn(40)), r.Intn(2) == 0)
	case 8:
		if ent != nil {
			if r.Intn(2) == 0 {
				tx.SetExpire(db, key, far)
			} else {
				tx.SetExpire(db, key, 0)
			}
		}
	case 9, 10:
		if ent != nil {
			tx.Delete(db, key)
		}
	}
}

func TestEnginesConverge(t *testing.T) {
	seeds := 1000
	if testing.Short() {
		seeds = 200
	}
	for seed := 0; seed < seeds; seed++ {
		n := 2 + seed%2 // two and three engines
		if err := convergeOnce(int64(seed), n, randomWrite); err != nil {
			t.Fatalf("seed %d (%d engines): %v", seed, n, err)
		}
	}
}

// typeWriters holds, per collection type, a random writer like randomWrite
// (validating as the command layer does). Each type's test file adds its own.
var typeWriters = map[string]func(r *rand.Rand, en *Engine){}

// TestTypesConverge: per type, three engines apply random concurrent writes
// (mixed with string writes on the same keys, for type conflicts), exchange
// them in random orders with duplicates and partial delivery, then fully;
// digests must be equal, and stay equal once all history is folded.
func TestTypesConverge(t *testing.T) {
	seeds := 1000
	if testing.Short() {
		seeds = 150
	}
	if v, err := strconv.Atoi(os.Getenv("LIGHTCONE_CONVERGE_SEEDS")); err == nil && v > 0 {
		seeds = v // more seeds for a change to a merge rule
	}
	for name, w := range typeWriters {
		t.Run(name, func(t *testing.T) {
			mixed := func(r *rand.Rand, en *Engine) {
				if r.Intn(12) == 0 {
					randomWrite(r, en)
					return
				}
				w(r, en)
			}
			for seed := 0; seed < seeds; seed++ {
				if err := convergeOnce(int64(seed), 3, mixed); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
			}
		})
	}
}

func convergeOnce(seed int64, n int, write func(*rand.Rand, *Engine)) error {
	r := rand.New(rand.NewSource(seed))
	members := make([]effect.NodeID, n)
	for i := range members {
		members[i] = effect.NodeID(100 + i)
	}
	ens := make([]*Engine, n)
	sinks := make([]*collector, n)
	for i := range ens {
		sinks[i] = &collector{}
		ens[i] = New(Config{Node: members[i], Members: members, Databases: 2, Sink: sinks[i]})
	}
	// queues[i][j]: effects produced by i not yet handed to j
	sent := make([][]int, n)
	for i := range sent {
		sent[i] = make([]int, n)
	}
	exchange := func(full bool) {
		for j := range ens {
			for i := range ens {
				if i == j {
					continue
				}
				avail := sinks[i].out[sent[i][j]:]
				var take []effect.Effect
				if full {
					take = append(take, avail...)
					sent[i][j] = len(sinks[i].out)
				} else if len(avail) > 0 {
					k := r.Intn(len(avail) + 1)
					take = append(take, avail[:k]...)
					sent[i][j] += k
				}
				// replay some old ones (duplicates) and shuffle
				for d := r.Intn(3); d > 0 && sent[i][j] > 0; d-- {
					take = append(take, sinks[i].out[r.Intn(sent[i][j])])
				}
				r.Shuffle(len(take), func(a, b int) { take[a], take[b] = take[b], take[a] })
				deliverTo(r, ens[j], take)
			}
		}
	}
	rounds := 3 + r.Intn(6)
	for round := 0; round < rounds; round++ {
		for i := range ens {
			for w := r.Intn(12); w > 0; w-- {
				write(r, ens[i])
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
	want := ens[0].Digest()
	for i, en := range ens {
		if p := en.Pending(); p != 0 {
			return fmt.Errorf("engine %d still has %d undelivered effects", i, p)
		}
		if got := en.Digest(); got != want {
			return fmt.Errorf("digest of engine %d = %x, engine 0 = %x\n%s\n%s", i, got, want, dump(ens[0]), dump(en))
		}
	}
	// every member learns every other's frontier: all history becomes stable
	for i, en := range ens {
		for j, other := range ens {
			if i != j {
				en.ObserveFrontier(other.Node(), other.Frontier())
			}
		}
	}
	for i, en := range ens {
		before := dump(en)
		en.Compact()
		if got := en.Digest(); got != want {
			return fmt.Errorf("engine %d digest changed by compaction\n%s\n%s", i, before, dump(en))
		}
		if live := en.LiveEffects(); live != 0 {
			return fmt.Errorf("engine %d keeps %d live effects after full stability", i, live)
		}
		if got := en.Digest(); got != want {
			return fmt.Errorf("engine %d digest changed by compaction", i)
		}
	}
	return nil
}

// deliverTo hands effects to en one by one (Apply) or, half the time, as
// batches of random sizes (ApplyBatch, as the cluster's stream reader does).
func deliverTo(r *rand.Rand, en *Engine, take []effect.Effect) {
	if r.Intn(2) == 0 {
		for k := range take {
			en.Apply(&take[k])
		}
		return
	}
	for len(take) > 0 {
		k := 1 + r.Intn(len(take))
		en.ApplyBatch(take[:k])
		take = take[k:]
	}
}

func dump(en *Engine) string {
	s := ""
	for db := 0; db < en.Databases(); db++ {
		for i := 0; i < 6; i++ {
			k := []byte("k" + strconv.Itoa(i))
			tx := en.Begin1(db, k)
			if e := tx.Peek(db, k); e != nil {
				s += fmt.Sprintf("db%d %s=%q %v ttl=%d; ", db, k, e.Str, describeObj(e.Obj()), e.Expire)
			}
			tx.End()
		}
	}
	return s
}

func describeObj(o any) string {
	if o == nil {
		return ""
	}
	if ob, ok := o.(crdt.Object); ok {
		var b strings.Builder
		ob.Digest(&b)
		return fmt.Sprintf("%s%q", ob.Kind(), b.String())
	}
	return fmt.Sprintf("%T", o)
}
