package crdt

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
)

// zmodel is the obvious sorted set: a map, sorted on demand.
type zmodel map[string]float64

func (m zmodel) sorted() []ZEntry {
	es := make([]ZEntry, 0, len(m))
	for k, v := range m {
		es = append(es, ZEntry{k, v})
	}
	sort.Slice(es, func(i, j int) bool { return zless(es[i].Score, es[i].Member, es[j].Score, es[j].Member) })
	return es
}

func zall(z *ZSet) []ZEntry {
	var out []ZEntry
	z.Each(func(m string, s float64) bool { out = append(out, ZEntry{m, s}); return true })
	return out
}

// checkSkiplist verifies the skiplist's links, spans, backward links, tail,
// length and index against a walk of level 0.
func checkSkiplist(t *testing.T, sl *skiplist) {
	t.Helper()
	var nodes []*zsNode
	for x := sl.header.next; x != nil; x = x.next {
		nodes = append(nodes, x)
	}
	if len(nodes) != sl.length {
		t.Fatalf("length %d, level 0 has %d", sl.length, len(nodes))
	}
	if sl.index.n != sl.length {
		t.Fatalf("index holds %d, length %d", sl.index.n, sl.length)
	}
	rank := map[*zsNode]int{sl.header: 0}
	for i, n := range nodes {
		rank[n] = i + 1
		if i > 0 && !zless(nodes[i-1].score, nodes[i-1].member(), n.score, n.member()) {
			t.Fatalf("order broken at %d", i)
		}
		var want *zsNode
		if i > 0 {
			want = nodes[i-1]
		}
		if n.backward != want {
			t.Fatalf("backward link of rank %d wrong", i)
		}
		if sl.index.get(n.member()) != n {
			t.Fatalf("index misses %q", n.member())
		}
	}
	if len(nodes) > 0 && sl.tail != nodes[len(nodes)-1] || len(nodes) == 0 && sl.tail != nil {
		t.Fatalf("tail wrong")
	}
	for i := 1; i < sl.level; i++ {
		x := sl.header
		for {
			l := x.lv(i)
			if l.forward == nil {
				if want := sl.length - rank[x]; l.span != want && x != sl.header || x == sl.header && l.span != want {
					t.Fatalf("level %d: last span %d, want %d", i, l.span, want)
				}
				break
			}
			if _, ok := rank[l.forward]; !ok {
				t.Fatalf("level %d links to a removed node", i)
			}
			if got := rank[l.forward] - rank[x]; got != l.span {
				t.Fatalf("level %d: span %d, want %d", i, l.span, got)
			}
			if l.score != l.forward.score && !(l.score == 0 && l.forward.score == 0) {
				t.Fatalf("level %d: cached score %v, node has %v", i, l.score, l.forward.score)
			}
			x = l.forward
		}
	}
	for i := sl.level; i < zslMaxLevel; i++ {
		if sl.header.lv(i).forward != nil {
			t.Fatalf("header level %d above the list level is linked", i)
		}
	}
}

func checkZSet(t *testing.T, z *ZSet, m zmodel) {
	t.Helper()
	want := m.sorted()
	got := zall(z)
	if len(got) != len(want) || z.Len() != len(want) {
		t.Fatalf("len %d/%d, want %d", len(got), z.Len(), len(want))
	}
	for i := range want {
		if got[i].Member != want[i].Member || got[i].Score != want[i].Score {
			t.Fatalf("rank %d: %v, want %v", i, got[i], want[i])
		}
	}
	if z.sl != nil {
		checkSkiplist(t, z.sl)
	}
	for i, e := range want {
		s, ok := z.Score([]byte(e.Member))
		if !ok || s != e.Score {
			t.Fatalf("Score(%q) = %v %v", e.Member, s, ok)
		}
		r, _, ok := z.Rank([]byte(e.Member))
		if !ok || r != i {
			t.Fatalf("Rank(%q) = %d, want %d", e.Member, r, i)
		}
		if mm, ss := z.At(i); mm != e.Member || ss != e.Score {
			t.Fatalf("At(%d) = %q %v", i, mm, ss)
		}
	}
	if _, ok := z.Score([]byte("absent")); ok {
		t.Fatal("absent member found")
	}
}

