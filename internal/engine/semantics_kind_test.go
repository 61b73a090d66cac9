package engine

import (
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// Type conflicts (docs/SEMANTICS.md, "Type conflicts").

func (p *pair) sadd(en *Engine, members ...string) {
	p.do(en, func(tx *Tx) {
		var ms [][]byte
		for _, m := range members {
			ms = append(ms, []byte(m))
		}
		pl := tx.Payload()
		crdt.EncodeSet(pl, crdt.SetAdd, ms)
		tx.Coll(0, []byte("x"), effect.OpSet, pl)
	})
}

// kindOf reports x's kind on both nodes (they must agree).
func (p *pair) kindOf() keyspace.Kind {
	p.t.Helper()
	var kinds [2]keyspace.Kind
	for i, en := range []*Engine{p.a, p.b} {
		tx := en.Begin1(0, []byte("x"))
		if e := tx.Peek(0, []byte("x")); e != nil {
			kinds[i] = e.Kind
		}
		tx.End()
	}
	if kinds[0] != kinds[1] || p.a.Digest() != p.b.Digest() {
		p.t.Fatalf("nodes disagree: A holds %v, B holds %v", kinds[0], kinds[1])
	}
	return kinds[0]
}

func TestSemanticsTypeConflictFirstBranchKeepsKey(t *testing.T) {
	p := newPair(t)
	p.wallA, p.wallB = 1000, 1005
	p.sadd(p.a, "m")                                                   // A creates a set
	p.do(p.b, func(tx *Tx) { tx.Append(0, []byte("x"), []byte("s")) }) // B, unaware, creates a string
	p.sync()
	if k := p.kindOf(); k != keyspace.KindSet {
		t.Fatalf("x is a %v, want the set (the branch that held the key first)", k)
	}
}

func TestSemanticsTypeConflictReplaceTakesOver(t *testing.T) {
	p := newPair(t)
	p.sadd(p.a, "m")
	p.sync()
	p.wallA, p.wallB = 2000, 1500                                                // the SET is even earlier by the clock
	p.sadd(p.a, "n")                                                             // A adds to the set
	p.do(p.b, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("v"), 0, false) }) // B replaces it with a string
	p.sync()
	if k := p.kindOf(); k != keyspace.KindString {
		t.Fatalf("x is a %v, want the string SET wrote", k)
	}
	p.expect("v", false)
}
