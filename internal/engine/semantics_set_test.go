package engine

import (
	"sort"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
)

// Worked examples of docs/semantics/set.md: two nodes start from the same
// state, write concurrently, exchange effects and must agree.

// setWrite writes one set effect on key as a command would have decided it.
func setWrite(tx *Tx, key string, op byte, members ...string) {
	p := tx.Payload()
	crdt.EncodeSetStrings(p, op, members)
	tx.Coll(0, []byte(key), effect.OpSet, p)
}

// setStore replaces key with members (the *STORE commands).
func setStore(tx *Tx, key string, members ...string) {
	p := tx.Payload()
	crdt.EncodeSetStrings(p, crdt.SetAdd, members)
	tx.CollReplace(0, []byte(key), effect.OpSet, p, 0, false)
}

func (p *pair) doKeys(en *Engine, keys []string, f func(tx *Tx)) {
	bs := make([][]byte, len(keys))
	for i, k := range keys {
		bs[i] = []byte(k)
	}
	tx := en.Begin(0, bs...)
	f(tx)
	tx.End()
}

// expectSet checks both nodes hold exactly members at key (none: no key).
func (p *pair) expectSet(key string, members ...string) {
	p.t.Helper()
	sort.Strings(members)
	want := strings.Join(members, ",")
	for name, en := range map[string]*Engine{"A": p.a, "B": p.b} {
		tx := en.Begin1(0, []byte(key))
		got := "<no key>"
		if e := tx.Peek(0, []byte(key)); e != nil {
			s, ok := e.Obj().(*crdt.Set)
			if !ok {
				got = "<not a set>"
			} else {
				var ms []string
				s.EachString(func(m string) bool { ms = append(ms, m); return true })
				sort.Strings(ms)
				got = strings.Join(ms, ",")
			}
		}
		tx.End()
		if len(members) == 0 {
			want = "<no key>"
		}
		if got != want {
			p.t.Errorf("node %s: %s = {%s}, want {%s}", name, key, got, want)
		}
	}
	if p.a.Digest() != p.b.Digest() {
		p.t.Errorf("digests differ")
	}
}

func TestSemanticsSetConcurrentAddsUnion(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { setWrite(tx, "x", crdt.SetAdd, "a") })
	p.sync()
	p.do(p.a, func(tx *Tx) { setWrite(tx, "x", crdt.SetAdd, "b") })
	p.do(p.b, func(tx *Tx) { setWrite(tx, "x", crdt.SetAdd, "c") })
	p.sync()
	p.expectSet("x", "a", "b", "c")
}

func TestSemanticsSetAddWinsOverConcurrentRemove(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { setWrite(tx, "x", crdt.SetAdd, "a", "b") })
	p.sync()
	p.wallA, p.wallB = 3000, 2000 // A's SREM is the later write by the clock
	p.do(p.a, func(tx *Tx) { setWrite(tx, "x", crdt.SetRem, "a") })
	p.do(p.b, func(tx *Tx) { setWrite(tx, "x", crdt.SetRem, "a") })
	p.do(p.b, func(tx *Tx) { setWrite(tx, "x", crdt.SetAdd, "a") }) // SADD x a: a was gone on B
	p.sync()
	p.expectSet("x", "a", "b")
}

func TestSemanticsSetReaddOfPresentMemberWritesNothing(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { setWrite(tx, "x", crdt.SetAdd, "a", "b") })
	p.sync()
	p.do(p.a, func(tx *Tx) { setWrite(tx, "x", crdt.SetRem, "a") })
	// B: SADD x a replies 0 and writes no effect: nothing to survive A's SREM
	p.sync()
	p.expectSet("x", "b")
}

func TestSemanticsSetRemoveOfLastMembersVersusAdd(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { setWrite(tx, "x", crdt.SetAdd, "a") })
	p.sync()
	p.do(p.a, func(tx *Tx) { setWrite(tx, "x", crdt.SetRem, "a") }) // the key goes on A
	p.do(p.b, func(tx *Tx) { setWrite(tx, "x", crdt.SetAdd, "b") })
	p.sync()
	p.expectSet("x", "b")
}

func TestSemanticsSetConcurrentPopsOfOneMember(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { setWrite(tx, "x", crdt.SetAdd, "a", "b", "c") })
	p.sync()
	// both SPOPs happened to pick a: both clients got "a", it is gone once
	p.do(p.a, func(tx *Tx) { setWrite(tx, "x", crdt.SetRem, "a") })
	p.do(p.b, func(tx *Tx) { setWrite(tx, "x", crdt.SetRem, "a") })
	p.sync()
	p.expectSet("x", "b", "c")
}

func TestSemanticsSetStoreKeepsConcurrentAdds(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { setWrite(tx, "x", crdt.SetAdd, "old") })
	p.sync()
	p.wallA, p.wallB = 5000, 4000
	p.do(p.a, func(tx *Tx) { setStore(tx, "x", "1", "2") }) // SUNIONSTORE x ... = {1, 2}
	p.do(p.b, func(tx *Tx) { setWrite(tx, "x", crdt.SetAdd, "z") })
	p.sync()
	p.expectSet("x", "1", "2", "z")
}

func TestSemanticsSetConcurrentMovesOfOneMember(t *testing.T) {
	p := newPair(t)
	p.doKeys(p.a, []string{"s"}, func(tx *Tx) { setWrite(tx, "s", crdt.SetAdd, "m", "n") })
	p.sync()
	p.doKeys(p.a, []string{"s", "d1"}, func(tx *Tx) { // SMOVE s d1 m
		setWrite(tx, "s", crdt.SetRem, "m")
		setWrite(tx, "d1", crdt.SetAdd, "m")
	})
	p.doKeys(p.b, []string{"s", "d2"}, func(tx *Tx) { // SMOVE s d2 m
		setWrite(tx, "s", crdt.SetRem, "m")
		setWrite(tx, "d2", crdt.SetAdd, "m")
	})
	p.sync()
	p.expectSet("s", "n")
	p.expectSet("d1", "m")
	p.expectSet("d2", "m")
}