func TestZSetModel(t *testing.T) {
	defer func(e, v int) { ZSetMaxListpackEntries, ZSetMaxListpackValue = e, v }(ZSetMaxListpackEntries, ZSetMaxListpackValue)
	for seed := int64(0); seed < 24; seed++ {
		r := rand.New(rand.NewSource(seed))
		ZSetMaxListpackEntries = []int{0, 4, 16, 128}[seed%4]
		ZSetMaxListpackValue = 8
		z := NewZSet()
		m := zmodel{}
		nmem := 5 + r.Intn(300)
		for op := 0; op < 800; op++ {
			mem := "m" + strconv.Itoa(r.Intn(nmem))
			if r.Intn(50) == 0 {
				mem += "-long-member"
			}
			switch r.Intn(5) {
			case 0, 1, 2:
				s := float64(r.Intn(20) - 10)
				if r.Intn(4) == 0 {
					s = r.NormFloat64()
				}
				_, had := m[mem]
				if added := z.Set([]byte(mem), s); added == had {
					t.Fatalf("seed %d: Set(%q) added=%v, had=%v", seed, mem, added, had)
				}
				m[mem] = s
			case 3:
				_, had := m[mem]
				if z.Remove([]byte(mem)) != had {
					t.Fatalf("seed %d: Remove(%q) != %v", seed, mem, had)
				}
				delete(m, mem)
			case 4:
				// remove a prefix, as a pop would
				for i := r.Intn(3); i > 0 && z.Len() > 0; i-- {
					mm, _ := z.At(0)
					z.Remove([]byte(mm))
					delete(m, mm)
				}
			}
			if op%100 == 0 || op == 799 {
				checkZSet(t, z, m)
				checkRanges(t, r, z, m)
			}
		}
	}
}

func checkRanges(t *testing.T, r *rand.Rand, z *ZSet, m zmodel) {
	t.Helper()
	want := m.sorted()
	for k := 0; k < 20; k++ {
		min := ScoreBound{Score: float64(r.Intn(24) - 12), Exclusive: r.Intn(2) == 0}
		max := ScoreBound{Score: float64(r.Intn(24) - 12), Exclusive: r.Intn(2) == 0}
		if r.Intn(6) == 0 {
			min.Score = math.Inf(-1)
		}
		if r.Intn(6) == 0 {
			max.Score = math.Inf(1)
		}
		lo, hi := z.ScoreRanks(min, max)
		var wlo, whi = -1, -1
		for i, e := range want {
			in := (e.Score > min.Score || !min.Exclusive && e.Score == min.Score) &&
				(e.Score < max.Score || !max.Exclusive && e.Score == max.Score)
			if in {
				if wlo < 0 {
					wlo = i
				}
				whi = i + 1
			}
		}
		if wlo < 0 {
			if lo < hi {
				t.Fatalf("ScoreRanks(%v,%v) = [%d,%d), want empty", min, max, lo, hi)
			}
		} else if lo != wlo || hi != whi {
			t.Fatalf("ScoreRanks(%v,%v) = [%d,%d), want [%d,%d)", min, max, lo, hi, wlo, whi)
		}
		if z.Len() > 0 {
			a := r.Intn(z.Len())
			b := a + r.Intn(z.Len()-a)
			rev := r.Intn(2) == 0
			var got []ZEntry
			z.Range(a, b, rev, func(mm string, s float64) bool { got = append(got, ZEntry{mm, s}); return true })
			if len(got) != b-a+1 {
				t.Fatalf("Range(%d,%d,%v) gave %d", a, b, rev, len(got))
			}
			for i := range got {
				w := want[a+i]
				if rev {
					w = want[b-i]
				}
				if got[i] != w {
					t.Fatalf("Range(%d,%d,%v)[%d] = %v, want %v", a, b, rev, i, got[i], w)
				}
			}
		}
	}
}

