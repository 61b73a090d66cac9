package crdt

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
)

// model is a naive stream: live entries in ID order.
type model struct {
	ids []StreamID
	fv  map[StreamID]string
}

func fvString(fv [][]byte) string {
	var b strings.Builder
	for _, x := range fv {
		b.WriteString(strconv.Quote(string(x)))
		b.WriteByte(' ')
	}
	return b.String()
}

func (m *model) add(id StreamID, fv [][]byte) {
	m.ids = append(m.ids, id)
	m.fv[id] = fvString(fv)
}

func (m *model) del(id StreamID) {
	for i, x := range m.ids {
		if x == id {
			m.ids = append(m.ids[:i], m.ids[i+1:]...)
			delete(m.fv, id)
			return
		}
	}
}

func checkStream(t *testing.T, s *Stream, m *model) {
	t.Helper()
	if s.Length() != uint64(len(m.ids)) {
		t.Fatalf("length %d, model %d", s.Length(), len(m.ids))
	}
	var got []StreamID
	s.Range(StreamID{}, StreamIDMax, false, func(e *StreamEntry) bool {
		got = append(got, e.ID)
		var fv [][]byte
		for i := 0; i < e.NumFields(); i++ {
			f, v := e.Next()
			fv = append(fv, append([]byte(nil), f...), append([]byte(nil), v...))
		}
		if fvString(fv) != m.fv[e.ID] {
			t.Fatalf("entry %v = %s, want %s", e.ID, fvString(fv), m.fv[e.ID])
		}
		return true
	})
	if fmt.Sprint(got) != fmt.Sprint(m.ids) {
		t.Fatalf("entries %v, want %v", got, m.ids)
	}
	var rev []StreamID
	s.Range(StreamID{}, StreamIDMax, true, func(e *StreamEntry) bool { rev = append(rev, e.ID); return true })
	for i := range rev {
		if rev[i] != got[len(got)-1-i] {
			t.Fatalf("reverse range %v", rev)
		}
	}
	var live int64
	for i, n := range s.nodes {
		c, ok := checkNodeCounts(n)
		if !ok {
			t.Fatalf("node %d malformed", i)
		}
		live += c
	}
	if uint64(live) != s.Length() {
		t.Fatalf("nodes hold %d live entries, length %d", live, s.Length())
	}
	first := StreamID{}
	if len(m.ids) > 0 {
		first = m.ids[0]
	}
	if s.FirstEntryID() != first {
		t.Fatalf("first entry %v, want %v", s.FirstEntryID(), first)
	}
}

func checkNodeCounts(n *streamNode) (int64, bool) {
	live, _, ok := checkNode(n, false)
	return live, ok
}

func randomFV(r *rand.Rand) [][]byte {
	var fv [][]byte
	names := []string{"a", "b", "1", "c"}
	for i := r.Intn(3) + 1; i > 0; i-- {
		v := strconv.Itoa(r.Intn(1000) - 500)
		switch r.Intn(4) {
		case 0:
			v = strings.Repeat("x", r.Intn(300))
		case 1:
			v = strings.Repeat("y", r.Intn(5000))
		}
		fv = append(fv, []byte(names[r.Intn(len(names))]), []byte(v))
	}
	return fv
}

// TestStreamAgainstModel: appends, deletes and trims of every kind keep
// the nodes well formed and the entries those of a naive model; a trim
// removes a prefix of the live entries, exact trims exactly what Redis'
// documentation says.
func TestStreamAgainstModel(t *testing.T) {
	saveB, saveE := StreamNodeMaxBytes, StreamNodeMaxEntries
	defer func() { StreamNodeMaxBytes, StreamNodeMaxEntries = saveB, saveE }()
	for seed := int64(0); seed < 60; seed++ {
		r := rand.New(rand.NewSource(seed))
		StreamNodeMaxEntries = []int{100, 5, 1, 0}[seed%4]
		StreamNodeMaxBytes = []int{4096, 300, 0, 100000}[seed%4]
		s := NewStream()
		m := &model{fv: map[StreamID]string{}}
		last := StreamID{}
		for op := 0; op < 400; op++ {
			switch r.Intn(10) {
			case 0, 1, 2, 3, 4:
				id := StreamID{Ms: last.Ms + uint64(r.Intn(3)), Seq: uint64(r.Intn(5))}
				if !last.Less(id) {
					id, _ = last.Next()
				}
				fv := randomFV(r)
				s.appendEntry(id, fv)
				m.add(id, fv)
				last = id
			case 5, 6:
				if len(m.ids) == 0 {
					continue
				}
				id := m.ids[r.Intn(len(m.ids))]
				if !s.deleteEntry(id) {
					t.Fatalf("delete %v failed", id)
				}
				m.del(id)
				if s.deleteEntry(id) {
					t.Fatalf("second delete %v succeeded", id)
				}
			default:
				tr := StreamTrim{MaxLen: uint64(r.Intn(len(m.ids) + 2)), Approx: r.Intn(2) == 0}
				if r.Intn(2) == 0 {
					tr = StreamTrim{MinID: true, ID: StreamID{Ms: uint64(r.Intn(int(last.Ms) + 2)), Seq: uint64(r.Intn(5))}, Approx: r.Intn(2) == 0}
				}
				if tr.Approx && r.Intn(2) == 0 {
					tr.Limit = int64(r.Intn(10))
				}
				plan := s.PlanTrim(tr, nil, 0)
				s.execTrim(&plan)
				k := int(plan.Removed)
				if k > 0 && plan.Bound != m.ids[k-1] {
					t.Fatalf("bound %v, the %d-th entry is %v", plan.Bound, k, m.ids[k-1])
				}
				if !tr.Approx {
					want := 0
					if tr.MinID {
						for want < len(m.ids) && m.ids[want].Less(tr.ID) {
							want++
						}
					} else if uint64(len(m.ids)) > tr.MaxLen {
						want = len(m.ids) - int(tr.MaxLen)
					}
					if k != want {
						t.Fatalf("exact trim %+v removed %d, want %d", tr, k, want)
					}
				}
				m.ids = m.ids[k:]
			}
			checkStream(t, s, m)
		}
	}
}

