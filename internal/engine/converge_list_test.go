package engine

import (
	"math/rand"
	"strconv"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

func init() { typeWriters["list"] = randomListWrite }

// randomListWrite makes the effects list commands make: pushes at either
// end, pops with counts, LINSERT, LSET, LREM, LTRIM, LMOVE (on one key and
// between two), a replacing copy (RENAME/COPY/RESTORE), EXPIRE and DEL —
// deciding from the list it sees, as the command layer does.
func randomListWrite(r *rand.Rand, en *Engine) {
	db := r.Intn(2)
	key := []byte("k" + strconv.Itoa(r.Intn(6)))
	val := func() []byte {
		switch r.Intn(4) {
		case 0:
			return []byte(strconv.Itoa(r.Intn(20)))
		case 1:
			return []byte("v" + strconv.Itoa(r.Intn(20)))
		case 2:
			return []byte(strconv.Itoa(r.Intn(100000) - 50000))
		}
		return []byte{byte('a' + r.Intn(26))}
	}
	op := r.Intn(14)
	if op == 13 { // LMOVE between two keys
		dst := []byte("k" + strconv.Itoa(r.Intn(6)))
		tx := en.Begin(db, key, dst)
		defer tx.End()
		src, dent := tx.Get(db, key), tx.Get(db, dst)
		if src == nil || src.Kind != keyspace.KindList || (dent != nil && dent.Kind != keyspace.KindList) {
			return
		}
		l := src.Obj().(*crdt.List)
		fromHead, toHead := r.Intn(2) == 0, r.Intn(2) == 0
		i := 0
		if !fromHead {
			i = l.Len() - 1
		}
		v := append([]byte(nil), l.Index(i, nil)...)
		p := tx.Payload()
		crdt.EncodeListPop(p, l, fromHead, 1)
		if string(key) == string(dst) {
			crdt.EncodeListPush(p, toHead, [][]byte{v})
			tx.Coll(db, key, effect.OpList, p)
			return
		}
		tx.Coll(db, key, effect.OpList, p)
		p = tx.Payload()
		crdt.EncodeListPush(p, toHead, [][]byte{v})
		tx.Coll(db, dst, effect.OpList, p)
		return
	}
	tx := en.Begin1(db, key)
	defer tx.End()
	ent := tx.Get(db, key)
	if ent != nil && ent.Kind != keyspace.KindList {
		if r.Intn(3) == 0 {
			tx.Delete(db, key)
		}
		return
	}
	var l *crdt.List
	if ent != nil {
		l = ent.Obj().(*crdt.List)
	}
	p := tx.Payload()
	switch {
	case op <= 3 || l == nil && op <= 9:
		vals := make([][]byte, 1+r.Intn(3))
		for i := range vals {
			vals[i] = val()
		}
		crdt.EncodeListPush(p, r.Intn(2) == 0, vals)
	case l == nil:
		return
	case op == 4:
		crdt.EncodeListPop(p, l, r.Intn(2) == 0, 1+r.Intn(2))
	case op == 5:
		crdt.EncodeListInsert(p, l, r.Intn(l.Len()), r.Intn(2) == 0, val())
	case op == 6:
		crdt.EncodeListSet(p, l, r.Intn(l.Len()), val())
	case op == 7: // LREM of one value
		target := append([]byte(nil), l.Index(r.Intn(l.Len()), nil)...)
		var idx []int
		var ids []crdt.ElemID
		it := l.Iter(0, false)
		for i := 0; ; i++ {
			eq, ok := it.NextEqual(target)
			if !ok {
				break
			}
			if eq {
				idx = append(idx, i)
				ids = append(ids, it.LastID())
			}
		}
		crdt.EncodeListRemove(p, l, idx, ids)
	case op == 8: // LTRIM
		a := r.Intn(l.Len())
		b := a + r.Intn(l.Len()-a)
		crdt.EncodeListPop(p, l, true, a)
		crdt.EncodeListPop(p, l, false, l.Len()-1-b) // possibly nothing: still written
	case op == 9: // LMOVE on one key (rotate)
		v := append([]byte(nil), l.Index(l.Len()-1, nil)...)
		crdt.EncodeListPop(p, l, false, 1)
		crdt.EncodeListPush(p, true, [][]byte{v})
	case op == 10: // a replacing copy of itself (RESTORE ... REPLACE, COPY)
		l.Snapshot(p)
		tx.CollReplace(db, key, effect.OpList, p, 0, false)
		return
	case op == 11:
		tx.SetExpire(db, key, 4_000_000_000_000+int64(r.Intn(9)))
		return
	default:
		tx.Delete(db, key)
		return
	}
	tx.Coll(db, key, effect.OpList, p)
}