func TestZSetLexRanks(t *testing.T) {
	defer func(e int) { ZSetMaxListpackEntries = e }(ZSetMaxListpackEntries)
	r := rand.New(rand.NewSource(1))
	for iter := 0; iter < 400; iter++ {
		ZSetMaxListpackEntries = []int{0, 128}[iter%2]
		z := NewZSet()
		var ms []string
		for i := r.Intn(40); i > 0; i-- {
			mm := string(rune('a'+r.Intn(26))) + string(rune('a'+r.Intn(3)))
			if z.Set([]byte(mm), 0) {
				ms = append(ms, mm)
			}
		}
		sort.Strings(ms)
		bound := func() LexBound {
			switch r.Intn(8) {
			case 0:
				return LexBound{Inf: -1}
			case 1:
				return LexBound{Inf: 1}
			}
			return LexBound{Value: string(rune('a' + r.Intn(27))), Exclusive: r.Intn(2) == 0}
		}
		for k := 0; k < 20; k++ {
			min, max := bound(), bound()
			rev := r.Intn(2) == 0
			lo, hi := z.LexRanks(min, max, rev)
			var want []string
			for _, mm := range ms {
				if min.gteMin(mm) && max.lteMax(mm) {
					want = append(want, mm)
				}
			}
			var got []string
			if lo < hi {
				got = ms[lo:hi]
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%v LexRanks(%+v, %+v, %v) = %v, want %v", ms, min, max, rev, got, want)
			}
		}
	}
}

// A listpack with mixed scores answers lex ranges as Redis' listpack walk:
// forwards from the first member >= min while <= max.
func TestZSetLexRanksMixedScoresListpack(t *testing.T) {
	z := NewZSet()
	z.Set([]byte("c"), 1)
	z.Set([]byte("a"), 2)
	z.Set([]byte("b"), 3)
	// order: c a b
	lo, hi := z.LexRanks(LexBound{Value: "b"}, LexBound{Inf: 1}, false)
	if lo != 0 || hi != 3 { // c >= b, then a, b <= +
		t.Fatalf("forward [%d,%d)", lo, hi)
	}
	lo, hi = z.LexRanks(LexBound{Inf: -1}, LexBound{Value: "b"}, false)
	if lo != 0 || hi != 0 { // c > b stops at once
		t.Fatalf("forward to b: [%d,%d)", lo, hi)
	}
	lo, hi = z.LexRanks(LexBound{Value: "b"}, LexBound{Inf: 1}, true)
	if lo != 2 || hi != 3 { // backwards from b (<= +), then a < b stops
		t.Fatalf("reverse: [%d,%d)", lo, hi)
	}
	lo, hi = z.LexRanks(LexBound{Inf: -1}, LexBound{Value: "b"}, true)
	if lo != 0 || hi != 0 { // the first member, c, is past b: nothing
		t.Fatalf("reverse to b: [%d,%d)", lo, hi)
	}
}

func TestZSetScanCoversMembersAcrossResizes(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for iter := 0; iter < 30; iter++ {
		z := NewZSetSkiplist(0)
		stable := map[string]bool{}
		for i := 0; i < 200; i++ {
			k := "s" + strconv.Itoa(i)
			z.Set([]byte(k), float64(i))
			stable[k] = true
		}
		seen := map[string]bool{}
		cursor := uint64(0)
		var churn []string
		next := 0
		for calls := 0; ; calls++ {
			cursor = z.Scan(cursor, 1+r.Intn(20), func(m string, _ float64) { seen[m] = true })
			// grow and shrink the table between calls
			if calls%2 == 0 {
				for i := r.Intn(600); i > 0; i-- {
					k := "t" + strconv.Itoa(next)
					next++
					z.Set([]byte(k), 1)
					churn = append(churn, k)
				}
			} else {
				r.Shuffle(len(churn), func(i, j int) { churn[i], churn[j] = churn[j], churn[i] })
				for keep := r.Intn(100); len(churn) > keep; {
					z.Remove([]byte(churn[len(churn)-1]))
					churn = churn[:len(churn)-1]
				}
			}
			if cursor == 0 {
				break
			}
		}
		for k := range stable {
			if !seen[k] {
				t.Fatalf("iter %d: scan missed %q", iter, k)
			}
		}
	}
}