// TestStreamPlanWithPending: a plan made for an entry about to be added
// is the plan made after adding it.
func TestStreamPlanWithPending(t *testing.T) {
	saveE := StreamNodeMaxEntries
	defer func() { StreamNodeMaxEntries = saveE }()
	StreamNodeMaxEntries = 4
	r := rand.New(rand.NewSource(7))
	for iter := 0; iter < 300; iter++ {
		s := NewStream()
		last := StreamID{}
		for i := r.Intn(20); i > 0; i-- {
			last, _ = last.Next()
			s.appendEntry(last, randomFV(r))
			if r.Intn(4) == 0 {
				s.deleteEntry(last)
			}
		}
		id, _ := last.Next()
		fv := randomFV(r)
		tr := StreamTrim{MaxLen: uint64(r.Intn(10)), Approx: r.Intn(2) == 0}
		if r.Intn(2) == 0 {
			tr = StreamTrim{MinID: true, ID: StreamID{Seq: uint64(r.Intn(25))}, Approx: r.Intn(2) == 0}
		}
		before := s.PlanTrim(tr, &id, FVLen(fv))
		s.appendEntry(id, fv)
		after := s.PlanTrim(tr, nil, 0)
		if before != after {
			t.Fatalf("plan before the add %+v, after %+v", before, after)
		}
	}
}

func TestStreamNonMonotonicAppend(t *testing.T) {
	// XSETID below a deleted entry: Redis appends after it in the node
	s := NewStream()
	s.appendEntry(StreamID{5, 0}, [][]byte{[]byte("f"), []byte("v")})
	s.appendEntry(StreamID{6, 0}, [][]byte{[]byte("f"), []byte("v")})
	s.deleteEntry(StreamID{6, 0})
	s.appendEntry(StreamID{5, 1}, [][]byte{[]byte("f"), []byte("v")})
	if !s.Has(StreamID{5, 1}) || !s.deleteEntry(StreamID{5, 1}) || s.Length() != 1 {
		t.Fatal("entry after a larger deleted one")
	}
}

func TestRaxCount(t *testing.T) {
	k := func(ms, seq uint64) [16]byte { return StreamID{ms, seq}.Key() }
	for _, c := range []struct {
		keys [][16]byte
		want int
	}{
		{nil, 1},
		{[][16]byte{k(1, 1)}, 2},
		{[][16]byte{k(1, 1), k(1, 2)}, 4},          // prefix, branch, two leaves
		{[][16]byte{k(1, 1), k(1, 2), k(1, 3)}, 5}, // a third child
		{[][16]byte{k(1, 0), k(2, 0)}, 6},          // branch at byte 7: prefix, branch, 2x(chain, leaf)
		{[][16]byte{k(0, 0), k(1<<56, 0)}, 5},      // branch at the root: root, 2x(chain, leaf)
	} {
		if got := raxCount(c.keys); got != c.want {
			t.Errorf("raxCount(%d keys) = %d, want %d", len(c.keys), got, c.want)
		}
	}
}

// streamEffects builds effects from one writer in order, each observing
// all the previous ones.
type effectLog struct {
	seq uint64
	out []effect.Effect
}

