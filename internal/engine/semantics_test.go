package engine

import (
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/hlc"
)

// Each test here is a worked example of docs/SEMANTICS.md: two nodes A and B
// start from the same state, write concurrently (neither has seen the
// other's write), exchange effects, and must agree on the documented result.

type pair struct {
	t      *testing.T
	a, b   *Engine
	sa, sb *collector
	wallA  int64
	wallB  int64
	sentA  int
	sentB  int
}

func newPair(t *testing.T) *pair {
	p := &pair{t: t, sa: &collector{}, sb: &collector{}, wallA: 1000, wallB: 1000}
	members := []effect.NodeID{1, 2}
	p.a = New(Config{Node: 1, Members: members, Databases: 1, Sink: p.sa, Clock: hlc.New(func() int64 { return p.wallA })})
	p.b = New(Config{Node: 2, Members: members, Databases: 1, Sink: p.sb, Clock: hlc.New(func() int64 { return p.wallB })})
	return p
}

// sync delivers everything each side produced to the other.
func (p *pair) sync() {
	for ; p.sentA < len(p.sa.out); p.sentA++ {
		p.b.Apply(&p.sa.out[p.sentA])
	}
	for ; p.sentB < len(p.sb.out); p.sentB++ {
		p.a.Apply(&p.sb.out[p.sentB])
	}
}

func (p *pair) do(en *Engine, f func(tx *Tx)) {
	tx := en.Begin1(0, []byte("x"))
	f(tx)
	tx.End()
}

// expect checks both nodes hold want for x ("" with missing=true: no key).
func (p *pair) expect(want string, missing bool) {
	p.t.Helper()
	for name, en := range map[string]*Engine{"A": p.a, "B": p.b} {
		tx := en.Begin1(0, []byte("x"))
		e := tx.Peek(0, []byte("x"))
		switch {
		case missing && e != nil:
			p.t.Errorf("node %s: x = %q, want no key", name, e.Str)
		case !missing && e == nil:
			p.t.Errorf("node %s: x missing, want %q", name, want)
		case !missing && string(e.Str) != want:
			p.t.Errorf("node %s: x = %q, want %q", name, e.Str, want)
		}
		tx.End()
	}
	if p.a.Digest() != p.b.Digest() {
		p.t.Errorf("digests differ")
	}
}

func (p *pair) ttl(en *Engine) int64 {
	tx := en.Begin1(0, []byte("x"))
	defer tx.End()
	if e := tx.Peek(0, []byte("x")); e != nil {
		return e.Expire
	}
	return -2
}

func TestSemanticsConcurrentSetLastWriterWins(t *testing.T) {
	p := newPair(t)
	p.wallA, p.wallB = 1000, 1005 // B writes later by the clock
	p.do(p.a, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("from-a"), 0, false) })
	p.do(p.b, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("from-b"), 0, false) })
	p.sync()
	p.expect("from-b", false)
}

func TestSemanticsConcurrentIncrementsAddUp(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("5"), 0, false) })
	p.sync()
	p.do(p.a, func(tx *Tx) { tx.AddInt(0, []byte("x"), 3) })
	p.do(p.b, func(tx *Tx) { tx.AddInt(0, []byte("x"), 4) })
	p.sync()
	p.expect("12", false)
}

func TestSemanticsSetKeepsUnobservedIncrement(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("5"), 0, false) })
	p.sync()
	p.wallA, p.wallB = 2000, 1500 // the SET is the later write, the INCR still survives it
	p.do(p.a, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("100"), 0, false) })
	p.do(p.b, func(tx *Tx) { tx.AddInt(0, []byte("x"), 1) })
	p.sync()
	p.expect("101", false)
}

func TestSemanticsSetAfterObservedIncrement(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("5"), 0, false) })
	p.sync()
	p.do(p.b, func(tx *Tx) { tx.AddInt(0, []byte("x"), 1) })
	p.sync() // A has seen the INCR
	p.do(p.a, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("100"), 0, false) })
	p.sync()
	p.expect("100", false)
}

func TestSemanticsDeleteLosesToUnseenWrite(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("v"), 0, false) })
	p.sync()
	p.wallA, p.wallB = 3000, 2000 // even though DEL is later by the clock
	p.do(p.a, func(tx *Tx) { tx.Delete(0, []byte("x")) })
	p.do(p.b, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("w"), 0, false) })
	p.sync()
	p.expect("w", false)
}

func TestSemanticsDeleteRemovesWhatItSaw(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("v"), 0, false) })
	p.sync()
	p.do(p.b, func(tx *Tx) { tx.Delete(0, []byte("x")) })
	p.sync()
	p.expect("", true)
}

func TestSemanticsDeleteVersusConcurrentIncrement(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("5"), 0, false) })
	p.sync()
	p.do(p.a, func(tx *Tx) { tx.Delete(0, []byte("x")) })
	p.do(p.b, func(tx *Tx) { tx.AddInt(0, []byte("x"), 1) })
	p.sync()
	p.expect("1", false) // the 5 is gone, the unseen +1 survives on an empty counter
}

func TestSemanticsConcurrentAppendsBothSurvive(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("a"), 0, false) })
	p.sync()
	p.wallA, p.wallB = 1100, 1200
	p.do(p.a, func(tx *Tx) { tx.Append(0, []byte("x"), []byte("b")) })
	p.do(p.b, func(tx *Tx) { tx.Append(0, []byte("x"), []byte("c")) })
	p.sync()
	p.expect("abc", false) // in (HLC, node) order: A's append is earlier
}

func TestSemanticsTTLLastWriterWins(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("v"), 0, false) })
	p.sync()
	p.wallA, p.wallB = 5000, 6000
	p.do(p.a, func(tx *Tx) { tx.SetExpire(0, []byte("x"), 9_000_000_000_000) })
	p.do(p.b, func(tx *Tx) { tx.SetExpire(0, []byte("x"), 0) }) // PERSIST, later
	p.sync()
	p.expect("v", false)
	if p.ttl(p.a) != 0 || p.ttl(p.b) != 0 {
		t.Fatalf("ttl a=%d b=%d, want persisted on both", p.ttl(p.a), p.ttl(p.b))
	}
}

func TestSemanticsFlushDBKeepsUnseenWrites(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("old"), 0, false) })
	p.sync()
	tx := p.a.BeginDBs(0)
	tx.FlushDB(0)
	tx.End()
	p.do(p.b, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("new"), 0, false) })
	p.sync()
	p.expect("new", false)
}
