package crdt

import (
	"bytes"
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/hlc"
)

func setMembers(s *Set) []string {
	var out []string
	s.EachString(func(m string) bool { out = append(out, m); return true })
	sort.Strings(out)
	return out
}

// describeSet is contents, encoding and intset width.
func describeSet(o Object) string {
	s, _ := o.(*Set)
	if s == nil || s.Len() == 0 {
		return "<none>"
	}
	return fmt.Sprintf("%s/%d %q", s.Encoding(), s.IntsetWidth(), setMembers(s))
}

// checkSetInvariants verifies the internal layout: an ascending intset, or
// a hashtable whose index finds every slot and nothing else.
func checkSetInvariants(t *testing.T, s *Set) {
	t.Helper()
	if !s.ht {
		for i := 1; i < len(s.ints); i++ {
			if s.ints[i-1] >= s.ints[i] {
				t.Fatalf("intset out of order: %v", s.ints)
			}
		}
		for _, v := range s.ints {
			if intWidth(v) > s.IntsetWidth() {
				t.Fatalf("intset width %d too narrow for %d", s.IntsetWidth(), v)
			}
		}
		return
	}
	tab := s.tab
	used := 0
	for _, v := range tab.index {
		if v != 0 {
			used++
		}
	}
	if used != tab.refs.n || len(tab.tags) != len(tab.index) {
		t.Fatalf("index holds %d entries for %d members", used, tab.refs.n)
	}
	if tab.refs.n*4 > len(tab.index)*3 {
		t.Fatalf("index too full: %d members, %d positions", tab.refs.n, len(tab.index))
	}
	if want := (tab.refs.n + refChunk - 1) / refChunk; len(tab.refs.chunks) != want && !(tab.refs.n == 0 && len(tab.refs.chunks) == 1) {
		t.Fatalf("%d slots in %d chunks", tab.refs.n, len(tab.refs.chunks))
	}
	for i, c := range tab.refs.chunks {
		if i < len(tab.refs.chunks)-1 && len(c) != refChunk {
			t.Fatalf("chunk %d of %d holds %d", i, len(tab.refs.chunks), len(c))
		}
	}
	bytes := 0
	for i := 0; i < tab.refs.n; i++ {
		ref := tab.refs.get(i)
		m := tab.member(ref)
		bytes += len(m) + uvarintLen(uint64(len(m)))
		pos, found := tab.find(m, tab.hash(m))
		if !found || int(tab.index[pos]) != i+1 {
			t.Fatalf("member %q in slot %d not found by the index", m, i)
		}
	}
	if bytes != tab.used {
		t.Fatalf("page bytes in use %d, members hold %d", tab.used, bytes)
	}
	if tab.dead > tab.used && tab.dead > pageMin {
		t.Fatalf("pages not compacted: %d dead bytes for %d used", tab.dead, tab.used)
	}
}

func TestSetHashtableModel(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	s := NewSet()
	s.toHashtable()
	model := map[string]bool{}
	for step := 0; step < 60000; step++ {
		m := "m" + strconv.Itoa(r.Intn(3000))
		if step > 40000 { // drain most of it: the index and slice shrink
			m = "m" + strconv.Itoa(r.Intn(30000))
		}
		switch {
		case step < 20000 && r.Intn(3) != 0, step >= 20000 && step < 40000 && r.Intn(2) == 0:
			if got := s.Add([]byte(m)); got == model[m] {
				t.Fatalf("step %d: Add(%q) = %v with model %v", step, m, got, model[m])
			}
			model[m] = true
		default:
			if step > 40000 {
				for k := range model { // remove a present one
					m = k
					break
				}
			}
			if got := s.Remove([]byte(m)); got != model[m] {
				t.Fatalf("step %d: Remove(%q) = %v with model %v", step, m, got, model[m])
			}
			delete(model, m)
		}
		if s.Len() != len(model) {
			t.Fatalf("step %d: Len %d, model %d", step, s.Len(), len(model))
		}
		if step%997 == 0 {
			checkSetInvariants(t, s)
			for k := range model {
				if !s.Contains([]byte(k)) {
					t.Fatalf("step %d: %q missing", step, k)
				}
			}
		}
	}
	checkSetInvariants(t, s)
	if len(model) < 100 && len(s.tab.index) > 1024 {
		t.Fatalf("index did not shrink: %d positions for %d members", len(s.tab.index), len(model))
	}
}

