package crdt

import (
	"bytes"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/listpack"
)

// listValues returns the list's elements.
func listValues(l *List) []string {
	var out []string
	var buf [20]byte
	it := l.Iter(0, false)
	for {
		v, ok := it.Next(buf[:])
		if !ok {
			return out
		}
		out = append(out, string(v))
	}
}

func listIDs(l *List) []ElemID {
	var out []ElemID
	it := l.Iter(0, false)
	var buf [20]byte
	for {
		if _, ok := it.Next(buf[:]); !ok {
			return out
		}
		out = append(out, it.LastID())
	}
}

// checkList verifies the list's internal invariants.
func checkList(t *testing.T, l *List) {
	t.Helper()
	if l.off < 0 || l.off+l.nn > len(l.buf) {
		t.Fatalf("node window off=%d nn=%d len=%d", l.off, l.nn, len(l.buf))
	}
	total := 0
	for i := 0; i < l.nn; i++ {
		nd := l.node(i)
		if nd.n <= 0 {
			t.Fatalf("node %d is empty", i)
		}
		if nd.lo < 0 || nd.lo > nd.hi || int(nd.hi) > len(nd.b) {
			t.Fatalf("node %d bounds lo=%d hi=%d len=%d", i, nd.lo, nd.hi, len(nd.b))
		}
		c, ok := listpack.CheckEntries(nd.entries())
		if !ok || c != int(nd.n) {
			t.Fatalf("node %d: entries check ok=%v count=%d, n=%d", i, ok, c, nd.n)
		}
		if l.ids && len(nd.ids) != int(nd.n) {
			t.Fatalf("node %d: %d ids for %d entries", i, len(nd.ids), nd.n)
		}
		total += int(nd.n)
	}
	if total != l.n {
		t.Fatalf("n=%d but nodes hold %d", l.n, total)
	}
	// backward walk agrees with forward walk
	fw := listValues(l)
	var bw []string
	var buf [20]byte
	it := l.Iter(l.n-1, true)
	for {
		v, ok := it.Next(buf[:])
		if !ok {
			break
		}
		bw = append(bw, string(v))
	}
	if len(bw) != len(fw) {
		t.Fatalf("backward walk %d elements, forward %d", len(bw), len(fw))
	}
	for i := range bw {
		if bw[i] != fw[len(fw)-1-i] {
			t.Fatalf("backward walk differs at %d", i)
		}
	}
}

// model is the reference: a plain slice.
type listModel struct {
	vals []string
	ids  []ElemID
}

func randVal(r *rand.Rand) string {
	switch r.Intn(6) {
	case 0:
		return strconv.Itoa(r.Intn(300) - 150)
	case 1:
		return strconv.FormatInt(r.Int63()-r.Int63(), 10)
	case 2:
		return strings.Repeat(string(rune('a'+r.Intn(26))), r.Intn(200))
	case 3:
		if r.Intn(20) == 0 {
			return strings.Repeat("L", 5000+r.Intn(5000))
		}
		return "v" + strconv.Itoa(r.Intn(50))
	case 4:
		return ""
	}
	return strconv.Itoa(r.Intn(10))
}

func TestListOpsAgainstModel(t *testing.T) {
	for _, fill := range []int{-1, -2, -3, -5, 0, 1, 2, 3, 16, 128} {
		for _, ids := range []bool{false, true} {
			for seed := int64(0); seed < 40; seed++ {
				t.Run(fmt.Sprintf("fill%d/ids%v/%d", fill, ids, seed), func(t *testing.T) {
					listOpsRun(t, fill, ids, seed)
				})
			}
		}
	}
}