func TestZSetNegativeZero(t *testing.T) {
	z := NewZSet()
	z.Set([]byte("a"), math.Copysign(0, -1))
	if s, _ := z.Score([]byte("a")); math.Signbit(s) {
		t.Fatal("listpack kept -0")
	}
	z.ToSkiplist()
	z.Set([]byte("b"), math.Copysign(0, -1))
	if s, _ := z.Score([]byte("b")); !math.Signbit(s) {
		t.Fatal("skiplist lost -0")
	}
	z.Set([]byte("b"), 0)
	if s, _ := z.Score([]byte("b")); math.Signbit(s) {
		t.Fatal("skiplist did not take 0 over -0")
	}
}

func TestZSetConversion(t *testing.T) {
	z := NewZSet()
	for i := 0; i < ZSetMaxListpackEntries; i++ {
		z.Set([]byte(strconv.Itoa(i)), float64(i))
	}
	if !z.IsListpack() {
		t.Fatal("converted too early")
	}
	z.Set([]byte("x"), 1)
	if z.IsListpack() {
		t.Fatal("129 members in a listpack")
	}
	for i := 0; i < 120; i++ {
		z.Remove([]byte(strconv.Itoa(i)))
	}
	if z.IsListpack() {
		t.Fatal("a skiplist went back to listpack")
	}
	y := NewZSet()
	y.Set([]byte("short"), 1)
	y.Set(bytes.Repeat([]byte("x"), ZSetMaxListpackValue), 1)
	if !y.IsListpack() {
		t.Fatal("a 64-byte member converted")
	}
	y.Set(bytes.Repeat([]byte("x"), ZSetMaxListpackValue+1), 1)
	if y.IsListpack() {
		t.Fatal("a 65-byte member stayed in a listpack")
	}
}

// zApplyAll applies effects one by one through Apply.
func zApplyAll(es []effect.Effect) Object {
	var obj Object
	t := zsetType{}
	for i := range es {
		if es[i].Flags&effect.FlagReplace != 0 {
			obj = nil
		}
		obj = t.Apply(obj, &es[i], Ctx{})
		if obj != nil && obj.Len() == 0 {
			obj = nil
		}
	}
	return obj
}

func zDigestOf(o Object) string {
	if o == nil {
		return ""
	}
	var b bytes.Buffer
	o.Digest(&b)
	return b.String()
}

// On a causal chain (each effect observed all before it), replaying through
// the Merger gives what Apply gives, also from a folded base.
func TestZSetApplyAgreesWithMerger(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for iter := 0; iter < 500; iter++ {
		var es []effect.Effect
		var obj Object
		for i := 0; i < 30; i++ {
			var p Enc
			switch k := r.Intn(10); {
			case k < 4:
				w := BeginZSet(&p, ZSetAssign, 0)
				for j := r.Intn(3) + 1; j > 0; j-- {
					w.Pair([]byte("m"+strconv.Itoa(r.Intn(8))), float64(r.Intn(10))-4.5)
				}
				w.End()
			case k < 7:
				m := "m" + strconv.Itoa(r.Intn(8))
				d := float64(r.Intn(7)) - 3
				if r.Intn(10) == 0 {
					d = math.Inf(1 - 2*r.Intn(2))
				}
				if cur, ok := zScoreOf(obj, m); ok && math.IsNaN(cur+d) {
					continue // the writer refuses
				}
				EncodeZSetPairs(&p, ZSetIncr, [][]byte{[]byte(m)}, []float64{d})
			case k < 9:
				EncodeZSetMembers(&p, ZSetRem, [][]byte{[]byte("m" + strconv.Itoa(r.Intn(8)))})
			default:
				w := BeginZSet(&p, ZSetSnap, byte(r.Intn(3)))
				w.Pair([]byte("s"), 1)
				w.End()
			}
			e := effect.Effect{Op: effect.OpZSet, Value: p.B, ID: effect.ID{Node: 1, Seq: uint64(i + 1)}}
			if p.B[0] == ZSetSnap {
				e.Flags = effect.FlagReplace
			}
			es = append(es, e)
			obj = zApplyAll(es)
		}
		split := r.Intn(len(es) + 1)
		base := zApplyAll(es[:split])
		mg := zsetType{}.Merger(base, Ctx{})
		for i := split; i < len(es); i++ {
			mg.Step(&es[i])
		}
		got := mg.Result()
		if zDigestOf(got) != zDigestOf(obj) {
			t.Fatalf("iter %d: merger %q, apply %q", iter, zDigestOf(got), zDigestOf(obj))
		}
	}
}