func (l *effectLog) add(flags uint8, build func(p *Enc)) *effect.Effect {
	var p Enc
	build(&p)
	l.seq++
	l.out = append(l.out, effect.Effect{ID: effect.ID{Node: 1, Seq: l.seq}, Op: effect.OpStream, Flags: flags, Value: p.B})
	return &l.out[len(l.out)-1]
}

func digestOf(o Object) string {
	if o == nil {
		return "nil"
	}
	var b bytes.Buffer
	o.Digest(&b)
	return b.String()
}

// TestStreamApplyEqualsMerge: effects applied one by one (each observed
// the previous) give the value the merge gives from scratch, with and
// without cluster identities.
func TestStreamApplyEqualsMerge(t *testing.T) {
	for seed := int64(0); seed < 200; seed++ {
		r := rand.New(rand.NewSource(seed))
		l := &effectLog{}
		var cur Object
		typ := For(effect.OpStream)
		c := Ctx{IDs: seed%2 == 1}
		for i := 0; i < 60; i++ {
			s, _ := cur.(*Stream)
			e := randomStreamEffect(r, l, s)
			if e == nil {
				continue
			}
			if e.Flags&effect.FlagReplace != 0 {
				cur = nil
			}
			cur = typ.Apply(cur, e, c)
		}
		m := typ.Merger(nil, c)
		for i := range l.out {
			m.Step(&l.out[i])
		}
		if got, want := digestOf(m.Result()), digestOf(cur); got != want {
			t.Fatalf("seed %d: merge %q, apply %q", seed, got, want)
		}
		// a snapshot recreates the value and its layout
		if s, ok := cur.(*Stream); ok {
			var p Enc
			s.Snapshot(&p)
			e := effect.Effect{ID: effect.ID{Node: 1, Seq: 999}, Op: effect.OpStream, Flags: effect.FlagReplace, Value: p.B}
			back := typ.Apply(nil, &e, Ctx{}).(*Stream)
			if digestOf(back) != digestOf(s) || len(back.nodes) != len(s.nodes) || back.firstID != s.firstID {
				t.Fatalf("seed %d: snapshot differs", seed)
			}
			for i := range s.nodes {
				if !bytes.Equal(back.nodes[i].lp, s.nodes[i].lp) {
					t.Fatalf("seed %d: node %d differs after snapshot", seed, i)
				}
			}
			// clone is deep
			cl := s.Clone().(*Stream)
			before := digestOf(s)
			cl.appendEntry(StreamID{math.MaxUint64, 1}, [][]byte{[]byte("z"), []byte("z")})
			for _, g := range append([]*StreamGroup(nil), cl.groups...) {
				g.delNACK(StreamID{1, 1})
				cl.delGroup([]byte(g.Name))
			}
			if digestOf(s) != before {
				t.Fatalf("seed %d: writing a clone changed the original", seed)
			}
		}
	}
}