func listOpsRun(t *testing.T, fill int, ids bool, seed int64) {
	old := ListMaxListpackSize
	ListMaxListpackSize = fill
	defer func() { ListMaxListpackSize = old }()
	r := rand.New(rand.NewSource(seed))
	l := NewList(ids)
	var m listModel
	next := uint32(0)
	nid := func() ElemID { next++; return ElemID{Node: 1, Seq: uint64(next), N: next} }
	for step := 0; step < 400; step++ {
		op := r.Intn(9)
		if l.n == 0 {
			op = r.Intn(2)
		}
		switch op {
		case 0:
			v, id := randVal(r), nid()
			l.pushHead([]byte(v), id)
			m.vals = append([]string{v}, m.vals...)
			m.ids = append([]ElemID{id}, m.ids...)
		case 1:
			v, id := randVal(r), nid()
			l.pushTail([]byte(v), id)
			m.vals = append(m.vals, v)
			m.ids = append(m.ids, id)
		case 2:
			k := 1 + r.Intn(l.n)
			if r.Intn(4) == 0 {
				k = 1
			}
			l.popHead(k)
			m.vals, m.ids = m.vals[k:], m.ids[k:]
		case 3:
			k := 1 + r.Intn(l.n)
			l.popTail(k)
			m.vals, m.ids = m.vals[:len(m.vals)-k], m.ids[:len(m.ids)-k]
		case 4, 5:
			i := r.Intn(l.n)
			after := r.Intn(2) == 0
			v, id := randVal(r), nid()
			l.insertAt(i, after, []byte(v), id)
			at := i
			if after {
				at++
			}
			m.vals = append(m.vals[:at], append([]string{v}, m.vals[at:]...)...)
			m.ids = append(m.ids[:at], append([]ElemID{id}, m.ids[at:]...)...)
		case 6:
			i := r.Intn(l.n)
			v := randVal(r)
			l.setAt(i, []byte(v))
			m.vals[i] = v
		case 7:
			var idx []int
			var nv []string
			var ni []ElemID
			for i := range m.vals {
				if r.Intn(3) == 0 {
					idx = append(idx, i)
				} else {
					nv = append(nv, m.vals[i])
					ni = append(ni, m.ids[i])
				}
			}
			l.removeAt(idx)
			m.vals, m.ids = nv, ni
		case 8:
			i := r.Intn(l.n)
			var buf [20]byte
			if got := string(l.Index(i, buf[:])); got != m.vals[i] {
				t.Fatalf("step %d: Index(%d) = %q, want %q", step, i, got, m.vals[i])
			}
			if ids && l.ID(i) != m.ids[i] {
				t.Fatalf("step %d: ID(%d)", step, i)
			}
		}
		checkList(t, l)
		got := listValues(l)
		if strings.Join(got, "\x00") != strings.Join(m.vals, "\x00") || len(got) != len(m.vals) {
			t.Fatalf("step %d op %d: list %d elements differs from model %d", step, op, len(got), len(m.vals))
		}
		if ids {
			gi := listIDs(l)
			for i := range gi {
				if gi[i] != m.ids[i] {
					t.Fatalf("step %d: id %d differs", step, i)
				}
			}
		}
		if l.Len() == 0 && l.nn != 0 {
			t.Fatal("empty list keeps nodes")
		}
	}
	c := l.Clone().(*List)
	checkList(t, c)
	if c.String() != l.String() {
		t.Fatal("clone differs")
	}
}

// nodeCounts is the element count of each node.
func nodeCounts(l *List) []int {
	var out []int
	for i := 0; i < l.nn; i++ {
		out = append(out, int(l.node(i).n))
	}
	return out
}

func TestListNodeFillLikeRedis(t *testing.T) {
	// RPUSH of 3-byte strings: redis-server 7.0.15 keeps 1635 per node
	// (8182 listpack bytes; one more would be estimated past 8192).
	l := NewList(false)
	for i := 0; i < 1636; i++ {
		l.pushTail([]byte("xxx"), ElemID{})
	}
	if got := nodeCounts(l); len(got) != 2 || got[0] != 1635 || got[1] != 1 {
		t.Fatalf("node counts %v", got)
	}
	l = NewList(false)
	for i := 0; i < 1636; i++ {
		l.pushHead([]byte("xxx"), ElemID{})
	}
	if got := nodeCounts(l); len(got) != 2 || got[0] != 1 || got[1] != 1635 {
		t.Fatalf("node counts %v", got)
	}
	// a big element does not fit a node of 8 KB with anything else
	l = NewList(false)
	l.pushTail([]byte("a"), ElemID{})
	l.pushTail(bytes.Repeat([]byte("y"), 10000), ElemID{})
	l.pushTail([]byte("b"), ElemID{})
	if got := nodeCounts(l); len(got) != 3 {
		t.Fatalf("node counts %v", got)
	}
}

func applyPayload(t *testing.T, obj Object, p *Enc, seq uint64, replace bool, ids bool) Object {
	t.Helper()
	e := &effect.Effect{ID: effect.ID{Node: 7, Seq: seq}, Op: effect.OpList, Value: append([]byte(nil), p.B...)}
	if replace {
		e.Flags |= effect.FlagReplace
		obj = nil
	}
	return listType{}.Apply(obj, e, Ctx{IDs: ids})
}