func zScoreOf(o Object, m string) (float64, bool) {
	if o == nil {
		return 0, false
	}
	return o.(*ZSet).Score([]byte(m))
}

func TestZSetMalformedPayloads(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for i := 0; i < 20000; i++ {
		b := make([]byte, r.Intn(24))
		r.Read(b)
		if len(b) > 0 && r.Intn(2) == 0 {
			b[0] = "airs"[r.Intn(4)]
		}
		e := effect.Effect{Op: effect.OpZSet, Value: b}
		z := NewZSet()
		z.Set([]byte("x"), 1)
		zsetType{}.Apply(z, &e, Ctx{})
		m := zsetType{}.Merger(z, Ctx{})
		m.Step(&e)
		m.Result()
	}
}

// Concurrent increments add up; a concurrent assignment keeps the
// increments it had not seen; a remove loses to an unseen add.
func TestZSetMergeRule(t *testing.T) {
	mk := func(node effect.NodeID, seq uint64, op byte, m string, s float64) effect.Effect {
		var p Enc
		if op == ZSetRem {
			EncodeZSetMembers(&p, op, [][]byte{[]byte(m)})
		} else {
			EncodeZSetPairs(&p, op, [][]byte{[]byte(m)}, []float64{s})
		}
		return effect.Effect{Op: effect.OpZSet, Value: p.B, ID: effect.ID{Node: node, Seq: seq}}
	}
	base := NewZSet()
	base.Set([]byte("a"), 10)
	a := mk(1, 1, ZSetIncr, "a", 1)
	b := mk(2, 1, ZSetIncr, "a", 2)
	m := zsetType{}.Merger(base, Ctx{})
	m.Step(&a)
	m.Step(&b)
	if s, _ := m.Result().(*ZSet).Score([]byte("a")); s != 13 {
		t.Fatalf("increments: %v", s)
	}
	set := mk(1, 2, ZSetAssign, "a", 100)
	m = zsetType{}.Merger(base, Ctx{})
	m.Step(&b)
	m.Step(&set)
	if s, _ := m.Result().(*ZSet).Score([]byte("a")); s != 102 {
		t.Fatalf("assign + unseen increment: %v", s)
	}
	rem := mk(1, 3, ZSetRem, "a", 0)
	add := mk(2, 2, ZSetAssign, "a", 5)
	m = zsetType{}.Merger(base, Ctx{})
	m.Step(&add)
	m.Step(&rem)
	if s, ok := m.Result().(*ZSet).Score([]byte("a")); !ok || s != 5 {
		t.Fatalf("remove vs unseen add: %v %v", s, ok)
	}
}

