package engine

import (
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

func init() { typeWriters["set"] = randomSetWrite }

// setMemberPool mixes small integers, wide integers (intset widths) and
// text, so both encodings and every intset width occur.
func randomSetMember(r *rand.Rand) []byte {
	switch r.Intn(6) {
	case 0, 1, 2:
		return []byte(strconv.Itoa(r.Intn(8)))
	case 3:
		return []byte([]string{"70000", "-40000", "5000000000", "-9223372036854775808"}[r.Intn(4)])
	default:
		return []byte("m" + strconv.Itoa(r.Intn(8)))
	}
}

// readSet returns the set at key, nil when missing; ok is false when the
// key holds another kind (the command would reply WRONGTYPE).
func readSet(tx *Tx, db int, key []byte) (s *crdt.Set, ok bool) {
	ent := tx.Get(db, key)
	if ent == nil {
		return nil, true
	}
	if ent.Kind != keyspace.KindSet {
		return nil, false
	}
	s, _ = ent.Obj().(*crdt.Set)
	return s, true
}

// randomSetWrite makes the effects the set commands make, deciding as they
// do from the local state: SADD (the members it adds), SREM (the members it
// removes), SPOP (picked members; the rebuild form when most go; DEL when
// all go), SMOVE (two keys), the *STORE forms (a replace computed from other
// keys), COPY/RESTORE (a snapshot), EXPIRE and DEL.
func randomSetWrite(r *rand.Rand, en *Engine) {
	db := r.Intn(2)
	key := []byte("k" + strconv.Itoa(r.Intn(6)))
	op := r.Intn(14)
	if op == 9 || op == 10 { // SMOVE, *STORE: two keys
		other := []byte("k" + strconv.Itoa(r.Intn(6)))
		tx := en.Begin(db, key, other)
		defer tx.End()
		if op == 9 {
			setMoveWrite(r, tx, db, key, other)
		} else {
			setStoreWrite(r, tx, db, key, other)
		}
		return
	}
	tx := en.Begin1(db, key)
	defer tx.End()
	s, ok := readSet(tx, db, key)
	if !ok {
		if r.Intn(3) == 0 {
			tx.Delete(db, key)
		}
		return
	}
	p := tx.Payload()
	switch op {
	case 0, 1, 2, 3: // SADD
		var add [][]byte
		for n := 1 + r.Intn(3); n > 0; n-- {
			m := randomSetMember(r)
			if (s == nil || !s.Contains(m)) && !containsBytes(add, m) {
				add = append(add, m)
			}
		}
		if len(add) > 0 {
			crdt.EncodeSet(p, crdt.SetAdd, add)
			tx.Coll(db, key, effect.OpSet, p)
		}
	case 4, 5: // SREM
		if s == nil {
			return
		}
		var rem [][]byte
		for n := 1 + r.Intn(3); n > 0; n-- {
			m := randomSetMember(r)
			if s.Contains(m) && !containsBytes(rem, m) {
				rem = append(rem, m)
			}
		}
		if len(rem) > 0 {
			crdt.EncodeSet(p, crdt.SetRem, rem)
			tx.Coll(db, key, effect.OpSet, p)
		}
	case 6: // SPOP [count]
		if s == nil {
			return
		}
		n := 1 + r.Intn(s.Len()+1)
		if n >= s.Len() {
			tx.Delete(db, key)
			return
		}
		sub := crdt.SetRem
		if (s.Len()-n)*5 <= n {
			sub = crdt.SetRebuild
		}
		idx := r.Perm(s.Len())[:n]
		ms := make([][]byte, n)
		for i, j := range idx {
			ms[i] = []byte(s.At(j))
		}
		crdt.EncodeSet(p, sub, ms)
		tx.Coll(db, key, effect.OpSet, p)
	case 7: // COPY / RESTORE of another set: a snapshot
		src := crdt.NewSet()
		for n := 1 + r.Intn(4); n > 0; n-- {
			src.Add(randomSetMember(r))
		}
		src.Snapshot(p)
		tx.CollReplace(db, key, effect.OpSet, p, 0, false)
	case 8, 11:
		if s != nil {
			tx.SetExpire(db, key, 4_000_000_000_000+int64(r.Intn(9)))
		}
	default:
		if s != nil {
			tx.Delete(db, key)
		}
	}
}

func containsBytes(list [][]byte, m []byte) bool {
	for _, x := range list {
		if string(x) == string(m) {
			return true
		}
	}
	return false
}

// setMoveWrite is SMOVE src dst member.
func setMoveWrite(r *rand.Rand, tx *Tx, db int, src, dst []byte) {
	ss, ok := readSet(tx, db, src)
	if !ok || ss == nil {
		return
	}
	ds, ok := readSet(tx, db, dst)
	if !ok || string(src) == string(dst) {
		return
	}
	m := randomSetMember(r)
	if !ss.Contains(m) {
		return
	}
	inDst := ds != nil && ds.Contains(m)
	p := tx.Payload()
	crdt.EncodeSet(p, crdt.SetRem, [][]byte{m})
	tx.Coll(db, src, effect.OpSet, p)
	if !inDst {
		p = tx.Payload()
		crdt.EncodeSet(p, crdt.SetAdd, [][]byte{m})
		tx.Coll(db, dst, effect.OpSet, p)
	}
}

// setStoreWrite is SUNIONSTORE/SINTERSTORE/SDIFFSTORE dst dst src: the
// result replaces dst, or dst is deleted when the result is empty.
func setStoreWrite(r *rand.Rand, tx *Tx, db int, dst, src []byte) {
	a, ok1 := readSet(tx, db, dst)
	b, ok2 := readSet(tx, db, src)
	if !ok1 || !ok2 {
		return
	}
	in := func(s *crdt.Set, m string) bool { return s != nil && s.Contains([]byte(m)) }
	var all []string
	for _, s := range []*crdt.Set{a, b} {
		if s != nil {
			s.EachString(func(m string) bool { all = append(all, m); return true })
		}
	}
	sort.Strings(all)
	kind := r.Intn(3)
	var res [][]byte
	for i, m := range all {
		if i > 0 && all[i-1] == m {
			continue
		}
		if kind == 0 || (kind == 1 && in(a, m) && in(b, m)) || (kind == 2 && in(a, m) && !in(b, m)) {
			res = append(res, []byte(m))
		}
	}
	if len(res) == 0 {
		if tx.Get(db, dst) != nil {
			tx.Delete(db, dst)
		}
		return
	}
	r.Shuffle(len(res), func(i, j int) { res[i], res[j] = res[j], res[i] })
	p := tx.Payload()
	crdt.EncodeSet(p, crdt.SetAdd, res)
	tx.CollReplace(db, dst, effect.OpSet, p, 0, false)
}

// TestSetEncodingConverges: beyond equal contents (TestTypesConverge), the
// nodes agree on each set's encoding and intset width, whatever order the
// effects came in and whenever history was folded.
func TestSetEncodingConverges(t *testing.T) {
	saved := crdt.SetMaxIntsetEntries
	crdt.SetMaxIntsetEntries = 5 // conversions happen with small sets
	defer func() { crdt.SetMaxIntsetEntries = saved }()
	seeds := 400
	if testing.Short() {
		seeds = 100
	}
	for seed := 0; seed < seeds; seed++ {
		if err := setEncodingOnce(int64(seed)); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}

func setEncodingOnce(seed int64) error {
	r := rand.New(rand.NewSource(seed))
	members := []effect.NodeID{1, 2, 3}
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
	for round := 0; round < 3+r.Intn(5); round++ {
		for _, en := range ens {
			for w := r.Intn(10); w > 0; w-- {
				randomSetWrite(r, en)
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
	want := setEncodings(ens[0])
	for i, en := range ens[1:] {
		if got := setEncodings(en); got != want {
			return fmt.Errorf("engine %d: %s\nengine 0: %s", i+1, got, want)
		}
	}
	return nil
}

// setEncodings describes every set: contents, encoding, intset width.
func setEncodings(en *Engine) string {
	out := ""
	for db := 0; db < en.Databases(); db++ {
		for i := 0; i < 6; i++ {
			k := []byte("k" + strconv.Itoa(i))
			tx := en.Begin1(db, k)
			if e := tx.Peek(db, k); e != nil {
				if s, ok := e.Obj().(*crdt.Set); ok {
					out += fmt.Sprintf("db%d %s %s/%d %s; ", db, k, s.Encoding(), s.IntsetWidth(), describeObj(s))
				}
			}
			tx.End()
		}
	}
	return out
}