func TestListApplyPayloads(t *testing.T) {
	var p Enc
	EncodeListPush(&p, true, [][]byte{[]byte("a"), []byte("b"), []byte("c")})
	EncodeListPush(&p, false, [][]byte{[]byte("1"), []byte("2")})
	o := applyPayload(t, nil, &p, 1, false, true)
	l := o.(*List)
	if l.String() != `["c" "b" "a" "1" "2"]` {
		t.Fatal(l)
	}
	if ids := listIDs(l); ids[0] != (ElemID{Node: 7, Seq: 1, N: 2}) || ids[3] != (ElemID{Node: 7, Seq: 1, N: 3}) {
		t.Fatal(ids)
	}
	p.Reset()
	EncodeListPop(&p, l, true, 1)
	EncodeListPop(&p, l, false, 1)
	o = applyPayload(t, o, &p, 2, false, true)
	if l.String() != `["b" "a" "1"]` {
		t.Fatal(l)
	}
	p.Reset()
	EncodeListInsert(&p, l, 1, true, []byte("x"))
	EncodeListSet(&p, l, 0, []byte("B"))
	o = applyPayload(t, o, &p, 3, false, true)
	if l.String() != `["B" "a" "x" "1"]` {
		t.Fatal(l)
	}
	p.Reset()
	EncodeListRemove(&p, l, []int{0, 3}, []ElemID{l.ID(0), l.ID(3)})
	o = applyPayload(t, o, &p, 4, false, true)
	if l.String() != `["a" "x"]` {
		t.Fatal(l)
	}
	// a snapshot recreates it node for node
	p.Reset()
	l.Snapshot(&p)
	c := applyPayload(t, nil, &p, 5, true, false).(*List)
	if c.String() != l.String() || c.Nodes() != l.Nodes() {
		t.Fatal(c)
	}
	// a payload out of range or malformed changes nothing
	for _, bad := range [][]byte{{'h', 5}, {'s', 9, 1, 'x'}, {'x', 2, 1, 0}, {'Z'}, {'L', 3, 1, 'a'}, {'B', 0, 1, 1, 2, 0xF5, 0}} {
		before := l.String()
		o2 := listType{}.Apply(o, &effect.Effect{ID: effect.ID{Node: 7, Seq: 9}, Op: effect.OpList, Value: bad}, Ctx{})
		if o2 != o || l.String() != before {
			t.Fatalf("payload %q changed the list", bad)
		}
	}
	// a lone pop (its count is the payload's last byte)
	p.Reset()
	EncodeListPush(&p, false, [][]byte{[]byte("z")})
	o = applyPayload(t, o, &p, 6, false, true)
	p.Reset()
	EncodeListPop(&p, l, false, 1)
	o = applyPayload(t, o, &p, 7, false, true)
	if l.String() != `["a" "x"]` {
		t.Fatal(l)
	}
	// removing everything: the key goes
	p.Reset()
	EncodeListPop(&p, l, true, 2)
	if applyPayload(t, o, &p, 10, false, true) != nil {
		t.Fatal("emptied list still there")
	}
}