func BenchmarkZSetSkiplistAdd(b *testing.B) {
	z := NewZSetSkiplist(0)
	ms := make([][]byte, 1<<16)
	for i := range ms {
		ms[i] = []byte("member:" + strconv.Itoa(i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := ms[i&(len(ms)-1)]
		if !z.Set(m, float64(i)) {
			continue
		}
	}
}

// LexWalk against a literal model of Redis' listpack walk for ZRANGEBYLEX
// with LIMIT, on members in score order (not sorted by name).
func TestZSetLexWalkMixedScores(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for iter := 0; iter < 3000; iter++ {
		z := NewZSet()
		for i := r.Intn(8); i > 0; i-- {
			z.Set([]byte(string(rune('a'+r.Intn(6)))), float64(r.Intn(5)))
		}
		ms := []string{}
		z.Each(func(m string, _ float64) bool { ms = append(ms, m); return true })
		bound := func() LexBound {
			switch r.Intn(6) {
			case 0:
				return LexBound{Inf: -1}
			case 1:
				return LexBound{Inf: 1}
			}
			return LexBound{Value: string(rune('a' + r.Intn(7))), Exclusive: r.Intn(2) == 0}
		}
		min, max := bound(), bound()
		rev := r.Intn(2) == 0
		offset, limit := int64(r.Intn(5)-1), int64(r.Intn(6)-2)
		// the model
		var want []string
		n := len(ms)
		if n > 0 && !lexEmpty(&min, &max) && min.gteMin(ms[n-1]) && max.lteMax(ms[0]) && offset >= 0 {
			i := -1
			if !rev {
				for j := 0; j < n; j++ {
					if min.gteMin(ms[j]) {
						i = j
						break
					}
				}
				if i >= 0 && !max.lteMax(ms[i]) {
					i = -1
				}
			} else {
				for j := n - 1; j >= 0; j-- {
					if max.lteMax(ms[j]) {
						i = j
						break
					}
				}
				if i >= 0 && !min.gteMin(ms[i]) {
					i = -1
				}
			}
			step := 1
			if rev {
				step = -1
			}
			if i >= 0 {
				for o := offset; o > 0 && i >= 0 && i < n; o-- {
					i += step
				}
				for l := limit; i >= 0 && i < n && l != 0; l-- {
					if (!rev && !max.lteMax(ms[i])) || (rev && !min.gteMin(ms[i])) {
						break
					}
					want = append(want, ms[i])
					i += step
				}
			}
		}
		lo, hi := z.LexWalk(min, max, rev, offset, limit)
		var got []string
		if lo < hi {
			z.Range(lo, hi-1, rev, func(m string, _ float64) bool { got = append(got, m); return true })
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%v %+v %+v rev=%v offset=%d limit=%d: got %v, want %v", ms, min, max, rev, offset, limit, got, want)
		}
	}
}

func BenchmarkZSetSkiplistUpdate(b *testing.B) {
	const n = 100000
	z := NewZSetSkiplist(0)
	ms := make([][]byte, n)
	r := rand.New(rand.NewSource(1))
	for i := range ms {
		ms[i] = []byte("element:" + strconv.Itoa(i))
		z.Set(ms[i], float64(r.Intn(n)))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.Set(ms[r.Intn(n)], float64(r.Intn(n)))
	}
}

// Score changes that move members (ZADD on existing members, ZINCRBY) keep
// the skiplist's order, spans, backward links and ranks right: many
// members, scores with many ties, tall and short nodes alike.
func TestZSetSkiplistMoves(t *testing.T) {
	for seed := int64(0); seed < 8; seed++ {
		r := rand.New(rand.NewSource(seed))
		z := NewZSetSkiplist(0)
		m := zmodel{}
		nmem := 50 + r.Intn(3000)
		spread := []int{3, 50, 100000}[seed%3]
		for op := 0; op < 20000; op++ {
			mem := "element:" + strconv.Itoa(r.Intn(nmem))
			s := float64(r.Intn(spread))
			if r.Intn(10) == 0 {
				s = -s
			}
			z.Set([]byte(mem), s)
			m[mem] = s
			if r.Intn(20) == 0 {
				z.Remove([]byte(mem))
				delete(m, mem)
			}
			if op%2000 == 0 || op == 19999 {
				checkZSet(t, z, m)
			}
		}
	}
}
