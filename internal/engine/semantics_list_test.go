package engine

import (
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// Worked examples of docs/semantics/list.md: the list commands' decisions
// made as the command layer makes them (lists.go), on two nodes that write
// concurrently, then exchange their effects.

var lkey = []byte("x")

func listAt(tx *Tx) *crdt.List {
	if e := tx.Get(0, lkey); e != nil && e.Kind == keyspace.KindList {
		return e.Obj().(*crdt.List)
	}
	return nil
}

func lpush(vals ...string) func(tx *Tx) { return push(true, vals) }
func rpush(vals ...string) func(tx *Tx) { return push(false, vals) }

func push(head bool, vals []string) func(tx *Tx) {
	return func(tx *Tx) {
		var vs [][]byte
		for _, v := range vals {
			vs = append(vs, []byte(v))
		}
		p := tx.Payload()
		crdt.EncodeListPush(p, head, vs)
		tx.Coll(0, lkey, effect.OpList, p)
	}
}

func lpop(n int) func(tx *Tx) {
	return func(tx *Tx) {
		p := tx.Payload()
		crdt.EncodeListPop(p, listAt(tx), true, n)
		tx.Coll(0, lkey, effect.OpList, p)
	}
}

// linsert inserts v next to the first element equal to pivot.
func linsert(pivot string, after bool, v string) func(tx *Tx) {
	return func(tx *Tx) {
		l := listAt(tx)
		it := l.Iter(0, false)
		for i := 0; ; i++ {
			eq, more := it.NextEqual([]byte(pivot))
			if !more {
				return
			}
			if eq {
				p := tx.Payload()
				crdt.EncodeListInsert(p, l, i, after, []byte(v))
				tx.Coll(0, lkey, effect.OpList, p)
				return
			}
		}
	}
}

func lset(i int, v string) func(tx *Tx) {
	return func(tx *Tx) {
		p := tx.Payload()
		crdt.EncodeListSet(p, listAt(tx), i, []byte(v))
		tx.Coll(0, lkey, effect.OpList, p)
	}
}

// lremAll removes every element equal to v.
func lremAll(v string) func(tx *Tx) {
	return func(tx *Tx) {
		l := listAt(tx)
		var idx []int
		var ids []crdt.ElemID
		it := l.Iter(0, false)
		for i := 0; ; i++ {
			eq, more := it.NextEqual([]byte(v))
			if !more {
				break
			}
			if eq {
				idx = append(idx, i)
				ids = append(ids, it.LastID())
			}
		}
		p := tx.Payload()
		crdt.EncodeListRemove(p, l, idx, ids)
		tx.Coll(0, lkey, effect.OpList, p)
	}
}

// ltrim keeps elements start..stop (non-negative, in range).
func ltrim(start, stop int) func(tx *Tx) {
	return func(tx *Tx) {
		l := listAt(tx)
		p := tx.Payload()
		crdt.EncodeListPop(p, l, true, start)
		crdt.EncodeListPop(p, l, false, l.Len()-1-stop)
		tx.Coll(0, lkey, effect.OpList, p)
	}
}

func del(tx *Tx) { tx.Delete(0, lkey) }

// expectList checks both nodes hold the list want (nil: no key).
func (p *pair) expectList(want []string) {
	p.t.Helper()
	for name, en := range map[string]*Engine{"A": p.a, "B": p.b} {
		tx := en.Begin1(0, lkey)
		l := listAt(tx)
		var got []string
		if l != nil {
			var buf [20]byte
			it := l.Iter(0, false)
			for {
				v, ok := it.Next(buf[:])
				if !ok {
					break
				}
				got = append(got, string(v))
			}
		}
		tx.End()
		if strings.Join(got, ",") != strings.Join(want, ",") || (l == nil) != (want == nil) {
			p.t.Errorf("node %s: %q, want %q", name, got, want)
		}
	}
	if p.a.Digest() != p.b.Digest() {
		p.t.Errorf("digests differ")
	}
}

// start gives both nodes the list vals.
func (p *pair) start(vals ...string) {
	p.do(p.a, rpush(vals...))
	p.sync()
}

func TestSemanticsListPushesAtBothEnds(t *testing.T) {
	p := newPair(t)
	p.start("a", "b")
	p.do(p.a, lpush("x"))
	p.do(p.b, rpush("y"))
	p.sync()
	p.expectList([]string{"x", "a", "b", "y"})
}

func TestSemanticsListConcurrentHeadPushes(t *testing.T) {
	p := newPair(t)
	p.start("a")
	p.wallA, p.wallB = 2000, 3000 // B's push is the later one
	p.do(p.a, lpush("x1", "x2"))
	p.do(p.b, lpush("y"))
	p.sync()
	p.expectList([]string{"y", "x2", "x1", "a"})
}

func TestSemanticsListInsertsNextToTheSameAnchor(t *testing.T) {
	p := newPair(t)
	p.start("a", "b")
	p.wallA, p.wallB = 2000, 3000
	p.do(p.a, linsert("a", true, "x"))
	p.do(p.b, linsert("a", true, "y"))
	p.sync()
	p.expectList([]string{"a", "y", "x", "b"}) // the later insert is nearer the anchor
}

func TestSemanticsListSetLastWriterWins(t *testing.T) {
	p := newPair(t)
	p.start("a", "b")
	p.wallA, p.wallB = 3000, 2000 // A's LSET is the later one
	p.do(p.a, lset(1, "from-a"))
	p.do(p.b, lset(1, "from-b"))
	p.sync()
	p.expectList([]string{"a", "from-a"})
}

func TestSemanticsListSetDoesNotReviveRemoved(t *testing.T) {
	p := newPair(t)
	p.start("a", "b", "c")
	p.wallA, p.wallB = 2000, 3000 // even though the LSET is later
	p.do(p.a, lremAll("b"))
	p.do(p.b, lset(1, "B"))
	p.sync()
	p.expectList([]string{"a", "c"})
}

func TestSemanticsListConcurrentPopsTakeTheSameElement(t *testing.T) {
	p := newPair(t)
	p.start("a", "b", "c")
	p.do(p.a, lpop(1)) // both clients are answered "a"
	p.do(p.b, lpop(1))
	p.sync()
	p.expectList([]string{"b", "c"})
}

func TestSemanticsListInsertBesideRemovedAnchor(t *testing.T) {
	p := newPair(t)
	p.start("a", "b", "c")
	p.do(p.a, linsert("b", false, "x"))
	p.do(p.b, lremAll("b"))
	p.sync()
	p.expectList([]string{"a", "x", "c"})
}

func TestSemanticsListTrimKeepsUnseenPush(t *testing.T) {
	p := newPair(t)
	p.start("a", "b", "c")
	p.do(p.a, ltrim(0, 0))
	p.do(p.b, rpush("d"))
	p.sync()
	p.expectList([]string{"a", "d"})
}

func TestSemanticsListDeleteKeepsUnseenPush(t *testing.T) {
	p := newPair(t)
	p.start("a", "b")
	p.do(p.a, del)
	p.do(p.b, lpush("x"))
	p.sync()
	p.expectList([]string{"x"})
}

func TestSemanticsListInsertAfterDeletedListGoesToTail(t *testing.T) {
	p := newPair(t)
	p.start("a", "b")
	p.wallA, p.wallB = 2000, 3000
	p.do(p.a, del)
	p.do(p.b, lpush("h"))
	p.do(p.b, linsert("a", true, "x"))
	p.sync()
	p.expectList([]string{"h", "x"})
}

func TestSemanticsListSequentialWritesAreRedis(t *testing.T) {
	p := newPair(t)
	p.start("a", "b", "c")
	p.do(p.b, linsert("b", true, "x"))
	p.sync() // A has seen the insert
	p.do(p.a, lremAll("x"))
	p.do(p.a, lpop(1))
	p.sync()
	p.expectList([]string{"b", "c"})
}