func randomStreamEffect(r *rand.Rand, l *effectLog, s *Stream) *effect.Effect {
	group := []byte([]string{"g1", "g2"}[r.Intn(2)])
	cons := []byte([]string{"alice", "bob"}[r.Intn(2)])
	var g *StreamGroup
	if s != nil {
		g = s.Group(group)
	}
	var ids []StreamID
	if s != nil {
		s.Range(StreamID{}, StreamIDMax, false, func(e *StreamEntry) bool { ids = append(ids, e.ID); return true })
	}
	switch r.Intn(12) {
	case 0, 1, 2, 3:
		var last StreamID
		if s != nil {
			last = s.LastID()
		}
		id := StreamID{Ms: last.Ms + uint64(r.Intn(2)), Seq: last.Seq + 1 + uint64(r.Intn(3))}
		fv := randomFV(r)
		return l.add(0, func(p *Enc) {
			StreamEncAdd(p, id, fv)
			if r.Intn(3) == 0 {
				base := s
				if base == nil {
					base = NewStream()
				}
				plan := base.PlanTrim(StreamTrim{MaxLen: uint64(r.Intn(5))}, &id, FVLen(fv))
				if plan.Changes() {
					StreamEncTrim(p, &plan)
				}
			}
		})
	case 4:
		if len(ids) == 0 {
			return nil
		}
		return l.add(0, func(p *Enc) { StreamEncDel(p, []StreamID{ids[r.Intn(len(ids))]}) })
	case 5:
		if s == nil {
			return nil
		}
		plan := s.PlanTrim(StreamTrim{MinID: true, ID: StreamID{Ms: uint64(r.Intn(5)), Seq: uint64(r.Intn(20))}}, nil, 0)
		if !plan.Changes() {
			return nil
		}
		return l.add(0, func(p *Enc) { StreamEncTrim(p, &plan) })
	case 6:
		if g != nil {
			return nil
		}
		return l.add(0, func(p *Enc) {
			if s == nil {
				StreamEncMk(p)
			}
			StreamEncGroup(p, StreamGroupNew, group, StreamID{}, -1)
		})
	case 7, 8:
		if g == nil || s.Length() == 0 || !g.LastID.Less(s.LastEntryID()) {
			return nil
		}
		start, _ := g.LastID.Next()
		last, read := g.LastID, g.EntriesRead
		var ns []StreamNACKWrite
		s.Range(start, StreamIDMax, false, func(e *StreamEntry) bool {
			last, read = s.AdvanceRead(last, read, e.ID)
			ns = append(ns, StreamNACKWrite{ID: e.ID, Count: 1})
			return len(ns) < 2
		})
		return l.add(0, func(p *Enc) {
			StreamEncConsumer(p, group, cons, int64(r.Intn(1000)))
			StreamEncAdvance(p, group, last, read, false)
			StreamEncNACKs(p, group, cons, int64(r.Intn(1000)), ns)
		})
	case 9:
		if g == nil || g.Pending() == 0 {
			return nil
		}
		var ack []StreamID
		g.EachPending(StreamID{}, StreamIDMax, false, func(n *StreamNACK) bool { ack = append(ack, n.ID); return r.Intn(2) == 0 })
		return l.add(0, func(p *Enc) { StreamEncNACKDel(p, group, ack) })
	case 10:
		if g == nil {
			return nil
		}
		if r.Intn(2) == 0 {
			return l.add(0, func(p *Enc) { StreamEncGroupDel(p, group) })
		}
		c := g.Consumer(cons)
		if c == nil {
			return nil
		}
		var pend []StreamID
		g.EachConsumerPending(c, StreamID{}, StreamIDMax, func(n *StreamNACK) bool { pend = append(pend, n.ID); return true })
		return l.add(0, func(p *Enc) {
			if len(pend) > 0 {
				StreamEncNACKDel(p, group, pend)
			}
			StreamEncConsumerDel(p, group, cons)
		})
	default:
		if s == nil {
			return nil
		}
		return l.add(effect.FlagReplace, func(p *Enc) { s.Snapshot(p) })
	}
}

// Garbage payloads never panic and change nothing.
func TestStreamMalformedPayloads(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	typ := For(effect.OpStream)
	base := NewStream()
	base.appendEntry(StreamID{1, 1}, [][]byte{[]byte("f"), []byte("v")})
	var good Enc
	base.Snapshot(&good)
	for i := 0; i < 20000; i++ {
		b := append([]byte(nil), good.B...)
		switch r.Intn(3) {
		case 0:
			b = b[:r.Intn(len(b))]
		case 1:
			b[r.Intn(len(b))] ^= byte(1 + r.Intn(255))
		default:
			b = make([]byte, r.Intn(40))
			r.Read(b)
		}
		e := effect.Effect{ID: effect.ID{Node: 1, Seq: 1}, Op: effect.OpStream, Flags: effect.FlagReplace, Value: b}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("panic on %x: %v", b, p)
				}
			}()
			if o := typ.Apply(nil, &e, Ctx{}); o != nil {
				var d bytes.Buffer
				o.Digest(&d) // a value that decoded is walkable
			}
			m := typ.Merger(base, Ctx{IDs: true})
			m.Step(&e)
			m.Result()
		}()
	}
}

func TestStreamPELOrder(t *testing.T) {
	g := &StreamGroup{}
	c := g.addConsumer([]byte("c"), 0)
	d := g.addConsumer([]byte("d"), 0)
	r := rand.New(rand.NewSource(5))
	want := map[StreamID]*StreamConsumer{}
	for i := 0; i < 5000; i++ {
		id := StreamID{Ms: uint64(r.Intn(300))}
		switch r.Intn(3) {
		case 0, 1:
			who := c
			if r.Intn(2) == 0 {
				who = d
			}
			g.setNACK(id, who, 0, 1)
			want[id] = who
		default:
			g.delNACK(id)
			delete(want, id)
		}
	}
	var ids []StreamID
	for id := range want {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Less(ids[j]) })
	var got []StreamID
	g.EachPending(StreamID{}, StreamIDMax, false, func(n *StreamNACK) bool { got = append(got, n.ID); return true })
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Fatalf("pending %v, want %v", got, ids)
	}
	nc := 0
	g.EachConsumerPending(c, StreamID{}, StreamIDMax, func(n *StreamNACK) bool {
		if want[n.ID] != c {
			t.Fatalf("%v listed for c", n.ID)
		}
		nc++
		return true
	})
	if nc != c.Pending() {
		t.Fatalf("c lists %d, pending %d", nc, c.Pending())
	}
	if c.Pending()+d.Pending() != g.Pending() {
		t.Fatalf("consumers %d+%d, group %d", c.Pending(), d.Pending(), g.Pending())
	}
}