func TestSetHashtableLongMembersAndClones(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	member := func(i int) []byte {
		n := []int{0, 1, 5, 127, 128, 300, 4095, 4096, 9000}[i%9]
		b := bytes.Repeat([]byte{byte('a' + i%26)}, n)
		return append(b, strconv.Itoa(i)...)
	}
	s := NewSet()
	model := map[string]bool{}
	var clones []*Set
	var models []map[string]bool
	for step := 0; step < 20000; step++ {
		m := member(r.Intn(400))
		if r.Intn(2) == 0 {
			s.Add(m)
			model[string(m)] = true
		} else {
			s.Remove(m)
			delete(model, string(m))
		}
		if step%2000 == 0 {
			c := s.Clone().(*Set)
			cm := map[string]bool{}
			for k := range model {
				cm[k] = true
			}
			clones = append(clones, c)
			models = append(models, cm)
			// the clone changes on its own, without touching s
			c.Add([]byte("clone-only"))
			cm["clone-only"] = true
		}
	}
	checkSetInvariants(t, s)
	if got := setMembers(s); len(got) != len(model) {
		t.Fatalf("%d members, model %d", len(got), len(model))
	}
	for _, m := range setMembers(s) {
		if !model[m] {
			t.Fatalf("unexpected member %.20q", m)
		}
	}
	for i, c := range clones {
		checkSetInvariants(t, c)
		got := setMembers(c)
		if len(got) != len(models[i]) {
			t.Fatalf("clone %d: %d members, want %d", i, len(got), len(models[i]))
		}
		for _, m := range got {
			if !models[i][m] {
				t.Fatalf("clone %d: unexpected member %.20q", i, m)
			}
		}
	}
}

func TestSetIntsetConversions(t *testing.T) {
	defer func(v int) { SetMaxIntsetEntries = v }(SetMaxIntsetEntries)
	SetMaxIntsetEntries = 3
	s := NewSet()
	for _, m := range []string{"3", "1", "2"} {
		s.Add([]byte(m))
	}
	if s.Encoding() != "intset" || s.IntsetWidth() != 2 {
		t.Fatalf("got %s", describeSet(s))
	}
	s.Add([]byte("4"))
	if s.Encoding() != "hashtable" {
		t.Fatalf("4 members over a limit of 3: %s", describeSet(s))
	}
	s.Remove([]byte("4"))
	if s.Encoding() != "hashtable" {
		t.Fatalf("a hashtable stays one: %s", describeSet(s))
	}
	w := NewSet()
	w.Add([]byte("1"))
	w.Add([]byte("70000"))
	w.Remove([]byte("70000"))
	if w.IntsetWidth() != 4 {
		t.Fatalf("the width never narrows: %s", describeSet(w))
	}
	w.Add([]byte("-9223372036854775808"))
	if w.IntsetWidth() != 8 {
		t.Fatalf("width: %s", describeSet(w))
	}
	for _, m := range []string{"007", "-0", "+1", " 1", "1.0", "9223372036854775808", ""} {
		x := NewSet()
		x.Add([]byte("1"))
		x.Add([]byte(m))
		if x.Encoding() != "hashtable" || !x.Contains([]byte(m)) || !x.Contains([]byte("1")) {
			t.Fatalf("%q is not an integer member: %s", m, describeSet(x))
		}
	}
}

func TestSetScanSurvivesRemovals(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for round := 0; round < 200; round++ {
		s := NewSet()
		for i := 0; i < 200; i++ {
			s.Add([]byte("x" + strconv.Itoa(i)))
		}
		stable := map[string]bool{}
		for i := 0; i < 100; i++ {
			stable["x"+strconv.Itoa(i)] = true
		}
		seen := map[string]bool{}
		cursor := uint64(0)
		for {
			cursor = s.Scan(cursor, 1+r.Intn(20), func(m []byte) { seen[string(m)] = true })
			// churn among the others between calls
			for k := 0; k < 5; k++ {
				x := "x" + strconv.Itoa(100+r.Intn(150))
				if r.Intn(2) == 0 {
					s.Remove([]byte(x))
				} else {
					s.Add([]byte(x))
				}
			}
			if cursor == 0 {
				break
			}
		}
		for k := range stable {
			if !seen[k] {
				t.Fatalf("round %d: %q present throughout but not returned", round, k)
			}
		}
	}
}

// linearHistory builds effects of one node, each observing all before it,
// as the set commands would write them from the state they observe.
type linearHistory struct {
	r    *rand.Rand
	seq  uint64
	cur  *Set // Apply's state
	effs []*effect.Effect
}

func (h *linearHistory) member() []byte {
	switch h.r.Intn(6) {
	case 0, 1, 2:
		return []byte(strconv.Itoa(h.r.Intn(10) - 2))
	case 3:
		return []byte([]string{"70000", "-40000", "5000000000", "32767", "-32769"}[h.r.Intn(5)])
	default:
		return []byte("m" + strconv.Itoa(h.r.Intn(6)))
	}
}

