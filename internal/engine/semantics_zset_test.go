package engine

import (
	"math"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// Worked examples of docs/semantics/zset.md: sorted sets on two nodes.

func zsetWrite(tx *Tx, op byte, pairs ...any) {
	p := tx.Payload()
	w := crdt.BeginZSet(p, op, 0)
	for i := 0; i < len(pairs); {
		m := []byte(pairs[i].(string))
		if op == crdt.ZSetRem {
			w.Member(m)
			i++
			continue
		}
		w.Pair(m, pairs[i+1].(float64))
		i += 2
	}
	w.End()
	tx.Coll(0, []byte("x"), effect.OpZSet, p)
}

func zadd(pairs ...any) func(tx *Tx) {
	return func(tx *Tx) { zsetWrite(tx, crdt.ZSetAssign, pairs...) }
}

func zincrby(m string, d float64) func(tx *Tx) {
	return func(tx *Tx) { zsetWrite(tx, crdt.ZSetIncr, m, d) }
}

func zrem(ms ...any) func(tx *Tx) {
	return func(tx *Tx) { zsetWrite(tx, crdt.ZSetRem, ms...) }
}

// expectZ checks that both nodes hold exactly the member -> score map want
// at x (nil: no key).
func (p *pair) expectZ(want map[string]float64) {
	p.t.Helper()
	for name, en := range map[string]*Engine{"A": p.a, "B": p.b} {
		tx := en.Begin1(0, []byte("x"))
		e := tx.Peek(0, []byte("x"))
		got := map[string]float64{}
		if e != nil {
			if e.Kind != keyspace.KindZSet {
				p.t.Errorf("node %s: x is a %s", name, e.Kind)
			} else {
				e.Obj().(*crdt.ZSet).Each(func(m string, s float64) bool { got[m] = s; return true })
			}
		}
		tx.End()
		if want == nil && e != nil {
			p.t.Errorf("node %s: x = %v, want no key", name, got)
			continue
		}
		if len(got) != len(want) {
			p.t.Errorf("node %s: x = %v, want %v", name, got, want)
			continue
		}
		for m, s := range want {
			if g, ok := got[m]; !ok || g != s && !(math.IsNaN(g) && math.IsNaN(s)) {
				p.t.Errorf("node %s: x = %v, want %v", name, got, want)
				break
			}
		}
	}
	if p.a.Digest() != p.b.Digest() {
		p.t.Errorf("digests differ")
	}
}

func TestSemanticsZSetConcurrentIncrementsAddUp(t *testing.T) {
	p := newPair(t)
	p.do(p.a, zadd("a", 10.0))
	p.sync()
	p.do(p.a, zincrby("a", 1))
	p.do(p.b, zincrby("a", 2))
	p.sync()
	p.expectZ(map[string]float64{"a": 13})
}

func TestSemanticsZSetConcurrentZAddLastWriterWins(t *testing.T) {
	p := newPair(t)
	p.wallA, p.wallB = 1000, 1005 // B writes later by the clock
	p.do(p.a, zadd("a", 1.0))
	p.do(p.b, zadd("a", 2.0, "b", 3.0))
	p.sync()
	p.expectZ(map[string]float64{"a": 2, "b": 3})
}

func TestSemanticsZSetZAddKeepsUnobservedIncrement(t *testing.T) {
	p := newPair(t)
	p.do(p.a, zadd("a", 10.0))
	p.sync()
	p.wallA, p.wallB = 2000, 1500 // the ZADD is the later write; the increment still survives it
	p.do(p.a, zadd("a", 100.0))
	p.do(p.b, zincrby("a", 5))
	p.sync()
	p.expectZ(map[string]float64{"a": 105})
}

func TestSemanticsZSetAddWinsOverConcurrentRemove(t *testing.T) {
	p := newPair(t)
	p.do(p.a, zadd("a", 1.0, "b", 2.0))
	p.sync()
	p.wallA, p.wallB = 3000, 2000 // even though the ZREM is later by the clock
	p.do(p.a, zrem("a", "b"))
	p.do(p.b, zadd("a", 5.0))
	p.sync()
	p.expectZ(map[string]float64{"a": 5})
}

func TestSemanticsZSetRemoveVersusConcurrentIncrement(t *testing.T) {
	p := newPair(t)
	p.do(p.a, zadd("a", 10.0))
	p.sync()
	p.do(p.a, zrem("a"))
	p.do(p.b, zincrby("a", 1))
	p.sync()
	p.expectZ(map[string]float64{"a": 1}) // the 10 is gone, the unseen +1 survives
}

func TestSemanticsZSetConcurrentPopsTakeTheSameMember(t *testing.T) {
	p := newPair(t)
	p.do(p.a, zadd("a", 1.0, "b", 2.0))
	p.sync()
	// ZPOPMIN on both nodes: each writer decides, from what it sees, that
	// "a" goes, and records exactly that
	p.do(p.a, zrem("a"))
	p.do(p.b, zrem("a"))
	p.sync()
	p.expectZ(map[string]float64{"b": 2})
}

func TestSemanticsZSetGTIsDecidedByTheWriter(t *testing.T) {
	p := newPair(t)
	p.do(p.a, zadd("a", 5.0))
	p.sync()
	p.wallA, p.wallB = 1000, 1005
	// ZADD x GT 7 a on A and ZADD x GT 6 a on B both pass their writer's
	// check (5 < 7, 5 < 6) and become plain assignments: the later one wins
	p.do(p.a, zadd("a", 7.0))
	p.do(p.b, zadd("a", 6.0))
	p.sync()
	p.expectZ(map[string]float64{"a": 6})
}

func TestSemanticsZSetDelVersusConcurrentZAdd(t *testing.T) {
	p := newPair(t)
	p.do(p.a, zadd("a", 1.0, "b", 2.0))
	p.sync()
	p.do(p.a, func(tx *Tx) { tx.Delete(0, []byte("x")) })
	p.do(p.b, zadd("c", 3.0))
	p.sync()
	p.expectZ(map[string]float64{"c": 3})
}
