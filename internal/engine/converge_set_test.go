package engine

import (
	"math/rand"
	"strconv"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

func init() { typeWriters["set"] = randomSetWrite }

// randomSetWrite is SADD / SREM / a replacing store / DEL on small sets of
// integer and text members (so both encodings occur).
func randomSetWrite(r *rand.Rand, en *Engine) {
	db := r.Intn(2)
	key := []byte("k" + strconv.Itoa(r.Intn(6)))
	tx := en.Begin1(db, key)
	defer tx.End()
	ent := tx.Get(db, key)
	if ent != nil && ent.Kind != keyspace.KindSet {
		if r.Intn(3) == 0 {
			tx.Delete(db, key)
		}
		return
	}
	members := func() [][]byte {
		ms := make([][]byte, 1+r.Intn(3))
		for i := range ms {
			if r.Intn(2) == 0 {
				ms[i] = []byte(strconv.Itoa(r.Intn(8)))
			} else {
				ms[i] = []byte("m" + strconv.Itoa(r.Intn(8)))
			}
		}
		return ms
	}
	p := tx.Payload()
	switch r.Intn(8) {
	case 0, 1, 2:
		crdt.EncodeSet(p, crdt.SetAdd, members())
		tx.Coll(db, key, effect.OpSet, p)
	case 3, 4:
		if ent != nil {
			crdt.EncodeSet(p, crdt.SetRem, members())
			tx.Coll(db, key, effect.OpSet, p)
		}
	case 5:
		crdt.EncodeSet(p, crdt.SetAdd, members())
		tx.CollReplace(db, key, effect.OpSet, p, 0, false)
	case 6:
		if ent != nil {
			tx.SetExpire(db, key, 4_000_000_000_000+int64(r.Intn(9)))
		}
	case 7:
		if ent != nil {
			tx.Delete(db, key)
		}
	}
}
