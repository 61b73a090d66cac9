package engine

import (
	"bytes"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
)

// Worked examples of docs/semantics/hll.md.

// pfadd writes PFADD x elems as the command decides it.
func pfaddTx(tx *Tx, key string, elems ...string) {
	var cur []byte
	if e := tx.Get(0, []byte(key)); e != nil {
		cur = e.Str
	}
	bs := make([][]byte, len(elems))
	for i, e := range elems {
		bs[i] = []byte(e)
	}
	p := tx.Payload()
	if write, _, _ := crdt.HLLPlanAdd(p, cur, bs); write {
		tx.HLL(0, []byte(key), p)
	}
}

// pfcountTx is PFCOUNT's cache write (when the cache is stale).
func pfcountTx(tx *Tx, key string) {
	e := tx.Get(0, []byte(key))
	if e == nil {
		return
	}
	if _, valid := crdt.HLLCached(e.Str); !valid {
		p := tx.Payload()
		p.Byte(crdt.HLLCache)
		tx.HLL(0, []byte(key), p)
	}
}

func hllValue(en *Engine, key string) []byte {
	tx := en.Begin1(0, []byte(key))
	defer tx.End()
	if e := tx.Peek(0, []byte(key)); e != nil {
		return append([]byte(nil), e.Str...)
	}
	return nil
}

// expectHLL checks both nodes hold the same bytes, with the registers of a
// single HLL that saw exactly elems (none and missing: no key).
func (p *pair) expectHLL(key string, missing bool, elems ...string) []byte {
	p.t.Helper()
	a, b := hllValue(p.a, key), hllValue(p.b, key)
	if !bytes.Equal(a, b) {
		p.t.Fatalf("the nodes hold different bytes:\n%q\n%q", a, b)
	}
	if missing {
		if a != nil {
			p.t.Fatalf("%s exists", key)
		}
		return nil
	}
	if a == nil || !crdt.HLLValid(a) {
		p.t.Fatalf("%s = %q, not a HyperLogLog", key, a)
	}
	var want, got [crdt.HLLRegisters]uint8
	for _, e := range elems {
		reg, count := crdt.HLLHash([]byte(e))
		if count > want[reg] {
			want[reg] = count
		}
	}
	crdt.HLLMergeInto(&got, a)
	if got != want {
		p.t.Fatalf("%s: registers are not those of %q", key, elems)
	}
	return a
}

func TestSemanticsHLLConcurrentAddsUnion(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { pfaddTx(tx, "x", "a") })
	p.sync()
	p.do(p.a, func(tx *Tx) { pfaddTx(tx, "x", "b", "c") })
	p.do(p.b, func(tx *Tx) { pfaddTx(tx, "x", "d") })
	p.sync()
	v := p.expectHLL("x", false, "a", "b", "c", "d")
	if n, _ := crdt.HLLCount(v); n != 4 {
		t.Fatalf("PFCOUNT = %d", n)
	}
}

func TestSemanticsHLLAddSurvivesConcurrentDelete(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { pfaddTx(tx, "x", "a", "b") })
	p.sync()
	p.wallA, p.wallB = 3000, 2000
	p.do(p.a, func(tx *Tx) { tx.Delete(0, []byte("x")) })
	p.do(p.b, func(tx *Tx) { pfaddTx(tx, "x", "c") })
	p.sync()
	p.expectHLL("x", false, "c")
}

func TestSemanticsHLLMergeAndAddConcurrent(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { pfaddTx(tx, "x", "a") })
	p.doKeys(p.a, []string{"y"}, func(tx *Tx) { pfaddTx(tx, "y", "m", "n") })
	p.sync()
	p.doKeys(p.a, []string{"x", "y"}, func(tx *Tx) { // PFMERGE x y
		var max [crdt.HLLRegisters]uint8
		for _, k := range []string{"x", "y"} {
			crdt.HLLMergeInto(&max, tx.Get(0, []byte(k)).Str)
		}
		pl := tx.Payload()
		crdt.EncodeHLLMerge(pl, false, &max)
		tx.HLL(0, []byte("x"), pl)
	})
	p.do(p.b, func(tx *Tx) { pfaddTx(tx, "x", "z") })
	p.sync()
	p.expectHLL("x", false, "a", "m", "n", "z")
}

func TestSemanticsHLLCountCacheStaysTrue(t *testing.T) {
	for _, aLater := range []bool{true, false} {
		p := newPair(t)
		p.do(p.a, func(tx *Tx) { pfaddTx(tx, "x", "a") })
		p.sync()
		if aLater {
			p.wallA, p.wallB = 3000, 2000
		} else {
			p.wallA, p.wallB = 2000, 3000
		}
		p.do(p.a, func(tx *Tx) { pfcountTx(tx, "x") }) // caches 1
		p.do(p.b, func(tx *Tx) { pfaddTx(tx, "x", "b") })
		p.sync()
		v := p.expectHLL("x", false, "a", "b")
		if c, valid := crdt.HLLCached(v); valid && c != 2 {
			t.Fatalf("PFCOUNT later than the PFADD=%v: cache says %d of 2", aLater, c)
		}
	}
}

func TestSemanticsHLLCountVersusDelete(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { pfaddTx(tx, "x", "a") })
	p.sync()
	p.do(p.a, func(tx *Tx) { tx.Delete(0, []byte("x")) })
	p.do(p.b, func(tx *Tx) { pfcountTx(tx, "x") })
	p.sync()
	v := p.expectHLL("x", false) // an empty HyperLogLog, cached count 0
	if c, valid := crdt.HLLCached(v); !valid || c != 0 {
		t.Fatalf("cache %d %v", c, valid)
	}
}