// TestListMergerAgreesWithApply: effects that each observed all before
// them, merged from a base, give what applying them one by one gives.
func TestListMergerAgreesWithApply(t *testing.T) {
	for seed := int64(0); seed < 300; seed++ {
		r := rand.New(rand.NewSource(seed))
		var obj Object
		var effs []*effect.Effect
		var base Object
		baseAt := r.Intn(10)
		for s := 1; s <= 30; s++ {
			if s == baseAt+1 && obj != nil {
				base = obj.Clone()
				effs = nil
			}
			l, _ := obj.(*List)
			var p Enc
			replace := false
			switch op := r.Intn(8); {
			case l == nil || op == 0:
				vals := [][]byte{[]byte(randVal(r)), []byte(randVal(r))}
				EncodeListPush(&p, r.Intn(2) == 0, vals)
			case op == 1:
				EncodeListPush(&p, false, [][]byte{[]byte(randVal(r))})
			case op == 2:
				EncodeListPop(&p, l, r.Intn(2) == 0, 1+r.Intn(2))
			case op == 3:
				EncodeListInsert(&p, l, r.Intn(l.n), r.Intn(2) == 0, []byte(randVal(r)))
			case op == 4:
				EncodeListSet(&p, l, r.Intn(l.n), []byte(randVal(r)))
			case op == 5:
				var idx []int
				var ids []ElemID
				for i := 0; i < l.n; i++ {
					if r.Intn(3) == 0 {
						idx = append(idx, i)
						ids = append(ids, l.ID(i))
					}
				}
				EncodeListRemove(&p, l, idx, ids)
			case op == 6:
				l.Snapshot(&p)
				replace = true
			default:
				EncodeListPush(&p, true, [][]byte{[]byte(randVal(r))})
				if l.n > 1 {
					EncodeListPop(&p, l, false, 1)
				}
			}
			e := &effect.Effect{ID: effect.ID{Node: 3, Seq: uint64(s)}, Op: effect.OpList, Value: append([]byte(nil), p.B...)}
			if replace {
				e.Flags |= effect.FlagReplace
				e.Frontier = nil
			}
			effs = append(effs, e)
			if replace {
				obj = nil
			}
			obj = listType{}.Apply(obj, e, Ctx{IDs: true})
			if obj != nil {
				checkList(t, obj.(*List))
			}
			var bc Object
			if base != nil {
				bc = base.Clone()
			}
			m := listType{}.Merger(bc, Ctx{IDs: true})
			for _, x := range effs {
				m.Step(x)
			}
			got := m.Result()
			if (got == nil) != (obj == nil) {
				t.Fatalf("seed %d step %d: merged %v, applied %v", seed, s, got, obj)
			}
			if got != nil {
				gl := got.(*List)
				checkList(t, gl)
				if gl.String() != obj.(*List).String() {
					t.Fatalf("seed %d step %d:\nmerged  %s\napplied %s", seed, s, gl, obj)
				}
				gi, ai := listIDs(gl), listIDs(obj.(*List))
				for i := range gi {
					if gi[i] != ai[i] {
						t.Fatalf("seed %d step %d: ids differ at %d", seed, s, i)
					}
				}
			}
			if obj == nil {
				base, effs = nil, nil
			}
		}
	}
}

// Concurrent pushes at both ends: [a b], LPUSH x || RPUSH y -> [x a b y].
func TestListMergerConcurrentEnds(t *testing.T) {
	var p Enc
	EncodeListPush(&p, false, [][]byte{[]byte("a"), []byte("b")})
	base := listType{}.Apply(nil, &effect.Effect{ID: effect.ID{Node: 1, Seq: 1}, Op: effect.OpList, Value: append([]byte(nil), p.B...)}, Ctx{IDs: true})
	p.Reset()
	EncodeListPush(&p, true, [][]byte{[]byte("x")})
	ea := &effect.Effect{ID: effect.ID{Node: 1, Seq: 2}, HLC: 10, Op: effect.OpList, Value: append([]byte(nil), p.B...)}
	p.Reset()
	EncodeListPush(&p, false, [][]byte{[]byte("y")})
	eb := &effect.Effect{ID: effect.ID{Node: 2, Seq: 1}, HLC: 11, Op: effect.OpList, Value: append([]byte(nil), p.B...)}
	m := listType{}.Merger(base, Ctx{IDs: true})
	m.Step(ea)
	m.Step(eb)
	if got := m.Result().(*List).String(); got != `["x" "a" "b" "y"]` {
		t.Fatal(got)
	}
	if base.(*List).String() != `["a" "b"]` {
		t.Fatal("merger changed its base")
	}
}

// TestListApplyFindsMovedElements: an identity payload whose indexes do
// not match the list (history folded differently) acts on the named
// elements wherever they are.
func TestListApplyFindsMovedElements(t *testing.T) {
	var p Enc
	EncodeListPush(&p, false, [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("d")})
	o := applyPayload(t, nil, &p, 1, false, true)
	l := o.(*List)
	snap := l.Clone().(*List) // the writer's view
	// the local list loses "a" meanwhile
	p.Reset()
	EncodeListPop(&p, l, true, 1)
	o = applyPayload(t, o, &p, 2, false, true)
	// the writer pops "a", "b" (by identity), sets "c", inserts after "d"
	for _, c := range []struct {
		enc  func(p *Enc)
		want string
	}{
		{func(p *Enc) { EncodeListPop(p, snap, true, 2) }, `["c" "d"]`},
		{func(p *Enc) { EncodeListSet(p, snap, 2, []byte("C")) }, `["C" "d"]`},
		{func(p *Enc) { EncodeListInsert(p, snap, 3, true, []byte("e")) }, `["C" "d" "e"]`},
		{func(p *Enc) { EncodeListRemove(p, snap, []int{0, 3}, []ElemID{snap.ID(0), snap.ID(3)}) }, `["C" "e"]`},
		{func(p *Enc) { EncodeListInsert(p, snap, 0, false, []byte("z")) }, `["C" "e" "z"]`},
	} {
		p.Reset()
		c.enc(&p)
		o = applyPayload(t, o, &p, 3, false, true)
		if got := o.(*List).String(); got != c.want {
			t.Fatalf("got %s, want %s", got, c.want)
		}
		checkList(t, o.(*List))
	}
}

