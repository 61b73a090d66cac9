package engine

import (
	"math/rand"
	"strconv"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

func init() { typeWriters["hll"] = randomHLLWrite }

// readHLL returns the HLL at key (nil when missing); ok is false when the
// key holds something PFADD would refuse.
func readHLL(tx *Tx, db int, key []byte) (b []byte, ok bool) {
	ent := tx.Get(db, key)
	if ent == nil {
		return nil, true
	}
	if ent.Kind != keyspace.KindString || ent.Enc == keyspace.EncInt || !crdt.HLLValid(ent.Str) {
		return nil, false
	}
	return ent.Str, true
}

// randomHLLWrite makes the effects of the HyperLogLog commands, deciding
// as they do: PFADD (the register updates that raise a register), PFCOUNT
// (caching, when the cache is stale), PFMERGE (the maxima of other keys),
// PFDEBUG TODENSE, DEL and EXPIRE.
func randomHLLWrite(r *rand.Rand, en *Engine) {
	db := r.Intn(2)
	key := []byte("k" + strconv.Itoa(r.Intn(6)))
	switch op := r.Intn(10); {
	case op < 5: // PFADD
		tx := en.Begin1(db, key)
		defer tx.End()
		cur, ok := readHLL(tx, db, key)
		if !ok {
			if r.Intn(3) == 0 {
				tx.Delete(db, key)
			}
			return
		}
		var elems [][]byte
		for n := r.Intn(6); n > 0; n-- {
			elems = append(elems, []byte("e"+strconv.Itoa(r.Intn(400))))
		}
		p := tx.Payload()
		if write, _, _ := crdt.HLLPlanAdd(p, cur, elems); write {
			tx.HLL(db, key, p)
		}
	case op == 5: // PFCOUNT
		tx := en.Begin1(db, key)
		defer tx.End()
		cur, ok := readHLL(tx, db, key)
		if !ok || cur == nil {
			return
		}
		if _, valid := crdt.HLLCached(cur); !valid {
			p := tx.Payload()
			p.Byte(crdt.HLLCache)
			tx.HLL(db, key, p)
		}
	case op == 6 || op == 7: // PFMERGE key src
		src := []byte("k" + strconv.Itoa(r.Intn(6)))
		tx := en.Begin(db, key, src)
		defer tx.End()
		var max [crdt.HLLRegisters]uint8
		dense := false
		for _, k := range [][]byte{key, src} {
			b, ok := readHLL(tx, db, k)
			if !ok {
				return
			}
			if b != nil {
				dense = dense || crdt.HLLIsDense(b)
				crdt.HLLMergeInto(&max, b)
			}
		}
		p := tx.Payload()
		crdt.EncodeHLLMerge(p, dense, &max)
		tx.HLL(db, key, p)
	case op == 8: // PFDEBUG TODENSE
		tx := en.Begin1(db, key)
		defer tx.End()
		cur, ok := readHLL(tx, db, key)
		if ok && cur != nil && !crdt.HLLIsDense(cur) {
			p := tx.Payload()
			p.Byte(crdt.HLLDense)
			tx.HLL(db, key, p)
		}
	default:
		tx := en.Begin1(db, key)
		defer tx.End()
		if tx.Get(db, key) != nil {
			if r.Intn(2) == 0 {
				tx.Delete(db, key)
			} else {
				tx.SetExpire(db, key, 4_000_000_000_000+int64(r.Intn(9)))
			}
		}
	}
}

// TestHLLConvergesSmallSparse: TestTypesConverge/hll with a sparse limit
// small enough that PFADDs promote sparse HLLs to dense in some orders of
// delivery and not in others; the bytes still converge.
func TestHLLConvergesSmallSparse(t *testing.T) {
	defer func(v int) { crdt.HLLSparseMaxBytes = v }(crdt.HLLSparseMaxBytes)
	crdt.HLLSparseMaxBytes = 60
	seeds := 300
	if testing.Short() {
		seeds = 60
	}
	for seed := 0; seed < seeds; seed++ {
		if err := convergeOnce(int64(seed), 3, randomHLLWrite); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}