func (h *linearHistory) next() *effect.Effect {
	h.seq++
	e := &effect.Effect{ID: effect.ID{Node: 1, Seq: h.seq}, HLC: hlc.Timestamp(h.seq * 10), Op: effect.OpSet}
	var p Enc
	s := h.cur
	for len(p.B) == 0 {
		switch h.r.Intn(8) {
		case 0, 1, 2:
			var add [][]byte
			for n := 1 + h.r.Intn(3); n > 0; n-- {
				m := h.member()
				if s == nil || !s.Contains(m) {
					add = append(add, m)
				}
			}
			if len(add) > 0 {
				EncodeSet(&p, SetAdd, add)
			}
		case 3, 4:
			if s == nil {
				continue
			}
			var rem [][]byte
			for n := 1 + h.r.Intn(3); n > 0; n-- {
				m := h.member()
				if s.Contains(m) {
					rem = append(rem, m)
				}
			}
			if h.r.Intn(2) == 0 && s.Len() > 1 {
				rem = append(rem, []byte(s.At(h.r.Intn(s.Len()))))
			}
			if len(rem) > 0 {
				EncodeSet(&p, SetRem, rem)
			}
		case 5: // SPOP of most of it: the rebuild form
			if s == nil || s.Len() < 2 {
				continue
			}
			n := s.Len() - 1 - h.r.Intn(s.Len()/2)
			var ms [][]byte
			for _, i := range h.r.Perm(s.Len())[:n] {
				ms = append(ms, []byte(s.At(i)))
			}
			EncodeSet(&p, SetRebuild, ms)
		case 6: // a *STORE: replace from empty
			var ms [][]byte
			for n := 1 + h.r.Intn(5); n > 0; n-- {
				ms = append(ms, h.member())
			}
			EncodeSet(&p, SetAdd, ms)
			e.Flags = effect.FlagReplace
		case 7: // COPY/RESTORE: a snapshot with its encoding
			src := NewSet()
			for n := 1 + h.r.Intn(5); n > 0; n-- {
				src.Add(h.member())
			}
			if h.r.Intn(3) == 0 && !src.ht {
				src.toHashtable()
			}
			src.Snapshot(&p)
			e.Flags = effect.FlagReplace
		}
	}
	e.Value = p.B
	var obj Object
	if h.cur != nil && e.Flags&effect.FlagReplace == 0 {
		obj = h.cur
	}
	res := setType{}.Apply(obj, e, Ctx{})
	h.cur, _ = res.(*Set)
	if h.cur != nil && h.cur.Len() == 0 {
		h.cur = nil
	}
	h.effs = append(h.effs, e)
	return e
}

// TestSetApplyAgreesWithMerger: for a linear history, replaying it with
// the Merger from any folded prefix gives what Apply gave step by step,
// contents, encoding and intset width alike.
func TestSetApplyAgreesWithMerger(t *testing.T) {
	defer func(v int) { SetMaxIntsetEntries = v }(SetMaxIntsetEntries)
	for _, max := range []int{4, 512} {
		SetMaxIntsetEntries = max
		for seed := int64(0); seed < 300; seed++ {
			h := &linearHistory{r: rand.New(rand.NewSource(seed))}
			var states []Object // Apply's state after each effect (cloned)
			for i := 0; i < 40; i++ {
				h.next()
				if h.cur != nil {
					checkSetInvariants(t, h.cur)
					states = append(states, h.cur.Clone())
				} else {
					states = append(states, nil)
				}
			}
			for i := range h.effs {
				// fold the first k effects into the base, replay the rest
				k := h.r.Intn(i + 1)
				var base Object
				if k > 0 {
					base = states[k-1]
				}
				var before string
				if base != nil {
					before = describeSet(base)
				}
				m := setType{}.Merger(base, Ctx{})
				for _, e := range h.effs[k : i+1] {
					m.Step(e)
				}
				got := m.Result()
				if want := describeSet(states[i]); describeSet(got) != want {
					t.Fatalf("max %d seed %d: after %d effects (base of %d) merge = %s, apply = %s", max, seed, i+1, k, describeSet(got), want)
				}
				if got != nil {
					checkSetInvariants(t, got.(*Set))
				}
				if base != nil && describeSet(base) != before {
					t.Fatalf("seed %d: the merge changed its base", seed)
				}
				if (got != nil) != m.Exists() {
					t.Fatalf("seed %d: Exists %v with result %s", seed, m.Exists(), describeSet(got))
				}
			}
		}
	}
}