// TestListHostilePayloads: mutated payloads never panic Apply or the
// Merger, and whatever Apply keeps is a well-formed list.
func TestListHostilePayloads(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	var seeds [][]byte
	l := ListFromValues([][]byte{[]byte("a"), []byte("1"), []byte("bb"), []byte("300")}, true)
	for _, f := range []func(p *Enc){
		func(p *Enc) { EncodeListPush(p, true, [][]byte{[]byte("x"), []byte("12")}) },
		func(p *Enc) { EncodeListPop(p, l, false, 2) },
		func(p *Enc) { EncodeListInsert(p, l, 1, true, []byte("y")) },
		func(p *Enc) { EncodeListSet(p, l, 2, []byte("z")) },
		func(p *Enc) { EncodeListRemove(p, l, []int{0, 2}, []ElemID{l.ID(0), l.ID(2)}) },
		func(p *Enc) { l.Snapshot(p) },
	} {
		var p Enc
		f(&p)
		seeds = append(seeds, p.B)
	}
	for i := 0; i < 20000; i++ {
		b := append([]byte(nil), seeds[r.Intn(len(seeds))]...)
		for k := r.Intn(4); k >= 0 && len(b) > 0; k-- {
			switch r.Intn(3) {
			case 0:
				b[r.Intn(len(b))] = byte(r.Intn(256))
			case 1:
				b = b[:r.Intn(len(b))]
			default:
				b = append(b, seeds[r.Intn(len(seeds))]...)
			}
		}
		for _, ids := range []bool{false, true} {
			base := ListFromValues([][]byte{[]byte("a"), []byte("1"), []byte("bb"), []byte("300")}, ids)
			e := &effect.Effect{ID: effect.ID{Node: 9, Seq: uint64(i + 1)}, Op: effect.OpList, Value: b}
			if o := (listType{}).Apply(base, e, Ctx{IDs: ids}); o != nil {
				checkList(t, o.(*List))
			}
			m := listType{}.Merger(ListFromValues([][]byte{[]byte("q")}, true), Ctx{IDs: true})
			m.Step(e)
			if o := m.Result(); o != nil {
				checkList(t, o.(*List))
			}
		}
	}
}

// TestListPopNamesRuns: a pop names pushed runs compactly, in both
// directions, and the merger and Apply read them back.
func TestListPopNamesRuns(t *testing.T) {
	var vals [][]byte
	for i := 0; i < 1000; i++ {
		vals = append(vals, []byte(strconv.Itoa(i)))
	}
	var p Enc
	EncodeListPush(&p, false, vals)
	EncodeListPush(&p, true, vals) // 999 ... 0 at the head: descending ordinals
	o := applyPayload(t, nil, &p, 1, false, true)
	l := o.(*List)
	p.Reset()
	EncodeListPop(&p, l, true, 1500)
	if len(p.B) > 40 {
		t.Fatalf("a pop of 1500 pushed elements takes %d bytes", len(p.B))
	}
	m := listType{}.Merger(l.Clone(), Ctx{IDs: true})
	e := &effect.Effect{ID: effect.ID{Node: 7, Seq: 2}, Op: effect.OpList, Value: append([]byte(nil), p.B...)}
	m.Step(e)
	merged := m.Result().(*List)
	o = listType{}.Apply(o, e, Ctx{IDs: true})
	if merged.String() != o.(*List).String() || merged.Len() != 500 {
		t.Fatalf("merged %d, applied %d", merged.Len(), o.(*List).Len())
	}
	// runs that name more than the count, or run past ordinal 0, are refused
	for _, bad := range [][]byte{
		{lopPopHeadID, 2, 7, 1, 0, 6}, // a run of 3 for a count of 2
		{lopPopHeadID, 2, 7, 1, 0, 3}, // descending from ordinal 0
		{lopPopHeadID, 2, 7, 1, 5, 0}, // an empty run
		{lopPopHeadID, 3, 7, 1, 5, 2}, // runs short of the count
	} {
		if listCheck(bad, 10, true) {
			t.Errorf("%v accepted", bad)
		}
	}
}
