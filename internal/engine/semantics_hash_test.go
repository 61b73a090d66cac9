package engine

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// The worked examples of docs/semantics/hash.md: nodes A and B start from
// the same hash x, write concurrently, exchange effects, and must agree.

func hset(kv ...string) func(tx *Tx) {
	return func(tx *Tx) {
		p := tx.Payload()
		var pairs [][]byte
		for _, s := range kv {
			pairs = append(pairs, []byte(s))
		}
		crdt.EncodeHashSet(p, 0, pairs)
		tx.Coll(0, []byte("x"), effect.OpHash, p)
	}
}

func hdel(fields ...string) func(tx *Tx) {
	return func(tx *Tx) {
		p := tx.Payload()
		var fs [][]byte
		for _, s := range fields {
			fs = append(fs, []byte(s))
		}
		crdt.EncodeHashDel(p, fs)
		tx.Coll(0, []byte("x"), effect.OpHash, p)
	}
}

func hincrby(field string, d int64) func(tx *Tx) {
	return func(tx *Tx) {
		p := tx.Payload()
		crdt.EncodeHashIncr(p, []byte(field), d)
		tx.Coll(0, []byte("x"), effect.OpHash, p)
	}
}

func hincrbyfloat(field, incr string) func(tx *Tx) {
	return func(tx *Tx) {
		p := tx.Payload()
		crdt.EncodeHashIncrFloat(p, []byte(field), []byte(incr))
		tx.Coll(0, []byte("x"), effect.OpHash, p)
	}
}

func hexpire(field string, at int64) func(tx *Tx) {
	return func(tx *Tx) {
		p := tx.Payload()
		crdt.EncodeHashTTL(p, [][]byte{[]byte(field)}, []int64{at})
		tx.Coll(0, []byte("x"), effect.OpHash, p)
	}
}

// expectHash checks both nodes hold the hash want ("f=v@ttl ..." sorted by
// field, "@ttl" only when the field has one; "" for no key).
func (p *pair) expectHash(want string) {
	p.t.Helper()
	for name, en := range map[string]*Engine{"A": p.a, "B": p.b} {
		tx := en.Begin1(0, []byte("x"))
		e := tx.Peek(0, []byte("x"))
		got := ""
		if e != nil {
			if e.Kind != keyspace.KindHash {
				p.t.Fatalf("node %s: x is a %s", name, e.Kind)
			}
			var fs []string
			e.Obj().(*crdt.Hash).EachTTL(func(f, v []byte, at int64) bool {
				s := string(f) + "=" + string(v)
				if at != 0 {
					s += fmt.Sprintf("@%d", at)
				}
				fs = append(fs, s)
				return true
			})
			sort.Strings(fs)
			got = strings.Join(fs, " ")
		}
		tx.End()
		if got != want {
			p.t.Errorf("node %s: x = %q, want %q", name, got, want)
		}
	}
	if p.a.Digest() != p.b.Digest() {
		p.t.Errorf("digests differ")
	}
}

func TestSemanticsHashConcurrentFieldsMerge(t *testing.T) {
	p := newPair(t)
	p.do(p.a, hset("a", "1"))
	p.sync()
	p.do(p.a, hset("b", "2"))
	p.do(p.b, hset("c", "3"))
	p.sync()
	p.expectHash("a=1 b=2 c=3")
}

func TestSemanticsHashSameFieldLastWriterWins(t *testing.T) {
	p := newPair(t)
	p.wallA, p.wallB = 1000, 1005 // B writes later by the clock
	p.do(p.a, hset("f", "from-a"))
	p.do(p.b, hset("f", "from-b"))
	p.sync()
	p.expectHash("f=from-b")
}

func TestSemanticsHashAddWinsOverConcurrentHdel(t *testing.T) {
	p := newPair(t)
	p.do(p.a, hset("f", "old", "g", "1"))
	p.sync()
	p.wallA, p.wallB = 3000, 2000 // even though HDEL is later by the clock
	p.do(p.a, hdel("f", "g"))
	p.do(p.b, hset("f", "new"))
	p.sync()
	p.expectHash("f=new")
}

func TestSemanticsHashConcurrentIncrementsAddUp(t *testing.T) {
	p := newPair(t)
	p.do(p.a, hset("n", "10", "x", "1.5"))
	p.sync()
	p.do(p.a, hincrby("n", 3))
	p.do(p.b, hincrby("n", 4))
	p.do(p.a, hincrbyfloat("x", "0.25"))
	p.do(p.b, hincrbyfloat("x", "1"))
	p.sync()
	p.expectHash("n=17 x=2.75")
}

func TestSemanticsHashSetKeepsUnobservedIncrement(t *testing.T) {
	p := newPair(t)
	p.do(p.a, hset("n", "5"))
	p.sync()
	p.wallA, p.wallB = 2000, 1500 // the HSET is the later write; the increment still applies on top
	p.do(p.a, hset("n", "100"))
	p.do(p.b, hincrby("n", 1))
	p.sync()
	p.expectHash("n=101")
}

func TestSemanticsHashHdelVersusConcurrentIncrement(t *testing.T) {
	p := newPair(t)
	p.do(p.a, hset("n", "5", "k", "keep"))
	p.sync()
	p.do(p.a, hdel("n"))
	p.do(p.b, hincrby("n", 1))
	p.sync()
	p.expectHash("k=keep n=1") // the 5 is gone; the unseen +1 counts from 0
}

func TestSemanticsHashFieldTTLLastWriterWins(t *testing.T) {
	p := newPair(t)
	p.do(p.a, hset("f", "v"))
	p.sync()
	p.wallA, p.wallB = 5000, 6000
	p.do(p.a, hexpire("f", 9_000_000_000_000))
	p.do(p.b, hexpire("f", 8_000_000_000_000)) // later: it wins
	p.sync()
	p.expectHash("f=v@8000000000000")
	p.wallA, p.wallB = 8000, 7000
	p.do(p.a, hexpire("f", 0))                 // HPERSIST, later
	p.do(p.b, hexpire("f", 9_500_000_000_000)) // earlier
	p.sync()
	p.expectHash("f=v")
}

func TestSemanticsHashSetClearsTTLAgainstConcurrentExpire(t *testing.T) {
	p := newPair(t)
	p.do(p.a, hset("f", "v"))
	p.sync()
	p.wallA, p.wallB = 5000, 6000
	p.do(p.a, hexpire("f", 9_000_000_000_000))
	p.do(p.b, hset("f", "w")) // HSET clears the TTL, and is later
	p.sync()
	p.expectHash("f=w")
}

func TestSemanticsHashDelKeyKeepsUnseenField(t *testing.T) {
	p := newPair(t)
	p.do(p.a, hset("a", "1", "b", "2"))
	p.sync()
	p.do(p.a, func(tx *Tx) { tx.Delete(0, []byte("x")) })
	p.do(p.b, hset("c", "3"))
	p.sync()
	p.expectHash("c=3")
}