func eff(node effect.NodeID, seq uint64, ts int64, frontier []effect.ID, flags uint8, op byte, ms ...string) *effect.Effect {
	var p Enc
	var bs [][]byte
	for _, m := range ms {
		bs = append(bs, []byte(m))
	}
	EncodeSet(&p, op, bs)
	return &effect.Effect{ID: effect.ID{Node: node, Seq: seq}, HLC: hlc.Timestamp(ts), Frontier: frontier, Op: effect.OpSet, Flags: flags, Value: p.B}
}

func TestSetMergeAddWins(t *testing.T) {
	base := NewSet()
	base.Add([]byte("a"))
	base.Add([]byte("b"))
	// node 1 removes a; node 2, concurrently, removes b and adds a (it was
	// present there, so a real SADD would not write it: use a re-add after
	// its own removal)
	rem := eff(1, 1, 100, nil, 0, SetRem, "a")
	rem2 := eff(2, 1, 90, nil, 0, SetRem, "a")
	readd := eff(2, 2, 95, nil, 0, SetAdd, "a")
	m := setType{}.Merger(base, Ctx{})
	for _, e := range []*effect.Effect{rem2, readd, rem} {
		m.Step(e)
	}
	if got := describeSet(m.Result()); got != `hashtable/2 ["a" "b"]` {
		t.Fatalf("add wins over the concurrent remove: got %s", got)
	}
	// a remove that had observed the add removes it
	rem3 := eff(1, 2, 200, []effect.ID{{Node: 2, Seq: 2}}, 0, SetRem, "a")
	m = setType{}.Merger(base, Ctx{})
	for _, e := range []*effect.Effect{rem2, readd, rem, rem3} {
		m.Step(e)
	}
	if got := describeSet(m.Result()); got != `hashtable/2 ["b"]` {
		t.Fatalf("observed remove: got %s", got)
	}
	// a replace keeps what it had not observed
	add := eff(2, 3, 300, nil, 0, SetAdd, "c")
	repl := eff(1, 3, 310, []effect.ID{{Node: 2, Seq: 2}}, effect.FlagReplace, SetAdd, "1", "2")
	m = setType{}.Merger(base, Ctx{})
	for _, e := range []*effect.Effect{rem2, readd, rem, rem3, add, repl} {
		m.Step(e)
	}
	if got := describeSet(m.Result()); got != `hashtable/2 ["1" "2" "c"]` {
		t.Fatalf("replace: got %s", got)
	}
}

func TestSetMalformedPayloadsIgnored(t *testing.T) {
	s := NewSet()
	s.Add([]byte("x"))
	for _, v := range [][]byte{nil, {}, {'z'}, {SetAdd}, {SetAdd, 5, 1, 'a'}, {SetRem, 0xff}, {SetSnap}, {SetAdd, 1, 10, 'a'}} {
		e := &effect.Effect{ID: effect.ID{Node: 1, Seq: 1}, Op: effect.OpSet, Value: v}
		out := setType{}.Apply(s, e, Ctx{})
		if describeSet(out) != `hashtable/2 ["x"]` {
			t.Fatalf("payload %q changed the set: %s", v, describeSet(out))
		}
		m := setType{}.Merger(s, Ctx{})
		m.Step(e)
		if describeSet(m.Result()) != `hashtable/2 ["x"]` {
			t.Fatalf("payload %q changed the merge", v)
		}
	}
}

func TestSetSnapshotRoundTrip(t *testing.T) {
	for _, ms := range [][]string{{"1", "2", "3"}, {"1", "70000"}, {"5000000000"}, {"a", "1"}} {
		s := NewSet()
		for _, m := range ms {
			s.Add([]byte(m))
		}
		s.Remove([]byte(ms[len(ms)-1]))
		if s.Len() == 0 {
			s.Add([]byte(ms[0]))
		}
		var p Enc
		s.Snapshot(&p)
		e := &effect.Effect{ID: effect.ID{Node: 1, Seq: 1}, Op: effect.OpSet, Flags: effect.FlagReplace, Value: p.B}
		got := setType{}.Apply(nil, e, Ctx{})
		if describeSet(got) != describeSet(s) {
			t.Fatalf("snapshot of %s restores %s", describeSet(s), describeSet(got))
		}
		var d1, d2 bytes.Buffer
		s.Digest(&d1)
		got.Digest(&d2)
		if d1.String() != d2.String() {
			t.Fatal("digests differ")
		}
	}
}

func BenchmarkSetAddHashtable(b *testing.B) {
	keys := make([][]byte, 1<<16)
	for i := range keys {
		keys[i] = []byte("element:" + strconv.Itoa(i))
	}
	s := NewSet()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		k := keys[i&(len(keys)-1)]
		if !s.Add(k) {
			s.Remove(k)
		}
	}
}
